"""Sharded domains through Dagster.

- Three shard partitions of the conversations KB run at once, as separate ``dagster asset
  materialize`` processes with the multiprocess executor (every step in its own process),
  against qdrant-client's Qdrant API on one local path; the collection they build equals an
  unsharded run's point for point (ids, payloads, vectors).
- Changing the shard count re-partitions cleanly: no duplicates, deletes propagate.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import numpy as np

from helio_pipeline.demo.seed import seed
from helio_pipeline.lib.sharding import shard_keys
from helio_pipeline.vectorstore import close_embedded_stores, open_store
from helio_pipeline.lib.processes import spawn

REPO = Path(__file__).resolve().parents[2]
STAGES = ("extract", "chunks", "index")


def collection_points(store, alias):
    """{point id: (payload, dense vector)} of every point behind ``alias``."""
    records = store.retrieve(alias, list(store.read_index(alias)), with_vectors=True)
    return {str(r.id): (r.payload, np.asarray(r.vector, dtype=np.float32)) for r in records}


def assert_same_points(got: dict, expected: dict) -> None:
    """Same ids, same payloads, same vectors (to float32 noise: a batch embeds the same text
    with a different summation order than another batch)."""
    assert sorted(got) == sorted(expected)
    differing = [pid for pid in expected if got[pid][0] != expected[pid][0]]
    assert not differing, [(got[pid][0], expected[pid][0]) for pid in differing[:3]]
    far = [pid for pid in expected if not np.allclose(got[pid][1], expected[pid][1], atol=1e-5)]
    assert not far, f"{len(far)} vectors differ, e.g. {expected[far[0]][0]['source_id'] if far else ''}"


def test_shards_in_parallel_processes_equal_one_unsharded_run(kb, pg_url, bucket_url, s3_endpoint, tmp_path,
                                                              monkeypatch):
    seed(kb.engine, kb.objects, products=20, conversations=60)
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "HELIO_DATABASE_URL": pg_url, "HELIO_S3_URL": bucket_url,
           "AWS_ENDPOINT_URL": s3_endpoint, "HELIO_EMBEDDER": "static", "HELIO_EMBEDDED_STORE": "qdrant-local",
           "HELIO_COLLECTION_PREFIX": "sharded", "HELIO_SHARDS": "conversations=3",
           "HELIO_EXECUTOR": "multiprocess", "HELIO_STORE_WAIT_SECONDS": "300", "PYTHONPATH": str(REPO)}
    env.pop("HELIO_QDRANT_URL", None)
    with dg.DagsterInstance.from_config(str(home)):
        pass  # create the instance's storage once, before three processes race to migrate it
    dagster = str(Path(sys.executable).with_name("dagster"))
    started = time.monotonic()
    workers = [spawn(
        [dagster, "asset", "materialize", "-m", "tests.e2e.sharded_location", "--partition", key,
         "--select", ",".join(f"conversations_{s}" for s in STAGES)],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) for key in shard_keys(3)]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output[-3000:]
        assert "Multiprocess executor: parent process exiting" in output or "multiprocess" in output.lower()
    print(f"3 shard runs in parallel: {time.monotonic() - started:.1f} s")

    # the unsharded reference, through the same assets, into other collections of the same store
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in env.items():
        if name.startswith("HELIO_") or name == "AWS_ENDPOINT_URL":
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("HELIO_SHARDS", "")
    monkeypatch.setenv("HELIO_COLLECTION_PREFIX", "whole")
    from helio_pipeline.definitions import build_definitions

    defs = build_definitions()
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("kb_refresh").execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey(f"conversations_{s}") for s in STAGES])
    assert result.success
    try:
        store = open_store(path=home / "qdrant", embedded="qdrant-local")
        sharded, whole = collection_points(store, "sharded-conversations"), collection_points(store, "whole-conversations")
        assert len(whole) > 60
        assert_same_points(sharded, whole)
    finally:
        close_embedded_stores()

    # each partition's run checked its own shard and passed
    with dg.DagsterInstance.from_config(str(home)) as shared:
        records = shared.get_event_records(dg.EventRecordsFilter(
            event_type=dg.DagsterEventType.ASSET_MATERIALIZATION, asset_key=dg.AssetKey("conversations_index")))
        by_partition = {r.event_log_entry.dagster_event.partition: r.asset_materialization.metadata for r in records}
        assert set(by_partition) == set(shard_keys(3))
        assert sum(m["chunks"].value for m in by_partition.values()) == len(whole)
        assert {m["shards_built"].value for m in by_partition.values()} >= {"3/3"}
        checks = shared.get_event_records(dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION))
        evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in checks]
        assert len(evaluations) == 3 * 6 and all(e.passed for e in evaluations), \
            [(e.check_name, e.metadata.get("problem")) for e in evaluations if not e.passed]


def test_changing_the_shard_count_repartitions_through_dagster(kb):
    seed(kb.engine, kb.objects, products=30, conversations=30)

    def run_shards(count):
        """Every partition of both sharded domains; returns the index metadata per run."""
        defs = kb.definitions(shards={"products": count, "conversations": count})
        metadata = []
        for domain in ("products", "conversations"):
            job = defs.resolve_job_def(f"{domain}_refresh")
            for key in shard_keys(count):
                result = job.execute_in_process(instance=kb.instance, partition_key=key)
                assert result.success
                metadata.append(kb.index_metadata(result, domain))
        return metadata

    run_shards(2)
    sizes = {d: kb.store.count(f"test-{d}") for d in ("products", "conversations")}
    gone_sku = execute_scalar(kb.engine, "DELETE FROM products WHERE id = (SELECT min(id) FROM products) RETURNING sku")
    after = run_shards(3)
    for domain in ("products", "conversations"):
        index = kb.store.read_index(f"test-{domain}")
        keys = [(p.get("source_id"), p.get("chunk_no")) for p in kb.store.read_index(f"test-{domain}", ("source_id", "chunk_no")).values()]
        assert len(keys) == len(set(keys)) == len(index), f"{domain}: duplicate chunks after re-partitioning"
    products = {p.get("source_id") for p in kb.store.read_index("test-products").values()}
    assert gone_sku not in products and kb.store.count("test-products") == sizes["products"] - 1
    assert kb.store.count("test-conversations") == sizes["conversations"]
    # moving from 2 to 3 shards embedded nothing: every point was already there under its id
    assert sum(m["embedded_texts"] for m in after) == 0 and sum(m["deleted"] for m in after) == 1
    assert kb.refresh(domains=["rules"]).success  # the unsharded domains still run in kb_refresh


def execute_scalar(engine, sql):
    import sqlalchemy as sa

    with engine.begin() as conn:
        return conn.execute(sa.text(sql)).scalar_one()
