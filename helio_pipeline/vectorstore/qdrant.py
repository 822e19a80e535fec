"""The qdrant-client backend: a Qdrant server or Qdrant Cloud, or qdrant-client's local mode
(an embedded directory, or ``:memory:``). Fusion happens in the engine (``FusionQuery``).

Project types are translated here and nowhere else: ``Filter`` to ``models.Filter``, points
to ``PointStruct``, results to ``Hit``.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
from qdrant_client import QdrantClient, models

from helio_pipeline.lib.errors import HelioError, SourceUnavailable, StoreBusy, StoreNotWritable
from helio_pipeline.vectorstore.base import DENSE, READ_INDEX_FIELDS, SPARSE, check_mode
from helio_pipeline.vectorstore.fusion import prefetch_depth
from helio_pipeline.vectorstore.integrity import check_dense_scores, dense_matrix
from helio_pipeline.vectorstore.types import (CollectionLayout, CollectionSpec, Filter, HasId, Hit, IsEmpty, Match, MatchAny, Point,
                                              Range, utc_time)

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


def close_local_clients() -> None:
    """Release every local-mode directory this process holds (so a Dagster run can open it)."""
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


# --- translation ---------------------------------------------------------------------------

def to_qdrant_filter(flt: Filter | None) -> models.Filter | None:
    if flt is None:
        return None
    if not isinstance(flt, Filter):
        raise TypeError(f"expected a vectorstore Filter, got {type(flt).__name__}")
    return models.Filter(must=[_condition(c) for c in flt.must] or None,
                         should=[_condition(c) for c in flt.should] or None,
                         must_not=[_condition(c) for c in flt.must_not] or None)


def _condition(c):
    if isinstance(c, Filter):
        return to_qdrant_filter(c)
    if isinstance(c, Match):
        return models.FieldCondition(key=c.key, match=models.MatchValue(value=c.value))
    if isinstance(c, MatchAny):
        return models.FieldCondition(key=c.key, match=models.MatchAny(any=list(c.values)))
    if isinstance(c, Range):
        bounds = {k: getattr(c, k) for k in ("gte", "gt", "lte", "lt") if getattr(c, k) is not None}
        if c.on_time:
            return models.FieldCondition(key=c.key, range=models.DatetimeRange(
                **{k: utc_time(v) for k, v in bounds.items()}))
        return models.FieldCondition(key=c.key, range=models.Range(**{k: float(v) for k, v in bounds.items()}))
    if isinstance(c, IsEmpty):
        return models.IsEmptyCondition(is_empty=models.PayloadField(key=c.key))
    if isinstance(c, HasId):
        return models.HasIdCondition(has_id=list(c.ids))
    raise TypeError(f"not a filter condition: {type(c).__name__}")


def _out_id(value):
    return value if isinstance(value, int) else str(value)


def _hit(point, score: float | None) -> Hit:
    vectors = point.vector if isinstance(point.vector, dict) else ({DENSE: point.vector} if point.vector else {})
    dense, sparse = vectors.get(DENSE), vectors.get(SPARSE)
    return Hit(_out_id(point.id), score, point.payload if point.payload is not None else {},
               list(dense) if dense is not None else None,
               (list(sparse.indices), list(sparse.values)) if sparse is not None else None)


class QdrantStore:
    """The store through qdrant-client: see ``base.VectorStore`` for each method."""

    def __init__(self, client: QdrantClient, endpoint: str, layout: CollectionLayout | None = None,
                 shared: bool = False):
        self.client = client
        self.endpoint = endpoint
        self.layout = layout or CollectionLayout()
        self._shared = shared  # a local-mode client other stores of this process use too

    @classmethod
    def open(cls, url: str | None = None, api_key: str | None = None, path: str | Path | None = None,
             layout: CollectionLayout | None = None) -> "QdrantStore":
        """A server at ``url`` (``:memory:`` for an in-process throwaway) or a local directory."""
        if url == ":memory:":
            return cls(QdrantClient(location=":memory:"), ":memory:", layout)
        if url:
            store = cls(QdrantClient(url=url, api_key=api_key, timeout=30), url, layout)
            try:
                store.client.get_collections()
            except Exception as exc:  # noqa: BLE001 - any transport error means the same to a user
                raise SourceUnavailable(f"Qdrant at {url} is unreachable: {type(exc).__name__}") from None
            return store
        if path is None:
            raise ValueError("QdrantStore.open needs a url or a path")
        return cls(open_local_client(path), f"local:{Path(path).resolve()}", layout, shared=True)

    def optimize(self, name: str) -> bool:
        """Nothing to do: a Qdrant server optimizes segments in the background."""
        return False

    def load_all(self) -> None:
        """Nothing to do: qdrant-client opens collections itself."""

    def close(self) -> None:
        """Close the client (a local directory's stays open for this process's other users
        until ``close_embedded_stores``)."""
        if not self._shared:
            self.client.close()

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
        spec = CollectionSpec(dimensions, distance, payload_indexes, tenant_field, metadata)
        shard_number, replication_factor = self.layout.for_domain(spec.metadata.get("domain"))
        try:
            self.client.create_collection(
                name,
                vectors_config={DENSE: models.VectorParams(size=spec.dimensions,
                                                           distance=models.Distance(spec.distance))},
                sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                shard_number=shard_number,
                replication_factor=replication_factor,
                metadata=spec.metadata,
            )
        except Exception:
            # Two shard runs of one domain can race to create the same collection on a
            # server: the loser finds it there and goes on.
            if not self.exists(name):
                raise
            return self.ensure_collection(name, dimensions, payload_indexes, tenant_field, distance, metadata)
        for field_name, kind in spec.payload_indexes.items():
            schema = _INDEX_TYPES[kind]
            if field_name == spec.tenant_field:
                schema = models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)
            self.client.create_payload_index(name, field_name, field_schema=schema)
        return True

    def metadata(self, name: str) -> dict:
        return dict(self.client.get_collection(name).config.metadata or {})

    def update_metadata(self, name: str, values: dict) -> None:
        self.client.update_collection(name, metadata=values)  # merged into the existing metadata

    def _dense_params(self, name: str):
        vectors = self.client.get_collection(name).config.params.vectors
        return vectors[DENSE] if isinstance(vectors, dict) else vectors

    def vector_size(self, name: str) -> int:
        return self._dense_params(name).size

    def distance(self, name: str) -> str:
        params = self._dense_params(name)
        return str(getattr(params.distance, "value", params.distance))

    def resolve(self, alias: str) -> str | None:
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

    def read_index(self, name: str, fields=READ_INDEX_FIELDS, flt: Filter | None = None) -> dict[str, dict]:
        out: dict[str, dict] = {}
        offset = None
        scroll_filter = to_qdrant_filter(flt)
        while True:
            records, offset = self.client.scroll(
                name, limit=2048, offset=offset, with_payload=list(fields), with_vectors=False,
                scroll_filter=scroll_filter,
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
                        SPARSE: models.SparseVector(indices=list(p.sparse[0]), values=list(p.sparse[1])),
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

    def retrieve(self, name: str, ids: list[str], with_vectors: bool = False) -> list[Hit]:
        records = self.client.retrieve(name, ids=ids, with_payload=True, with_vectors=with_vectors)
        return [_hit(r, None) for r in records]

    def dense_vectors(self, name: str, flt: Filter | None = None, page: int = 1024):
        dimensions = self.vector_size(name)
        scroll_filter = to_qdrant_filter(flt)
        offset = None
        while True:
            records, offset = self.client.scroll(name, limit=page, offset=offset, with_payload=False,
                                                 with_vectors=[DENSE], scroll_filter=scroll_filter)
            if records:
                yield ([_out_id(r.id) for r in records],
                       dense_matrix([(r.vector or {}).get(DENSE) for r in records], dimensions))
            if offset is None:
                return

    # --- queries ---------------------------------------------------------------------
    def query(self, name: str, dense: np.ndarray | None, sparse: tuple[list[int], list[float]] | None,
              limit: int, query_filter: Filter | None = None, mode: str = "hybrid",
              with_vectors: bool = False) -> list[Hit]:
        """Hits, best first. ``hybrid`` fuses dense and sparse with RRF in the engine.
        ``with_vectors`` returns each hit's dense vector (for cross-collection tie-breaks)."""
        check_mode(mode)
        flt = to_qdrant_filter(query_filter)
        vectors = [DENSE] if with_vectors else False
        sparse_vec = (models.SparseVector(indices=list(sparse[0]), values=list(sparse[1]))
                      if sparse and len(sparse[0]) else None)
        if mode == "dense" or (mode == "hybrid" and sparse_vec is None):
            result = self.client.query_points(name, query=np.asarray(dense).tolist(), using=DENSE,
                                              query_filter=flt, limit=limit, with_payload=True,
                                              with_vectors=vectors)
            check_dense_scores(self, name, [p.score for p in result.points])
        elif mode == "sparse":
            if sparse_vec is None:
                return []
            result = self.client.query_points(name, query=sparse_vec, using=SPARSE, query_filter=flt,
                                              limit=limit, with_payload=True, with_vectors=vectors)
        else:
            depth = prefetch_depth(limit)
            dense_list = models.QueryRequest(query=np.asarray(dense).tolist(), using=DENSE, filter=flt,
                                             limit=depth, with_payload=False, with_vector=False)
            # the fused ranks hide the dense scores: the dense list comes back too, in the same call
            checked, result = self.client.query_batch_points(name, requests=[
                dense_list,
                models.QueryRequest(
                    prefetch=[
                        models.Prefetch(query=dense_list.query, using=DENSE, limit=depth, filter=flt),
                        models.Prefetch(query=sparse_vec, using=SPARSE, limit=depth, filter=flt),
                    ],
                    query=models.FusionQuery(fusion=models.Fusion.RRF),  # k = fusion.RRF_K
                    filter=flt,
                    limit=limit,
                    with_payload=True,
                    with_vector=vectors,
                ),
            ])
            check_dense_scores(self, name, [p.score for p in checked.points])
        return [_hit(p, p.score) for p in result.points]
