"""A writer's side of copy-on-write, and when its writes are flushed.

Readers in other processes copy the shard directories the catalog names, at any time. So a
writer never writes a directory that an alias points at:

- its first write to such a collection copies the directory (``<name>.w<8 hex>``) and loads
  the copy (:meth:`CopyOnWrite._copy_on_write`); later writes go to the copy;
- once the writes are settled (the sync's optimize, before an alias moves, on close) the copy
  is flushed and named in the catalog in its place, one atomic file replace
  (:meth:`CopyOnWrite._publish`): readers switch to it whole;
- the directory it replaced is removed once no reader is copying it (``remove_directories``:
  it needs ``.readers`` exclusively);
- a copy a killed writer left unnamed is removed by the next writer's open
  (:meth:`CopyOnWrite._sweep_orphans`); the live collection was never touched.

A collection no alias points at (one being built) is written in place: readers do not search
it until it is promoted, and the alias move flushes it first.

``CopyOnWrite`` is a part of :class:`~helio_pipeline.vectorstore.edge.store.EdgeVectorStore`
(a mixin): it uses the store's ``root``, ``_catalog``, ``_commit``, ``_shards``,
``_published_path`` and ``_load_dir``, and keeps the writer's own state, set up in the store's
``_open``: ``_cow`` (collection -> the copy's directory, not yet in the catalog),
``_retired_dirs``, ``_dirty`` (written since their last flush) and ``_flushed_at``.
"""

from __future__ import annotations

import shutil
import time
import uuid

from helio_pipeline.vectorstore.edge.catalog import (CATALOG_BACKUP, COLLECTIONS, copy_sparse, orphan_copies,
                                                     read_catalog, remove_directories)

# Collections are created without a write-ahead log: a WAL is replayed and held in memory
# by every process that loads the shard (about half of what a loaded collection costs, see
# bench/scale.py), and the index does not need one. A write is durable once its shard is
# flushed: when the sync's writes are settled (optimize), before a copy is published or an
# alias moves, on close and at exit. During a run of writes a shard is also flushed when its
# last flush is FLUSH_INTERVAL_S old, and that only bounds how much work in progress a killed
# writer loses: the directories it writes are never the ones aliases point at, but a
# collection being built (readers do not search it until the alias moves onto it, flushed;
# the next sync resumes it, from the embedding cache: nothing is paid twice) or a live
# collection's copy (a killed writer's copy is discarded whole; the live collection is as it
# was). A flush costs 20-150 ms whatever the batch size: once a second, it cost every build a
# flush per second of writes, for no guarantee. Collections made by earlier versions keep
# their WAL (the setting is fixed when a shard is created).
FLUSH_INTERVAL_S = 30.0


class CopyOnWrite:
    """The writer's half of :class:`EdgeVectorStore`: copy-on-write and flushing (see the module)."""

    def _copy_on_write(self, physical: str) -> None:
        """Before the first write to a collection an alias points at: its directory copied, the
        copy loaded; later writes go there until :meth:`_publish` names it in the catalog."""
        source = self._published_path(physical)
        shard = self._shards.pop(physical, None)
        if shard is not None:  # loaded to be read: nothing of it is unsettled (aliased = flushed)
            try:
                shard.flush()
            finally:
                shard.close()
                self._dirty.discard(physical)
        directory = f"{physical}.w{uuid.uuid4().hex[:8]}"
        target = self.root / COLLECTIONS / directory
        entry = self._catalog["collections"][physical]
        try:
            shutil.copytree(source, target, copy_function=copy_sparse)
            shard, _ = self._load_dir(physical, entry, target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self._shards[physical] = shard
        self._cow[physical] = directory
        self._flushed_at[physical] = time.monotonic()

    def _publish(self, physical: str) -> None:
        """Name the copy this writer wrote in the catalog (readers switch to it), after a flush;
        the directory it replaces is removed once no reader is copying it."""
        directory = self._cow.get(physical)
        if directory is None:
            return
        if physical in self._dirty:
            self._flush(physical)
        replaced = self._published_path(physical)
        self._commit(lambda catalog: catalog["collections"][physical].__setitem__("dir", directory))
        del self._cow[physical]
        self._retired_dirs.append(replaced)
        self._retired_dirs = remove_directories(self.root, self._retired_dirs)

    def _publish_all(self) -> None:
        for physical in list(self._cow):
            self._publish(physical)

    def _sweep_orphans(self) -> None:
        """Writer copies left unnamed by a writer that died: removed at the next writer's open."""
        named = {entry.get("dir") or name for name, entry in self._catalog["collections"].items()}
        try:
            backup = read_catalog(self.root / CATALOG_BACKUP)
            named |= {entry.get("dir") or name for name, entry in backup["collections"].items()}
        except ValueError:
            pass
        self._retired_dirs += remove_directories(self.root, orphan_copies(self.root, named))

    def _flush(self, physical: str) -> None:
        """Make the shard's writes durable (see FLUSH_INTERVAL_S)."""
        self._shards[physical].flush()
        self._dirty.discard(physical)
        self._flushed_at[physical] = time.monotonic()

    def _written(self, physical: str) -> None:
        """After a write: flush the shard if its last flush is FLUSH_INTERVAL_S old."""
        self._dirty.add(physical)
        if time.monotonic() - self._flushed_at.get(physical, 0.0) >= FLUSH_INTERVAL_S:
            self._flush(physical)

    def _flush_dirty(self) -> None:
        for physical in list(self._dirty):
            if physical in self._shards:
                self._flush(physical)
        self._dirty.clear()
