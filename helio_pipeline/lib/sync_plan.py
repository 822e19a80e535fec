"""The pure half of a sync (see lib/sync.py): what it would do, decided from what the
collection holds and what the sources produce, with no store and no embedder.

``plan(existing, desired, scope, options)`` sorts every point into new, changed, unchanged
(and among those, payload-only changes), stale (to delete) and protected (stale, but its
source could not be read this time), and reads the mass-delete guard: documents, not points.
``SyncOptions`` is the one declaration of how a sync may act: the run config of an index
asset is this model (defs/assets.py's ``SyncConfig``), passed unchanged to the engine.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Optional

import pydantic

from helio_pipeline.lib.errors import MassDeleteRefused
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.sharding import BUCKET_FIELD, Scope, source_bucket
from helio_pipeline.lib.sparse import SPARSE_VERSION

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


class SyncOptions(pydantic.BaseModel, frozen=True):
    """How a sync may act. Dagster run config of every index asset (``ops: {<domain>_index:
    {config: {allow_mass_delete: true}}}``) and the engine's one options object."""

    allow_mass_delete: bool = pydantic.Field(
        False, description="Let this sync delete past the mass-delete guard (the source really shrank).")
    max_usd: Optional[float] = pydantic.Field(
        None, description="Refuse to embed when the estimate exceeds this (default: the embedder's budget).")
    max_delete_fraction: float = pydantic.Field(
        0.2, description="The mass-delete guard: the share of held sources a sync may remove entirely.")
    keep_previous: int = pydantic.Field(
        1, description="Earlier collections kept for `helio rollback` after a rebuild.")
    source_ids: Optional[list[str]] = pydantic.Field(
        None, description="Re-sync only these sources (sensor-triggered runs).")
    full: bool = pydantic.Field(
        False, description="Extract, chunk and sync even when the domain's inputs are unchanged since its last "
                           "verified sync (see lib/fingerprint.py).")

    def with_budget(self, default: float | None) -> "SyncOptions":
        """These options, with ``default`` as the budget when the run set none."""
        return self if self.max_usd is not None or default is None else self.model_copy(update={"max_usd": default})


@dataclass(frozen=True)
class Target:
    """Where a sync writes: the physical collection its configuration builds behind ``alias``,
    and the collection the alias points at now (a rebuild when they differ)."""

    domain: str
    alias: str
    collection: str
    live: str | None

    @property
    def rebuild(self) -> bool:
        return self.live != self.collection


@dataclass(frozen=True)
class DesiredPoint:
    chunk: Chunk
    content_hash: str
    payload: dict


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


def desired_points(domain: str, chunks: list[Chunk], config: IndexConfig,
                   scope: Scope = Scope()) -> dict[str, DesiredPoint]:
    """The points ``chunks`` make, by point id: only those in ``scope`` (the others are not
    this sync's to write)."""
    desired = {}
    for chunk in chunks:
        if scope.contains(chunk.source_id):
            chash = config.content_hash(chunk.vector_text)
            desired[point_id(domain, chunk.source_id, chunk.chunk_no)] = DesiredPoint(
                chunk, chash, _payload(domain, chunk, chash))
    return desired


def is_protected(held: dict, protected_ids: set[str]) -> bool:
    """Whether a point belongs to a source that could not be read this time: by source id (a
    rules file), or by where it came from (a whole CSV drop that failed to parse: the SKUs it
    carried are unknown this time). Such points are kept, and checks count them as expected."""
    if not protected_ids:
        return False
    sources = set((held.get("source") or "").split(","))
    return held.get("source_id") in protected_ids or bool(sources & protected_ids)


@dataclass(frozen=True)
class MassDeleteVerdict:
    """The mass-delete guard's reading. It counts documents, not points: one long document
    removed is many points but one source, never a mass delete unless it was the last; tail
    chunks of documents that merely got shorter do not count at all."""

    vanished: int               # sources every point of which would go
    held: int                   # sources held (within the scope's shard)
    max_fraction: float
    over: bool                  # more than max_fraction of the held sources vanish
    refused: bool               # over, and the run did not allow it
    message: str = ""           # why, and how to proceed (set when over)

    @property
    def fraction(self) -> float:
        return self.vanished / self.held if self.held else 0.0

    @classmethod
    def read(cls, vanished: set, held: set, options: SyncOptions, message) -> "MassDeleteVerdict":
        fraction = options.max_delete_fraction
        over = len(vanished) > fraction * len(held) and (len(vanished) > 1 or vanished == held)
        return cls(len(vanished), len(held), fraction, over, over and not options.allow_mass_delete,
                   message(len(vanished) / len(held)) if over else "")


