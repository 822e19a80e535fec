"""One bad value never stalls a whole domain: the run succeeds, the bad row or line is in
kb_quarantine with its location and reason, and everything else from the same table or file
is indexed. Real PostgreSQL, S3 (moto) and Qdrant, through the Dagster job."""

import json

import sqlalchemy as sa

from helio_pipeline.lib.quarantine import record_problems
from helio_pipeline.lib.records import Problem
from tests.helpers import add_message, add_price, add_product, add_rule, execute

PRODUCT_HEADER = "sku,name,manufacturer,category,stock\n"
PRICE_HEADER = "sku,distributor,tier,price,currency,valid_from,valid_to\n"


def quarantine(kb, domain: str) -> dict[tuple[str, str], dict]:
    """{(source, location): row} of everything kb_quarantine holds for ``domain``."""
    with kb.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT source, location, reason, raw FROM kb_quarantine WHERE domain = :d"),
                            {"d": domain})
        return {(r.source, r.location): dict(r._mapping) for r in rows}


def indexed(kb, domain: str) -> set[str]:
    return {v["source_id"] for v in kb.store.read_index(f"test-{domain}").values()}


def refresh_ok(kb, domain: str):
    result = kb.refresh(domains=[domain], raise_on_error=False)
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    return result


def conversation_line(owner: str, content: str, minute: int = 0, correlation: str = "conv-9") -> str:
    return json.dumps({"correlation_id": correlation, "owner_id": owner, "role": "user", "content": content,
                       "created_at": f"2026-10-01T10:{minute:02d}:00Z"}, ensure_ascii=False)


# --- 6: NULLs and empty keys in the source tables ----------------------------------------

def test_product_with_null_manufacturer_is_indexed_with_the_others(kb):
    add_product(kb.engine, "SKU-1", "Painel Solar Alfa 550")
    add_product(kb.engine, "SKU-2", "Painel Solar Beta 600", manufacturer=None)
    refresh_ok(kb, "products")
    assert indexed(kb, "products") == {"SKU-1", "SKU-2"}
    hit = kb.knowledge_base().search("Painel Solar Beta 600", domains=["products"], top_k=1)[0]
    assert hit.source_id == "SKU-2" and "não informado" in hit.text


def test_rule_with_null_slug_is_indexed_under_a_slug_made_from_its_id(kb):
    add_rule(kb.engine, "frete", "Política de frete", "Frete CIF acima de R$ 10 mil.", "logistics")
    rule_id = add_rule(kb.engine, None, "Garantia de inversores", "Inversores têm dez anos de garantia.")
    refresh_ok(kb, "rules")
    assert indexed(kb, "rules") == {"business_rules:1", f"business_rules:{rule_id}"}
    point = next(v for v in kb.store.read_index("test-rules", fields=("source_id", "slug")).values()
                 if v["source_id"] == f"business_rules:{rule_id}")
    assert point["slug"] == f"business-rule-{rule_id}"


def test_conversation_with_empty_owner_is_quarantined_and_the_rest_indexed(kb):
    add_message(kb.engine, "conv-1", "cliente-1", "user", "Qual o prazo de entrega do inversor?")
    add_message(kb.engine, "conv-2", "", "user", "Mensagem sem dono", minute=1)
    refresh_ok(kb, "conversations")
    assert indexed(kb, "conversations") == {"cliente-1/conv-1"}
    problem = quarantine(kb, "conversations")[("conversation_history", "id 2")]
    assert "owner_id" in problem["reason"]


# --- 7: values the payload and the Parquet snapshot cannot hold -------------------------

def test_huge_stock_in_a_csv_drop_is_quarantined_and_the_good_line_indexed(kb):
    kb.objects.put_bytes("catalog/products/drop.csv", (
        PRODUCT_HEADER + "NEW-1,Painel Gama 500,Nova Energia,module,99999999999999999999999\n"
        "NEW-2,Painel Delta 450,Nova Energia,module,7\n").encode())
    refresh_ok(kb, "products")
    assert indexed(kb, "products") == {"NEW-2"}
    problem = quarantine(kb, "products")[("catalog/products/drop.csv", "line 2")]
    assert "stock" in problem["reason"] and "99999999999999999999999" in problem["reason"]


def _price_catalog(kb) -> None:
    pid = add_product(kb.engine, "SKU-1", "Painel Solar Alfa 550")
    add_price(kb.engine, pid, "Solar Atacado SP", "B1", 1000)
    add_product(kb.engine, "SKU-2", "Painel Solar Beta 600")
    add_product(kb.engine, "SKU-3", "Painel Solar Gama 650")


