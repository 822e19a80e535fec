"""Where things are and which services to use, from environment variables.

Every part has an embedded default so ``helio demo`` runs on a fresh machine; an
environment variable switches it to a real service (see the README's table).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def dagster_home() -> Path:
    """``$DAGSTER_HOME`` or the repository's ``dagster_home/`` (set for child processes too)."""
    home = Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return home


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def embedded_postgres_dir() -> Path:
    return dagster_home() / "postgres"


def default_object_store_url() -> str:
    return (dagster_home() / "objects").as_uri()


def qdrant_path() -> Path:
    """The embedded vector store (qdrant-edge shards, or qdrant-client's local files)."""
    return dagster_home() / ("qdrant" if env("HELIO_EMBEDDED_STORE") == "qdrant-local" else "qdrant-edge")


def snapshots_dir() -> Path:
    return dagster_home() / "snapshots"


def shard_counts() -> dict[str, int]:
    """``HELIO_SHARDS`` (``conversations=8,products=4``): hash shards per domain (default 1)."""
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.sharding import parse_shard_counts

    return parse_shard_counts(env("HELIO_SHARDS"), DOMAINS)


def collection_layout(variable: str) -> tuple[int | None, dict[str, int]]:
    """``HELIO_QDRANT_SHARD_NUMBER`` / ``HELIO_QDRANT_REPLICATION_FACTOR``: a number for every
    collection, ``<domain>=<n>`` entries for one domain's, or both (``2,conversations=6``)."""
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.sharding import parse_per_domain

    return parse_per_domain(env(variable), DOMAINS, variable, allow_default=True)
