"""Golden queries and retrieval quality (recall@5, MRR) per domain.

A domain's golden set has two parts, reported apart:

- **hand-written** questions, data the business team edits without code: rows of the
  ``kb_golden_queries`` table (domain, query, expected, filters) and, when the domain names
  one, a JSONL file shipped beside its module (one ``{"query", "expected", "filters"}`` object
  per line). ``expected`` says which documents answer the question in the source data's own
  terms: conditions on chunk fields, all of which must hold — a value (``{"slug": "frete"}``),
  a list of values (``{"source_id": ["a", "b"]}``) or bounds (``{"category": "inverter",
  "power_w": {"gte": 4500, "lte": 5500}}``). Never what search returned.
- **derived** queries computed from the chunks being indexed (model codes, catalog names, a
  customer's own words: ``Domain.derived_golden``), a supplement that follows whatever data is
  loaded.

A hand-written question no indexed document answers is left out and named. A domain whose
golden set holds fewer than its minimum of queries fails its quality check and its promotion
gate with a message saying so: a quality gate never passes on nothing.
"""

from __future__ import annotations

import copy
import json
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from helio_pipeline.lib.embedding import Embedder
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.sparse import sparse_vector

ORIGINS = ("hand-written", "derived")
DEFAULT_MIN_QUERIES = 5
_BOUNDS = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b}


@dataclass(frozen=True)
class GoldenQuery:
    query: str
    expected: frozenset[str]            # any of these source ids is a correct answer
    filters: dict = field(default_factory=dict)
    origin: str = "hand-written"        # or "derived"


@dataclass(frozen=True)
class GoldenQuestion:
    """A hand-written question as stored: what answers it, in the source data's terms."""

    query: str
    expected: dict
    filters: dict
    where: str                          # "kb_golden_queries" or "<file>:<line>"


@dataclass
class GoldenSet:
    domain: str
    queries: list[GoldenQuery]
    documents: int = 0                                      # distinct source ids being indexed
    minimum: int = DEFAULT_MIN_QUERIES                      # queries needed to vouch for a build
    unanswerable: list[str] = field(default_factory=list)   # hand-written, no indexed document matches
    problems: list[str] = field(default_factory=list)       # unreadable lines or rows, named

    def count(self, origin: str) -> int:
        return sum(1 for q in self.queries if q.origin == origin)

    def describe(self) -> str:
        return f"{self.count('hand-written')} hand-written + {self.count('derived')} derived"


def stride(items: list, n: int) -> list:
    """``n`` items spread evenly over ``items`` (all of them when there are fewer)."""
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _question(raw, where: str) -> GoldenQuestion:
    if not isinstance(raw, dict):
        raise ValueError("is not a JSON object")
    query, expected, filters = raw.get("query"), raw.get("expected"), raw.get("filters") or {}
    if not isinstance(query, str) or not query.strip():
        raise ValueError("has no query")
    if not isinstance(expected, dict) or not expected:
        raise ValueError("has no expected conditions (e.g. {\"slug\": \"frete\"})")
    if not isinstance(filters, dict):
        raise ValueError("has filters that are not an object")
    return GoldenQuestion(query.strip(), expected, filters, where)


def load_questions(domain, engine=None) -> tuple[list[GoldenQuestion], list[str]]:
    """The domain's hand-written questions from ``kb_golden_queries`` (when ``engine`` is given)
    and its golden file; a bad line or row is named in the problems, the others still load."""
    questions: list[GoldenQuestion] = []
    problems: list[str] = []
    path: Path | None = domain.golden_file
    if path is not None and Path(path).exists():
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{Path(path).name}:{number}"
            try:
                questions.append(_question(json.loads(line), where))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                problems.append(f"{where} {exc}")
    if engine is not None:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT query, expected, filters FROM kb_golden_queries "
                                        "WHERE domain = :d ORDER BY query"), {"d": domain.name}).all()
        for query, expected, filters in rows:
            where = f"kb_golden_queries ({domain.name}: {query[:60]!r})"
            try:
                questions.append(_question({"query": query, "expected": expected, "filters": filters}, where))
            except ValueError as exc:
                problems.append(f"{where} {exc}")
    return questions, problems


def _holds(value, condition) -> bool:
    if isinstance(condition, list):
        return value in condition
    if isinstance(condition, dict):
        unknown = set(condition) - set(_BOUNDS)
        if unknown:
            raise ValueError(f"unknown bound {sorted(unknown)[0]!r}: use gte, gt, lte, lt")
        try:
            return value is not None and all(_BOUNDS[op](float(value), float(b)) for op, b in condition.items())
        except (TypeError, ValueError):
            return False
    return value == condition


def answers(question: GoldenQuestion, chunks: list[Chunk]) -> frozenset[str]:
    """The source ids of the chunks whose fields meet every expected condition."""
    def field_value(chunk: Chunk, name: str):
        return chunk.source_id if name == "source_id" else chunk.fields.get(name)

    return frozenset(c.source_id for c in chunks
                     if all(_holds(field_value(c, name), cond) for name, cond in question.expected.items()))


def golden_set(domain, chunks: list[Chunk], engine=None, minimum: int = DEFAULT_MIN_QUERIES) -> GoldenSet:
    """The golden set a build of ``domain`` holding ``chunks`` is measured with; ``minimum``
    (HELIO_GOLDEN_MIN_QUERIES) is how many queries it needs to vouch for the build."""
    questions, problems = load_questions(domain, engine)
    out = GoldenSet(domain.name, [], documents=len({c.source_id for c in chunks}), minimum=max(1, minimum),
                    problems=problems)
    for question in questions:
        try:
            expected = answers(question, chunks)
        except ValueError as exc:
            out.problems.append(f"{question.where} {exc}")
            continue
        if expected:
            out.queries.append(GoldenQuery(question.query, expected, dict(question.filters)))
        else:
            out.unanswerable.append(question.query)
    if domain.derived_golden is not None:
        out.queries += domain.derived_golden(chunks)
    return out


