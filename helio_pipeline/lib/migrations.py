"""Explicit schema migrations: ``helio db migrate`` applies them; runs and sensors only check.

Three kinds, applied in this order, in one transaction under an advisory lock:

- **core**: ``helio_pipeline/sql/NNN_name.sql``, the pipeline's own tables (embedding cache,
  quarantine, change log, golden queries...). Each is applied once and recorded in
  ``kb_schema_migrations`` with the sha256 of its text; an applied file that changed is
  refused (add a new file instead).
- **demo**: ``helio_pipeline/sql/demo/NNN_name.sql``, the distributor's source tables that the
  demo creates; applied only when asked (``helio seed``, ``helio db migrate --demo``).
- **change tracking**: SQL a domain gives to install its change-log triggers on the tables
  it reads. Applied once those tables exist, and again whenever its text changes, so it
  must be idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS).

Nothing here knows a domain: the caller passes the change-tracking migrations in.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from helio_pipeline.lib.db import SQL_DIR, check_connection, safe_url
from helio_pipeline.lib.errors import HelioError

MIGRATIONS_TABLE = "kb_schema_migrations"
LOCK_ID = 744211  # one migrator at a time (two pods starting, a test session and a bench)
FIX = "run `helio db migrate`"


class SchemaNotCurrent(HelioError):
    """The database lacks migrations this code needs, or an applied one was edited."""


@dataclass(frozen=True)
class Migration:
    version: str                    # "004_change_log", "demo/001_demo_sources", "tracking/products"
    sql: str
    tables: tuple[str, ...] = ()    # tables that must exist before it can apply (change tracking)
    repeatable: bool = False        # applied again when its text changes (idempotent SQL)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.replace("\r\n", "\n").strip().encode("utf-8")).hexdigest()

    @property
    def kind(self) -> str:
        return self.version.split("/", 1)[0] if "/" in self.version else "core"


@dataclass(frozen=True)
class MigrationState:
    version: str
    state: str                      # applied | pending | changed | waiting | unknown
    detail: str = ""

    @property
    def line(self) -> str:
        return f"{self.version:<34} {self.state:<8} {self.detail}".rstrip()


def _files(folder: Path, prefix: str = "") -> list[Migration]:
    return [Migration(prefix + path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("[0-9]*.sql"))]


def core_migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    return _files(sql_dir)


def demo_migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    return _files(sql_dir / "demo", "demo/")


def change_tracking(name: str, tables: tuple[str, ...], sql: str) -> Migration:
    """The change-log triggers ``name`` installs on ``tables`` (applied once they exist)."""
    return Migration(f"tracking/{name}", sql, tuple(tables), repeatable=True)


def _recorded(conn) -> dict[str, tuple[str, object]] | None:
    """version -> (checksum, applied_at); None when the migrations table does not exist."""
    if conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": MIGRATIONS_TABLE}).scalar() is None:
        return None
    rows = conn.execute(sa.text(f"SELECT version, checksum, applied_at FROM {MIGRATIONS_TABLE}"))
    return {version: (checksum, applied_at) for version, checksum, applied_at in rows}


def _missing_tables(conn, tables: tuple[str, ...]) -> list[str]:
    return [t for t in tables if conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": t}).scalar() is None]


def _edited(migration: Migration, applied_checksum: str) -> str:
    return (f"{migration.version}.sql differs from the version applied to this database "
            f"(checksum {applied_checksum[:12]}, now {migration.checksum[:12]}): an applied migration "
            "must not change; put the change in a new file")


def status(engine: Engine, migrations: list[Migration]) -> list[MigrationState]:
    """Where each migration stands in this database; recorded versions this code does not
    know (a newer release migrated it) are listed as ``unknown``."""
    check_connection(engine)
    with engine.connect() as conn:
        recorded = _recorded(conn) or {}
        states = []
        for m in migrations:
            if m.version in recorded:
                checksum, applied_at = recorded[m.version]
                if checksum == m.checksum:
                    states.append(MigrationState(m.version, "applied", f"{applied_at:%Y-%m-%d %H:%M:%S %Z}"))
                else:
                    states.append(MigrationState(m.version, "changed", "will be re-applied" if m.repeatable
                                                 else _edited(m, checksum)))
            elif missing := _missing_tables(conn, m.tables):
                states.append(MigrationState(m.version, "waiting", f"for table(s) {', '.join(missing)}"))
            else:
                states.append(MigrationState(m.version, "pending"))
        known = {m.version for m in migrations}
        states += [MigrationState(v, "unknown", "recorded, not part of this release")
                   for v in sorted(recorded) if v not in known]
    return states


def migrate(engine: Engine, migrations: list[Migration]) -> list[str]:
    """Apply what is pending, in order, in one transaction; returns the versions applied.
    A change-tracking migration whose tables do not exist yet is left for a later run."""
    check_connection(engine)
    applied = []
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        conn.exec_driver_sql(f"""CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
            version    TEXT PRIMARY KEY,
            checksum   TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now())""")
        recorded = _recorded(conn)
        for m in migrations:
            if m.version in recorded:
                checksum = recorded[m.version][0]
                if checksum == m.checksum:
                    continue
                if not m.repeatable:
                    raise SchemaNotCurrent(_edited(m, checksum))
            if _missing_tables(conn, m.tables):
                continue
            conn.exec_driver_sql(m.sql)
            conn.execute(sa.text(f"INSERT INTO {MIGRATIONS_TABLE} (version, checksum) VALUES (:v, :c) "
                                 "ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, "
                                 "applied_at = now()"), {"v": m.version, "c": m.checksum})
            applied.append(m.version)
    return applied


_CURRENT: weakref.WeakSet = weakref.WeakSet()  # engines already found current: one check per engine


def require_schema(engine: Engine, sql_dir: Path = SQL_DIR) -> None:
    """Raise SchemaNotCurrent, in one line ending in "run `helio db migrate`", unless every
    core migration of this release is applied unchanged. Issues no DDL."""
    if engine in _CURRENT:
        return
    check_connection(engine)
    where = f"PostgreSQL at {safe_url(engine.url)}"
    with engine.connect() as conn:
        recorded = _recorded(conn)
    if recorded is None:
        raise SchemaNotCurrent(f"{where} has no Helio KB schema ({MIGRATIONS_TABLE} is missing): {FIX}")
    pending, edited = [], []
    for m in core_migrations(sql_dir):
        if m.version not in recorded:
            pending.append(m.version)
        elif recorded[m.version][0] != m.checksum:
            edited.append(m)
    if pending:
        raise SchemaNotCurrent(f"the schema of {where} is behind (pending: {', '.join(pending)}): {FIX}")
    if edited:
        raise SchemaNotCurrent(f"{where}: {_edited(edited[0], recorded[edited[0].version][0])}")
    _CURRENT.add(engine)