def test_infinite_prices_are_quarantined_and_the_good_line_indexed(kb):
    _price_catalog(kb)
    kb.objects.put_bytes("catalog/prices/eco.csv", (
        PRICE_HEADER + "SKU-2,EcoVolt,B1,1e400,BRL,2026-01-01,\n"
        "SKU-2,EcoVolt,B3,Infinity,BRL,2026-01-01,\n"
        "SKU-3,EcoVolt,B1,777.50,BRL,2026-01-01,\n").encode())
    refresh_ok(kb, "prices")
    assert indexed(kb, "prices") == {"SKU-1", "SKU-3"}
    problems = quarantine(kb, "prices")
    assert "1e400" in problems[("catalog/prices/eco.csv", "line 2")]["reason"]
    assert "Infinity" in problems[("catalog/prices/eco.csv", "line 3")]["reason"]


def test_nan_price_is_quarantined_and_the_runs_other_quarantine_rows_kept(kb):
    _price_catalog(kb)
    kb.objects.put_bytes("catalog/prices/eco.csv", (
        PRICE_HEADER + "SKU-2,EcoVolt,B1,NaN,BRL,2026-01-01,\n"
        "SKU-2,EcoVolt,B2,10,BRL,2026-01-01,\n"
        "SKU-3,EcoVolt,B1,777.50,BRL,2026-01-01,\n").encode())
    refresh_ok(kb, "prices")
    assert indexed(kb, "prices") == {"SKU-1", "SKU-3"}
    problems = quarantine(kb, "prices")
    assert "NaN" in problems[("catalog/prices/eco.csv", "line 2")]["reason"]
    assert "B2" in problems[("catalog/prices/eco.csv", "line 3")]["reason"]  # not lost with the NaN


def test_nan_price_in_the_prices_table_is_reported_as_nan(kb):
    _price_catalog(kb)
    add_price(kb.engine, 2, "Solar Atacado SP", "B1", 900)
    execute(kb.engine, "UPDATE prices SET price = 'NaN' WHERE product_id = 2")
    refresh_ok(kb, "prices")
    assert indexed(kb, "prices") == {"SKU-1"}
    assert "NaN" in quarantine(kb, "prices")[("prices", "id 2")]["reason"]


# --- 8: characters PostgreSQL or UTF-8 cannot hold --------------------------------------

def test_nul_byte_in_a_malformed_csv_line_is_quarantined_visibly(kb):
    kb.objects.put_bytes("catalog/products/drop.csv", (
        PRODUCT_HEADER + "NEW-1,Painel\x00 quebrado,Nova,module\n"
        "NEW-2,Painel Delta 450,Nova Energia,module,7\n").encode())
    refresh_ok(kb, "products")
    assert indexed(kb, "products") == {"NEW-2"}
    problem = quarantine(kb, "products")[("catalog/products/drop.csv", "line 2")]
    assert "expected 5 fields" in problem["reason"] and "\\x00" in problem["raw"]


