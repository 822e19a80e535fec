"""Which vector store backs the KBs: one interface (``base.VectorStore``), two backends, one
factory, so nothing above it knows the backend.

- A Qdrant server or Qdrant Cloud (``url``): qdrant-client (``qdrant.QdrantStore``).
- The embedded default (``path``): Qdrant's own engine in-process through qdrant-edge
  (``edge.EdgeVectorStore``): server-like filtered and hybrid query latency on one machine.
- ``embedded="qdrant-local"`` keeps qdrant-client's local mode (pure Python) available.

An embedded store admits one writing process at a time. ``wait_seconds`` lets a Dagster run
queue behind another run's process (two shard runs of one domain, a backfill) instead of
failing. ``read_only=True`` opens the edge store as a reader (``helio serve``, ``helio search``):
any number of them search consistent snapshots beside the writer and follow its promotions.
``reading()`` is for one short read from a long-lived process that is not a run (a schedule's
tick in the code server): the reader is closed again afterwards, so that process holds no
copy of the store between ticks.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from helio_pipeline.lib.errors import StoreBusy
from helio_pipeline.vectorstore.base import VectorStore
# qdrant-client takes about a second to import: only a server or qdrant-local store pays for it
# (``qdrant`` is imported by the branches that open one; ``CollectionLayout`` is a plain type)
from helio_pipeline.vectorstore.types import (CollectionLayout, CollectionSpec, Filter, HasId, Hit, IsEmpty, Match,
                                              MatchAny, Point, Range)

EMBEDDED_BACKENDS = ("edge", "qdrant-local")

__all__ = ["open_store", "reading", "close_embedded_stores", "CollectionLayout", "EMBEDDED_BACKENDS", "VectorStore",
           "CollectionSpec", "Filter", "HasId", "Hit", "IsEmpty", "Match", "MatchAny", "Point", "Range"]


def open_store(url: str | None = None, api_key: str | None = None, path: str | Path | None = None,
               embedded: str = "edge", layout: CollectionLayout | None = None,
               wait_seconds: float = 0.0, log: Callable[[str], None] = lambda msg: None,
               scratch_dir: str | Path | None = None, read_only: bool = False) -> VectorStore:
    """The store at ``url`` (a Qdrant server, where ``layout``, a ``CollectionLayout``, sets the
    shards and replicas of each collection created) or the embedded one at ``path``.
    ``scratch_dir``: where an edge root this process may only read gets its private shard
    copies (default: ``HELIO_EDGE_SCRATCH_DIR``, else the temporary directory). ``read_only``:
    the process only searches (the edge store then never waits for, nor blocks, a writer)."""
    if url:
        from helio_pipeline.vectorstore.qdrant import QdrantStore

        return QdrantStore.open(url=url, api_key=api_key, layout=layout)
    if path is None:
        raise ValueError("open_store needs a url or a path")
    if embedded not in EMBEDDED_BACKENDS:
        raise ValueError(f"unknown embedded store {embedded!r}: use {' or '.join(EMBEDDED_BACKENDS)}")
    from helio_pipeline.vectorstore.edge.catalog import SCRATCH_DIR_ENV

    scratch_dir = scratch_dir or os.environ.get(SCRATCH_DIR_ENV) or None
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            return _open_embedded(path, embedded, scratch_dir, read_only)
        except StoreBusy as busy:
            if time.monotonic() >= deadline:
                raise
            if not announced:
                log(f"{busy} Waiting up to {wait_seconds:.0f} s for it.")
                announced = True
            time.sleep(0.5)


_READING: dict[str, list] = {}  # root -> [the reader reading() opened, how many use it now]
_READING_LOCK = threading.Lock()


@contextmanager
def reading(url: str | None = None, api_key: str | None = None, path: str | Path | None = None,
            embedded: str = "edge", scratch_dir: str | Path | None = None):
    """The store, for a short read: a Qdrant server's client, or the embedded edge store opened
    as a reader beside any writer and closed when the last ``reading()`` of it in this process
    ends. A store this process already held otherwise (its writer, a server's reader) is used
    and left open. qdrant-client's local mode locks its directory even to read, which would
    stop every run: ``StoreBusy``."""
    if url:
        from helio_pipeline.vectorstore.qdrant import QdrantStore

        store = QdrantStore.open(url=url, api_key=api_key)
        try:
            yield store
        finally:
            store.close()
        return
    if embedded != "edge":
        raise StoreBusy(f"the {embedded} store locks its directory to read: only a run may open it")
    from helio_pipeline.vectorstore.edge import held

    key = str(Path(path).resolve())
    with _READING_LOCK:  # two ticks at once share one reader; the last one out closes it
        if key in _READING and not _READING[key][0]._closed:
            entry = _READING[key]
            entry[1] += 1
        elif held(key):
            entry, store = None, open_store(path=key, embedded=embedded, scratch_dir=scratch_dir, read_only=True)
        else:
            entry = _READING[key] = [open_store(path=key, embedded=embedded, scratch_dir=scratch_dir,
                                                read_only=True), 1]
    try:
        yield entry[0] if entry else store
    finally:
        if entry is not None:
            with _READING_LOCK:
                entry[1] -= 1
                if entry[1] == 0:
                    if _READING.get(key) is entry:
                        del _READING[key]
                    entry[0].close()


def _open_embedded(path: str | Path, embedded: str, scratch_dir: str | Path | None,
                   read_only: bool = False) -> VectorStore:
    if embedded == "qdrant-local":
        from helio_pipeline.vectorstore.qdrant import QdrantStore

        return QdrantStore.open(path=path)
    from helio_pipeline.vectorstore.edge import EdgeVectorStore

    return EdgeVectorStore.open(path, label="helio", scratch_dir=scratch_dir, reader=read_only)


def close_embedded_stores() -> None:
    """Release every embedded store this process holds, so another process (a Dagster run,
    ``helio search``) can open it."""
    import sys

    from helio_pipeline.vectorstore.edge import close_all

    qdrant = sys.modules.get("helio_pipeline.vectorstore.qdrant")  # not imported: it opened nothing
    if qdrant is not None:
        qdrant.close_local_clients()
    close_all()
