"""Wall time of `helio` commands a person types, as a new process each time (what they wait for).

    .venv/bin/python bench/cli_latency.py [--repeat 5] [--query "painel 550w monocristalino"]

Searches the KB of the current DAGSTER_HOME (default: the repository's dagster_home/, filled by
`./scripts/demo`) with the configured embedder (the local model by default). Prints the median
wall time, the slowest, and the CPU time (user + system of the child: close to the wall time on
an idle machine, and much less sensitive to other load); the goal is a search under 1.5 s wall
on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELIO = [sys.executable, "-m", "helio_pipeline.cli"]


def wall(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system: what the wall time is on an idle machine when the
    command waits on nothing) and the exit status of one `helio ARGS`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(HELIO + args, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--query", default="painel 550w monocristalino")
    args = parser.parse_args()
    cases = {
        "argument error (--mode bogus)": ["search", "x", "--mode", "bogus"],
        "empty query": ["search", "   "],
        "unknown domain": ["search", "x", "--domain", "nope"],
        "search --help": ["search", "--help"],
        f"search {args.query!r} (all domains)": ["search", args.query, "--top-k", "5"],
        f"search {args.query!r} --domain products": ["search", args.query, "--domain", "products"],
    }
    wall(["search", args.query])  # warm the page cache once: the figures are for a used machine
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.repeat} runs each")
    print(f"  {'command':<58}{'wall s':>8}{'max s':>8}{'cpu s':>8}  exit")
    for name, argv in cases.items():
        times, cpus, codes = zip(*(wall(argv) for _ in range(args.repeat)))
        print(f"  {name:<58}{statistics.median(times):>8.2f}{max(times):>8.2f}{statistics.median(cpus):>8.2f}"
              f"  {sorted(set(codes))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
