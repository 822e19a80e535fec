"""The single code location: every asset, check, job, schedule and resource of Helio KB.

Resources are chosen from environment variables (see settings.py and the README): unset
means the embedded default, set means a real service. Secrets are passed as ``dg.EnvVar``
so their values never appear in the UI or in logs. ``HELIO_SHARDS`` (e.g.
``conversations=8,products=4``) partitions large domains into hash shards.
"""


import os

import dagster as dg

from helio_pipeline import settings
from helio_pipeline.defs.assets import all_domain_assets
from helio_pipeline.defs.checks import all_domain_checks
from helio_pipeline.defs.executors import executor_from_env
from helio_pipeline.defs.resources import (
    EmbedderResource, KnowledgeBaseResource, ObjectStoreResource, ParquetIOManager, QdrantResource, SourceDatabase,
)
from helio_pipeline.defs.runs import dead_run_sensor
from helio_pipeline.defs.schedules import build_jobs, build_schedules
from helio_pipeline.defs.sensors import build_sensors


def _secret(name: str):
    """An EnvVar when the variable is set (its value stays out of the UI), else None."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def build_resources(wait_for_store: bool = True) -> dict:
    """``wait_for_store``: a run whose embedded store is held by another run's process waits
    for it (``HELIO_STORE_WAIT_SECONDS``, default 600) instead of failing at once.

    A setting that cannot work fails here, in one line, before any run or command starts."""
    settings.check()
    env = settings.env
    database = SourceDatabase(url=_secret("HELIO_DATABASE_URL"),
                              embedded_dir=str(settings.embedded_postgres_dir()))
    shard_number, shard_number_by_domain = settings.collection_layout("HELIO_QDRANT_SHARD_NUMBER")
    replication_factor, replication_factor_by_domain = settings.collection_layout("HELIO_QDRANT_REPLICATION_FACTOR")
    qdrant = QdrantResource(
        url=env("HELIO_QDRANT_URL"), api_key=_secret("QDRANT_API_KEY"), path=str(settings.qdrant_path()),
        embedded=env("HELIO_EMBEDDED_STORE", "edge"),
        shard_number=shard_number, shard_number_by_domain=shard_number_by_domain,
        replication_factor=replication_factor, replication_factor_by_domain=replication_factor_by_domain,
        collection_prefix=env("HELIO_COLLECTION_PREFIX", "helio"),
        lock_wait_seconds=float(env("HELIO_STORE_WAIT_SECONDS", "600")) if wait_for_store else 0.0,
    )
    dims = env("HELIO_EMBEDDING_DIMENSIONS")
    embedder = EmbedderResource(
        kind=env("HELIO_EMBEDDER", "local"), model=env("HELIO_EMBEDDING_MODEL"),
        dimensions=int(dims) if dims else None, base_url=env("OPENAI_BASE_URL"),
        api_key=_secret("OPENAI_API_KEY"),
        max_usd_per_run=float(env("HELIO_MAX_USD_PER_RUN")) if env("HELIO_MAX_USD_PER_RUN") else None,
    )
    return {
        "database": database,
        "objects": ObjectStoreResource(url=env("HELIO_S3_URL", settings.default_object_store_url()),
                                       endpoint_url=env("AWS_ENDPOINT_URL")),
        "qdrant": qdrant,
        "embedder": embedder,
        "knowledge_base": KnowledgeBaseResource(qdrant=qdrant, embedder=embedder, database=database),
        "parquet_io_manager": ParquetIOManager(base_dir=str(settings.snapshots_dir())),
    }


def build_definitions(resources: dict | None = None, shards: dict[str, int] | None = None) -> dg.Definitions:
    resources = resources or build_resources()
    shards = settings.shard_counts() if shards is None else shards
    jobs = build_jobs(shards)
    # HELIO_EXECUTOR, else: in-process on the embedded store (one process per directory),
    # steps in parallel processes against a Qdrant server (see defs/executors.py)
    return dg.Definitions(
        assets=all_domain_assets(shards),
        asset_checks=all_domain_checks(),
        jobs=jobs,
        schedules=build_schedules(shards),
        sensors=[*build_sensors(shards, jobs), dead_run_sensor],
        resources=resources,
        executor=executor_from_env(resources["qdrant"].is_embedded),
    )


defs = build_definitions()
