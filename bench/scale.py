"""Memory and throughput at scale: 1,000,000 conversation messages plus the full catalog.

    python bench/scale.py [--messages 1000000] [--shards 16] [--products all] [--keep DIR] [--profile DIR]

In a throwaway DAGSTER_HOME (embedded PostgreSQL, file:// object store, embedded Qdrant
Edge store) it
1. seeds the whole CEC catalog (products, prices, rules) and streams ``--messages``
   generated pt-BR conversation messages into ``conversation_history`` with COPY
   (conversations of the demo generator, replicated under new owners and ids, each made
   unique so nothing is served from the embedding cache);
2. materializes the same assets the nightly schedules run, with the fast static embedder
   (HELIO_EMBEDDER=static): one ``kb_refresh`` run for products, prices and rules, then one
   run per hash shard of conversations (HELIO_SHARDS=conversations=<shards>). Each run is
   its own process, as a run launched by Dagster is, executing its steps in-process. A
   shard run reads only its shard from PostgreSQL (the shard is computed in SQL) and only
   its shard's points from the store, so what one process holds is one shard's messages,
   chunks and vectors; embeddings and upserts go in batches of 256;
3. runs the next night with nothing changed as the daemon would: the nightly schedules'
   tick (in its own process: it loads the definitions, then checks every domain and shard)
   and the runs it requests; then a forced pass of prices, which the first night of each
   day runs (prices keep the rows valid today);
4. embeds the very same chunk texts with the bare embedder.

It prints the peak RSS of every run process (and the largest), texts per second, the ratio
pipeline time / pure embedding time, the non-embedding cost per chunk and the no-change
nightly. PostgreSQL runs as its own process and is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Stopwatch, isolated_home  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def stream_messages(engine, products: list[dict], target: int, batch: int = 20_000) -> int:
    """COPY ``target`` messages into conversation_history, built from a pool of generated
    conversations; returns the number written. Memory stays at one batch of rows."""
    from helio_pipeline.demo.conversations import generate_conversations

    pool = generate_conversations(products, n=400, seed=7)
    written, copy_no = 0, 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy("COPY conversation_history (correlation_id, owner_id, role, content, metadata, created_at) "
                         "FROM STDIN") as copy:
            while written < target:
                for conv in pool:
                    copy_no += 1
                    owner = f"cliente-{copy_no % 20_000:05d}"
                    correlation = f"scale-{copy_no:07d}"
                    shift = timedelta(minutes=copy_no)
                    for n, message in enumerate(conv["messages"]):
                        content = message["content"]
                        if message["role"] == "user":  # every window unique: no embedding is reused
                            content = f"{content} (protocolo {copy_no}.{n})"
                        copy.write_row((correlation, owner, message["role"], content,
                                        json.dumps(message.get("metadata", {}), ensure_ascii=False),
                                        message["created_at"] + shift))
                        written += 1
                        if written >= target:
                            break
                    if written >= target:
                        break
                    if written % batch < len(conv["messages"]):
                        print(f"      {written:,} messages", end="\r", flush=True)
        raw.commit()
    finally:
        raw.close()
    return written


def catalog_job():
    from helio_pipeline.definitions import build_definitions

    return build_definitions().resolve_job_def("kb_refresh")


def conversations_job():
    from helio_pipeline.definitions import build_definitions

    return build_definitions().resolve_job_def("conversations_refresh")


def prices_job():
    from helio_pipeline.definitions import build_definitions

    return build_definitions().resolve_job_def("prices_refresh")


def run_job(job_name: str, partition: str | None, assets: str | None = None, full: bool = False) -> None:
    """The child process: execute one run like a launched run does (``execute_in_process``
    would also keep every step's output in memory for its caller), print its index metadata.
    ``assets``: the run's asset selection (comma-separated keys), as a schedule requested it."""
    import dagster as dg

    job_fn = {"kb_refresh": catalog_job, "conversations_refresh": conversations_job, "prices_refresh": prices_job}[job_name]
    tags = {"dagster/partition": partition} if partition else None
    selection = [dg.AssetKey(key) for key in assets.split(",")] if assets else None
    config = {"ops": {"prices_index": {"config": {"full": True}}}} if full else None
    profile = os.environ.get("HELIO_BENCH_PROFILE_DIR")  # --profile DIR: one cProfile file per run process
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with dg.DagsterInstance.get() as instance, dg.execute_job(dg.reconstructable(job_fn), instance, tags=tags,
                                                              asset_selection=selection, run_config=config) as result:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(Path(profile) / f"{job_name}-{partition or 'all'}-{time.time_ns()}.prof")
        assert result.success, f"{job_name} {partition or ''} failed"
        metadata = {}
        for event in result.all_events:
            if event.is_step_materialization:
                mat = event.step_materialization_data.materialization
                name = mat.asset_key.to_user_string()
                if name.endswith("_index"):
                    metadata[name[: -len("_index")]] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    print("METADATA " + json.dumps(metadata, default=str))


def evaluate_schedules(names: str) -> None:
    """The child process: evaluate the nightly schedules as the daemon does at 02:00 (their
    resources from the environment), print the runs they request and what they said."""
    from datetime import datetime, timezone

    import dagster as dg

    from helio_pipeline.definitions import build_definitions

    started = time.perf_counter()
    defs = build_definitions()
    repository = defs.get_repository_def()
    loaded = time.perf_counter() - started
    requests, skips = [], []
    with dg.DagsterInstance.get() as instance:
        for name in names.split(","):
            with dg.build_schedule_context(instance=instance, repository_def=repository,
                                           scheduled_execution_time=datetime.now(timezone.utc),
                                           resources=defs.resources) as context:
                data = repository.get_schedule_def(name).evaluate_tick(context)
            requests += [{"job": r.job_name, "partition": r.partition_key,
                          "assets": ",".join(k.to_user_string() for k in r.asset_selection or [])}
                         for r in data.run_requests or []]
            if data.skip_message:
                skips.append(f"{name}: {data.skip_message}")
    print("TICK " + json.dumps({"requests": requests, "skips": skips, "load_seconds": loaded,
                                "evaluate_seconds": time.perf_counter() - started - loaded}))


def tick(names: list[str]) -> tuple[dict, float]:
    """Evaluate the schedules ``names`` in a child process; (what it printed, seconds)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--tick", ",".join(names)], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("TICK "))
    return json.loads(line[len("TICK "):]), time.perf_counter() - started


def _sample_anonymous(pid: int, peak: list[float], done) -> None:
    """Poll the child's RssAnon (heap, not file pages) every 0.2 s; keep the maximum in MB."""
    while not done.is_set():
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("RssAnon:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except OSError:
            return
        done.wait(0.2)


def launch(job_name: str, partition: str | None = None, assets: str = "",
           full: bool = False) -> tuple[dict, float, float, float]:
    """Run one job in a child process; returns (index metadata per domain, seconds, peak RSS MB,
    peak anonymous RSS MB). Peak RSS counts the pages of the embedded store's memory-mapped
    files the run touched (the OS can drop those); anonymous RSS is the process's own heap."""
    started = time.perf_counter()
    command = ([sys.executable, __file__, "--run-job", job_name] + (["--partition", partition] if partition else [])
               + (["--assets", assets] if assets else []) + (["--full"] if full else []))
    from helio_pipeline.lib.processes import spawn  # SIGTERM stops it, whatever we ignore

    child = spawn(command, stdout=subprocess.PIPE, text=True)
    anonymous, done = [0.0], threading.Event()
    sampler = threading.Thread(target=_sample_anonymous, args=(child.pid, anonymous, done), daemon=True)
    sampler.start()
    output = child.stdout.read()
    done.set()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{job_name} {partition or ''} failed (exit {child.returncode})")
    line = next(line for line in output.splitlines() if line.startswith("METADATA "))
    return json.loads(line[len("METADATA "):]), time.perf_counter() - started, usage.ru_maxrss / 1024, anonymous[0]


def seed_data(args) -> None:
    from helio_pipeline.definitions import build_resources
    from helio_pipeline.demo.catalog_data import load_catalog
    from helio_pipeline.demo.seed import seed_prices, seed_products, seed_rules

    resources = build_resources()
    engine, objects = resources["database"].engine(), resources["objects"].store()
    with Stopwatch() as seeding:
        catalog = load_catalog(args.products if args.products == "all" else int(args.products))
        seed_products(engine, objects, catalog)
        seed_prices(engine, objects, catalog)
        seed_rules(engine, objects)
        messages = stream_messages(engine, catalog, args.messages)
    print(f"[seed] {len(catalog):,} products, {messages:,} messages in {seeding.seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--products", default="all")
    parser.add_argument("--keep", help="use (and keep) this DAGSTER_HOME instead of a temporary one")
    parser.add_argument("--profile", help="write a cProfile file of every run process into this directory "
                                          "(the timings then include the profiler's overhead)")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)  # child processes
    parser.add_argument("--run-job", help=argparse.SUPPRESS)
    parser.add_argument("--partition", help=argparse.SUPPRESS)
    parser.add_argument("--assets", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tick", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.seed_only:
        return seed_data(args)
    if args.run_job:
        return run_job(args.run_job, args.partition, args.assets, args.full)
    if args.tick:
        return evaluate_schedules(args.tick)

    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        os.environ["HELIO_BENCH_PROFILE_DIR"] = str(Path(args.profile).resolve())
    os.environ["HELIO_SHARDS"] = f"conversations={args.shards}" if args.shards > 1 else ""
    products = args.products if args.products == "all" else int(args.products)
    started = time.perf_counter()

    with isolated_home("static", keep=args.keep) as home:
        import pandas as pd

        from helio_pipeline.definitions import build_resources
        from helio_pipeline.lib.embedding import EmbedderSpec
        from helio_pipeline.lib.sharding import shard_keys

        resources = build_resources()
        resources["database"].engine()  # the embedded server is up before the seeding child uses it
        print(f"DAGSTER_HOME={home}; baseline RSS {peak_rss_mb():.0f} MB")
        with Stopwatch() as seeding:
            subprocess.run([sys.executable, __file__, "--seed-only", "--messages", str(args.messages),
                            "--products", str(products)], check=True)
        messages = args.messages

        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        rows, peaks = [], []
        with Stopwatch() as pipeline:
            metadata, seconds, peak, anon = launch("kb_refresh")
            peaks.append((peak, anon))
            rows += [(domain, metadata[domain], None) for domain in ("products", "prices", "rules")]
            print(f"[catalog] {seconds:.0f} s; run process peak RSS {peak:.0f} MB (anonymous {anon:.0f} MB)")
            for key in shard_keys(args.shards) if args.shards > 1 else [None]:
                metadata, seconds, peak, anon = launch("conversations_refresh", key)
                peaks.append((peak, anon))
                meta = metadata["conversations"]
                rows.append(("conversations", meta, key))
                print(f"[conversations {key or 'all'}] {meta['chunks']:,} chunks in {seconds:.0f} s; "
                      f"run process peak RSS {peak:.0f} MB (anonymous {anon:.0f} MB)")

        # the nightly again with nothing changed, as the daemon runs it: the schedules' tick
        # (it checks every domain and shard: inputs, point counts, stored vectors) and the runs
        # it requests. Then what a new day adds: prices keep the rows valid today, so the first
        # night of a day re-syncs them (measured as a forced pass of prices)
        schedules = ["nightly_kb_refresh"] + (["nightly_conversations_shards"] if args.shards > 1 else [])
        nochange = []
        with Stopwatch() as rerun:
            ticked, tick_seconds = tick(schedules)
            for request in ticked["requests"]:
                metadata, seconds, _, _ = launch(request["job"], request["partition"], request["assets"])
                nochange.append((f"{request['job']} {request['partition'] or ''}", seconds, metadata))
        print(f"[no-change nightly] {rerun.seconds:.0f} s: the tick {tick_seconds:.1f} s (loading the definitions "
              f"{ticked['load_seconds']:.1f} s, checking {ticked['evaluate_seconds']:.1f} s), then "
              f"{len(nochange)} runs requested; texts embedded: "
              f"{sum(m.get('embedded_texts', 0) for _, _, meta in nochange for m in meta.values())}")
        for line in ticked["skips"]:
            print(f"    {line[:300]}{'…' if len(line) > 300 else ''}")
        _, new_day, _, _ = launch("prices_refresh", full=True)
        print(f"[a new day] the prices run the first night of a day adds: {new_day:.0f} s")

        texts = []
        from helio_pipeline.domains import DOMAINS

        for domain in DOMAINS:
            folder = home / "snapshots"
            paths = sorted((folder / f"{domain}_chunks").glob("*.parquet")) or [folder / f"{domain}_chunks.parquet"]
            for path in paths:
                frame = pd.read_parquet(path, columns=["text", "embed_text"])
                texts += [e if isinstance(e, str) else t for t, e in zip(frame["text"], frame["embed_text"])]
        embedder = EmbedderSpec("static").build()
        with Stopwatch() as pure:
            for begin in range(0, len(texts), 256):
                embedder.embed_documents(texts[begin : begin + 256])

    chunks = sum(m["chunks"] for _, m, _ in rows)
    embedded = sum(m["embedded_texts"] for _, m, _ in rows)
    print(f"\n{'run':<34}{'chunks':>9}{'embedded':>10}{'embed s':>9}{'upsert s':>10}{'index s':>9}")
    for domain, m, key in rows:
        print(f"{domain + (' ' + key if key else ''):<34}{m['chunks']:>9,}{m['embedded_texts']:>10,}"
              f"{m['embedding_seconds']:>9.1f}{m['upsert_seconds']:>10.1f}{m['total_seconds']:>9.1f}")
    print(f"\nmessages: {messages:,}; chunks indexed: {chunks:,}; texts embedded: {embedded:,}")
    print(f"conversation shards: {args.shards}")
    print(f"seeding: {seeding.seconds:.0f} s; pipeline (all runs): {pipeline.seconds:.0f} s; "
          f"whole bench: {time.perf_counter() - started:.0f} s")
    print(f"throughput: {chunks / pipeline.seconds:,.0f} chunks/s, {messages / pipeline.seconds:,.0f} messages/s")
    print(f"pure embedding of the same {len(texts):,} texts: {pure.seconds:.1f} s "
          f"({len(texts) / pure.seconds:,.0f} texts/s)")
    print(f"ratio pipeline / pure embedding: {pipeline.seconds / pure.seconds:.1f} (goal: 2)")
    print(f"non-embedding cost per chunk: {(pipeline.seconds - pure.seconds) / chunks * 1000:.2f} ms (goal: 0.5 ms)")
    print(f"no-change nightly (the schedules' tick and the runs it requested): {rerun.seconds:.0f} s "
          f"(goal: under 60 s); tick {tick_seconds:.1f} s; runs requested: {len(nochange)} of "
          f"{1 + (args.shards if args.shards > 1 else 0)}; on a new day the prices run adds {new_day:.0f} s")
    rss, anon = [p for p, _ in peaks], [a for _, a in peaks]
    print(f"peak RSS per run process: catalog {rss[0]:.0f} MB; conversation shards "
          f"{min(rss[1:]):.0f}..{max(rss[1:]):.0f} MB; largest {max(rss):.0f} MB (target: under 1,536 MB)")
    print(f"peak anonymous RSS per run process (heap, without the store's file pages): largest {max(anon):.0f} MB")


if __name__ == "__main__":
    main()
