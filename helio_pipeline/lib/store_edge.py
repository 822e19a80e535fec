"""The vector store on Qdrant Edge: Qdrant's own engine, in-process, one shard per collection.

:class:`EdgeVectorStore` has the public methods and return shapes of
:class:`helio_pipeline.lib.store.VectorStore`, so the sync engine, the checks and the
KnowledgeBase run on it unchanged. qdrant-client's local mode evaluates filters in Python
(about 120 ms per filtered query at 10k points); Qdrant Edge uses the engine's payload
indexes (well under a millisecond).

Qdrant Edge knows one shard per directory and nothing of collections or aliases, so this
module keeps them itself, under a root directory::

    <root>/.lock                 fcntl lock: one process at a time (pid and label inside)
    <root>/catalog.json          {"format": 1, "qdrant_edge": "<version>",
                                  "collections": {name: {dimensions, distance, payload_indexes,
                                                         tenant_field, metadata}},
                                  "aliases": {alias: collection}}
    <root>/collections/<name>/   one EdgeShard per physical collection

Every catalog change (a new collection, metadata, an alias move, a drop) writes a temporary
file, fsyncs it and ``os.replace``-s it over the catalog, so an alias moves atomically. A
collection's shard is created and flushed before the catalog names it, and leaves the
catalog before its directory is removed: a crash leaves at worst an unnamed directory,
which is cleared when a collection of that name is created again.

A write survives the process dying as soon as it returns: it is in the shard's write-ahead
log, which the next load replays. Segments are flushed at most once a second during a run of
writes (see ``FLUSH_INTERVAL_S``), before an alias moves, on :meth:`close` and at exit.

All ``qdrant_edge`` imports live in this module.
"""

from __future__ import annotations

import atexit
import copy
import fcntl
import json
import os
import shutil
import sys
import threading
import time
import uuid
from datetime import date, datetime, timezone
from importlib import metadata as _importlib_metadata
from pathlib import Path

import numpy as np
import qdrant_edge as qe
from qdrant_client import models

from helio_pipeline.lib.errors import HelioError, StoreBusy

DENSE = "dense"
SPARSE = "sparse"
CATALOG_FORMAT = 1
CATALOG = "catalog.json"
LOCK = ".lock"
COLLECTIONS = "collections"
RRF_K = 2  # Qdrant's default for Fusion.RRF (server and qdrant-client local mode alike)
_SCROLL_PAGE = 2048
# Collections are created without a write-ahead log: a WAL is replayed and held in memory
# by every process that loads the shard (about half of what a loaded collection costs, see
# bench/scale.py), and the index does not need one. A write is durable once its shard is
# flushed: after a write when the last flush is this old, always before an alias moves onto
# it, on close and at exit. What a killed process had not flushed, the next sync finds
# missing and writes again (from the embedding cache: nothing is paid twice). Flushing costs
# 20-150 ms whatever the batch size, hence the interval. Collections made by earlier versions
# keep their WAL (the setting is fixed when a shard is created).
FLUSH_INTERVAL_S = 1.0
# Fresh writes land in an appendable segment, whose id tracker, payload indexes and sparse
# index live in the process's heap (about 2.5 KB per point): a collection never reorganized
# costs every process that loads it that much (1.2 GB of heap for 268k chunks in
# bench/scale.py). After a sync's writes, optimize() turns them into immutable segments kept
# on disk (about 0.2-0.5 KB of heap per point once loaded). No HNSW graph is built (m=0):
# searches here are filtered by tenant or small enough for an exact scan, and graphs would
# cost 1 s per thousand points. Segment sizes are set in points (the engine counts KB of
# vector data, 1 KB = 256 floats): an appendable segment is converted from 4k points, and
# merges stop at 32k, so an optimize costs the same memory and time however large the
# collection grows.
_HNSW = dict(m=0, ef_construct=100, full_scan_threshold=10_000)
_CONVERT_AT_POINTS, _SEGMENT_POINTS = 4_096, 32_768


_DELETE_BATCH = 1000


