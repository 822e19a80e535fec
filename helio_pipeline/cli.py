"""``helio``: the command line of Helio KB.

    helio demo                  embedded Postgres + seed + index all four KBs + sample questions
    helio seed [--products N]   load the demo data (idempotent)
    helio db migrate|status|stop  apply pending schema migrations (runs never do), list them and
                                the embedded server, or stop that server
    helio refresh [DOMAIN ...]  materialize the domains' assets (all: the nightly job, now)
                                [--source-id ID: re-sync only these sources]
                                [--allow-mass-delete DOMAIN|all: past the mass-delete guard]
    helio runs [release RUN_ID] runs holding the KB pool slots; free one whose process is gone
    helio search "QUERY"        query the knowledge bases
    helio memory "QUERY" ...    conversation memory for one owner and conversation
    helio serve                 HTTP API for the assistant
    helio ui                    the Dagster UI (dg dev) on this DAGSTER_HOME; stops on SIGTERM
    helio apikey create ...     an API key for helio serve (printed once; only its hash is stored)
    helio rollback DOMAIN       point a domain's alias back at its previous collection
    helio rebuild DOMAIN|all    re-index from the sources (a broken embedded store is moved aside)
                                [--force: also rebuild live collections, e.g. with damaged vectors]
    helio cache stats|prune     inspect or prune the embedding cache
    helio quarantine            skipped rows and quarantined lines, each problem once

Runs print their steps and embedding progress; ``--verbose`` prints Dagster's debug log instead.
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
    """The parts this command needs (database, object store, vector store, embedder,
    KnowledgeBase), built lazily from the settings, checked first. The CLI runs jobs in its
    own process: an embedded store held by another process fails at once, naming the holder."""
    settings.dagster_home()
    from helio_pipeline.runtime import Runtime

    return Runtime.from_settings(settings.load())


VERBOSE = False  # --verbose: Dagster's own log lines (DEBUG) instead of the progress lines


def _run_job(job_name: str, run_config: dict | None = None, domains: list[str] | None = None,
             partition_key: str | None = None):
    """Run a job in this process. First, a run killed earlier (SIGKILL) that still holds a pool
    slot this run needs is failed and its slot freed; a live run holding one is named, with how
    to release it, and waited for. However this run ends (done, failed, Ctrl-C or SIGTERM, even
    while it waits for a slot), it is over afterwards and holds no slot."""
    import dagster as dg

    # the same DAGSTER_HOME that `dagster dev` shows; disposed at the end, so its storage
    # closes before the interpreter does (else: "Cannot operate on a closed database" at exit)
    with dg.DagsterInstance.get() as instance:
        return _run_job_on(instance, job_name, run_config, domains, partition_key)


def _run_job_on(instance, job_name: str, run_config: dict | None, domains: list[str] | None,
                partition_key: str | None):
    import signal

    from dagster._core.utils import make_new_run_id

    from helio_pipeline.definitions import build_definitions
    from helio_pipeline.defs import runs
    from helio_pipeline.jobs import materialize_in_process, refresh_selection

    level = "DEBUG" if VERBOSE else "ERROR"  # by default the progress lines below say what happens
    config = {"loggers": {"console": {"config": {"log_level": level}}}, **(run_config or {})}
    defs = build_definitions()  # from the environment as it is now
    job = defs.resolve_job_def(job_name)
    selection = refresh_selection(domains)
    runs.wait_for_pools(instance, runs.job_pools(job, selection), settings.store_wait_seconds(),
                        say=lambda line: print(f"      {line}", flush=True))
    run_id = make_new_run_id()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with runs.InterruptWatchdog() as watchdog, _progress(instance, run_id):
            result = materialize_in_process(defs, instance, domains, config, job=job_name,
                                            partition_key=partition_key, raise_on_error=False,
                                            run_id=run_id, tags=runs.process_tags())
    finally:
        # Dagster leaves SIGTERM on SIGINT's handler, which is "ignore" under nohup or `&`
        for sig, handler in handlers.items():
            if handler is not None:
                signal.signal(sig, handler)
        runs.end_run(instance, run_id, "the helio process ended before the run did")
    if watchdog.fired or runs.was_interrupted(result):
        raise KeyboardInterrupt(f"run {run_id} stopped and marked failed; it holds no pool slot")
    return result


def _progress(instance, run_id: str):
    import contextlib

    from helio_pipeline.progress import RunProgress

    return contextlib.nullcontext() if VERBOSE else RunProgress(instance, run_id)


def _refresh(domains: list[str] | None = None, allow_mass_delete: set[str] = frozenset(),
             source_ids: list[str] | None = None, full: bool = False):
    """Materialize the given domains (all by default) like the nightly schedules would: one run
    for the unsharded ones, one run per shard of each sharded one. Returns the results.
    ``allow_mass_delete``: domains whose index may delete past the mass-delete guard.
    ``source_ids``: re-sync only these sources (SyncOptions.source_ids); the rest is untouched.
    ``full``: extract, chunk and sync even the domains whose inputs are unchanged since their
    last verified sync (SyncOptions.full; otherwise such a domain is skipped, lib/fingerprint.py).

    A successful refresh of every domain covers every catalog change logged before it began:
    those change-log rows are dropped, so the change sensor does not re-sync them again."""
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.jobs import REFRESH_JOB
    from helio_pipeline.lib.changes import last_change_id, prune_changes
    from helio_pipeline.lib.sharding import shard_keys

    shards = settings.shard_counts()
    everything = not domains and not source_ids
    engine = _runtime().engine()
    covered = last_change_id(engine)
    domains = domains or sorted(DOMAINS)
    unsharded = [d for d in domains if shards.get(d, 1) == 1]

    def index_config(names: list[str]) -> dict | None:
        configs = {d: {**({"source_ids": list(source_ids)} if source_ids else {}),
                       **({"allow_mass_delete": True} if d in allow_mass_delete else {}),
                       **({"full": True} if full else {})} for d in names}
        return {"ops": {f"{d}_index": {"config": c} for d, c in configs.items() if c}} if any(configs.values()) \
            else None

    results = []
    if unsharded:
        results.append(_run_job(REFRESH_JOB, index_config(unsharded), domains=unsharded))
    for domain in domains:
        for key in shard_keys(shards[domain]) if shards.get(domain, 1) > 1 else []:
            print(f"      {domain} {key} ...")
            results.append(_run_job(f"{domain}_refresh", index_config([domain]), partition_key=key))
    if everything and all(r.success for r in results):
        prune_changes(engine, covered, retention_days=0)
    return results


def _print_run_summary(result) -> None:
    from helio_pipeline.jobs import index_metadata

    print("\nPer-domain results:")
    print(f"  {'asset':<22}{'chunks':>8}{'new':>7}{'changed':>9}{'deleted':>9}{'embedded':>10}{'cache hits':>12}  collection")
    for domain, meta in sorted(index_metadata(result).items()):
        print(f"  {domain + '_index':<22}{meta['chunks']:>8}{meta['new']:>7}{meta['changed']:>9}"
              f"{meta['deleted']:>9}{meta['embedded_texts']:>10}{meta['cache_hits']:>12}  {meta['collection']}"
              f" ({meta['collection_size']} points)")
        if "unchanged_since" in meta:
            print(f"  {'':<22}{meta['unchanged_since']}; extraction, chunking and sync skipped "
                  f"(inputs {meta['input_fingerprint']}; `helio refresh --full {domain}` forces a full pass)")
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

    runtime = _runtime()
    # seed creates the demo's source tables and applies the migrations itself
    counts = seed(runtime.engine(check_schema=False), runtime.objects(),
                  products=args.products, conversations=args.conversations)
    print(json.dumps(counts, indent=2))
    return 0


def cmd_refresh(args) -> int:
    from helio_pipeline.domains import DOMAINS

    allowed = set(args.allow_mass_delete or [])
    if "all" in allowed:
        allowed = set(DOMAINS)
    unknown = sorted(allowed - set(DOMAINS))
    if unknown:
        raise HelioError(f"--allow-mass-delete {unknown[0]!r}: not a domain; use one of {sorted(DOMAINS)} or all")
    domains = list(dict.fromkeys(args.domains or []))
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown:
        raise HelioError(f"unknown domain {unknown[0]!r}; known: {sorted(DOMAINS)}")
    if args.source_id and not domains:
        raise HelioError("--source-id needs the domain(s) it belongs to: helio refresh DOMAIN --source-id ID")
    _runtime()
    results = _refresh(domains or None, allow_mass_delete=allowed, source_ids=args.source_id, full=args.full)
    for result in results:
        _print_run_summary(result)
    return 0 if all(r.success for r in results) else 1


def cmd_runs(args) -> int:
    """``helio runs``: who holds the KB pool slots; ``helio runs release RUN_ID`` frees one."""
    import dagster as dg


    settings.dagster_home()
    with dg.DagsterInstance.get() as instance:  # disposed: its storage closes before the interpreter does
        return _runs_on(instance, args)


def _runs_on(instance, args) -> int:
    from helio_pipeline.defs import runs

    if args.action == "release":
        if not args.run_id:
            raise HelioError("helio runs release RUN_ID: which run? (helio runs lists them)")
        print(runs.release_run(instance, args.run_id))
        return 0
    for line in runs.release_dead_runs(instance):
        print(line)
    holders = runs.slot_holders(instance)
    for holder in holders:
        print(f"{holder.pool:<26} {'holds' if holder.holding else 'waits'}  {holder.describe()}")
    if not holders:
        print("no run holds or waits for a KB pool slot")
    return 0


def cmd_demo(args) -> int:
    from helio_pipeline.demo.seed import seed

    started = time.perf_counter()
    print(f"DAGSTER_HOME={settings.dagster_home()}")
    runtime = _runtime()
    config = runtime.settings
    print("[1/4] PostgreSQL: " + ("embedded server under dagster_home/postgres" if config.database_url is None
                                  else "HELIO_DATABASE_URL"))
    engine = runtime.engine(check_schema=False)
    from helio_pipeline.schema import migrate

    applied = migrate(engine, demo=True)  # what `helio db migrate --demo` does
    print("      schema: " + (f"applied {', '.join(applied)}" if applied else "current"))
    print(f"[2/4] seeding demo data into PostgreSQL and {config.object_store_url} ...")
    counts = seed(engine, runtime.objects(), products=args.products)
    print("      " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    print(f"[3/4] materializing every asset with the '{config.embedder}' embedder "
          "(progress below; the runs show up in the Dagster UI) ...")
    results = _refresh()
    for result in results:
        _print_run_summary(result)
    if not all(r.success for r in results):
        print("\nThe run failed; see the errors above.", file=sys.stderr)
        return 1
    print("[4/4] sample questions:")
    kb = runtime.knowledge_base()
    for question in SAMPLE_QUESTIONS:
        print(f"\n? {question}")
        _print_hits(kb.search(question, top_k=3), as_json=False)
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    if config.database_url is None:
        from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

        server = EmbeddedPostgres(config.embedded_postgres_dir, pg_bin=config.pg_bin).status()
        if server.running:
            print(f"The embedded PostgreSQL keeps running (pid {server.pid}, port {server.port}) so that the next "
                  "helio command starts at once; `helio db stop` stops it, `helio db status` shows it.")
    print(f"Explore the runs in the Dagster UI: {_shown(Path(sys.executable).with_name('helio'))} ui  "
          f"(or: {ui_command(settings.dagster_home())})")
    return 0


def _shown(path: Path) -> str:
    """``path`` as typed from the working directory: ``./.venv/bin/dg`` in the checkout."""
    cwd = Path.cwd()
    return "./" + path.relative_to(cwd).as_posix() if path.is_relative_to(cwd) else str(path)


def _ui_tool() -> tuple[list[str], Path | None]:
    """The command that serves the Dagster UI and the directory to run it in: the venv's
    ``dg dev`` in the checkout (``[tool.dg]`` in pyproject.toml), else ``dagster dev`` on the
    installed code location."""
    import os

    bin_dir = Path(sys.executable).parent
    dg_cli, dagster = bin_dir / "dg", bin_dir / "dagster"
    if os.access(dg_cli, os.X_OK) and (settings.REPO_ROOT / "pyproject.toml").exists():
        return [str(dg_cli), "dev"], settings.REPO_ROOT
    tool = str(dagster) if os.access(dagster, os.X_OK) else "dagster"
    return [tool, "dev", "-m", "helio_pipeline.definitions"], None


def ui_command(home: Path) -> str:
    """A command that starts the Dagster UI as printed, from the working directory: the venv's
    ``dg dev`` when dagster-dg-cli is installed (it supersedes ``dagster dev``), else ``dagster dev``."""
    import shlex

    tool, where = _ui_tool()
    shown = [_shown(Path(tool[0])) if "/" in tool[0] else tool[0], *tool[1:]]
    cd = f"cd {shlex.quote(str(where))} && " if where is not None and where != Path.cwd() else ""
    return f"{cd}DAGSTER_HOME={shlex.quote(str(home))} {shlex.join(shown)}"


def cmd_ui(args) -> int:
    """``helio ui``: the Dagster UI on this DAGSTER_HOME, as ``dg dev`` (or ``dagster dev``) in
    place of this process, with SIGINT and SIGTERM back at their defaults: started with ``&``
    or ``nohup`` it still stops on SIGTERM (``dagster dev`` maps SIGTERM onto SIGINT's handler,
    which such a start leaves ignored)."""
    import os

    from helio_pipeline.lib.processes import default_signals

    settings.dagster_home()  # sets DAGSTER_HOME for it
    tool, where = _ui_tool()
    if where is not None:
        os.chdir(where)
    print(f"helio ui: {' '.join(tool)} on http://{args.host}:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})",
          file=sys.stderr, flush=True)
    default_signals()
    os.execvp(tool[0], [*tool, "-h", args.host, "-p", str(args.port)])
    return 1  # not reached: exec replaces this process


def cmd_db(args) -> int:
    """``helio db migrate``: apply pending schema migrations; ``helio db status``: list them, and
    the embedded server (running or not, pid, port, uptime, data dir); ``helio db stop``: stop
    that server (the next helio command starts it again)."""
    from helio_pipeline.lib.db import safe_url
    from helio_pipeline.schema import migrate, status

    config = settings.load().check()
    if config.database_url is None and args.action in ("status", "stop"):
        from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

        server = EmbeddedPostgres(config.embedded_postgres_dir, pg_bin=config.pg_bin)
        found = server.status()
        if args.action == "stop":
            if found.running:
                server.stop(force=True)
                print(f"stopped the embedded PostgreSQL (pid {found.pid}, port {found.port}, "
                      f"data dir {found.data_dir})")
            else:
                print(f"the embedded PostgreSQL is not running (data dir {found.data_dir})")
            return 0
        print(found.describe())
        if not found.running:  # status starts nothing: the migrations are read when a command starts it
            print("  migrations: not read (the server is stopped; `helio db migrate` or any command starts it)")
            return 0
    elif args.action == "stop":
        print("HELIO_DATABASE_URL is set: there is no embedded PostgreSQL to stop")
        return 0
    engine = _runtime().engine(check_schema=False)
    print(f"PostgreSQL at {safe_url(engine.url)}")
    if args.action == "migrate":
        applied = migrate(engine, demo=args.demo)
        print("applied: " + ", ".join(applied) if applied else "schema is current: nothing to apply")
    states = status(engine, demo=getattr(args, "demo", False))
    if args.action == "status" or any(s.state == "waiting" for s in states):
        for state in states:
            print(f"  {state.line}")
    return 0 if all(s.state in ("applied", "waiting", "unknown") for s in states) else 1


def _check_search(args) -> dict:
    """The request's own mistakes, before anything loads (the model, the store, PostgreSQL):
    returns the filters."""
    if not args.query.strip():  # before any import: the commonest mistake answers at once
        raise HelioError("the query is empty")
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.filters import parse_filter_args
    from helio_pipeline.lib.retrieval import clean_query

    clean_query(args.query)
    unknown = [d for d in args.domain or [] if d not in DOMAINS]
    if unknown:
        raise HelioError(f"unknown domain(s) {unknown}; known: {sorted(DOMAINS)}")
    if not 1 <= args.top_k <= 100:
        raise HelioError(f"--top-k must be 1..100, got {args.top_k}")
    filters = parse_filter_args(args.filter)
    if args.owner:
        filters["owner_id"] = args.owner
    for name in args.domain or []:
        tenant = DOMAINS[name].tenant_field
        if tenant and not filters.get(tenant):
            raise HelioError(f"searching {name} requires {tenant!r} (tenant data): pass --owner ID")
    return filters


def cmd_search(args) -> int:
    filters = _check_search(args)
    kb = _runtime().knowledge_base()
    response = kb.query(args.query, domains=args.domain or None, top_k=args.top_k, filters=filters or None,
                        mode=args.mode, available_only=args.available_only, understand=args.understand)
    if args.explain:  # what the question was read as, before the hits (stderr keeps --json parseable)
        read = response.interpreted or "nothing: searched as written"
        print(f"interpreted: {json.dumps(read, ensure_ascii=False)}", file=sys.stderr)
    _print_hits(response.hits, args.json)
    for note in response.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def cmd_memory(args) -> int:
    runtime = _runtime()
    runtime.engine()  # memory reads PostgreSQL: unreachable is said as such, with its endpoint
    kb = runtime.knowledge_base()
    items = kb.memory(args.owner, args.conversation, args.query, recent=args.recent, k=args.k)
    print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
    if not items:  # stdout stays the JSON list; the hint goes to stderr
        print(f"note: nothing for owner {args.owner!r} and conversation {args.conversation!r}: no message of "
              "that conversation and no indexed conversation of that owner (check the ids; "
              "helio search --domain conversations --owner ID lists what the owner has)", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from helio_pipeline.lib.apikeys import is_loopback, load_keys

    runtime = _runtime()
    config = runtime.settings
    # before anything starts: a bad keys file or a public bind fails at once
    keys = load_keys(config.api_keys_file, config.api_keys)
    if keys is None and not is_loopback(args.host):
        raise HelioError(f"refusing to serve on {args.host} without API keys: anyone who reaches the port could "
                         "read every owner's conversations. Create a key (helio apikey create) and set "
                         "HELIO_API_KEYS_FILE, or bind 127.0.0.1")
    import uvicorn

    from helio_pipeline.api import app_for

    app = app_for(runtime, keys)
    store = (f"Qdrant at {config.qdrant_url}" if config.qdrant_url
             else f"embedded {config.embedded_store} store at {config.qdrant_path}")
    spec = runtime.embedder_spec()
    print(f"helio serve: store {store}, collections {config.collection_prefix}-<domain>; embedder {spec.kind}"
          + (f" ({spec.model})" if getattr(spec, "model", None) else ""), file=sys.stderr)
    if keys is None:
        print(f"helio serve: no API keys configured, authentication is off (local development on {args.host} only)",
              file=sys.stderr)
    else:
        print(f"helio serve: {len(keys.keys)} API key(s) from {keys.source}", file=sys.stderr)
    print(f"helio serve: listening on http://{args.host}:{args.port} (OpenAPI at /docs)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_apikey(args) -> int:
    from helio_pipeline.lib.apikeys import create_key

    key, record = create_key(args.name, args.scope or [], args.owner)
    print(f"API key (shown once, give it to the client): {key}")
    print("Add this line to the file HELIO_API_KEYS_FILE names (it holds only the key's hash):")
    print(record.entry())
    return 0


def cmd_rollback(args) -> int:
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib.sync import rollback

    if args.domain not in DOMAINS:
        raise HelioError(f"unknown domain {args.domain!r}; known: {sorted(DOMAINS)}")
    runtime = _runtime()
    alias = DOMAINS[args.domain].collection(runtime.settings.collection_prefix)
    before, after = rollback(runtime.store(), alias)
    print(f"{alias}: {before} -> {after}. The next refresh rebuilds from the current configuration "
          "unless you revert it too.")
    return 0


def cmd_rebuild(args) -> int:
    """Re-index domains from their sources; vectors come back from the embedding cache, so a
    rebuild costs little (see lib/repair.py).

    - First every collection of the chosen domains is verified, every stored vector read: a
      plain rebuild syncs by content and would keep damaged vectors, so it stops and names
      ``--force`` instead.
    - ``--force`` drops the domain's damaged earlier collections and sets its live collection
      aside (renamed, the alias with it: search keeps it meanwhile), rebuilds it from the
      sources and the cache (the mass-delete guard measures it against the one set aside),
      and once the rebuilt one is promoted drops the one set aside if its vectors are damaged,
      else keeps it for ``helio rollback``, as it keeps healthy earlier collections. A Qdrant
      server cannot rename: there a damaged live collection is dropped first, a healthy one
      synced by content. A rebuild stopped midway (Ctrl-C, an error) leaves the alias on the
      one set aside, which the next refresh replaces and keeps for rollback.
    - An embedded store that cannot be opened (corrupted, or written by an incompatible
      engine) is moved aside whole and every domain is rebuilt into a new store. Then each
      collection of the old store that the new one does not hold (the earlier ones kept for
      rollback, or a domain whose rebuild failed), that loads and whose vectors verify, is
      moved into the new store with its promotion time and alias: ``helio rollback`` keeps
      working. What cannot be recovered stays in the moved-aside directory, printed."""
    from helio_pipeline.domains import DOMAINS
    from helio_pipeline.lib import repair
    from helio_pipeline.lib.errors import StoreNotWritable
    from helio_pipeline.lib.indexing import index_config
    from helio_pipeline.vectorstore import close_embedded_stores
    from helio_pipeline.lib.sync import physical_name

    domains = sorted(DOMAINS) if args.domain == "all" else [args.domain]
    if args.domain != "all" and args.domain not in DOMAINS:
        raise HelioError(f"unknown domain {args.domain!r}; known: {sorted(DOMAINS)} or all")
    runtime = _runtime()
    config = runtime.settings
    aliases = {d: DOMAINS[d].collection(config.collection_prefix) for d in domains}
    moved_store, set_aside = None, {}
    try:
        store = runtime.store()
        require_writable = getattr(store, "require_writable", None)
        if require_writable:  # an embedded store this process may only read: say so before any work
            require_writable()
        store.load_all()
    except (StoreBusy, StoreNotWritable):
        raise  # in use by another process, or not ours to write: never move it aside
    except HelioError as exc:
        if not config.uses_embedded_store:
            raise
        broken = Path(config.qdrant_path)
        moved_store = broken.with_name(f"{broken.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        broken.rename(moved_store)
        print(f"the embedded store could not be opened ({exc}); moved it to {moved_store}")
        domains = sorted(DOMAINS)  # the whole store went aside: every domain is rebuilt
    else:
        damaged = repair.damaged_collections(store, list(aliases.values()))
        if damaged and not args.force:  # each problem names the `helio rebuild --force DOMAIN` to run
            raise HelioError("; ".join(p for found in damaged.values() for p in found.values())
                             + ". (A rebuild without --force syncs by content and would keep them.)")
        if args.force:
            model = runtime.embedder()
            for domain, alias in aliases.items():
                expected = physical_name(alias, index_config(DOMAINS[domain], model))
                aside = repair.set_aside_for_rebuild(store, alias, expected, damaged.get(alias, {}))
                if aside:
                    set_aside[alias] = aside
    close_embedded_stores()
    try:
        results = _refresh(domains, full=True)  # a rebuild re-reads the sources whatever their fingerprint
        for result in results:
            _print_run_summary(result)
    finally:  # also when stopped or failed: what was set or moved aside is settled, never orphaned
        if set_aside or moved_store:
            with _runtime() as settled:  # closing it releases the embedded store
                store = settled.store()
                for alias, aside in set_aside.items():
                    repair.finish_forced_rebuild(store, alias, aside)
                if moved_store:
                    repair.recover_moved_store(store, moved_store)
    return 0 if all(r.success for r in results) else 1


def cmd_cache(args) -> int:
    from helio_pipeline.lib.embedding_cache import EmbeddingCache

    cache = EmbeddingCache(_runtime().engine())
    if args.action == "prune":
        print(f"dropped {cache.prune(args.days)} entries not hit for {args.days} days")
    print(json.dumps(cache.stats()))
    return 0


def cmd_quarantine(args) -> int:
    from helio_pipeline.lib.quarantine import latest_problems

    problems = latest_problems(_runtime().engine(), args.domain, args.limit)
    for row in problems:
        seen = f"{row['first_seen']:%Y-%m-%d %H:%M}"
        if row["runs"] > 1:
            seen += f" .. {row['last_seen']:%Y-%m-%d %H:%M}, {row['runs']} runs"
        print(f"{row['domain']:<13} {row['source']} {row['location']}: {row['reason']}  ({seen})")
    if not problems:
        print("no skipped rows or quarantined lines" + (f" in {args.domain}" if args.domain else ""))
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1..65535, got {value}")
    return value


RANGES_AND_SCORES = """\
filters: --filter field=value, repeatable; the value is read as JSON when it is JSON.
  keyword  --filter category=inverter, or any of several: --filter 'category=["inverter","module"]'
  range    --filter 'power_w={"gte": 40000, "lte": 60000}' (gt, gte, lt, lte; numbers, or ISO
           times for time fields); a plain number matches that value exactly
  across several domains a filter applies where the field exists; the notes (stderr) name the
  domains it could not filter
