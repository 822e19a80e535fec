"""Adding a domain is one module and one registry line: a throwaway fifth domain (technical
datasheets, from a PostgreSQL table and an object prefix), defined only in this test and
registered, gets assets, checks, change routing for both sensors, change-log triggers from
``helio db migrate``, hand-written golden evaluation from a file beside it, and search —
without any other file knowing about it."""

from __future__ import annotations

import dataclasses
import json

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from helio_pipeline.domains import DOMAINS, Domain
from helio_pipeline.lib.records import Chunk, Extraction, Problem, SourceAccess
from helio_pipeline.schema import migrate

SHEETS = {
    "fronius-primo-5": ("Fronius", "Inversor Fronius Primo 5.0 monofásico, dois MPPT, display e Wi-Fi integrado"),
    "growatt-mic-1500": ("Growatt", "Microinversor Growatt MIC 1500 com isolamento galvânico e proteção IP65"),
    "canadian-hiku7": ("Canadian Solar", "Módulo Canadian HiKu7 bifacial 665 W de vidro duplo"),
    "byd-hvs-7": ("BYD", "Bateria BYD HVS 7.7 kWh de lítio ferro fosfato para armazenamento"),
    "weg-sw-10": ("WEG", "Inversor trifásico WEG SIW500H 10 kW com monitoramento remoto"),
    "deye-hibrido-8": ("Deye", "Inversor híbrido Deye 8 kW com backup e carregador de bateria"),
}
IN_TABLE = ("fronius-primo-5", "growatt-mic-1500", "canadian-hiku7", "byd-hvs-7")
QUESTIONS = [
    ("bateria de lítio para armazenamento", "byd-hvs-7"),
    ("microinversor com proteção IP65", "growatt-mic-1500"),
    ("módulo bifacial de vidro duplo", "canadian-hiku7"),
    ("inversor híbrido com backup", "deye-hibrido-8"),
    ("inversor trifásico com monitoramento remoto", "weg-sw-10"),
]


def extract_datasheets(sources: SourceAccess) -> Extraction:
    with sources.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text("SELECT slug, maker, body FROM datasheets"))]
    for row in rows:
        row["source"] = "datasheets"
    ex = Extraction(frame=pd.DataFrame())
    for info in sources.objects.list("datasheets/"):
        text = sources.objects.get_bytes(info.key).decode("utf-8", "replace")
        maker, _, body = text.partition("\n")
        if not body.strip():
            ex.quarantined.append(Problem(info.key, "whole file", "no body after the maker line"))
            continue
        rows.append({"slug": info.key.rsplit("/", 1)[-1].removesuffix(".txt"), "maker": maker.strip(),
                     "body": body.strip(), "source": info.key})
    ex.frame = pd.DataFrame(rows, columns=["slug", "maker", "body", "source"])
    ex.rows_per_source = {"datasheets": sum(1 for r in rows if r["source"] == "datasheets"),
                          "datasheets/": sum(1 for r in rows if r["source"] != "datasheets")}
    return ex


def chunk_datasheets(frame: pd.DataFrame) -> list[Chunk]:
    return [Chunk(r["slug"], 0, f"Ficha técnica {r['slug']}: {r['body']}", r["source"], None,
                  {"slug": r["slug"], "maker": r["maker"]}) for r in frame.to_dict("records")]


TRACKING = """
CREATE OR REPLACE FUNCTION kb_log_datasheets() RETURNS trigger AS $$
BEGIN
    INSERT INTO kb_change_log (table_name, row_key, operation)
    VALUES ('datasheets', CASE WHEN TG_OP = 'DELETE' THEN OLD.slug ELSE NEW.slug END, TG_OP);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS kb_datasheets_changes ON datasheets;
CREATE TRIGGER kb_datasheets_changes AFTER INSERT OR UPDATE OR DELETE ON datasheets
    FOR EACH ROW EXECUTE FUNCTION kb_log_datasheets();
"""


@pytest.fixture
def datasheets(kb, monkeypatch):
    """The fifth domain: its module's content, and the one registry line (setitem)."""
    golden = kb.tmp / "datasheets.golden.jsonl"
    golden.write_text("".join(json.dumps({"query": q, "expected": {"slug": s}}, ensure_ascii=False) + "\n"
                              for q, s in QUESTIONS), encoding="utf-8")
    domain = Domain(
        name="datasheets", description="One document per technical datasheet.",
        extract=extract_datasheets, chunk=chunk_datasheets,
        filter_fields={"slug": "keyword", "maker": "keyword"},
        sources=("postgres/datasheets", "s3/datasheets"), change_tracking_sql=TRACKING, golden_file=golden,
    )
    monkeypatch.setitem(DOMAINS, "datasheets", domain)
    with kb.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS datasheets"))
        conn.execute(sa.text("CREATE TABLE datasheets (slug TEXT PRIMARY KEY, maker TEXT, body TEXT)"))
        conn.execute(sa.text("INSERT INTO datasheets VALUES (:s, :m, :b)"),
                     [{"s": s, "m": SHEETS[s][0], "b": SHEETS[s][1]} for s in IN_TABLE])
    for slug, (maker, body) in SHEETS.items():
        if slug not in IN_TABLE:
            kb.objects.put_bytes(f"datasheets/{slug}.txt", f"{maker}\n{body}\n".encode())
    yield domain
    with kb.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS datasheets CASCADE"))
        conn.execute(sa.text("DROP FUNCTION IF EXISTS kb_log_datasheets() CASCADE"))


