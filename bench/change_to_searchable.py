"""Change-to-searchable latency: a product updated in PostgreSQL, found with its new text.

    python bench/change_to_searchable.py [--products 300] [--embedder local|static] [--repeat 3]

Seeds a small catalog into a throwaway DAGSTER_HOME, indexes it, starts `dagster dev`
(daemon + sensors, as a user would run it), waits for the sensor to drain the seeding
backlog, then repeatedly updates one product's description and measures the time until
the KnowledgeBase returns that product with the new text. Target: under 60 s with the
catalog sensor's 20 s interval. Prints each measurement split into sensor pick-up
(change -> run created) and run time (run created -> searchable).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import isolated_home  # noqa: E402


def wait_idle(instance, quiet_seconds: float = 25, timeout: float = 600) -> None:
    """Until no run is queued or in progress and none was created for ``quiet_seconds``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = instance.get_runs(limit=20)
        busy = [r for r in runs if not r.is_finished]
        newest = max((instance.get_run_record_by_id(r.run_id).create_timestamp.timestamp() for r in runs), default=0)
        if not busy and time.time() - newest > quiet_seconds:
            return
        time.sleep(2)
    raise TimeoutError("dagster dev never went idle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with isolated_home(args.embedder) as home:
        import dagster as dg
        import sqlalchemy as sa

        from helio_pipeline.cli import _run_job, _runtime
        from helio_pipeline.demo.seed import seed
        from helio_pipeline.vectorstore import close_embedded_stores

        shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        runtime = _runtime()
        engine = runtime.engine(check_schema=False)  # seed applies the migrations itself
        seed(engine, runtime.objects(), products=args.products, conversations=40)
        assert _run_job("kb_refresh").success
        close_embedded_stores()  # the runs dagster dev launches must be able to open the store
        sku = engine.connect().execute(sa.text("SELECT sku FROM products ORDER BY id LIMIT 1")).scalar()

        port = 3300 + os.getpid() % 500
        from helio_pipeline.lib.processes import spawn  # SIGTERM stops it, whatever we ignore

        dev = spawn([str(Path(sys.executable).with_name("dagster")), "dev", "-h", "127.0.0.1", "-p", str(port)],
                               cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(home)}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            instance = dg.DagsterInstance.get()
            print("waiting for the sensors to drain the seeding backlog ...")
            wait_idle(instance)
            figures = []
            for attempt in range(args.repeat):
                marker = f"marcador{attempt}x{int(time.time())}"
                changed_at = time.time()
                with engine.begin() as conn:
                    conn.execute(sa.text("UPDATE products SET description = :d WHERE sku = :s"),
                                 {"d": f"Revisão técnica {marker}.", "s": sku})
                run_created = None
                while True:
                    time.sleep(1)
                    records = instance.get_run_records(dg.RunsFilter(tags={"helio/kb": "products"}), limit=1)
                    if not records or records[0].create_timestamp.timestamp() < changed_at:
                        continue
                    run_created = run_created or records[0].create_timestamp.timestamp()
                    if records[0].dagster_run.status == dg.DagsterRunStatus.SUCCESS:
                        break
                    if records[0].dagster_run.is_finished:
                        raise RuntimeError(f"the sensor run failed: {records[0].dagster_run.run_id}")
                kb = _runtime().knowledge_base()
                hit = kb.search(marker, domains=["products"], top_k=1, mode="sparse")
                close_embedded_stores()
                found = time.time()
                assert hit and hit[0].source_id == sku and marker in hit[0].text, "new text not searchable"
                figures.append((found - changed_at, run_created - changed_at, found - run_created))
                print(f"  change {attempt + 1}: searchable after {found - changed_at:5.1f} s "
                      f"(sensor pick-up {run_created - changed_at:4.1f} s, run {found - run_created:4.1f} s)")
                wait_idle(instance, quiet_seconds=5)
            worst = max(f[0] for f in figures)
            print(f"\nchange -> searchable: mean {sum(f[0] for f in figures) / len(figures):.1f} s, "
                  f"worst {worst:.1f} s (target < 60 s) with the {args.embedder} embedder")
        finally:
            os.killpg(dev.pid, signal.SIGTERM)
            dev.wait(timeout=30)


if __name__ == "__main__":
    main()
