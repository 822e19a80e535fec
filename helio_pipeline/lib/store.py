"""The vector store: Qdrant through qdrant-client, a server or an embedded local directory.

Everything the pipeline and the KnowledgeBase need from Qdrant goes through
:class:`VectorStore`, so the backend can change underneath. Collections have a named dense
vector ``dense`` and a sparse lexical vector ``sparse`` (IDF modifier) for hybrid search.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qdrant_client import QdrantClient, models

from helio_pipeline.lib.errors import HelioError, SourceUnavailable, StoreBusy, StoreNotWritable
from helio_pipeline.lib.stores import CollectionLayout

DENSE = "dense"
SPARSE = "sparse"
_INDEX_TYPES = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "integer": models.PayloadSchemaType.INTEGER,
    "float": models.PayloadSchemaType.FLOAT,
    "bool": models.PayloadSchemaType.BOOL,
    "datetime": models.PayloadSchemaType.DATETIME,
}
# Local mode evaluates filters without indexes and says so on every create; servers use them.
warnings.filterwarnings("ignore", message="Payload indexes have no effect in the local Qdrant")
# qdrant-client's local mode locks its directory per process: share one client per path.
_LOCAL_CLIENTS: dict[str, QdrantClient] = {}
_LOCK = threading.Lock()


@dataclass
class Point:
    id: str
    vector: np.ndarray
    sparse: tuple[list[int], list[float]]
    payload: dict


def close_local_clients() -> None:
    """Release every embedded store this process holds (so a Dagster run can open it)."""
    with _LOCK:
        for client in _LOCAL_CLIENTS.values():
            client.close()
        _LOCAL_CLIENTS.clear()


def open_local_client(path: str | Path) -> QdrantClient:
    key = str(Path(path).resolve())
    with _LOCK:
        if key not in _LOCAL_CLIENTS:
            Path(key).mkdir(parents=True, exist_ok=True)
            try:
                _LOCAL_CLIENTS[key] = QdrantClient(path=key)
            except PermissionError as exc:  # local mode writes a lock file, even to search
                raise StoreNotWritable(f"the embedded store at {key} is not writable: {exc}") from None
            except RuntimeError as exc:
                raise StoreBusy(
                    f"the embedded Qdrant store {key} is open in another process ({exc}). "
                    "Stop that process, or set HELIO_QDRANT_URL to a Qdrant server for concurrent use."
                ) from None
        return _LOCAL_CLIENTS[key]


class VectorStore:
    def __init__(self, client: QdrantClient, endpoint: str, layout: CollectionLayout | None = None):
        self.client = client
        self.endpoint = endpoint
        self.layout = layout or CollectionLayout()

    @classmethod
    def open(cls, url: str | None = None, api_key: str | None = None, path: str | Path | None = None,
             **kwargs) -> "VectorStore":
        """A server at ``url`` (``:memory:`` for an in-process throwaway) or a local directory."""
        if url == ":memory:":
            return cls(QdrantClient(location=":memory:"), ":memory:", **kwargs)
        if url:
            store = cls(QdrantClient(url=url, api_key=api_key, timeout=30), url, **kwargs)
            try:
                store.client.get_collections()
            except Exception as exc:  # noqa: BLE001 - any transport error means the same to a user
                raise SourceUnavailable(f"Qdrant at {url} is unreachable: {type(exc).__name__}") from None
            return store
        if path is None:
            raise ValueError("VectorStore.open needs a url or a path")
        return cls(open_local_client(path), f"local:{Path(path).resolve()}", **kwargs)

    def optimize(self, name: str) -> bool:
        """Nothing to do: a Qdrant server optimizes segments in the background."""
        return False

    def load_all(self) -> None:
        """Nothing to do: qdrant-client opens collections itself (the edge store loads lazily)."""

    # --- collections and aliases -------------------------------------------------------
    def exists(self, name: str) -> bool:
        return self.client.collection_exists(name)

    def ensure_collection(self, name: str, dimensions: int, payload_indexes: dict[str, str],
                          tenant_field: str | None = None, distance: str = "Cosine",
                          metadata: dict | None = None) -> bool:
        """Create ``name`` if missing (returns True when created) and its payload indexes.

        A new collection is laid out (shards, replicas) by ``self.layout`` for the domain
        named in ``metadata["domain"]``."""
        if self.exists(name):
            size = self.vector_size(name)
            if size != dimensions:
                raise HelioError(f"collection {name} holds {size}-d vectors, the embedder makes {dimensions}-d")
            return False
        shard_number, replication_factor = self.layout.for_domain((metadata or {}).get("domain"))
        try:
            self.client.create_collection(
                name,
                vectors_config={DENSE: models.VectorParams(size=dimensions, distance=models.Distance(distance))},
                sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                shard_number=shard_number,
                replication_factor=replication_factor,
                metadata=metadata,
            )
        except Exception:
            # Two shard runs of one domain can race to create the same collection on a
            # server: the loser finds it there and goes on.
            if not self.exists(name):
                raise
            return self.ensure_collection(name, dimensions, payload_indexes, tenant_field, distance, metadata)
        for field, kind in {"source_id": "keyword", "source_bucket": "integer", **payload_indexes}.items():
            schema = _INDEX_TYPES[kind]
            if field == tenant_field:
                schema = models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)
            self.client.create_payload_index(name, field, field_schema=schema)
        return True

    def metadata(self, name: str) -> dict:
        """What the pipeline recorded on the collection: fingerprint, embedder, promotion time."""
        return dict(self.client.get_collection(name).config.metadata or {})

    def update_metadata(self, name: str, values: dict) -> None:
        self.client.update_collection(name, metadata=values)  # merged into the existing metadata

    def vector_size(self, name: str) -> int:
        vectors = self.client.get_collection(name).config.params.vectors
        return vectors[DENSE].size if isinstance(vectors, dict) else vectors.size

    def distance(self, name: str) -> str:
        """The dense vectors' distance: Cosine, Euclid, Dot or Manhattan."""
        vectors = self.client.get_collection(name).config.params.vectors
        params = vectors[DENSE] if isinstance(vectors, dict) else vectors
        return str(getattr(params.distance, "value", params.distance))

    def resolve(self, alias: str) -> str | None:
        """The physical collection an alias points at (None when the alias does not exist)."""
        for item in self.client.get_aliases().aliases:
            if item.alias_name == alias:
                return item.collection_name
        return None

    def point_alias(self, alias: str, collection: str) -> None:
        """Move (or create) ``alias`` to ``collection`` in one atomic call."""
        ops: list = []
        if self.resolve(alias) is not None:
            ops.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias)))
        ops.append(models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=collection, alias_name=alias)))
        self.client.update_collection_aliases(change_aliases_operations=ops)

    def physical_collections(self, alias: str) -> list[str]:
        return sorted(c.name for c in self.client.get_collections().collections if c.name.startswith(alias + "__"))

    def drop(self, name: str) -> None:
        self.client.delete_collection(name)

    # --- points ----------------------------------------------------------------------
    def count(self, name: str) -> int:
        return self.client.count(name, exact=True).count

    def read_index(self, name: str, fields=("source_id", "source", "content_hash", "payload_hash"),
                   flt: models.Filter | None = None) -> dict[str, dict]:
        """{point id: {field: value}} for every point (matching ``flt``), read without vectors."""
        out: dict[str, dict] = {}
        offset = None
        while True:
            records, offset = self.client.scroll(
                name, limit=2048, offset=offset, with_payload=list(fields), with_vectors=False, scroll_filter=flt,
            )
            for record in records:
                out[str(record.id)] = record.payload or {}
            if offset is None:
                return out

    def upsert(self, name: str, points: list[Point]) -> None:
        if not points:
            return
        self.client.upsert(
            name,
            points=[
                models.PointStruct(
                    id=p.id,
                    vector={
                        DENSE: np.asarray(p.vector, dtype=np.float32).tolist(),
                        SPARSE: models.SparseVector(indices=p.sparse[0], values=p.sparse[1]),
                    },
                    payload=p.payload,
                )
                for p in points
            ],
            wait=True,
        )

    def set_payload(self, name: str, point_id: str, payload: dict) -> None:
        self.client.overwrite_payload(name, payload=payload, points=[point_id], wait=True)

    def delete(self, name: str, ids: list[str]) -> None:
        for start in range(0, len(ids), 1000):
            self.client.delete(name, points_selector=models.PointIdsList(points=ids[start : start + 1000]), wait=True)

    def retrieve(self, name: str, ids: list[str], with_vectors: bool = False):
        return self.client.retrieve(name, ids=ids, with_payload=True, with_vectors=with_vectors)

    def dense_vectors(self, name: str, flt: models.Filter | None = None, page: int = 1024):
        """Every point's dense vector (matching ``flt``), in pages of (ids, a float matrix); a
        missing or wrong-length vector is a row of NaN (see ``verify.dense_matrix``)."""
        from helio_pipeline.lib.verify import dense_matrix  # verify imports this module

        dimensions = self.vector_size(name)
        offset = None
        while True:
            records, offset = self.client.scroll(name, limit=page, offset=offset, with_payload=False,
                                                 with_vectors=[DENSE], scroll_filter=flt)
            if records:
                yield ([r.id for r in records],
                       dense_matrix([(r.vector or {}).get(DENSE) for r in records], dimensions))
            if offset is None:
                return

    # --- queries ---------------------------------------------------------------------
    def query(self, name: str, dense: np.ndarray | None, sparse: tuple[list[int], list[float]] | None,
              limit: int, query_filter: models.Filter | None = None, mode: str = "hybrid",
              with_vectors: bool = False):
        """Scored points, best first. ``hybrid`` fuses dense and sparse with RRF in the engine.
        ``with_vectors`` returns each hit's dense vector (for cross-collection tie-breaks)."""
        from helio_pipeline.lib.verify import check_dense_scores  # verify imports this module

        vectors = [DENSE] if with_vectors else False
        sparse_vec = models.SparseVector(indices=sparse[0], values=sparse[1]) if sparse else None
        if mode == "dense" or (mode == "hybrid" and not (sparse_vec and sparse_vec.indices)):
            result = self.client.query_points(name, query=np.asarray(dense).tolist(), using=DENSE,
                                              query_filter=query_filter, limit=limit, with_payload=True,
                                              with_vectors=vectors)
            check_dense_scores(self, name, [p.score for p in result.points])
        elif mode == "sparse":
            if not sparse_vec.indices:
                return []
            result = self.client.query_points(name, query=sparse_vec, using=SPARSE,
                                              query_filter=query_filter, limit=limit, with_payload=True,
                                              with_vectors=vectors)
        elif mode == "hybrid":
            depth = max(limit * 4, 20)
            dense_list = models.QueryRequest(query=np.asarray(dense).tolist(), using=DENSE, filter=query_filter,
                                             limit=depth, with_payload=False, with_vector=False)
            # the fused ranks hide the dense scores: the dense list comes back too, in the same call
            checked, result = self.client.query_batch_points(name, requests=[
                dense_list,
                models.QueryRequest(
                    prefetch=[
                        models.Prefetch(query=dense_list.query, using=DENSE, limit=depth, filter=query_filter),
                        models.Prefetch(query=sparse_vec, using=SPARSE, limit=depth, filter=query_filter),
                    ],
                    query=models.FusionQuery(fusion=models.Fusion.RRF),
                    filter=query_filter,
                    limit=limit,
                    with_payload=True,
                    with_vector=vectors,
                ),
            ])
            check_dense_scores(self, name, [p.score for p in checked.points])
        else:
            raise ValueError(f"unknown search mode {mode!r}: use dense, sparse or hybrid")
        return result.points
