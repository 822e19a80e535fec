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
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from helio_pipeline.lib.embedding_cache import CachedEmbedder
from helio_pipeline.lib.errors import CheckFailed, MassDeleteRefused
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.sharding import BUCKET_FIELD, Scope, source_bucket
from helio_pipeline.lib.sparse import SPARSE_VERSION, sparse_vector
from helio_pipeline.lib.store import Point, VectorStore

POINT_NAMESPACE = uuid.UUID("6f1d1a4e-2f0e-5a8b-9c11-4e2a7f0b5c3d")


def point_id(domain: str, source_id: str, chunk_no: int) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, f"{domain}\x1f{source_id}\x1f{chunk_no}"))


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IndexConfig:
    """What makes a collection's vectors what they are. Its fingerprint names the collection."""

    embedder: str
    model: str
    dimensions: int
    chunker_version: str
    distance: str = "Cosine"
    sparse_version: str = SPARSE_VERSION

    @property
    def fingerprint(self) -> str:
        return _sha(*(str(v) for v in asdict(self).values()))[:12]

    def content_hash(self, text: str) -> str:
        return _sha(self.embedder, self.model, str(self.dimensions), self.chunker_version, text)


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

    @property
    def points_written(self) -> int:
        return self.new + self.changed


def _payload(domain: str, chunk: Chunk, chash: str) -> dict:
    payload = {
        "domain": domain,
        "source_id": chunk.source_id,
        "chunk_no": chunk.chunk_no,
        "text": chunk.text,
        "content_hash": chash,
        "source": chunk.source,
        BUCKET_FIELD: source_bucket(chunk.source_id),  # lets a shard run read only its own points
        "updated_at": chunk.updated_at,
        **chunk.fields,
    }
    payload["payload_hash"] = _sha(json.dumps(payload, sort_keys=True, default=str))[:16]
    return payload


