"""Incremental sync through the Dagster assets, with real PostgreSQL, S3 (moto) and Qdrant."""

import pytest
import sqlalchemy as sa

from helio_pipeline.lib.embedding_cache import EmbeddingCache
from helio_pipeline.lib.sync import point_id
from tests.helpers import add_price, add_product, add_rule, execute

LONG_RULE = "\n\n".join(
    f"## Seção {i}\n\nA garantia dos inversores cobre defeitos de fabricação no item {i}. "
    f"O cliente deve abrir o chamado de RMA com nota fiscal e número de série do equipamento {i}. " * 3
    for i in range(40)
)


@pytest.fixture
def catalog(kb):
    ids = {}
    for i in range(12):
        ids[f"SKU-{i}"] = add_product(kb.engine, f"SKU-{i}", f"Fabricante{i} Modelo M{i}-400", description=f"Módulo {i}.")
        add_price(kb.engine, ids[f"SKU-{i}"], "Solar Atacado SP", "B1", 500 + i)
    add_rule(kb.engine, "frete", "Política de frete", "Frete CIF acima de R$ 10 mil.", "logistics")
    kb.objects.put_bytes("rules/warranty/garantia-longa.md", f"# Garantia estendida\n\n{LONG_RULE}".encode())
    kb.objects.put_bytes("rules/logistics/retirada.md", "# Retirada no CD\n\nRetire em Jundiaí.".encode())
    kb.refresh()
    return ids


def test_changed_description_reembeds_only_that_product_and_search_sees_it(kb, catalog):
    execute(kb.engine, "UPDATE products SET description = 'Moldura reforçada para neve e granizo.' WHERE sku = 'SKU-3'")
    result = kb.refresh(domains=["products"])
    meta = kb.index_metadata(result, "products")
    assert (meta["changed"], meta["embedded_texts"], meta["unchanged"]) == (1, 1, 11)
    hits = kb.knowledge_base().search("moldura reforçada granizo", domains=["products"], top_k=1)
    assert hits[0].source_id == "SKU-3" and "granizo" in hits[0].text


def test_price_change_is_a_payload_update_not_an_embedding(kb, catalog):
    execute(kb.engine, "UPDATE prices SET price = 999.99 WHERE product_id = :p", p=catalog["SKU-5"])
    meta = kb.index_metadata(kb.refresh(domains=["prices"]), "prices")
    assert (meta["embedded_texts"], meta["payload_updated"]) == (0, 1)
    point = kb.store.retrieve("test-prices", [point_id("prices", "SKU-5", 0)])[0]
    assert "999,99" in point.payload["text"] and max(point.payload["price"]) == pytest.approx(999.99)


