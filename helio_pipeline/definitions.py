"""The single code location: every asset, check, job, schedule and resource of Helio KB.

Resources are chosen from environment variables (see settings.py and the README): unset
means the embedded default, set means a real service. Secrets are passed as ``dg.EnvVar``
so their values never appear in the UI or in logs. ``HELIO_SHARDS`` (e.g.
``conversations=8,products=4``) partitions large domains into hash shards.
"""


import dagster as dg

from helio_pipeline import settings
from helio_pipeline.defs.assets import all_domain_assets
from helio_pipeline.defs.checks import all_domain_checks
from helio_pipeline.defs.executors import executor_from_env
from helio_pipeline.defs.resources import (
    EmbedderResource, KnowledgeBaseResource, ObjectStoreResource, QdrantResource, SourceDatabase,
)
from helio_pipeline.defs.io_managers import ParquetIOManager
from helio_pipeline.defs.runs import dead_run_sensor
from helio_pipeline.defs.schedules import build_jobs, build_schedules
from helio_pipeline.defs.sensors import build_sensors
from helio_pipeline.runtime import collection_layout
from helio_pipeline.settings import Settings, variable


def _secret(settings: Settings, field: str):
    """An EnvVar when the variable is set (its value stays out of the UI), else None."""
    return dg.EnvVar(variable(field)) if getattr(settings, field) is not None else None


def build_resources(wait_for_store: bool = True, config: Settings | None = None) -> dict:
    """The resources ``config`` (default: the environment's settings) describes.
    ``wait_for_store``: a run whose embedded store is held by another run's process waits
    for it (``HELIO_STORE_WAIT_SECONDS``, default 600) instead of failing at once.

    A setting that cannot work fails here, in one line, before any run or command starts."""
    s = (config or settings.load()).check()
    settings.dagster_home()
    database = SourceDatabase(url=_secret(s, "database_url"), embedded_dir=str(s.embedded_postgres_dir),
                              pg_bin=s.pg_bin)
    layout = collection_layout(s)
    qdrant = QdrantResource(
        url=s.qdrant_url, api_key=_secret(s, "qdrant_api_key"), path=str(s.qdrant_path), embedded=s.embedded_store,
        shard_number=layout.shard_number, shard_number_by_domain=layout.shard_number_by_domain,
        replication_factor=layout.replication_factor, replication_factor_by_domain=layout.replication_factor_by_domain,
        collection_prefix=s.collection_prefix,
        lock_wait_seconds=s.store_wait_seconds if wait_for_store else 0.0,
    )
    embedder = EmbedderResource(
        kind=s.embedder, model=s.embedding_model, dimensions=s.embedding_dimensions, base_url=s.openai_base_url,
        api_key=_secret(s, "openai_api_key"), max_usd_per_run=s.max_usd_per_run,
    )
    return {
        "database": database,
        "objects": ObjectStoreResource(url=s.object_store_url, endpoint_url=s.aws_endpoint_url,
                                       region_name=s.aws_default_region),
        "qdrant": qdrant,
        "embedder": embedder,
        "knowledge_base": KnowledgeBaseResource(qdrant=qdrant, embedder=embedder, database=database),
        "parquet_io_manager": ParquetIOManager(base_dir=str(s.snapshots_dir)),
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
