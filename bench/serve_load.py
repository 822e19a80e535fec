"""Queries under load: ``helio serve`` with the local model, concurrent HTTP clients on loopback.

    python bench/serve_load.py [--products 300] [--home DAGSTER_HOME] [--clients 1,4,16]
                               [--seconds 6] [--batch 1,32] [--wait-ms 0]

Seeds and indexes a throwaway DAGSTER_HOME (or uses ``--home``, e.g. the demo's), then for
each ``HELIO_QUERY_BATCH`` value (1: one model call per query, as before micro-batching;
32: concurrent queries share one call) starts ``helio serve`` on 127.0.0.1 in a subprocess
and runs 1, 4 and 16 httpx clients for ``--seconds`` each. Every request asks a different
question (the server's query-embedding cache never answers), over the default domains.

Prints per server and client count: requests/s, client latency p50/p95/p99, and from the
responses the server's query-embedding and search time (search time is the vector store's
part, embedding excluded) p50/p95. Bounded: at most len(batch) x len(clients) x seconds of
load, loopback only. Figures depend on the machine's load: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import isolated_home, pct, run_refresh, serve, stop_helio  # noqa: E402

SUBJECTS = ["painel solar", "módulo fotovoltaico", "inversor trifásico", "microinversor", "inversor híbrido",
            "módulo bifacial", "string box", "inversor monofásico"]
DETAILS = ["monocristalino", "para telhado", "com garantia de 10 anos", "preço revenda", "frete para Recife",
           "homologação", "380 V", "220 V", "em estoque", "tier 1"]


def questions():
    """An endless stream of distinct questions."""
    for n in itertools.count():
        subject = SUBJECTS[n % len(SUBJECTS)]
        detail = DETAILS[(n // len(SUBJECTS)) % len(DETAILS)]
        yield f"{subject} {300 + n % 997} W {detail} {n}"


async def load(url: str, clients: int, seconds: float, stream) -> dict:
    import httpx

    latencies, embedding, search, errors = [], [], [], 0
    deadline = time.perf_counter() + seconds

    async def client(http):
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await http.get("/search", params={"q": next(stream), "top_k": 5})
            if response.status_code != 200:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            body = response.json()
            embedding.append(body["query_embedding_time_ms"])
            search.append(body["search_time_ms"])

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed, "latency": latencies,
            "embedding": embedding, "search": search}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--home", help="serve an existing, indexed DAGSTER_HOME instead of building one")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--batch", default="1,32", help="HELIO_QUERY_BATCH values to compare (1 = off)")
    parser.add_argument("--wait-ms", type=float, default=0.0, help="HELIO_QUERY_BATCH_WAIT_MS")
    args = parser.parse_args()
    if args.home:
        os.environ["DAGSTER_HOME"] = str(Path(args.home).resolve())
    os.environ["HELIO_EMBEDDER"] = "local"

    with nullcontext() if args.home else isolated_home("local"):
        if not args.home:
            from helio_pipeline.cli import _runtime
            from helio_pipeline.demo.seed import seed
            from helio_pipeline.vectorstore import close_embedded_stores

            runtime = _runtime()
            seed(runtime.engine(check_schema=False), runtime.objects(), products=args.products, conversations=40)
            runtime.close()
            started = time.perf_counter()
            assert run_refresh()[0].success, "indexing failed"
            close_embedded_stores()  # helio serve opens the store: one process at a time
            print(f"indexed {args.products} products in {time.perf_counter() - started:.0f} s")
        stream = questions()
        print(f"\nload average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'batch':>5}{'clients':>8}{'req':>6}{'err':>5}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
              f"{'embed p50':>10}{'embed p95':>10}{'search p50':>11}{'search p95':>11}{'load':>6}")
        for batch in (int(b) for b in args.batch.split(",")):
            server, url = serve({"HELIO_QUERY_BATCH": str(batch), "HELIO_QUERY_BATCH_WAIT_MS": str(args.wait_ms)})
            try:
                asyncio.run(load(url, 1, 1.0, stream))  # the model is loaded and warm
                for clients in (int(c) for c in args.clients.split(",")):
                    r = asyncio.run(load(url, clients, args.seconds, stream))
                    print(f"{batch:>5}{clients:>8}{r['requests']:>6}{r['errors']:>5}{r['rps']:>8.1f}"
                          f"{pct(r['latency'], .5):>8.1f}{pct(r['latency'], .95):>8.1f}{pct(r['latency'], .99):>8.1f}"
                          f"{pct(r['embedding'], .5):>10.1f}{pct(r['embedding'], .95):>10.1f}"
                          f"{pct(r['search'], .5):>11.2f}{pct(r['search'], .95):>11.2f}{os.getloadavg()[0]:>6.2f}",
                          flush=True)
            finally:
                stop_helio(server)


if __name__ == "__main__":
    main()