def test_shortened_rule_file_drops_tail_chunks_and_keeps_head(kb, catalog):
    key = "rules/warranty/garantia-longa.md"
    before = {p: v for p, v in kb.store.read_index("test-rules").items() if v["source_id"] == key}
    assert len(before) >= 4
    half = LONG_RULE[: len(LONG_RULE) // 2].rsplit("\n\n## ", 1)[0]
    kb.objects.put_bytes(key, f"# Garantia estendida\n\n{half}".encode())
    meta = kb.index_metadata(kb.refresh(domains=["rules"]), "rules")
    after = {p: v for p, v in kb.store.read_index("test-rules").items() if v["source_id"] == key}
    assert 0 < len(after) < len(before)
    assert meta["deleted"] == len(before) - len(after)
    head = [point_id("rules", key, n) for n in range(len(after) - 1)]
    assert all(after[p]["content_hash"] == before[p]["content_hash"] for p in head)  # untouched


def test_deleted_product_row_and_rules_file_disappear(kb, catalog):
    execute(kb.engine, "DELETE FROM products WHERE sku = 'SKU-7'")
    kb.objects.delete("rules/logistics/retirada.md")
    result = kb.refresh(domains=["products", "prices", "rules"])
    assert kb.index_metadata(result, "products")["deleted"] == 1
    assert kb.index_metadata(result, "prices")["deleted"] == 1  # its prices cascade
    assert kb.index_metadata(result, "rules")["deleted"] == 1
    sources = {v["source_id"] for v in kb.store.read_index("test-products").values()}
    assert "SKU-7" not in sources and len(sources) == 11
    rules = {v["source_id"] for v in kb.store.read_index("test-rules").values()}
    assert "rules/logistics/retirada.md" not in rules


def test_truncated_table_is_refused_by_the_guard_then_allowed_by_override(kb, catalog):
    execute(kb.engine, "TRUNCATE products CASCADE")
    result = kb.refresh(domains=["products"], raise_on_error=False)
    assert not result.success
    failure = [e for e in result.all_events if e.is_step_failure][0]
    assert "would delete 12 of 12 points" in failure.step_failure_data.error.message
    assert kb.store.count("test-products") == 12  # search still has the catalog

    result = kb.refresh(domains=["products"], index_config={"allow_mass_delete": True})
    assert kb.index_metadata(result, "products")["deleted"] == 12
    assert kb.store.count("test-products") == 0


def test_unreachable_source_fails_clearly_and_deletes_nothing(kb, catalog):
    from helio_pipeline.defs.resources import ObjectStoreResource

    before = kb.store.count("test-rules")
    kb.resources["objects"] = ObjectStoreResource(url=kb.resources["objects"].url, endpoint_url="http://127.0.0.1:9")
    result = kb.refresh(domains=["rules"], raise_on_error=False)
    assert not result.success
    failure = [e for e in result.all_events if e.is_step_failure][0]
    assert failure.step_key == "rules_extract"
    assert "http://127.0.0.1:9" in failure.step_failure_data.error.message
    assert kb.store.count("test-rules") == before


def test_cache_prune_drops_only_entries_not_hit_recently(kb, catalog):
    cache = EmbeddingCache(kb.engine)
    total = cache.stats()["entries"]

    def keys() -> set[str]:
        with kb.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.text("SELECT text_sha256 FROM kb_embedding_cache"))}

    aged = sorted(keys())[:3]
    execute(kb.engine, "UPDATE kb_embedding_cache SET last_hit_at = now() - interval '40 days' "
                       "WHERE text_sha256 = ANY(:aged)", aged=aged)
    assert cache.prune(30) == 3
    assert cache.stats()["entries"] == total - 3
    remaining = keys()
    assert remaining.isdisjoint(aged) and len(remaining) == total - 3   # exactly the three old ones went


def test_new_dimensions_rebuild_behind_the_alias_and_a_failing_golden_check_blocks_promotion(kb, catalog, monkeypatch):
    import dataclasses

    from helio_pipeline.defs.resources import EmbedderResource
    from helio_pipeline.domains import DOMAINS

    old = kb.store.resolve("test-products")
    # a quality floor nothing can reach: the new collection is built but never promoted
    monkeypatch.setitem(DOMAINS, "products", dataclasses.replace(DOMAINS["products"], min_recall_at_5=1.01))
    kb.resources["embedder"] = EmbedderResource(kind="static", dimensions=32)
    failed = kb.refresh(domains=["products"], raise_on_error=False)
    assert not failed.success
    message = [e for e in failed.all_events if e.is_step_failure][0].step_failure_data.error.message
    assert "recall@5" in message and "left on " + old in message
    assert kb.store.resolve("test-products") == old
    # search still answers from the old collection (64-d queries, whatever the embedder is now).
    # Only the sparse side knows "Fabricante3" (the weak 64-d static model may rank SKU-3 anywhere,
    # and the other SKUs tie on "Modelo"): with RRF (k=2), a sparse rank 1 is always in the top 3.
    hits = kb.knowledge_base().search("Fabricante3 Modelo", domains=["products"], top_k=3)
    assert "SKU-3" in [h.source_id for h in hits]

    monkeypatch.setitem(DOMAINS, "products", dataclasses.replace(DOMAINS["products"], min_recall_at_5=0.5))
    result = kb.refresh(domains=["products"])
    meta = kb.index_metadata(result, "products")
    assert meta["rebuilt"] and meta["previous_collection"] == old
    assert kb.store.resolve("test-products") != old and kb.store.vector_size("test-products") == 32
    # the build the blocked run made is resumed, not paid for again
    assert (meta["unchanged"], meta["embedded_texts"]) == (12, 0)