def _edge_config(dimensions: int, distance: str, wal_enabled: bool | None = None):
    """A collection's engine settings, used to create it and each time it is loaded (so
    collections made by earlier versions get today's segment settings; the WAL setting is
    fixed at creation and left alone on load). Vectors, sparse index and payload stay on disk
    (mmap, in the page cache when hot), not in the process's own memory."""
    kb_per_point = dimensions * 4 / 1024
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dimensions, distance=_DISTANCES[distance], memory=qe.Memory.Cold)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, memory=qe.Memory.Cold)},
        payload_memory=qe.Memory.Cold, wal_enabled=wal_enabled, id_tracker_memory=qe.Memory.Cold,
        hnsw_config=qe.HnswIndexConfig(**_HNSW, memory=qe.Memory.Cold),
        optimizers=qe.EdgeOptimizersConfig(indexing_threshold=max(1, int(_CONVERT_AT_POINTS * kb_per_point)),
                                           max_segment_size=max(1, int(_SEGMENT_POINTS * kb_per_point)),
                                           default_segment_number=4),
    )


_DISTANCES = {
    "Cosine": qe.Distance.Cosine,
    "Euclid": qe.Distance.Euclid,
    "Dot": qe.Distance.Dot,
    "Manhattan": qe.Distance.Manhattan,
}
_INDEX_TYPES = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
    "bool": qe.PayloadSchemaType.Bool,
    "datetime": qe.PayloadSchemaType.Datetime,
}


def edge_version() -> str:
    """The installed qdrant-edge-py version (recorded in, and checked against, the catalog)."""
    try:
        return _importlib_metadata.version("qdrant-edge-py")
    except _importlib_metadata.PackageNotFoundError:  # pragma: no cover - an unusual install
        return "unknown"


class CollectionNotFound(HelioError, ValueError):
    """No collection or alias of that name (a ValueError too, as in qdrant-client's local mode)."""


def _rebuild_hint(root: Path) -> str:
    return (f"The store under {root} is a derived index: move that directory aside (or delete it) "
            "and rebuild each domain with `helio rebuild DOMAIN`, or set HELIO_QDRANT_URL to use a "
            "Qdrant server instead.")


# --- filters ---------------------------------------------------------------------------

def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _datetime_bound(value) -> str | None:
    """RFC 3339 text for a DatetimeRange bound; a naive time is UTC, as Qdrant takes it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc).isoformat()
    return str(value)


def _point_id(value):
    """The engine's form of a point id: an int, or a UUID's canonical (lower, hyphenated) text."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError(f"point id {value!r} is neither an unsigned integer nor a UUID") from None


def _out_id(value):
    return value if isinstance(value, int) else str(value)


def _match(match):
    if isinstance(match, models.MatchValue):
        return qe.MatchValue(match.value)
    if isinstance(match, models.MatchAny):
        return qe.MatchAny(list(match.any))
    if isinstance(match, models.MatchExcept):
        return qe.MatchExcept(list(match.except_))
    raise ValueError(f"the Qdrant Edge store does not translate {type(match).__name__} filters; "
                     "supported matches: MatchValue, MatchAny, MatchExcept")


def _range(rng):
    if isinstance(rng, models.DatetimeRange):
        return qe.RangeDateTime(gte=_datetime_bound(rng.gte), gt=_datetime_bound(rng.gt),
                                lte=_datetime_bound(rng.lte), lt=_datetime_bound(rng.lt))
    if isinstance(rng, models.Range):
        def num(v):
            return None if v is None else float(v)
        return qe.RangeFloat(gte=num(rng.gte), gt=num(rng.gt), lte=num(rng.lte), lt=num(rng.lt))
    raise ValueError(f"the Qdrant Edge store does not translate {type(rng).__name__} ranges; "
                     "supported: Range, DatetimeRange")


