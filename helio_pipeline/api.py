"""``helio serve``: a thin HTTP API over the KnowledgeBase (FastAPI; OpenAPI at /openapi.json).

    GET  /search?q=...&domain=products&domain=rules&top_k=5&mode=hybrid&available_only=false
         &filter=category=inverter&filter=power_w={"gte":50000}&owner_id=...
    POST /memory  {"owner_id", "correlation_id", "query", "recent", "k"}
    GET  /health
    GET  /docs     Swagger UI, its assets served from the swagger-ui-bundle package (works offline)

With keys configured (lib/apikeys.py), /search and /memory need one (``Authorization: Bearer``
or ``X-API-Key``): 401 without a valid key, 403 for a scope it lacks or another owner's data.
A key bound to an owner reads that owner only, whatever the request names.

Every error body is ``{"detail": "<reason>"}``, as the OpenAPI schema says: 422 for a bad
request (empty or oversized query, unknown domain or filter field, top_k out of range, control
characters), 400 for a body that is not readable JSON, 503 when a source is unreachable.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import replace
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator
from starlette.exceptions import HTTPException

from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib.apikeys import (
    LOCAL_ACCESS, ApiKey, KeyRejected, KeyRing, ScopeDenied, authorize_search, scope_for,
)
from helio_pipeline.lib.errors import HelioError, SourceUnavailable
from helio_pipeline.lib.filters import QueryError, parse_filter_args
from helio_pipeline.lib.retrieval import MAX_QUERY_CHARS, MAX_TOP_K, KnowledgeBase
from helio_pipeline.runtime import Runtime

DomainName = Literal[tuple(DOMAINS)]
TENANT_FIELDS = {name: d.tenant_field for name, d in DOMAINS.items()}


class ErrorBody(BaseModel):
    detail: str


def _errors(*codes: int) -> dict:
    reasons = {
        400: "the body is not readable JSON (not UTF-8, or nested too deeply)",
        401: "no API key, or an unknown one (when the server has keys configured)",
        403: "the key lacks the scope this needs, or is bound to another owner",
        422: "the request is invalid; detail says why",
        503: "a source (PostgreSQL, Qdrant, an embedding API) is unreachable",
    }
    return {code: {"model": ErrorBody, "description": reasons[code]} for code in codes}


def _check_text(value: str | None, allow_layout: bool = False) -> str | None:
    """Control characters and lone surrogates (which no database or engine can store) are refused."""
    for char in value or "":
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and not (allow_layout and char in "\t\n\r")):
            raise ValueError(f"contains {'a lone surrogate' if category == 'Cs' else 'a control character'} "
                             f"({ascii(char)})")
    return value


class MemoryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner_id: str | None = Field(None, min_length=1, max_length=200,
                                 description="required unless the API key is bound to an owner")
    correlation_id: str = Field(min_length=1, max_length=200)
    query: str = Field("", max_length=MAX_QUERY_CHARS)
    recent: StrictInt = Field(20, ge=0, le=200)
    k: StrictInt = Field(5, ge=0, le=MAX_TOP_K)

    @field_validator("owner_id", "correlation_id")
    @classmethod
    def _plain_id(cls, value):
        return _check_text(value)

    @field_validator("query")
    @classmethod
    def _plain_query(cls, value):
        return _check_text(value, allow_layout=True)


class HitOut(BaseModel):
    domain: str
    source_id: str | None
    score: float
    text: str
    payload: dict[str, Any]


class SearchOut(BaseModel):
    hits: list[HitOut]
    per_domain: dict[str, list[str | None]]
    notes: list[str]
    # per domain, what the question was read as: {"products": {"category": "module",
    # "power_w": {"target": 400, "tolerance": 0.05}}}; empty with understand=false
    interpreted: dict[str, dict[str, Any]]
    query_embedding_time_ms: float
    search_time_ms: float
    total_time_ms: float


class MemoryOut(BaseModel):
    items: list[dict[str, Any]]
    total_time_ms: float


class HealthOut(BaseModel):
    status: str
    points: dict[str, int | None]
    database: bool


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    safe = message.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate cannot be sent
    return JSONResponse(status_code=status, content={"detail": safe}, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
DOCS_ASSETS = "/docs-assets"


def _serve_docs_offline(app: FastAPI) -> None:
    """/docs as FastAPI draws it, but with Swagger UI's script, stylesheet and icon served by
    this server from the swagger-ui-bundle package, so the page renders with no internet."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title}: API",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")


