"""Hostile query input gets a clear 4xx (HTTP) or a one-line error (CLI), never a 500 or a traceback,
and the OpenAPI schema says what the server really sends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from helio_pipeline.api import create_app
from helio_pipeline.cli import main

DEEP = "[" * 2000 + "]" * 2000

BAD_FILTERS = [
    ('power_w={"gte":NaN}', "NaN"),
    ("power_w=Infinity", "Infinity"),
    ('power_w={"lt":1e999}', "Infinity"),
    ("stock=99999999999999999999999", "64-bit"),
    ('stock={"gte":-99999999999999999999999}', "64-bit"),
    ("stock=" + "9" * 5000, "too large"),
    (f"stock={DEEP}", "nested too deeply"),
    ('stock={"gte":{"gte":1}}', "range bounds"),
    ('category=[["module"]]', "plain values"),
    ('category="\\u0000"', "control character"),
    ('category="\\ud800"', "lone surrogate"),
]


def test_cli_bad_filters_are_one_line_errors(cli_env, capsys):
    for item, reason in BAD_FILTERS:
        assert main(["search", "painel", "--domain", "products", "--filter", item]) == 2, item
        err = capsys.readouterr().err
        assert err.startswith("helio: ") and reason in err, (item, err)
        assert len(err.strip().splitlines()) == 1, item


def test_cli_quarantine_rejects_a_negative_limit(cli_env, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["quarantine", "--limit", "-1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--limit: must be 1 or more, got -1" in err and "Traceback" not in err


@pytest.fixture
def client(tenants):
    return TestClient(create_app(tenants), raise_server_exceptions=False, base_url="http://127.0.0.1")


def test_http_bad_filters_are_422_with_the_reason(client):
    for item, reason in BAD_FILTERS:
        response = client.get("/search", params={"q": "painel", "domain": "products", "filter": item})
        assert response.status_code == 422, item
        assert reason in response.json()["detail"], item
    # a float field matches an exact value (the engine has no exact match on floats)
    exact = client.get("/search", params={"q": "painel", "domain": "products", "filter": "power_w=550.5"})
    assert exact.status_code == 200
    # a time range with and without an offset (a naive time is UTC) compares its bounds instead of failing
    mixed = client.get("/search", params={"q": "entrega", "domain": "conversations", "owner_id": "ana",
                                          "filter": 'ended_at={"gte": "2026-01-01", "lte": "2027-01-01T00:00:00Z"}'})
    assert mixed.status_code == 200 and mixed.json()["hits"]


@pytest.mark.parametrize("body,reason", [
    ({"owner_id": "ana\x00", "correlation_id": "c1"}, "owner_id"),
    ({"owner_id": "ana", "correlation_id": "c1\x00"}, "correlation_id"),
    ({"owner_id": "ana", "correlation_id": "c1", "k": False}, "k"),
    ({"owner_id": "ana", "correlation_id": "c1", "recent": True}, "recent"),
    ({"owner_id": "ana", "correlation_id": "c1", "k": 2.0}, "k"),
])
def test_http_memory_rejects_hostile_fields(client, body, reason):
    response = client.post("/memory", json=body)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_http_memory_rejects_lone_surrogates(client):
    for field in ("owner_id", "correlation_id", "query"):
        fields = {"owner_id": "ana", "correlation_id": "c1", "query": "entrega"}
        fields[field] += "\\ud800"  # JSON escapes: the server decodes a lone surrogate
        raw = "{" + ", ".join(f'"{k}": "{v}"' for k, v in fields.items()) + "}"
        response = client.post("/memory", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, field
        assert field in response.json()["detail"]


def test_openapi_documents_the_errors_the_server_sends(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def error_schema(path, method, code):
        ref = spec["paths"][path][method]["responses"][str(code)]["content"]["application/json"]["schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[-1]]

    for path, method, codes in (("/search", "get", (401, 403, 422, 503)),
                                ("/memory", "post", (400, 401, 403, 422, 503))):
        for code in codes:
            assert error_schema(path, method, code)["properties"]["detail"]["type"] == "string", (path, code)

    # what the server sends for each: a string detail
    assert isinstance(client.get("/search", params={"q": "x", "top_k": "abc"}).json()["detail"], str)
    assert isinstance(client.get("/search", params={"q": "x", "domain": "nope"}).json()["detail"], str)
    broken = client.post("/memory", content=b'{"owner_id": "\xff"}', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and isinstance(broken.json()["detail"], str)
    # k and recent are integers, not booleans
    k = schemas["MemoryRequest"]["properties"]["k"]
    assert k["type"] == "integer"


def test_docs_page_renders_from_local_assets_only(client):
    """/docs must work with no internet: every script, stylesheet and icon it loads is served here."""
    import re

    page = client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    external = [u for u in urls if re.match(r"(?:https?:)?//", u)]
    assert not external, f"/docs loads from another host: {external}"
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    script = next(u for u in urls if u.endswith("swagger-ui-bundle.js"))
    assert "SwaggerUIBundle" in client.get(script).text
