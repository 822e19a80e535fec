"""The KnowledgeBase: what Hélio calls to retrieve from the domain collections.

- Each domain's collection is queried through its alias with dense and sparse vectors
  fused by RRF inside Qdrant (``hybrid``, the default; ``dense`` and ``sparse`` for
  comparison).
- Several domains are merged by reciprocal rank fusion across collections: a hit at rank r
  of its domain scores 1/(60 + r), whatever the engine's score scale; equal ranks are
  ordered by the dense cosine similarity to the query (same unit-vector space). Every hit
  says which domain it came from; ``search_by_domain`` returns the lists unmerged.
- Filters are validated against the registry (lib/filters.py).
- Conversations are tenant data: searching them requires the tenant field (``owner_id``),
  and it takes exactly one owner, a single non-empty string: a list, a range or any other
  type is refused here, whichever door the request came through (CLI, Python, HTTP).
- Nothing leaves the KB with personal data in it: hits of a domain that redacts, and the
  recent messages ``memory`` reads from the source table, are redacted at read time
  (``redact_output``; off only when the operator turned redaction off).
- A domain that declares ``availability`` (products) can be restricted to what is available
  now (``available_only``): active and in stock per PostgreSQL at query time.
- The query embedder follows the configuration recorded on the collection, so search keeps
  answering from the old collection while a rebuild with a new model runs. Query
  embeddings are kept in an LRU cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from helio_pipeline.lib.embedding import Embedder, EmbedderSpec
from helio_pipeline.lib.errors import VectorsDamaged
from helio_pipeline.lib.filters import QueryError, build_filter
from helio_pipeline.lib.redaction import redact_text
from helio_pipeline.lib.routing import domain_weights
from helio_pipeline.lib.spec_search import MakerCache, SpecPlan, combine, search_by_spec
from helio_pipeline.lib.spec_search import plan as spec_plan
from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.lib.understanding import MakerIndex
from helio_pipeline.lib.understanding import understand as understand_question
from helio_pipeline.vectorstore import Filter, Match, VectorStore
from helio_pipeline.vectorstore.fusion import CROSS_COLLECTION_RRF_K

if TYPE_CHECKING:
    from helio_pipeline.domains import Domain

__all__ = ["KnowledgeBase", "Hit", "SearchResponse", "QueryError", "fuse"]

RRF_K = CROSS_COLLECTION_RRF_K  # see vectorstore/fusion.py
MAX_TOP_K = 100
MAX_QUERY_CHARS = 2000
MODES = ("hybrid", "dense", "sparse")


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


@dataclass
class SearchResponse:
    hits: list[Hit]
    per_domain: dict[str, list[Hit]]
    query_embedding_time_ms: float = 0.0
    search_time_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    # per domain: the constraints read from the question and applied (lib/spec_search.py)
    interpreted: dict[str, dict] = field(default_factory=dict)
    understanding_time_ms: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)  # per domain, in the fused ranking


def clean_query(query) -> str:
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
    bad = [c for c in query if unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r"]
    if bad:
        raise QueryError(f"the query contains control characters or unpaired surrogates ({ascii(bad[0])})")
    return " ".join(query.split())


class KnowledgeBase:
    def __init__(self, store: VectorStore, embedder: EmbedderSpec, prefix: str = "helio", engine=None,
                 query_cache_size: int = 1024, redact_output: bool = True,
                 domains: dict[str, Domain] | None = None):
        if domains is None:  # the registry, unless the caller serves another set of domains
            from helio_pipeline.domains import DOMAINS as domains
        self.domains = domains
        self.store = store
        self.redact_output = redact_output
        self.spec = embedder
        self.prefix = prefix
        self.engine = engine  # source database, for live availability and conversation memory
        self._embedders: dict[tuple, Embedder] = {}
        self._query_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._query_cache_size = query_cache_size
        self._lock = threading.Lock()
        self._makers = MakerCache()

    # --- query embeddings ------------------------------------------------------------
    def _embedder_for(self, collection: str) -> Embedder:
        """The embedder the collection was written with: it records its spec (embedder, model,
        dimensions), which is built as recorded, with the configured endpoint and secrets."""
        recorded = self.spec.recorded(self.store.metadata(collection))
        with self._lock:  # helio serve asks from many threads: one embedder (one batching worker) each
            if "configured" not in self._embedders:
                self._embedders["configured"] = self.spec.build()
            built = self._embedders["configured"]
            if recorded is None:
                return built
            key = (recorded.kind, recorded.model, recorded.dimensions)
            if key == (built.name, built.model, built.dimensions):
                return built
            if key not in self._embedders:  # the live collection predates the current configuration
                self._embedders[key] = recorded.build()
            return self._embedders[key]

    def close(self) -> None:
        """Stop the query embedders' batching workers (``helio serve``'s shutdown)."""
        for embedder in self._embedders.values():
            getattr(embedder, "close", lambda: None)()

    def _embed_query(self, embedder: Embedder, query: str) -> np.ndarray:
        key = (embedder.name, embedder.model, embedder.dimensions, query)
        with self._lock:
            cached = self._query_cache.get(key)
            if cached is not None:
                self._query_cache.move_to_end(key)
                return cached
        vector = embedder.embed_query(query)
        with self._lock:
            self._query_cache[key] = vector
            if len(self._query_cache) > self._query_cache_size:
                self._query_cache.popitem(last=False)
        return vector

    def _embed_queries(self, wanted: list[tuple[Embedder, str]]) -> dict[tuple[int, str], np.ndarray]:
        """The vectors of several texts, each embedder's uncached ones in one call (through a
        batching embedder, they share a model call with other requests' too)."""
        vectors, missing = {}, {}
        for embedder, query in wanted:
            key = (embedder.name, embedder.model, embedder.dimensions, query)
            with self._lock:
                cached = self._query_cache.get(key)
                if cached is not None:
                    self._query_cache.move_to_end(key)
            if cached is not None:
                vectors[(id(embedder), query)] = cached
            else:
                missing.setdefault(id(embedder), (embedder, {}))[1][query] = key
        for embedder, keys in missing.values():
            for (query, key), vector in zip(keys.items(), embedder.embed_queries(list(keys))):
                vectors[(id(embedder), query)] = vector
                with self._lock:
                    self._query_cache[key] = vector
                    if len(self._query_cache) > self._query_cache_size:
                        self._query_cache.popitem(last=False)
        return vectors

    # --- search ----------------------------------------------------------------------
    def _domains(self, domains: list[str] | None, filters: dict | None) -> list[Domain]:
        if domains is None:  # every domain the request may read: tenant domains only with their tenant
            return [d for d in self.domains.values() if d.tenant_field is None or (filters or {}).get(d.tenant_field)]
        if isinstance(domains, str) or not isinstance(domains, (list, tuple)) or not domains:
            raise QueryError("domains must be a non-empty list of domain names")
        unknown = [d for d in domains if d not in self.domains]
        if unknown:
            raise QueryError(f"unknown domain(s) {unknown}; known: {sorted(self.domains)}")
        return [self.domains[d] for d in dict.fromkeys(domains)]

    def query(self, query: str, domains: list[str] | None = None, top_k: int = 5, filters: dict | None = None,
              mode: str = "hybrid", available_only: bool = False, understand: bool = True) -> SearchResponse:
        """Search and return hits, per-domain lists and timings. With ``understand``, a domain
        that declares a vocabulary reads the question's specs (category, power, voltage,
        maker, price...) as filters and targets; ``response.interpreted`` says what it read."""
        text = clean_query(query)
        if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= MAX_TOP_K:
            raise QueryError(f"top_k must be an integer between 1 and {MAX_TOP_K}, got {top_k!r}")
        if mode not in MODES:
            raise QueryError(f"unknown search mode {mode!r}: use {', '.join(MODES)}")
        selected = self._domains(domains, filters)
        if len(selected) > 1:  # a multi-domain filter applies where the field exists, but must exist somewhere
            declared = {f for d in selected for f in d.filter_fields}
            unknown = sorted(set(filters or {}) - declared)
            if unknown:
                raise QueryError(f"no selected domain can be filtered by {unknown}; filterable: {sorted(declared)}")
        plans, ignored = [], []
        tenant_fields = {d.tenant_field for d in selected if d.tenant_field}
        for domain in selected:  # validate everything before any work
            conditions = dict(filters or {})
            if domain.tenant_field:
                tenant_value(domain, conditions.get(domain.tenant_field))
            if len(selected) > 1:
                # said in the notes: a reader must not take these hits as filtered by what they lack
                lacking = sorted(set(conditions) - set(domain.filter_fields) - tenant_fields)
                if lacking:
                    ignored.append(f"{domain.name}: not filtered by {', '.join(lacking)} (it has no such field)")
                conditions = {k: v for k, v in conditions.items() if k in domain.filter_fields}
            plans.append((domain, build_filter(domain.name, domain.filter_fields, conditions)))
        response = SearchResponse(hits=[], per_domain={}, notes=ignored)
        prepared = []  # understood first, so every text the question needs is embedded in one call
        for domain, query_filter in plans:
            alias = domain.collection(self.prefix)
            if not self.store.exists(alias):
                prepared.append((domain, query_filter, None, None, None, None))
                continue
            started = time.perf_counter()
            spec = self._spec_plan(domain, alias, text, filters) if understand else None
            response.understanding_time_ms += (time.perf_counter() - started) * 1000
            searched = (spec.text or text) if spec else text
            prepared.append((domain, query_filter, alias, spec, searched, self._embedder_for(alias)))
        started = time.perf_counter()
        vectors = self._embed_queries([(embedder, searched) for *_, searched, embedder in prepared if embedder])
        response.query_embedding_time_ms += (time.perf_counter() - started) * 1000
        for domain, query_filter, alias, spec, searched, embedder in prepared:
            if alias is None:
                response.per_domain[domain.name] = []
                response.notes.append(f"{domain.name}: not indexed yet")
                continue
            dense = vectors[(id(embedder), searched)]
            sparse = sparse_vector(searched)
            started = time.perf_counter()
            try:
                understood = spec is not None and bool(spec.conditions or spec.targets or spec.order)
                if understood:
                    response.interpreted[domain.name] = spec.interpreted
                if available_only and domain.availability:  # checked live: filters, then availability
                    hard = combine(query_filter, spec.conditions) if understood else query_filter
                    hits = self._available(domain, alias, dense, sparse, top_k, hard, mode, response)
                    hits = spec.rank(hits) if understood else hits
                elif understood:
                    hits = self._hits_by_spec(domain, alias, dense, sparse, top_k, query_filter, mode, spec, response)
                else:
                    hits = self._hits(domain, alias, dense, sparse, top_k, query_filter, mode)
                if spec is not None:
                    response.notes += [f"{domain.name}: {note}" for note in spec.notes]
            except VectorsDamaged as exc:
                if len(plans) == 1:
                    raise
                # one damaged collection must not take the other domains' answers down
                hits = []
                response.notes.append(f"{domain.name}: not searched, {exc}")
            response.search_time_ms += (time.perf_counter() - started) * 1000
            response.per_domain[domain.name] = hits
        if len(plans) > 1:  # weigh the domains by how well the question fits each (lib/routing.py)
            response.weights = domain_weights(text, {d.name: d.cues for d, _ in plans},
                                              {d.name: d.refines for d, _ in plans}, set(response.interpreted))
        response.hits = fuse(response.per_domain, top_k, response.weights)
        return response

    def search(self, query: str, domains: list[str] | None = None, top_k: int = 5, filters: dict | None = None,
               mode: str = "hybrid", available_only: bool = False, understand: bool = True) -> list[Hit]:
        return self.query(query, domains, top_k, filters, mode, available_only, understand).hits

    def search_by_domain(self, query: str, domains: list[str] | None = None, top_k: int = 5,
                         filters: dict | None = None, mode: str = "hybrid",
                         understand: bool = True) -> dict[str, list[Hit]]:
        return self.query(query, domains, top_k, filters, mode, understand=understand).per_domain

    # --- understanding the question ------------------------------------------------------
    def _spec_plan(self, domain: Domain, alias: str, text: str, filters: dict | None) -> SpecPlan | None:
        if domain.vocabulary is None:
            return None
        makers = self._maker_index(domain, alias) if domain.maker_field else None
        return spec_plan(understand_question(text, domain.vocabulary, makers), domain.filter_fields, filters)

    def _maker_index(self, domain: Domain, alias: str) -> MakerIndex:
        return self._makers.get(self.store, alias, domain.maker_field)

    def _hits_by_spec(self, domain: Domain, alias: str, dense, sparse, top_k: int, base, mode: str,
                      spec: SpecPlan, response: SearchResponse) -> list[Hit]:
        def search(query_filter, limit):
            return self._hits(domain, alias, dense, sparse, limit, query_filter, mode)
        notes: list[str] = []
        hits = search_by_spec(search, top_k, base, spec, notes, deep=MAX_TOP_K)
        response.notes += [f"{domain.name}: {note}" for note in notes]
        return hits

    def _hits(self, domain: Domain, alias: str, dense, sparse, limit: int, query_filter, mode: str) -> list[Hit]:
        points = self.store.query(alias, dense, sparse, limit, query_filter, mode, with_vectors=True)
        hits = []
        for p in points:
            payload = dict(p.payload)
            if domain.redacts_personal_data and self.redact_output:  # also covers points indexed unredacted
                payload["text"] = redact_text(payload.get("text", ""))
            hits.append(Hit(domain.name, payload.get("source_id"), float(p.score), payload.get("text", ""), payload,
                            _similarity(dense, p.vector)))
        return hits

    def _available(self, domain: Domain, alias, dense, sparse, top_k, query_filter, mode, response) -> list[Hit]:
        """Over-fetch candidates and keep those available right now (the domain's
        ``availability``: active and in stock, for products), in relevance order."""
        limit = top_k * 4
        while True:
            candidates = self._hits(domain, alias, dense, sparse, limit, query_filter, mode)
            live = self._live_availability(domain.availability.live_sql, [h.source_id for h in candidates])
            kept = []
            for hit in candidates:
                status = live.get(hit.source_id) if live is not None else None
                if status is not None:
                    available, source = status, "live"
                else:  # not in the source table (a CSV-only SKU), or the database is down
                    available = domain.availability.indexed(hit.payload)
                    source = "unverified" if live is None else "indexed"
                if available:
                    hit.payload = {**hit.payload, "availability": source}
                    kept.append(hit)
            if live is None and "availability unverified: source database unreachable" not in response.notes:
                response.notes.append("availability unverified: source database unreachable")
            if len(kept) >= top_k or len(candidates) < limit or limit >= MAX_TOP_K * 4:
                return kept[:top_k]
            limit *= 4

    def _live_availability(self, sql: str, ids: list[str]) -> dict[str, bool] | None:
        if self.engine is None or not ids:
            return {} if self.engine is not None else None
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.text(sql), {"ids": ids}).all()
        except sa.exc.OperationalError:
            return None
        return {source_id: bool(ok) for source_id, ok in rows}

    # --- conversation memory -----------------------------------------------------------
    def memory(self, owner_id: str, correlation_id: str, query: str, recent: int = 20, k: int = 5) -> list[dict]:
        """The assistant's memory for one turn: the last ``recent`` messages of this conversation
        (from PostgreSQL, always) plus the ``k`` most relevant windows of the same owner's
        other conversations, de-duplicated, each marked ``recent`` or ``semantic``."""
        tenant = next((d for d in self.domains.values() if d.tenant_field and d.recent_messages), None)
        if tenant is None:
            raise QueryError("no domain holds conversations: memory is not available")
        owner_id = tenant_value(tenant, owner_id)
        if not isinstance(correlation_id, str) or not correlation_id.strip():
            raise QueryError("memory needs correlation_id, a non-empty string")
        for name, value in (("owner_id", owner_id), ("correlation_id", correlation_id)):
            _check_identifier(name, value)
        if not 0 <= recent <= 200 or not 0 <= k <= MAX_TOP_K:
            raise QueryError("recent must be 0..200 and k 0..100")
        if self.engine is None:
            raise QueryError("memory needs the source database")
        redacting = self.redact_output and tenant.redacts_personal_data
        # the source table keeps the originals: redact at read time
        items = [{"kind": "recent", "role": m["role"], "text": redact_text(m["text"]) if redacting else m["text"],
                  "created_at": m["created_at"], "correlation_id": correlation_id, "message_ids": m["message_ids"]}
                 for m in tenant.recent_messages(self.engine, owner_id, correlation_id, recent)]
        if k == 0 or not query or not query.strip():
            return items
        alias = tenant.collection(self.prefix)
        if not self.store.exists(alias):
            return items
        text = clean_query(query)
        owner_only = Filter(must=[Match(tenant.tenant_field, owner_id)],
                            must_not=[Match("correlation_id", correlation_id)])
        dense = self._embed_query(self._embedder_for(alias), text)
        seen = {m for item in items for m in item["message_ids"]}
        for point in self.store.query(alias, dense, sparse_vector(text), k * 3, owner_only, "hybrid"):
            ids = point.payload.get("message_ids") or []
            if seen.intersection(ids):  # overlapping windows say the same thing twice
                continue
            seen.update(ids)
            text = point.payload.get("text", "")
            items.append({"kind": "semantic", "text": redact_text(text) if redacting else text,
                          "score": float(point.score),
                          "created_at": point.payload.get("ended_at"),
                          "correlation_id": point.payload.get("correlation_id"), "message_ids": ids})
            if sum(1 for i in items if i["kind"] == "semantic") == k:
                break
        return items


