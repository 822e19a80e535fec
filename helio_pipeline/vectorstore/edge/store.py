"""The vector store on Qdrant Edge: Qdrant's own engine, in-process, one shard per collection.

:class:`EdgeVectorStore` implements ``vectorstore.base.VectorStore``, so the sync engine, the
checks and the KnowledgeBase run on it unchanged. qdrant-client's local mode evaluates
filters in Python (about 120 ms per filtered query at 10k points); Qdrant Edge uses the
engine's payload indexes (well under a millisecond).

Qdrant Edge knows one shard per directory and nothing of collections or aliases, so this
package keeps them itself, in a catalog under a root directory (the layout: catalog.py).
A shard directory is the collection's name unless it was renamed or its name's directory
was taken (see :meth:`EdgeVectorStore.rename_collection`).

Every catalog change (a new collection, metadata, an alias move, a drop) writes a temporary
file, fsyncs it and ``os.replace``-s it over the catalog, so an alias moves atomically. A
collection's shard is created and flushed before the catalog names it, and leaves the
catalog before its directory is removed: a crash leaves at worst an unnamed directory,
which is cleared when a collection of that name is created again.

One process writes a root at a time (an exclusive lock); any number of processes read it
at the same time (``reader=True``: ``helio serve``, ``helio search``), and so does a process
that cannot write the root (a read-only mount, another user's directory). Readers see
consistent snapshots because writes are copy-on-write: a writer never writes a shard
directory that an alias points at in the catalog; it writes a copy, which replaces the
original in the catalog (an atomic file replace) once its writes are settled: at the sync's
optimize, before an alias moves, on close (``publishing.py``). A collection no alias points at
(one being built) is written in place. A reader polls the catalog; when it changes, a
background thread loads what the reader was searching from the new catalog and swaps it in,
so queries keep being answered from the previous snapshot meanwhile, and see the new data
afterwards (``following.py``). A reader never holds the writer's lock: it holds ``.readers``
shared while it copies a directory, and a writer removes replaced directories only when it can
hold that exclusively.

Every write in a reader raises :class:`StoreNotWritable` naming the directory, and each shard
a reader searches is a private copy (Qdrant Edge opens its files for writing even to search,
and rewrites some of them on load; the copy is sparse, so it costs the data, not the
preallocated files). The copies live in a ``helio-edge-readonly-<pid>-*``
directory under ``scratch_dir`` (the factory passes ``HELIO_EDGE_SCRATCH_DIR``; default: the
temporary directory), removed on close; one left by a process that died without closing is
removed by the next read-only open.

Dense scores are checked as they come out of the engine: a score no cosine similarity can
have (a vector file overwritten with other bytes gives 1e37 or NaN) raises
:class:`VectorsDamaged` naming the collection and ``helio rebuild --force``, instead of
ranking garbage. :meth:`EdgeVectorStore.dense_vectors` lets verification read every vector.

A shard is flushed when the sync's writes are settled (:meth:`EdgeVectorStore.optimize`),
before a copy is published or an alias moves, on :meth:`close` and at exit, and during a run
of writes when its last flush is ``FLUSH_INTERVAL_S`` (30 s) old; what was flushed survives
the process dying (collections are made without a write-ahead log). Writes never go to a
directory an alias points at, so what a killed writer loses is only work in progress: the
unflushed writes of a collection being built, which no reader searches before its alias
moves (flushed) and which the next sync writes again (from the embedding cache), or a live
collection's copy, removed whole by the next writer, leaving the live collection as it was.

The package's modules: ``store.py`` (this: opening and locking a root, loading shards,
collections and aliases, points, queries), ``publishing.py`` (the writer's copy-on-write and
flushing), ``following.py`` (the reader's snapshots), ``shard_config.py`` (how a shard is set
up in the engine), ``catalog.py`` (the files under the root, the locks) and ``filters.py``
(project filters and point ids in the engine's terms). All ``qdrant_edge`` imports live in
this package. Hybrid queries are fused here, by ``vectorstore.fusion``.
"""

from __future__ import annotations

