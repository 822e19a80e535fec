"""Materialize every asset (or some domains' assets) in this process, without a daemon: the
one way the CLI, the tests, the benches and the scripts run the refresh job."""

from __future__ import annotations

from typing import Iterable

import dagster as dg

REFRESH_JOB = "kb_refresh"
STAGES = ("extract", "chunks", "index")


def refresh_selection(domains: Iterable[str] | None) -> list[dg.AssetKey] | None:
    """The extract, chunks and index assets of ``domains`` (None: every asset of the job)."""
    if domains is None:
        return None
    return [dg.AssetKey(f"{domain}_{stage}") for domain in domains for stage in STAGES]


def index_run_config(domains: Iterable[str], config: dict | None) -> dict | None:
    """Run config giving each domain's index asset ``config`` (``allow_mass_delete``...)."""
    if not config:
        return None
    return {"ops": {f"{domain}_index": {"config": dict(config)} for domain in domains}}


def materialize_in_process(defs: dg.Definitions, instance: dg.DagsterInstance | None = None,
                           domains: Iterable[str] | None = None, run_config: dict | None = None,
                           job: str = REFRESH_JOB, partition_key: str | None = None,
                           raise_on_error: bool = True, **execute):
    """Run ``job`` of ``defs`` here, on ``instance`` (default: a throwaway ephemeral one),
    limited to ``domains`` when given. ``execute``: more ``execute_in_process`` arguments
    (``run_id``, ``tags``). Returns the result."""
    if instance is None:  # a throwaway instance, disposed here: the result keeps its events in memory
        with dg.DagsterInstance.ephemeral() as throwaway:
            return materialize_in_process(defs, throwaway, domains, run_config, job, partition_key,
                                          raise_on_error, **execute)
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, run_config=run_config or {}, asset_selection=refresh_selection(domains),
        partition_key=partition_key, raise_on_error=raise_on_error, **execute)


def index_metadata(result) -> dict[str, dict]:
    """Per domain, the metadata its index asset reported in ``result`` (plain values): a
    materialization's, or for a domain skipped because its inputs were unchanged since its last
    verified sync, the observation saying so (``unchanged_since``: which run; 0 texts embedded)."""
    found = {}
    observed = [e.asset_observation_data.asset_observation for e in result.get_asset_observation_events()]
    events = [o for o in observed if "unchanged_since" in o.metadata]
    events += [e.materialization for e in result.get_asset_materialization_events()]
    for event in events:
        name = event.asset_key.to_user_string()
        meta = {k: getattr(v, "value", v) for k, v in event.metadata.items()}
        if name.endswith("_index") and "collection" in meta:
            found[name[: -len("_index")]] = meta
    return found
