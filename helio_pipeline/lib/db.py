"""SQLAlchemy engines for the source database and clear connection errors. The schema is applied
by ``helio db migrate`` (lib/migrations.py), never by a run."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from helio_pipeline.lib.errors import ConfigError, SourceUnavailable

# the migrations ship inside the package (package data): a wheel install finds them here;
# the repository's top-level sql/ is a link to this folder
SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def safe_url(url: str | sa.URL) -> str:
    """The URL with any password masked: the only form that may reach logs or metadata."""
    return make_url(url).render_as_string(hide_password=True)


def masked(text: str) -> str:
    """Any ``user:password@`` in a URL-like string, password masked, even when the rest of it
    is not a URL SQLAlchemy can read."""
    return re.sub(r"(://[^:/@\s]*:)\S*@", r"\1***@", text)  # up to the last @: a password may hold one


def check_database_url(url: str, variable: str = "HELIO_DATABASE_URL") -> None:
    """Refuse what is not a PostgreSQL URL, in one line naming the setting (password masked)."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise ConfigError(f"{variable}={masked(url)!r} is not a database URL: "
                          "use postgresql://user:password@host:5432/dbname") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ConfigError(f"{variable}={safe_url(parsed)!r} is not a PostgreSQL URL ({parsed.get_backend_name()}): "
                          "use postgresql://user:password@host:5432/dbname")


def make_engine(url: str) -> Engine:
    """An engine on psycopg 3 that fails fast (5 s) instead of hanging on a dead host."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    # hide_parameters: a failing statement's error never quotes the row it carried (a
    # conversation line, a quarantined value) into logs, run storage or the CLI
    engine = sa.create_engine(
        parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5}, hide_parameters=True
    )
    # Every query of a run (extractors, the quarantine, the embedding cache) goes through
    # this engine: a server that stops mid-run becomes one SourceUnavailable, not a stack trace.
    event.listen(engine, "handle_error", _unreachable_as_source_error)
    return engine


def _first_line(exc: BaseException, url: sa.URL) -> str:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return reason


class PostgresUnreachable(SourceUnavailable, sa.exc.OperationalError):
    """PostgreSQL could not be reached. A SourceUnavailable, shown as its one-line message; an
    OperationalError too, so code that catches the driver's connection errors still does."""

    def __init__(self, message: str, orig: BaseException | None = None):
        SourceUnavailable.__init__(self, message)
        self.statement, self.params, self.orig, self.ismulti = None, None, orig, None
        self.hide_parameters, self.code, self.detail = True, None, []

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self):
        return type(self), (self.args[0],)


def _unreachable_as_source_error(context) -> None:
    """Lost connections and failed connects become PostgresUnreachable naming the endpoint (no
    password). Pre-pings are left alone: the pool reconnects after a failed one."""
    if context.is_pre_ping or not isinstance(context.sqlalchemy_exception,
                                              (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return
    if context.connection is not None and not context.is_disconnect:
        return  # a failing statement on a live connection (a timeout, a lock) is not "unreachable"
    url = context.engine.url
    error = PostgresUnreachable(f"PostgreSQL at {safe_url(url)} is unreachable: "
                                f"{_first_line(context.original_exception, url)}", context.original_exception)
    error.__suppress_context__ = True
    raise error


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

