"""The bad-input matrix: every hostile value, broken file and cross-tenant request of the
hardening issue, run against the real stack, with what happened to each.

    python bench/bad_input_matrix.py            # prints one line per case and the totals

Each pipeline case starts from the same valid rows of its domain (a table row and an object
store file), adds one bad input, and runs that domain's refresh through Dagster on a real
PostgreSQL, a real S3 HTTP endpoint (moto), the embedded Qdrant store and the static
embedder. Query cases call the KnowledgeBase, then `helio serve`'s app over HTTP with API
keys (one bound to cliente-001, one catalog-only). Per case it prints:

- outcome: ``quarantined`` (the run succeeded and kb_quarantine names the bad input),
  ``indexed`` (the value was valid after all and is searchable), ``clean error`` (a request
  refused, or a run failed with the project's one-line error), or ``CRASH`` (anything else:
  a traceback, a run that failed on a raw exception);
- valid rows lost: the domain's valid rows not in the collection afterwards (must be 0);
- tenant leaks: hits of another owner in an answer (must be 0);
- personal data leaked: planted e-mails, CPFs, CNPJs, phones and cards found in the quarantine
  table, the run's error messages or any answer (must be 0).

tests/hardening/test_matrix.py runs the same matrix and asserts the totals.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EMAIL, CPF, PHONE = "joana.matrix@example.com", "529.982.247-25", "(11) 98765-4321"
PII = f"email {EMAIL}, cpf {CPF}, fone {PHONE}"
PLANTED = (EMAIL, CPF, "52998224725", PHONE, "98765-4321")

VALID = {  # the rows every case of a domain starts from: none of them may be lost
    "products": {"OK-1", "CSV-OK"},
    "prices": {"OK-1"},
    "rules": {"business_rules:1", "rules/warranty/ok.md"},
    "conversations": {"cliente-001/conv-ok", "cliente-002/conv-jsonl"},
}


@dataclass
class Case:
    name: str
    domain: str
    inject: Callable  # (Env) -> None: adds the bad input to the valid baseline
    bad_id: str | None = None  # a source id that must not be indexed (None: nothing to check)
    check: Callable | None = None  # (Env) -> problem text or None, for case-specific promises


@dataclass
class Outcome:
    case: str
    outcome: str
    lost: int = 0
    tenant_leaks: int = 0
    pii_leaks: int = 0
    detail: str = ""


@dataclass
class Env:
    engine: object
    objects: object
    resources: dict
    home: Path
    notes: list[str] = field(default_factory=list)

    def sql(self, statement: str, **params) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(statement), params)

    def put(self, key: str, data: bytes | str) -> None:
        self.objects.put_bytes(key, data.encode("utf-8") if isinstance(data, str) else data)

    def points(self, domain: str) -> dict[str, dict]:
        store = self.resources["qdrant"].store()
        alias = f"matrix-{domain}"
        return store.read_index(alias, ("source_id", "text")) if store.exists(alias) else {}


# --- the valid baseline -------------------------------------------------------------------

PRODUCT_CSV = "sku,name,manufacturer,category,stock\nCSV-OK,Painel CSV 400W,Sul Solar,module,4\n"
PRICE_CSV = "sku,distributor,tier,price,currency,valid_from\nOK-1,Sul Distribuidora,B1,899.00,BRL,2026-01-01\n"
GOOD_JSONL = json.dumps({"correlation_id": "conv-jsonl", "owner_id": "cliente-002", "role": "user",
                         "content": "Preciso de dez paineis de 400 W.", "created_at": "2026-11-02T10:00:00Z"})


def baseline(env: Env, domain: str) -> None:
    env.sql("INSERT INTO products (sku, name, manufacturer, category, specs, stock) VALUES "
            "('OK-1', 'Painel Tabela 550W mono', 'Acme Solar', 'module', '{\"STC\": 550}', 5)")
    if domain == "products":
        env.put("catalog/products/sul.csv", PRODUCT_CSV)
    if domain == "prices":
        env.sql("INSERT INTO prices (product_id, distributor, tier, price, valid_from) "
                "SELECT id, 'Tabela', 'B1', 950.00, '2026-01-01' FROM products WHERE sku = 'OK-1'")
        env.put("catalog/prices/sul.csv", PRICE_CSV)
    if domain == "rules":
        env.sql("INSERT INTO business_rules (id, slug, title, body, kind) VALUES "
                "(1, 'frete', 'Frete', 'Frete gratis acima de R$ 5.000.', 'logistics')")
        env.put("rules/warranty/ok.md", "# Garantia\n\nInversores têm garantia de dez anos.\n")
    if domain == "conversations":
        env.sql("INSERT INTO conversation_history (correlation_id, owner_id, role, content, created_at) VALUES "
                "('conv-ok', 'cliente-001', 'user', 'Qual o prazo de entrega do inversor?', '2026-11-01T10:00Z')")
        env.put("conversations/export.jsonl", GOOD_JSONL + "\n")


# --- the cases ----------------------------------------------------------------------------

def _jsonl(env: Env, *lines: bytes) -> None:
    env.put("conversations/export.jsonl", b"\n".join([GOOD_JSONL.encode()] + list(lines)) + b"\n")


def _no_front_matter(env: Env) -> str | None:
    texts = [p.get("text", "") for p in env.points("rules").values() if p.get("source_id") == "rules/x/fm.md"]
    if not texts:
        return "the document with front matter was not indexed"
    return "front matter indexed as body text" if any("kind: warranty" in t for t in texts) else None


PIPELINE_CASES = [
    Case("product manufacturer NULL", "products", lambda e: e.sql(
        "INSERT INTO products (sku, name, manufacturer, category) VALUES ('NOMAKER', 'Painel sem fabricante 300W', "
        "NULL, 'module')")),
    Case("CSV stock 99999999999999999999999", "products", lambda e: e.put(
        "catalog/products/sul.csv", PRODUCT_CSV + "BIG-1,Painel Grande,Sul Solar,module,99999999999999999999999\n"),
        bad_id="BIG-1"),
    Case("NUL byte in a malformed CSV line", "products", lambda e: e.put(
        "catalog/products/sul.csv", PRODUCT_CSV + "NUL-1,Painel\x00 quebrado,Sul\n")),
    Case("same SKU twice in a CSV drop", "products", lambda e: e.put(
        "catalog/products/sul.csv", PRODUCT_CSV + "CSV-OK,Painel CSV 400W outro,Sul Solar,module,9\n")),
    Case("unterminated quote in a CSV", "products", lambda e: e.put(
        "catalog/products/sul.csv",
        "sku,name,manufacturer,category,stock\nQ-1,\"Painel aspas 300W,Sul Solar,module,1\n"
        "CSV-OK,Painel CSV 400W,Sul Solar,module,4\n")),
    Case("price 1e400 in a CSV", "prices", lambda e: e.put(
        "catalog/prices/sul.csv", PRICE_CSV + "OK-1,Norte,B3,1e400,BRL,2026-01-01\n")),
    Case("price Infinity in a CSV", "prices", lambda e: e.put(
        "catalog/prices/sul.csv", PRICE_CSV + "OK-1,Norte,B3,Infinity,BRL,2026-01-01\n")),
    Case("price NaN in the table", "prices", lambda e: e.sql(
        "INSERT INTO prices (product_id, distributor, tier, price, valid_from) "
        "SELECT id, 'Leste', 'B3', 'NaN', '2026-01-01' FROM products WHERE sku = 'OK-1'")),
    Case("price line repeated with another value", "prices", lambda e: e.put(
        "catalog/prices/sul.csv", PRICE_CSV + "OK-1,Sul Distribuidora,B1,799.00,BRL,2026-01-01\n")),
    Case("rule slug NULL", "rules", lambda e: e.sql(
        "INSERT INTO business_rules (id, slug, title, body, kind) VALUES (2, NULL, 'Sem slug', "
        "'Devolucoes em ate sete dias.', 'logistics')")),
    Case("Markdown with BOM and front matter", "rules", lambda e: e.put(
        "rules/x/fm.md", "\ufeff---\nkind: warranty\ntitle: Garantia BOM\n---\nTexto da garantia.\n"),
        check=_no_front_matter),
    Case("front matter without a trailing newline", "rules", lambda e: e.put(
        "rules/x/fm.md", "---\nkind: warranty\ntitle: Só front matter\n---"),
        check=lambda e: None if not any("kind: warranty" in p.get("text", "") for p in e.points("rules").values())
        else "front matter indexed as body text"),
    Case("conversation owner_id ''", "conversations", lambda e: e.sql(
        "INSERT INTO conversation_history (correlation_id, owner_id, role, content) VALUES "
        "('conv-anon', '', 'user', 'mensagem sem dono')"), bad_id="/conv-anon"),
    Case("lone surrogate in a JSONL line", "conversations", lambda e: _jsonl(
        e, b'{"correlation_id": "conv-s", "owner_id": "cliente-003", "role": "user", "content": "oi \\ud800", '
           b'"created_at": "2026-11-02T10:00:00Z"}')),
    Case("JSONL with a BOM", "conversations", lambda e: e.put(
        "conversations/export.jsonl", ("\ufeff" + GOOD_JSONL + "\n").encode("utf-8"))),
    Case("invalid UTF-8 in a JSONL line", "conversations", lambda e: _jsonl(
        e, b'{"correlation_id": "conv-u", "owner_id": "cliente-003", "role": "user", "content": "caf\xe9 \xff", '
           b'"created_at": "2026-11-02T10:00:00Z"}'), bad_id="cliente-003/conv-u"),
    Case("NUL byte in a broken JSONL line with personal data", "conversations", lambda e: _jsonl(
        e, ('{"correlation_id": "conv-n", "owner_id": "cliente-003", "content": "' + PII + '\x00 cortado')
        .encode())),
]


def _owners_beyond(allowed: str):
    """Tenant leaks of a search answer: hits of any owner but ``allowed``."""
    return lambda hits: sum(1 for h in hits if h.payload.get("owner_id") != allowed)


def _foreign_memory(items) -> int:
    """Tenant leaks of a memory answer: cliente-001's message in what another owner got."""
    return sum(1 for i in items if "prazo de entrega do inversor" in (i.get("text") or ""))


