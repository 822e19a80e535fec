"""Serving while indexing on the embedded store: ``helio serve`` under a steady query load while
a full rebuild and a sensor-style sync run in other processes.

    python bench/serve_while_indexing.py [--products 300] [--embedder local|static] [--clients 4]
                                         [--timeout 600]

Seeds and indexes a throwaway DAGSTER_HOME (embedded PostgreSQL, the embedded Qdrant Edge
store), starts ``helio serve`` on 127.0.0.1 and keeps ``--clients`` httpx clients asking
product questions (over all domains). Then, as separate processes:

1. ``helio rebuild products --force``: the live collection set aside, every product re-indexed
   (vectors from the embedding cache) into a new collection, verified and promoted;
2. once the rebuild's run is writing: one product's description changed in PostgreSQL and
   ``helio refresh products --source-id SKU`` (what the catalog sensor's run does), which
   queues behind the rebuild's run (one run per domain, one writer at a time) and then syncs
   that product into the collection the rebuild promoted.

Prints queries, failed queries (non-200 or a transport error), empty answers, latency
p50/p95/p99/max over the whole load and over the indexing window, each run's exit status and
duration, and how long after the sync ended ``helio serve`` returned the new text. Bounded by
``--timeout``; loopback only; every process it starts is stopped (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import isolated_home, pct, run_refresh, serve, start_helio, stop_helio  # noqa: E402

QUESTIONS = ["painel solar 550 W monocristalino", "inversor trifásico 50 kW", "microinversor", "módulo bifacial",
             "inversor híbrido com bateria", "garantia de inversores", "frete para o Nordeste", "string box"]


class Load:
    """``clients`` concurrent clients on a thread of their own, each answer recorded as
    (time it ended, latency ms, failed, empty)."""

    def __init__(self, url: str, clients: int):
        self.url, self.clients = url, clients
        self.records: list[tuple[float, float, bool, bool]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        import httpx

        async def client(http, n):
            while not self._stop.is_set():
                question = QUESTIONS[n % len(QUESTIONS)]
                n += self.clients
                started = time.perf_counter()
                try:
                    response = await http.get("/search", params={"q": question, "top_k": 5})
                    failed = response.status_code != 200
                    empty = not failed and not response.json()["hits"]
                    if failed:
                        self.errors.append(f"{response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as exc:
                    failed, empty = True, False
                    self.errors.append(repr(exc))
                self.records.append((time.time(), (time.perf_counter() - started) * 1000, failed, empty))

        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.url, timeout=30, limits=limits) as http:
            await asyncio.gather(*(client(http, n) for n in range(self.clients)))

    def __enter__(self) -> "Load":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(60)


def figures(label: str, records: list) -> None:
    latencies = [r[1] for r in records]
    print(f"  {label:<22}{len(records):>8}{sum(r[2] for r in records):>8}{sum(r[3] for r in records):>7}"
          f"{sum(r[1] > 1000 for r in records):>7}"
          f"{pct(latencies, .5):>9.1f}{pct(latencies, .95):>9.1f}{pct(latencies, .99):>9.1f}"
          f"{max(latencies, default=float('nan')):>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=600, help="the most the runs may take, in seconds")
    args = parser.parse_args()

    with isolated_home(args.embedder) as home:
        import httpx
        import sqlalchemy as sa

        from helio_pipeline.cli import _runtime
        from helio_pipeline.demo.seed import seed
        from helio_pipeline.vectorstore import close_embedded_stores

        runtime = _runtime()
        engine = runtime.engine(check_schema=False)
        seed(engine, runtime.objects(), products=args.products, conversations=40)
        started = time.perf_counter()
        assert run_refresh()[0].success, "indexing failed"
        close_embedded_stores()
        print(f"indexed {args.products} products ({args.embedder} embedder) in {time.perf_counter() - started:.0f} s")
        sku = engine.connect().execute(sa.text("SELECT sku FROM products ORDER BY id LIMIT 1")).scalar()
        logs = Path(tempfile.mkdtemp(prefix="helio-bench-logs-", dir=home))

        server = rebuild = sync = None
        try:
            server, url = serve(log=logs / "serve.log")
            with Load(url, args.clients) as load:
                time.sleep(3)  # steady state before any run
                began = time.time()
                rebuild = start_helio(["rebuild", "products", "--force"], logs / "rebuild.log")
                while "products_index" not in (logs / "rebuild.log").read_text() and rebuild.poll() is None:
                    time.sleep(0.05)  # until the rebuild's run holds the domain and writes
                marker = f"revisao{int(time.time())}"
                with engine.begin() as conn:
                    conn.execute(sa.text("UPDATE products SET description = :d WHERE sku = :s"),
                                 {"d": f"Revisão técnica {marker}.", "s": sku})
                sync_started = time.time()
                sync = start_helio(["refresh", "products", "--source-id", sku], logs / "sync.log")
                ended = {}
                deadline = time.monotonic() + args.timeout
                while len(ended) < 2 and time.monotonic() < deadline:
                    for name, process in (("rebuild", rebuild), ("sync", sync)):
                        if name not in ended and process.poll() is not None:
                            ended[name] = time.time()
                    time.sleep(0.1)
                indexing_end = max(ended.values(), default=time.time())
                visible = None
                deadline = time.monotonic() + 30
                while visible is None and time.monotonic() < deadline and "sync" in ended:
                    body = httpx.get(f"{url}/search", params={"q": marker, "domain": "products", "mode": "sparse",
                                                             "top_k": 1}, timeout=30).json()
                    if body["hits"] and marker in body["hits"][0]["text"]:
                        visible = time.time() - ended["sync"]
                    else:
                        time.sleep(0.1)
                time.sleep(2)
        finally:
            for process in (sync, rebuild, server):
                stop_helio(process)
            close_embedded_stores()
            runtime.close()

        during = [r for r in load.records if began <= r[0] <= indexing_end]
        print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"({os.cpu_count()} CPUs): latencies depend on what else the machine runs")
        print(f"query load: {args.clients} clients, {len(load.records)} queries in "
              f"{load.records[-1][0] - load.records[0][0]:.0f} s; indexing window {indexing_end - began:.1f} s")
        print(f"  {'':<22}{'queries':>8}{'failed':>8}{'empty':>7}{'> 1 s':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        figures("whole load", load.records)
        figures("while indexing", during)
        for key, name, process, at in (("rebuild", "rebuild products --force", rebuild, began),
                                       ("sync", "refresh products --source-id", sync, sync_started)):
            took = ended.get(key)
            status = f"exit {process.returncode}, {took - at:.1f} s" if took else "still running at the timeout"
            print(f"  {name:<30} {status}")
        print("  the synced product's new text: " + (f"served {visible:.1f} s after the sync ended" if visible is not None
                                                    else "NOT served within 30 s"))
        for line in load.errors[:5]:
            print(f"  failed: {line}")
        for name in ("rebuild", "sync"):
            text = (logs / f"{name}.log").read_text()
            if "Traceback" in text or (name in ended and (rebuild if name == "rebuild" else sync).returncode):
                print(f"\n--- {name} log (tail) ---\n{text[-2000:]}")


if __name__ == "__main__":
    main()
