"""15: bad configuration fails fast, in one clear line, before any work.

Each case runs the real ``helio`` command (or loads the code location) in a fresh process with
the environment a user would have set, and checks what they see: exit code 2, one line on
stderr naming the variable and its value (never a password), no traceback, nothing done.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from helio_pipeline.lib.embedding import EmbedderSpec
from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.pg_embedded import find_free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, pg_url, clean_db):
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, "DAGSTER_HOME": str(home), "HELIO_DATABASE_URL": pg_url, "HELIO_EMBEDDER": "static",
            "HELIO_S3_URL": (tmp_path / "objects").as_uri(), "HELIO_COLLECTION_PREFIX": "config"}


def helio(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helio_pipeline.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def one_clear_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("helio: ")
    return line


def test_an_unknown_embedder_is_one_line_in_search(env):
    line = one_clear_line(helio({**env, "HELIO_EMBEDDER": "bogus"}, "search", "inversor 5kW"))
    assert "HELIO_EMBEDDER='bogus'" in line and "local, openai, static" in line


def test_an_unknown_embedder_stops_a_refresh_before_extraction(env):
    line = one_clear_line(helio({**env, "HELIO_EMBEDDER": "bogus"}, "refresh"))
    assert "HELIO_EMBEDDER='bogus'" in line
    home = Path(env["DAGSTER_HOME"])
    assert not (home / "snapshots").exists()  # nothing was extracted
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []      # no run started


def test_an_unknown_embedder_fails_the_code_location_load(env):
    done = subprocess.run([sys.executable, "-c", "import helio_pipeline.definitions"], cwd=ROOT,
                          env={**env, "HELIO_EMBEDDER": "bogus"}, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "ConfigError: HELIO_EMBEDDER='bogus' is not an embedder" in done.stderr


def test_an_unknown_embedder_in_code_is_a_helio_error():
    with pytest.raises(HelioError, match="unknown embedder 'bogus'"):
        EmbedderSpec("bogus").build()


def test_an_ftp_object_store_url_is_one_line_in_seed(env):
    line = one_clear_line(helio({**env, "HELIO_S3_URL": "ftp://x"}, "seed", "--products", "10"))
    assert "HELIO_S3_URL='ftp://x'" in line and "s3://bucket/prefix or file:///path" in line


@pytest.mark.parametrize("url", ["garbage", "postgresql://helio:s3cr3t@db:notaport/kb", "mysql://helio:s3cr3t@db/kb"])
def test_a_database_url_that_cannot_work_is_one_line_without_its_password(env, url):
    line = one_clear_line(helio({**env, "HELIO_DATABASE_URL": url}, "quarantine"))
    assert "HELIO_DATABASE_URL=" in line and "postgresql://user:password@host:5432/dbname" in line
    assert "s3cr3t" not in line and "ArgumentError" not in line


def test_memory_with_an_unreachable_database_names_it(env):
    port = find_free_port(start=25000)  # nothing listens there
    url = f"postgresql://helio:s3cr3t@127.0.0.1:{port}/helio"
    line = one_clear_line(helio({**env, "HELIO_DATABASE_URL": url}, "memory", "garantia", "--owner", "o-1",
                                "--conversation", "c-1"))
    assert f"PostgreSQL at postgresql+psycopg://helio:***@127.0.0.1:{port}/helio is unreachable" in line
    assert "s3cr3t" not in line and "needs the source database" not in line


@pytest.mark.parametrize("variable, value", [("HELIO_SHARDS", "conversations"), ("HELIO_STORE_WAIT_SECONDS", "soon"),
                                             ("HELIO_EMBEDDING_DIMENSIONS", "-3"), ("HELIO_EMBEDDED_STORE", "qdrnat")])
def test_other_malformed_settings_are_one_line_too(env, variable, value):
    line = one_clear_line(helio({**env, variable: value}, "search", "frete"))
    assert variable in line and repr(value) in line
