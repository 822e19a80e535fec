"""Hash shards: one mechanism in Python and in PostgreSQL, and shard-by-shard syncs that add up
to exactly what one unsharded sync builds (real PostgreSQL, both store backends)."""

from dataclasses import replace

import numpy as np
import pytest
import sqlalchemy as sa

from helio_pipeline.domains import Domain
from helio_pipeline.lib.embedding import StaticEmbedder
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.lib.errors import MassDeleteRefused
from helio_pipeline.lib.golden import GoldenQuery, stride
from helio_pipeline.lib.indexing import index_domain
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.shard_builds import ShardBuilds
from helio_pipeline.lib.sharding import Scope, Shard, parse_per_domain, parse_shard_counts, shard_keys, shard_of, sql_shard_predicate
from helio_pipeline.lib.sync import SyncOptions

IDS = [f"cliente-{i % 37}/conversa-{i}" for i in range(400)] + ["ação/orçamento-ç", "SKU-550W", "a/b/c"]


def test_every_source_falls_in_exactly_one_shard_and_shards_are_balanced():
    for count in (2, 5, 8):
        shards = [Shard(i, count) for i in range(count)]
        for source in IDS:
            assert sum(s.contains(source) for s in shards) == 1
        sizes = [sum(s.contains(source) for source in IDS) for s in shards]
        assert min(sizes) > 0.6 * len(IDS) / count, sizes


def test_postgres_computes_the_same_shard_as_python(clean_db):
    with clean_db.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE ids (source_id text)"))
        conn.execute(sa.text("INSERT INTO ids VALUES (:s)"), [{"s": s} for s in IDS])
        for count in (3, 7):
            for index in range(count):
                in_sql = {r[0] for r in conn.execute(sa.text(
                    f"SELECT source_id FROM ids WHERE {sql_shard_predicate('source_id', count, index)}"))}
                assert in_sql == {s for s in IDS if shard_of(s, count) == index}


def test_partition_keys_and_configuration_are_checked():
    assert shard_keys(3) == ["shard-0-of-3", "shard-1-of-3", "shard-2-of-3"]
    assert Shard.parse("shard-2-of-3") == Shard(2, 3)
    for bad in ("shard-3-of-3", "3of3", ""):
        with pytest.raises(ValueError, match="shard"):
            Shard.parse(bad)
    domains = {"products": None, "conversations": None}
    assert parse_shard_counts("conversations=8, products=4", domains) == {"conversations": 8, "products": 4}
    assert parse_shard_counts("", domains) == {}
    with pytest.raises(ValueError, match="'produtos=4'"):
        parse_shard_counts("produtos=4", domains)
    with pytest.raises(ValueError, match="'products=0'"):
        parse_shard_counts("products=0", domains)
    with pytest.raises(ValueError, match="HELIO_SHARDS entry '4'"):
        parse_shard_counts("4", domains)  # shards are asked for by name, never for every domain
    assert parse_per_domain("2, conversations=6", domains, "X", allow_default=True) == (2, {"conversations": 6})
    assert parse_per_domain("products=3", domains, "X", allow_default=True) == (None, {"products": 3})


def test_a_scope_combines_source_ids_and_a_shard():
    shard = Shard(shard_of("a/1", 4), 4)
    other = next(s for s in IDS if not shard.contains(s))
    assert Scope.of(["a/1", other], shard).contains("a/1")
    assert not Scope.of(["a/1", other], shard).contains(other)   # listed, but another shard's
    assert Scope().contains(other) and Scope().is_everything
    assert Scope.of(None, shard).describe() == shard.key


# --- shard by shard through the index engine ------------------------------------------------

def _docs_golden(chunks: list[Chunk]) -> list[GoldenQuery]:
    """Each of six documents' first chunk, word for word, finds its document."""
    firsts = stride(sorted((c for c in chunks if c.chunk_no == 0), key=lambda c: c.source_id), 6)
    return [GoldenQuery(c.text, frozenset({c.source_id}), origin="derived") for c in firsts]


DOCS = Domain(name="docs", description="test documents", extract=lambda sources: None, chunk=lambda frame: [],
              filter_fields={"kind": "keyword"}, chunker_version="v1", derived_golden=_docs_golden)


def docs(sources: list[str], prefix: str = "texto") -> list[Chunk]:
    return [Chunk(s, i, f"{prefix} {s} parte {i} sobre garantia e frete", "docs", None, {"kind": "warranty"})
            for s in sources for i in range(1 + len(s) % 3)]


SOURCES = [f"doc-{i}" for i in range(60)]


@pytest.fixture(params=["qdrant-client", "edge"])
def store(request, tmp_path):
    from helio_pipeline.vectorstore import open_store

    return open_store(path=tmp_path / "store", embedded="qdrant-local" if request.param == "qdrant-client" else "edge")


@pytest.fixture
def index(store, clean_db):
    cache, builds = EmbeddingCache(clean_db), ShardBuilds(clean_db)

    def run(chunks, shard=None, prefix="sharded", domain=DOCS, **options):
        embedder = CachedEmbedder(StaticEmbedder(64), cache)
        return index_domain(domain, chunks, store, embedder, prefix, SyncOptions(**options), shard,
                            builds=builds)

    return run


