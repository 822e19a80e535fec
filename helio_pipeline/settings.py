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


_OFF = ("false", "0", "no", "off")
_ON = ("true", "1", "yes", "on")


def redact_personal_data() -> bool:
    """``HELIO_REDACT_PII`` (default on): whether domains that hold personal data (conversations)
    redact it before anything is stored, and whether the KnowledgeBase redacts what it returns.

    Turning it off is an operator decision taken in the deployment's environment: no run
    config or Launchpad field can override it, and every run made with it off says so in its
    metadata."""
    from helio_pipeline.lib.errors import ConfigError

    value = (env("HELIO_REDACT_PII", "true") or "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(f"HELIO_REDACT_PII={value!r}: use true or false")


def _number(name: str, kind: type, minimum: float) -> None:
    from helio_pipeline.lib.errors import ConfigError

    value = env(name)
    if value is None:
        return
    try:
        parsed = kind(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed != parsed or parsed < minimum or parsed == float("inf"):
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name}={value!r} is not {what} of {minimum:g} or more")


def check() -> None:
    """Every setting read from the environment, checked before any work starts: a value that
    cannot work is one ConfigError line naming the variable and its value (a password masked),
    not a traceback from a command or a run halfway through (after extraction, say)."""
    from helio_pipeline.lib.db import check_database_url
    from helio_pipeline.lib.embedding import check_embedder_kind
    from helio_pipeline.lib.errors import ConfigError
    from helio_pipeline.lib.objectstore import check_object_store_url
    from helio_pipeline.lib.stores import EMBEDDED_BACKENDS

    check_embedder_kind(env("HELIO_EMBEDDER", "local"))
    if env("HELIO_S3_URL"):
        check_object_store_url(env("HELIO_S3_URL"), "HELIO_S3_URL")
    if env("HELIO_DATABASE_URL"):
        check_database_url(env("HELIO_DATABASE_URL"), "HELIO_DATABASE_URL")
    store = env("HELIO_EMBEDDED_STORE", "edge")
    if store not in EMBEDDED_BACKENDS:
        raise ConfigError(f"HELIO_EMBEDDED_STORE={store!r} is not an embedded store: "
                          f"use {' or '.join(EMBEDDED_BACKENDS)}")
    _number("HELIO_EMBEDDING_DIMENSIONS", int, 1)
    _number("HELIO_MAX_USD_PER_RUN", float, 0)
    _number("HELIO_STORE_WAIT_SECONDS", float, 0)
    try:
        shard_counts()
        collection_layout("HELIO_QDRANT_SHARD_NUMBER")
        collection_layout("HELIO_QDRANT_REPLICATION_FACTOR")
    except ValueError as exc:  # the parsers name the variable and the entry at fault
        raise ConfigError(str(exc)) from None
    redact_personal_data()


def store_wait_seconds() -> float:
    """``HELIO_STORE_WAIT_SECONDS`` (default 600): how long a run waits for another run's hold on
    the embedded store, and the CLI for a live run's pool slot, before failing with who holds it."""
    return float(env("HELIO_STORE_WAIT_SECONDS", "600"))
