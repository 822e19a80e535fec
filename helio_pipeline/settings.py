"""Where things are and which services to use: ONE ``Settings`` object, read from the
environment and checked once (the README's variable table is its schema).

Every part has an embedded default so ``helio demo`` runs on a fresh machine; an environment
variable switches it to a real service. Nothing else in the package reads the environment:
``lib/`` takes values as parameters, and the runtime (helio_pipeline/runtime.py) and the
Dagster resources get them from here (secrets reach Dagster only as ``dg.EnvVar``).

A value that cannot work is one ConfigError line naming the variable and its value (a
password masked), raised by ``load()``. Secrets are ``SecretStr``: never printed.
The module-level functions (``dagster_home()``, ``qdrant_path()``...) read a fresh
``Settings`` each call, so a test or a bench that sets a variable is seen at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


def _default_home() -> Path:
    """The checkout's ``dagster_home/`` when running from a source tree; installed from a
    wheel (no pyproject.toml above the package), ``dagster_home/`` in the working directory,
    never a folder inside site-packages."""
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / "dagster_home"
    return Path.cwd() / "dagster_home"

_OFF = ("false", "0", "no", "off")
_ON = ("true", "1", "yes", "on")


def _alias(name: str):
    return Field(default=None, validation_alias=AliasChoices(name))


class Settings(BaseSettings):
    """The README's configuration table. Fields are in the order they are checked."""

    model_config = SettingsConfigDict(env_prefix="HELIO_", env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True, frozen=True)

    embedder: str = "local"
    s3_url: Optional[str] = None
    database_url: Optional[SecretStr] = None
    embedded_store: str = "edge"
    embedding_dimensions: Optional[int] = None
    max_usd_per_run: Optional[float] = None
    store_wait_seconds: float = 600.0
    # a nightly schedule's tick: how long it may spend finding the domains and shards whose
    # inputs changed (the rest get no run); 0: request every run (defs/schedules.py). At most
    # 50: the daemon gives a schedule's tick 60 s, and a tick that times out requests nothing
    schedule_check_seconds: float = Field(default=40.0, ge=0, le=50)
    redact_pii: bool = True
    # helio serve: concurrent query embeddings gathered into one model call of up to this many
    # (1: one call per query), waiting up to the wait for a batch to fill
    query_batch: int = 32
    query_batch_wait_ms: float = 0.0
    query_batch_workers: int = 2
    # golden queries a domain needs before its quality check and promotion gate can pass
    # (lib/golden.py); at least 1: a gate never passes on nothing
    golden_min_queries: int = Field(default=5, ge=1)

    dagster_home_dir: Optional[Path] = _alias("DAGSTER_HOME")
    qdrant_url: Optional[str] = None
    qdrant_api_key: Optional[SecretStr] = _alias("QDRANT_API_KEY")
    edge_scratch_dir: Optional[Path] = None
    qdrant_shard_number: Optional[str] = None
    qdrant_replication_factor: Optional[str] = None
    shards: Optional[str] = None
    executor: Optional[str] = None
    collection_prefix: str = "helio"
    embedding_model: Optional[str] = None
    openai_api_key: Optional[SecretStr] = _alias("OPENAI_API_KEY")
    openai_base_url: Optional[str] = _alias("OPENAI_BASE_URL")
    aws_endpoint_url: Optional[str] = _alias("AWS_ENDPOINT_URL")
    aws_default_region: str = Field(default="us-east-1", validation_alias=AliasChoices("AWS_DEFAULT_REGION"))
    # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are read by boto3 itself (its credential chain)
    pg_bin: Optional[str] = None
    api_keys_file: Optional[str] = None
    api_keys: Optional[str] = None
    celery_broker_url: Optional[str] = _alias("DAGSTER_CELERY_BROKER_URL")
    celery_backend_url: Optional[str] = _alias("DAGSTER_CELERY_BACKEND_URL")

    # --- checks: each names its variable ------------------------------------------------
    @field_validator("embedder", mode="before")
    @classmethod
    def _embedder(cls, value):
        from helio_pipeline.lib.embedding import check_embedder_kind

        check_embedder_kind(value, "HELIO_EMBEDDER")
        return value

    @field_validator("s3_url", mode="before")
    @classmethod
    def _s3_url(cls, value):
        from helio_pipeline.lib.objectstore import check_object_store_url

        if value:
            check_object_store_url(value, "HELIO_S3_URL")
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value):
        from helio_pipeline.lib.db import check_database_url

        if isinstance(value, str) and value:
            check_database_url(value, "HELIO_DATABASE_URL")
        return value

    @field_validator("embedded_store", mode="before")
    @classmethod
    def _embedded_store(cls, value):
        from helio_pipeline.lib.errors import ConfigError
        from helio_pipeline.vectorstore import EMBEDDED_BACKENDS

        if value not in EMBEDDED_BACKENDS:
            raise ConfigError(f"HELIO_EMBEDDED_STORE={value!r} is not an embedded store: "
                              f"use {' or '.join(EMBEDDED_BACKENDS)}")
        return value

    @field_validator("embedding_dimensions", "max_usd_per_run", "store_wait_seconds", "query_batch",
                     "query_batch_wait_ms", "query_batch_workers", mode="before")
    @classmethod
    def _number(cls, value, info: ValidationInfo):
        from helio_pipeline.lib.errors import ConfigError

        if value is None or not isinstance(value, str):
            return value
        kind, minimum = (int, 1) if info.field_name in ("embedding_dimensions", "query_batch", "query_batch_workers") else (float, 0)
        try:
            parsed = kind(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed != parsed or parsed < minimum or parsed == float("inf"):
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{variable(info.field_name)}={value!r} is not {what} of {minimum:g} or more")
        return parsed

    @field_validator("redact_pii", mode="before")
    @classmethod
    def _redact(cls, value):
        """``HELIO_REDACT_PII`` (default on): an operator decision taken in the deployment's
        environment; no run config or Launchpad field can override it."""
        from helio_pipeline.lib.errors import ConfigError

        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _ON:
            return True
        if text in _OFF:
            return False
        raise ConfigError(f"HELIO_REDACT_PII={text!r}: use true or false")

    # --- derived values ---------------------------------------------------------------
    @property
    def home(self) -> Path:
        """``$DAGSTER_HOME`` or the repository's ``dagster_home/``."""
        return Path(self.dagster_home_dir or _default_home()).resolve()

    @property
    def embedded_postgres_dir(self) -> Path:
        return self.home / "postgres"

    @property
    def object_store_url(self) -> str:
        return self.s3_url or (self.home / "objects").as_uri()

    @property
    def qdrant_path(self) -> Path:
        """The embedded vector store (qdrant-edge shards, or qdrant-client's local files)."""
        return self.home / ("qdrant" if self.embedded_store == "qdrant-local" else "qdrant-edge")

    @property
    def snapshots_dir(self) -> Path:
        return self.home / "snapshots"

    @property
    def uses_embedded_store(self) -> bool:
        return not self.qdrant_url

    def shard_counts(self) -> dict[str, int]:
        """``HELIO_SHARDS`` (``conversations=8,products=4``): hash shards per domain (default 1)."""
        from helio_pipeline.domains import DOMAINS
        from helio_pipeline.lib.sharding import parse_shard_counts

        return parse_shard_counts(self.shards, DOMAINS)

    def collection_layout(self, name: str) -> tuple[int | None, dict[str, int]]:
        """``HELIO_QDRANT_SHARD_NUMBER`` / ``HELIO_QDRANT_REPLICATION_FACTOR``: a number for every
        collection, ``<domain>=<n>`` entries for one domain's, or both (``2,conversations=6``)."""
        from helio_pipeline.domains import DOMAINS
        from helio_pipeline.lib.sharding import parse_per_domain

        text = {"HELIO_QDRANT_SHARD_NUMBER": self.qdrant_shard_number,
                "HELIO_QDRANT_REPLICATION_FACTOR": self.qdrant_replication_factor}[name]
        return parse_per_domain(text, DOMAINS, name, allow_default=True)

    def check(self) -> "Settings":
        """What construction could not check (lists that name domains): one ConfigError line."""
        from helio_pipeline.lib.errors import ConfigError

        try:
            self.shard_counts()
            self.collection_layout("HELIO_QDRANT_SHARD_NUMBER")
            self.collection_layout("HELIO_QDRANT_REPLICATION_FACTOR")
        except ValueError as exc:  # the parsers name the variable and the entry at fault
            raise ConfigError(str(exc)) from None
        return self

    @staticmethod
    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None


def variable(field_name: str) -> str:
    """The environment variable a field is read from."""
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"HELIO_{field_name.upper()}"


def load() -> Settings:
    """The settings as the environment says now, checked: a value that cannot work is one
    ConfigError naming the variable and its value (a password masked), never a traceback from
    a command or a run halfway through (after extraction, say)."""
    from helio_pipeline.lib.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, ConfigError):
            raise cause from None
        name = variable(str(first["loc"][0])) if first.get("loc") else "a setting"
        shown = "***" if "secret" in str(first.get("type", "")) else first.get("input")
        raise ConfigError(f"{name}={shown!r}: {first.get('msg', 'invalid')}") from None


