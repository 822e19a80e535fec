"""The KnowledgeBase: what Hélio calls to retrieve from the domain collections.

Each domain's collection is queried through its alias, with dense + sparse vectors fused by
RRF inside Qdrant (``hybrid``, the default). Results of several domains are merged by
reciprocal rank fusion across collections — scale-free, so a domain whose scores run
higher cannot crowd the others out — and every hit says which domain it came from.
The query embedder is chosen from the configuration recorded on the collection, so a
search keeps working against the old collection while a rebuild with a new model runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qdrant_client import models

from helio_pipeline.domains import DOMAINS, Domain
from helio_pipeline.lib.embedding import Embedder, EmbedderSpec
from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.lib.store import VectorStore

RRF_K = 60
MAX_TOP_K = 100
MAX_QUERY_CHARS = 2000


class QueryError(HelioError, ValueError):
    """The request itself is wrong (empty query, unknown domain or filter field...)."""


@dataclass
class Hit:
    domain: str
    source_id: str
    score: float
    text: str
    payload: dict
    similarity: float = 0.0  # cosine of query and hit dense vectors: comparable across collections

    def as_dict(self) -> dict:
        return {"domain": self.domain, "source_id": self.source_id, "score": self.score,
                "text": self.text, "payload": self.payload}


def build_filter(domain: Domain, filters: dict | None) -> models.Filter | None:
    """Translate ``{field: value | [values] | {"gte": x, "lte": y}}`` into a Qdrant filter,
    accepting only the fields the domain declares."""
    if not filters:
        return None
    must = []
    for field, value in filters.items():
        kind = domain.filter_fields.get(field)
        if kind is None:
            raise QueryError(f"{domain.name} cannot be filtered by {field!r}; "
                             f"filterable fields: {sorted(domain.filter_fields)}")
        if isinstance(value, dict):
            bounds = {k: value[k] for k in ("gt", "gte", "lt", "lte") if k in value}
            if not bounds or len(bounds) != len(value) or kind not in ("float", "integer", "datetime"):
                raise QueryError(f"{field!r}: a range needs gt/gte/lt/lte on a numeric or time field")
            range_cls = models.DatetimeRange if kind == "datetime" else models.Range
            must.append(models.FieldCondition(key=field, range=range_cls(**bounds)))
        elif isinstance(value, list):
            must.append(models.FieldCondition(key=field, match=models.MatchAny(any=value)))
        else:
            must.append(models.FieldCondition(key=field, match=models.MatchValue(value=value)))
    return models.Filter(must=must)


class KnowledgeBase:
    def __init__(self, store: VectorStore, embedder: EmbedderSpec, prefix: str = "helio"):
        self.store = store
        self.spec = embedder
        self.prefix = prefix
        self._embedders: dict[tuple, Embedder] = {}

    def _query_embedder(self, collection: str) -> Embedder:
        meta = self.store.metadata(collection)
        spec = self.spec
        built = self._embedders.get(("configured",))
        if built is None:
            built = self._embedders[("configured",)] = spec.build()
        if (meta.get("embedder"), meta.get("model"), meta.get("dimensions")) in (
            (None, None, None), (built.name, built.model, built.dimensions)
        ):
            return built
        key = (meta["embedder"], meta["model"], meta["dimensions"])
        if key not in self._embedders:  # the live collection predates the current configuration
            model = meta["model"].rsplit("-", 1)[-1] if meta["embedder"] == "local" else meta["model"]
            self._embedders[key] = EmbedderSpec(meta["embedder"], model, meta["dimensions"],
                                                spec.base_url, spec.api_key).build()
        return self._embedders[key]

    def _domains(self, domains: list[str] | None, filters: dict | None) -> list[Domain]:
        if domains is None:
            # conversations are tenant data: only searched when the caller names the owner
            owner_known = bool(filters and filters.get("owner_id"))
            return [d for d in DOMAINS.values() if d.tenant_field is None or owner_known]
        unknown = [d for d in domains if d not in DOMAINS]
        if unknown:
            raise QueryError(f"unknown domain(s) {unknown}; known: {sorted(DOMAINS)}")
        return [DOMAINS[d] for d in dict.fromkeys(domains)]

    def search(self, query: str, domains: list[str] | None = None, top_k: int = 5,
               filters: dict | None = None, mode: str = "hybrid") -> list[Hit]:
        if not isinstance(query, str) or not query.strip():
            raise QueryError("the query is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
        if not 1 <= top_k <= MAX_TOP_K:
            raise QueryError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
        selected = self._domains(domains, filters)
        per_domain: dict[str, list[Hit]] = {}
        sparse = sparse_vector(query)
        vectors: dict[int, object] = {}
        for domain in selected:
            domain_filters = dict(filters or {})
            if domain.tenant_field:
                if not domain_filters.get(domain.tenant_field):
                    raise QueryError(f"searching {domain.name} requires {domain.tenant_field!r} (tenant data)")
            elif domains is None:  # a multi-domain filter applies where the field exists
                domain_filters = {k: v for k, v in domain_filters.items() if k in domain.filter_fields}
            alias = domain.collection(self.prefix)
            if not self.store.exists(alias):
                per_domain[domain.name] = []
                continue
            embedder = self._query_embedder(alias)
            key = id(embedder)
            if key not in vectors:
                vectors[key] = embedder.embed_query(query.strip())
            query_vector = vectors[key]
            points = self.store.query(alias, query_vector, sparse, top_k, build_filter(domain, domain_filters), mode,
                                      with_vectors=True)
            per_domain[domain.name] = [
                Hit(domain.name, p.payload.get("source_id"), float(p.score), p.payload.get("text", ""), p.payload,
                    _similarity(query_vector, p.vector))
                for p in points
            ]
        return fuse(per_domain, top_k)


def _similarity(query_vector, point_vector) -> float:
    dense = point_vector.get("dense") if isinstance(point_vector, dict) else point_vector
    if dense is None:
        return 0.0
    return float(np.dot(np.asarray(query_vector, dtype=np.float32), np.asarray(dense, dtype=np.float32)))


def fuse(per_domain: dict[str, list[Hit]], top_k: int) -> list[Hit]:
    """Reciprocal rank fusion across collections: a hit at rank r scores 1/(60 + r). Hits of
    equal rank in different domains are ordered by their dense cosine similarity to the query
    (unit vectors from the same embedder, so comparable across collections), then by domain. The fused score replaces the engine's score, which is not comparable across
    collections (kept as ``payload["engine_score"]``). One domain keeps its engine scores."""
    if len(per_domain) == 1:
        return next(iter(per_domain.values()))[:top_k]
    fused: list[tuple[float, float, int, Hit]] = []
    for order, hits in enumerate(per_domain.values()):
        for rank, hit in enumerate(hits, start=1):
            fused.append((1.0 / (RRF_K + rank), hit.similarity, -order, hit))
    fused.sort(key=lambda item: item[:3], reverse=True)
    out = []
    for score, _, _, hit in fused[:top_k]:
        hit.payload = {**hit.payload, "engine_score": hit.score}
        hit.score = score
        out.append(hit)
    return out