@dataclass
class SyncPlan:
    target: Target
    scope: Scope
    desired: dict[str, DesiredPoint]
    new: list[str]
    changed: list[str]
    unchanged: list[str]
    payload_only: list[str]     # unchanged vectors whose payload fields changed (stock, active flag)
    stale: list[str]            # to delete: in scope, not desired, not protected
    protected: list[str]        # would be stale, but their source could not be read this time
    verdict: MassDeleteVerdict

    @property
    def to_embed(self) -> list[str]:
        """New and changed points, in source order (batches then follow documents)."""
        key = {pid: (self.desired[pid].chunk.source_id, self.desired[pid].chunk.chunk_no)
               for pid in self.new + self.changed}
        return sorted(key, key=key.__getitem__)

    def refuse_mass_delete(self) -> None:
        if self.verdict.refused:
            raise MassDeleteRefused(self.verdict.message)


def _rerun_hint(domain: str) -> str:
    return (f"If the source really shrank, rerun with `helio refresh --allow-mass-delete {domain}` "
            "(run config: allow_mass_delete: true).")


def plan(existing: dict[str, dict], desired: dict[str, DesiredPoint], scope: Scope, options: SyncOptions, *,
         target: Target, protected: set[str] = frozenset(), live: dict[str, dict] | None = None) -> SyncPlan:
    """What a sync of ``desired`` (in-scope points, :func:`desired_points`) into ``target``
    does, given ``existing`` (the target collection's points: id → payload fields, as the
    store's ``read_index`` gives them). Points of ``existing`` outside the scope's shard are
    not looked at; those outside the scope are never stale.

    On a rebuild the new collection starts empty, so the guard measures against ``live`` (the
    index of the live collection it will replace; None: not measured). Without it a source
    that reads back empty (a wrong prefix, a truncated table) fills a nearly empty collection
    that verifies (its count is what the sources produced) and is promoted."""
    existing = {pid: held for pid, held in existing.items() if scope.in_shard(held.get("source_id"))}
    new, changed, unchanged, payload_only = [], [], [], []
    for pid, point in desired.items():
        held = existing.get(pid)
        if held is None:
            new.append(pid)
        elif held.get("content_hash") != point.content_hash:
            changed.append(pid)
        else:
            unchanged.append(pid)
            if held.get("payload_hash") != point.payload["payload_hash"]:
                payload_only.append(pid)
    leaving = [pid for pid, held in existing.items()
               if pid not in desired and scope.contains(held.get("source_id"))]
    stale = [pid for pid in leaving if not is_protected(existing[pid], protected)]
    kept = [pid for pid in leaving if is_protected(existing[pid], protected)]
    produced = {point.chunk.source_id for point in desired.values()}
    if target.rebuild:
        verdict = _rebuild_verdict(target, live, produced, scope, options, protected)
    else:
        verdict = _sync_verdict(target, existing, stale, produced, scope, options)
    return SyncPlan(target, scope, desired, new, changed, unchanged, payload_only, stale, kept, verdict)


def _sync_verdict(target: Target, existing: dict[str, dict], stale: list[str], produced: set[str],
                  scope: Scope, options: SyncOptions) -> MassDeleteVerdict:
    orphaned = [pid for pid in stale if existing[pid].get("source_id") not in produced]
    held = {p.get("source_id") for p in existing.values()}
    vanished = {existing[pid].get("source_id") for pid in orphaned}
    return MassDeleteVerdict.read(vanished, held, options, lambda share: (
        f"{target.alias} ({scope.describe()}): this sync would delete {len(orphaned)} of {len(existing)} points, "
        f"every point of {len(vanished)} of the {len(held)} sources it holds ({share:.0%}), over the "
        f"{options.max_delete_fraction:.0%} guard. " + _rerun_hint(target.domain)))


def _rebuild_verdict(target: Target, live: dict[str, dict] | None, produced: set[str], scope: Scope,
                     options: SyncOptions, protected: set[str]) -> MassDeleteVerdict:
    points = [p for p in (live or {}).values() if scope.in_shard(p.get("source_id"))]
    held = {p.get("source_id") for p in points}
    vanished = {p.get("source_id") for p in points
                if scope.contains(p.get("source_id")) and not is_protected(p, protected)} - produced
    return MassDeleteVerdict.read(vanished, held, options, lambda share: (
        f"{target.alias} ({scope.describe()}): the rebuild into {target.collection} would leave out "
        f"{len(vanished)} of the {len(held)} sources the live collection {target.live} holds ({share:.0%}), "
        f"over the {options.max_delete_fraction:.0%} guard; {target.live} stays live. " + _rerun_hint(target.domain)))
