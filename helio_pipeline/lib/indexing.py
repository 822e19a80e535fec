"""Index one domain (or one hash shard of it): the sync engine plus what a run must guard and
report — the budget guard, the verification a rebuilt collection must pass before its alias
moves (structure and golden-query recall), and the cost of the embeddings it paid for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from helio_pipeline.lib.chunking import count_tokens
from helio_pipeline.lib.embedding_cache import CachedEmbedder
from helio_pipeline.lib.errors import BudgetExceeded
from helio_pipeline.lib.golden import evaluate, golden_queries
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.shard_builds import ShardBuilds
from helio_pipeline.lib.sharding import Scope, Shard
from helio_pipeline.lib.sync import IndexConfig, SyncReport, physical_name, sync_collection
from helio_pipeline.lib.verify import verify_collection


@dataclass
class IndexOptions:
    allow_mass_delete: bool = False
    max_delete_fraction: float = 0.2
    keep_previous: int = 1
    source_ids: list[str] | None = None   # re-sync only these sources
    max_usd: float | None = None          # budget for this run's uncached embeddings
    shard: Shard | None = None            # sync only this hash shard of the domain's sources


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


def budget_guard(domain_name: str, cached: CachedEmbedder, budget: float | None) -> Callable[[list[str]], None]:
    """Refuses (before any embedding call) when the uncached texts are estimated above budget."""
    model = cached.embedder

    def guard(texts: list[str]) -> None:
        if budget is None or model.usd_per_million_tokens == 0:
            return
        uncached = cached.uncached(texts)
        tokens = sum(count_tokens(t) for t in uncached)
        estimate = model.estimated_usd(tokens)
        if estimate > budget:
            raise BudgetExceeded(f"{domain_name}: embedding {len(uncached)} uncached texts ({tokens} tokens, "
                                 f"{model.model}) is estimated at US$ {estimate:.4f}, over the US$ {budget:.4f} "
                                 "budget; raise max_usd in run config or HELIO_MAX_USD_PER_RUN")

    return guard


def promotion_check(domain, store, all_chunks: list[Chunk], dimensions: int, embedder,
                    shard: Shard | None = None, expected_points: Callable[[], int] | None = None,
                    ) -> Callable[[str], list[str]]:
    """What a rebuilt collection must pass before readers are moved to it. A sharded build is
    checked by its last shard: the point count against what every shard recorded, unknown
    sources within that shard, and golden queries over the whole collection."""
    known = {c.source_id for c in all_chunks}
    golden = golden_queries(domain.name, all_chunks)

    def check(collection: str) -> list[str]:
        expected = expected_points() if expected_points else len(all_chunks)
        problems = verify_collection(store, collection, expected, known, dimensions, shard)
        quality = evaluate(store, collection, domain.filter_fields, golden, embedder)
        if quality["recall_at_5"] < domain.min_recall_at_5:
            problems.append(f"golden-query recall@5 {quality['recall_at_5']:.2f} is under the "
                            f"{domain.min_recall_at_5:.2f} floor (misses: {quality['misses'][:3]})")
        return problems

    return check


def index_domain(domain, all_chunks: list[Chunk], store, cached: CachedEmbedder, prefix: str,
                 options: IndexOptions, protected_ids: set[str] = frozenset(),
                 log: Callable[[str], None] = lambda msg: None, builds: ShardBuilds | None = None,
                 run_id: str | None = None) -> IndexOutcome:
    """Sync ``all_chunks`` (the domain's, or its shard's when ``options.shard`` is set) into the
    domain's collection. A sharded run needs ``builds`` (the shard record in PostgreSQL)."""
    model = cached.embedder
    before = (model.usage.tokens, model.usage.requests, model.usage.retries)
    shard = options.shard
    source_ids = options.source_ids
    alias = domain.collection(prefix)
    if source_ids is not None and store.resolve(alias) != physical_name(alias, index_config(domain, model)):
        # A collection being built (first build, new model or chunker) can only be completed
        # by a whole sync: a run for a few changed sources (a sensor's) syncs everything instead.
        log(f"{alias}: the collection for this configuration is not live yet; syncing every source"
            f"{' of ' + shard.key if shard else ''}, not only the {len(source_ids)} changed ones")
        source_ids = None
    scope = Scope.of(source_ids, shard)
    all_chunks = [c for c in all_chunks if scope.in_shard(c.source_id)]
    wanted = [c for c in all_chunks if scope.contains(c.source_id)]
    built: dict[int, int] = {}
    if shard is not None and builds is None:
        raise ValueError("a sharded sync needs the shard record (ShardBuilds)")

    def shard_complete(collection: str, points: int) -> bool:
        generation = str(store.metadata(collection).get("created_at", ""))
        if source_ids is None:  # a whole-shard sync knows its shard's point count
            builds.record(collection, generation, shard, points, run_id)
        built.update(builds.built(collection, generation, shard.count))
        return len(built) == shard.count

    report = sync_collection(
        store, domain.name, alias, wanted, cached, index_config(domain, model),
        payload_indexes=domain.filter_fields, tenant_field=domain.tenant_field, scope=scope,
        complete=shard_complete if shard is not None else None,
        protected_ids=set(protected_ids), max_delete_fraction=options.max_delete_fraction,
        allow_mass_delete=options.allow_mass_delete,
        verify=promotion_check(domain, store, all_chunks, model.dimensions, model, shard,
                               (lambda: sum(built.values())) if shard else None),
        keep_previous=options.keep_previous, log=log,
        before_embedding=budget_guard(domain.name, cached, options.max_usd),
    )
    tokens = model.usage.tokens - before[0]
    return IndexOutcome(report, len(wanted), tokens, model.usage.requests - before[1],
                        model.usage.retries - before[2], model.estimated_usd(tokens),
                        len(built) if shard is not None else None, scope.describe())