def _query_cases(kb) -> list[tuple[str, Callable, Callable]]:
    """(name, request, tenant leaks of its answer) — the owner asked about is cliente-001."""
    nested: dict = {"gte": 0}
    for _ in range(2000):
        nested = {"gte": nested}
    two = {"owner_id": ["cliente-001", "cliente-002"]}
    return [
        ("owner_id list in a filter", lambda: kb.search("prazo", domains=["conversations"], filters=two),
         _owners_beyond("cliente-001")),
        ("owner_id list, all domains", lambda: kb.search("prazo", filters=two), _owners_beyond("cliente-001")),
        ("owner_id range", lambda: kb.search("prazo", domains=["conversations"],
                                             filters={"owner_id": {"gte": "cliente-000"}}),
         _owners_beyond("cliente-001")),
        ("power_w range with NaN", lambda: kb.search("painel", domains=["products"],
                                                     filters={"power_w": {"gte": math.nan}}), None),
        ("stock 99999999999999999999999", lambda: kb.search("painel", domains=["products"],
                                                            filters={"stock": 99999999999999999999999}), None),
        ("filter nested 2,000 levels", lambda: kb.search("painel", domains=["products"], filters={"power_w": nested}),
         None),
        ("memory with a NUL in owner_id", lambda: kb.memory("cliente-001\x00", "conv-ok", "prazo"), _foreign_memory),
        ("memory with a NUL in correlation_id", lambda: kb.memory("cliente-002", "conv\x00ok", "prazo"),
         _foreign_memory),
        ("memory with a lone surrogate query", lambda: kb.memory("cliente-002", "conv-ok", "prazo \ud800"),
         _foreign_memory),
        ("memory of another owner's conversation", lambda: kb.memory("cliente-002", "conv-ok", "prazo de entrega"),
         _foreign_memory),
    ]


