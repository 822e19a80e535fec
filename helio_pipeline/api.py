"""``helio serve``: a thin HTTP API over the KnowledgeBase (FastAPI; OpenAPI at /openapi.json).

    GET  /search?q=...&domain=products&domain=rules&top_k=5&mode=hybrid&available_only=false
         &filter=category=inverter&filter=power_w={"gte":50000}&owner_id=...
    POST /memory  {"owner_id", "correlation_id", "query", "recent", "k"}
    GET  /health

Bad requests (empty or oversized query, unknown domain or filter field, top_k out of range,
control characters) get a 422 with the reason, never a 500 or a full scan.
"""

from __future__ import annotations

import json
import time

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from helio_pipeline.lib.errors import HelioError, SourceUnavailable
from helio_pipeline.lib.filters import QueryError
from helio_pipeline.lib.retrieval import MAX_TOP_K, KnowledgeBase


class MemoryRequest(BaseModel):
    owner_id: str = Field(min_length=1)
    correlation_id: str = Field(min_length=1)
    query: str = ""
    recent: int = Field(20, ge=0, le=200)
    k: int = Field(5, ge=0, le=MAX_TOP_K)


def _parse_filters(items: list[str], owner_id: str | None) -> dict:
    filters: dict = {}
    for item in items:
        field, sep, raw = item.partition("=")
        if not sep or not field:
            raise QueryError(f"filter {item!r}: use field=value")
        try:
            filters[field] = json.loads(raw)
        except json.JSONDecodeError:
            filters[field] = raw
    if owner_id:
        filters["owner_id"] = owner_id
    return filters


def create_app(kb: KnowledgeBase) -> FastAPI:
    app = FastAPI(title="Helio KB", version="1", description="Retrieval for the Hélio assistant.")

    @app.exception_handler(QueryError)
    async def bad_request(request: Request, exc: QueryError):
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(SourceUnavailable)
    async def unavailable(request: Request, exc: SourceUnavailable):
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(HelioError)
    async def helio_error(request: Request, exc: HelioError):
        return JSONResponse(status_code=500, content={"detail": str(exc)})

    @app.get("/health")
    def health() -> dict:
        collections = {}
        for name in ("products", "prices", "rules", "conversations"):
            alias = f"{kb.prefix}-{name}"
            collections[name] = kb.store.count(alias) if kb.store.exists(alias) else None
        return {"status": "ok", "points": collections, "database": kb.engine is not None}

    @app.get("/search")
    def search(q: str = Query(..., max_length=100_000), domain: list[str] | None = Query(None),
               top_k: int = 5, mode: str = "hybrid", available_only: bool = False,
               filter: list[str] = Query(default_factory=list), owner_id: str | None = None) -> dict:
        started = time.perf_counter()
        response = kb.query(q, domains=domain or None, top_k=top_k, filters=_parse_filters(filter, owner_id) or None,
                            mode=mode, available_only=available_only)
        return {
            "hits": [h.as_dict() for h in response.hits],
            "per_domain": {d: [h.source_id for h in hits] for d, hits in response.per_domain.items()},
            "notes": response.notes,
            "query_embedding_time_ms": round(response.query_embedding_time_ms, 3),
            "search_time_ms": round(response.search_time_ms, 3),
            "total_time_ms": round((time.perf_counter() - started) * 1000, 3),
        }

    @app.post("/memory")
    def memory(body: MemoryRequest) -> dict:
        started = time.perf_counter()
        items = kb.memory(body.owner_id, body.correlation_id, body.query, body.recent, body.k)
        return {"items": items, "total_time_ms": round((time.perf_counter() - started) * 1000, 3)}

    return app
