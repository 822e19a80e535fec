"""EmbeddedPostgres against a real PostgreSQL server (no mocks).

Skipped when no PostgreSQL server binaries are installed.
"""

from __future__ import annotations

import os
import socket

import pytest
import sqlalchemy as sa

from helio_pipeline.lib.pg_embedded import (
    EmbeddedPostgres,
    PostgresBinariesMissing,
    find_free_port,
    find_pg_bin,
)

try:
    find_pg_bin()
    HAVE_PG = True
except PostgresBinariesMissing:
    HAVE_PG = False

needs_pg = pytest.mark.skipif(not HAVE_PG, reason="PostgreSQL server binaries not installed")


@pytest.fixture
def servers():
    """Collects EmbeddedPostgres objects and force-stops them after the test."""
    made: list[EmbeddedPostgres] = []

    def make(data_dir, **kw) -> EmbeddedPostgres:
        pg = EmbeddedPostgres(data_dir, fast=True, **kw)
        made.append(pg)
        return pg

    yield make
    for pg in reversed(made):
        try:
            pg.stop(force=True)
        except Exception:  # pragma: no cover - best effort cleanup
            pass


def _scalar(url: str, sql: str):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


@needs_pg
def test_start_select_one(tmp_path, servers):
    pg = servers(tmp_path / "pg")
    url = pg.start()
    assert url == f"postgresql+psycopg://helio@127.0.0.1:{pg.port}/helio"
    assert pg.url == url
    assert pg.port < 32768
    assert pg.started_here
    assert _scalar(url, "select 1") == 1
    assert _scalar(url, "select current_database()") == "helio"
    assert _scalar(url, "show fsync") == "off"  # fast=True
    assert _scalar(url, "show server_encoding") == "UTF8"
    assert (tmp_path / "postgres.log").exists()
    pg.stop()
    assert not (tmp_path / "pg" / "postmaster.pid").exists()


@needs_pg
def test_data_survives_restart(tmp_path, servers):
    data = tmp_path / "pgdata"
    pg = servers(data)
    engine = sa.create_engine(pg.start(), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("create table t (id int primary key, name text)"))
        conn.execute(sa.text("insert into t values (1, 'héliô')"))
    engine.dispose()
    pg.stop()

    pg2 = servers(data)
    url = pg2.start()
    assert pg2.started_here
    assert _scalar(url, "select name from t where id = 1") == "héliô"


@needs_pg
def test_second_instance_reuses_running_server(tmp_path, servers):
    data = tmp_path / "pg"
    first = servers(data)
    url1 = first.start()

    second = servers(data)
    url2 = second.start()
    assert second.port == first.port
    assert url2 == url1
    assert not second.started_here

    second.stop()  # a reused server keeps running
    assert _scalar(url1, "select 1") == 1

    first.stop()
    with pytest.raises(sa.exc.OperationalError):
        _scalar(url1, "select 1")


@needs_pg
def test_force_stop_of_reused_server_and_context_manager(tmp_path, servers):
    data = tmp_path / "pg"
    with servers(data) as pg:
        port = pg.port
        other = servers(data, port=port + 1)  # a different requested port: the running one wins
        assert other.start() == pg.url
        other.stop(force=True)
        assert not (data / "postmaster.pid").exists()
    pg.stop()  # stopping twice is harmless


@needs_pg
def test_requested_port_and_custom_database(tmp_path, servers):
    port = find_free_port(20000)
    pg = servers(tmp_path / "pg", port=port, database="kb_test")
    url = pg.start()
    assert url == f"postgresql+psycopg://helio@127.0.0.1:{port}/kb_test"
    assert _scalar(url, "select current_database()") == "kb_test"


def test_find_free_port_skips_taken_ports():
    with socket.socket() as s:
        port = find_free_port()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
        nxt = find_free_port()
        assert nxt != port
        assert 15432 <= nxt < 32768


def test_find_pg_bin_missing(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    with pytest.raises(PostgresBinariesMissing) as exc:
        find_pg_bin(search_dirs=[], configured=str(empty))  # HELIO_PG_BIN
    assert "HELIO_PG_BIN" in str(exc.value)
    assert "apt-get install -y postgresql" in str(exc.value)
    assert "brew install postgresql@16" in str(exc.value)

    with pytest.raises(PostgresBinariesMissing) as exc:
        find_pg_bin(search_dirs=[])
    assert "apt-get install -y postgresql" in str(exc.value)
    assert isinstance(exc.value, RuntimeError)


def test_find_pg_bin_helio_pg_bin_and_search_dirs(tmp_path, monkeypatch):
    fake = tmp_path / "pg" / "17" / "bin"
    fake.mkdir(parents=True)
    for name in ("initdb", "pg_ctl"):
        (fake / name).write_text("#!/bin/sh\n")
        os.chmod(fake / name, 0o755)
    older = tmp_path / "pg" / "9" / "bin"
    older.mkdir(parents=True)
    for name in ("initdb", "pg_ctl"):
        (older / name).write_text("#!/bin/sh\n")
        os.chmod(older / name, 0o755)

    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    # globs are expanded newest version first (17 before 9)
    assert find_pg_bin(search_dirs=[str(tmp_path / "pg" / "*" / "bin")]) == fake

    assert find_pg_bin(search_dirs=[], configured=str(older)) == older  # HELIO_PG_BIN


@needs_pg
def test_find_pg_bin_real():
    d = find_pg_bin()
    assert (d / "initdb").exists() and (d / "pg_ctl").exists()


@needs_pg
def test_start_is_idempotent(tmp_path, servers):
    pg = servers(tmp_path / "pg")
    url = pg.start()
    assert pg.start() == url
    pg.stop()
    assert not pg.started_here
    pg.start()  # restarting after stop works
    assert pg.started_here
    assert _scalar(pg.url, "select 1") == 1


@needs_pg
def test_failure_reports_command_and_log_tail(tmp_path, servers):
    from helio_pipeline.lib.pg_embedded import EmbeddedPostgresError

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = find_free_port(21000)
        s.bind(("127.0.0.1", port))
        s.listen()
        pg = servers(tmp_path / "pg", port=port)
        with pytest.raises(EmbeddedPostgresError) as exc:
            pg.start(timeout=20)
    msg = str(exc.value)
    assert "pg_ctl" in msg and "start" in msg  # the command that failed
    assert "could not bind" in msg  # the server log's tail
    assert str(tmp_path / "postgres.log") in msg
