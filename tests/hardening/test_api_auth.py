"""`helio serve` API keys: scopes, owner-bound keys, hash-only storage, no public bind without keys."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from helio_pipeline.api import create_app
from helio_pipeline.cli import main
from helio_pipeline.lib.apikeys import KeyConfigError, load_keys
from helio_pipeline.lib.pg_embedded import find_free_port
from helio_pipeline.lib.processes import spawn
from tests.hardening.conftest import make_keys

HELIO = str(Path(sys.executable).with_name("helio"))


def _owners_seen(body: dict) -> set[str]:
    return {h["payload"]["owner_id"] for h in body["hits"] if h["domain"] == "conversations"}


def test_a_key_bound_to_owner_a_never_sees_owner_b(tenants):
    keys, plain = make_keys(ana_app=(["catalog", "conversations"], "ana"))
    client = TestClient(create_app(tenants, keys), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {plain['ana_app']}"}

    # no owner_id in the request: the key's owner is used
    body = client.get("/search", params={"q": "prazo de entrega Recife", "domain": "conversations", "top_k": 10},
                      headers=auth).json()
    assert body["hits"] and _owners_seen(body) == {"ana"}
    assert "bruno" not in " ".join(h["text"] for h in body["hits"])
    # every domain at once, the default: ana's conversations among them, never bruno's
    body = client.get("/search", params={"q": "entrega Recife bruno", "top_k": 20}, headers=auth).json()
    assert _owners_seen(body) == {"ana"}

    # naming the other owner, however it is named, is refused
    for params in ({"owner_id": "bruno"},
                   {"filter": "owner_id=bruno"},
                   {"filter": 'owner_id=["ana", "bruno"]'}):
        response = client.get("/search", params={"q": "entrega", "domain": "conversations", **params}, headers=auth)
        assert response.status_code == 403, params
        assert "another owner" in response.json()["detail"]

    # memory: the owner comes from the key
    memory = client.post("/memory", json={"correlation_id": "c1", "query": "prazo de entrega Recife", "k": 5},
                         headers=auth)
    assert memory.status_code == 200
    items = memory.json()["items"]
    assert {i["kind"] for i in items} == {"recent", "semantic"}
    assert {i["correlation_id"] for i in items} <= {"c1", "c2"}
    assert "bruno" not in " ".join(i["text"] for i in items)
    # bruno's conversation id gives nothing of bruno's
    items = client.post("/memory", json={"correlation_id": "c3", "query": "entrega Recife", "k": 5},
                        headers=auth).json()["items"]
    assert not [i for i in items if i["correlation_id"] == "c3"]
    assert "bruno" not in " ".join(i["text"] for i in items)
    response = client.post("/memory", json={"owner_id": "bruno", "correlation_id": "c3", "query": "entrega"},
                           headers=auth)
    assert response.status_code == 403


def test_scopes_and_unknown_keys(tenants):
    keys, plain = make_keys(catalog_app=(["catalog"], None), support=(["catalog", "conversations"], None))
    client = TestClient(create_app(tenants, keys), raise_server_exceptions=False)
    catalog = {"X-API-Key": plain["catalog_app"]}

    rules = client.get("/search", params={"q": "frete grátis", "domain": "rules"}, headers=catalog)
    assert rules.status_code == 200 and rules.json()["hits"][0]["payload"]["slug"] == "frete"
    for response in (
        client.get("/search", params={"q": "entrega", "domain": "conversations", "owner_id": "ana"}, headers=catalog),
        client.get("/search", params={"q": "entrega", "owner_id": "ana"}, headers=catalog),  # default domains
        client.post("/memory", json={"owner_id": "ana", "correlation_id": "c1"}, headers=catalog),
    ):
        assert response.status_code == 403
        assert "conversations" in response.json()["detail"]

    for headers in ({}, {"X-API-Key": "helio_not-a-key"}, {"Authorization": "Bearer " + plain["catalog_app"] + "x"},
                    {"Authorization": "Basic " + plain["catalog_app"]}):
        response = client.get("/search", params={"q": "frete", "domain": "rules"}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert isinstance(response.json()["detail"], str)
    assert client.post("/memory", json={"owner_id": "ana", "correlation_id": "c1"}).status_code == 401

    # a key bound to no owner reads the owner the request names (an operator's support tool)
    support = {"X-API-Key": plain["support"]}
    body = client.get("/search", params={"q": "entrega Recife", "domain": "conversations", "owner_id": "bruno",
                                         "top_k": 10}, headers=support).json()
    assert _owners_seen(body) == {"bruno"}
    assert client.get("/health").status_code == 200  # open, counts only


def test_apikey_create_prints_the_key_once_and_stores_only_its_hash(tmp_path, capsys):
    assert main(["apikey", "create", "--name", "assistant", "--scope", "conversations", "--owner", "ana"]) == 0
    out = capsys.readouterr().out
    key = next(word for word in out.split() if word.startswith("helio_"))
    entry = next(line for line in out.splitlines() if line.startswith("sha256:"))
    secrets_file = tmp_path / "helio-keys"
    secrets_file.write_text(f"# keys for helio serve\n{entry}\n")
    assert key not in secrets_file.read_text()

    keys = load_keys(file_name=str(secrets_file))
    found = keys.verify(key)
    assert (found.name, found.owner, sorted(found.scopes)) == ("assistant", "ana", ["conversations"])
    # entries inline, several in one variable
    other_keys, other = make_keys(catalog_app=(["catalog"], None))
    inline = load_keys(inline=f"{entry}; {other_keys.keys[0].entry()}")
    assert inline.verify(key).name == "assistant" and inline.verify(other["catalog_app"]).name == "catalog_app"

    # a key pasted where its hash belongs is refused, and so is an empty or missing file
    secrets_file.write_text(f"{key} name=assistant scopes=conversations\n")
    with pytest.raises(KeyConfigError, match="store only its hash"):
        load_keys(file_name=str(secrets_file))
    secrets_file.write_text("# nothing yet\n")
    with pytest.raises(KeyConfigError, match="holds no keys"):
        load_keys(file_name=str(secrets_file))
    with pytest.raises(KeyConfigError, match="cannot read"):
        load_keys(file_name=str(tmp_path / "missing"))
    assert load_keys() is None


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELIO_API_KEYS")}
    env.update(extra)
    return env


def test_serve_refuses_a_public_address_without_keys(tmp_path):
    result = subprocess.run([HELIO, "serve", "--host", "0.0.0.0", "--port", str(find_free_port(start=18300))],
                            env=_env(DAGSTER_HOME=str(tmp_path)), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("helio: refusing to serve on 0.0.0.0 without API keys")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr

    bad = tmp_path / "keys"
    bad.write_text("helio_plaintext name=x scopes=catalog\n")
    result = subprocess.run([HELIO, "serve", "--host", "0.0.0.0"], env=_env(HELIO_API_KEYS_FILE=str(bad)),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "sha256:" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def serve_env(tmp_path, pg_url, clean_db, bucket_url, s3_endpoint):
    (tmp_path / "home").mkdir()
    return _env(DAGSTER_HOME=str(tmp_path / "home"), HELIO_DATABASE_URL=pg_url, HELIO_S3_URL=bucket_url,
                AWS_ENDPOINT_URL=s3_endpoint, HELIO_EMBEDDER="static", HELIO_COLLECTION_PREFIX="serve")


def _start(env: dict, port: int) -> subprocess.Popen:
    proc = spawn([HELIO, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"helio serve did not start: {proc.communicate()[1]}")


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    return proc.communicate(timeout=30)[1]


def test_serve_with_keys_requires_one_and_without_keys_says_auth_is_off(serve_env, tmp_path):
    keys, plain = make_keys(assistant=(["catalog"], None))
    secrets_file = tmp_path / "keys"
    secrets_file.write_text("\n".join(k.entry() for k in keys.keys) + "\n")

    port = find_free_port(start=18310)
    proc = _start({**serve_env, "HELIO_API_KEYS_FILE": str(secrets_file)}, port)
    try:
        url = f"http://127.0.0.1:{port}/search"
        assert httpx.get(url, params={"q": "frete", "domain": "rules"}).status_code == 401
        ok = httpx.get(url, params={"q": "frete", "domain": "rules"}, headers={"X-API-Key": plain["assistant"]})
        assert ok.status_code == 200 and ok.json()["notes"] == ["rules: not indexed yet"]
    finally:
        err = _stop(proc)
    assert "1 API key(s) from HELIO_API_KEYS_FILE" in err

    port = find_free_port(start=18320)
    proc = _start(serve_env, port)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/search", params={"q": "frete", "domain": "rules"}).status_code == 200
    finally:
        err = _stop(proc)
    assert "authentication is off" in err


def test_a_conversations_only_key_without_domains_searches_its_owner_only(tenants):
    keys, plain = make_keys(portal=(["conversations"], "ana"))
    client = TestClient(create_app(tenants, keys), raise_server_exceptions=False)
    response = client.get("/search", params={"q": "entrega Recife", "top_k": 10}, headers={"X-API-Key": plain["portal"]})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert hits and {h["domain"] for h in hits} == {"conversations"}
    assert {h["payload"]["owner_id"] for h in hits} == {"ana"}
    rules = client.get("/search", params={"q": "frete", "domain": "rules"}, headers={"X-API-Key": plain["portal"]})
    assert rules.status_code == 403
