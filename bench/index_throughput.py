"""Index throughput: whole-pipeline time vs pure embedding time for the same chunk texts.

    python bench/index_throughput.py [--products 2000] [--embedder local|static] [--store edge|qdrant-local]

Seeds the demo data into a throwaway DAGSTER_HOME, runs the full refresh once (empty cache,
empty collections), then embeds the very same chunk texts with the bare embedder. Prints
counts, seconds and the ratio pipeline / embedding (1.0 would mean zero overhead).
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
    parser.add_argument("--conversations", type=int, default=320)
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    parser.add_argument("--store", default="edge", choices=["edge", "qdrant-local"], help="embedded store backend")
    args = parser.parse_args()
    import os

    os.environ["HELIO_EMBEDDED_STORE"] = args.store
    products = args.products if args.products == "all" else int(args.products)

    with isolated_home(args.embedder) as home:
        import pandas as pd

        from helio_pipeline.definitions import build_resources
        from helio_pipeline.demo.seed import seed
        from helio_pipeline.lib.embedding import EmbedderSpec

        resources = build_resources()
        with Stopwatch() as seeding:
            seed(resources["database"].engine(), resources["objects"].store(), products=products,
                 conversations=args.conversations)
        with Stopwatch() as pipeline:
            result, meta = run_refresh(resources)
        assert result.success, "the refresh failed"

        texts = []
        from helio_pipeline.domains import DOMAINS

        for domain in DOMAINS:
            frame = pd.read_parquet(home / "snapshots" / f"{domain}_chunks.parquet")
            # what the pipeline embeds: the vector text where a chunk has one, else its text
            texts += [e if isinstance(e, str) else t for t, e in zip(frame["text"], frame["embed_text"])]
        embedder = EmbedderSpec(args.embedder).build()
        with Stopwatch() as pure:
            for start in range(0, len(texts), embedder.batch_size):
                embedder.embed_documents(texts[start : start + embedder.batch_size])

        embedded = sum(m["embedded_texts"] for m in meta.values())
        upsert = sum(m["upsert_seconds"] for m in meta.values())
        embed_in_pipeline = sum(m["embedding_seconds"] for m in meta.values())
        print(f"\nembedder: {embedder.name} {embedder.model} ({embedder.dimensions}-d); store: {args.store}")
        print(f"products sampled: {products}; seeding took {seeding.seconds:.1f} s")
        print(f"{'domain':<15}{'chunks':>8}{'embedded':>10}{'embed s':>9}{'upsert s':>10}{'total s':>9}")
        for domain, m in meta.items():
            print(f"{domain:<15}{m['chunks']:>8}{m['embedded_texts']:>10}{m['embedding_seconds']:>9.2f}"
                  f"{m['upsert_seconds']:>10.2f}{m['total_seconds']:>9.2f}")
        print(f"\nchunk texts: {len(texts)} (embedded by the pipeline: {embedded})")
        print(f"pure embedding of the same texts: {pure.seconds:.2f} s ({len(texts) / pure.seconds:.0f} texts/s)")
        print(f"whole pipeline (extract+chunk+embed+cache+upsert+checks): {pipeline.seconds:.2f} s")
        print(f"ratio pipeline / pure embedding: {pipeline.seconds / pure.seconds:.2f}")
        print(f"upsert share of the pipeline: {upsert / pipeline.seconds:.1%}; "
              f"embedding share: {embed_in_pipeline / pipeline.seconds:.1%}")


if __name__ == "__main__":
    main()
