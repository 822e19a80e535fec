"""Hardening, security: one owner per request, and no personal data leaves the KB.

Every case of the issue's security section (1, 2, 3, 5) as a test on the real stack
(PostgreSQL, S3 over HTTP, the embedded Qdrant store). HTTP authentication (4) is in
test_api_auth.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from helio_pipeline.lib.errors import ConfigError
from helio_pipeline.lib.filters import QueryError
from tests.helpers import add_message

# Planted personal data: the scans below look for these exact values in every output.
EMAIL = "maria.planted@example.com.br"
CPF, CPF_DIGITS = "529.982.247-25", "52998224725"
CNPJ, CNPJ_DIGITS = "11.222.333/0001-81", "11222333000181"
PHONE, PHONE_DIGITS = "(11) 98765-4321", "11987654321"
CARD, CARD_DIGITS = "4111 1111 1111 1111", "4111111111111111"
PII_TEXT = f"meu email {EMAIL}, cpf {CPF}, cnpj {CNPJ}, telefone {PHONE} e cartao {CARD}."
PLANTED = (EMAIL, CPF, CPF_DIGITS, CNPJ, CNPJ_DIGITS, PHONE, "98765-4321", PHONE_DIGITS, CARD, CARD_DIGITS)


def leaks(text: str) -> list[str]:
    return [value for value in PLANTED if value in text]


def _owners(kb, n: int = 3) -> list[str]:
    owners = [f"cliente-00{i}" for i in range(1, n + 1)]
    for i, owner in enumerate(owners):
        for turn in range(3):
            add_message(kb.engine, f"conv-{i}", owner, "user" if turn % 2 == 0 else "assistant",
                        f"Cliente {owner} quer saber o prazo de entrega do inversor, pedido {turn}.", minute=turn)
    return owners


# --- 1. the tenant field takes exactly one owner -----------------------------------------

@pytest.mark.parametrize("owner_filter", [
    ["cliente-001", "cliente-002", "cliente-003"],   # the reported cross-tenant read
    ["cliente-001"],                                 # a list, even of one, is not one owner
    {"gte": "cliente-000"},                          # a range spans owners too
    "",                                              # empty
    7,                                               # wrong type
])
def test_search_refuses_anything_but_one_owner(kb, owner_filter):
    _owners(kb)
    assert kb.refresh(domains=["conversations"]).success
    knowledge = kb.knowledge_base()
    with pytest.raises(QueryError, match="owner"):
        knowledge.search("prazo de entrega", domains=["conversations"], filters={"owner_id": owner_filter})
    with pytest.raises(QueryError, match="owner"):  # all domains: conversations are selected by the owner field
        knowledge.search("prazo de entrega", filters={"owner_id": owner_filter})


def test_one_owner_reads_only_its_own_windows(kb):
    owners = _owners(kb)
    assert kb.refresh(domains=["conversations"]).success
    hits = kb.knowledge_base().search("prazo de entrega", domains=["conversations"], top_k=20,
                                      filters={"owner_id": owners[1]})
    assert hits and {h.payload["owner_id"] for h in hits} == {owners[1]}


def test_cli_refuses_a_list_of_owners(cli_env, clean_db, capsys):
    from helio_pipeline.cli import main

    for i, owner in enumerate(("cliente-001", "cliente-002")):
        add_message(clean_db, f"c{i}", owner, "user", "qual o prazo de entrega do inversor?")
    assert main(["refresh"]) == 0
    capsys.readouterr()
    code = main(["search", "prazo", "--domain", "conversations",
                 "--filter", 'owner_id=["cliente-001","cliente-002"]'])
    captured = capsys.readouterr()
    assert code == 2 and "exactly one owner" in captured.err and "Traceback" not in captured.err
    assert "cliente-002" not in captured.out
    assert main(["search", "prazo", "--domain", "conversations", "--owner", "cliente-002", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and {h["payload"]["owner_id"] for h in hits} == {"cliente-002"}


# --- 2. memory and search return no personal data ----------------------------------------

def test_memory_and_search_redact_what_they_return(kb):
    add_message(kb.engine, "conv-pii", "cliente-001", "user", f"Oi, aqui e a Maria. {PII_TEXT}", minute=0)
    add_message(kb.engine, "conv-pii", "cliente-001", "assistant", "Obrigado, vou verificar o pedido.", minute=1)
    add_message(kb.engine, "conv-old", "cliente-001", "user", f"Pedido antigo do inversor. {PII_TEXT}", minute=2)
    assert kb.refresh(domains=["conversations"]).success
    knowledge = kb.knowledge_base()

    items = knowledge.memory("cliente-001", "conv-pii", "pedido antigo do inversor", recent=10, k=3)
    assert {i["kind"] for i in items} == {"recent", "semantic"}
    out = json.dumps(items, ensure_ascii=False)
    assert leaks(out) == [] and "[EMAIL]" in out and "[CPF]" in out

    # the source table keeps its originals; only what leaves the KB is redacted
    with kb.engine.connect() as conn:
        assert EMAIL in conn.execute(sa.text("SELECT content FROM conversation_history WHERE correlation_id = "
                                             "'conv-pii' AND role = 'user'")).scalar_one()
    hits = knowledge.search("pedido inversor", domains=["conversations"], filters={"owner_id": "cliente-001"})
    assert hits and leaks(json.dumps([h.as_dict() for h in hits], ensure_ascii=False)) == []


def test_search_redacts_windows_indexed_while_redaction_was_off(kb, monkeypatch):
    """Points written unredacted (an operator turned redaction off for a while) are still
    returned redacted while redaction is on."""
    monkeypatch.setenv("HELIO_REDACT_PII", "false")
    add_message(kb.engine, "conv-1", "cliente-001", "user", f"Sobre o inversor: {PII_TEXT}")
    assert kb.refresh(domains=["conversations"]).success
    monkeypatch.setenv("HELIO_REDACT_PII", "true")
    kb.resources["knowledge_base"]._kb = None  # a fresh KnowledgeBase reads the setting
    hits = kb.knowledge_base().search("inversor", domains=["conversations"], filters={"owner_id": "cliente-001"})
    assert hits and leaks(hits[0].text) == [] and leaks(hits[0].payload["text"]) == []


# --- 3. nothing derived from conversations is stored or printed unredacted ---------------

def _scan_files(root: Path) -> dict[str, list[str]]:
    found = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        texts = [path.read_bytes().decode("utf-8", errors="ignore")]
        if path.suffix == ".parquet":  # compressed columns: read them as data too
            texts.append(pd.read_parquet(path).to_json(force_ascii=False))
        hits = sorted({v for text in texts for v in leaks(text)})
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def test_a_run_over_pii_laden_bad_input_leaks_nothing(cli_env, clean_db, capsys, bucket_url, s3_endpoint):
    """Bad lines full of personal data (broken JSON with a NUL byte, a bad role, a missing
    field, an empty table row): after `helio refresh`, no file under DAGSTER_HOME, no row of
    kb_quarantine and nothing the CLI printed holds any of it."""
    from helio_pipeline.cli import main
    from helio_pipeline.lib.objectstore import open_object_store

    add_message(clean_db, "conv-ok", "cliente-001", "user", f"Quero um inversor de 5 kW. {PII_TEXT}")
    add_message(clean_db, "conv-ok", "cliente-001", "assistant", "Temos em estoque.", minute=1)
    good = {"correlation_id": "conv-jsonl", "owner_id": "cliente-002", "role": "user",
            "content": f"Preciso de 10 paineis. {PII_TEXT}", "created_at": "2026-11-02T10:00:00Z"}
    bad_role = {**good, "role": "hacker", "content": f"papel errado {PII_TEXT}"}
    no_owner = {**good, "owner_id": None, "content": f"sem dono {PII_TEXT}"}
    # personal data right after an escape: a dumped "\n" or "\x00" must not glue it to a letter
    glued = {**good, "role": "robot", "content": f"Meu telefone:\n{PHONE}\ncpf\n{CPF}\te-mail\n{EMAIL}"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        '{"correlation_id": "conv-x", "owner_id": "cliente-003", "content": "' + PII_TEXT + '\x00 cortado',
        json.dumps(bad_role, ensure_ascii=False),
        json.dumps(no_owner, ensure_ascii=False),
        json.dumps(glued),
        '{"correlation_id": "conv-y", "owner_id": "cliente-004", "content": "tel\x00' + PHONE_DIGITS + '\\n'
        + CPF_DIGITS + ' quebrado',
    ]
    objects = open_object_store(bucket_url, endpoint_url=s3_endpoint)
    objects.put_bytes("conversations/export-pii.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))

    code = main(["refresh"])
    captured = capsys.readouterr()
    assert code == 0, [l for l in captured.err.splitlines() if "Failure" in l or "Error" in l][:10]
    assert leaks(captured.out + captured.err) == []

    with clean_db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(
            "SELECT source, location, reason, raw FROM kb_quarantine WHERE domain = 'conversations'"))]
    assert len(rows) >= 5  # broken lines, bad roles, the missing owner: recorded, not lost
    assert leaks(json.dumps(rows, ensure_ascii=False)) == []
    assert any("[EMAIL]" in r["raw"] for r in rows)  # kept for review, with the personal data out

    assert _scan_files(cli_env) == {}
    # the valid line of the same file is indexed (redacted)
    assert main(["search", "paineis", "--domain", "conversations", "--owner", "cliente-002", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["payload"]["correlation_id"] for h in hits] == ["conv-jsonl"]


def test_an_extraction_that_crashes_on_personal_data_reports_it_redacted(kb, tmp_path):
    """Whatever an extractor of a redacting domain raises (a parser or database error that
    quotes the line) reaches run storage and logs redacted, without its chained causes."""
    from dataclasses import replace

    from helio_pipeline.defs.assets import build_domain_assets
    from helio_pipeline.domains import DOMAINS

    def crashing_extract(sources):
        try:
            raise UnicodeEncodeError("utf-8", f"linha {PII_TEXT}", 0, 1, "surrogates not allowed")
        except UnicodeEncodeError as exc:
            raise ValueError(f"cannot read line 3: {PII_TEXT}") from exc

    domain = replace(DOMAINS["conversations"], extract=crashing_extract)
    home = tmp_path / "crash-home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = dg.materialize(build_domain_assets(domain)[:1], resources=kb.resources, instance=instance,
                                raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "cannot read line 3" in failure.message and "[EMAIL]" in failure.message
    assert leaks(json.dumps(failure.to_string() if hasattr(failure, "to_string") else str(failure))) == []
    assert _scan_files(home) == {}


# --- 5. turning redaction off is an operator decision ------------------------------------

def test_run_config_cannot_turn_redaction_off(kb):
    """The old Launchpad field is gone: passing it changes nothing (or is refused)."""
    add_message(kb.engine, "conv-1", "cliente-001", "user", f"Sobre o inversor: {PII_TEXT}")
    job = kb.definitions().resolve_job_def("kb_refresh")
    selection = [dg.AssetKey(f"conversations_{stage}") for stage in ("extract", "chunks", "index")]
    try:  # Dagster 1.13 accepts config for an op that declares none, and hands it to nobody
        result = job.execute_in_process(instance=kb.instance, asset_selection=selection,
                                        run_config={"ops": {"conversations_extract": {"config": {"redact_pii": False}}}})
    except dg.DagsterInvalidConfigError:
        return
    assert result.success
    held = [p["text"] for p in kb.store.read_index("test-conversations", ("text",)).values()]
    assert held and all(leaks(text) == [] for text in held)


def test_the_operator_setting_turns_redaction_off_and_the_run_says_so(kb, monkeypatch):
    add_message(kb.engine, "conv-1", "cliente-001", "user", f"Sobre o inversor: {PII_TEXT}")
    result = kb.refresh(domains=["conversations"])
    extract = next(e.materialization for e in result.get_asset_materialization_events()
                   if e.materialization.asset_key == dg.AssetKey("conversations_extract"))
    assert extract.metadata["personal_data_redaction"].value == "on"

    monkeypatch.setenv("HELIO_REDACT_PII", "false")
    result = kb.refresh(domains=["conversations"])
    extract = next(e.materialization for e in result.get_asset_materialization_events()
                   if e.materialization.asset_key == dg.AssetKey("conversations_extract"))
    assert extract.metadata["personal_data_redaction"].value.startswith("OFF")
    held = [p["text"] for p in kb.store.read_index("test-conversations", ("text",)).values()]
    assert any(EMAIL in text for text in held)  # really off: the operator asked for it

    # a value that is neither: refused in one line when the code location loads, before any run
    monkeypatch.setenv("HELIO_REDACT_PII", "maybe")
    with pytest.raises(ConfigError, match="HELIO_REDACT_PII") as refused:
        kb.refresh(domains=["conversations"], raise_on_error=False)
    assert "\n" not in str(refused.value)



def test_an_owner_id_with_a_slash_cannot_collide_with_another_tenant(kb):
    """("a/b", "c") and ("a", "b/c") would share the source id "a/b/c": the owner with the
    reserved "/" is quarantined, and the other tenant's conversation stays whole."""
    add_message(kb.engine, "b/c", "a", "user", "Conversa legitima do cliente a sobre inversores.")
    add_message(kb.engine, "c", "a/b", "user", "Tentativa de sobrescrever a conversa de outro cliente.")
    assert kb.refresh(domains=["conversations"]).success
    held = {p["source_id"]: p["text"] for p in kb.store.read_index("test-conversations", ("source_id", "text")).values()}
    assert list(held) == ["a/b/c"] and "legitima" in held["a/b/c"]
    with kb.engine.connect() as conn:
        reason = conn.execute(sa.text("SELECT reason FROM kb_quarantine WHERE domain = 'conversations'")).scalar_one()
    assert "'/'" in reason
