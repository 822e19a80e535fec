"""Golden queries and retrieval quality (recall@5, MRR) per domain.

The golden set has two parts: hand-written rule questions that ship with the demo corpus
(``demo/rules_corpus.RULE_GOLDEN_QUERIES``), and queries derived deterministically from the
chunks being indexed — model codes and catalog names for products, price questions, and a
customer's own words for conversations — so the check follows whatever catalog is loaded.
Queries whose expected documents are not in the collection are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helio_pipeline.lib.embedding import Embedder
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.lib.store import VectorStore


@dataclass
class GoldenQuery:
    query: str
    expected: set[str]                  # any of these source ids is a correct answer
    filters: dict = field(default_factory=dict)


def _stride(items: list, n: int) -> list:
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def golden_queries(domain: str, chunks: list[Chunk]) -> list[GoldenQuery]:
    firsts = sorted((c for c in chunks if c.chunk_no == 0), key=lambda c: c.source_id)
    if domain == "products":
        picked = _stride(firsts, 12)
        codes = [GoldenQuery(c.fields["sku"].split("@")[0], {c.source_id}) for c in picked[::2]]
        names = [GoldenQuery(c.fields["name"], {c.source_id}) for c in picked[1::2]]
        return codes + names
    if domain == "prices":
        return [GoldenQuery(f"preço {c.fields['name']}", {c.source_id}) for c in _stride(firsts, 6)]
    if domain == "rules":
        from helio_pipeline.demo.rules_corpus import RULE_GOLDEN_QUERIES

        by_slug: dict[str, set[str]] = {}
        for c in chunks:
            by_slug.setdefault(c.fields.get("slug"), set()).add(c.source_id)
        return [GoldenQuery(g["query"], by_slug[g["slug"]]) for g in RULE_GOLDEN_QUERIES if g["slug"] in by_slug]
    if domain == "conversations":
        out = []
        for c in _stride(firsts, 6):
            first_user_line = next((line for line in c.text.splitlines() if line.startswith("Cliente: ")), None)
            if first_user_line:
                words = first_user_line.removeprefix("Cliente: ").split()[:14]
                out.append(GoldenQuery(" ".join(words), {c.source_id}, {"owner_id": c.fields["owner_id"]}))
        return out
    return []


def evaluate(store: VectorStore, collection: str, domain_filter_fields: dict[str, str], queries: list[GoldenQuery],
             embedder: Embedder, mode: str = "hybrid", k: int = 5) -> dict:
    """recall@k (share of queries with a correct document in the top k distinct documents)
    and MRR, querying ``collection`` directly (it need not be behind the alias yet)."""
    from helio_pipeline.lib.filters import build_filter

    if not queries:
        return {"queries": 0, "recall_at_5": 1.0, "mrr": 1.0, "misses": []}
    found = 0
    reciprocal = 0.0
    misses = []
    for golden in queries:
        dense = embedder.embed_query(golden.query)
        points = store.query(collection, dense, sparse_vector(golden.query), k * 4,
                             build_filter("golden", domain_filter_fields, golden.filters), mode)
        ranking = list(dict.fromkeys(p.payload.get("source_id") for p in points))[:k]
        rank = next((i for i, source in enumerate(ranking, start=1) if source in golden.expected), None)
        if rank:
            found += 1
            reciprocal += 1 / rank
        else:
            misses.append(golden.query)
    return {"queries": len(queries), "recall_at_5": found / len(queries), "mrr": reciprocal / len(queries),
            "misses": misses[:10]}
