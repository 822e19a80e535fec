"""Which vector store backs the KBs: one factory, so nothing above it knows the backend.

- A Qdrant server or Qdrant Cloud (``url``): qdrant-client (lib/store.py).
- The embedded default (``path``): Qdrant's own engine in-process through qdrant-edge
  (lib/store_edge.py): server-like filtered and hybrid query latency on one machine.
- ``embedded="qdrant-local"`` keeps qdrant-client's local mode (pure Python) available.

An embedded store admits one process at a time. ``wait_seconds`` lets a Dagster run queue
behind another run's process (two shard runs of one domain, a backfill) instead of failing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from helio_pipeline.lib.errors import StoreBusy

EMBEDDED_BACKENDS = ("edge", "qdrant-local")


@dataclass
class CollectionLayout:
    """How each collection created on a Qdrant cluster is laid out: ``shard_number`` pieces,
    each held ``replication_factor`` times on different nodes. The ``*_by_domain`` maps
    override the defaults for one domain (a big conversations collection gets more shards
    than the rules). ``None`` leaves it to the server."""

    shard_number: int | None = None
    replication_factor: int | None = None
    shard_number_by_domain: dict[str, int] = field(default_factory=dict)
    replication_factor_by_domain: dict[str, int] = field(default_factory=dict)

    def for_domain(self, domain: str | None) -> tuple[int | None, int | None]:
        """(shard_number, replication_factor) for a collection of ``domain``."""
        return (self.shard_number_by_domain.get(domain, self.shard_number),
                self.replication_factor_by_domain.get(domain, self.replication_factor))


def open_store(url: str | None = None, api_key: str | None = None, path: str | Path | None = None,
               embedded: str = "edge", layout: CollectionLayout | None = None,
               wait_seconds: float = 0.0, log: Callable[[str], None] = lambda msg: None):
    """The store at ``url`` (a Qdrant server, where ``layout``, a ``CollectionLayout``, sets the
    shards and replicas of each collection created) or the embedded one at ``path``."""
    from helio_pipeline.lib.store import VectorStore

    if url:
        return VectorStore.open(url=url, api_key=api_key, layout=layout)
    if path is None:
        raise ValueError("open_store needs a url or a path")
    if embedded not in EMBEDDED_BACKENDS:
        raise ValueError(f"unknown embedded store {embedded!r}: use {' or '.join(EMBEDDED_BACKENDS)}")
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            return _open_embedded(path, embedded)
        except StoreBusy as busy:
            if time.monotonic() >= deadline:
                raise
            if not announced:
                log(f"{busy} Waiting up to {wait_seconds:.0f} s for it.")
                announced = True
            time.sleep(0.5)


def _open_embedded(path: str | Path, embedded: str):
    if embedded == "qdrant-local":
        from helio_pipeline.lib.store import VectorStore

        return VectorStore.open(path=path)
    from helio_pipeline.lib.store_edge import EdgeVectorStore

    return EdgeVectorStore.open(path, label="helio")


def close_embedded_stores() -> None:
    """Release every embedded store this process holds, so another process (a Dagster run,
    ``helio search``) can open it."""
    from helio_pipeline.lib.store import close_local_clients
    from helio_pipeline.lib.store_edge import close_all

    close_local_clients()
    close_all()