import atexit
import copy
import errno
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from helio_pipeline.lib.errors import HelioError, StoreNotWritable
from helio_pipeline.vectorstore.base import DENSE, READ_INDEX_FIELDS, SPARSE, check_mode
from helio_pipeline.vectorstore.edge.catalog import (CATALOG, CATALOG_BACKUP, CATALOG_FORMAT, COLLECTIONS, READERS,
                                                     SCRATCH_DIR_ENV, SCRATCH_PREFIX, CollectionNotFound, catalog_stamp,
                                                     check_name, copy_sparse, edge_version, lock_exclusive,
                                                     read_catalog, readers_lock, rebuild_hint, remove_directories,
                                                     sweep_scratch, unlock, write_catalog)
from helio_pipeline.vectorstore.edge.filters import out_id, point_id, to_edge_filter
from helio_pipeline.vectorstore.edge.following import CatalogFollower, StaleSnapshot
from helio_pipeline.vectorstore.edge.publishing import CopyOnWrite
from helio_pipeline.vectorstore.edge.shard_config import INDEX_TYPES, edge_config
from helio_pipeline.vectorstore.fusion import prefetch_depth, rrf
from helio_pipeline.vectorstore.integrity import check_dense_scores, dense_matrix
from helio_pipeline.vectorstore.types import CollectionSpec, Filter, Hit, Point

_SCROLL_PAGE = 2048
_DELETE_BATCH = 1000
# errors that mean "this process may not write here" (not: the disk is broken)
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _hit(rec, score: float | None) -> Hit:
    vectors = rec.vector if isinstance(rec.vector, dict) else ({DENSE: rec.vector} if rec.vector else {})
    dense, sparse = vectors.get(DENSE), vectors.get(SPARSE)
    return Hit(out_id(rec.id), score, rec.payload if rec.payload is not None else {},
               list(dense) if dense is not None else None,
               (list(sparse.indices), list(sparse.values)) if sparse is not None else None)


# --- the store ---------------------------------------------------------------------------

_STORES: dict[tuple[str, bool], "EdgeVectorStore"] = {}  # (root, opened as a reader)
_STORES_LOCK = threading.Lock()


def close_all() -> None:
    """Close every store this process holds (flushes, releases the lock for other processes)."""
    for store in list(_STORES.values()):
        try:
            store.close()
        except Exception:  # noqa: BLE001 - at exit, each store gets its chance to flush
            pass


atexit.register(close_all)


def held(root: str | Path) -> bool:
    """Whether this process has the store at ``root`` open (as its writer or a reader)."""
    key = str(Path(root).resolve())
    with _STORES_LOCK:
        return any(not store._closed and store._pid == os.getpid()
                   for store in (_STORES.get((key, False)), _STORES.get((key, True))) if store is not None)