def points(store, alias):
    records = store.retrieve(alias, list(store.read_index(alias)), with_vectors=True)
    out = {}
    for r in records:
        out[str(r.id)] = (r.payload, np.round(np.asarray(r.vector, dtype=np.float32), 5).tolist())
    return out


def run_all_shards(index, chunks, count, **options):
    return [index(chunks, Shard(i, count), **options) for i in range(count)]


def test_shard_by_shard_equals_one_unsharded_sync_point_for_point(index, store):
    chunks = docs(SOURCES)
    outcomes = run_all_shards(index, chunks, 4)
    index(chunks, prefix="whole")
    assert sum(o.chunks for o in outcomes) == len(chunks)
    sharded, whole = points(store, "sharded-docs"), points(store, "whole-docs")
    assert len(sharded) == len(chunks)
    assert sharded == whole
    assert [o.report.promoted for o in outcomes] == [False, False, False, True]


def test_first_sharded_build_is_searchable_only_once_every_shard_is_in(index, store):
    chunks = docs(SOURCES)
    for i in range(2):
        index(chunks, Shard(i, 3))
        assert store.resolve("sharded-docs") is None
    last = index(chunks, Shard(2, 3))
    assert store.resolve("sharded-docs") == last.report.collection and last.shards_built == 3


def test_a_shard_deletes_only_its_own_vanished_sources(index, store):
    run_all_shards(index, docs(SOURCES), 3)
    gone = [s for s in SOURCES if shard_of(s, 3) == 1][:1] + [s for s in SOURCES if shard_of(s, 3) == 2][:1]
    remaining = docs([s for s in SOURCES if s not in gone])
    report = index(remaining, Shard(1, 3)).report
    held = {p.get("source_id") for p in store.read_index("sharded-docs").values()}
    assert report.deleted == len(docs(gone[:1])) > 0
    assert gone[0] not in held and gone[1] in held   # shard 2 has not run yet: its points stay


def test_mass_delete_guard_measures_a_shard_against_itself(index, store):
    run_all_shards(index, docs(SOURCES), 10)
    emptied = Shard(4, 10)
    survivors = docs([s for s in SOURCES if not emptied.contains(s)])  # ~10 % of the whole collection
    with pytest.raises(MassDeleteRefused, match="shard-4-of-10"):
        index(survivors, emptied)
    assert store.count("sharded-docs") == len(docs(SOURCES))


def test_changing_the_shard_count_repartitions_without_duplicates(index, store):
    run_all_shards(index, docs(SOURCES), 3)
    vanished, added = SOURCES[7], "doc-new"
    now = [s for s in SOURCES if s != vanished] + [added]
    outcomes = run_all_shards(index, docs(now), 5)
    index(docs(now), prefix="whole")
    assert points(store, "sharded-docs") == points(store, "whole-docs")
    held = [p.get("source_id") for p in store.read_index("sharded-docs").values()]
    assert vanished not in held and added in held and len(held) == len(docs(now))
    # the move to 5 shards re-embedded only the new document: every other vector was reused
    assert sum(o.report.embedded for o in outcomes) == sum(o.report.new for o in outcomes) == len(docs([added]))


def test_a_sharded_rebuild_keeps_search_on_the_old_collection_until_the_last_shard(index, store):
    chunks = docs(SOURCES)
    first = run_all_shards(index, chunks, 3)[-1].report.collection
    v2 = replace(DOCS, chunker_version="v2")
    for i in range(2):
        outcome = index(chunks, Shard(i, 3), domain=v2)
        assert outcome.report.rebuilt and not outcome.report.promoted
        assert store.resolve("sharded-docs") == first and store.count("sharded-docs") == len(chunks)
    last = index(chunks, Shard(2, 3), domain=v2)
    assert last.report.promoted and store.resolve("sharded-docs") == last.report.collection != first
    assert store.count("sharded-docs") == len(chunks)
    assert first in store.physical_collections("sharded-docs")  # kept for rollback


def test_a_shard_reads_only_its_own_points(index, store):
    run_all_shards(index, docs(SOURCES), 4)
    shard = Shard(1, 4)
    mine = store.read_index("sharded-docs", ("source_id",), flt=shard.point_filter())
    assert mine and {p["source_id"] for p in mine.values()} == {s for s in SOURCES if shard.contains(s)}
    assert len(mine) == len(docs([s for s in SOURCES if shard.contains(s)]))


def test_a_run_for_a_few_changed_sources_builds_a_missing_collection_whole(index, store):
    """A sensor run (source ids) that finds no live collection (first build, new model) syncs
    every source instead: a collection of only the changed sources would never verify."""
    chunks = docs(SOURCES)
    outcome = index(chunks, source_ids=["doc-1", "doc-2"])
    assert outcome.report.promoted and store.count("sharded-docs") == len(chunks)
    assert outcome.scope == "all sources"
    again = index(chunks, source_ids=["doc-1"])   # now live: the scope holds
    assert again.scope == "1 source ids" and again.report.unchanged == len(docs(["doc-1"]))
