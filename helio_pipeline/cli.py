"""``helio``: the command line of Helio KB.

    helio demo                  embedded Postgres + seed + index all four KBs + sample questions
    helio seed [--products N]   load the demo data (idempotent)
    helio refresh               materialize every asset (the nightly job, now)
    helio search "QUERY"        query the knowledge bases
    helio memory "QUERY" ...    conversation memory for one owner and conversation
    helio serve                 HTTP API for the assistant
    helio rollback DOMAIN       point a domain's alias back at its previous collection
    helio rebuild DOMAIN|all    re-index from the sources (a broken embedded store is moved aside)
    helio cache stats|prune     inspect or prune the embedding cache
    helio quarantine            list the latest skipped rows and quarantined lines
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from helio_pipeline import settings
from helio_pipeline.lib.errors import HelioError, StoreBusy

SAMPLE_QUESTIONS = (
    "painel 550w monocristalino",
    "Qual inversor para projeto comercial 50kWp?",
    "prazo de garantia de inversores",
)


def _runtime():
    """Resources as the code location builds them from the environment, with their EnvVars
    resolved (outside a run, Dagster does not resolve them for us)."""
    settings.dagster_home()
    from helio_pipeline.definitions import build_resources

    from helio_pipeline.defs.resources import KnowledgeBaseResource

    # the CLI runs jobs in its own process: a store held by another process fails at once
    resolved = {name: resource.process_config_and_initialize()
                for name, resource in build_resources(wait_for_store=False).items()
                if name in ("database", "objects", "qdrant", "embedder")}
    resolved["knowledge_base"] = KnowledgeBaseResource(qdrant=resolved["qdrant"], embedder=resolved["embedder"],
                                                       database=resolved["database"])
    return resolved


def _run_job(job_name: str, run_config: dict | None = None, asset_selection: list[str] | None = None,
             partition_key: str | None = None):
    import dagster as dg

    from helio_pipeline.definitions import build_definitions

    instance = dg.DagsterInstance.get()  # the same DAGSTER_HOME that `dagster dev` shows
    config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}, **(run_config or {})}
    job = build_definitions().resolve_job_def(job_name)  # from the environment as it is now
    selection = [dg.AssetKey(key) for key in asset_selection] if asset_selection else None
    return job.execute_in_process(instance=instance, run_config=config, raise_on_error=False,
                                  asset_selection=selection, partition_key=partition_key)


def _refresh(domains: list[str] | None = None):
    """Materialize the given domains (all by default) like the nightly schedules would: one run
    for the unsharded ones, one run per shard of each sharded one. Returns the results.

    A successful refresh of every domain covers every catalog change logged before it began:
    those change-log rows are dropped, so the change sensor does not re-sync them again."""
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.changes import last_change_id, prune_changes
    from helio_pipeline.lib.sharding import shard_keys

    shards = settings.shard_counts()
    everything = not domains
    engine = _runtime()["database"].engine()
    covered = last_change_id(engine)
    domains = domains or sorted(DOMAINS)
    unsharded = [d for d in domains if shards.get(d, 1) == 1]
    results = []
    if unsharded:
        results.append(_run_job("kb_refresh", asset_selection=[f"{d}_{stage}" for d in unsharded
                                                               for stage in ("extract", "chunks", "index")]))
    for domain in domains:
        for key in shard_keys(shards[domain]) if shards.get(domain, 1) > 1 else []:
            print(f"      {domain} {key} ...")
            results.append(_run_job(f"{domain}_refresh", partition_key=key))
    if everything and all(r.success for r in results):
        prune_changes(engine, covered, retention_days=0)
    return results


def _print_run_summary(result) -> None:
    print("\nPer-domain results:")
    print(f"  {'asset':<22}{'chunks':>8}{'new':>7}{'changed':>9}{'deleted':>9}{'embedded':>10}{'cache hits':>12}  collection")
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        if "collection" not in meta:
            continue
        print(f"  {mat.asset_key.to_user_string():<22}{meta['chunks']:>8}{meta['new']:>7}{meta['changed']:>9}"
              f"{meta['deleted']:>9}{meta['embedded_texts']:>10}{meta['cache_hits']:>12}  {meta['collection']}"
              f" ({meta['collection_size']} points)")
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        if "quarantined" in meta and (meta["quarantined"] or meta["skipped"]):
            print(f"  {mat.asset_key.to_user_string()}: {meta['skipped']} rows skipped, "
                  f"{meta['quarantined']} lines quarantined (helio quarantine lists them)")


def _print_hits(hits, as_json: bool) -> None:
    if as_json:
        print(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2, default=str))
        return
    if not hits:
        print("  (no results)")
    for rank, hit in enumerate(hits, start=1):
        snippet = " ".join(hit.text.split())[:150]
        print(f"  {rank}. [{hit.domain}] {hit.source_id}  score={hit.score:.4f}\n     {snippet}")


def cmd_seed(args) -> int:
    from helio_pipeline.demo.seed import seed

    resources = _runtime()
    counts = seed(resources["database"].engine(), resources["objects"].store(), products=args.products,
                  conversations=args.conversations)
    print(json.dumps(counts, indent=2))
    return 0


def cmd_refresh(args) -> int:
    _runtime()
    results = _refresh()
    for result in results:
        _print_run_summary(result)
    return 0 if all(r.success for r in results) else 1


def cmd_demo(args) -> int:
    from helio_pipeline.demo.seed import seed

    started = time.perf_counter()
    print(f"DAGSTER_HOME={settings.dagster_home()}")
    resources = _runtime()
    print("[1/4] PostgreSQL: " + ("embedded server under dagster_home/postgres" if not resources["database"].url
                                  else "HELIO_DATABASE_URL"))
    engine = resources["database"].engine()
    print(f"[2/4] seeding demo data into PostgreSQL and {resources['objects'].url} ...")
    counts = seed(engine, resources["objects"].store(), products=args.products)
    print("      " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    print(f"[3/4] materializing every asset with the '{resources['embedder'].kind}' embedder "
          "(progress below; runs show up in `dagster dev`) ...")
    results = _refresh()
    for result in results:
        _print_run_summary(result)
    if not all(r.success for r in results):
        print("\nThe run failed; see the errors above.", file=sys.stderr)
        return 1
    print("[4/4] sample questions:")
    kb = resources["knowledge_base"].knowledge_base()
    for question in SAMPLE_QUESTIONS:
        print(f"\n? {question}")
        _print_hits(kb.search(question, top_k=3), as_json=False)
    print(f"\nDone in {time.perf_counter() - started:.0f} s. Explore: DAGSTER_HOME={settings.dagster_home()} dagster dev")
    return 0


def _parse_filters(items: list[str]) -> dict:
    filters: dict = {}
    for item in items or []:
        field, sep, value = item.partition("=")
        if not sep:
            raise HelioError(f"--filter {item!r}: use field=value")
        try:
            filters[field] = json.loads(value)
        except json.JSONDecodeError:
            filters[field] = value
    return filters


def cmd_search(args) -> int:
    resources = _runtime()
    kb = resources["knowledge_base"].knowledge_base()
    filters = _parse_filters(args.filter)
    if args.owner:
        filters["owner_id"] = args.owner
    response = kb.query(args.query, domains=args.domain or None, top_k=args.top_k, filters=filters or None,
                        mode=args.mode, available_only=args.available_only)
    _print_hits(response.hits, args.json)
    for note in response.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def cmd_memory(args) -> int:
    kb = _runtime()["knowledge_base"].knowledge_base()
    items = kb.memory(args.owner, args.conversation, args.query, recent=args.recent, k=args.k)
    print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from helio_pipeline.api import create_app

    kb = _runtime()["knowledge_base"].knowledge_base()
    uvicorn.run(create_app(kb), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_rollback(args) -> int:
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.sync import rollback

    if args.domain not in DOMAINS:
        raise HelioError(f"unknown domain {args.domain!r}; known: {sorted(DOMAINS)}")
    resources = _runtime()
    alias = DOMAINS[args.domain].collection(resources["qdrant"].collection_prefix)
    before, after = rollback(resources["qdrant"].store(), alias)
    print(f"{alias}: {before} -> {after}. The next refresh rebuilds from the current configuration "
          "unless you revert it too.")
    return 0


def cmd_rebuild(args) -> int:
    """Re-index domains from their sources. An embedded store that cannot be opened
    (corrupted, or written by an incompatible engine) is moved aside first; vectors come
    back from the embedding cache, so a rebuild costs little."""
    from helio_pipeline.domains import DOMAINS

    domains = sorted(DOMAINS) if args.domain == "all" else [args.domain]
    if args.domain != "all" and args.domain not in DOMAINS:
        raise HelioError(f"unknown domain {args.domain!r}; known: {sorted(DOMAINS)} or all")
    resources = _runtime()
    qdrant = resources["qdrant"]
    try:
        qdrant.store().load_all()
    except StoreBusy:
        raise  # in use by another process, not broken: never move it aside
    except HelioError as exc:
        if not qdrant.is_embedded:
            raise
        broken = Path(qdrant.path or settings.qdrant_path())
        aside = broken.with_name(f"{broken.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        broken.rename(aside)
        print(f"the embedded store could not be opened ({exc}); moved it to {aside}")
        domains = sorted(DOMAINS)  # the whole store went aside: every domain is rebuilt
    from helio_pipeline.lib.stores import close_embedded_stores

    close_embedded_stores()
    results = _refresh(domains)
    for result in results:
        _print_run_summary(result)
    return 0 if all(r.success for r in results) else 1


def cmd_cache(args) -> int:
    from helio_pipeline.lib.embedding_cache import EmbeddingCache

    cache = EmbeddingCache(_runtime()["database"].engine())
    if args.action == "prune":
        print(f"dropped {cache.prune(args.days)} entries not hit for {args.days} days")
    print(json.dumps(cache.stats()))
    return 0


def cmd_quarantine(args) -> int:
    from helio_pipeline.lib.quarantine import latest_problems

    for row in latest_problems(_runtime()["database"].engine(), args.domain, args.limit):
        print(f"{row['created_at']:%Y-%m-%d %H:%M} {row['domain']:<13} {row['source']} {row['location']}: {row['reason']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helio", description="Helio KB: keep Hélio's knowledge bases fresh.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="seed demo data, index all four domains, answer sample questions")
    demo.add_argument("--products", default="2000", help="about N products from the CEC tables, or 'all'")
    demo.set_defaults(fn=cmd_demo)

    seed = sub.add_parser("seed", help="load the deterministic demo data (idempotent)")
    seed.add_argument("--products", default="2000", help="about N products from the CEC tables, or 'all'")
    seed.add_argument("--conversations", type=int, default=320)
    seed.set_defaults(fn=cmd_seed)

    sub.add_parser("refresh", help="materialize every asset now").set_defaults(fn=cmd_refresh)

    search = sub.add_parser("search", help="search the knowledge bases")
    search.add_argument("query")
    search.add_argument("--domain", action="append", help="products, prices, rules or conversations (repeatable)")
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument("--mode", choices=["hybrid", "dense", "sparse"], default="hybrid")
    search.add_argument("--filter", action="append", help="field=value (JSON values allowed), repeatable")
    search.add_argument("--owner", help="owner_id: required to search conversations")
    search.add_argument("--available-only", action="store_true", help="products active and in stock now")
    search.add_argument("--json", action="store_true", help="print hits as JSON")
    search.set_defaults(fn=cmd_search)

    memory = sub.add_parser("memory", help="recent messages of a conversation + relevant past ones (JSON)")
    memory.add_argument("query")
    memory.add_argument("--owner", required=True)
    memory.add_argument("--conversation", required=True, help="correlation_id")
    memory.add_argument("--recent", type=int, default=20)
    memory.add_argument("--k", type=int, default=5)
    memory.set_defaults(fn=cmd_memory)

    serve = sub.add_parser("serve", help="HTTP API: GET /search, POST /memory, GET /health (OpenAPI at /docs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(fn=cmd_serve)

    rollback = sub.add_parser("rollback", help="point a domain's alias back at its previous collection")
    rollback.add_argument("domain")
    rollback.set_defaults(fn=cmd_rollback)

    rebuild = sub.add_parser("rebuild", help="re-index a domain (or all); a broken embedded store is moved aside")
    rebuild.add_argument("domain", help="products, prices, rules, conversations or all")
    rebuild.set_defaults(fn=cmd_rebuild)

    cache = sub.add_parser("cache", help="embedding cache: stats, or prune entries not hit for N days")
    cache.add_argument("action", choices=["stats", "prune"])
    cache.add_argument("--days", type=float, default=30)
    cache.set_defaults(fn=cmd_cache)

    quarantine = sub.add_parser("quarantine", help="list skipped rows and quarantined lines")
    quarantine.add_argument("--domain")
    quarantine.add_argument("--limit", type=int, default=50)
    quarantine.set_defaults(fn=cmd_quarantine)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if getattr(args, "products", None) not in (None, "all"):
        args.products = int(args.products)
    try:
        return args.fn(args)
    except HelioError as exc:
        print(f"helio: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