# --- running ------------------------------------------------------------------------------

def _pii(text: str) -> int:
    return sum(text.count(value) for value in PLANTED)


def _reset(env: Env) -> None:
    with env.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE products, prices, business_rules, conversation_history, kb_quarantine "
                             "RESTART IDENTITY CASCADE"))
    for prefix in ("catalog/", "rules/", "conversations/"):
        for obj in env.objects.list(prefix):
            env.objects.delete(obj.key)
    from helio_pipeline.vectorstore import close_embedded_stores

    close_embedded_stores()
    env.resources["qdrant"]._store = None
    shutil.rmtree(env.home / "qdrant", ignore_errors=True)


def run_case(env: Env, case: Case) -> Outcome:
    import dagster as dg

    from helio_pipeline.definitions import build_definitions
    from helio_pipeline.jobs import materialize_in_process

    _reset(env)
    baseline(env, case.domain)
    case.inject(env)
    defs = build_definitions(env.resources, shards={})
    (env.home / "dagster").mkdir(exist_ok=True)
    with dg.instance_for_test(temp_dir=str(env.home / "dagster")) as instance:
        try:
            result = materialize_in_process(defs, instance, [case.domain], raise_on_error=False)
        except Exception as exc:  # noqa: BLE001 - the matrix records it
            return Outcome(case.name, "CRASH", detail=f"{type(exc).__name__}: {exc}"[:200])
        failures = [e.step_failure_data.error for e in result.get_step_failure_events()]
    with env.engine.connect() as conn:
        quarantine = [dict(r._mapping) for r in conn.execute(sa.text(
            "SELECT source, location, reason, raw FROM kb_quarantine WHERE domain = :d"), {"d": case.domain})]
    held = {p.get("source_id") for p in env.points(case.domain).values()}
    outcome = Outcome(case.name, "", lost=len(VALID[case.domain] - held),
                      pii_leaks=_pii(json.dumps(quarantine, ensure_ascii=False)
                                     + "".join(f.message for f in failures if f)))
    if failures:
        ours = all(f.cls_name == "Failure" for f in failures if f)
        outcome.outcome = "clean error" if ours else "CRASH"
        outcome.detail = (failures[0].message or "").strip().splitlines()[0][:160]
    elif quarantine:
        outcome.outcome = "quarantined"
        outcome.detail = "; ".join(f"{q['source']} {q['location']}: {q['reason']}" for q in quarantine)[:160]
    else:
        outcome.outcome = "indexed"
    if case.bad_id and case.bad_id in held:
        outcome.outcome, outcome.detail = "BAD INDEXED", f"{case.bad_id} is in the collection"
    problem = case.check(env) if case.check and not failures else None
    if problem:
        outcome.outcome, outcome.detail = "WRONG", problem
    return outcome


