"""The incremental engine against real PostgreSQL (embedding cache) and real qdrant-client."""

import pytest

from helio_pipeline.lib.embedding import EmbedderSpec, StaticEmbedder
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.lib.errors import CheckFailed, MassDeleteRefused
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.retrieval import KnowledgeBase
from helio_pipeline.lib.sync import IndexConfig, SyncOptions, point_id, rollback, sync_collection

ALIAS = "t-rules"


def doc(source_id: str, n: int, kind: str = "warranty", prefix: str = "texto") -> list[Chunk]:
    return [Chunk(source_id, i, f"{prefix} {source_id} parte {i} sobre garantia e frete", "business_rules",
                  None, {"kind": kind}) for i in range(n)]


@pytest.fixture(params=["qdrant-client", "edge"])
def store(request, tmp_path):
    """The sync runs unchanged on both backends: qdrant-client (local mode, the server API)
    and Qdrant's engine in-process (qdrant-edge)."""
    from helio_pipeline.vectorstore import open_store

    return open_store(path=tmp_path / "store", embedded="qdrant-local" if request.param == "qdrant-client" else "edge")


@pytest.fixture
def sync(store, clean_db):
    cache = EmbeddingCache(clean_db)

    def run(chunks, dims=64, **kwargs):
        embedder = CachedEmbedder(StaticEmbedder(dims), cache)
        config = IndexConfig("static", "tokenlearn-static-64", dims, "v1")
        kwargs.setdefault("payload_indexes", {"kind": "keyword"})
        options = SyncOptions(**{name: kwargs.pop(name) for name in list(kwargs) if name in SyncOptions.model_fields})
        return sync_collection(store, "rules", ALIAS, chunks, embedder, config, options=options, **kwargs)

    return run


BASE = doc("a", 4) + doc("b", 3) + doc("c", 2) + doc("d", 1) + doc("e", 1)  # 11 chunks


def test_first_sync_creates_collection_behind_alias(sync, store):
    report = sync(BASE)
    assert (report.new, report.embedded, report.deleted) == (11, 11, 0)
    assert store.resolve(ALIAS) == report.collection and report.collection.startswith(ALIAS + "__")
    assert store.count(ALIAS) == 11


def test_rerun_with_nothing_changed_embeds_and_writes_nothing(sync):
    sync(BASE)
    report = sync(BASE)
    assert (report.new, report.changed, report.embedded, report.deleted, report.payload_updated) == (0, 0, 0, 0, 0)
    assert report.unchanged == 11 and not report.rebuilt


def test_changed_text_reembeds_exactly_that_chunk(sync, store):
    sync(BASE)
    edited = [Chunk(c.source_id, c.chunk_no, c.text + " (revisado)", c.source, None, c.fields)
              if (c.source_id, c.chunk_no) == ("b", 1) else c for c in BASE]
    report = sync(edited)
    assert (report.changed, report.embedded, report.unchanged) == (1, 1, 10)
    point = store.retrieve(ALIAS, [point_id("rules", "b", 1)])[0]
    assert point.payload["text"].endswith("(revisado)")


def test_payload_only_change_updates_payload_without_embedding(sync, store):
    sync(BASE)
    moved = [Chunk(c.source_id, c.chunk_no, c.text, c.source, None, {"kind": "logistics"}) if c.source_id == "e" else c
             for c in BASE]
    report = sync(moved)
    assert (report.embedded, report.payload_updated) == (0, 1)
    assert store.retrieve(ALIAS, [point_id("rules", "e", 0)])[0].payload["kind"] == "logistics"


def test_shortened_document_loses_tail_chunks_and_keeps_head(sync, store):
    sync(BASE)
    shorter = [c for c in BASE if not (c.source_id == "a" and c.chunk_no >= 2)]
    report = sync(shorter)
    assert (report.deleted, report.embedded, report.unchanged) == (2, 0, 9)
    assert store.retrieve(ALIAS, [point_id("rules", "a", 2), point_id("rules", "a", 3)]) == []
    assert len(store.retrieve(ALIAS, [point_id("rules", "a", 0), point_id("rules", "a", 1)])) == 2


def test_deleted_source_disappears(sync, store):
    sync(BASE)
    report = sync([c for c in BASE if c.source_id != "e"])
    assert report.deleted == 1
    assert store.count(ALIAS) == 10


def test_mass_delete_guard_refuses_then_override_proceeds(sync, store):
    sync(BASE)
    truncated = doc("a", 4)
    with pytest.raises(MassDeleteRefused, match=r"delete 7 of 11 points"):
        sync(truncated)
    assert store.count(ALIAS) == 11  # nothing was deleted
    report = sync(truncated, allow_mass_delete=True)
    assert report.deleted == 7 and store.count(ALIAS) == 4


def test_scoped_sync_touches_only_its_sources(sync, store):
    sync(BASE)
    report = sync(doc("b", 1), source_ids=["b", "zz"])
    assert report.deleted == 2 and report.unchanged == 1
    assert store.count(ALIAS) == 9


def test_protected_sources_are_not_deleted(sync, store):
    sync(BASE)
    report = sync([c for c in BASE if c.source_id != "e"], protected_ids={"e"})
    assert report.deleted == 0 and store.count(ALIAS) == 11