def _batched(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sync_collection(
    store: VectorStore,
    domain: str,
    alias: str,
    chunks: list[Chunk],
    embedder: CachedEmbedder,
    config: IndexConfig,
    *,
    payload_indexes: dict[str, str],
    tenant_field: str | None = None,
    scope: Scope | set[str] | None = None,
    protected_ids: set[str] = frozenset(),
    max_delete_fraction: float = 0.2,
    allow_mass_delete: bool = False,
    verify: Callable[[str], list[str]] | None = None,
    keep_previous: int = 1,
    batch_size: int = 256,
    log: Callable[[str], None] = lambda msg: None,
    before_embedding: Callable[[list[str]], None] | None = None,
    complete: Callable[[str, int], bool] | None = None,
) -> SyncReport:
    """Make the collection behind ``alias`` hold exactly ``chunks`` within ``scope`` (all points
    when None; a set of source ids is read as that scope). Points outside it are left alone.

    The mass-delete guard refuses (MassDeleteRefused, before any write) when more than
    ``max_delete_fraction`` of the sources held would vanish entirely: documents, not points,
    so one long document removed is not a mass delete (a single vanished source never is,
    unless it was the last one). A rebuild (a new physical collection) is measured against the
    live collection it replaces. ``allow_mass_delete`` lifts the guard for this sync.

    ``complete(collection, points_in_scope)`` is called after this sync's writes; on a
    rebuild, the new collection is verified and promoted only when it returns True (a
    sharded build: when every shard has filled its part)."""
    timer = time.perf_counter()
    if not isinstance(scope, Scope):
        scope = Scope.of(scope)
    physical = physical_name(alias, config)
    current = store.resolve(alias)
    report = SyncReport(domain, alias, physical, chunks=len(chunks), rebuilt=current != physical,
                        previous_collection=current if current != physical else None)
    if report.rebuilt and current is not None and not allow_mass_delete:
        _guard_rebuild(store, domain, alias, current, physical, chunks, scope, protected_ids, max_delete_fraction)
    created = store.ensure_collection(
        physical, config.dimensions, payload_indexes, tenant_field, config.distance,
        metadata={"domain": domain, "alias": alias, "fingerprint": config.fingerprint, **asdict(config),
                  "created_at": datetime.now(timezone.utc).isoformat()},
    )
    if report.rebuilt:
        log(f"{alias}: configuration {config.fingerprint} differs from the live collection "
            f"{current or '(none)'}; {'building' if created else 'resuming'} {physical}")

    # only this scope's shard: the guard measures deletes against it, and a shard run holds
    # its own points in memory, not the whole collection's
    shard_filter = scope.shard.point_filter() if scope.shard else None
    existing = {pid: held for pid, held in store.read_index(physical, flt=shard_filter).items()
                if scope.in_shard(held.get("source_id"))}
    desired: dict[str, tuple[Chunk, str, dict]] = {}
    for chunk in chunks:
        chash = config.content_hash(chunk.vector_text)
        desired[point_id(domain, chunk.source_id, chunk.chunk_no)] = (chunk, chash, _payload(domain, chunk, chash))

    to_embed, to_repayload = [], []
    for pid, (chunk, chash, payload) in desired.items():
        held = existing.get(pid)
        if held is None:
            report.new += 1
            to_embed.append(pid)
        elif held.get("content_hash") != chash:
            report.changed += 1
            to_embed.append(pid)
        else:
            report.unchanged += 1
            if held.get("payload_hash") != payload["payload_hash"]:
                to_repayload.append(pid)
    stale = [
        pid for pid, held in existing.items()
        if pid not in desired
        and scope.contains(held.get("source_id"))
        and not is_protected(held, protected_ids)
    ]
    # The guard counts documents, not points: it refuses when more than max_delete_fraction of
    # the sources held vanished entirely (a truncated table, an emptied prefix). One long
    # document removed is many points but one source, never a mass delete, unless it was the
    # last; tail chunks of documents that merely got shorter do not count at all.
    produced = {chunk.source_id for chunk, _, _ in desired.values()}
    orphaned = [pid for pid in stale if existing[pid].get("source_id") not in produced]
    held_sources = {held.get("source_id") for held in existing.values()}
    vanished = {existing[pid].get("source_id") for pid in orphaned}
    mass = len(vanished) > max_delete_fraction * len(held_sources) and (len(vanished) > 1 or vanished == held_sources)
    if not report.rebuilt and mass and not allow_mass_delete:
        raise MassDeleteRefused(
            f"{alias} ({scope.describe()}): this sync would delete {len(orphaned)} of {len(existing)} points, "
            f"every point of {len(vanished)} of the {len(held_sources)} sources it holds "
            f"({len(vanished) / len(held_sources):.0%}), over the {max_delete_fraction:.0%} guard. If the source "
            f"really shrank, rerun with `helio refresh --allow-mass-delete {domain}` "
            "(run config: allow_mass_delete: true)."
        )
    report.seconds["plan"] = time.perf_counter() - timer
    if before_embedding and to_embed:  # e.g. a budget guard: refuse before paying for anything
        before_embedding([desired[pid][0].vector_text for pid in to_embed])

    embed_seconds = upsert_seconds = 0.0
    hits_before = embedder.stats.hits
    for batch_no, batch in enumerate(_batched(sorted(to_embed, key=lambda p: (desired[p][0].source_id, desired[p][0].chunk_no)), batch_size)):
        started = time.perf_counter()
        vectors = embedder.embed_documents([desired[pid][0].vector_text for pid in batch])
        embed_seconds += time.perf_counter() - started
        started = time.perf_counter()
        store.upsert(physical, [
            Point(pid, vec, sparse_vector(desired[pid][0].text), desired[pid][2]) for pid, vec in zip(batch, vectors)
        ])
        upsert_seconds += time.perf_counter() - started
        done = min((batch_no + 1) * batch_size, len(to_embed))
        log(f"{alias}: embedded and wrote {done}/{len(to_embed)} chunks")
    for pid in to_repayload:
        store.set_payload(physical, pid, desired[pid][2])
    report.payload_updated = len(to_repayload)
    report.cache_hits = embedder.stats.hits - hits_before
    report.embedded = len(to_embed) - report.cache_hits
    # Deletes come last: a shortened document keeps its head chunks visible throughout.
    started = time.perf_counter()
    store.delete(physical, stale)
    report.deleted = len(stale)
    report.seconds.update(embed=embed_seconds, upsert=upsert_seconds, delete=time.perf_counter() - started)
    if to_embed or to_repayload or stale:
        started = time.perf_counter()
        store.optimize(physical)  # the embedded engine settles the writes on disk (a server: no-op)
        report.seconds["optimize"] = time.perf_counter() - started
        # readers that derive something from the points (the maker vocabulary) rebuild it
        store.update_metadata(physical, {"synced_at": datetime.now(timezone.utc).isoformat()})

    whole = complete(physical, report.chunks) if complete is not None else True
    if report.rebuilt and not whole:
        log(f"{alias}: {physical} holds this run's part ({scope.describe()}); the alias stays on "
            f"{current or '(none)'} until every shard is built")
    elif report.rebuilt:
        problems = verify(physical) if verify else []
        if problems:
            raise CheckFailed(f"{physical} failed verification, alias {alias} left on {current}: " + "; ".join(problems))
        promote(store, alias, physical)
        report.promoted = True
        report.dropped_collections = prune_collections(store, alias, keep_previous)
        log(f"{alias}: now points at {physical}")
    report.seconds["total"] = time.perf_counter() - timer
    return report


def _guard_rebuild(store: VectorStore, domain: str, alias: str, live: str, physical: str, chunks: list[Chunk],
                   scope: Scope, protected_ids: set[str], max_delete_fraction: float) -> None:
    """The mass-delete guard for a rebuild: the new collection starts empty, so measure against
    the live collection it will replace. Without it a source that reads back empty (a wrong
    prefix, a truncated table) fills a nearly empty collection that verifies (its count is
    what the sources produced) and is promoted. Runs before the new collection is created."""
    held = [p for p in store.read_index(live, ("source_id", "source"),
                                        flt=scope.shard.point_filter() if scope.shard else None).values()
            if scope.in_shard(p.get("source_id"))]
    held_sources = {p.get("source_id") for p in held}
    produced = {chunk.source_id for chunk in chunks}
    vanished = {p.get("source_id") for p in held
                if scope.contains(p.get("source_id")) and not is_protected(p, protected_ids)} - produced
    if len(vanished) > max_delete_fraction * len(held_sources) and (len(vanished) > 1 or vanished == held_sources):
        raise MassDeleteRefused(
            f"{alias} ({scope.describe()}): the rebuild into {physical} would leave out {len(vanished)} of the "
            f"{len(held_sources)} sources the live collection {live} holds ({len(vanished) / len(held_sources):.0%}), "
            f"over the {max_delete_fraction:.0%} guard; {live} stays live. If the source really shrank, rerun "
            f"with `helio refresh --allow-mass-delete {domain}` (run config: allow_mass_delete: true).")


def is_protected(held: dict, protected_ids: set[str]) -> bool:
    """Whether a point belongs to a source that could not be read this time: by source id (a
    rules file), or by where it came from (a whole CSV drop that failed to parse: the SKUs it
    carried are unknown this time). Such points are kept, and checks count them as expected."""
    if not protected_ids:
        return False
    sources = set((held.get("source") or "").split(","))
    return held.get("source_id") in protected_ids or bool(sources & protected_ids)


def physical_name(alias: str, config: IndexConfig) -> str:
    """The physical collection a configuration builds behind ``alias``."""
    return f"{alias}__{config.fingerprint}"


def promote(store: VectorStore, alias: str, collection: str) -> None:
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
    promote(store, alias, candidates[0])
    return live, candidates[0]
