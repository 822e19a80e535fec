"""SQLAlchemy engines for the source database, schema application and clear connection errors."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from helio_pipeline.lib.errors import SourceUnavailable

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def safe_url(url: str | sa.URL) -> str:
    """The URL with any password masked: the only form that may reach logs or metadata."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine on psycopg 3 that fails fast (5 s) instead of hanging on a dead host."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(
        parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5}
    )


def check_connection(engine: Engine) -> None:
    """Raise SourceUnavailable naming the endpoint (never the password) if it is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise SourceUnavailable(
            f"PostgreSQL at {safe_url(engine.url)} is unreachable: {reason}"
        ) from None


def apply_schema(engine: Engine, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply every sql/*.sql file in name order. Each file is idempotent; returns the names applied."""
    check_connection(engine)
    applied = []
    with engine.begin() as conn:
        # Serialize concurrent appliers (tests, sensor + asset) on one advisory lock.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(744211)"))
        for path in sorted(sql_dir.glob("*.sql")):
            conn.exec_driver_sql(path.read_text(encoding="utf-8"))
            applied.append(path.name)
    return applied
