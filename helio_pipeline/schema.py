"""The database schema Helio KB needs: its core migrations (``helio_pipeline/sql/``), then each
domain's change tracking (``Domain.change_tracking_sql``, installed on the tables the domain
reads once they exist), and, for the demo only, the distributor's source tables
(``helio_pipeline/sql/demo/``). ``helio db migrate`` applies it; runs and sensors only check
the core part (lib/migrations.require_schema) and never issue DDL."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from helio_pipeline.lib.migrations import (
    Migration, MigrationState, change_tracking, core_migrations, demo_migrations,
)
from helio_pipeline.lib.migrations import migrate as _migrate
from helio_pipeline.lib.migrations import status as _status


def migrations(demo: bool = False) -> list[Migration]:
    """In the order they apply: core, the demo's source tables (``demo``), change tracking."""
    from helio_pipeline.domains import DOMAINS

    tracking = [change_tracking(name, domain.tables, sql)
                for name, domain in DOMAINS.items()
                if (sql := getattr(domain, "change_tracking_sql", "") or "").strip()]
    return core_migrations() + (demo_migrations() if demo else []) + tracking


def migrate(engine: Engine, demo: bool = False) -> list[str]:
    """Apply what is pending; returns the versions applied (empty: already current)."""
    return _migrate(engine, migrations(demo))


def status(engine: Engine, demo: bool = False) -> list[MigrationState]:
    """Every migration's state; the demo's are listed when asked or once applied."""
    states = _status(engine, migrations(demo=True))
    demo_versions = {m.version for m in demo_migrations()}
    return [s for s in states if demo or s.version not in demo_versions or s.state == "applied"]
