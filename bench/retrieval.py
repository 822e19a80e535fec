"""Retrieval quality and latency per mode (dense, sparse, hybrid), single- and multi-domain.

    python bench/retrieval.py [--products 2000|all] [--embedder local|static] [--home DAGSTER_HOME]

Without --home, seeds and indexes a throwaway DAGSTER_HOME first; with --home, measures an
existing one (e.g. the demo's: --home dagster_home). Prints recall@5 and MRR on the golden
queries per domain and mode, then latency p50/p95 (ms) per mode for single-domain and
multi-domain (products+prices+rules) searches with a filter, query embedding excluded
(reported separately).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import isolated_home, run_refresh  # noqa: E402

QUESTIONS = ["painel 550w monocristalino", "Qual inversor para projeto comercial 50kWp?", "prazo de garantia de inversores",
             "CS6U-330P", "frete para Recife", "microinversor 250 W", "tabela B3 revenda", "homologação na distribuidora",
             "módulo bifacial 400 W", "inversor trifásico 380 V"]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="2000")
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    parser.add_argument("--home", help="measure an existing DAGSTER_HOME instead of building one")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.home:
        os.environ["DAGSTER_HOME"] = str(Path(args.home).resolve())
        os.environ.setdefault("HELIO_EMBEDDER", args.embedder)
    context = nullcontext() if args.home else isolated_home(args.embedder)

    with context:
        import pandas as pd

        from helio_pipeline import settings
        from helio_pipeline.cli import _runtime
        from helio_pipeline.domains import DOMAINS
        from helio_pipeline.lib.golden import evaluate, golden_queries
        from helio_pipeline.lib.records import frame_to_chunks

        resources = _runtime()
        if not args.home:
            from helio_pipeline.demo.seed import seed

            products = args.products if args.products == "all" else int(args.products)
            seed(resources["database"].engine(), resources["objects"].store(), products=products)
            assert run_refresh()[0].success
        kb = resources["knowledge_base"].knowledge_base()
        store = kb.store
        model = resources["embedder"].embedder()
        print(f"\nembedder {model.name}:{model.model}; points: "
              + ", ".join(f"{d}={store.count(DOMAINS[d].collection(kb.prefix))}" for d in DOMAINS))
        print(f"\n{'domain':<15}{'mode':<8}{'queries':>8}{'recall@5':>10}{'MRR':>7}")
        for domain in DOMAINS.values():
            chunks = frame_to_chunks(pd.read_parquet(settings.snapshots_dir() / f"{domain.name}_chunks.parquet"))
            golden = golden_queries(domain.name, chunks)
            for mode in ("dense", "sparse", "hybrid"):
                q = evaluate(store, domain.collection(kb.prefix), domain.filter_fields, golden, model, mode)
                print(f"{domain.name:<15}{mode:<8}{q['queries']:>8}{q['recall_at_5']:>10.2f}{q['mrr']:>7.2f}")

        print(f"\nlatency over {len(QUESTIONS)} questions x {args.repeat} (ms, query embedding excluded)")
        print(f"{'search':<44}{'p50':>8}{'p95':>8}")
        embed_ms = []
        cases = [("products, filtered", ["products"], {"category": "module"}),
                 ("products+prices+rules, filtered", ["products", "prices", "rules"], {"category": "inverter"})]
        for label, domains, filters in cases:
            for mode in ("dense", "sparse", "hybrid"):
                times = []
                for _ in range(args.repeat):
                    for question in QUESTIONS:
                        response = kb.query(question, domains=domains, top_k=5, filters=filters, mode=mode)
                        times.append(response.search_time_ms)
                        embed_ms.append(response.query_embedding_time_ms)
                print(f"{label + ' / ' + mode:<44}{pct(times, 0.5):>8.2f}{pct(times, 0.95):>8.2f}")
        kb._query_cache.clear()
        cold = [kb.query(q, domains=["rules"], top_k=5).query_embedding_time_ms for q in QUESTIONS]
        print(f"query embedding: cold p50 {statistics.median(cold):.1f} ms; "
              f"cached p50 {statistics.median(embed_ms):.3f} ms (LRU)")


if __name__ == "__main__":
    main()
