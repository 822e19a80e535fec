"""Sensors: reindex within a minute of a catalog change.

- ``catalog_change_sensor`` reads the PostgreSQL change log after its cursor (the last
  change id handled) and requests one run per affected domain that re-syncs only the
  changed source ids. A burst of 1,000 changes is one run per domain, and ``run_key``
  makes each batch run once.
- ``object_drop_sensor`` watches ``catalog/`` and ``rules/`` in the object store (cursor:
  the ETag of every object) and requests a sync of the domains the changed objects feed.

For a sharded domain, changed source ids are routed to the runs of their shards (only the
shards with changes run); an object drop re-syncs every shard.

A sensor that cannot reach its source skips with the reason and keeps its cursor, so no
change is lost.
"""

import hashlib

import dagster as dg

from helio_pipeline.defs.resources import ObjectStoreResource, SourceDatabase
from helio_pipeline.defs.schedules import build_jobs, domain_run_requests
from helio_pipeline.lib.changes import decode_etags, encode_etags, prune_changes, read_changes, scan_drops
from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.quarantine import record_problems
from helio_pipeline.lib.sharding import Shard, shard_of

CHANGE_LOG_RETENTION_DAYS = 7


def by_shard(source_ids, shards: int) -> dict:
    """{partition key (None when unsharded): source ids} for the shards that have changes."""
    if shards == 1:
        return {None: sorted(source_ids)}
    grouped: dict = {}
    for source_id in source_ids:
        grouped.setdefault(Shard(shard_of(source_id, shards), shards).key, []).append(source_id)
    return {key: sorted(ids) for key, ids in grouped.items()}


def build_sensors(shards: dict[str, int], jobs: list) -> list[dg.SensorDefinition]:
    @dg.sensor(jobs=jobs, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
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
            request
            for domain, ids in sorted(batch.source_ids.items())
            for request in domain_run_requests(domain, shards.get(domain, 1),
                                               f"{domain}:changes:{batch.first_id}-{batch.last_id}",
                                               by_shard(ids, shards.get(domain, 1)), "change_log")
        ]
        pruned = prune_changes(engine, batch.last_id, CHANGE_LOG_RETENTION_DAYS)
        context.log.info(f"changes {batch.first_id}..{batch.last_id} {batch.operations}: "
                         f"{ {d: len(i) for d, i in batch.source_ids.items()} } source ids; pruned {pruned} old rows")
        return dg.SensorResult(run_requests=requests, cursor=str(batch.last_id))

    @dg.sensor(jobs=jobs, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
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
        requests = [request for domain in sorted(scan.domains)
                    for request in domain_run_requests(domain, shards.get(domain, 1), f"{domain}:objects:{stamp}",
                                                       None, "object_drop")]
        return dg.SensorResult(run_requests=requests, cursor=encode_etags(scan.etags))

    return [catalog_change_sensor, object_drop_sensor]


# the unsharded sensors, for callers that evaluate a sensor directly (tests, scripts)
catalog_change_sensor, object_drop_sensor = build_sensors({}, build_jobs({}))
