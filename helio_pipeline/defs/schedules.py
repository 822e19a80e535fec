"""Jobs and schedules: the nightly refresh of every KB and the early-morning price refresh.

- ``kb_refresh`` materializes every unsharded domain in one run; each domain also has its
  own job, ``<domain>_refresh``, which sensors use to re-sync one domain.
- A sharded domain's assets are partitioned, and Dagster runs one partition per run: its
  refresh is one run per shard (``domain_run_requests``), which the run queue spreads over
  as many workers as the deployment allows.
"""

import dagster as dg

from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib.sharding import shard_keys

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
    schedules = []
    if any(shards.get(name, 1) == 1 for name in DOMAINS):
        schedules.append(dg.ScheduleDefinition(
            name="nightly_kb_refresh", job_name="kb_refresh", cron_schedule=NIGHTLY,
            execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.STOPPED,
        ))
    for name in DOMAINS:
        if shards.get(name, 1) > 1:
            schedules.append(_shard_schedule(f"nightly_{name}_shards", name, shards[name], NIGHTLY))
    if shards.get("prices", 1) > 1:
        schedules.append(_shard_schedule("morning_prices_refresh", "prices", shards["prices"], "0 6 * * *"))
    else:
        schedules.append(dg.ScheduleDefinition(
            name="morning_prices_refresh", job_name=domain_job_name("prices"), cron_schedule="0 6 * * *",
            execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.STOPPED,
            description="Re-sync the prices KB (tariff updates arrive early in the morning).",
        ))
    return schedules


def _shard_schedule(name: str, domain: str, count: int, cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(name=name, job_name=domain_job_name(domain), cron_schedule=cron, execution_timezone=TIMEZONE,
                 default_status=dg.DefaultScheduleStatus.STOPPED,
                 description=f"Re-sync the {domain} KB: one run per shard ({count}), in parallel where workers allow.")
    def shard_schedule(context: dg.ScheduleEvaluationContext):
        stamp = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else None
        return domain_run_requests(domain, count, f"{name}:{stamp}" if stamp else None)

    return shard_schedule
