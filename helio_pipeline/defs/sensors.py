"""Sensors: reindex within a minute of a catalog change.

- ``catalog_change_sensor`` reads the PostgreSQL change log after its cursor (the last
  change id handled) and requests one run per affected domain that re-syncs only the
  changed source ids. A burst of 1,000 changes is one run per domain, and ``run_key``
  makes each batch run once.
- ``object_drop_sensor`` watches ``catalog/`` and ``rules/`` in the object store (cursor:
  the ETag of every object) and requests a sync of the domains the changed objects feed.

A sensor that cannot reach its source skips with the reason and keeps its cursor, so no
change is lost.
"""

import hashlib

import dagster as dg

from helio_pipeline.defs.resources import ObjectStoreResource, SourceDatabase
from helio_pipeline.defs.schedules import kb_refresh_job
from helio_pipeline.lib.changes import decode_etags, encode_etags, prune_changes, read_changes, scan_drops
from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.quarantine import record_problems

CHANGE_LOG_RETENTION_DAYS = 7


def domain_assets(domain: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(f"{domain}_{stage}") for stage in ("extract", "chunks", "index")]


def domain_run(domain: str, run_key: str, source_ids: list[str] | None, reason: str) -> dg.RunRequest:
    config = {"source_ids": source_ids} if source_ids is not None else {}
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=domain_assets(domain),
        run_config={"ops": {f"{domain}_index": {"config": config}}},
        tags={"helio/kb": domain, "helio/trigger": reason},
    )


@dg.sensor(job=kb_refresh_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def catalog_change_sensor(context: dg.SensorEvaluationContext, database: SourceDatabase):
    """Re-syncs the products, prices and rules KBs for rows changed in PostgreSQL (via triggers)."""
    cursor = int(context.cursor or 0)
    try:
        engine = database.engine()
        batch = read_changes(engine, after=cursor)
    except HelioError as exc:
        return dg.SkipReason(f"source database unreachable, cursor kept at change {cursor}: {exc}")
    if batch is None:
        return dg.SkipReason(f"no catalog changes after change {cursor}")
    requests = [
        domain_run(domain, f"{domain}:changes:{batch.first_id}-{batch.last_id}", sorted(ids), "change_log")
        for domain, ids in sorted(batch.source_ids.items())
    ]
    pruned = prune_changes(engine, batch.last_id, CHANGE_LOG_RETENTION_DAYS)
    context.log.info(f"changes {batch.first_id}..{batch.last_id} {batch.operations}: "
                     f"{ {d: len(i) for d, i in batch.source_ids.items()} } source ids; pruned {pruned} old rows")
    return dg.SensorResult(run_requests=requests, cursor=str(batch.last_id))


@dg.sensor(job=kb_refresh_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def object_drop_sensor(context: dg.SensorEvaluationContext, objects: ObjectStoreResource,
                       database: SourceDatabase):
    """Re-syncs the domains fed by new, modified or removed objects under catalog/ and rules/."""
    previous = decode_etags(context.cursor)
    try:
        scan = scan_drops(objects.store(), previous)
    except HelioError as exc:
        return dg.SkipReason(f"object store unreachable, cursor kept: {exc}")
    if scan.quarantined:
        record_problems(database.engine(), None, "catalog", scan.quarantined)
        for problem in scan.quarantined:
            context.log.warning(f"quarantined {problem.source}: {problem.reason}")
    if not scan.domains:
        return dg.SensorResult(skip_reason="no new or modified objects", cursor=encode_etags(scan.etags))
    stamp = hashlib.sha1(encode_etags(scan.etags).encode()).hexdigest()[:16]
    requests = [domain_run(domain, f"{domain}:objects:{stamp}", None, "object_drop")
                for domain in sorted(scan.domains)]
    return dg.SensorResult(run_requests=requests, cursor=encode_etags(scan.etags))
