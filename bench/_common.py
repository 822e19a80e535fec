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
    from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

    server = EmbeddedPostgres(home / "postgres", fast=True)
    server.start()
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
    import dagster as dg

    from helio_pipeline.definitions import build_definitions

    defs = build_definitions(resources)
    result = defs.resolve_job_def("kb_refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    meta = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        name = mat.asset_key.to_user_string()
        if name.endswith("_index"):
            meta[name[: -len("_index")]] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return result, meta