def run_query_cases(env: Env) -> list[Outcome]:
    from helio_pipeline.lib.errors import HelioError

    _reset(env)
    baseline(env, "conversations")
    import dagster as dg

    from helio_pipeline.definitions import build_definitions
    from helio_pipeline.jobs import materialize_in_process

    defs = build_definitions(env.resources, shards={})
    (env.home / "dagster").mkdir(exist_ok=True)
    with dg.instance_for_test(temp_dir=str(env.home / "dagster")) as instance:
        materialize_in_process(defs, instance, ["products", "conversations"], raise_on_error=False)
    env.resources["knowledge_base"]._kb = None
    kb = env.resources["knowledge_base"].knowledge_base()
    outcomes = []
    for name, call, tenant_leaks in _query_cases(kb):
        try:
            answer = call()
        except HelioError as exc:  # QueryError included: the request is refused with a reason
            outcomes.append(Outcome(name, "clean error", pii_leaks=_pii(str(exc)), detail=str(exc)[:160]))
            continue
        except Exception as exc:  # noqa: BLE001 - the matrix records it
            outcomes.append(Outcome(name, "CRASH", detail=f"{type(exc).__name__}: {exc}"[:160]))
            continue
        shown = json.dumps([h.as_dict() if hasattr(h, "as_dict") else h for h in answer], default=str,
                           ensure_ascii=False)
        outcomes.append(Outcome(name, "answered", tenant_leaks=tenant_leaks(answer) if tenant_leaks else 0,
                                pii_leaks=_pii(shown), detail=f"{len(answer)} items"))
    return outcomes


def run_http_cases(env: Env) -> list[Outcome]:
    """The same hostile requests over HTTP, as `helio serve` answers them: a key bound to
    cliente-001 and a catalog-only key. Must be 4xx with a reason, never a 5xx or another
    owner's data. Expects the index built by run_query_cases."""
    from fastapi.testclient import TestClient

    from helio_pipeline.api import create_app
    from helio_pipeline.lib.apikeys import KeyRing, create_key

    owner_key, owner_record = create_key("matrix-owner", ["catalog", "conversations"], "cliente-001")
    catalog_key, catalog_record = create_key("matrix-catalog", ["catalog"])
    client = TestClient(create_app(env.resources["knowledge_base"].knowledge_base(),
                                   KeyRing([owner_record, catalog_record], "matrix")))
    as_owner = {"Authorization": f"Bearer {owner_key}"}
    cases = [
        ("HTTP: no key", lambda: client.get("/search", params={"q": "painel"})),
        ("HTTP: owner key asks for another owner", lambda: client.get(
            "/search", headers=as_owner, params={"q": "prazo", "domain": "conversations", "owner_id": "cliente-002"})),
        ("HTTP: owner key filters on a list of owners", lambda: client.get(
            "/search", headers=as_owner, params={"q": "prazo", "domain": "conversations",
                                                 "filter": 'owner_id=["cliente-001","cliente-002"]'})),
        ("HTTP: catalog key reads conversations", lambda: client.get(
            "/search", headers={"X-API-Key": catalog_key},
            params={"q": "prazo", "domain": "conversations", "owner_id": "cliente-002"})),
        ("HTTP: memory of another owner", lambda: client.post(
            "/memory", headers=as_owner, json={"owner_id": "cliente-002", "correlation_id": "conv-jsonl",
                                               "query": "paineis"})),
        ("HTTP: power_w NaN", lambda: client.get(
            "/search", headers=as_owner, params={"q": "painel", "domain": "products", "filter": 'power_w={"gte":NaN}'})),
        ("HTTP: memory with NUL in owner_id", lambda: client.post(
            "/memory", headers=as_owner, json={"owner_id": "cliente-001\x00", "correlation_id": "conv-ok"})),
        ("HTTP: k=false", lambda: client.post(
            "/memory", headers=as_owner, json={"correlation_id": "conv-ok", "k": False})),
    ]
    outcomes = []
    for name, call in cases:
        response = call()
        body = response.text
        leaks = body.count("cliente-002") + body.count("Preciso de dez paineis")
        outcome = "clean error" if 400 <= response.status_code < 500 else (
            "CRASH" if response.status_code >= 500 else "answered")
        outcomes.append(Outcome(name, outcome, tenant_leaks=leaks if outcome == "answered" else 0,
                                pii_leaks=_pii(body), detail=f"{response.status_code} {body[:140]}"))
    return outcomes


