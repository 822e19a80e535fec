"""Dagster resources: thin, lazily-built handles on the source database, the object store,
Qdrant, the embedder and the KnowledgeBase. Secrets arrive only as ``dg.EnvVar``; the parts
are built by the same functions as the CLI's and the API's (helio_pipeline/runtime.py)."""


from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from helio_pipeline import settings
from helio_pipeline.lib.migrations import require_schema
from helio_pipeline.lib.embedding import Embedder, EmbedderSpec
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.lib.objectstore import ObjectStore, open_object_store
from helio_pipeline.lib.records import SourceAccess
from helio_pipeline.vectorstore import CollectionLayout, open_store, reading


class SourceDatabase(dg.ConfigurableResource):
    """The PostgreSQL that holds sources, the embedding cache and the quarantine.

    ``url`` unset means the embedded server under ``dagster_home/postgres`` (started on
    first use, reused while it runs)."""

    url: Optional[str] = None
    embedded_dir: str = ""
    pg_bin: Optional[str] = None  # HELIO_PG_BIN: the embedded server's binaries
    _engine = PrivateAttr(default=None)

    def engine(self, check_schema: bool = True):
        """The engine; unless ``check_schema`` is False (``helio db migrate``), it fails in one
        line ("run `helio db migrate`") when the schema is missing or behind. Never issues DDL."""
        if self._engine is None:
            from helio_pipeline.runtime import open_engine

            self._engine = open_engine(self.url, self.embedded_dir or settings.embedded_postgres_dir(), self.pg_bin)
        if check_schema:
            require_schema(self._engine)  # one query per engine, then remembered
        return self._engine


class ObjectStoreResource(dg.ConfigurableResource):
    """``s3://bucket/prefix`` (AWS_* variables give endpoint and credentials) or ``file:///path``."""

    url: str
    endpoint_url: Optional[str] = None
    region_name: str = "us-east-1"

    def store(self) -> ObjectStore:
        return open_object_store(self.url, endpoint_url=self.endpoint_url, region_name=self.region_name)


class QdrantResource(dg.ConfigurableResource):
    """A Qdrant server (``url``; ``:memory:`` for a throwaway) or the embedded store at ``path``
    (Qdrant's engine in-process via qdrant-edge; ``embedded="qdrant-local"`` for qdrant-client's
    local mode)."""

    url: Optional[str] = None
    api_key: Optional[str] = None
    path: str = ""
    embedded: str = "edge"
    collection_prefix: str = "helio"
    # layout of each collection created on a Qdrant cluster; the *_by_domain maps override
    # the defaults for a domain (None: the server's default)
    shard_number: Optional[int] = None
    replication_factor: Optional[int] = None
    shard_number_by_domain: dict[str, int] = {}
    replication_factor_by_domain: dict[str, int] = {}
    # embedded store held by another process (another run's): wait this long before failing
    lock_wait_seconds: float = 0.0
    _store = PrivateAttr(default=None)

    def store(self, log=lambda msg: None):
        if self._store is None:
            self._store = open_store(
                url=self.url, api_key=self.api_key, path=self.path or settings.qdrant_path(), embedded=self.embedded,
                layout=CollectionLayout(self.shard_number, self.replication_factor,
                                        dict(self.shard_number_by_domain), dict(self.replication_factor_by_domain)),
                wait_seconds=self.lock_wait_seconds, log=log,
            )
        return self._store

    def reading(self):
        """The store for one short read outside a run (a schedule's tick): see
        ``vectorstore.reading``."""
        return reading(url=self.url, api_key=self.api_key, path=self.path or settings.qdrant_path(),
                       embedded=self.embedded)

    @property
    def is_embedded(self) -> bool:
        return not self.url


class EmbedderResource(dg.ConfigurableResource):
    """Which embedder turns chunks into vectors: ``local`` (default), ``openai`` or ``static``."""

    kind: str = "local"
    model: Optional[str] = None
    dimensions: Optional[int] = None
    base_url: Optional[str] = None
    api_key: Optional[str] = None
    max_concurrency: int = 4
    timeout: float = 60.0
    max_usd_per_run: Optional[float] = None  # budget guard per index run (None: no limit)
    _embedder = PrivateAttr(default=None)
    _checked = PrivateAttr(default=False)

    def spec(self) -> EmbedderSpec:
        return EmbedderSpec(self.kind, self.model, self.dimensions, self.base_url, self.api_key,
                            self.max_concurrency, self.timeout)

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.spec().build()
        return self._embedder

    def preflight(self) -> None:
        """Fail before any extraction work when the embedding API cannot be used (no key,
        wrong key, unreachable): one clear error, the key never printed."""
        if self._checked or self.kind != "openai":
            return
        from helio_pipeline.lib.errors import HelioError

        if not self.api_key:
            raise HelioError("HELIO_EMBEDDER=openai needs OPENAI_API_KEY (set the environment variable)")
        self.embedder().check_access()
        self._checked = True


class KnowledgeBaseResource(dg.ConfigurableResource):
    """The query side Hélio calls: search across the domain collections."""

    qdrant: QdrantResource
    embedder: EmbedderResource
    database: SourceDatabase

    _kb = PrivateAttr(default=None)

    def knowledge_base(self):
        """The KnowledgeBase (built once). Without a reachable database, search still works:
        availability comes back flagged unverified and memory is unavailable."""
        if self._kb is None:
            from helio_pipeline.runtime import build_knowledge_base

            self._kb = build_knowledge_base(self.qdrant.store(), self.embedder.spec(), self.qdrant.collection_prefix,
                                            lambda: self.database.engine(check_schema=False),
                                            settings.redact_personal_data())
        return self._kb

    def search(self, query: str, domains: list[str] | None = None, top_k: int = 5, filters: dict | None = None,
               mode: str = "hybrid", available_only: bool = False, understand: bool = True):
        return self.knowledge_base().search(query, domains, top_k, filters, mode, available_only, understand)

    def memory(self, owner_id: str, correlation_id: str, query: str, recent: int = 20, k: int = 5):
        return self.knowledge_base().memory(owner_id, correlation_id, query, recent, k)


def source_access(database: SourceDatabase, objects: ObjectStoreResource, redact_pii: bool = True, shard=None) -> SourceAccess:
    return SourceAccess(engine=database.engine(), objects=objects.store(), redact_pii=redact_pii, shard=shard)


def cached_embedder(embedder: EmbedderResource, database: SourceDatabase) -> CachedEmbedder:
    return CachedEmbedder(embedder.embedder(), EmbeddingCache(database.engine()))
