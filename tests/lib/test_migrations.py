"""Schema changes are an explicit step: `helio db migrate` applies them, runs only check them."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from helio_pipeline.cli import main
from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib.db import SQL_DIR, make_engine
from helio_pipeline.lib.migrations import SchemaNotCurrent, core_migrations, migrate, require_schema
from helio_pipeline.schema import migrate as migrate_all
from helio_pipeline.schema import migrations, status

ROOT = Path(__file__).resolve().parents[2]
DEMO_TABLES = {"products", "prices", "business_rules", "conversation_history"}


def tables(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}


def triggers(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))}


def test_a_run_on_an_unmigrated_database_fails_in_one_line_and_creates_nothing(fresh_db):
    from helio_pipeline.defs.resources import SourceDatabase

    url, engine = fresh_db
    with pytest.raises(SchemaNotCurrent) as failure:
        SourceDatabase(url=url).engine()
    message = str(failure.value)
    assert "\n" not in message and message.endswith("run `helio db migrate`")
    assert message.startswith("PostgreSQL at ") and url.rsplit("/", 1)[1] in message  # names the database
    assert tables(engine) == set()  # a run issues no DDL


def test_migrate_creates_the_pipeline_tables_but_not_the_distributors(fresh_db):
    url, engine = fresh_db
    applied = migrate_all(engine)
    assert applied == [m.version for m in core_migrations()]
    created = tables(engine)
    assert {"kb_schema_migrations", "kb_embedding_cache", "kb_quarantine", "kb_change_log",
            "kb_shard_builds", "kb_golden_queries"} <= created
    assert not DEMO_TABLES & created
    # change tracking waits for the tables it goes on
    tracked = {f"tracking/{name}" for name, d in DOMAINS.items() if getattr(d, "change_tracking_sql", "")}
    assert tracked and {s.version for s in status(engine) if s.state == "waiting"} == tracked
    from helio_pipeline.defs.resources import SourceDatabase

    assert SourceDatabase(url=url).engine() is not None  # current now: a run starts
    assert migrate_all(engine) == []


def test_the_demo_migration_creates_source_tables_and_tracking_logs_their_changes(fresh_db):
    _, engine = fresh_db
    migrate_all(engine)
    applied = migrate_all(engine, demo=True)
    assert "demo/001_demo_sources" in applied and any(v.startswith("tracking/") for v in applied)
    assert DEMO_TABLES <= tables(engine)
    assert {"kb_products_changes", "kb_prices_changes", "kb_business_rules_changes"} <= triggers(engine)
    assert all(s.state == "applied" for s in status(engine, demo=True)), status(engine, demo=True)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO products (sku, name, category) VALUES ('SKU-M1', 'Painel', 'module')"))
        logged = conn.execute(sa.text("SELECT table_name, row_key, operation FROM kb_change_log")).all()
    assert logged == [("products", "SKU-M1", "INSERT")]


def test_golden_queries_table_holds_one_row_per_domain_and_query(fresh_db):
    _, engine = fresh_db
    migrate_all(engine)
    insert = sa.text("INSERT INTO kb_golden_queries (domain, query, expected) VALUES ('rules', 'garantia', "
                     "'{\"slug\": \"garantia-inversores\"}')")
    with engine.begin() as conn:
        conn.execute(insert)
        assert conn.execute(sa.text("SELECT filters FROM kb_golden_queries")).scalar_one() == {}
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert)


def test_an_edited_applied_migration_is_refused_and_a_new_one_is_pending(fresh_db, tmp_path):
    _, engine = fresh_db
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    first = sql_dir / "001_first.sql"
    first.write_text("CREATE TABLE kb_first (id INT);\n")
    migrate(engine, core_migrations(sql_dir))
    require_schema(engine, sql_dir)

    (sql_dir / "002_second.sql").write_text("CREATE TABLE kb_second (id INT);\n")
    with pytest.raises(SchemaNotCurrent, match=r"behind \(pending: 002_second\): run `helio db migrate`"):
        require_schema(make_engine(engine.url), sql_dir)
    assert migrate(engine, core_migrations(sql_dir)) == ["002_second"]

    first.write_text("CREATE TABLE kb_first (id BIGINT);\n")
    with pytest.raises(SchemaNotCurrent, match="001_first.sql differs from the version applied"):
        migrate(engine, core_migrations(sql_dir))


def test_changed_change_tracking_is_applied_again(fresh_db):
    _, engine = fresh_db
    migrate_all(engine, demo=True)
    tracking = [m for m in migrations() if m.version == "tracking/products"][0]
    from helio_pipeline.lib.migrations import change_tracking

    changed = change_tracking("products", tracking.tables, tracking.sql + "\n-- reviewed\n")
    assert migrate(engine, [changed]) == ["tracking/products"]
    assert migrate(engine, [changed]) == []


def test_db_commands_apply_and_list_migrations(fresh_db, monkeypatch, tmp_path, capsys):
    url, engine = fresh_db
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("HELIO_DATABASE_URL", url)
    assert main(["db", "status"]) == 1  # pending
    assert "pending" in capsys.readouterr().out
    assert main(["db", "migrate", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "applied: 002_embedding_cache" in out and "tracking/products" in out
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "006_golden_queries" in out and "pending" not in out and "demo/001_demo_sources" in out
    assert main(["db", "migrate"]) == 0
    assert "nothing to apply" in capsys.readouterr().out


def test_top_level_sql_is_the_packaged_migrations():
    top = ROOT / "sql"
    assert top.resolve() == SQL_DIR.resolve() or sorted(p.read_bytes() for p in top.rglob("*.sql")) == \
        sorted(p.read_bytes() for p in SQL_DIR.rglob("*.sql"))
    assert (SQL_DIR / "006_golden_queries.sql").is_file() and (SQL_DIR / "demo").is_dir()
