"""Retrieval quality and latency per mode (dense, sparse, hybrid), single- and multi-domain,
for each embedded store backend side by side (qdrant-edge, the default; qdrant-client's
local mode).

    python bench/retrieval.py [--products 2000|all] [--embedder local|static] [--home DAGSTER_HOME]
                              [--backends edge,qdrant-local] [--samples 500]

Without --home, seeds and indexes a throwaway DAGSTER_HOME first (the second backend is
filled from the embedding cache); with --home, measures an existing one (e.g. the demo's).
Prints recall@5 and MRR on the golden queries per domain and mode, then latency p50/p95
(ms) per mode for a filtered single-domain and a filtered multi-domain search, query
embedding excluded (reported separately), each over ``--samples`` searches (the questions
repeated; at least 500 give a stable p95), with the sample count printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import isolated_home, pct, run_refresh  # noqa: E402

QUESTIONS = ["painel 550w monocristalino", "Qual inversor para projeto comercial 50kWp?", "prazo de garantia de inversores",
             "CS6U-330P", "frete para Recife", "microinversor 250 W", "tabela B3 revenda", "homologação na distribuidora",
             "módulo bifacial 400 W", "inversor trifásico 380 V"]
CASES = [("products, filtered", ["products"], {"category": "module"}),
         ("products+prices+rules, filtered", ["products", "prices", "rules"], {"category": "inverter"})]


def measure(samples: int) -> None:
    import pandas as pd

    from helio_pipeline import settings
    from helio_pipeline.cli import _runtime
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.golden import evaluate, golden_set
    from helio_pipeline.lib.records import frame_to_chunks

    runtime = _runtime()
    kb = runtime.knowledge_base()
    model = runtime.embedder()
    repeat = max(1, -(-samples // len(QUESTIONS)))
    print(f"embedder {model.name}:{model.model}; points: "
          + ", ".join(f"{d}={kb.store.count(DOMAINS[d].collection(kb.prefix))}" for d in DOMAINS))
    print(f"\n{'domain':<15}{'mode':<8}{'queries':>8}{'recall@5':>10}{'MRR':>7}")
    for domain in DOMAINS.values():
        chunks = frame_to_chunks(pd.read_parquet(settings.snapshots_dir() / f"{domain.name}_chunks.parquet"))
        golden = golden_set(domain, chunks, runtime.engine(check_schema=False)).queries
        for mode in ("dense", "sparse", "hybrid"):
            q = evaluate(kb.store, domain.collection(kb.prefix), domain.filter_fields, golden, model, mode)
            print(f"{domain.name:<15}{mode:<8}{q['queries']:>8}{q['recall_at_5']:>10.2f}{q['mrr']:>7.2f}")

    print(f"\nlatency over {len(QUESTIONS)} questions x {repeat} = {len(QUESTIONS) * repeat} samples per row "
          f"(ms, query embedding excluded; load average {os.getloadavg()[0]:.2f})")
    print(f"{'search':<44}{'p50':>8}{'p95':>8}{'samples':>9}")
    cached_embedding_ms = []
    for label, domains, filters in CASES:
        for mode in ("dense", "sparse", "hybrid"):
            times = []
            for _ in range(repeat):
                for question in QUESTIONS:
                    response = kb.query(question, domains=domains, top_k=5, filters=filters, mode=mode)
                    times.append(response.search_time_ms)
                    cached_embedding_ms.append(response.query_embedding_time_ms)
            print(f"{label + ' / ' + mode:<44}{pct(times, 0.5):>8.2f}{pct(times, 0.95):>8.2f}{len(times):>9}")
    # understanding the question (lib/understanding.py) and ranking by it (lib/spec_search.py):
    # the parse per domain, and the whole search with it on against off
    print(f"\n{'understanding (products+prices, hybrid)':<44}{'p50':>8}{'p95':>8}")
    parse, on, off = [], [], []
    for _ in range(repeat):
        for question in QUESTIONS:
            response = kb.query(question, domains=["products", "prices"], top_k=5)
            parse.append(response.understanding_time_ms)
            on.append(response.search_time_ms + response.understanding_time_ms)
            off.append(kb.query(question, domains=["products", "prices"], top_k=5, understand=False).search_time_ms)
    print(f"{'parse (both domains)':<44}{pct(parse, 0.5):>8.3f}{pct(parse, 0.95):>8.3f}")
    print(f"{'search with understanding':<44}{pct(on, 0.5):>8.2f}{pct(on, 0.95):>8.2f}")
    print(f"{'search without':<44}{pct(off, 0.5):>8.2f}{pct(off, 0.95):>8.2f}")
    print(f"added p50 {pct(on, 0.5) - pct(off, 0.5):.2f} ms")
    kb._query_cache.clear()
    cold = [kb.query(q, domains=["rules"], top_k=5).query_embedding_time_ms for q in QUESTIONS]
    print(f"query embedding: cold p50 {statistics.median(cold):.1f} ms; "
          f"cached p50 {statistics.median(cached_embedding_ms):.3f} ms (LRU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="2000")
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    parser.add_argument("--home", help="measure an existing DAGSTER_HOME instead of building one")
    parser.add_argument("--backends", default="edge,qdrant-local")
    parser.add_argument("--samples", type=int, default=500, help="searches per latency row (>= 500 for a stable p95)")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if args.home:
        os.environ["DAGSTER_HOME"] = str(Path(args.home).resolve())
        os.environ.setdefault("HELIO_EMBEDDER", args.embedder)

    from helio_pipeline.vectorstore import close_embedded_stores

    with nullcontext() if args.home else isolated_home(args.embedder):
        if not args.home:
            from helio_pipeline.cli import _runtime
            from helio_pipeline.demo.seed import seed

            runtime = _runtime()
            products = args.products if args.products == "all" else int(args.products)
            seed(runtime.engine(check_schema=False), runtime.objects(), products=products)
            runtime.close()
            for backend in backends:  # the second build is all embedding-cache hits
                os.environ["HELIO_EMBEDDED_STORE"] = backend
                assert run_refresh()[0].success, f"indexing into {backend} failed"
                close_embedded_stores()
        for backend in backends:
            os.environ["HELIO_EMBEDDED_STORE"] = backend
            print(f"\n===== embedded store: {backend} =====")
            measure(args.samples)
            close_embedded_stores()


if __name__ == "__main__":
    main()
