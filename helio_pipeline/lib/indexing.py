"""Index one domain (or one hash shard of it): the sync engine plus what a run must guard and
report — the verification a rebuilt collection must pass before its alias moves (structure
and golden-query recall), the shard record a sharded build completes by, and the cost of the
embeddings it paid for. How the sync may act (the run config) is one ``SyncOptions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from helio_pipeline.lib.embedding_cache import CachedEmbedder
from helio_pipeline.lib.golden import GoldenSet, golden_set, quality_problem
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.shard_builds import ShardBuilds
from helio_pipeline.lib.sharding import Shard
from helio_pipeline.lib.sync import IndexConfig, SyncOptions, SyncReport, sync_collection
from helio_pipeline.lib.verify import verify_collection


@dataclass
class IndexOutcome:
    report: SyncReport
    chunks: int
    tokens: int
    requests: int
    retries: int
    usd: float
    shards_built: int | None = None       # sharded rebuild: shards that have filled the collection
    scope: str = "all sources"            # what the run synced


def index_config(domain, embedder) -> IndexConfig:
    return IndexConfig(embedder.name, embedder.model, embedder.dimensions, domain.chunker_version)


def promotion_check(domain, store, all_chunks: list[Chunk], dimensions: int, embedder,
                    shard: Shard | None = None, expected_points: Callable[[], int] | None = None,
                    golden: GoldenSet | None = None) -> Callable[[str], list[str]]:
    """What a rebuilt collection must pass before readers are moved to it. A sharded build is
    checked by its last shard: the point count against what every shard recorded, unknown
    sources within that shard, and golden queries (``golden``; by default the derived ones and
    the domain's golden file) over the whole collection."""
    known = {c.source_id for c in all_chunks}
    golden = golden if golden is not None else golden_set(domain, all_chunks)

    def check(collection: str) -> list[str]:
        expected = expected_points() if expected_points else len(all_chunks)
        problems = verify_collection(store, collection, expected, known, dimensions, shard)
        problem, _ = quality_problem(store, collection, domain, golden, embedder)
        return problems + ([problem] if problem else [])

    return check


def index_domain(domain, all_chunks: list[Chunk], store, cached: CachedEmbedder, prefix: str,
                 options: SyncOptions, shard: Shard | None = None, protected_ids: set[str] = frozenset(),
                 log: Callable[[str], None] = lambda msg: None, builds: ShardBuilds | None = None,
                 run_id: str | None = None, golden: GoldenSet | None = None) -> IndexOutcome:
    """Sync ``all_chunks`` (the domain's, or its ``shard``'s) into the domain's collection as
    ``options`` (the run config, unchanged) allow. A sharded run needs ``builds`` (the shard
    record in PostgreSQL): the rebuilt collection is promoted when every shard has filled it."""
    if shard is not None and builds is None:
        raise ValueError("a sharded sync needs the shard record (ShardBuilds)")
    model = cached.embedder
    before = (model.usage.tokens, model.usage.requests, model.usage.retries)
    built: dict[int, int] = {}

    def shard_complete(collection: str, report: SyncReport) -> bool:
        generation = str(store.metadata(collection).get("created_at", ""))
        if report.scope.source_ids is None:  # a whole-shard sync knows its shard's point count
            builds.record(collection, generation, shard, report.chunks, run_id)
        built.update(builds.built(collection, generation, shard.count))
        return len(built) == shard.count

    # the shard's own chunks: what its verification knows (the sync scopes the chunks itself)
    shard_chunks = [c for c in all_chunks if shard.contains(c.source_id)] if shard else all_chunks
    report = sync_collection(
        store, domain.name, domain.collection(prefix), all_chunks, cached, index_config(domain, model),
        payload_indexes=domain.filter_fields, tenant_field=domain.tenant_field, options=options, shard=shard,
        protected_ids=set(protected_ids), log=log, complete=shard_complete if shard is not None else None,
        verify=promotion_check(domain, store, shard_chunks, model.dimensions, model, shard,
                               (lambda: sum(built.values())) if shard else None, golden),
    )
    tokens = model.usage.tokens - before[0]
    return IndexOutcome(report, report.chunks, tokens, model.usage.requests - before[1],
                        model.usage.retries - before[2], model.estimated_usd(tokens),
                        len(built) if shard is not None else None, report.scope.describe())