def test_a_fifth_domain_gets_assets_checks_routing_golden_and_search(kb, datasheets):
    defs = kb.definitions()
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"datasheets_extract", "datasheets_chunks", "datasheets_index", "postgres_datasheets",
            "s3_datasheets"} <= keys
    check_keys = {k.name for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key.path == ["datasheets_index"]}
    assert "golden_query_recall" in check_keys and "point_count_matches_chunks" in check_keys

    result = kb.refresh(domains=["datasheets"])
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert all(c.passed for c in checks.values()), {n: c.metadata for n, c in checks.items() if not c.passed}
    golden = {k: getattr(v, "value", v) for k, v in checks["golden_query_recall"].metadata.items()}
    assert golden["hand_written"] == 5 and golden["queries"] == 5 and golden["recall_at_5"] >= 0.8
    assert kb.index_metadata(result, "datasheets")["new"] == len(SHEETS)

    # search: named, and among every domain when none is named
    knowledge = kb.knowledge_base()
    hits = knowledge.query("bateria de lítio", domains=["datasheets"], top_k=3).hits
    assert hits[0].source_id == "byd-hvs-7" and hits[0].domain == "datasheets"
    assert "datasheets" in knowledge.query("microinversor IP65", top_k=5).per_domain
    only_weg = knowledge.query("inversor", domains=["datasheets"], filters={"maker": "WEG"}).hits
    assert {h.source_id for h in only_weg} == {"weg-sw-10"}

    # change routing: helio db migrate installs its trigger; the change sensor asks for its job
    migrate(kb.engine)
    sensor = defs.get_sensor_def("catalog_change_sensor")
    context = dg.build_sensor_context(instance=kb.instance, resources={"database": kb.resources["database"],
                                                                       "objects": kb.resources["objects"]})
    first = sensor(context)
    with kb.engine.begin() as conn:
        conn.execute(sa.text("UPDATE datasheets SET body = body || ' Garantia de 10 anos.' WHERE slug = 'byd-hvs-7'"))
    cursor = None if isinstance(first, dg.SkipReason) else first.cursor
    changed = sensor(dg.build_sensor_context(instance=kb.instance, cursor=cursor, resources={
        "database": kb.resources["database"], "objects": kb.resources["objects"]}))
    request = next(r for r in changed.run_requests if r.tags["helio/kb"] == "datasheets")
    assert request.run_config["ops"]["datasheets_index"]["config"]["source_ids"] == ["byd-hvs-7"]

    # object drops under its prefix route to it too
    drops = defs.get_sensor_def("object_drop_sensor")
    seen = drops(dg.build_sensor_context(instance=kb.instance, resources={
        "database": kb.resources["database"], "objects": kb.resources["objects"]}))
    kb.objects.put_bytes("datasheets/sma-tripower-15.txt", b"SMA\nInversor SMA Sunny Tripower 15 kW\n")
    dropped = drops(dg.build_sensor_context(instance=kb.instance, cursor=seen.cursor, resources={
        "database": kb.resources["database"], "objects": kb.resources["objects"]}))
    assert [r.tags["helio/kb"] for r in dropped.run_requests] == ["datasheets"]


def test_a_domain_without_golden_queries_fails_its_quality_check(kb, datasheets, monkeypatch):
    """Never recall 1.0 on nothing: without hand-written questions and without derived ones,
    the blocking check and the promotion gate both refuse, saying what to add."""
    monkeypatch.setitem(DOMAINS, "datasheets", dataclasses.replace(datasheets, golden_file=None))
    result = kb.refresh(domains=["datasheets"], raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "0 golden queries" in message and "kb_golden_queries" in message
    assert kb.store.resolve("test-datasheets") is None   # never promoted: search did not start on an unmeasured build


def test_the_golden_minimum_is_a_setting(kb, datasheets, monkeypatch):
    """HELIO_GOLDEN_MIN_QUERIES raises the bar: 5 questions for 6 datasheets are too few for 6."""
    monkeypatch.setenv("HELIO_GOLDEN_MIN_QUERIES", "6")
    result = kb.refresh(domains=["datasheets"], raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "5 golden queries (5 hand-written + 0 derived)" in failure.event_specific_data.error.message
    assert "minimum of 6" in failure.event_specific_data.error.message