class EdgeVectorStore(CopyOnWrite, CatalogFollower):
    """Collections, aliases and points in Qdrant Edge shards under ``root``.

    ``EdgeVectorStore(root)`` (or ``EdgeVectorStore.open(root)``) returns the instance already
    open in this process for that root, if any: one process writes a root at a time (an
    exclusive lock on ``<root>/.lock``), and another process gets a :class:`StoreBusy`.
    ``reader=True`` opens it for searching, beside a writer in another process (see the
    module's docstring); in a process that holds the writer, that instance is returned.

    A writer's copy-on-write and flushes are in :class:`~.publishing.CopyOnWrite`, a reader's
    following of the catalog in :class:`~.following.CatalogFollower` (the two mixins).
    """

    root: Path
    endpoint: str

    def __new__(cls, root: str | Path, label: str | None = None, scratch_dir: str | Path | None = None,
                reader: bool = False):
        key = str(Path(root).resolve())
        with _STORES_LOCK:
            for held in ((key, False), (key, True)):
                if held in _STORES and (_STORES[held]._pid != os.getpid() or _STORES[held]._closed):
                    # inherited through fork (the parent's shards and lock are not ours to use),
                    # or closed by a close() that failed before it could let go of it
                    del _STORES[held]
            store = _STORES.get((key, False)) or (_STORES.get((key, True)) if reader else None)
            if store is None:
                store = super().__new__(cls)
                store._open(Path(key), label, scratch_dir, reader)
                _STORES[(key, reader)] = store
            return store

    def __init__(self, root: str | Path, label: str | None = None, scratch_dir: str | Path | None = None,
                 reader: bool = False):
        pass  # everything happens in __new__, once per root and process

    @classmethod
    def open(cls, root: str | Path, label: str | None = None,
             scratch_dir: str | Path | None = None, reader: bool = False) -> "EdgeVectorStore":
        """``scratch_dir``: where a reader gets its private shard copies (default: the temporary
        directory; ``open_store`` passes ``HELIO_EDGE_SCRATCH_DIR``). ``reader``: open it for
        searching only, beside a writer in another process."""
        return cls(root, label, scratch_dir, reader)

    # --- opening, locking, the catalog ----------------------------------------------------
    def _open(self, root: Path, label: str | None, scratch_dir: str | Path | None = None,
              reader: bool = False) -> None:
        self.root = root
        self._key = (str(root), reader)
        self.endpoint = f"edge:{root}"
        self._pid = os.getpid()
        self._mutex = threading.RLock()
        self._shards: dict[str, qe.EdgeShard] = {}
        self._dirty: set[str] = set()  # written since their last flush (publishing.py)
        self._flushed_at: dict[str, float] = {}
        self._closed = False
        self._lock_file = None
        self._read_only: str | None = None  # why this process cannot write the root, if it cannot
        self._scratch: Path | None = None   # read-only: private copies of the shards loaded
        self._scratch_parent = Path(scratch_dir or tempfile.gettempdir())
        self._load_locks: dict[str, threading.Lock] = {}  # one per collection: loads do not wait on each other
        # a writer (publishing.py): collections being written in a copy of their directory, not yet in the catalog
        self._cow: dict[str, str] = {}
        self._retired_dirs: list[Path] = []  # replaced or dropped directories a reader was copying
        # a reader (following.py): the catalog's stamp, the names searched, where each loaded shard came from
        self._stamp = None
        self._polled_at = 0.0
        self._asked: set[str] = set()
        self._sources: dict[str, Path] = {}
        self._copies: dict[str, Path] = {}
        self._retired_shards: list[tuple] = []  # (shard, its private copy): closed once no query holds it
        self._refresh_lock = threading.Lock()
        self._refreshing = False
        self._opened_as_reader = reader
        try:
            root.mkdir(parents=True, exist_ok=True)
            if reader:
                self._read_only = "this process opened it for reading"
            else:
                if not os.access(root, os.W_OK):  # even when the lock file itself could be written
                    raise PermissionError(errno.EACCES, "Permission denied", str(root))
                self._lock_file = lock_exclusive(root, label or Path(sys.argv[0] or "python").name)
                open(root / READERS, "a").close()
        except OSError as exc:
            if exc.errno not in _NOT_WRITABLE or not root.is_dir():
                raise StoreNotWritable(f"the embedded store at {root} is not writable: {exc}") from None
            self._read_only = str(exc)
        if self._read_only:
            sweep_scratch(self._scratch_parent)
        try:
            guard = readers_lock(root) if self._read_only else None  # the directories it names stay
            try:
                self._stamp = catalog_stamp(root)
                self._catalog = self._load_catalog()
                self._load_shards()
            finally:
                unlock(guard)
            if not self._read_only:
                self._sweep_orphans()
        except BaseException:
            for shard in self._shards.values():
                try:
                    shard.close()
                except Exception:  # noqa: BLE001
                    pass
            self._shards.clear()
            self._release_lock()
            raise

    def _check_writable(self) -> None:
        self._check_open()
        if self._opened_as_reader:
            raise StoreNotWritable(f"the embedded store at {self.root} was opened for reading (a reader: helio "
                                   "search, helio serve); open it without reader=True to write")
        if self._read_only:
            raise StoreNotWritable(f"the embedded store at {self.root} is not writable: {self._read_only}. "
                                   "It can be searched; indexing needs write access to that directory "
                                   "(or a Qdrant server: HELIO_QDRANT_URL).")

    @property
    def read_only(self) -> bool:
        """Whether this process opened the root for reading only (it cannot write it)."""
        return bool(self._read_only)

    def require_writable(self) -> None:
        """Raise StoreNotWritable, naming the directory, when this process cannot write the root."""
        self._check_writable()

    def _release_lock(self) -> None:
        handle, self._lock_file = self._lock_file, None
        unlock(handle)

    def _corrupt(self, what: str) -> HelioError:
        return HelioError(f"the embedded Qdrant Edge store {self.root} is unreadable: {what}. "
                          + rebuild_hint(self.root))

    def _load_catalog(self) -> dict:
        path = self.root / CATALOG
        if not path.exists():
            shards = self.root / COLLECTIONS
            if shards.is_dir() and any(p.is_dir() for p in shards.iterdir()):
                raise self._corrupt(f"{path} is missing but {shards} holds collections")
            catalog = {"format": CATALOG_FORMAT, "qdrant_edge": edge_version(), "collections": {}, "aliases": {}}
            if not self._read_only:
                write_catalog(self.root, catalog)
            return catalog
        try:
            return read_catalog(path)
        except ValueError as exc:
            raise self._corrupt(str(exc)) from None

    def _load_shards(self) -> None:
        """Check that every collection has its shard directory. Shards load on first use: a
        run that touches one domain does not hold the other domains' points in memory."""
        for name in self._catalog["collections"]:
            path = self._shard_path(name)
            if not path.is_dir():
                raise self._corrupt(f"collection {name} has no shard directory {path}")

    def _loaded(self, physical: str):
        """The collection's shard, loaded on first use. A load (and, read-only, the private
        copy before it: seconds for a large shard) holds only that collection's lock, so a
        server's searches of other collections go on meanwhile. A reader whose catalog is no
        longer the one on disk raises StaleSnapshot before copying (its directory may be gone)."""
        shard = self._shards.get(physical)
        if shard is not None:
            return shard
        with self._mutex:
            lock = self._load_locks.setdefault(physical, threading.Lock())
        with lock:
            shard = self._shards.get(physical)
            if shard is not None:
                return shard
            with self._mutex:
                self._check_open()
                catalog = self._catalog
                source = self._shard_path(physical)
                entry = copy.deepcopy(catalog["collections"].get(physical, {}))
            guard = readers_lock(self.root) if self._read_only else None
            try:
                if self._read_only and catalog_stamp(self.root) != self._stamp:
                    raise StaleSnapshot(f"the catalog of {self.root} changed")
                shard, path = self._load_dir(physical, entry, source)
            finally:
                unlock(guard)
            with self._mutex:
                if (self._closed or physical not in self._catalog["collections"]
                        or self._shard_path(physical) != source):  # closed, dropped or renamed meanwhile
                    shard.close()
                    if path != source:
                        shutil.rmtree(path, ignore_errors=True)
                    self._check_open()
                    if self._read_only and self._catalog is not catalog:
                        raise StaleSnapshot(f"the catalog of {self.root} changed")
                    raise CollectionNotFound(f"Collection {physical} not found in the Qdrant Edge store {self.root}")
                self._shards[physical] = shard
                self._sources[physical] = source
                if path != source:
                    self._copies[physical] = path
            return shard

    def _load_dir(self, physical: str, entry: dict, source: Path):
        """(the shard in ``source``, the directory it was loaded from: a private copy for a reader)."""
        path = self._private_copy(source) if self._read_only else source
        try:
            try:
                try:
                    # today's segment settings, also for collections made by earlier versions
                    config = edge_config(int(entry["dimensions"]), entry.get("distance", "Cosine"))
                    shard = qe.EdgeShard.load(str(path), config)
                except Exception:  # noqa: BLE001 - settings it refuses: load it as it is
                    shard = qe.EdgeShard.load(str(path))
            except Exception as exc:  # noqa: BLE001 - the engine raises a bare Exception
                recorded, installed = self._catalog.get("qdrant_edge"), edge_version()
                version = (f"; it was written by qdrant-edge-py {recorded}, this is {installed}"
                           if recorded != installed else "")
                raise self._corrupt(f"the shard {source} of collection {physical} failed to load "
                                    f"({exc}){version}") from None
        except BaseException:
            if path != source:
                shutil.rmtree(path, ignore_errors=True)
            raise
        return shard, path

    def _private_copy(self, path: Path) -> Path:
        """A copy of a shard this process may write, for a root it may not (see the module's
        docstring): sparse, so only the data is copied. A copy that fails is removed."""
        with self._mutex:
            if self._scratch is None:
                try:
                    self._scratch_parent.mkdir(parents=True, exist_ok=True)
                    self._scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-",
                                                          dir=self._scratch_parent))
                except OSError as exc:
                    raise HelioError(f"the embedded store at {self.root} is not writable, and no directory for "
                                     f"private copies to search could be made in {self._scratch_parent} "
                                     f"({exc}); set {SCRATCH_DIR_ENV} to a writable directory") from None
            scratch = self._scratch
        target = scratch / path.name
        if target.exists() or target.name in {p.name for p in self._copies.values()}:
            target = scratch / f"{path.name}.{uuid.uuid4().hex[:8]}"  # a copy still searched keeps its own
        try:
            shutil.copytree(path, target, copy_function=copy_sparse)
            for folder, _, files in os.walk(target):
                os.chmod(folder, 0o700)
                for name in files:
                    os.chmod(os.path.join(folder, name), 0o600)
        except BaseException as exc:
            shutil.rmtree(target, ignore_errors=True)
            if not isinstance(exc, OSError):
                raise
            raise HelioError(f"the embedded store at {self.root} is not writable, and a private copy of "
                             f"{path} to search could not be made in {scratch}: {exc}; set {SCRATCH_DIR_ENV} "
                             "to a directory with room") from None
        return target

    def load_all(self) -> None:
        """Load every shard now: a broken one raises here (``helio rebuild`` checks with it)."""
        for name in list(self._catalog["collections"]):
            self._shard(name)
        installed = edge_version()
        if self._catalog.get("qdrant_edge") != installed and not self._read_only:
            # Every shard loaded under the installed engine: record it, so the next
            # mismatch is measured from this version.
            self._catalog["qdrant_edge"] = installed
            write_catalog(self.root, self._catalog)

    def _commit(self, change) -> None:
        """Apply ``change`` to a copy of the catalog, persist it, then adopt it."""
        self._check_writable()
        catalog = copy.deepcopy(self._catalog)
        change(catalog)
        write_catalog(self.root, catalog)
        self._catalog = catalog

    def _shard_path(self, name: str) -> Path:
        """The shard directory of collection ``name``: the copy this writer is writing, else the
        one the catalog names (its own name unless the catalog says otherwise)."""
        if name in self._cow:
            return self.root / COLLECTIONS / self._cow[name]
        return self._published_path(name)

    def _published_path(self, name: str, catalog: dict | None = None) -> Path:
        entry = (catalog or self._catalog)["collections"].get(name) or {}
        return self.root / COLLECTIONS / (entry.get("dir") or name)

    def _free_dir(self, name: str) -> str:
        """A shard directory name no collection in the catalog uses: ``name`` if it is free."""
        used = {entry.get("dir") or other for other, entry in self._catalog["collections"].items()}
        used |= set(self._cow.values()) | {path.name for path in self._retired_dirs}
        directory = name
        while directory in used:
            directory = f"{name}.{uuid.uuid4().hex[:8]}"
        return directory

    def _check_open(self) -> None:
        if self._closed:
            raise HelioError(f"the Qdrant Edge store {self.root} is closed")
        if self._pid != os.getpid():
            raise HelioError(f"the Qdrant Edge store {self.root} was opened by process {self._pid}; "
                             "open it again in this process (EdgeVectorStore(root))")
        if self._read_only:
            self._poll()

    def _physical(self, name: str) -> str:
        self._check_open()
        if self._read_only:
            self._asked.add(name)
        catalog = self._catalog
        if name in catalog["collections"]:
            return name
        target = catalog["aliases"].get(name)
        if target is None:
            raise CollectionNotFound(f"Collection {name} not found in the Qdrant Edge store {self.root}")
        return target

    def _shard(self, name: str, write: bool = False):
        if write:
            with self._mutex:
                self._check_writable()
                physical = self._physical(name)
                if physical not in self._cow and physical in self._catalog["aliases"].values():
                    self._copy_on_write(physical)
            return physical, self._loaded(physical)
        for attempt in range(3):
            physical = self._physical(name)
            try:
                return physical, self._loaded(physical)
            except StaleSnapshot:  # a reader behind the catalog: catch up now, then load from the new one
                if attempt == 2:
                    raise
                self._refresh()


    def close(self) -> None:
        """Publish what this writer wrote, flush and close every shard and release the lock; a
        later open starts afresh."""
        with _STORES_LOCK, self._mutex:
            if self._closed:
                return
            if self._pid != os.getpid():  # a forked child: the shards and the lock are the parent's
                self._closed = True
                if _STORES.get(self._key) is self:
                    del _STORES[self._key]
                return
            try:
                try:
                    self._publish_all()
                finally:
                    for name, shard in self._shards.items():
                        try:
                            shard.flush()
                        finally:
                            shard.close()
            finally:
                self._shards.clear()
                self._dirty.clear()
                self._closed = True
                self._reap(force=True)
                if self._retired_dirs:
                    self._retired_dirs = remove_directories(self.root, self._retired_dirs)
                self._release_lock()
                if self._scratch is not None:
                    shutil.rmtree(self._scratch, ignore_errors=True)
                if _STORES.get(self._key) is self:
                    del _STORES[self._key]

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
            self._check_writable()  # every sync starts here: a read-only root fails before any work
            if self.exists(name):
                size = self.vector_size(name)
                if size != dimensions:
                    raise HelioError(f"collection {name} holds {size}-d vectors, the embedder makes {dimensions}-d")
                return False
            check_name(name)
            spec = CollectionSpec(dimensions, distance, payload_indexes, tenant_field,
                                  json.loads(json.dumps(metadata or {})))  # what the catalog will hold, checked now
            directory = self._free_dir(name)  # a collection renamed aside may still use ``name``'s
            path = self.root / COLLECTIONS / directory
            if path.exists():  # left by a create or drop that did not finish: never in the catalog
                shutil.rmtree(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            shard = qe.EdgeShard.create(str(path), edge_config(spec.dimensions, spec.distance, wal_enabled=False))
            try:
                for field, kind in spec.payload_indexes.items():
                    schema = INDEX_TYPES[kind]
                    if field == spec.tenant_field:
                        schema = qe.KeywordIndexParams(is_tenant=True)
                    shard.update(qe.UpdateOperation.create_field_index(field, schema))
                shard.flush()

                def add(catalog):
                    catalog["collections"][name] = {
                        "dimensions": spec.dimensions, "distance": spec.distance,
                        "payload_indexes": spec.payload_indexes, "tenant_field": spec.tenant_field,
                        "metadata": spec.metadata,
                        **({"dir": directory} if directory != name else {}),
                    }
                self._commit(add)
            except BaseException:
                shard.close()
                shutil.rmtree(path, ignore_errors=True)
                raise
            self._shards[name] = shard
            self._flushed_at[name] = time.monotonic()  # created flushed: its first writes need no flush of their own
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
            check_name(alias)
            # What the alias will show must be on disk, in the directories the catalog names,
            # before the alias shows it.
            self._flush_dirty()
            self._publish_all()

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
            path = self._published_path(name)  # before the entry that names its directory goes

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
            unpublished = self._cow.pop(name, None)
            if unpublished is not None:  # no reader knows it
                shutil.rmtree(self.root / COLLECTIONS / unpublished, ignore_errors=True)
            self._retired_dirs.append(path)  # a reader may be copying it
            self._retired_dirs = remove_directories(self.root, self._retired_dirs)

    def rename_collection(self, name: str, new_name: str) -> None:
        """Give physical collection ``name`` the name ``new_name``; its aliases follow. One
        atomic catalog replacement: the shard stays in its directory, which the catalog now
        names. ``helio rebuild --force`` moves a live collection aside this way, so readers keep
        it until its replacement (built under the old name) is verified and promoted."""
        with self._mutex:
            self._check_writable()
            if name not in self._catalog["collections"]:
                raise CollectionNotFound(f"Collection {name} not found in the Qdrant Edge store {self.root}")
            if self.exists(new_name):
                raise HelioError(f"cannot rename {name} to {new_name}: a collection or alias of that name exists")
            check_name(new_name)
            self._publish(name)  # the entry that moves names the directory written

            def move(catalog):
                entry = catalog["collections"].pop(name)
                entry["dir"] = entry.get("dir") or name
                catalog["collections"][new_name] = entry
                for alias in [a for a, target in catalog["aliases"].items() if target == name]:
                    catalog["aliases"][alias] = new_name
            self._commit(move)
            for held in (self._shards, self._flushed_at):
                if name in held:
                    held[new_name] = held.pop(name)
            if name in self._dirty:
                self._dirty.discard(name)
                self._dirty.add(new_name)

    def recover_collections(self, aside: str | Path, check=lambda name: None) -> tuple[list[str], dict[str, str]]:
        """Bring collections back from a store that was moved aside (``helio rebuild`` moves a
        store it cannot open out of the way, then rebuilds each domain here).

        Each collection of ``aside`` whose catalog entry survives (in its catalog, else in the
        backup copy), whose name this store does not hold, whose shard loads here and for
        which ``check(name)`` finds no problem, has its directory moved in and is named in this
        catalog with its metadata (promotion time included: ``helio rollback`` can use it). An
        alias of the old store that this one lacks comes back with its collection. What fails
        goes back where it was. A collection of that name here that no alias points at was
        never promoted: a rebuild that failed after creating it. It is dropped, so that the old
        one comes back (the next refresh would only resume it, from the embedding cache).
        Returns (recovered names, {name: why it stayed}) (``"*"``: no catalog could be read)."""
        aside = Path(aside)
        with self._mutex:
            self._check_writable()
            catalog, unreadable = None, []
            for candidate in (aside / CATALOG, aside / CATALOG_BACKUP):
                try:
                    catalog = read_catalog(candidate)
                    break
                except ValueError as exc:
                    unreadable.append(str(exc))
            if catalog is None:
                return [], {"*": "; ".join(unreadable)}
            recovered, left = [], {}
            for name, entry in catalog["collections"].items():
                source = aside / COLLECTIONS / (entry.get("dir") or name)
                if not source.is_dir():
                    if not self.exists(name):
                        left[name] = f"its shard directory {source} is missing"
                    continue
                if name in self._catalog["aliases"].values() or name in self._catalog["aliases"]:
                    continue  # rebuilt and promoted here
                if self.exists(name):
                    self.drop(name)  # built here but never promoted: its rebuild failed
                directory = self._free_dir(name)
                target = self.root / COLLECTIONS / directory
                shutil.rmtree(target, ignore_errors=True)  # unnamed leftovers only: the name is free
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(source), str(target), copy_function=copy_sparse)
                adopted = {k: v for k, v in entry.items() if k != "dir"}
                if directory != name:
                    adopted["dir"] = directory
                self._commit(lambda c: c["collections"].__setitem__(name, adopted))
                try:
                    self._loaded(name)
                    problem = check(name)
                except Exception as exc:  # noqa: BLE001 - whatever fails, it goes back, never half adopted
                    problem = str(exc) if isinstance(exc, HelioError) else f"{type(exc).__name__}: {exc}"
                if problem:
                    self._commit(lambda c: c["collections"].pop(name))
                    shard = self._shards.pop(name, None)
                    if shard is not None:
                        shard.close()
                    shutil.move(str(target), str(source), copy_function=copy_sparse)
                    left[name] = problem
                else:
                    recovered.append(name)
            for alias, target_name in catalog["aliases"].items():
                if target_name in recovered and not self.exists(alias):
                    self.point_alias(alias, target_name)
            return recovered, left

    # --- points -------------------------------------------------------------------------
    def count(self, name: str) -> int:
        _, shard = self._shard(name)
        return shard.count(qe.CountRequest(exact=True))

    def read_index(self, name: str, fields=READ_INDEX_FIELDS,
                   flt: Filter | None = None) -> dict[str, dict]:
        """{point id: {field: value}} for every point (matching ``flt``), scrolled without vectors."""
        _, shard = self._shard(name)
        out: dict[str, dict] = {}
        offset = None
        edge_filter = to_edge_filter(flt)
        while True:
            records, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=_SCROLL_PAGE, filter=edge_filter,
                                                            with_payload=list(fields), with_vector=False))
            for record in records:
                out[str(record.id)] = record.payload or {}
            if offset is None:
                return out

    def upsert(self, name: str, points: list[Point]) -> None:
        if not points:
            return
        physical, shard = self._shard(name, write=True)
        batch = []
        for p in points:
            indices, values = p.sparse if p.sparse else ([], [])
            batch.append(qe.Point(
                point_id(p.id),
                {DENSE: np.asarray(p.vector, dtype=np.float32).tolist(),
                 SPARSE: qe.SparseVector(list(map(int, indices)), list(map(float, values)))},
                p.payload,
            ))
        with self._mutex:
            shard.update(qe.UpdateOperation.upsert_points(batch))
            self._written(physical)

    def set_payload(self, name: str, pid: str, payload: dict) -> None:
        """Replace the point's whole payload."""
        physical, shard = self._shard(name, write=True)
        with self._mutex:
            shard.update(qe.UpdateOperation.overwrite_payload([point_id(pid)], payload))
            self._written(physical)

    def delete(self, name: str, ids: list[str]) -> None:
        if not ids:
            return
        physical, shard = self._shard(name, write=True)
        with self._mutex:
            for start in range(0, len(ids), _DELETE_BATCH):
                batch = [point_id(i) for i in ids[start : start + _DELETE_BATCH]]
                shard.update(qe.UpdateOperation.delete_points(batch))
            self._written(physical)

    def retrieve(self, name: str, ids: list[str], with_vectors: bool = False) -> list[Hit]:
        """Records of the ids that exist, in the order asked (repeats included, as local mode does)."""
        _, shard = self._shard(name)
        wanted = [point_id(i) for i in ids]
        if not wanted:
            return []
        found = {out_id(r.id): r for r in shard.retrieve(list(dict.fromkeys(wanted)), True, bool(with_vectors))}
        return [_hit(found[i], None) for i in wanted if i in found]

    def distance(self, name: str) -> str:
        """The collection's distance: Cosine, Euclid, Dot or Manhattan."""
        return self._catalog["collections"][self._physical(name)]["distance"]

    def dense_vectors(self, name: str, flt: Filter | None = None, page: int = 1024):
        """Every point's dense vector (matching ``flt``) as it is stored, in pages of (ids, a
        float matrix): what verification reads to find vectors damaged on disk."""
        physical, shard = self._shard(name)
        dimensions = self._catalog["collections"][physical]["dimensions"]
        edge_filter = to_edge_filter(flt)
        offset = None
        while True:
            records, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=page, filter=edge_filter,
                                                            with_payload=False, with_vector=[DENSE]))
            if records:
                yield ([out_id(r.id) for r in records],
                       dense_matrix([(r.vector or {}).get(DENSE) for r in records], dimensions))
            if offset is None:
                return

    def optimize(self, name: str) -> bool:
        """Turn fresh writes into immutable on-disk segments and merge small ones, blocking until
        done (a Qdrant server does this in the background; Edge only when asked). The sync calls
        it after its writes; returns whether anything changed."""
        physical, shard = self._shard(name, write=True)
        with self._mutex:
            changed = shard.optimize()
            self._flush(physical)
            self._publish(physical)  # the sync's writes are settled: readers switch to them
            return changed

    # --- queries ------------------------------------------------------------------------
    def query(self, name: str, dense: np.ndarray | None, sparse: tuple[list[int], list[float]] | None,
              limit: int, query_filter: Filter | None = None, mode: str = "hybrid",
              with_vectors: bool = False) -> list[Hit]:
        """Scored points, best first. ``hybrid`` fuses dense and sparse with RRF (see ``_hybrid``).
        ``with_vectors`` returns each hit's dense vector (for cross-collection tie-breaks)."""
        check_mode(mode)
        physical, shard = self._shard(name)
        flt = to_edge_filter(query_filter)
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
            return self._hybrid(physical, shard, dense_query(), sparse_vec, limit, flt, vectors)
        hits = shard.query(request)
        if mode != "sparse":
            check_dense_scores(self, physical, [hit.score for hit in hits])
        return [_hit(p, p.score) for p in hits]

    def _hybrid(self, physical: str, shard, dense_query, sparse_vec, limit: int, flt,
                vectors) -> list[Hit]:
        """RRF (``fusion.rrf``) of a dense and a sparse list, each ``prefetch_depth(limit)`` deep
        and filtered.

        The engine searches both lists in one batch; the fusion happens in Python, as
        qdrant-client's local mode does it (the same constant; equal scores keep the order in
        which points first appear, dense list first). The engine's own RRF orders equal fused
        scores at random (a hash map), so the same query could answer differently from one call
        to the next; this keeps answers reproducible and equal to local mode's whenever the two
        lists are."""
        depth = prefetch_depth(limit)
        lists = shard.query_batch(qe.QueryBatchRequest([
            qe.QueryRequest(limit=depth, query=dense_query, filter=flt, with_payload=False, with_vector=False),
            qe.QueryRequest(limit=depth, query=qe.Query.Nearest(sparse_vec, using=SPARSE), filter=flt,
                            with_payload=False, with_vector=False),
        ]))
        check_dense_scores(self, physical, [hit.score for hit in lists[0]])  # fused ranks hide them
        ranked = rrf(([out_id(hit.id) for hit in hits] for hits in lists), limit)
        if not ranked:
            return []
        records = {out_id(r.id): r for r in shard.retrieve([pid for pid, _ in ranked], True, vectors)}
        # a point deleted meanwhile drops out
        return [_hit(records[pid], score) for pid, score in ranked if pid in records]

