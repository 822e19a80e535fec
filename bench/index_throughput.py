"""Index throughput: whole-pipeline time vs pure embedding time for the same chunk texts.

    python bench/index_throughput.py [--products 2000] [--embedder local|static|openai] [--store edge|qdrant-local]
                                     [--repeat 2] [--api-latency-ms 300] [--api-dims 1536]

Seeds the demo data into a throwaway DAGSTER_HOME once, then ``--repeat`` rounds, each a full
refresh from nothing (empty store, empty embedding cache) and a pure embedding of the very
same chunk texts with a fresh bare embedder. The order alternates (pipeline first in odd
rounds, pure embedding first in even ones), so neither side always gets the warm model or
the cold caches. Prints every round and the median ratio pipeline / pure embedding (1.0 would
be zero overhead), and the store's whole share: every call the pipeline makes on the vector
store (collection and payload-index creation, reads for the plan, upserts, deletes,
optimize, metadata, the golden queries' searches), timed around the store's methods.

``--embedder openai`` is production's setup: the openai client against a hosted embedding
API, here ``bench/api_server.py`` on loopback (vectors computed in its own process, every
request answered after ``--api-latency-ms``; text-embedding-3-small, ``--api-dims``). The
pure embedding is the same embedder called as the pipeline calls it (``batch_size`` texts a
call, each call spread over concurrent requests), so the ratio shows what the pipeline adds
to the time a run waits on the API.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import isolated_home, run_refresh  # noqa: E402


class Stopwatch:
    """Wall seconds and this process's CPU seconds (all its threads): on a shared machine the
    CPU figure moves far less with other people's load than the wall figure."""

    def __enter__(self):
        self.started, self.cpu_started = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.cpu = time.process_time() - self.cpu_started

STORE_METHODS = ("exists", "ensure_collection", "metadata", "update_metadata", "vector_size", "distance", "resolve",
                 "point_alias", "physical_collections", "drop", "count", "read_index", "upsert", "set_payload",
                 "delete", "retrieve", "dense_vectors", "query", "optimize", "load_all")


