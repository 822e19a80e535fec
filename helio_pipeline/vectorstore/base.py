"""The interface every vector-store backend implements, in the project's own types.

A collection holds points with a named dense vector and a sparse lexical vector (IDF
weighted); readers address it through an alias, which a rebuild moves in one atomic step.
Every method that takes a collection ``name`` also takes an alias. Filters are
:class:`~helio_pipeline.vectorstore.types.Filter`; results are
:class:`~helio_pipeline.vectorstore.types.Hit`.

Backends: ``qdrant.QdrantStore`` (a Qdrant server, or qdrant-client's local mode) and
``edge.EdgeVectorStore`` (Qdrant's engine in-process). Both pass tests/vectorstore/test_contract.py.
The edge backend adds ``rename_collection``, ``recover_collections`` and ``require_writable``,
which callers look up with ``getattr`` (a server cannot rename a collection).
"""

from __future__ import annotations

from typing import Iterator, Protocol, Sequence, runtime_checkable

import numpy as np

from helio_pipeline.vectorstore.types import Filter, Hit, Point

DENSE = "dense"
SPARSE = "sparse"
MODES = ("dense", "sparse", "hybrid")
READ_INDEX_FIELDS = ("source_id", "source", "content_hash", "payload_hash")


@runtime_checkable
class VectorStore(Protocol):
    endpoint: str  # where the store is, for messages: a URL, ``local:<dir>`` or ``edge:<dir>``

    # --- collections and aliases ---------------------------------------------------------
    def exists(self, name: str) -> bool:
        """Whether a collection or an alias of that name exists."""

    def ensure_collection(self, name: str, dimensions: int, payload_indexes: dict[str, str],
                          tenant_field: str | None = None, distance: str = "Cosine",
                          metadata: dict | None = None) -> bool:
        """Create ``name`` (see ``CollectionSpec``) if missing: True when created. An existing
        one of other dimensions is a HelioError."""

    def metadata(self, name: str) -> dict:
        """What the pipeline recorded on the collection: fingerprint, embedder, promotion time."""

    def update_metadata(self, name: str, values: dict) -> None:
        """Merge ``values`` into the metadata (top-level keys)."""

    def vector_size(self, name: str) -> int: ...

    def distance(self, name: str) -> str:
        """Cosine, Euclid, Dot or Manhattan."""

    def resolve(self, alias: str) -> str | None:
        """The physical collection ``alias`` points at (None: no such alias)."""

    def point_alias(self, alias: str, collection: str) -> None:
        """Move (or create) ``alias`` onto ``collection`` atomically; a missing collection is a ValueError."""

    def physical_collections(self, alias: str) -> list[str]:
        """The collections named ``alias__...``, sorted."""

    def drop(self, name: str) -> None:
        """Delete a physical collection and its aliases; any other name is left alone."""

    # --- points ----------------------------------------------------------------------------
    def count(self, name: str) -> int:
        """Exact point count; a missing collection is a ValueError."""

    def read_index(self, name: str, fields: Sequence[str] = READ_INDEX_FIELDS,
                   flt: Filter | None = None) -> dict[str, dict]:
        """{point id: {field: value}} of every point matching ``flt``, without vectors."""

    def upsert(self, name: str, points: list[Point]) -> None: ...

    def set_payload(self, name: str, point_id: str, payload: dict) -> None:
        """Replace the point's whole payload."""

    def delete(self, name: str, ids: list[str]) -> None:
        """Unknown ids are no error."""

    def retrieve(self, name: str, ids: list[str], with_vectors: bool = False) -> list[Hit]:
        """The points of ``ids`` that exist, in the order asked (score None)."""

    def dense_vectors(self, name: str, flt: Filter | None = None,
                      page: int = 1024) -> Iterator[tuple[list, np.ndarray]]:
        """Pages of (ids, float matrix) of the stored dense vectors; a missing or wrong-length
        vector is a row of NaN (what verification reads)."""

    def query(self, name: str, dense: np.ndarray | None, sparse: tuple[list[int], list[float]] | None,
              limit: int, query_filter: Filter | None = None, mode: str = "hybrid",
              with_vectors: bool = False) -> list[Hit]:
        """Hits best first. ``hybrid`` fuses a dense and a sparse list by RRF (``fusion``) and is
        a dense query when the sparse vector is empty; ``sparse`` with no terms answers []. A
        dense score no distance gives raises VectorsDamaged."""

    # --- lifecycle -------------------------------------------------------------------------
    def optimize(self, name: str) -> bool:
        """Settle fresh writes on disk (where the engine does not do it itself): whether anything changed."""

    def load_all(self) -> None:
        """Load every collection now, so a broken one fails here."""

    def close(self) -> None: ...


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}: use dense, sparse or hybrid")