scores: hybrid (default) and multi-domain results are fused by reciprocal rank, a hit at rank r
  of a domain with weight w scores w/(60+r): compare scores within one answer, not across
  queries; dense scores are cosine similarities (e5 scores cluster high), sparse ones are
  BM25-like lexical scores.
"""


def _filter_fields_help() -> str:
    from helio_pipeline.domains import DOMAINS

    lines = ["filter fields per domain:"]
    for name, domain in DOMAINS.items():
        fields = ", ".join(f"{f} ({kind})" for f, kind in domain.filter_fields.items())
        tenant = f"; requires {domain.tenant_field} (--owner)" if domain.tenant_field else ""
        lines.append(f"  {name}: {fields}{tenant}")
    return "\n".join(lines) + "\n" + RANGES_AND_SCORES


def build_parser(full_help: bool = False) -> argparse.ArgumentParser:
    """``full_help``: build the help texts that read the domain registry (only for --help, so
    that a search does not pay for them)."""
    parser = argparse.ArgumentParser(prog="helio", description="Helio KB: keep Hélio's knowledge bases fresh.")
    parser.add_argument("-v", "--verbose", "--debug", action="store_true",
                        help="print Dagster's debug log of runs instead of the progress lines")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", "--debug", action="store_true", default=argparse.SUPPRESS,
                        help="print Dagster's debug log of runs instead of the progress lines")
    original_add_parser = sub.add_parser

    def add_parser(name, **kwargs):
        return original_add_parser(name, parents=[common], **kwargs)

    sub.add_parser = add_parser

    demo = sub.add_parser("demo", help="seed demo data, index all four domains, answer sample questions")
    demo.add_argument("--products", default="2000", help="about N products from the CEC tables, or 'all'")
    demo.set_defaults(fn=cmd_demo)

    seed = sub.add_parser("seed", help="load the deterministic demo data (idempotent)")
    seed.add_argument("--products", default="2000", help="about N products from the CEC tables, or 'all'")
    seed.add_argument("--conversations", type=int, default=320)
    seed.set_defaults(fn=cmd_seed)

    refresh = sub.add_parser("refresh", help="materialize the assets of some domains (default: all) now")
    refresh.add_argument("domains", nargs="*", metavar="DOMAIN", help="the domains to refresh (default: every one)")
    refresh.add_argument("--source-id", action="append", metavar="ID",
                         help="re-sync only this source (a row or file id as in the payload's source_id); repeatable")
    refresh.add_argument("--allow-mass-delete", action="append", metavar="DOMAIN",
                         help="let this domain's sync delete past the mass-delete guard (its source really "
                              "shrank); repeatable, or all")
    refresh.add_argument("--full", action="store_true",
                         help="extract, chunk and sync every chosen domain, even one whose inputs (tables, "
                              "objects, embedder, code, settings, golden set) are unchanged since its last "
                              "verified sync, which a refresh otherwise skips")
    refresh.set_defaults(fn=cmd_refresh)

    runs = sub.add_parser("runs", help="runs holding the KB pool slots; release one whose process is gone")
    runs.add_argument("action", nargs="?", choices=["list", "release"], default="list")
    runs.add_argument("run_id", nargs="?", help="release: the run id (or a unique prefix of it)")
    runs.set_defaults(fn=cmd_runs)

    db = sub.add_parser("db", help="database: apply pending migrations (migrate), list them and the embedded "
                                   "server (status), stop the embedded server (stop)")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_migrate = db_sub.add_parser("migrate", help="apply pending migrations, then each domain's change tracking")
    db_migrate.add_argument("--demo", action="store_true",
                            help="also create the demo's source tables (products, prices, business_rules, ...)")
    db_sub.add_parser("status", help="the embedded server (pid, port, uptime, data dir) and the applied and "
                                     "pending migrations (exit 1 when some are pending)")
    db_sub.add_parser("stop", help="stop the embedded PostgreSQL (helio commands leave it running to start fast)")
    db.set_defaults(fn=cmd_db)

    search = sub.add_parser("search", help="search the knowledge bases",
                            epilog=_filter_fields_help() if full_help else None,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    search.add_argument("query")
    search.add_argument("--domain", action="append", help="products, prices, rules or conversations (repeatable)")
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument("--mode", choices=["hybrid", "dense", "sparse"], default="hybrid")
    search.add_argument("--filter", action="append",
                        help="field=value (JSON values allowed, ranges as {\"gte\": N}), repeatable; fields below")
    search.add_argument("--owner", help="owner_id: required to search conversations")
    search.add_argument("--available-only", action="store_true", help="products active and in stock now")
    search.add_argument("--json", action="store_true", help="print hits as JSON")
    search.add_argument("--no-understand", dest="understand", action="store_false",
                        help="search the question as written (no specs read from it)")
    search.add_argument("--explain", action="store_true", help="say what the question was read as")
    search.set_defaults(fn=cmd_search)

    memory = sub.add_parser("memory", help="recent messages of a conversation + relevant past ones (JSON)")
    memory.add_argument("query")
    memory.add_argument("--owner", required=True)
    memory.add_argument("--conversation", required=True, help="correlation_id")
    memory.add_argument("--recent", type=int, default=20)
    memory.add_argument("--k", type=int, default=5)
    memory.set_defaults(fn=cmd_memory)

    ui = sub.add_parser("ui", help="the Dagster UI on this DAGSTER_HOME (dg dev); stops on SIGTERM even started with &")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=_port, default=3000)
    ui.set_defaults(fn=cmd_ui)

    serve = sub.add_parser("serve", help="HTTP API: GET /search, POST /memory, GET /health (OpenAPI at /docs)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="without API keys (HELIO_API_KEYS_FILE, HELIO_API_KEYS) only a loopback address")
    serve.add_argument("--port", type=_port, default=8080)
    serve.set_defaults(fn=cmd_serve)

    apikey = sub.add_parser("apikey", help="API keys for helio serve")
    apikey_sub = apikey.add_subparsers(dest="action", required=True)
    create = apikey_sub.add_parser("create", help="print a new key once, and the line (its hash) to store")
    create.add_argument("--name", required=True, help="who uses it, e.g. assistant-prod")
    from helio_pipeline.lib.apikeys import SCOPES

    create.add_argument("--scope", action="append", choices=SCOPES, required=True,
                        help="catalog (products, prices, rules) and/or conversations (repeatable)")
    create.add_argument("--owner", help="bind the key to one owner_id: it reads that owner's conversations only")
    create.set_defaults(fn=cmd_apikey)

    rollback = sub.add_parser("rollback", help="point a domain's alias back at its previous collection")
    rollback.add_argument("domain")
    rollback.set_defaults(fn=cmd_rollback)

    rebuild = sub.add_parser("rebuild", help="re-index a domain (or all); a broken embedded store is moved aside")
    rebuild.add_argument("domain", help="products, prices, rules, conversations or all")
    rebuild.add_argument("--force", action="store_true",
                         help="rebuild the live collection too (damaged vectors): set aside, rebuilt from the cache")
    rebuild.set_defaults(fn=cmd_rebuild)

    cache = sub.add_parser("cache", help="embedding cache: stats, or prune entries not hit for N days")
    cache.add_argument("action", choices=["stats", "prune"])
    cache.add_argument("--days", type=float, default=30)
    cache.set_defaults(fn=cmd_cache)

    quarantine = sub.add_parser("quarantine", help="list skipped rows and quarantined lines")
    quarantine.add_argument("--domain")
    quarantine.add_argument("--limit", type=_positive_int, default=50)
    quarantine.set_defaults(fn=cmd_quarantine)
    return parser


def main(argv: list[str] | None = None) -> int:
    global VERBOSE
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(full_help=any(a in ("-h", "--help") for a in argv)).parse_args(argv)
    VERBOSE = bool(getattr(args, "verbose", False))
    logging.basicConfig(level=logging.DEBUG if VERBOSE else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if getattr(args, "products", None) not in (None, "all"):
        args.products = int(args.products)
    try:
        return args.fn(args)
    except HelioError as exc:
        print(f"helio: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: one line, no traceback
        print(f"helio: interrupted{': ' + str(exc) if str(exc) else ''}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