# --- module-level reads, kept for the code that calls them ------------------------------

def check() -> None:
    """Every setting read from the environment, checked before any work starts."""
    load().check()


def dagster_home() -> Path:
    """``$DAGSTER_HOME`` or the repository's ``dagster_home/`` (set for child processes too)."""
    home = load().home
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return home


def embedded_postgres_dir() -> Path:
    return dagster_home() / "postgres"


def default_object_store_url() -> str:
    return (dagster_home() / "objects").as_uri()


def qdrant_path() -> Path:
    """The embedded vector store (qdrant-edge shards, or qdrant-client's local files)."""
    dagster_home()
    return load().qdrant_path


def snapshots_dir() -> Path:
    return dagster_home() / "snapshots"


def shard_counts() -> dict[str, int]:
    """``HELIO_SHARDS`` (``conversations=8,products=4``): hash shards per domain (default 1)."""
    return load().shard_counts()


def collection_layout(name: str) -> tuple[int | None, dict[str, int]]:
    return load().collection_layout(name)


def redact_personal_data() -> bool:
    """``HELIO_REDACT_PII`` (default on): whether domains that hold personal data (conversations)
    redact it before anything is stored, and whether the KnowledgeBase redacts what it returns.

    Turning it off is an operator decision taken in the deployment's environment: no run
    config or Launchpad field can override it, and every run made with it off says so in its
    metadata."""
    return load().redact_pii


def schedule_check_seconds() -> float:
    """``HELIO_SCHEDULE_CHECK_SECONDS`` (default 40): how long a nightly schedule's tick may spend
    checking which domains and shards changed since their last verified sync; those it cannot
    check in time get a run, which checks itself. 0 turns the check off (every run is requested);
    at most 50, under the daemon's 60 s for a schedule's tick."""
    return load().schedule_check_seconds


def store_wait_seconds() -> float:
    """``HELIO_STORE_WAIT_SECONDS`` (default 600): how long a run waits for another run's hold on
    the embedded store, and the CLI for a live run's pool slot, before failing with who holds it."""
    return load().store_wait_seconds
