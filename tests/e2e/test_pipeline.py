"""End to end: seed a small real catalog, materialize all four domains through Dagster, query."""

import dagster as dg

from helio_pipeline.demo.catalog_data import load_catalog
from helio_pipeline.demo.seed import seed
from helio_pipeline.defs.checks import CHECKS
from helio_pipeline.domains import DOMAINS

SMALL = 80


def test_seed_index_all_domains_and_find_a_named_product(kb):
    counts = seed(kb.engine, kb.objects, products=SMALL, conversations=40)
    assert counts["products_csv"] > 0 and counts["rules_files"] > 0 and counts["conversations_jsonl"] > 0

    result = kb.refresh()
    assert result.success
    for domain in DOMAINS:
        meta = kb.index_metadata(result, domain)
        assert meta["chunks"] > 0 and meta["collection_size"] == meta["chunks"], domain
        assert meta["embedded_texts"] == meta["chunks"]
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(CHECKS) * len(DOMAINS) and all(c.passed for c in checks), \
        [c.check_name for c in checks if not c.passed]

    # a product that only arrived in the distributor's CSV drop is searchable too
    catalog = load_catalog(SMALL)
    product = catalog[7]  # index 7 of every 10 goes to the CSV drop only
    hits = kb.knowledge_base().search(product["name"], domains=["products"], top_k=3)
    assert product["sku"] in [h.source_id for h in hits]
    exact = kb.knowledge_base().search(product["sku"], domains=["products"], top_k=1, mode="sparse")
    assert exact[0].payload["name"] == product["name"]  # a model number is an exact token

    # the deliberately bad lines of the demo data were quarantined, not lost silently
    extract = [e.materialization for e in result.get_asset_materialization_events()
               if e.materialization.asset_key == dg.AssetKey("prices_extract")][0]
    assert extract.metadata["quarantined"].value >= 1


def test_rerun_with_nothing_changed_embeds_nothing_and_seed_is_idempotent(kb):
    seed(kb.engine, kb.objects, products=SMALL, conversations=40)
    kb.refresh()
    again = seed(kb.engine, kb.objects, products=SMALL, conversations=40)
    assert again["products_table"] > 0
    result = kb.refresh()
    for domain in DOMAINS:
        meta = kb.index_metadata(result, domain)
        assert (meta["embedded_texts"], meta["points_written"], meta["deleted"]) == (0, 0, 0), domain


def test_conversations_of_one_owner_never_reach_another(kb):
    seed(kb.engine, kb.objects, products=SMALL, conversations=40)
    kb.refresh(domains=["conversations"])
    owners = {p["owner_id"] for p in kb.store.read_index("test-conversations", ("owner_id",)).values()}
    owner = sorted(owners)[0]
    hits = kb.knowledge_base().search("preço do inversor e prazo de entrega", domains=["conversations"],
                                      top_k=20, filters={"owner_id": owner})
    assert hits and {h.payload["owner_id"] for h in hits} == {owner}


def test_personal_data_is_redacted_before_snapshot_embedding_and_payload(kb):
    import re

    import pandas as pd

    from helio_pipeline.lib.redaction import is_valid_cpf

    seed(kb.engine, kb.objects, products=SMALL, conversations=60)
    result = kb.refresh(domains=["conversations"])
    meta = kb.index_metadata(result, "conversations")
    assert meta["personal_data_redacted"]["EMAIL"] > 0 and meta["personal_data_redacted"]["CPF"] > 0
    # only the domain that redacts reports it (an empty count elsewhere would read as "none found")
    assert "personal_data_redacted" not in kb.index_metadata(kb.refresh(domains=["rules"]), "rules")
    texts = [p["text"] for p in kb.store.read_index("test-conversations", ("text",)).values()]
    snapshot = pd.read_parquet(kb.tmp / "snapshots" / "conversations_extract.parquet")
    for text in texts + list(snapshot["content"]):
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
        assert not any(is_valid_cpf(d) for d in re.findall(r"\b\d{11}\b", text))
    assert any("[EMAIL]" in t for t in texts)
