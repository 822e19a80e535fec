"""Sync by content: the one mechanism every domain uses to bring a collection in line with
what its sources produce now.

- Each chunk has a stable point id (uuid5 of domain, source id, chunk number) and a
  ``content_hash`` of everything that determines its vector (embedder, model, dimensions,
  chunker version, text). Only new and changed chunks are embedded (through the durable
  cache); unchanged ones are untouched; a change that only touches payload fields (stock,
  active flag) is a payload update, not an embedding.
- Writes keep search whole: new chunks are upserted before stale ones are deleted.
- Deletes are limited to the sync's scope (some source ids, one hash shard, or both: see
  lib/sharding.py) and never touch protected source ids (sources that could not be read
  this time); a mass-delete guard stops a truncated table from wiping a collection (or a
  shard of it): it counts the documents that vanished, not their points.
- Readers use an alias. The physical collection is named after the configuration
  fingerprint; when it changes, a new collection is filled, verified, and only then the
  alias moves in one atomic call. Older collections are kept for rollback. A sharded
  rebuild moves the alias only once every shard has filled its part (``complete``).

A sync is three steps: :func:`plan` (pure, lib/sync_plan.py) decides, :func:`apply` embeds
and writes, :func:`promote` verifies a rebuilt collection and moves the alias.
:func:`sync_collection` composes them; ``SyncOptions`` is the one options object.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from helio_pipeline.lib.chunking import count_tokens
from helio_pipeline.lib.embedding_cache import CachedEmbedder
from helio_pipeline.lib import fingerprint
from helio_pipeline.lib.errors import BudgetExceeded, CheckFailed
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.sharding import Scope, Shard
from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.vectorstore import Point, VectorStore
from helio_pipeline.lib.sync_plan import (  # noqa: F401 - the sync's vocabulary, re-exported
    POINT_NAMESPACE, DesiredPoint, IndexConfig, MassDeleteVerdict, SyncOptions, SyncPlan, Target,
    desired_points, is_protected, plan, point_id,
)


def _quiet(msg: str) -> None:
    pass


@dataclass
class SyncReport:
    domain: str
    alias: str
    collection: str
    chunks: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    payload_updated: int = 0
    deleted: int = 0
    embedded: int = 0
    cache_hits: int = 0
    rebuilt: bool = False
    promoted: bool = False
    previous_collection: str | None = None
    dropped_collections: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    scope: Scope = Scope()              # what the sync touched

    @property
    def points_written(self) -> int:
        return self.new + self.changed


@dataclass
class Applied:
    """What :func:`apply` did."""

    embedded: int = 0
    cache_hits: int = 0
    payload_updated: int = 0
    deleted: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _batched(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def physical_name(alias: str, config: IndexConfig) -> str:
    """The physical collection a configuration builds behind ``alias``."""
    return f"{alias}__{config.fingerprint}"


def sync_collection(
    store: VectorStore, domain: str, alias: str, chunks: list[Chunk], embedder: CachedEmbedder,
    config: IndexConfig, *, payload_indexes: dict[str, str], tenant_field: str | None = None,
    options: SyncOptions = SyncOptions(), shard: Shard | None = None, protected_ids: set[str] = frozenset(),
    verify: Callable[[str], list[str]] | None = None, complete: Callable[[str, SyncReport], bool] | None = None,
    log: Callable[[str], None] = _quiet, batch_size: int = 256,
) -> SyncReport:
    """Make the collection behind ``alias`` hold exactly ``chunks`` within the scope (the
    ``shard``, and ``options.source_ids``). Points outside it are left alone.

    The mass-delete guard refuses (MassDeleteRefused, before any write) when more than
    ``options.max_delete_fraction`` of the sources held would vanish entirely: documents, not
    points, so one long document removed is not a mass delete (a single vanished source never
    is, unless it was the last one). A rebuild (a new physical collection) is measured against
    the live collection it replaces. ``options.allow_mass_delete`` lifts the guard.

    ``complete(collection, report)`` is called after this sync's writes; on a rebuild, the new
    collection is verified (``verify(collection)`` → problems) and promoted only when it
    returns True (a sharded build: when every shard has filled its part)."""
    timer = time.perf_counter()
    target = Target(domain, alias, physical_name(alias, config), store.resolve(alias))
    scope = sync_scope(target, options, shard, log)
    planned = read_and_plan(store, target, desired_points(domain, chunks, config, scope), scope, options,
                            protected_ids)
    planned.refuse_mass_delete()
    open_collection(store, target, config, payload_indexes, tenant_field, log)
    plan_seconds = time.perf_counter() - timer
    applied = apply(store, planned, embedder, max_usd=options.max_usd, batch_size=batch_size, log=log)
    report = SyncReport(
        domain, alias, target.collection, chunks=len(planned.desired), new=len(planned.new),
        changed=len(planned.changed), unchanged=len(planned.unchanged), payload_updated=applied.payload_updated,
        deleted=applied.deleted, embedded=applied.embedded, cache_hits=applied.cache_hits, rebuilt=target.rebuild,
        previous_collection=target.live if target.rebuild else None, scope=scope,
        seconds={"plan": plan_seconds, **applied.seconds})
    whole = complete(target.collection, report) if complete is not None else True
    if target.rebuild and not whole:
        log(f"{alias}: {target.collection} holds this run's part ({scope.describe()}); the alias stays on "
            f"{target.live or '(none)'} until every shard is built")
    elif target.rebuild:
        report.dropped_collections = promote(store, target, verify, options.keep_previous, log)
        report.promoted = True
    report.seconds["total"] = time.perf_counter() - timer
    return report


def sync_scope(target: Target, options: SyncOptions, shard: Shard | None, log: Callable[[str], None]) -> Scope:
    """The sync's scope. A collection being built (first build, new model or chunker) can only
    be completed by a whole sync: a run for a few changed sources (a sensor's) syncs every
    source (of its shard) instead."""
    source_ids = options.source_ids
    if source_ids is not None and target.rebuild:
        log(f"{target.alias}: the collection for this configuration is not live yet; syncing every source"
            f"{' of ' + shard.key if shard else ''}, not only the {len(source_ids)} changed ones")
        source_ids = None
    return Scope.of(source_ids, shard)


def read_and_plan(store: VectorStore, target: Target, desired: dict[str, DesiredPoint], scope: Scope,
                  options: SyncOptions, protected_ids: set[str] = frozenset()) -> SyncPlan:
    """Reads what :func:`plan` needs: the target's points (only the scope's shard: a shard run
    holds its own points in memory, not the whole collection's) and, for a guarded rebuild, the
    live collection's sources."""
    shard_filter = scope.shard.point_filter() if scope.shard else None
    existing = store.read_index(target.collection, flt=shard_filter) if store.exists(target.collection) else {}
    live = None
    if target.rebuild and target.live is not None and not options.allow_mass_delete:
        live = store.read_index(target.live, ("source_id", "source"), flt=shard_filter)
    return plan(existing, desired, scope, options, target=target, protected=set(protected_ids), live=live)


def open_collection(store: VectorStore, target: Target, config: IndexConfig, payload_indexes: dict[str, str],
                    tenant_field: str | None, log: Callable[[str], None] = _quiet) -> bool:
    created = store.ensure_collection(
        target.collection, config.dimensions, payload_indexes, tenant_field, config.distance,
        metadata={"domain": target.domain, "alias": target.alias, "fingerprint": config.fingerprint,
                  **asdict(config), "created_at": datetime.now(timezone.utc).isoformat()},
    )
    if target.rebuild:
        log(f"{target.alias}: configuration {config.fingerprint} differs from the live collection "
            f"{target.live or '(none)'}; {'building' if created else 'resuming'} {target.collection}")
    return created


def refuse_over_budget(domain: str, cached: CachedEmbedder, texts: list[str], budget: float | None) -> None:
    """Refuses (before any embedding call) when the uncached texts are estimated above budget."""
    model = cached.embedder
    if budget is None or model.usd_per_million_tokens == 0:
        return
    uncached = cached.uncached(texts)
    tokens = sum(count_tokens(t) for t in uncached)
    estimate = model.estimated_usd(tokens)
    if estimate > budget:
        raise BudgetExceeded(f"{domain}: embedding {len(uncached)} uncached texts ({tokens} tokens, "
                             f"{model.model}) is estimated at US$ {estimate:.4f}, over the US$ {budget:.4f} "
                             "budget; raise max_usd in run config or HELIO_MAX_USD_PER_RUN")


def apply(store: VectorStore, planned: SyncPlan, embedder: CachedEmbedder, *, max_usd: float | None = None,
          batch_size: int = 256, log: Callable[[str], None] = _quiet) -> Applied:
    """Carry out a plan on its target collection: embed the new and changed chunks (through
    the cache, after the budget guard) and upsert them, update payload-only changes, delete
    the stale points, and let the engine settle the writes."""
    physical, alias, desired = planned.target.collection, planned.target.alias, planned.desired
    to_embed = planned.to_embed
    if to_embed:  # refuse before paying for anything
        refuse_over_budget(planned.target.domain, embedder, [desired[pid].chunk.vector_text for pid in to_embed],
                           max_usd)
    applied = Applied(payload_updated=len(planned.payload_only), deleted=len(planned.stale))
    if to_embed or planned.payload_only or planned.stale:
        # before any write: what was measured on the collection (lib/golden.py) no longer holds
        # and the inputs it was verified on (lib/fingerprint.py) no longer describe it
        store.update_metadata(physical, {"write_started_at": datetime.now(timezone.utc).isoformat(),
                                         **fingerprint.cleared_on_write(store.metadata(physical), planned.scope.shard)})
    embed_seconds = upsert_seconds = 0.0
    hits_before = embedder.stats.hits
    for batch_no, batch in enumerate(_batched(to_embed, batch_size)):
        started = time.perf_counter()
        vectors = embedder.embed_documents([desired[pid].chunk.vector_text for pid in batch])
        embed_seconds += time.perf_counter() - started
        started = time.perf_counter()
        store.upsert(physical, [Point(pid, vec, sparse_vector(desired[pid].chunk.text), desired[pid].payload)
                                for pid, vec in zip(batch, vectors)])
        upsert_seconds += time.perf_counter() - started
        log(f"{alias}: embedded and wrote {min((batch_no + 1) * batch_size, len(to_embed))}/{len(to_embed)} chunks")
    for pid in planned.payload_only:
        store.set_payload(physical, pid, desired[pid].payload)
    applied.cache_hits = embedder.stats.hits - hits_before
    applied.embedded = len(to_embed) - applied.cache_hits
    # Deletes come last: a shortened document keeps its head chunks visible throughout.
    started = time.perf_counter()
    store.delete(physical, planned.stale)
    applied.seconds.update(embed=embed_seconds, upsert=upsert_seconds, delete=time.perf_counter() - started)
    if to_embed or planned.payload_only or planned.stale:
        started = time.perf_counter()
        store.optimize(physical)  # the embedded engine settles the writes on disk (a server: no-op)
        applied.seconds["optimize"] = time.perf_counter() - started
        # readers that derive something from the points (the maker vocabulary) rebuild it
        store.update_metadata(physical, {"synced_at": datetime.now(timezone.utc).isoformat()})
    return applied


def promote(store: VectorStore, target: Target, verify: Callable[[str], list[str]] | None = None,
            keep_previous: int = 1, log: Callable[[str], None] = _quiet) -> list[str]:
    """Verify a rebuilt collection, move the alias onto it in one call, and drop collections
    beyond ``keep_previous``. Returns the dropped ones; raises CheckFailed (alias unmoved)."""
    problems = verify(target.collection) if verify else []
    if problems:
        raise CheckFailed(f"{target.collection} failed verification, alias {target.alias} left on {target.live}: "
                          + "; ".join(problems))
    move_alias(store, target.alias, target.collection)
    dropped = prune_collections(store, target.alias, keep_previous)
    log(f"{target.alias}: now points at {target.collection}")
    return dropped


def move_alias(store: VectorStore, alias: str, collection: str) -> None:
    store.update_metadata(collection, {"promoted_at": datetime.now(timezone.utc).isoformat()})
    store.point_alias(alias, collection)


def _by_promotion(store: VectorStore, alias: str) -> list[tuple[str, str]]:
    """(promoted_at, collection) for this alias's collections, newest first; never-promoted last."""
    rows = [(store.metadata(name).get("promoted_at") or "", name) for name in store.physical_collections(alias)]
    return sorted(rows, reverse=True)


def prune_collections(store: VectorStore, alias: str, keep_previous: int) -> list[str]:
    """Drop collections beyond the live one and the ``keep_previous`` most recently promoted."""
    live = store.resolve(alias)
    others = [name for _, name in _by_promotion(store, alias) if name != live]
    dropped = others[keep_previous:]
    for name in dropped:
        store.drop(name)
    return dropped


def rollback(store: VectorStore, alias: str) -> tuple[str | None, str]:
    """Point ``alias`` back at the most recently promoted collection before the live one."""
    live = store.resolve(alias)
    candidates = [name for promoted, name in _by_promotion(store, alias) if name != live and promoted]
    if not candidates:
        raise CheckFailed(f"{alias}: no earlier collection is kept to roll back to")
    move_alias(store, alias, candidates[0])
    return live, candidates[0]
