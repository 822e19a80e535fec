"""Extractors against real PostgreSQL and a real S3 endpoint: what is read, skipped and quarantined."""

import pytest

from helio_pipeline.domains.products import extract_products
from helio_pipeline.domains.conversations import chunk_conversations, extract_conversations
from helio_pipeline.lib.objectstore import open_object_store
from helio_pipeline.domains.prices import extract_prices
from helio_pipeline.lib.records import SourceAccess
from helio_pipeline.domains.rules import chunk_rules, extract_rules
from tests.helpers import add_message, add_price, add_product, add_rule


@pytest.fixture
def sources(clean_db, bucket_url, s3_endpoint):
    return SourceAccess(engine=clean_db, objects=open_object_store(bucket_url, endpoint_url=s3_endpoint))


def test_products_union_table_and_csv_drop_and_quarantine_bad_lines(sources):
    add_product(sources.engine, "CS6U-330P", "Canadian Solar Inc. CS6U-330P")
    add_product(sources.engine, "EMPTY-1", "")
    sources.objects.put_bytes("catalog/products/drop.csv", (
        "sku,name,manufacturer,category,stock,power_w\n"
        "NEW-1,Nova Energia NE-400,Nova Energia,module,5,400\n"
        "NEW-2,Linha ruim,Nova,module,muitos,400\n"
        "NEW-3,Campos a mais,Nova,module,1,2,3\n"
        "CS6U-330P,Duplicado na tabela,X,module,1,330\n"
    ).encode())
    ex = extract_products(sources)
    assert sorted(ex.frame["sku"]) == ["CS6U-330P", "NEW-1"]
    assert ex.frame.set_index("sku").loc["CS6U-330P", "name"] == "Canadian Solar Inc. CS6U-330P"  # table wins
    assert [(p.location, p.source) for p in ex.skipped] == [("sku EMPTY-1", "products")]
    assert {p.location for p in ex.quarantined} == {"line 3", "line 4"}
    assert all(p.source == "catalog/products/drop.csv" for p in ex.quarantined)
    assert "muitos" in next(p.reason for p in ex.quarantined if p.location == "line 3")


def test_price_drop_with_wrong_header_is_quarantined_whole(sources):
    pid = add_product(sources.engine, "SKU-1", "Produto 1")
    add_price(sources.engine, pid, "Solar Atacado SP", "B1", 1000)
    sources.objects.put_bytes("catalog/prices/bad.csv", b"codigo,preco\nSKU-1,10\n")
    sources.objects.put_bytes("catalog/prices/good.csv", (
        "sku,distributor,tier,price,currency,valid_from,valid_to\n"
        "SKU-1,EcoVolt,B3,900.50,BRL,2026-01-01,\n"
        "SKU-404,EcoVolt,B3,900.50,BRL,2026-01-01,\n"
        "SKU-1,EcoVolt,B2,10,BRL,2026-01-01,\n"
    ).encode())
    ex = extract_prices(sources)
    assert len(ex.frame) == 2
    reasons = {(p.source, p.location): p.reason for p in ex.quarantined}
    assert "header lacks required column" in reasons[("catalog/prices/bad.csv", "line 1")]
    assert "unknown sku" in reasons[("catalog/prices/good.csv", "line 3")]
    assert "B2" in reasons[("catalog/prices/good.csv", "line 4")]


def test_rules_from_table_markdown_and_pdf_and_a_corrupt_pdf_is_reported(sources):
    from helio_pipeline.demo.seed import _pdf_bytes

    add_rule(sources.engine, "frete", "Política de frete", "O frete é CIF para pedidos acima de R$ 10 mil.", "logistics")
    add_rule(sources.engine, "vazia", "Sem corpo", None)
    sources.objects.put_bytes("rules/warranty/garantia.md", "# Garantia de inversores\n\nDez anos.".encode())
    sources.objects.put_bytes("rules/regulatory/ren.pdf", _pdf_bytes("REN 1000", "Regras de conexão da micro e minigeração."))
    sources.objects.put_bytes("rules/regulatory/quebrado.pdf", b"%PDF-1.4 garbage")
    ex = extract_rules(sources)
    by_id = ex.frame.set_index("source_id")
    assert by_id.loc["rules/warranty/garantia.md", "title"] == "Garantia de inversores"
    assert by_id.loc["rules/warranty/garantia.md", "kind"] == "warranty"
    assert "minigeração" in by_id.loc["rules/regulatory/ren.pdf", "body"]
    assert [p.source for p in ex.quarantined] == ["rules/regulatory/quebrado.pdf"]
    assert "rules/regulatory/quebrado.pdf" in ex.protected_ids
    assert [p.location for p in ex.skipped] == ["id 2"]
    assert all(c.text.startswith(c.fields["title"]) for c in chunk_rules(ex.frame))


def test_conversations_from_table_and_jsonl_with_a_broken_line(sources):
    for i, role in enumerate(["user", "assistant"] * 4):
        add_message(sources.engine, "conv-1", "cliente-1", role, f"mensagem {i}", minute=i)
    add_message(sources.engine, "conv-1", "cliente-1", "user", None, minute=30)
    sources.objects.put_bytes("conversations/export.jsonl", (
        '{"correlation_id": "conv-2", "owner_id": "cliente-2", "role": "user", "content": "oi", "created_at": "2026-10-01T10:00:00Z"}\n'
        '{"correlation_id": "conv-2", "owner_id": "cliente-2", "role": "assis\n'
        '{"correlation_id": "conv-2", "owner_id": "cliente-2", "role": "assistant", "content": "olá", "created_at": "2026-10-01T10:01:00Z"}\n'
    ).encode())
    ex = extract_conversations(sources)
    assert len(ex.frame) == 10
    assert [(p.source, p.location) for p in ex.quarantined] == [("conversations/export.jsonl", "line 2")]
    assert [p.location for p in ex.skipped] == ["id 9"]
    chunks = chunk_conversations(ex.frame)
    conv1 = [c for c in chunks if c.fields["correlation_id"] == "conv-1"]
    assert len(conv1) == 2 and conv1[0].text.startswith("Cliente: mensagem 0")
    assert {c.fields["owner_id"] for c in chunks} == {"cliente-1", "cliente-2"}
