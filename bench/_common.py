"""Shared setup for benches: an isolated DAGSTER_HOME with its own embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def isolated_home(embedder: str = "local", keep: str | None = None):
    """A fresh DAGSTER_HOME (embedded Postgres, Qdrant dir, snapshots); the server stops at exit
    and the directory is removed (unless it is ``keep``)."""
    home = Path(keep or tempfile.mkdtemp(prefix="helio-bench-"))
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["HELIO_EMBEDDER"] = embedder
    from helio_pipeline import settings
    from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

    server = EmbeddedPostgres(home / "postgres", fast=True, pg_bin=settings.load().pg_bin)
    from helio_pipeline.lib.db import make_engine
    from helio_pipeline.schema import migrate

    engine = make_engine(server.start())
    migrate(engine, demo=True)  # `helio db migrate --demo`: runs only check the schema
    engine.dispose()
    try:
        yield home
    finally:
        server.stop(force=True)
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


class Stopwatch:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


def run_refresh(resources=None):
    """Materialize every asset in-process; returns (result, {domain: index metadata})."""
    from helio_pipeline.definitions import build_definitions
    from helio_pipeline.jobs import index_metadata, materialize_in_process

    result = materialize_in_process(build_definitions(resources))
    return result, index_metadata(result)
