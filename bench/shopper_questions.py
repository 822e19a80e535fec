"""How well Portuguese shopper questions find what they ask for, judged from the catalog itself.

    python bench/shopper_questions.py [--products 2000|all] [--embedder local|static]
                                      [--home DAGSTER_HOME] [--understand on|off|both] [--verbose]

Each question of bench/shopper_set.py (written by hand, with a spec of what it asks) is sent
as ``kb.query(text, domains=[domain], top_k=10, understand=flag)``. A hit is relevant when its
SKU's SOURCE row satisfies the spec (CEC specs, prices, stock as seeded: read back from the
source database and object store, never from the search payloads). Prints, per question kind
and overall, with understanding off and on: precision@5 (relevant hits in the top 5 over
min(5, relevant items)), success@5 (any relevant hit in the top 5) and nDCG@10 (binary gains,
ideal DCG from the number of relevant items); then the questions no item answers at this
catalog size (left out of the averages), each miss (no relevant hit in the top 5) with its
top-3 hits and the spec parts they fail, and the average query time.

Without --home, seeds products and prices only into a throwaway DAGSTER_HOME and indexes them;
with --home (e.g. the demo's dagster_home after ./scripts/demo), queries what is indexed there.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import io
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import isolated_home  # noqa: E402
from helio_pipeline.lib.filters import QueryError  # noqa: E402
from bench.shopper_set import KINDS, QUESTIONS, Question, SourceCatalog, current_prices, why_not  # noqa: E402

TOP_K = 10
DOMAINS = ("products", "prices")


# --- the source, as seeded ------------------------------------------------------------------

def catalog_from_sources(engine, objects) -> SourceCatalog:
    """Products and prices as the source holds them: the ``products``/``prices`` tables plus the
    distributor CSV drops. A drop carries only power and technology, so its products take their
    full specs from the CEC row of the same Name (names are unique in the CEC tables)."""
    import sqlalchemy as sa

    from helio_pipeline.demo.catalog_data import load_catalog

    with engine.connect() as conn:
        products = {r.sku: {"sku": r.sku, "name": r.name, "manufacturer": r.manufacturer, "category": r.category,
                            "specs": r.specs or {}, "active": r.active, "stock": r.stock}
                    for r in conn.execute(sa.text("SELECT sku, name, manufacturer, category, specs, active, stock "
                                                  "FROM products ORDER BY id"))}
        price_rows = [dict(r._mapping) for r in conn.execute(sa.text(
            "SELECT pr.sku, p.distributor, p.tier, p.price, p.valid_from, p.valid_to "
            "FROM prices p JOIN products pr ON pr.id = p.product_id"))]
    cec = {p["name"]: p["specs"] for p in load_catalog("all")}
    for row in _csv_rows(objects, "catalog/products/"):
        stock = (row.get("stock") or "0").strip()
        if not row.get("sku") or row["sku"] in products or not stock.lstrip("-").isdigit():
            continue  # the table is the system of record; a bad stock line is no product
        specs = cec.get(row.get("name")) or {"STC" if row.get("category") == "module" else "Paco": row.get("power_w"),
                                              "Technology": row.get("technology")}
        products[row["sku"]] = {"sku": row["sku"], "name": row.get("name"), "manufacturer": row.get("manufacturer"),
                                "category": row.get("category"), "specs": specs,
                                "active": (row.get("active") or "true").lower() != "false", "stock": int(stock)}
    price_rows += _csv_rows(objects, "catalog/prices/")
    prices: dict[str, list[dict]] = defaultdict(list)
    for row in price_rows:
        prices[row["sku"]].append(row)
    return SourceCatalog(products, dict(prices))


def _csv_rows(objects, prefix: str) -> list[dict]:
    rows = []
    for obj in sorted(objects.list(prefix), key=lambda o: o.key):
        if obj.key.endswith(".csv"):
            rows += list(csv.DictReader(io.StringIO(objects.get_bytes(obj.key).decode("utf-8"))))
    return rows


def seed_and_index(products: int | str) -> None:
    from helio_pipeline.definitions import build_definitions
    from helio_pipeline.demo.catalog_data import load_catalog
    from helio_pipeline.demo.seed import seed_prices, seed_products
    from helio_pipeline.jobs import materialize_in_process
    from helio_pipeline.runtime import Runtime
    from helio_pipeline.schema import migrate

    with Runtime.from_settings() as runtime:
        engine, objects = runtime.engine(check_schema=False), runtime.objects()
        migrate(engine, demo=True)  # the demo's source tables, as `helio db migrate --demo`
        if hasattr(objects, "ensure_bucket"):
            objects.ensure_bucket()
        catalog = load_catalog(products)
        seed_products(engine, objects, catalog)
        seed_prices(engine, objects, catalog)
    result = materialize_in_process(build_definitions(), domains=DOMAINS, raise_on_error=False)
    if not result.success:
        raise SystemExit("indexing products and prices failed")


# --- scoring ----------------------------------------------------------------------------------

def scores(ranked: list[str], relevant: set[str]) -> dict:
    top5 = [sku in relevant for sku in ranked[:5]]
    dcg = sum(1 / math.log2(i + 2) for i, sku in enumerate(ranked[:TOP_K]) if sku in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(TOP_K, len(relevant))))
    return {"p5": sum(top5) / min(5, len(relevant)), "s5": float(any(top5)), "ndcg": dcg / ideal}


def run_questions(kb, judged: dict[Question, set[str]], flag: bool | None) -> list[dict]:
    """One record per question: its relevant SKUs, the ranked SKUs, scores, time."""
    out = []
    for question, relevant in judged.items():
        kwargs = {} if flag is None else {"understand": flag}
        started = time.perf_counter()
        try:
            response = kb.query(question.text, domains=[question.domain], top_k=TOP_K, **kwargs)
            hits, notes, read = response.hits, list(response.notes), getattr(response, "interpreted", {})
        except QueryError as exc:  # a refused question is a miss, with the reason shown
            hits, notes, read = [], [f"refused: {exc}"], {}
        elapsed_ms = (time.perf_counter() - started) * 1000
        ranked = list(dict.fromkeys(h.source_id for h in hits))  # a SKU counts once
        record = {"question": question, "relevant": relevant, "ranked": ranked, "ms": elapsed_ms,
                  "notes": notes, "interpreted": (read or {}).get(question.domain)}
        if relevant:
            record.update(scores(ranked, relevant))
        out.append(record)
    return out


def spec_text(spec: dict) -> str:
    return "{" + ", ".join(f"{k}: {sorted(v) if isinstance(v, (set, frozenset)) else v}" for k, v in spec.items()) + "}"


def _mean(records: list[dict], key: str) -> float:
    return statistics.fmean(r[key] for r in records) if records else float("nan")


def print_table(runs: dict[str, list[dict]]) -> None:
    labels = list(runs)
    header = f"{'kind':<15}{'n':>4}" + "".join(f"{'P@5 ' + l:>12}{'S@5 ' + l:>12}{'nDCG ' + l:>13}" for l in labels)
    print(header)
    print("-" * len(header))
    groups = [(kind, lambda r, k=kind: r["question"].kind == k) for kind in KINDS]
    groups += [(f"[{d}]", lambda r, d=d: r["question"].domain == d) for d in DOMAINS]
    groups += [("ALL", lambda r: True)]
    for name, member in groups:
        scored = {label: [r for r in runs[label] if member(r) and r["relevant"]] for label in labels}
        if name in ("[products]", "ALL"):
            print("-" * len(header))
        line = f"{name:<15}{len(scored[labels[0]]):>4}"
        for label in labels:
            line += "".join(f"{_mean(scored[label], key):>{w}.3f}" for key, w in (("p5", 12), ("s5", 12), ("ndcg", 13)))
        print(line)


def print_misses(label: str, records: list[dict], source: SourceCatalog, imprecise: bool = False) -> None:
    """Each miss with its top-3 hits and why they do not answer; with ``imprecise``, also the
    questions that succeed with P@5 < 1, with their top-5 hits that do not answer."""
    misses = [r for r in records if r["relevant"] and not r["s5"]]
    print(f"\nmisses with understanding {label} ({len(misses)}): no relevant item in the top 5")
    for r in misses:
        _print_hits(r, source, 3)
    if imprecise:
        partial = [r for r in records if r["relevant"] and r["s5"] and r["p5"] < 1]
        print(f"\nimprecise with understanding {label} ({len(partial)}): P@5 < 1, the top-5 hits that do not answer")
        for r in partial:
            _print_hits(r, source, 5, only_wrong=True)


def _print_hits(r: dict, source: SourceCatalog, depth: int, only_wrong: bool = False) -> None:
    q: Question = r["question"]
    print(f"  - [{q.kind} / {q.domain}] {q.text!r}: {len(r['relevant'])} relevant; spec {spec_text(q.spec)}")
    if r["interpreted"]:
        print(f"      read as: {r['interpreted']}")
    for note in r["notes"]:
        print(f"      note: {note}")
    for rank, sku in enumerate(r["ranked"][:depth], start=1):
        if only_wrong and sku in r["relevant"]:
            continue
        product = source.products.get(sku)
        if product is None:
            print(f"      {rank}. {sku}: not in the source")
        else:
            print(f"      {rank}. {product['name']} ({sku}): {'; '.join(_reasons(q, sku, source))}")
    if not r["ranked"]:
        print("      (no hits)")


def _reasons(question: Question, sku: str, source: SourceCatalog) -> list[str]:
    """Why the source says this hit does not answer the question."""
    prices = current_prices(source.prices.get(sku, []))
    failed = why_not(source.products[sku], source.prices.get(sku, []), question.spec)
    if failed:
        return failed
    if (question.domain == "prices" or "cheapest" in question.spec) and not prices:
        return ["no current price"]
    if "cheapest" in question.spec:
        return [f"fits, but its lowest price R$ {min(prices):,.2f} is not among the "
                f"{question.spec['cheapest']} cheapest that fit"]
    return ["relevant"]


def print_questions(runs: dict[str, list[dict]]) -> None:
    labels = list(runs)
    print(f"\n{'question':<50}{'kind':<15}{'relevant':>9}" + "".join(f"{'P@5/S@5/nDCG ' + l:>24}" for l in labels))
    for i, r in enumerate(runs[labels[0]]):
        line = f"{r['question'].text[:49]:<50}{r['question'].kind:<15}{len(r['relevant']):>9}"
        for label in labels:
            x = runs[label][i]
            line += f"{x['p5']:>10.2f}{x['s5']:>5.0f}{x['ndcg']:>9.2f}" if x["relevant"] else f"{'-':>24}"
        print(line)


def measure(flags: list[str], verbose: bool = False) -> None:
    from helio_pipeline.cli import _runtime

    resources = _runtime()
    source = catalog_from_sources(resources["database"].engine(), resources["objects"].store())
    kb = resources["knowledge_base"].knowledge_base()
    model = resources["embedder"].embedder()
    supports = "understand" in inspect.signature(kb.query).parameters
    print(f"embedder {model.name}:{model.model}; source: {len(source.products)} products, "
          f"{sum(1 for p in source.prices.values() if p)} with prices; {len(QUESTIONS)} questions")
    if not supports:
        print("understanding unavailable: KnowledgeBase.query has no `understand` parameter yet; "
              "the figures below are for the plain query")
        flags = ["plain"]
    judged = {question: set(source.relevant_skus(question)) for question in QUESTIONS}
    runs = {label: run_questions(kb, judged, {"on": True, "off": False}.get(label)) for label in flags}

    if verbose:
        print_questions(runs)
    print()
    print_table(runs)
    empty = [r["question"] for r in next(iter(runs.values())) if not r["relevant"]]
    print(f"\nquestions with no relevant item at this catalog size ({len(empty)}, left out of the averages):")
    for q in empty:
        print(f"  - [{q.kind} / {q.domain}] {q.text!r}: {spec_text(q.spec)}")
    for label, records in runs.items():
        print_misses(label, records, source, imprecise=verbose)
    times = [f"understanding {label} {statistics.fmean(r['ms'] for r in records):.1f} ms"
             for label, records in runs.items()]
    print("\naverage query time (wall, per question): " + ", ".join(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="2000", help="catalog size to seed: a number or 'all'")
    parser.add_argument("--embedder", default="local", choices=["local", "static"])
    parser.add_argument("--home", help="query an already indexed DAGSTER_HOME instead of building one")
    parser.add_argument("--understand", default="both", choices=["on", "off", "both"])
    parser.add_argument("--verbose", action="store_true", help="also print every question's relevant count and scores, and the wrong hits of "
                        "questions that succeed with P@5 < 1")
    args = parser.parse_args()
    flags = ["off", "on"] if args.understand == "both" else [args.understand]
    if args.home:
        os.environ["DAGSTER_HOME"] = str(Path(args.home).resolve())
        os.environ.setdefault("HELIO_EMBEDDER", args.embedder)
    with nullcontext() if args.home else isolated_home(args.embedder):
        if not args.home:
            seed_and_index(args.products if args.products == "all" else int(args.products))
        measure(flags, args.verbose)


if __name__ == "__main__":
    main()