def test_quarantine_insert_stores_nul_bytes_and_surrogates_visibly(clean_db):
    weird = "a\x00b\ud800c"
    assert record_problems(clean_db, "run-1", "products", [Problem(weird, weird, weird, weird),
                                                           Problem("drop.csv", "line 3", "fine")]) == 2
    with clean_db.connect() as conn:
        rows = conn.execute(sa.text("SELECT source, location, reason, raw FROM kb_quarantine ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("a\\x00b\\ud800c",) * 4, ("drop.csv", "line 3", "fine", "")]


def test_lone_surrogate_in_a_jsonl_line_is_quarantined(kb):
    kb.objects.put_bytes("conversations/export.jsonl", (
        conversation_line("cliente-2", "oi SURROGATE tudo bem").replace("SURROGATE", "\\ud800") + "\n"
        + conversation_line("cliente-2", "Preciso de um inversor de 5 kW", minute=1) + "\n").encode())
    refresh_ok(kb, "conversations")
    assert indexed(kb, "conversations") == {"cliente-2/conv-9"}
    problem = quarantine(kb, "conversations")[("conversations/export.jsonl", "line 1")]
    assert "surrogate" in problem["reason"] and "\\ud800" in problem["raw"]
    hit = kb.knowledge_base().search("inversor", domains=["conversations"], filters={"owner_id": "cliente-2"})
    assert "tudo bem" not in hit[0].text


# --- also: duplicates, BOMs, bad bytes, open quotes, front matter -------------------------

def test_duplicate_sku_in_a_csv_drop_quarantines_the_later_line_naming_both(kb):
    kb.objects.put_bytes("catalog/products/drop.csv", (
        PRODUCT_HEADER + "NEW-1,Painel Gama 500,Nova Energia,module,5\n"
        "NEW-2,Painel Delta 450,Nova Energia,module,7\n"
        "NEW-1,Painel Gama 500 v2,Nova Energia,module,9\n").encode())
    refresh_ok(kb, "products")
    assert indexed(kb, "products") == {"NEW-1", "NEW-2"}
    problem = quarantine(kb, "products")[("catalog/products/drop.csv", "line 4")]
    assert "NEW-1" in problem["reason"] and "line 2" in problem["reason"]


def test_price_line_repeated_with_another_value_quarantines_the_later_line(kb):
    _price_catalog(kb)
    kb.objects.put_bytes("catalog/prices/eco.csv", (
        PRICE_HEADER + "SKU-3,EcoVolt,B1,777.50,BRL,2026-01-01,\n"
        "SKU-3,EcoVolt,B1,555.00,BRL,2026-01-01,\n").encode())
    refresh_ok(kb, "prices")
    assert indexed(kb, "prices") == {"SKU-1", "SKU-3"}
    problem = quarantine(kb, "prices")[("catalog/prices/eco.csv", "line 3")]
    assert "line 2" in problem["reason"] and "555" in problem["reason"]
    point = next(v for v in kb.store.read_index("test-prices", fields=("source_id", "price")).values()
                 if v["source_id"] == "SKU-3")
    assert point["price"] == [777.5]


def test_jsonl_with_a_bom_keeps_its_first_line(kb):
    kb.objects.put_bytes("conversations/export.jsonl", (
        "\ufeff" + conversation_line("cliente-2", "Bom dia, quero um orçamento de telhado") + "\n"
        + conversation_line("cliente-2", "Claro", minute=1) + "\n").encode())
    refresh_ok(kb, "conversations")
    assert quarantine(kb, "conversations") == {}
    hits = kb.knowledge_base().search("orçamento de telhado", domains=["conversations"],
                                      filters={"owner_id": "cliente-2"})
    assert "orçamento de telhado" in hits[0].text


def test_invalid_utf8_in_a_jsonl_line_is_quarantined_not_replaced(kb):
    kb.objects.put_bytes("conversations/export.jsonl", (
        conversation_line("cliente-2", "caf\udce9 quente").encode("utf-8", "surrogateescape") + b"\n"
        + conversation_line("cliente-2", "Preciso de um inversor", minute=1).encode() + b"\n"))
    refresh_ok(kb, "conversations")
    problem = quarantine(kb, "conversations")[("conversations/export.jsonl", "line 1")]
    assert "UTF-8" in problem["reason"] and "\\xe9" in problem["raw"]
    hits = kb.knowledge_base().search("inversor", domains=["conversations"], filters={"owner_id": "cliente-2"})
    assert "\ufffd" not in hits[0].text and "caf" not in hits[0].text


def test_unterminated_quote_in_a_csv_is_quarantined_and_the_next_line_recovered(kb):
    kb.objects.put_bytes("catalog/products/drop.csv", (
        PRODUCT_HEADER + 'NEW-1,"Painel Gama 500,Nova Energia,module,5\n'
        "NEW-2,Painel Delta 450,Nova Energia,module,7\n"
        'NEW-3,"Painel Épsilon, 2 faces\nbifacial",Nova Energia,module,3\n'  # a quoted line break is valid
        'NEW-4,Painel Zeta 300,Nova Energia,module,"2\n').encode())  # open to the end of the file
    refresh_ok(kb, "products")
    assert indexed(kb, "products") == {"NEW-2", "NEW-3"}
    problems = quarantine(kb, "products")
    assert set(problems) == {("catalog/products/drop.csv", "line 2"), ("catalog/products/drop.csv", "line 6")}
    assert all("quote" in p["reason"] for p in problems.values())


def test_markdown_with_a_bom_keeps_front_matter_out_of_the_body(kb):
    kb.objects.put_bytes("rules/misc/garantia.md", (
        "\ufeff---\ntitle: Garantia de módulos\nkind: warranty\n---\nMódulos têm 12 anos de garantia de produto.\n"
    ).encode())
    refresh_ok(kb, "rules")
    hit = kb.knowledge_base().search("garantia de módulos", domains=["rules"], top_k=1)[0]
    assert hit.text == "Garantia de módulos\nMódulos têm 12 anos de garantia de produto."
    point = kb.store.read_index("test-rules", fields=("source_id", "kind", "title"))
    assert list(point.values()) == [{"source_id": "rules/misc/garantia.md", "kind": "warranty",
                                     "title": "Garantia de módulos"}]


def test_front_matter_without_a_trailing_newline_is_not_indexed_as_body(kb):
    kb.objects.put_bytes("rules/warranty/so-cabecalho.md", b"---\ntitle: Rascunho\nkind: warranty\n---")
    kb.objects.put_bytes("rules/warranty/garantia.md", "# Garantia\n\nDez anos.".encode())
    refresh_ok(kb, "rules")
    assert indexed(kb, "rules") == {"rules/warranty/garantia.md"}
    problem = quarantine(kb, "rules")[("rules/warranty/so-cabecalho.md", "whole file")]
    assert "no text" in problem["reason"]