def _condition(cond):
    if isinstance(cond, models.Filter):
        return convert_filter(cond)
    if isinstance(cond, models.FieldCondition):
        unsupported = [f for f in ("geo_bounding_box", "geo_radius", "geo_polygon", "values_count")
                       if getattr(cond, f, None) is not None]
        if unsupported:
            raise ValueError(f"the Qdrant Edge store does not translate {', '.join(unsupported)} conditions "
                             f"(field {cond.key!r})")
        kwargs = {}
        if cond.match is not None:
            kwargs["match"] = _match(cond.match)
        if cond.range is not None:
            kwargs["range"] = _range(cond.range)
        if cond.is_empty is not None:
            kwargs["is_empty"] = cond.is_empty
        if cond.is_null is not None:
            kwargs["is_null"] = cond.is_null
        if not kwargs:
            raise ValueError(f"the condition on {cond.key!r} has no match, range, is_empty or is_null")
        return qe.FieldCondition(cond.key, **kwargs)
    if isinstance(cond, models.HasIdCondition):
        return qe.HasIdCondition({_point_id(i) for i in cond.has_id})
    if isinstance(cond, models.IsEmptyCondition):
        return qe.IsEmptyCondition(cond.is_empty.key)
    if isinstance(cond, models.IsNullCondition):
        return qe.IsNullCondition(cond.is_null.key)
    raise ValueError(f"the Qdrant Edge store does not translate {type(cond).__name__} conditions; "
                     "supported: FieldCondition (MatchValue, MatchAny, MatchExcept, Range, DatetimeRange, "
                     "is_empty, is_null), HasIdCondition, IsEmptyCondition, IsNullCondition and nested Filter")


def convert_filter(flt: models.Filter | None):
    """A qdrant-client ``models.Filter`` as a ``qdrant_edge.Filter`` (None stays None).

    Raises ValueError, naming the construct, for anything it does not translate."""
    if flt is None:
        return None
    if not isinstance(flt, models.Filter):
        raise ValueError(f"expected a qdrant_client.models.Filter, got {type(flt).__name__}")
    min_should = None
    if flt.min_should is not None:
        min_should = qe.MinShould([_condition(c) for c in _as_list(flt.min_should.conditions)],
                                  int(flt.min_should.min_count))
    return qe.Filter(
        must=[_condition(c) for c in _as_list(flt.must)] or None,
        should=[_condition(c) for c in _as_list(flt.should)] or None,
        must_not=[_condition(c) for c in _as_list(flt.must_not)] or None,
        min_should=min_should,
    )


# --- results -----------------------------------------------------------------------------

def _vectors_out(vector):
    """Edge vectors as qdrant-client returns them: {"dense": [...], "sparse": SparseVector}."""
    if not vector:
        return None
    if not isinstance(vector, dict):
        return list(vector)
    out = {}
    for name, value in vector.items():
        if isinstance(value, qe.SparseVector):
            out[name] = models.SparseVector(indices=list(value.indices), values=list(value.values))
        else:
            out[name] = value
    return out


def _record(rec) -> models.Record:
    return models.Record.model_construct(id=_out_id(rec.id), payload=rec.payload if rec.payload is not None else {},
                                         vector=_vectors_out(rec.vector), shard_key=None, order_value=None)


def _scored(point) -> models.ScoredPoint:
    return models.ScoredPoint.model_construct(
        id=_out_id(point.id), version=point.version, score=point.score,
        payload=point.payload if point.payload is not None else {},
        vector=_vectors_out(point.vector), shard_key=None, order_value=None,
    )


# --- the store ---------------------------------------------------------------------------

_STORES: dict[str, "EdgeVectorStore"] = {}
_STORES_LOCK = threading.Lock()


def close_all() -> None:
    """Close every store this process holds (flushes, releases the lock for other processes)."""
    for store in list(_STORES.values()):
        try:
            store.close()
        except Exception:  # noqa: BLE001 - at exit, each store gets its chance to flush
            pass


atexit.register(close_all)


