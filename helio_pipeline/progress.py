"""What ``helio demo``/``refresh``/``rebuild`` print while a run executes in this process:
steps started and done, texts embedded out of the total with the rate and the time left,
and warnings in one line each. Read from the run's event log (what the Dagster UI shows),
so nothing in ``lib/`` needs to know about a terminal; ``--verbose`` prints Dagster's own
log lines instead.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Callable

# lib/sync.apply logs this after each batch
EMBEDDED = re.compile(r"^(?P<alias>\S+): embedded and wrote (?P<done>\d+)/(?P<total>\d+) chunks")


def _eta(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def embedding_line(alias: str, done: int, total: int, elapsed: float) -> str:
    """``helio-products: embedded 512/1,909 texts (27%, 48/s, about 29 s left)``."""
    rate = done / max(elapsed, 1e-6)
    seconds_left = (total - done) / rate if rate > 0 else 0
    left = f", about {_eta(seconds_left)} left" if done < total and seconds_left >= 1 else ""
    return f"{alias}: embedded {done:,}/{total:,} texts ({done / max(total, 1):.0%}, {rate:,.0f}/s{left})"


class RunProgress:
    """Polls ``instance``'s event log for ``run_id`` in a thread and prints progress lines.

        with RunProgress(instance, run_id):
            job.execute_in_process(..., run_id=run_id)
    """

    def __init__(self, instance, run_id: str, say: Callable[[str], None] = lambda line: print(line, flush=True),
                 interval: float = 0.5):
        self.instance = instance
        self.run_id = run_id
        self.say = say
        self.interval = interval
        self._cursor = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="helio-progress", daemon=True)
        self._step_started: dict[str, float] = {}

    def __enter__(self) -> "RunProgress":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.poll()  # the last events, after the run ended

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # progress is a courtesy: never let it break or stall a run
                logging.getLogger(__name__).debug("progress poll failed", exc_info=True)

    def poll(self) -> None:
        while True:
            conn = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=500)
            for record in conn.records:
                self._show(record.event_log_entry)
            self._cursor = conn.cursor
            if not conn.has_more:
                return

    def _show(self, entry) -> None:
        event = entry.dagster_event
        if event is not None:
            kind = event.event_type_value
            step = entry.step_key
            if kind == "STEP_START":
                self._step_started[step] = entry.timestamp
                self.say(f"      step {step} ...")
            elif kind == "STEP_SUCCESS":
                took = entry.timestamp - self._step_started.get(step, entry.timestamp)
                self.say(f"      step {step} done ({took:.1f} s)")
            elif kind == "STEP_FAILURE":
                error = getattr(event.event_specific_data, "error", None)
                reason = (error.message.strip().splitlines() or [""])[0] if error is not None else ""
                self.say(f"      step {step} FAILED" + (f": {reason}" if reason else ""))
            elif kind == "ASSET_CHECK_EVALUATION":
                evaluation = event.event_specific_data
                if not getattr(evaluation, "passed", True):
                    self.say(f"      check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed")
            return
        message = entry.user_message or ""
        embedded = EMBEDDED.match(message)
        if embedded:
            elapsed = entry.timestamp - self._step_started.get(entry.step_key, entry.timestamp)
            self.say("      " + embedding_line(embedded["alias"], int(embedded["done"]), int(embedded["total"]), elapsed))
        elif entry.level >= logging.WARNING:
            self.say(f"      ! {message}")