def tenant_value(domain: Domain, value) -> str:
    """The one owner a request on a tenant domain reads: a single non-empty string. A list
    (even of one), a range or any other type is refused, so no filter can span tenants."""
    field = domain.tenant_field
    if value is None or (isinstance(value, str) and not value.strip()):
        raise QueryError(f"searching {domain.name} requires {field!r} (tenant data)")
    if not isinstance(value, str):
        raise QueryError(f"{field!r} takes exactly one owner, a non-empty string; got {type(value).__name__} "
                         f"{value!r:.80}")
    _check_identifier(field, value)
    return value


def _check_identifier(name: str, value: str) -> None:
    if len(value) > 200:
        raise QueryError(f"{name!r} is {len(value)} characters long; the limit is 200")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise QueryError(f"{name!r} contains control characters or unpaired surrogates")


def _similarity(query_vector, dense) -> float:
    if dense is None:
        return 0.0
    return float(np.dot(np.asarray(query_vector, dtype=np.float32), np.asarray(dense, dtype=np.float32)))


def fuse(per_domain: dict[str, list[Hit]], top_k: int, weights: dict[str, float] | None = None) -> list[Hit]:
    """Weighted reciprocal rank fusion across collections: a hit at rank r of a domain with
    weight w scores w/(60 + r) (weights from lib/routing.py; 1 when not given). Hits of equal
    score in different domains are ordered by their dense cosine similarity to the query (unit
    vectors from the same embedder, so comparable across collections), then by domain. The
    fused score replaces the engine's score, which is not comparable across collections (kept
    as ``payload["engine_score"]``). One domain keeps its engine scores."""
    if len(per_domain) == 1:
        return next(iter(per_domain.values()))[:top_k]
    weights = weights or {}
    fused: list[tuple[float, float, int, Hit]] = []
    for order, (name, hits) in enumerate(per_domain.items()):
        for rank, hit in enumerate(hits, start=1):
            fused.append((weights.get(name, 1.0) / (RRF_K + rank), hit.similarity, -order, hit))
    fused.sort(key=lambda item: item[:3], reverse=True)
    out = []
    for score, _, _, hit in fused[:top_k]:
        hit.payload = {**hit.payload, "engine_score": hit.score}
        hit.score = score
        out.append(hit)
    return out
