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


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; NaN for none."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_helio(argv: list[str], log: Path | None = None, env: dict | None = None):
    """``helio ARGV`` as a new process group with the stop signals at their defaults (so
    :func:`stop_helio` ends it even where this shell ignores SIGINT); output to ``log`` (or
    stderr piped, stdout dropped)."""
    import subprocess
    import sys

    from helio_pipeline.lib.processes import spawn

    command = [sys.executable, "-m", "helio_pipeline.cli", *argv]
    popen = dict(cwd=Path(__file__).resolve().parents[1], env={**os.environ, **(env or {})}, start_new_session=True)
    if log is None:
        return spawn(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **popen)
    with open(log, "w") as out:
        return spawn(command, stdout=out, stderr=subprocess.STDOUT, **popen)


def stop_helio(process) -> None:
    """SIGTERM to the process's group, SIGKILL after 30 s."""
    from helio_pipeline.lib.processes import stop

    stop(process, timeout=30, group=True)


def serve(env: dict | None = None, log: Path | None = None, timeout: float = 120):
    """``helio serve`` on a free loopback port, once it answers /health: (process, url)."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_helio(["serve", "--host", "127.0.0.1", "--port", str(port)], log=log, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            said = log.read_text() if log else server.stderr.read()
            raise SystemExit(f"helio serve exited: {said[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.3)
    stop_helio(server)
    raise SystemExit(f"helio serve did not answer /health within {timeout:.0f} s")
