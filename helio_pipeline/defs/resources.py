"""Dagster resources: thin, lazily-built handles on the source database, the object store,
Qdrant, the embedder and the KnowledgeBase. Secrets arrive only as ``dg.EnvVar``."""


from pathlib import Path
from typing import Optional

import dagster as dg
import pandas as pd
from pydantic import PrivateAttr

from helio_pipeline import settings
from helio_pipeline.lib.db import apply_schema, make_engine
from helio_pipeline.lib.embedding import Embedder, EmbedderSpec
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.lib.objectstore import ObjectStore, open_object_store
from helio_pipeline.lib.records import Sources
from helio_pipeline.lib.stores import CollectionLayout, open_store


class SourceDatabase(dg.ConfigurableResource):
    """The PostgreSQL that holds sources, the embedding cache and the quarantine.

    ``url`` unset means the embedded server under ``dagster_home/postgres`` (started on
    first use, reused while it runs)."""

    url: Optional[str] = None
    embedded_dir: str = ""
    _engine = PrivateAttr(default=None)

    def engine(self):
        if self._engine is None:
            url = self.url
            if not url:
                from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

                url = EmbeddedPostgres(self.embedded_dir or settings.embedded_postgres_dir()).start()
            engine = make_engine(url)
            apply_schema(engine)
            self._engine = engine
        return self._engine


class ObjectStoreResource(dg.ConfigurableResource):
    """``s3://bucket/prefix`` (AWS_* variables give endpoint and credentials) or ``file:///path``."""

    url: str
    endpoint_url: Optional[str] = None

    def store(self) -> ObjectStore:
        return open_object_store(self.url, endpoint_url=self.endpoint_url)


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


class ParquetIOManager(dg.ConfigurableIOManager):
    """Keeps each DataFrame asset as a Parquet snapshot under ``base_dir`` (plus its ``attrs``
    as a JSON sidecar), so a person can open what a run extracted and chunked."""

    base_dir: str

    def _path(self, context) -> Path:
        # a partition (hash shard) gets its own snapshot: <asset>/<partition key>.parquet
        path = Path(self.base_dir, *context.asset_key.path)
        if context.has_partition_key:
            path = path / context.partition_key
        return path.with_suffix(".parquet")

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        import json

        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = obj.copy()
        for column in frame.columns:  # nested dicts/lists (specs, metadata) travel as JSON text
            if frame[column].map(lambda v: isinstance(v, (dict, list))).any():
                frame[column] = frame[column].map(lambda v: json.dumps(v, ensure_ascii=False, default=str)
                                                  if isinstance(v, (dict, list)) else v)
        frame.attrs = {}
        frame.to_parquet(path, index=False)
        path.with_suffix(".attrs.json").write_text(json.dumps(obj.attrs, default=str, ensure_ascii=False))
        context.add_output_metadata({"snapshot": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        import json

        path = self._path(context)
        frame = pd.read_parquet(path)
        sidecar = path.with_suffix(".attrs.json")
        if sidecar.exists():
            frame.attrs = json.loads(sidecar.read_text())
        return frame


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
            from helio_pipeline.lib.errors import SourceUnavailable
            from helio_pipeline.lib.retrieval import KnowledgeBase

            try:
                engine = self.database.engine()
            except SourceUnavailable:
                engine = None
            self._kb = KnowledgeBase(self.qdrant.store(), self.embedder.spec(), prefix=self.qdrant.collection_prefix,
                                     engine=engine, redact_output=settings.redact_personal_data())
        return self._kb

    def search(self, query: str, domains: list[str] | None = None, top_k: int = 5, filters: dict | None = None,
               mode: str = "hybrid", available_only: bool = False, understand: bool = True):
        return self.knowledge_base().search(query, domains, top_k, filters, mode, available_only, understand)

    def memory(self, owner_id: str, correlation_id: str, query: str, recent: int = 20, k: int = 5):
        return self.knowledge_base().memory(owner_id, correlation_id, query, recent, k)


def sources(database: SourceDatabase, objects: ObjectStoreResource, redact_pii: bool = True, shard=None) -> Sources:
    return Sources(engine=database.engine(), objects=objects.store(), redact_pii=redact_pii, shard=shard)


def cached_embedder(embedder: EmbedderResource, database: SourceDatabase) -> CachedEmbedder:
    return CachedEmbedder(embedder.embedder(), EmbeddingCache(database.engine()))
