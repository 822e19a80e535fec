"""Jobs and schedules: the nightly refresh of every KB and the early-morning price refresh.

- ``kb_refresh`` materializes every unsharded domain in one run; each domain also has its
  own job, ``<domain>_refresh``, which sensors use to re-sync one domain.
- A sharded domain's assets are partitioned, and Dagster runs one partition per run: its
  refresh is one run per shard (``domain_run_requests``), which the run queue spreads over
  as many workers as the deployment allows.
- Quiet nights launch nothing. Each schedule's tick first asks, for every domain and shard
  it covers, the same question a run asks before extracting (``assets.check_inputs``: are
  the inputs the ones of the last verified sync, and do the stored points and vectors still
  verify?). Only what changed gets a run; the tick's log and skip reason name the rest and
  since which run they are unchanged. The tick spends at most ``HELIO_SCHEDULE_CHECK_SECONDS``
  on it: a domain or shard it could not check in time, or could not check at all (a source
  unreachable, qdrant-client's local mode), gets its run, and the run checks itself. When in
  doubt, a run.
"""

import threading
import time

import dagster as dg

from helio_pipeline import settings
from helio_pipeline.defs.assets import check_inputs
from helio_pipeline.defs.resources import EmbedderResource, ObjectStoreResource, QdrantResource, SourceDatabase
from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib import fingerprint
from helio_pipeline.lib.redaction import redact_escaped
from helio_pipeline.lib.sharding import Shard, shard_keys

NIGHTLY = "0 2 * * *"
TIMEZONE = "America/Sao_Paulo"


def domain_job_name(domain: str) -> str:
    return f"{domain}_refresh"


def domain_assets(domain: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(f"{domain}_{stage}") for stage in ("extract", "chunks", "index")]


def domain_run_requests(domain: str, shards: int, run_key: str | None, source_ids_by_shard: dict | None = None,
                        reason: str = "schedule") -> list[dg.RunRequest]:
    """The runs that re-sync ``domain``: one, or one per shard when it is sharded.

    ``source_ids_by_shard`` ({shard key or None: [source ids]}) limits each run to those
    sources (a sensor reacting to changed rows); shards without changes get no run."""
    targets = {None: None} if shards == 1 else {key: None for key in shard_keys(shards)}
    if source_ids_by_shard is not None:
        targets = dict(source_ids_by_shard)
    requests = []
    for partition, source_ids in sorted(targets.items(), key=lambda kv: kv[0] or ""):
        config = {"source_ids": sorted(source_ids)} if source_ids is not None else {}
        tags = {"helio/kb": domain if partition is None else f"{domain}/{partition}", "helio/trigger": reason}
        requests.append(dg.RunRequest(
            run_key=None if run_key is None else (run_key if partition is None else f"{run_key}:{partition}"),
            job_name=domain_job_name(domain), partition_key=partition, asset_selection=domain_assets(domain),
            run_config={"ops": {f"{domain}_index": {"config": config}}}, tags=tags,
        ))
    return requests


def shard_config(domain: str, shards: int) -> dg.PartitionedConfig:
    """Every run of one shard of ``domain`` is tagged ``helio/kb=<domain>/<shard key>``, however
    the job was launched (schedule, sensor, a job backfill from the UI or the CLI): the run queue's
    per-value limit lets different shards run at once and never two runs of one shard."""
    return dg.PartitionedConfig(
        partitions_def=dg.StaticPartitionsDefinition(shard_keys(shards)),
        run_config_for_partition_key_fn=lambda key: {},
        tags_for_partition_key_fn=lambda key: {"helio/kb": f"{domain}/{key}"},
    )


def build_jobs(shards: dict[str, int]) -> list:
    unsharded = [name for name in DOMAINS if shards.get(name, 1) == 1]
    jobs = [dg.define_asset_job(
        domain_job_name(name), selection=dg.AssetSelection.groups(name),
        description=f"Extract, chunk and sync the {name} KB" + (
            f" (one run per shard: {shards[name]} partitions)." if shards.get(name, 1) > 1 else "."),
        tags={"helio/kb": name},
        **({"config": shard_config(name, shards[name])} if shards.get(name, 1) > 1 else {}),
    ) for name in DOMAINS]
    if unsharded:
        jobs.append(dg.define_asset_job(
            "kb_refresh", selection=dg.AssetSelection.groups(*unsharded),
            description="Extract, chunk and sync every unsharded KB (incremental: a quiet night embeds nothing).",
            tags={"helio/kb": "all"},
        ))
    return jobs


def build_schedules(shards: dict[str, int]) -> list:
    unsharded = [name for name in DOMAINS if shards.get(name, 1) == 1]
    schedules = []
    if unsharded:
        schedules.append(quiet_schedule(
            "nightly_kb_refresh", "kb_refresh", {name: 1 for name in unsharded}, NIGHTLY,
            "Re-sync every unsharded KB; only the domains whose inputs changed are run."))
    for name in DOMAINS:
        if shards.get(name, 1) > 1:
            schedules.append(quiet_schedule(
                f"nightly_{name}_shards", domain_job_name(name), {name: shards[name]}, NIGHTLY,
                f"Re-sync the {name} KB: one run per shard whose inputs changed ({shards[name]} shards), "
                "in parallel where workers allow."))
    schedules.append(quiet_schedule(
        "morning_prices_refresh", domain_job_name("prices"), {"prices": shards.get("prices", 1)}, "0 6 * * *",
        "Re-sync the prices KB (tariff updates arrive early in the morning)."))
    return schedules


