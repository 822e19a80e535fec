"""Incremental indexing: full index, no-change rerun, 1 % change, 1 % deletions.

    python bench/incremental.py [--products 2000] [--embedder local|static]

Seeds the demo data into a throwaway DAGSTER_HOME and runs the refresh job four times:
1. full index (empty collections, empty embedding cache);
2. rerun with nothing changed;
3. rerun after changing the description of 1 % of the products;
4. rerun after deleting 1 % of the products.
Prints wall time, texts embedded, points written/deleted, and the ratios the README cites
(targets: the no-change rerun embeds 0 texts in under 5 % of the full time; the 1 % change
embeds at most 1.1 % of the chunks).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Stopwatch, isolated_home, run_refresh  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="2000")
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    args = parser.parse_args()
    products = args.products if args.products == "all" else int(args.products)

    with isolated_home(args.embedder):
        import sqlalchemy as sa

        from helio_pipeline.definitions import build_resources
        from helio_pipeline.demo.seed import seed

        resources = build_resources()
        engine = resources["database"].engine()
        seed(engine, resources["objects"].store(), products=products)
        rows = []

        def step(label: str) -> dict:
            with Stopwatch() as watch:
                result, meta = run_refresh(resources)
            assert result.success, f"{label}: the refresh failed"
            totals = {k: sum(m[k] for m in meta.values())
                      for k in ("chunks", "embedded_texts", "points_written", "deleted", "payload_updated", "cache_hits")}
            rows.append({"step": label, "seconds": watch.seconds, **totals})
            return totals

        full = step("full index")
        step("no-change rerun")
        with engine.begin() as conn:
            n = conn.execute(sa.text("SELECT count(*) FROM products")).scalar()
            k = max(1, n // 100)
            conn.execute(sa.text("UPDATE products SET description = description || ' Nova revisão de ficha técnica.', "
                                 "updated_at = now() WHERE id IN (SELECT id FROM products ORDER BY id LIMIT :k)"), {"k": k})
        step(f"1% change ({k} products)")
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM products WHERE id IN (SELECT id FROM products ORDER BY id DESC LIMIT :k)"),
                         {"k": k})
        step(f"1% deletions ({k} products)")

        print(f"\nembedder: {args.embedder}; products sampled: {products}; chunks in all KBs: {full['chunks']}")
        print(f"{'step':<28}{'seconds':>9}{'embedded':>10}{'written':>9}{'deleted':>9}{'payload upd':>13}{'cache hits':>12}")
        for r in rows:
            print(f"{r['step']:<28}{r['seconds']:>9.2f}{r['embedded_texts']:>10}{r['points_written']:>9}"
                  f"{r['deleted']:>9}{r['payload_updated']:>13}{r['cache_hits']:>12}")
        base = rows[0]
        print(f"\nno-change rerun time / full time: {rows[1]['seconds'] / base['seconds']:.2%} (target < 5 %)")
        print(f"no-change rerun texts embedded: {rows[1]['embedded_texts']} (target 0)")
        print(f"1% change texts embedded / chunks: {rows[2]['embedded_texts'] / base['chunks']:.2%} (target <= 1.1 %)")
        print(f"1% deletions: {rows[3]['deleted']} points deleted, {rows[3]['embedded_texts']} texts embedded")


if __name__ == "__main__":
    main()
