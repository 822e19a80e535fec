"""One runtime: the source database engine, object store, vector store, embedder and
KnowledgeBase that the settings describe, each built on first use.

The CLI and the API hold a ``Runtime`` (``Runtime.from_settings(settings.load())``); the
Dagster resources (defs/resources.py) build theirs with the same functions below, from the
same settings (secrets there arrive as ``dg.EnvVar``). Nothing here imports Dagster, so a
search does not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from helio_pipeline.settings import Settings


def open_engine(url: str | None, embedded_dir: str | Path, pg_bin: str | None = None):
    """An engine on ``url``, or on the embedded server under ``embedded_dir`` (started on
    first use, reused while it runs). Issues no DDL (``helio db migrate`` does)."""
    from helio_pipeline.lib.db import make_engine

    if not url:
        from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

        url = EmbeddedPostgres(embedded_dir, pg_bin=pg_bin).start()
    return make_engine(url)


def build_knowledge_base(store, spec, prefix: str, engine: Callable[[], object], redact_output: bool):
    """The KnowledgeBase. Without a reachable database search still works: availability comes
    back flagged unverified and memory is unavailable."""
    from helio_pipeline.lib.errors import SourceUnavailable
    from helio_pipeline.lib.retrieval import KnowledgeBase

    try:
        source = engine()
    except SourceUnavailable:
        source = None
    return KnowledgeBase(store, spec, prefix=prefix, engine=source, redact_output=redact_output)


def embedder_spec(settings: Settings):
    """What ``HELIO_EMBEDDER``, ``HELIO_EMBEDDING_MODEL``/``_DIMENSIONS`` and ``OPENAI_*`` ask for."""
    from helio_pipeline.lib.embedding import EmbedderSpec

    return EmbedderSpec(settings.embedder, settings.embedding_model, settings.embedding_dimensions,
                        settings.openai_base_url, Settings.secret(settings.openai_api_key))


def collection_layout(settings: Settings):
    """Shards and replicas of each collection created on a Qdrant cluster."""
    from helio_pipeline.vectorstore import CollectionLayout

    shard_number, shard_number_by_domain = settings.collection_layout("HELIO_QDRANT_SHARD_NUMBER")
    replication_factor, replication_by_domain = settings.collection_layout("HELIO_QDRANT_REPLICATION_FACTOR")
    return CollectionLayout(shard_number, replication_factor, shard_number_by_domain, replication_by_domain)


class Runtime:
    """The parts a command or a server needs, built lazily from one ``Settings``.

    ``store_wait_seconds``: how long to wait for an embedded store held by another process
    (a command fails at once by default: it says who holds it)."""

    def __init__(self, settings: Settings, store_wait_seconds: float = 0.0,
                 log: Callable[[str], None] = lambda msg: None):
        self.settings = settings
        self.store_wait_seconds = store_wait_seconds
        self._log = log
        self._engine = None
        self._schema_checked = False
        self._objects = None
        self._store = None
        self._store_read_only = False
        self._embedder = None
        self._kb = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs) -> "Runtime":
        """``settings`` (default: the environment's, ``settings.load()``), fully checked first."""
        from helio_pipeline import settings as configuration

        return cls((settings or configuration.load()).check(), **kwargs)

    # --- parts -----------------------------------------------------------------------------
    def engine(self, check_schema: bool = True):
        """The source database's engine. Unless ``check_schema`` is False (``helio db migrate``,
        the demo's seeding), a missing or outdated schema fails in one line."""
        if self._engine is None:
            s = self.settings
            self._engine = open_engine(Settings.secret(s.database_url), s.embedded_postgres_dir, s.pg_bin)
        if check_schema and not self._schema_checked:
            from helio_pipeline.lib.migrations import require_schema

            require_schema(self._engine)
            self._schema_checked = True
        return self._engine

    def objects(self):
        if self._objects is None:
            from helio_pipeline.lib.objectstore import open_object_store

            s = self.settings
            self._objects = open_object_store(s.object_store_url, endpoint_url=s.aws_endpoint_url,
                                              region_name=s.aws_default_region)
        return self._objects

    def store(self, read_only: bool = False):
        """The vector store. ``read_only``: for searching only (the KnowledgeBase): the embedded
        store then opens as a reader, beside a writing process (a run) and never waiting for it."""
        if self._store is None or (self._store_read_only and not read_only):
            from helio_pipeline.vectorstore import open_store

            s = self.settings
            self._store = open_store(url=s.qdrant_url, api_key=Settings.secret(s.qdrant_api_key),
                                     path=s.qdrant_path, embedded=s.embedded_store,
                                     layout=collection_layout(s) if s.qdrant_url else None, wait_seconds=self.store_wait_seconds,
                                     log=self._log, scratch_dir=s.edge_scratch_dir, read_only=read_only)
            self._store_read_only = read_only
        return self._store

    def embedder_spec(self):
        return embedder_spec(self.settings)

    def embedder(self):
        if self._embedder is None:
            self._embedder = self.embedder_spec().build()
        return self._embedder

    def knowledge_base(self):
        if self._kb is None:
            self._kb = build_knowledge_base(self.store(read_only=True), self.embedder_spec(), self.settings.collection_prefix,
                                            # search reads source tables only (availability,
                                            # memory): it needs no Helio KB schema
                                            lambda: self.engine(check_schema=False), self.settings.redact_pii)
        return self._kb

    # --- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        """Release what was opened: the engine's connections, and the embedded store (so
        another process, a run or ``helio search``, can open it)."""
        if self._engine is not None:
            self._engine.dispose()
        if self._store is not None and self.settings.uses_embedded_store:
            from helio_pipeline.vectorstore import close_embedded_stores

            close_embedded_stores()
        self._engine = self._objects = self._store = self._embedder = self._kb = None
        self._schema_checked = False

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
