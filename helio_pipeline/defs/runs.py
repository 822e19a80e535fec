"""Runs and the pool slots they hold.

Each index asset runs in pool ``helio_kb_<domain>`` (one slot unless raised): one writer per
collection. A run killed with SIGKILL frees nothing and stays STARTED, so every later run of
its domains would wait for the slot, and the run queue (the ``helio/kb`` tag limit) would keep
the nightly run behind it. What clears such runs:

- Dagster's run monitoring (``run_monitoring`` in the instance yaml, run by the daemon) fails
  runs whose worker is gone where the run launcher can tell (Kubernetes), runs past
  ``max_runtime_seconds`` everywhere, and frees the slots of runs that have ended;
- runs the CLI executes in its own process carry their host and process (``helio/host``,
  ``helio/pid``): before each run the CLI, and every minute ``dead_run_sensor`` in the daemon,
  fail those whose process is gone and free what they held;
- ``helio runs release RUN_ID`` frees a run by hand (one on another host, say).
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES, IN_PROGRESS_RUN_STATUSES

from helio_pipeline import settings
from helio_pipeline.lib.errors import HelioError

POOL_PREFIX = "helio_kb_"
HOST_TAG, PID_TAG, PID_STARTED_TAG = "helio/host", "helio/pid", "helio/pid_started"


def pool_name(domain: str) -> str:
    return f"{POOL_PREFIX}{domain}"


# --- whose process is it --------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, from /proc; None without it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), fields[19].decode()  # fields 3 and 22 of proc(5)
    except (OSError, IndexError):
        return None


def process_tags() -> dict[str, str]:
    """Tags that let a later process tell whether this one is still alive (a pid alone can be
    reused: its start time comes along where /proc has it)."""
    pid = os.getpid()
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(pid)}
    stat = _proc_stat(pid)
    if stat:
        tags[PID_STARTED_TAG] = stat[1]
    return tags


def process_gone(tags: dict) -> bool:
    """True only when the run's process is known to be gone: it ran on this host and no live
    process has its pid and start time. Runs without these tags, or from another host, are
    never judged (their launcher and run monitoring are)."""
    pid = tags.get(PID_TAG, "")
    if tags.get(HOST_TAG) != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    stat = _proc_stat(int(pid))
    if stat is None:
        return False
    state, started = stat
    return state == "Z" or (bool(tags.get(PID_STARTED_TAG)) and started != tags[PID_STARTED_TAG])


# --- who holds a pool -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotHolder:
    pool: str
    run_id: str
    status: str                       # the run's status, or "deleted"
    tags: dict = field(default_factory=dict, compare=False)
    holding: bool = True              # a claimed (or assigned) slot; False: only waiting for one

    def describe(self) -> str:
        where = ""
        if self.tags.get(PID_TAG):
            where = f", pid {self.tags[PID_TAG]} on {self.tags.get(HOST_TAG, '?')}"
        return f"run {self.run_id} ({self.status}{where})"


def _storage(instance: dg.DagsterInstance):
    storage = instance.event_log_storage
    return storage if storage.supports_global_concurrency_limits else None


def _pool_infos(instance: dg.DagsterInstance, pools: list[str] | None = None):
    storage = _storage(instance)
    if storage is None:
        return []
    names = pools if pools is not None else sorted(k for k in storage.get_concurrency_keys()
                                                   if k.startswith(POOL_PREFIX))
    return [storage.get_concurrency_info(name) for name in names]


def slot_holders(instance: dg.DagsterInstance, pools: list[str] | None = None) -> list[SlotHolder]:
    """Every run holding, assigned or waiting for a slot of ``pools`` (default: every helio pool)."""
    holders = []
    for info in _pool_infos(instance, pools):
        holding = {slot.run_id for slot in info.claimed_slots} | set(info.assigned_run_ids)
        waiting = {step.run_id for step in info.pending_steps} - holding
        for run_id in sorted(holding) + sorted(waiting):
            run = instance.get_run_by_id(run_id)
            holders.append(SlotHolder(info.concurrency_key, run_id, run.status.value if run else "deleted",
                                      dict(run.tags) if run else {}, run_id in holding))
    return holders


def busy_pools(instance: dg.DagsterInstance, pools: list[str]) -> dict[str, list[SlotHolder]]:
    """{pool: its holders} for the pools in ``pools`` that have no free slot."""
    busy = {}
    for info in _pool_infos(instance, pools):
        taken = len(info.claimed_slots) + info.assigned_step_count
        if info.limit is not None and taken >= info.limit:
            busy[info.concurrency_key] = [h for h in slot_holders(instance, [info.concurrency_key]) if h.holding]
    return busy


# --- freeing ----------------------------------------------------------------------------------


def free_slots(instance: dg.DagsterInstance, run_id: str) -> None:
    storage = _storage(instance)
    if storage is not None:
        storage.free_concurrency_slots_for_run(run_id)


def end_run(instance: dg.DagsterInstance, run_id: str, reason: str) -> None:
    """After a run of this process, however it ended: a run left unfinished (interrupted before
    Dagster could say so) is marked failed, and whatever slots it still holds are freed."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_failed(run, message=reason)
    free_slots(instance, run_id)


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the unfinished runs of this host whose process is gone (a SIGKILLed ``helio
    refresh``) and free every helio pool slot held by a run that is over or deleted. Returns
    one line per run released."""
    released = []
    host = socket.gethostname()
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES,
                                                             tags={HOST_TAG: host}))
    for record in records:
        run = record.dagster_run
        if not process_gone(run.tags):
            continue
        instance.report_run_failed(run, message=f"its process (pid {run.tags[PID_TAG]} on {host}) is gone, "
                                                "killed before it could end the run; marked failed and its "
                                                "pool slots freed")
        free_slots(instance, run.run_id)
        released.append(f"run {run.run_id} ({run.job_name}): its process {run.tags[PID_TAG]} is gone; "
                        "marked failed, its pool slots freed")
    finished = {status.value for status in FINISHED_STATUSES} | {"deleted"}
    for run_id in sorted({h.run_id for h in slot_holders(instance) if h.status in finished}):
        free_slots(instance, run_id)
        released.append(f"run {run_id} had ended but still held pool slots: freed")
    return released


def release_run(instance: dg.DagsterInstance, run_id: str) -> str:
    """``helio runs release``: mark a run failed and free its pool slots (a unique prefix of the
    id will do). A run whose process is alive on this host is refused: stop the process first.
    For a run on another host, the operator decides."""
    holders = slot_holders(instance)
    run = instance.get_run_by_id(run_id)
    if run is None:
        matches = sorted({h.run_id for h in holders if h.run_id.startswith(run_id)})
        if len(matches) > 1:
            raise HelioError(f"{run_id!r} matches several runs holding pool slots: {', '.join(matches)}")
        if not matches:
            raise HelioError(f"no run {run_id!r} in this Dagster instance "
                             f"(DAGSTER_HOME={settings.load().home})")
        run_id = matches[0]
        run = instance.get_run_by_id(run_id)  # None: a deleted run that still holds slots
    marked = ""
    if run is not None and not run.is_finished:
        if run.tags.get(HOST_TAG) == socket.gethostname() and run.tags.get(PID_TAG, "").isdigit() \
                and not process_gone(run.tags):
            raise HelioError(f"run {run_id} is still running (pid {run.tags[PID_TAG]} on this host): stop that "
                             "process first, or wait for it to end")
        instance.report_run_failed(run, message="released by hand (helio runs release): marked failed, "
                                                "its pool slots freed")
        marked = "; marked failed"
    pools = sorted({h.pool for h in holders if h.run_id == run_id})
    free_slots(instance, run_id)
    return f"run {run_id}: " + (f"freed its slots in {', '.join(pools)}" if pools else "held no pool slot") + marked


def wait_for_pools(instance: dg.DagsterInstance, pools: list[str], wait_seconds: float,
                   say: Callable[[str], None] = print) -> None:
    """Before a run in this process: release dead runs, then wait while a live run holds one of
    ``pools`` (at most ``wait_seconds``; SIGTERM and Ctrl-C end the wait), saying which run
    holds it and how to release it. Raises HelioError when the time is up."""
    deadline = time.monotonic() + wait_seconds
    told: set[tuple[str, str]] = set()
    while True:
        for line in release_dead_runs(instance):
            say(line)
        busy = busy_pools(instance, pools)
        if not busy:
            return
        for pool, holders in sorted(busy.items()):
            for holder in holders:
                if (pool, holder.run_id) not in told:
                    told.add((pool, holder.run_id))
                    say(f"pool {pool} is held by {holder.describe()}; waiting up to {wait_seconds:g} s "
                        f"(HELIO_STORE_WAIT_SECONDS). If that run is gone: helio runs release {holder.run_id}")
        if time.monotonic() >= deadline:
            pool, holders = sorted(busy.items())[0]
            held_by = ", ".join(h.describe() for h in holders) or "a run that has not claimed it yet"
            release = " / ".join(f"helio runs release {h.run_id}" for h in holders)
            raise HelioError(f"pool {pool} is held by {held_by}; wait for it to end, or if it is gone free it: "
                             f"{release or 'dagster instance concurrency info ' + pool}")
        time.sleep(min(2.0, max(0.05, deadline - time.monotonic())))


# --- ending a run when told ---------------------------------------------------------------


class InterruptWatchdog:
    """Dagster holds SIGINT and SIGTERM during an in-process run and acts on them only inside
    or between steps: a run waiting for a pool slot never gets there and would ignore both for
    good. This turns an interrupt Dagster has not acted on within ``grace`` seconds into
    KeyboardInterrupt in the main thread, which ends the run (marked failed, claims freed)."""

    def __init__(self, grace: float = 2.0, poll: float = 0.2):
        self.grace, self.poll = grace, poll
        self.fired = False
        self._stop = threading.Event()
        self._main = threading.main_thread().ident
        self._thread = threading.Thread(target=self._watch, name="helio-interrupt-watchdog", daemon=True)

    def __enter__(self) -> "InterruptWatchdog":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        from dagster._utils.interrupts import check_captured_interrupt  # the flag Dagster's handler sets

        pending_since = None
        while not self._stop.wait(self.poll):
            if not check_captured_interrupt():
                pending_since = None
                continue
            pending_since = pending_since or time.monotonic()
            if time.monotonic() - pending_since >= self.grace:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._main),
                                                           ctypes.py_object(KeyboardInterrupt))
                return


def was_interrupted(result) -> bool:
    """Whether a run ended because it was told to stop (SIGINT/SIGTERM), not because it failed."""
    from dagster._core.events import DagsterEventType, RunFailureReason

    return any(event.event_type == DagsterEventType.RUN_FAILURE
               and getattr(event.event_specific_data, "failure_reason", None) == RunFailureReason.UNEXPECTED_TERMINATION
               for event in result.all_events)


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def dead_run_sensor(context: dg.SensorEvaluationContext):
    """Fails runs whose process is gone (a `helio refresh` killed with SIGKILL) and frees the pool
    slots they held, so the nightly run is not queued behind them for good."""
    released = release_dead_runs(context.instance)
    return dg.SkipReason("; ".join(released) if released else "no dead run holds a pool slot or a run slot")


def job_pools(job: dg.JobDefinition, asset_selection: list[dg.AssetKey] | None = None) -> list[str]:
    """The pools a run of ``job`` (or of these of its assets) claims slots in."""
    if asset_selection:
        job = job.get_subset(asset_selection=set(asset_selection))
    return sorted({node.pool for node in job.graph.node_defs if getattr(node, "pool", None)})