class StoreClock:
    """Seconds spent inside the store's public methods (outermost calls only, any thread)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._depth = threading.local()

    def wrap(self, cls) -> None:
        for name in STORE_METHODS:
            method = cls.__dict__.get(name)
            if method is not None and callable(method):
                setattr(cls, name, self._timed(name, method))

    def _timed(self, name, method):
        clock = self

        @functools.wraps(method)
        def timed(*args, **kwargs):
            depth = getattr(clock._depth, "n", 0)
            clock._depth.n = depth + 1
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                clock._depth.n = depth
                if depth == 0:
                    clock.seconds[name] = clock.seconds.get(name, 0.0) + time.perf_counter() - started

        return timed

    def total(self) -> float:
        return sum(self.seconds.values())


def reset(home: Path, engine) -> None:
    """Back to nothing indexed: no collections, an empty embedding cache."""
    import sqlalchemy as sa

    from helio_pipeline.vectorstore import close_embedded_stores

    close_embedded_stores()
    for name in ("qdrant-edge", "qdrant"):
        shutil.rmtree(home / name, ignore_errors=True)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE kb_embedding_cache, kb_shard_builds"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="2000")
    parser.add_argument("--conversations", type=int, default=320)
    parser.add_argument("--embedder", default="local", choices=["local", "static", "openai"])
    parser.add_argument("--store", default="edge", choices=["edge", "qdrant-local"], help="embedded store backend")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--api-latency-ms", type=float, default=300.0, help="--embedder openai: per request")
    parser.add_argument("--api-dims", type=int, default=1536, help="--embedder openai: vector size")
    args = parser.parse_args()

    os.environ["HELIO_EMBEDDED_STORE"] = args.store
    products = args.products if args.products == "all" else int(args.products)
    api = None
    if args.embedder == "openai":
        from bench import api_server

        api, url = api_server.start(args.api_latency_ms, args.api_dims)
        os.environ.update(OPENAI_BASE_URL=url, OPENAI_API_KEY="sk-bench-loopback",
                          HELIO_EMBEDDING_MODEL="text-embedding-3-small",
                          HELIO_EMBEDDING_DIMENSIONS=str(args.api_dims))
    try:
        run_bench(args, products)
    finally:
        if api is not None:
            api_server.stop(api)


def run_bench(args, products) -> None:
    with isolated_home(args.embedder) as home:
        import pandas as pd

        from helio_pipeline import settings
        from helio_pipeline.definitions import build_resources
        from helio_pipeline.demo.seed import seed
        from helio_pipeline.domains import DOMAINS
        from helio_pipeline.runtime import embedder_spec
        from helio_pipeline.vectorstore import open_store

        resources = build_resources()
        engine = resources["database"].engine()
        with Stopwatch() as seeding:
            seed(engine, resources["objects"].store(), products=products, conversations=args.conversations)
        clock = StoreClock()
        probe = open_store(path=home / "probe", embedded=args.store)  # the backend's class, to time its methods
        clock.wrap(type(probe))
        probe.close()

        def pipeline_round() -> tuple[Stopwatch, dict, float]:
            reset(home, engine)
            clock.seconds.clear()
            with Stopwatch() as watch:
                result, meta = run_refresh(build_resources())
            assert result.success, "the refresh failed"
            return watch, meta, clock.total()

        def chunk_texts() -> list[str]:
            texts = []
            for domain in DOMAINS:
                frame = pd.read_parquet(home / "snapshots" / f"{domain}_chunks.parquet")
                # what the pipeline embeds: the vector text where a chunk has one, else its text
                texts += [e if isinstance(e, str) else t for t, e in zip(frame["text"], frame["embed_text"])]
            return texts

        def pure_round(texts: list[str]) -> Stopwatch:
            embedder = embedder_spec(settings.load()).build()  # a fresh embedder each round, like a fresh run
            with Stopwatch() as watch:
                for start in range(0, len(texts), embedder.batch_size):
                    embedder.embed_documents(texts[start : start + embedder.batch_size])
            return watch

        rounds, texts = [], None
        for n in range(args.repeat):
            load = os.getloadavg()[0]
            if n % 2 == 0:
                seconds, meta, store_seconds = pipeline_round()
                texts = chunk_texts()
                pure = pure_round(texts)
            else:
                pure = pure_round(texts)
                seconds, meta, store_seconds = pipeline_round()
            rounds.append({"order": "pipeline first" if n % 2 == 0 else "embedding first",
                           "pipeline": seconds.seconds, "pure": pure.seconds, "pipeline_cpu": seconds.cpu,
                           "pure_cpu": pure.cpu, "store": store_seconds, "meta": meta, "load": load,
                           "by_method": dict(clock.seconds)})

        embedder = embedder_spec(settings.load()).build()
        meta = rounds[-1]["meta"]
        print(f"\nembedder: {embedder.name} {embedder.model} ({embedder.dimensions}-d); store: {args.store}")
        print(f"products sampled: {products}; seeding took {seeding.seconds:.1f} s; chunk texts: {len(texts)} "
              f"(embedded by the pipeline: {sum(m['embedded_texts'] for m in meta.values())})")
        print(f"{'domain':<15}{'chunks':>8}{'embedded':>10}{'embed s':>9}{'upsert s':>10}{'optim s':>9}{'total s':>9}"
              "   (last round)")
        for domain, m in meta.items():
            print(f"{domain:<15}{m['chunks']:>8}{m['embedded_texts']:>10}{m['embedding_seconds']:>9.2f}"
                  f"{m['upsert_seconds']:>10.2f}{m.get('optimize_seconds', 0):>9.2f}{m['total_seconds']:>9.2f}")
        print(f"\n{'round':<7}{'order':<17}{'pipeline s':>11}{'pure s':>8}{'ratio':>7}{'cpu s':>7}{'pure cpu':>9}"
              f"{'cpu ratio':>10}{'store s':>9}{'store %':>9}{'upsert %':>9}{'load':>6}")
        for n, r in enumerate(rounds, 1):
            upsert = sum(m["upsert_seconds"] for m in r["meta"].values())
            print(f"{n:<7}{r['order']:<17}{r['pipeline']:>11.2f}{r['pure']:>8.2f}{r['pipeline'] / r['pure']:>7.2f}"
                  f"{r['pipeline_cpu']:>7.2f}{r['pure_cpu']:>9.2f}{r['pipeline_cpu'] / r['pure_cpu']:>10.2f}{r['store']:>9.2f}{r['store'] / r['pipeline']:>9.1%}{upsert / r['pipeline']:>9.1%}{r['load']:>6.2f}")
        ratio = statistics.median(r["pipeline"] / r["pure"] for r in rounds)
        print(f"\nmedian ratio pipeline / pure embedding over {len(rounds)} rounds: {ratio:.2f} "
              f"(pure embedding {len(texts) / statistics.median(r['pure'] for r in rounds):.0f} texts/s); "
              f"in CPU seconds of this process: {statistics.median(r['pipeline_cpu'] / r['pure_cpu'] for r in rounds):.2f}")
        print(f"store's whole share (median): {statistics.median(r['store'] / r['pipeline'] for r in rounds):.1%} "
              "(the printed upsert share leaves out creation, optimize, reads and searches)")
        last = rounds[-1]["by_method"]
        print("store seconds by method (last round): "
              + ", ".join(f"{k} {v:.2f}" for k, v in sorted(last.items(), key=lambda kv: -kv[1]) if v >= 0.01))


if __name__ == "__main__":
    main()