def too_few(golden: GoldenSet, minimum: int | None = None) -> str | None:
    """Why a golden set cannot vouch for a build: fewer than its minimum of queries, or than the
    domain's documents when it holds fewer (two products cannot give five distinct answers).
    A domain with documents and no golden query always fails. None when there are enough."""
    minimum = golden.minimum if minimum is None else minimum
    if len(golden.queries) >= min(minimum, golden.documents) and golden.queries or golden.documents == 0:
        return None
    extra = f"; {len(golden.unanswerable)} hand-written ones match no indexed document" if golden.unanswerable else ""
    return (f"{golden.domain}: {len(golden.queries)} golden queries ({golden.describe()}{extra}), fewer than the "
            f"minimum of {minimum}: add hand-written questions to the kb_golden_queries table "
            f"(domain {golden.domain!r}) so retrieval quality is measured")


def evaluate(store, collection: str, domain_filter_fields: dict[str, str], queries: list[GoldenQuery],
             embedder: Embedder, mode: str = "hybrid", k: int = 5) -> dict:
    """recall@k (share of queries with a correct document in the top k distinct documents)
    and MRR, over all queries and per origin, querying ``collection`` directly (it need not be
    behind the alias yet). No queries measure nothing: recall 0, never 1."""
    from helio_pipeline.lib.filters import build_filter

    totals = {origin: [0, 0, 0.0] for origin in ORIGINS}   # queries, found, reciprocal ranks
    misses = []
    # the questions are embedded together, in calls of the embedder's batch size: against an
    # embedding API one request per question would cost a round trip each (~0.3 s)
    texts = [golden.query for golden in queries]
    step = max(1, embedder.batch_size)
    vectors = [v for start in range(0, len(texts), step) for v in embedder.embed_queries(texts[start : start + step])]
    for golden, dense in zip(queries, vectors):
        points = store.query(collection, dense, sparse_vector(golden.query), k * 4,
                             build_filter("golden", domain_filter_fields, golden.filters), mode)
        ranking = list(dict.fromkeys(p.payload.get("source_id") for p in points))[:k]
        rank = next((i for i, source in enumerate(ranking, start=1) if source in golden.expected), None)
        row = totals.setdefault(golden.origin, [0, 0, 0.0])
        row[0] += 1
        if rank:
            row[1] += 1
            row[2] += 1 / rank
        else:
            misses.append(golden.query)
    n = sum(row[0] for row in totals.values())
    found = sum(row[1] for row in totals.values())
    reciprocal = sum(row[2] for row in totals.values())
    return {"queries": n, "recall_at_5": found / n if n else 0.0, "mrr": reciprocal / n if n else 0.0,
            "misses": misses[:10],
            "by_origin": {origin: {"queries": row[0], "recall_at_5": round(row[1] / row[0], 4) if row[0] else None}
                          for origin, row in totals.items()}}


# what was measured in this process, per store: a first build's promotion gate and its asset
# check ask the same question of the same collection; the second is answered from here when
# nothing was written in between. In-process only: a crashed writer leaves no stale answer.
_MEASURED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _collection_state(store, collection: str) -> tuple:
    """Changes with any write: the sync stamps ``write_started_at`` before its writes and
    ``synced_at`` after them (lib/sync.py apply); the count catches anything else."""
    metadata = store.metadata(collection)
    return metadata.get("write_started_at"), metadata.get("synced_at"), store.count(collection)


def evaluate_unless_measured(store, collection: str, domain_filter_fields: dict[str, str],
                             queries: list[GoldenQuery], embedder: Embedder, mode: str = "hybrid",
                             k: int = 5) -> dict:
    """:func:`evaluate`, or its earlier result for the same queries, embedder and mode on the
    same collection in the same state."""
    key = (collection, mode, k, json.dumps(embedder.describe(), sort_keys=True), tuple(sorted(
        json.dumps([q.query, sorted(q.expected), q.filters, q.origin], sort_keys=True, default=str) for q in queries)),
        json.dumps(domain_filter_fields, sort_keys=True))
    try:
        measured = _MEASURED.setdefault(store, {})
    except TypeError:  # a store that cannot be weakly referenced: measure every time
        measured = {}
    state = _collection_state(store, collection)
    earlier = measured.get(key)
    if earlier is not None and earlier[0] == state:
        return copy.deepcopy(earlier[1])
    quality = evaluate(store, collection, domain_filter_fields, queries, embedder, mode, k)
    measured[key] = (state, copy.deepcopy(quality))
    return quality


def quality_problem(store, collection: str, domain, golden: GoldenSet, embedder,
                    minimum: int | None = None) -> tuple[str | None, dict]:
    """(why ``collection`` fails the domain's quality bar or None, the measures): too few golden
    queries, or recall@5 under ``domain.min_recall_at_5``. Shared by the asset check and the
    gate a rebuilt collection passes before its alias moves."""
    few = too_few(golden, minimum)
    if few:
        return few, {}
    if golden.documents == 0:  # an empty domain: nothing to measure, nothing search could miss
        return None, {}
    quality = evaluate_unless_measured(store, collection, domain.filter_fields, golden.queries, embedder)
    if quality["recall_at_5"] < domain.min_recall_at_5:
        return (f"golden-query recall@5 {quality['recall_at_5']:.2f} is under the {domain.min_recall_at_5:.2f} "
                f"floor over {golden.describe()} queries (misses: {quality['misses'][:3]})"), quality
    return None, quality