def quiet_schedule(name: str, job_name: str, domains: dict[str, int], cron: str, description: str):
    """A schedule of ``job_name`` over ``domains`` ({domain: shard count}) that requests runs
    for the domains and shards whose inputs changed only (see the module)."""

    @dg.schedule(name=name, job_name=job_name, cron_schedule=cron, execution_timezone=TIMEZONE,
                 default_status=dg.DefaultScheduleStatus.STOPPED, description=description)
    def schedule(context: dg.ScheduleEvaluationContext, database: SourceDatabase, objects: ObjectStoreResource,
                 embedder: EmbedderResource, qdrant: QdrantResource):
        stamp = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else None
        run_key = f"{name}:{stamp}" if stamp else None
        changed, unchanged = changed_targets(domains, database, objects, embedder, qdrant,
                                             settings.schedule_check_seconds(), context.log.info)
        for line in unchanged:
            context.log.info(f"no run: {line}")
        if not changed:
            return dg.SkipReason("inputs unchanged since the last verified sync, nothing to run: "
                                 + "; ".join(unchanged))
        if job_name != "kb_refresh":
            (domain, count), = domains.items()
            return domain_run_requests(domain, count, run_key, changed[domain] if count > 1 else None)
        return dg.RunRequest(run_key=run_key, job_name=job_name, tags={"helio/trigger": "schedule"},
                             asset_selection=[key for domain in sorted(changed) for key in domain_assets(domain)])

    return schedule


def changed_targets(domains: dict[str, int], database: SourceDatabase, objects: ObjectStoreResource,
                    embedder: EmbedderResource, qdrant: QdrantResource, budget_seconds: float,
                    log=lambda message: None, clock=time.monotonic) -> tuple[dict, list[str]]:
    """({domain: {shard key or None: None}} of the domains and shards that need a run, [one line
    per domain or shard that does not, saying since which run]).

    The checks run in a worker thread, and the tick waits for it ``budget_seconds`` at most:
    a check that hangs (a table locked by a bulk load, a slow store) cannot make the tick miss
    the daemon's timeout, which would request nothing at all. Whatever was not checked by
    then, or could not be checked, needs a run. The worker's source queries are cancelled at
    the deadline (PostgreSQL ``statement_timeout``), so it ends, and closes the store, soon
    after the tick. A sharded domain's source tables are read once for all its shards
    (``fingerprint.shard_digests``: one scan, not one per shard). ``clock``: a seam for tests."""
    targets = [(domain, None if count == 1 else Shard.parse(key))
               for domain, count in domains.items() for key in (shard_keys(count) if count > 1 else [None])]
    verdicts: dict = {}  # (domain, shard) -> (Unchanged or None, why)
    guard = threading.Lock()
    failure: list[str] = []

    def check_all(deadline: float) -> None:
        read: dict[str, dict] = {}  # a sharded domain's tables, read once for all its shards
        try:
            with qdrant.reading() as store:
                for domain, shard in targets:
                    now = clock()
                    if now > deadline:
                        return
                    if shard is not None and domain not in read:
                        try:
                            read[domain] = fingerprint.shard_digests(DOMAINS[domain], database.engine(), shard.count,
                                                                     timeout_s=max(0.001, deadline - now))
                        except Exception as exc:  # noqa: BLE001 - each shard then reads its own rows, and says why not
                            log(f"{domain}: shards not read in one scan ({type(exc).__name__}: {redact_escaped(exc)}); "
                                "each shard reads its own rows")
                            read[domain] = {}
                        now = clock()
                        if now > deadline:
                            return
                    digests = read[domain].get(shard.index) if shard is not None else None
                    try:  # a query blocked past the deadline (a lock) is cancelled: the worker ends too
                        _, same, why = check_inputs(DOMAINS[domain], shard, database, objects, embedder, store,
                                                    qdrant.collection_prefix, timeout_s=max(0.001, deadline - now),
                                                    table_digests=digests)
                    except Exception as exc:  # noqa: BLE001 - a run then checks, and fails clearly if it must
                        same, why = None, f"could not check: {type(exc).__name__}: {redact_escaped(exc)}"
                    with guard:
                        verdicts[(domain, shard)] = (same, why)
        except Exception as exc:  # noqa: BLE001 - the store cannot be read here (or closing it failed)
            failure.append(f"{type(exc).__name__}: {redact_escaped(exc)}")

    if budget_seconds > 0:
        worker = threading.Thread(target=check_all, args=(clock() + budget_seconds,), name="schedule-check",
                                  daemon=True)
        worker.start()
        worker.join(budget_seconds)
    with guard:
        found = dict(verdicts)
    changed: dict[str, dict] = {}
    unchanged: list[str] = []
    for domain, shard in targets:
        name = f"{domain}{' ' + shard.key if shard else ''}"
        same, why = found.get((domain, shard), (None, None))
        if same is not None:
            unchanged.append(f"{name} {same.describe()}")
            continue
        if why is None:
            why = ("HELIO_SCHEDULE_CHECK_SECONDS=0: not checked" if budget_seconds <= 0
                   else f"store not readable here: {failure[0]}" if failure
                   else f"not checked within HELIO_SCHEDULE_CHECK_SECONDS={budget_seconds:g}: the run checks")
        changed.setdefault(domain, {})[shard.key if shard else None] = None
        log(f"{name}: run ({why})")
    return changed, unchanged
