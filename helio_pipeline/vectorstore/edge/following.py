"""A reader follows the catalog: it answers from one snapshot while it loads the next.

A process that opened the root for reading (``helio serve``, ``helio search``) never waits for
the writer and never sees half of a sync. Each query first calls :meth:`CatalogFollower._poll`,
a ``stat`` of the catalog at most every ``CATALOG_POLL_S``. When the catalog changed (the
writer published a copy, moved an alias, dropped a collection), a background thread
(:meth:`~CatalogFollower._refresh`):

1. loads, as private copies, the shards that the names searched so far resolve to in the new
   catalog (:meth:`~CatalogFollower._load_snapshot`; a shard whose directory did not change is
   reused as it is), holding ``.readers`` shared so that the writer removes no directory
   being copied;
2. starts again if the catalog changed while it copied (:meth:`~CatalogFollower._discard`
   throws the copies away);
3. swaps the new catalog and shards in, in one step under the store's mutex
   (:meth:`~CatalogFollower._swap`): queries in flight finish on the old shards, the next ones
   use the new;
4. closes each replaced shard, and removes its private copy, once no query holds it any more
   (:meth:`~CatalogFollower._reap`, retried at the next poll).

A catalog that cannot be read leaves the reader on its current snapshot. A query that finds
its reader behind the catalog before it could load a shard (:class:`StaleSnapshot`) catches
up at once and tries again (``EdgeVectorStore._shard``).

``CatalogFollower`` is a part of :class:`~helio_pipeline.vectorstore.edge.store.EdgeVectorStore`
(a mixin): it uses the store's ``root``, ``_mutex``, ``_closed``, ``_catalog``, ``_shards``,
``_published_path`` and ``_load_dir``, and keeps the reader's own state, set up in the store's
``_open``: ``_stamp`` (the catalog's stamp when it was read), ``_polled_at``, ``_asked`` (the
names searched), ``_sources`` and ``_copies`` (each loaded shard's directory and private copy),
``_retired_shards``, ``_refresh_lock`` and ``_refreshing``.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time

from helio_pipeline.lib.errors import HelioError
from helio_pipeline.vectorstore.edge.catalog import CATALOG, catalog_stamp, read_catalog, readers_lock, unlock

# how often a reader looks at the catalog's stamp (a stat): how soon it starts loading a new snapshot
CATALOG_POLL_S = 0.2
# sys.getrefcount of a retired shard that nothing but the retired list holds (its tuple, the argument)
_IDLE_REFS = 2


class StaleSnapshot(HelioError):
    """A reader's catalog is behind the one on disk: it catches up and tries again."""


class CatalogFollower:
    """The reader's half of :class:`EdgeVectorStore`: following the catalog (see the module)."""

    def _poll(self) -> None:
        """At most every CATALOG_POLL_S: when the catalog on disk changed, start loading the new
        snapshot in the background (queries meanwhile use the current one)."""
        now = time.monotonic()
        if now - self._polled_at < CATALOG_POLL_S:
            return
        self._polled_at = now
        if self._refreshing:
            return
        # replaced shards no query holds any more are closed there too: not a query's job
        if not self._retired_shards and catalog_stamp(self.root) == self._stamp:
            return
        self._refreshing = True
        threading.Thread(target=self._refresh, name="helio-edge-refresh", daemon=True).start()

    def _refresh(self) -> None:
        """Catch up with the catalog on disk: load (copy) the shards the names searched so far
        resolve to there, reusing those whose directory did not change, then swap the catalog
        and shards in one step. A catalog that cannot be read keeps the current snapshot."""
        try:
            with self._refresh_lock:
                if self._retired_shards:
                    self._reap()
                for _ in range(3):
                    if self._closed:
                        return
                    guard = readers_lock(self.root)
                    try:
                        stamp = catalog_stamp(self.root)
                        if stamp == self._stamp:
                            return
                        try:
                            catalog = read_catalog(self.root / CATALOG)
                        except ValueError:
                            self._stamp = stamp  # damaged: answer from what is loaded; a rebuild replaces it
                            return
                        loaded = self._load_snapshot(catalog)
                    finally:
                        unlock(guard)
                    if catalog_stamp(self.root) != stamp:  # changed while copying: copy again
                        self._discard(loaded)
                        continue
                    self._swap(catalog, stamp, loaded)
                    return
        finally:
            self._refreshing = False

    def _load_snapshot(self, catalog: dict) -> dict:
        """{physical: (shard, source directory, private copy, loaded now)} for what the searched
        names resolve to in ``catalog``. A shard loaded from the same directory is reused (a
        metadata change, a rename: nothing to copy)."""
        with self._mutex:
            by_source = {self._sources.get(p): p for p in self._shards}
        loaded = {}
        for name in list(self._asked):
            physical = name if name in catalog["collections"] else catalog["aliases"].get(name)
            if physical is None or physical in loaded:
                continue
            source = self._published_path(physical, catalog)
            old = by_source.get(source)
            if old is not None and old in self._shards:
                loaded[physical] = (self._shards[old], source, self._copies.get(old), False)
                continue
            try:
                shard, path = self._load_dir(physical, catalog["collections"][physical], source)
            except HelioError:
                continue  # loaded (and reported) on first use instead
            loaded[physical] = (shard, source, path, True)
        return loaded

    def _discard(self, loaded: dict) -> None:
        """Close and remove what :meth:`_load_snapshot` loaded afresh (not the shards it reused)."""
        for shard, _, path, fresh in loaded.values():
            if fresh:
                shard.close()
                shutil.rmtree(path, ignore_errors=True)

    def _swap(self, catalog: dict, stamp, loaded: dict) -> None:
        """Adopt ``catalog`` and the shards loaded for it in one step; the shards they replace
        are retired (closed by :meth:`_reap` once no query holds them)."""
        with self._mutex:
            if self._closed:
                self._discard(loaded)
                return
            kept = {id(shard) for shard, _, _, _ in loaded.values()}
            for physical, shard in self._shards.items():
                if id(shard) not in kept:
                    self._retired_shards.append((shard, self._copies.get(physical)))
            self._catalog, self._stamp = catalog, stamp
            self._shards = {physical: shard for physical, (shard, _, _, _) in loaded.items()}
            self._sources = {physical: source for physical, (_, source, _, _) in loaded.items()}
            self._copies = {physical: path for physical, (_, _, path, _) in loaded.items() if path is not None}
        self._reap()

    def _reap(self, force: bool = False) -> None:
        """Close the shards a swap replaced once no query holds them any more."""
        with self._mutex:
            keep = []
            for item in self._retired_shards:
                # references: this list's tuple and getrefcount's argument; a query holds more
                if force or sys.getrefcount(item[0]) <= _IDLE_REFS:
                    item[0].close()
                    if item[1] is not None:
                        shutil.rmtree(item[1], ignore_errors=True)
                else:
                    keep.append(item)
            self._retired_shards = keep
