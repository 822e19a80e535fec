"""Incremental indexing: full index, no-change rerun, 1 % change, 1 % deletions.

    python bench/incremental.py [--products 2000] [--embedder local|static] [--no-processes]

Seeds the demo data into a throwaway DAGSTER_HOME and runs the refresh job four times in
this process (an ephemeral Dagster instance):
1. full index (empty collections, empty embedding cache);
2. rerun with nothing changed;
3. rerun after changing the description of 1 % of the products;
4. rerun after deleting 1 % of the products.
Then the same four steps again as real ``helio refresh`` processes, as an operator or cron
runs them (process start, imports, the instance in DAGSTER_HOME and its run records
included), after emptying the store and the embedding cache.

Prints wall time, texts embedded, points written/deleted, the domains skipped as unchanged
(their input fingerprint equals the one recorded at their last verified sync: see
lib/fingerprint.py), and the ratios the README cites (targets, issue 17: the no-change rerun
embeds 0 texts in at most 5 % of the full time, in process and as `helio refresh` processes;
the 1 % change embeds about 1 % of the products domain's chunks). The 1 % change touches products only, so
texts embedded are divided both by the products domain's chunks (the honest denominator)
and by the chunks of every domain.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Stopwatch, isolated_home, run_refresh  # noqa: E402

UPDATE = ("UPDATE products SET description = description || ' Nova revisão de ficha técnica.', updated_at = now() "
          "WHERE id IN (SELECT id FROM products ORDER BY id LIMIT :k OFFSET :skip)")
DELETE = "DELETE FROM products WHERE id IN (SELECT id FROM products ORDER BY id DESC LIMIT :k OFFSET :skip)"


def cached_texts(engine) -> int:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM kb_embedding_cache")).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="2000")
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    parser.add_argument("--no-processes", action="store_true", help="skip the helio refresh processes")
    args = parser.parse_args()
    products = args.products if args.products == "all" else int(args.products)

    with isolated_home(args.embedder) as home:
        import sqlalchemy as sa

        from helio_pipeline.definitions import build_resources
        from helio_pipeline.domains import DOMAINS
        from helio_pipeline.demo.seed import seed
        from helio_pipeline.vectorstore import close_embedded_stores

        resources = build_resources()
        engine = resources["database"].engine()
        seed(engine, resources["objects"].store(), products=products)
        with engine.connect() as conn:
            n = conn.execute(sa.text("SELECT count(*) FROM products")).scalar()
        k = max(1, n // 100)
        rows, product_chunks = [], 0

        def step(label: str) -> dict:
            nonlocal product_chunks
            load = os.getloadavg()[0]
            with Stopwatch() as watch:
                result, meta = run_refresh(resources)
            assert result.success, f"{label}: the refresh failed"
            totals = {key: sum(m[key] for m in meta.values())
                      for key in ("chunks", "embedded_texts", "points_written", "deleted", "payload_updated", "cache_hits")}
            product_chunks = product_chunks or meta["products"]["chunks"]
            skipped = sum("unchanged_since" in m for m in meta.values())
            rows.append({"step": label, "seconds": watch.seconds, "load": load, "skipped": skipped, **totals})
            return totals

        full = step("full index")
        step("no-change rerun")
        with engine.begin() as conn:
            conn.execute(sa.text(UPDATE), {"k": k, "skip": 0})
        step(f"1% change ({k} products)")
        with engine.begin() as conn:
            conn.execute(sa.text(DELETE), {"k": k, "skip": 0})
        step(f"1% deletions ({k} products)")

        print(f"\nembedder: {args.embedder}; products sampled: {products}; chunks in all domains: {full['chunks']}; "
              f"in the products domain: {product_chunks}")
        print("\nin-process runs (ephemeral Dagster instance)")
        print(f"{'step':<28}{'seconds':>9}{'embedded':>10}{'written':>9}{'deleted':>9}{'payload upd':>13}"
              f"{'cache hits':>12}{'unchanged':>11}{'load':>6}")
        for r in rows:
            print(f"{r['step']:<28}{r['seconds']:>9.2f}{r['embedded_texts']:>10}{r['points_written']:>9}"
                  f"{r['deleted']:>9}{r['payload_updated']:>13}{r['cache_hits']:>12}{r['skipped']:>7} of {len(DOMAINS)}{r['load']:>6.2f}")
        base = rows[0]
        print("(unchanged: domains skipped because their inputs equal those of their last verified sync)")
        print(f"\nin-process no-change rerun time / full time: {rows[1]['seconds'] / base['seconds']:.2%} "
              f"({rows[1]['seconds']:.2f} s / {base['seconds']:.2f} s; target <= 5 %)")
        print(f"no-change rerun texts embedded: {rows[1]['embedded_texts']} (target 0)")
        print(f"1% change texts embedded: {rows[2]['embedded_texts']} = {rows[2]['embedded_texts'] / product_chunks:.2%} "
              f"of the products domain's chunks, {rows[2]['embedded_texts'] / base['chunks']:.2%} of all domains' chunks")
        print(f"1% deletions: {rows[3]['deleted']} points deleted, {rows[3]['embedded_texts']} texts embedded")
        if args.no_processes:
            return

        # the same steps as real `helio refresh` processes, from nothing again
        close_embedded_stores()
        for name in ("qdrant-edge", "qdrant"):
            shutil.rmtree(home / name, ignore_errors=True)
        with engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE kb_embedding_cache, kb_shard_builds"))
        processes = []

        def process_step(label: str) -> None:
            before, load = cached_texts(engine), os.getloadavg()[0]
            with Stopwatch() as watch:
                done = subprocess.run([sys.executable, "-m", "helio_pipeline.cli", "refresh"], env=dict(os.environ),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{label}: helio refresh failed: {done.stderr[-2000:]}")
            processes.append((label, watch.seconds, cached_texts(engine) - before, load,
                              done.stdout.count("unchanged since run")))

        process_step("full index")
        process_step("no-change rerun")
        with engine.begin() as conn:
            conn.execute(sa.text(UPDATE), {"k": k, "skip": k})  # other products than the in-process change
        process_step(f"1% change ({k} products)")
        with engine.begin() as conn:
            conn.execute(sa.text(DELETE), {"k": k, "skip": 0})
        process_step(f"1% deletions ({k} products)")
        print("\nhelio refresh processes (wall time from start to exit; texts embedded = new embedding-cache rows)")
        print(f"{'step':<28}{'seconds':>9}{'embedded':>10}{'unchanged':>11}{'load':>6}")
        for label, seconds, embedded, load, unchanged in processes:
            print(f"{label:<28}{seconds:>9.2f}{embedded:>10}{unchanged:>7} of {len(DOMAINS)}{load:>6.2f}")
        print(f"\nno-change process / full process: {processes[1][1] / processes[0][1]:.2%} "
              f"({processes[1][1]:.2f} s / {processes[0][1]:.2f} s; target <= 5 %)")


if __name__ == "__main__":
    main()