def build_env(pg_url: str, s3_endpoint: str, home: Path) -> Env:
    from helio_pipeline.defs.resources import (
        EmbedderResource, KnowledgeBaseResource, ObjectStoreResource, QdrantResource, SourceDatabase,
    )
    from helio_pipeline.defs.io_managers import ParquetIOManager
    from helio_pipeline.lib.db import make_engine
    from helio_pipeline.lib.objectstore import S3ObjectStore
    from helio_pipeline.schema import migrate

    bucket = f"matrix-{uuid.uuid4().hex[:8]}"
    S3ObjectStore(bucket, endpoint_url=s3_endpoint).ensure_bucket()
    database = SourceDatabase(url=pg_url)
    qdrant = QdrantResource(path=str(home / "qdrant"), collection_prefix="matrix")
    embedder = EmbedderResource(kind="static")
    resources = {
        "database": database,
        "objects": ObjectStoreResource(url=f"s3://{bucket}/kb", endpoint_url=s3_endpoint),
        "qdrant": qdrant,
        "embedder": embedder,
        "knowledge_base": KnowledgeBaseResource(qdrant=qdrant, embedder=embedder, database=database),
        "parquet_io_manager": ParquetIOManager(base_dir=str(home / "snapshots")),
    }
    engine = make_engine(pg_url)
    migrate(engine, demo=True)
    return Env(engine, resources["objects"].store(), resources, home)


def run_matrix(env: Env) -> list[Outcome]:
    return [run_case(env, case) for case in PIPELINE_CASES] + run_query_cases(env) + run_http_cases(env)


def totals(outcomes: list[Outcome]) -> dict:
    counts: dict = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    return {"cases": len(outcomes), **counts, "valid rows lost": sum(o.lost for o in outcomes),
            "tenant leaks": sum(o.tenant_leaks for o in outcomes),
            "personal data leaked": sum(o.pii_leaks for o in outcomes)}


def print_report(outcomes: list[Outcome]) -> None:
    print(f"{'case':<52}{'outcome':<14}{'lost':>5}{'tenant':>8}{'pii':>5}  detail")
    for o in outcomes:
        print(f"{o.case:<52}{o.outcome:<14}{o.lost:>5}{o.tenant_leaks:>8}{o.pii_leaks:>5}  {o.detail}")
    print("\ntotals: " + ", ".join(f"{k}: {v}" for k, v in totals(outcomes).items()))


def main() -> int:
    from moto.server import ThreadedMotoServer

    from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("dagster").setLevel(logging.ERROR)
    os.environ.update(AWS_ACCESS_KEY_ID="matrix", AWS_SECRET_ACCESS_KEY="matrix", AWS_DEFAULT_REGION="us-east-1")
    home = Path(tempfile.mkdtemp(prefix="helio-matrix-"))
    from helio_pipeline import settings

    server = EmbeddedPostgres(home / "postgres", fast=True, pg_bin=settings.load().pg_bin)
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    try:
        host, port = s3.get_host_and_port()
        outcomes = run_matrix(build_env(server.start(), f"http://{host}:{port}", home))
        print_report(outcomes)
        t = totals(outcomes)
        return 0 if not (t["valid rows lost"] or t["tenant leaks"] or t["personal data leaked"]
                         or t.get("CRASH") or t.get("BAD INDEXED") or t.get("WRONG")) else 1
    finally:
        from helio_pipeline.vectorstore import close_embedded_stores

        close_embedded_stores()
        s3.stop()
        server.stop(force=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