def create_app(kb: KnowledgeBase, keys: KeyRing | None = None) -> FastAPI:
    """The API over ``kb``. Without ``keys`` every request is allowed: ``helio serve`` only
    does that on a loopback address."""
    app = FastAPI(title="Helio KB", version="1", description="Retrieval for the Hélio assistant.",
                  docs_url=None, redoc_url=None)
    _serve_docs_offline(app)
    if keys is None:
        # no keys: loopback only, and a page that rebinds its DNS name to 127.0.0.1 (a Host
        # header naming another site) is refused, so no browser can read conversations here
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK_HOSTS))
    bearer = HTTPBearer(auto_error=False, description="an API key (helio apikey create)")
    header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key (helio apikey create)")

    def caller(credentials: HTTPAuthorizationCredentials | None = Security(bearer),
               api_key: str | None = Security(header)) -> ApiKey:
        if keys is None:
            return LOCAL_ACCESS
        return keys.verify(api_key or (credentials.credentials if credentials else None))

    def tenant_reader(key: ApiKey = Depends(caller)) -> ApiKey:
        key.require(scope_for(tenant_data=True))  # before the body is read: 403, not 422
        return key

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return _error(422, _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(KeyRejected)
    async def unauthenticated(request: Request, exc: KeyRejected):
        return _error(401, str(exc), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ScopeDenied)
    async def forbidden(request: Request, exc: ScopeDenied):
        return _error(403, str(exc))

    @app.exception_handler(QueryError)
    async def bad_request(request: Request, exc: QueryError):
        return _error(422, str(exc))

    @app.exception_handler(SourceUnavailable)
    async def unavailable(request: Request, exc: SourceUnavailable):
        return _error(503, str(exc))

    @app.exception_handler(sa.exc.OperationalError)
    async def database_down(request: Request, exc: sa.exc.OperationalError):
        return _error(503, "the source database is unreachable")

    @app.exception_handler(HelioError)
    async def helio_error(request: Request, exc: HelioError):
        return _error(500, str(exc))

    @app.get("/health")
    def health() -> HealthOut:
        collections = {}
        for name, domain in DOMAINS.items():
            alias = domain.collection(kb.prefix)
            collections[name] = kb.store.count(alias) if kb.store.exists(alias) else None
        return HealthOut(status="ok", points=collections, database=kb.engine is not None)

    @app.get("/search", responses=_errors(401, 403, 422, 503))
    def search(q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS),
               domain: list[DomainName] | None = Query(None),
               top_k: int = Query(5, ge=1, le=MAX_TOP_K),
               mode: Literal["hybrid", "dense", "sparse"] = "hybrid",
               available_only: bool = False,
               understand: bool = Query(True, description="read specs (category, power, voltage, maker, price) "
                                                          "from the question as filters and targets"),
               filter: list[str] = Query(default_factory=list, description='field=value, e.g. power_w={"gte":50000}'),
               owner_id: str | None = Query(None, min_length=1, max_length=200,
                                            description="the owner whose conversations to search"),
               key: ApiKey = Depends(caller)) -> SearchOut:
        started = time.perf_counter()
        filters, domains = authorize_search(key, domain or None, parse_filter_args(filter), owner_id, TENANT_FIELDS)
        response = kb.query(q, domains=domains, top_k=top_k, filters=filters or None,
                            mode=mode, available_only=available_only, understand=understand)
        return SearchOut(
            hits=[h.as_dict() for h in response.hits],
            per_domain={d: [h.source_id for h in hits] for d, hits in response.per_domain.items()},
            notes=response.notes,
            interpreted=response.interpreted,
            query_embedding_time_ms=round(response.query_embedding_time_ms, 3),
            search_time_ms=round(response.search_time_ms, 3),
            total_time_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    @app.post("/memory", responses=_errors(400, 401, 403, 422, 503))
    def memory(body: MemoryRequest, key: ApiKey = Depends(tenant_reader)) -> MemoryOut:
        started = time.perf_counter()
        owner = key.owner_for(body.owner_id)
        if owner is None:
            raise QueryError("owner_id is required")
        items = kb.memory(owner, body.correlation_id, body.query, body.recent, body.k)
        return MemoryOut(items=items, total_time_ms=round((time.perf_counter() - started) * 1000, 3))

    return app


def app_for(runtime: Runtime, keys: KeyRing | None) -> FastAPI:
    """The API over the runtime's KnowledgeBase (built now: a store that cannot be opened
    fails before the server listens); the runtime is closed when the server stops.

    Concurrent requests' query embeddings are gathered into model calls of up to
    ``HELIO_QUERY_BATCH`` texts (default 32; 1 turns it off), made on up to
    ``HELIO_QUERY_BATCH_WORKERS`` worker threads (default 2); requests run on the server's
    thread pool, so the event loop never waits on the model."""
    kb = runtime.knowledge_base()
    config = runtime.settings
    kb.spec = replace(kb.spec, query_batch=config.query_batch, query_batch_wait_ms=config.query_batch_wait_ms,
                      query_batch_workers=config.query_batch_workers)
    app = create_app(kb, keys)

    def shutdown() -> None:
        kb.close()  # queued queries are answered, then the batching worker ends
        runtime.close()

    app.router.add_event_handler("shutdown", shutdown)
    return app


def app_from_settings() -> FastAPI:
    """For ``uvicorn --factory helio_pipeline.api:app_from_settings``: the API as the
    environment configures it (``helio serve`` also refuses a public bind without keys)."""
    from helio_pipeline import settings
    from helio_pipeline.lib.apikeys import load_keys

    config = settings.load()
    return app_for(Runtime.from_settings(config), load_keys(config.api_keys_file, config.api_keys))