def test_cache_serves_identical_texts_to_another_collection(sync, store, clean_db):
    sync(BASE)
    cache = EmbeddingCache(clean_db)
    embedder = CachedEmbedder(StaticEmbedder(64), cache)
    config = IndexConfig("static", "tokenlearn-static-64", 64, "v1")
    report = sync_collection(store, "rules", "other-rules", BASE, embedder, config, payload_indexes={})
    assert (report.new, report.cache_hits, report.embedded) == (11, 11, 0)
    assert embedder.embedder.usage.texts == 0


def test_dimension_change_rebuilds_behind_the_alias_while_search_keeps_answering(sync, store):
    first = sync(BASE)
    kb = KnowledgeBase(store, EmbedderSpec("static", dimensions=32), prefix="t")
    seen_during_rebuild = []

    def verify(new_collection):
        assert store.resolve(ALIAS) == first.collection  # not yet moved
        hits = kb.search("garantia parte 2", domains=["rules"], top_k=3)
        seen_during_rebuild.append(len(hits))
        return []

    second = sync(BASE, dims=32, verify=verify)
    assert second.rebuilt and second.collection != first.collection
    assert seen_during_rebuild == [3]
    assert store.resolve(ALIAS) == second.collection and store.vector_size(ALIAS) == 32
    assert first.collection in store.physical_collections(ALIAS)  # kept for rollback
    assert len(kb.search("garantia", domains=["rules"], top_k=3)) == 3

    before, after = rollback(store, ALIAS)
    assert (before, after) == (second.collection, first.collection)
    assert store.resolve(ALIAS) == first.collection


def test_failed_verification_leaves_alias_where_it_was(sync, store):
    first = sync(BASE)
    with pytest.raises(CheckFailed, match="left on"):
        sync(BASE, dims=16, verify=lambda name: ["golden queries failed"])
    assert store.resolve(ALIAS) == first.collection


def test_old_collections_beyond_retention_are_dropped(sync, store):
    sync(BASE, dims=64)
    sync(BASE, dims=32)
    third = sync(BASE, dims=16, keep_previous=1)
    assert len(third.dropped_collections) == 1
    assert len(store.physical_collections(ALIAS)) == 2


class CountingQueries(StaticEmbedder):
    """Counts the questions embedded and the calls they came in."""

    def __init__(self):
        super().__init__(64)
        self.queries = self.calls = 0

    def embed_queries(self, texts):
        self.queries, self.calls = self.queries + len(texts), self.calls + 1
        return super().embed_queries(texts)


def test_golden_evaluation_is_reused_only_while_the_collection_is_unchanged(sync, store):
    """The promotion gate and the asset check of a first build measure the same collection:
    the second answer comes from the first unless a sync wrote in between."""
    from helio_pipeline.lib.golden import GoldenQuery, evaluate, evaluate_unless_measured

    sync(BASE)
    physical = store.resolve(ALIAS)
    golden = [GoldenQuery(f"texto {s} parte 0 sobre garantia e frete", frozenset({s})) for s in "abcde"]
    model = CountingQueries()
    first = evaluate_unless_measured(store, physical, {"kind": "keyword"}, golden, model)
    again = evaluate_unless_measured(store, physical, {"kind": "keyword"}, golden, model)
    assert model.queries == 5 and again == first
    assert model.calls == 1  # the questions in one call: against an API, one round trip, not five
    evaluate_unless_measured(store, physical, {"kind": "keyword"}, golden[:3], model)  # other queries: measured
    assert model.queries == 8
    sync(doc("a", 4, prefix="outro assunto") + BASE[4:])  # a write: the earlier measure no longer holds
    after = evaluate_unless_measured(store, physical, {"kind": "keyword"}, golden, model)
    assert model.queries == 13
    assert after == evaluate(store, physical, {"kind": "keyword"}, golden, StaticEmbedder(64))


class _Recording(StaticEmbedder):
    """The static model, counting document calls (our own seam: what is tested is the sync's
    handling of a provider failure, not the model). ``fail_on`` makes that call (1-based) raise."""

    def __init__(self, fail_on: int | None = None):
        super().__init__(64)
        self.calls, self.fail_on = 0, fail_on

    def _embed(self, texts, query):
        if not query:
            self.calls += 1
            if self.calls == self.fail_on:
                raise RuntimeError(f"embedding call {self.calls} refused by the provider")
        return super()._embed(texts, query)


def test_an_embedding_failure_mid_sync_moves_no_alias_and_keeps_what_was_paid_for(store, clean_db):
    """The provider's error reaches the run in its own words; the collection being built stays
    behind no alias, and the batch embedded before the failure is in the cache (and in the
    collection being built), so the retry does not pay for it again."""
    cache = EmbeddingCache(clean_db)
    config = IndexConfig("static", "tokenlearn-static-64", 64, "v1")
    with pytest.raises(RuntimeError, match="embedding call 2 refused by the provider"):
        sync_collection(store, "rules", ALIAS, BASE, CachedEmbedder(_Recording(fail_on=2), cache), config,
                        payload_indexes={}, batch_size=4)
    assert store.resolve(ALIAS) is None
    assert cache.stats()["entries"] == 4  # batch 1, paid for before the failure
    retry = CachedEmbedder(_Recording(), cache)
    report = sync_collection(store, "rules", ALIAS, BASE, retry, config, payload_indexes={}, batch_size=4)
    assert report.embedded == 7 and retry.embedder.usage.texts == 7  # the other 7, not the first 4 again
    assert store.resolve(ALIAS) == report.collection and store.count(ALIAS) == 11