class EdgeVectorStore:
    """Collections, aliases and points in Qdrant Edge shards under ``root``.

    ``EdgeVectorStore(root)`` (or ``EdgeVectorStore.open(root)``) returns the instance already
    open in this process for that root, if any: one process holds a root at a time (an
    exclusive lock on ``<root>/.lock``), and another process gets a :class:`HelioError`.
    """

    root: Path
    endpoint: str

    def __new__(cls, root: str | Path, label: str | None = None):
        key = str(Path(root).resolve())
        with _STORES_LOCK:
            store = _STORES.get(key)
            if store is not None and store._pid != os.getpid():
                # inherited through fork: the parent's shards and lock are not ours to use
                del _STORES[key]
                store = None
            if store is None:
                store = super().__new__(cls)
                store._open(Path(key), label)
                _STORES[key] = store
            return store

    def __init__(self, root: str | Path, label: str | None = None):
        pass  # everything happens in __new__, once per root and process

    @classmethod
    def open(cls, root: str | Path, label: str | None = None) -> "EdgeVectorStore":
        return cls(root, label)

    # --- opening, locking, the catalog ----------------------------------------------------
    def _open(self, root: Path, label: str | None) -> None:
        self.root = root
        self.endpoint = f"edge:{root}"
        self._pid = os.getpid()
        self._mutex = threading.RLock()
        self._shards: dict[str, qe.EdgeShard] = {}
        self._dirty: set[str] = set()
        self._flushed_at: dict[str, float] = {}
        self._closed = False
        self._lock_file = None
        root.mkdir(parents=True, exist_ok=True)
        self._acquire_lock(label or Path(sys.argv[0] or "python").name)
        try:
            self._catalog = self._load_catalog()
            self._load_shards()
        except BaseException:
            for shard in self._shards.values():
                try:
                    shard.close()
                except Exception:  # noqa: BLE001
                    pass
            self._shards.clear()
            self._release_lock()
            raise

    def _acquire_lock(self, label: str) -> None:
        handle = open(self.root / LOCK, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            try:
                info = json.loads(holder)
                who = f"pid {info.get('pid')}, {info.get('label')}, since {info.get('since')}"
            except (ValueError, AttributeError):
                who = f"pid {holder or 'unknown'}"
            raise StoreBusy(
                f"the embedded Qdrant Edge store {self.root} is open in another process ({who}). "
                "Stop that process, or set HELIO_QDRANT_URL to a Qdrant server for concurrent use."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "label": label,
                                 "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}) + "\n")
        handle.flush()
        self._lock_file = handle

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            try:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            finally:
                self._lock_file.close()
                self._lock_file = None

    def _corrupt(self, what: str) -> HelioError:
        return HelioError(f"the embedded Qdrant Edge store {self.root} is unreadable: {what}. "
                          + _rebuild_hint(self.root))

    def _load_catalog(self) -> dict:
        path = self.root / CATALOG
        if not path.exists():
            shards = self.root / COLLECTIONS
            if shards.is_dir() and any(p.is_dir() for p in shards.iterdir()):
                raise self._corrupt(f"{path} is missing but {shards} holds collections")
            catalog = {"format": CATALOG_FORMAT, "qdrant_edge": edge_version(), "collections": {}, "aliases": {}}
            self._write_catalog(catalog)
            return catalog
        try:
            catalog = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise self._corrupt(f"{path} is not valid JSON ({exc})") from None
        if not isinstance(catalog, dict) or catalog.get("format") != CATALOG_FORMAT:
            found = catalog.get("format") if isinstance(catalog, dict) else type(catalog).__name__
            raise self._corrupt(f"{path} has format {found!r}; this Helio KB reads format {CATALOG_FORMAT}")
        collections, aliases = catalog.get("collections"), catalog.get("aliases")
        if not isinstance(collections, dict) or not isinstance(aliases, dict):
            raise self._corrupt(f"{path} lacks its collections or aliases")
        for name, entry in collections.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("dimensions"), int) \
                    or entry.get("distance") not in _DISTANCES:
                raise self._corrupt(f"{path} has a malformed entry for collection {name!r}")
            entry.setdefault("payload_indexes", {})
            entry.setdefault("tenant_field", None)
            entry.setdefault("metadata", {})
        for alias, target in aliases.items():
            if target not in collections:
                raise self._corrupt(f"{path} points alias {alias!r} at {target!r}, which it does not hold")
        return catalog

    def _load_shards(self) -> None:
        """Check that every collection has its shard directory. Shards load on first use: a
        run that touches one domain does not hold the other domains' points in memory."""
        for name in self._catalog["collections"]:
            path = self._shard_path(name)
            if not path.is_dir():
                raise self._corrupt(f"collection {name} has no shard directory {path}")

    def _loaded(self, physical: str):
        shard = self._shards.get(physical)
        if shard is not None:
            return shard
        with self._mutex:
            if physical not in self._shards:
                path = self._shard_path(physical)
                entry = self._catalog["collections"].get(physical, {})
                try:
                    try:
                        # today's segment settings, also for collections made by earlier versions
                        config = _edge_config(int(entry["dimensions"]), entry.get("distance", "Cosine"))
                        self._shards[physical] = qe.EdgeShard.load(str(path), config)
                    except Exception:  # noqa: BLE001 - settings it refuses: load it as it is
                        self._shards[physical] = qe.EdgeShard.load(str(path))
                except Exception as exc:  # noqa: BLE001 - the engine raises a bare Exception
                    recorded, installed = self._catalog.get("qdrant_edge"), edge_version()
                    version = (f"; it was written by qdrant-edge-py {recorded}, this is {installed}"
                               if recorded != installed else "")
                    raise self._corrupt(f"the shard {path} of collection {physical} failed to load "
                                        f"({exc}){version}") from None
            return self._shards[physical]

    def load_all(self) -> None:
        """Load every shard now: a broken one raises here (``helio rebuild`` checks with it)."""
        for name in list(self._catalog["collections"]):
            self._loaded(name)
        installed = edge_version()
        if self._catalog.get("qdrant_edge") != installed:
            # Every shard loaded under the installed engine: record it, so the next
            # mismatch is measured from this version.
            self._catalog["qdrant_edge"] = installed
            self._write_catalog(self._catalog)

    def _write_catalog(self, catalog: dict) -> None:
        """Replace the catalog atomically: a temporary file, fsync, os.replace, fsync the directory."""
        path = self.root / CATALOG
        tmp = self.root / f"{CATALOG}.{os.getpid()}.{threading.get_ident()}.tmp"
        data = json.dumps(catalog, indent=1, sort_keys=True, ensure_ascii=False)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _commit(self, change) -> None:
        """Apply ``change`` to a copy of the catalog, persist it, then adopt it."""
        catalog = copy.deepcopy(self._catalog)
        change(catalog)
        self._write_catalog(catalog)
        self._catalog = catalog

    def _shard_path(self, name: str) -> Path:
        return self.root / COLLECTIONS / name

    def _check_open(self) -> None:
        if self._closed:
            raise HelioError(f"the Qdrant Edge store {self.root} is closed")
        if self._pid != os.getpid():
            raise HelioError(f"the Qdrant Edge store {self.root} was opened by process {self._pid}; "
                             "open it again in this process (EdgeVectorStore(root))")

    def _physical(self, name: str) -> str:
        self._check_open()
        catalog = self._catalog
        if name in catalog["collections"]:
            return name
        target = catalog["aliases"].get(name)
        if target is None:
            raise CollectionNotFound(f"Collection {name} not found in the Qdrant Edge store {self.root}")
        return target

    def _shard(self, name: str):
        physical = self._physical(name)
        return physical, self._loaded(physical)

    def _flush(self, physical: str) -> None:
        self._shards[physical].flush()
        self._dirty.discard(physical)
        self._flushed_at[physical] = time.monotonic()

    def _written(self, physical: str) -> None:
        """After a write: flush the segments if the last flush is old enough."""
        self._dirty.add(physical)
        if time.monotonic() - self._flushed_at.get(physical, 0.0) >= FLUSH_INTERVAL_S:
            self._flush(physical)

    def _flush_dirty(self) -> None:
        for physical in list(self._dirty):
            if physical in self._shards:
                self._flush(physical)
        self._dirty.clear()

    def close(self) -> None:
        """Flush and close every shard and release the lock; a later open starts afresh."""
        with _STORES_LOCK, self._mutex:
            if self._closed:
                return
            if self._pid != os.getpid():  # a forked child: the shards and the lock are the parent's
                self._closed = True
                if _STORES.get(str(self.root)) is self:
                    del _STORES[str(self.root)]
                return
            try:
                for name, shard in self._shards.items():
                    try:
                        shard.flush()
                    finally:
                        shard.close()
            finally:
                self._shards.clear()
                self._dirty.clear()
                self._closed = True
                self._release_lock()
                if _STORES.get(str(self.root)) is self:
                    del _STORES[str(self.root)]

    def __enter__(self) -> "EdgeVectorStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EdgeVectorStore({str(self.root)!r}{', closed' if self._closed else ''})"

    # --- collections and aliases ----------------------------------------------------------
    def exists(self, name: str) -> bool:
        self._check_open()
        return name in self._catalog["collections"] or name in self._catalog["aliases"]

    def ensure_collection(self, name: str, dimensions: int, payload_indexes: dict[str, str],
                          tenant_field: str | None = None, distance: str = "Cosine",
                          metadata: dict | None = None) -> bool:
        """Create ``name`` if missing (returns True when created) and its payload indexes."""
        with self._mutex:
            if self.exists(name):
                size = self.vector_size(name)
                if size != dimensions:
                    raise HelioError(f"collection {name} holds {size}-d vectors, the embedder makes {dimensions}-d")
                return False
            _check_name(name)
            if distance not in _DISTANCES:
                raise ValueError(f"unknown distance {distance!r}: use one of {sorted(_DISTANCES)}")
            indexes = {"source_id": "keyword", "source_bucket": "integer", **payload_indexes}
            unknown = {f: k for f, k in indexes.items() if k not in _INDEX_TYPES}
            if unknown:
                raise ValueError(f"unknown payload index type(s) {unknown}: use one of {sorted(_INDEX_TYPES)}")
            meta = json.loads(json.dumps(metadata or {}))  # what the catalog will hold, checked now
            path = self._shard_path(name)
            if path.exists():  # left by a create or drop that did not finish: never in the catalog
                shutil.rmtree(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            shard = qe.EdgeShard.create(str(path), _edge_config(int(dimensions), distance, wal_enabled=False))
            try:
                for field, kind in indexes.items():
                    schema = _INDEX_TYPES[kind]
                    if field == tenant_field:
                        schema = qe.KeywordIndexParams(is_tenant=True)
                    shard.update(qe.UpdateOperation.create_field_index(field, schema))
                shard.flush()

                def add(catalog):
                    catalog["collections"][name] = {
                        "dimensions": int(dimensions), "distance": distance, "payload_indexes": indexes,
                        "tenant_field": tenant_field, "metadata": meta,
                    }
                self._commit(add)
            except BaseException:
                shard.close()
                shutil.rmtree(path, ignore_errors=True)
                raise
            self._shards[name] = shard
            return True

    def metadata(self, name: str) -> dict:
        """What the pipeline recorded on the collection: fingerprint, embedder, promotion time."""
        physical = self._physical(name)
        return copy.deepcopy(self._catalog["collections"][physical]["metadata"])

    def update_metadata(self, name: str, values: dict) -> None:
        """Merged into the existing metadata (top-level keys), as Qdrant does."""
        with self._mutex:
            physical = self._physical(name)
            values = json.loads(json.dumps(values))
            self._commit(lambda catalog: catalog["collections"][physical]["metadata"].update(values))

    def vector_size(self, name: str) -> int:
        return self._catalog["collections"][self._physical(name)]["dimensions"]

    def resolve(self, alias: str) -> str | None:
        """The physical collection an alias points at (None when the alias does not exist)."""
        self._check_open()
        return self._catalog["aliases"].get(alias)

    def point_alias(self, alias: str, collection: str) -> None:
        """Move (or create) ``alias`` to ``collection``: one atomic catalog replacement."""
        with self._mutex:
            self._check_open()
            if collection not in self._catalog["collections"]:
                raise CollectionNotFound(f"Collection {collection} not found in the Qdrant Edge store {self.root}")
            if alias in self._catalog["collections"]:
                raise HelioError(f"cannot create alias {alias}: a collection of that name exists")
            _check_name(alias)
            # What the alias will show must be on disk before the alias shows it.
            self._flush_dirty()

            def move(catalog):
                catalog["aliases"][alias] = collection
            self._commit(move)

    def physical_collections(self, alias: str) -> list[str]:
        self._check_open()
        return sorted(name for name in self._catalog["collections"] if name.startswith(alias + "__"))

    def drop(self, name: str) -> None:
        """Delete a physical collection and the aliases on it. Like qdrant-client's local mode,
        a name that is not a physical collection (an alias, or nothing) is left alone."""
        with self._mutex:
            self._check_open()
            if name not in self._catalog["collections"]:
                return

            def remove(catalog):
                del catalog["collections"][name]
                for alias in [a for a, target in catalog["aliases"].items() if target == name]:
                    del catalog["aliases"][alias]
            self._commit(remove)
            shard = self._shards.pop(name, None)
            self._dirty.discard(name)
            self._flushed_at.pop(name, None)
            if shard is not None:
                shard.close()
            shutil.rmtree(self._shard_path(name), ignore_errors=True)

    # --- points -------------------------------------------------------------------------
    def count(self, name: str) -> int:
        _, shard = self._shard(name)
        return shard.count(qe.CountRequest(exact=True))

    def read_index(self, name: str, fields=("source_id", "source", "content_hash", "payload_hash"),
                   flt: models.Filter | None = None) -> dict[str, dict]:
        """{point id: {field: value}} for every point (matching ``flt``), scrolled without vectors."""
        _, shard = self._shard(name)
        out: dict[str, dict] = {}
        offset = None
        edge_filter = convert_filter(flt)
        while True:
            records, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=_SCROLL_PAGE, filter=edge_filter,
                                                            with_payload=list(fields), with_vector=False))
            for record in records:
                out[str(record.id)] = record.payload or {}
            if offset is None:
                return out

    def upsert(self, name: str, points: list) -> None:
        if not points:
            return
        physical, shard = self._shard(name)
        batch = []
        for p in points:
            indices, values = p.sparse if p.sparse else ([], [])
            batch.append(qe.Point(
                _point_id(p.id),
                {DENSE: np.asarray(p.vector, dtype=np.float32).tolist(),
                 SPARSE: qe.SparseVector([int(i) for i in indices], [float(v) for v in values])},
                p.payload,
            ))
        with self._mutex:
            shard.update(qe.UpdateOperation.upsert_points(batch))
            self._written(physical)

    def set_payload(self, name: str, point_id: str, payload: dict) -> None:
        """Replace the point's whole payload."""
        physical, shard = self._shard(name)
        with self._mutex:
            shard.update(qe.UpdateOperation.overwrite_payload([_point_id(point_id)], payload))
            self._written(physical)

    def delete(self, name: str, ids: list[str]) -> None:
        if not ids:
            return
        physical, shard = self._shard(name)
        with self._mutex:
            for start in range(0, len(ids), _DELETE_BATCH):
                shard.update(qe.UpdateOperation.delete_points([_point_id(i) for i in ids[start : start + _DELETE_BATCH]]))
            self._written(physical)

    def retrieve(self, name: str, ids: list[str], with_vectors: bool = False) -> list[models.Record]:
        """Records of the ids that exist, in the order asked (repeats included, as local mode does)."""
        _, shard = self._shard(name)
        wanted = [_point_id(i) for i in ids]
        if not wanted:
            return []
        found = {_out_id(r.id): r for r in shard.retrieve(list(dict.fromkeys(wanted)), True, bool(with_vectors))}
        return [_record(found[i]) for i in wanted if i in found]

    def optimize(self, name: str) -> bool:
        """Turn fresh writes into immutable on-disk segments and merge small ones, blocking until
        done (a Qdrant server does this in the background; Edge only when asked). The sync calls
        it after its writes; returns whether anything changed."""
        physical, shard = self._shard(name)
        with self._mutex:
            changed = shard.optimize()
            self._flush(physical)
            return changed

    # --- queries ------------------------------------------------------------------------
    def query(self, name: str, dense: np.ndarray | None, sparse: tuple[list[int], list[float]] | None,
              limit: int, query_filter: models.Filter | None = None, mode: str = "hybrid",
              with_vectors: bool = False) -> list[models.ScoredPoint]:
        """Scored points, best first. ``hybrid`` fuses dense and sparse with RRF (see ``_hybrid``).
        ``with_vectors`` returns each hit's dense vector (for cross-collection tie-breaks)."""
        if mode not in ("dense", "sparse", "hybrid"):
            raise ValueError(f"unknown search mode {mode!r}: use dense, sparse or hybrid")
        _, shard = self._shard(name)
        flt = convert_filter(query_filter)
        vectors = [DENSE] if with_vectors else False
        sparse_vec = None
        if sparse and len(sparse[0]):
            sparse_vec = qe.SparseVector([int(i) for i in sparse[0]], [float(v) for v in sparse[1]])

        def dense_query():
            if dense is None:
                raise ValueError(f"a {mode} query needs a dense vector")
            return qe.Query.Nearest(np.asarray(dense, dtype=np.float32).tolist(), using=DENSE)

        if mode == "dense" or (mode == "hybrid" and sparse_vec is None):
            request = qe.QueryRequest(limit=limit, query=dense_query(), filter=flt,
                                      with_payload=True, with_vector=vectors)
        elif mode == "sparse":
            if sparse_vec is None:
                return []
            request = qe.QueryRequest(limit=limit, query=qe.Query.Nearest(sparse_vec, using=SPARSE), filter=flt,
                                      with_payload=True, with_vector=vectors)
        else:
            return self._hybrid(shard, dense_query(), sparse_vec, limit, flt, vectors)
        return [_scored(p) for p in shard.query(request)]

    @staticmethod
    def _hybrid(shard, dense_query, sparse_vec, limit: int, flt, vectors) -> list[models.ScoredPoint]:
        """RRF (k=2) of a dense and a sparse list, each ``max(4 * limit, 20)`` deep and filtered.

        The engine searches both lists in one batch; the fusion happens here, as qdrant-client's
        local mode does it: a point's score is the sum of 1 / (position + k) over the lists, and
        equal scores keep the order in which points first appear (dense list first). The engine's
        own RRF orders equal fused scores at random (a hash map), so the same query could
        answer differently from one call to the next; this keeps answers reproducible and equal
        to local mode's whenever the two lists are."""
        depth = max(limit * 4, 20)
        lists = shard.query_batch(qe.QueryBatchRequest([
            qe.QueryRequest(limit=depth, query=dense_query, filter=flt, with_payload=False, with_vector=False),
            qe.QueryRequest(limit=depth, query=qe.Query.Nearest(sparse_vec, using=SPARSE), filter=flt,
                            with_payload=False, with_vector=False),
        ]))
        scores: dict = {}
        versions: dict = {}
        for hits in lists:
            for position, hit in enumerate(hits):
                pid = _out_id(hit.id)
                scores[pid] = scores.get(pid, 0.0) + 1.0 / (position + RRF_K)
                versions.setdefault(pid, hit.version)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:limit]  # stable
        if not ranked:
            return []
        records = {_out_id(r.id): r for r in shard.retrieve([pid for pid, _ in ranked], True, vectors)}
        return [
            models.ScoredPoint.model_construct(
                id=pid, version=versions[pid], score=score,
                payload=records[pid].payload if records[pid].payload is not None else {},
                vector=_vectors_out(records[pid].vector), shard_key=None, order_value=None)
            for pid, score in ranked if pid in records  # a point deleted meanwhile drops out
        ]


def _check_name(name: str) -> None:
    """Collection and alias names become directory names: no separators, no leading dot."""
    if (not isinstance(name, str) or not name or len(name) > 200 or name.startswith(".")
            or any(c in name for c in "/\\\0")):
        raise ValueError(f"{name!r} cannot name a collection in the Qdrant Edge store "
                         "(1-200 characters, no '/', '\\' or NUL, not starting with '.')")
