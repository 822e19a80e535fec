"""Hardening, protection must not contradict itself (issue items 9 and 10).

A source that was indexed before and cannot be read now keeps its points (a failed
extraction never deletes indexed data). The blocking checks must then count those points as
expected instead of failing every run, and a domain that depends on another domain's rows
(prices on the catalog) must treat the other domain's unreadable sources as still present.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.helpers import add_product, add_rule

PRODUCTS_CSV = "catalog/products/distribuidor-sul.csv"
PRICES_CSV = "catalog/prices/distribuidor-sul.csv"
GOOD_PRODUCTS = (
    "sku,name,manufacturer,category,stock\n"
    "SUL-100,Painel Sul 450W mono,Sul Solar,module,5\n"
    "SUL-200,Inversor Sul 5kW,Sul Solar,inverter,3\n"
)
BROKEN_PRODUCTS = "codigo;nome;fabricante\nSUL-100;Painel Sul 450W mono;Sul Solar\n"  # wrong header: unreadable
PRICES = (
    "sku,distributor,tier,price,currency,valid_from\n"
    "SUL-100,Sul Distribuidora,B1,799.90,BRL,2026-01-01\n"
    "TAB-1,Sul Distribuidora,B1,1999.00,BRL,2026-01-01\n"
)


def _checks(result) -> dict[str, bool]:
    return {c.check_name: c.passed for c in result.get_asset_check_evaluations()}


def _source_ids(kb, domain: str) -> set[str]:
    return {p["source_id"] for p in kb.store.read_index(f"test-{domain}", ("source_id",)).values()}


def test_an_unreadable_product_drop_keeps_its_points_and_the_checks_pass(kb):
    add_product(kb.engine, "TAB-1", "Painel Tabela 550W", category="module")
    kb.objects.put_bytes(PRODUCTS_CSV, GOOD_PRODUCTS.encode())
    assert kb.refresh(domains=["products"]).success
    assert {"SUL-100", "SUL-200", "TAB-1"} <= _source_ids(kb, "products")

    kb.objects.put_bytes(PRODUCTS_CSV, BROKEN_PRODUCTS.encode())
    result = kb.refresh(domains=["products"], raise_on_error=False)
    assert result.success, {k: v for k, v in _checks(result).items() if not v}
    checks = _checks(result)
    assert checks["point_count_matches_chunks"] and checks["no_unknown_source_ids"]
    # the file's products stay searchable until the distributor sends a readable file
    assert {"SUL-100", "SUL-200", "TAB-1"} <= _source_ids(kb, "products")
    with kb.engine.connect() as conn:
        reasons = conn.execute(sa.text("SELECT location, reason FROM kb_quarantine WHERE source = :s"),
                               {"s": PRODUCTS_CSV}).all()
    assert reasons and "header" in reasons[-1].reason

    # a readable file again: the run goes back to syncing it (SUL-200 dropped by the distributor;
    # a third of this tiny catalog, so the mass-delete guard is told it is expected)
    kb.objects.put_bytes(PRODUCTS_CSV, GOOD_PRODUCTS.replace("SUL-200,Inversor Sul 5kW,Sul Solar,inverter,3\n", "")
                         .encode())
    assert kb.refresh(domains=["products"], index_config={"allow_mass_delete": True}).success
    assert _source_ids(kb, "products") == {"SUL-100", "TAB-1"}


def test_an_unreadable_rules_document_keeps_its_chunks_and_the_checks_pass(kb):
    add_rule(kb.engine, "frete", "Frete", "Frete gratis acima de R$ 5.000 para todo o Sul.", kind="logistics")
    long_body = "\n\n".join(f"Paragrafo {i}: a garantia de inversores cobre defeitos de fabricacao por dez anos "
                            "quando a instalacao segue a NBR 16690 e o manual do fabricante." * 4 for i in range(12))
    kb.objects.put_bytes("rules/warranty/garantia.md", f"# Garantia\n\n{long_body}\n".encode())
    assert kb.refresh(domains=["rules"]).success
    before = kb.store.count("test-rules")
    assert before > 2  # the document is several chunks

    kb.objects.put_bytes("rules/warranty/garantia.md", b"\xff\xfe\x00broken \xc3\x28 not utf-8")
    result = kb.refresh(domains=["rules"], raise_on_error=False)
    assert result.success, {k: v for k, v in _checks(result).items() if not v}
    assert kb.store.count("test-rules") == before
    assert "rules/warranty/garantia.md" in _source_ids(kb, "rules")


def test_a_price_of_a_product_from_an_unreadable_drop_is_kept_not_deleted(kb):
    """Issue item 10: the products CSV that introduced SUL-100 is quarantined as a whole; the
    valid price line of SUL-100 (another file) must not be deleted as "unknown sku"."""
    add_product(kb.engine, "TAB-1", "Painel Tabela 550W", category="module")
    kb.objects.put_bytes(PRODUCTS_CSV, GOOD_PRODUCTS.encode())
    kb.objects.put_bytes(PRICES_CSV, PRICES.encode())
    assert kb.refresh(domains=["products", "prices"]).success
    assert _source_ids(kb, "prices") == {"SUL-100", "TAB-1"}
    text_before = {p["source_id"]: p["text"] for p in kb.store.read_index("test-prices", ("source_id", "text")).values()}

    kb.objects.put_bytes(PRODUCTS_CSV, BROKEN_PRODUCTS.encode())
    result = kb.refresh(domains=["products", "prices"], raise_on_error=False)
    assert result.success, {k: v for k, v in _checks(result).items() if not v}
    meta = kb.index_metadata(result, "prices")
    assert meta["deleted"] == 0
    held = {p["source_id"]: p["text"] for p in kb.store.read_index("test-prices", ("source_id", "text")).values()}
    assert held == text_before  # kept as it was, product name included
    with kb.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT location, reason FROM kb_quarantine WHERE domain = 'prices' "
                                    "AND source = :s"), {"s": PRICES_CSV}).all()
    assert [r.location for r in rows] == ["line 2"] and PRODUCTS_CSV in rows[0].reason  # said, not silent

    # a price line for a SKU no source has ever known is still refused as unknown
    kb.objects.put_bytes(PRICES_CSV, (PRICES + "NUNCA-1,Sul Distribuidora,B1,10.00,BRL,2026-01-01\n").encode())
    kb.objects.put_bytes(PRODUCTS_CSV, GOOD_PRODUCTS.encode())
    assert kb.refresh(domains=["products", "prices"]).success
    with kb.engine.connect() as conn:
        reason = conn.execute(sa.text("SELECT reason FROM kb_quarantine WHERE domain = 'prices' AND location = "
                                      "'line 4' ORDER BY id DESC LIMIT 1")).scalar_one()
    assert "unknown sku" in reason
