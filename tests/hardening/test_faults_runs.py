"""Killed runs, pool slots and the mass-delete guard, as a user meets them.

- 11: a run killed with SIGKILL does not keep its pool slot (``helio_kb_<domain>``) for good:
  the next refresh frees it and completes, reusing the vectors already paid for; a live run
  holding a slot is named with the way to release it; a process waiting for a slot ends when
  told (SIGTERM, even with SIGINT ignored); run monitoring is on in every instance config.
- 14: ``helio refresh --allow-mass-delete DOMAIN``; the guard counts vanished documents, so one
  long document removed is not a mass delete; the embedded PostgreSQL keeps its port.

The CLI runs as a real process (``python -m helio_pipeline.cli``) against real PostgreSQL, S3
(moto) and the embedded vector store, on a DAGSTER_HOME holding the repository's dagster.yaml.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.test_utils import create_run_for_test

from helio_pipeline.defs import runs
from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib.embedding import StaticEmbedder
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.lib.errors import MassDeleteRefused
from helio_pipeline.lib.pg_embedded import EmbeddedPostgres, find_free_port
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.sync import IndexConfig, SyncOptions, sync_collection

ROOT = Path(__file__).resolve().parents[2]
SAFETY_SECONDS = 300  # a process still running after this is a hang: killed, and the test fails


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # the repository's own instance config: pool limits and run monitoring as shipped
    (home / "dagster.yaml").write_text((ROOT / "dagster_home" / "dagster.yaml").read_text())
    return home


@pytest.fixture
def helio_env(home, pg_url, clean_db, bucket_url, s3_endpoint):
    return {**os.environ, "DAGSTER_HOME": str(home), "HELIO_DATABASE_URL": pg_url, "HELIO_S3_URL": bucket_url,
            "AWS_ENDPOINT_URL": s3_endpoint, "HELIO_EMBEDDER": "static", "HELIO_COLLECTION_PREFIX": "faults",
            "PYTHONUNBUFFERED": "1"}


def helio(env: dict, *args: str, module: str = "helio_pipeline.cli") -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=SAFETY_SECONDS)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"helio {' '.join(args)} never ended; its output:\n{out[-3000:]}")


def start(env: dict, *args: str, module: str = "helio_pipeline.cli", ignore_sigint: bool = False) -> subprocess.Popen:
    def no_sigint():  # as a process started with `&` from a script
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=no_sigint if ignore_sigint else None)
    timer = threading.Timer(SAFETY_SECONDS, proc.kill)  # a hang ends the test instead of blocking it
    timer.daemon = True
    timer.start()
    proc.safety = timer
    return proc


def instance_at(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home))


def hold_slot(instance: dg.DagsterInstance, pool: str, tags: dict) -> str:
    """A run (of this test process, or of another host) that holds the pool's only slot."""
    run = create_run_for_test(instance, job_name="kb_refresh", status=dg.DagsterRunStatus.STARTED, tags=tags)
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(pool)
    assert storage.claim_concurrency_slot(pool, run.run_id, f"{pool.removeprefix('helio_kb_')}_index").is_claimed
    return run.run_id


def index_metadata(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict]:
    found = {}
    for domain in DOMAINS:
        event = instance.get_latest_materialization_event(dg.AssetKey(f"{domain}_index"))
        assert event is not None and event.run_id == run_id, domain
        found[domain] = {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}
    return found


# --- 11: a SIGKILLed run ---------------------------------------------------------------------


def test_a_refresh_killed_mid_embedding_is_released_and_the_next_one_completes_from_the_cache(helio_env, home):
    assert helio(helio_env, "seed", "--products", "40", "--conversations", "20").returncode == 0
    proc = start(helio_env, "refresh", module="tests.hardening.killable_refresh")
    embedded_before_kill = 0
    for line in proc.stdout:
        if line.startswith("embedded "):
            embedded_before_kill = int(line.split()[1])
            if embedded_before_kill >= 40:
                os.kill(proc.pid, signal.SIGKILL)
                break
    proc.wait()
    proc.safety.cancel()
    assert proc.returncode == -signal.SIGKILL, "the refresh ended before it could be killed mid-embedding"
    with instance_at(home) as instance:
        [killed] = instance.get_runs()
        assert killed.status == dg.DagsterRunStatus.STARTED  # what SIGKILL leaves behind

    done = helio(helio_env, "refresh")  # a fresh process, no manual step in between

    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert f"run {killed.run_id} (kb_refresh): its process {killed.tags['helio/pid']} is gone" in output
    with instance_at(home) as instance:
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        [latest] = [r for r in instance.get_runs() if r.run_id != killed.run_id]
        assert latest.status == dg.DagsterRunStatus.SUCCESS
        assert runs.slot_holders(instance) == []  # nothing holds or waits for a slot any more
        meta = index_metadata(instance, latest.run_id)
    for domain, m in meta.items():
        assert m["collection_size"] == m["chunks"] > 0, domain  # every point present, none twice
    total = sum(m["chunks"] for m in meta.values())
    reused = sum(m["unchanged"] + m["cache_hits"] for m in meta.values())
    assert reused >= embedded_before_kill  # written before the kill, or in the cache: not paid again
    assert sum(m["embedded_texts"] for m in meta.values()) <= total - embedded_before_kill


def test_a_live_run_holding_the_slot_is_named_with_how_to_release_it_and_sigterm_ends_the_wait(helio_env, home):
    with instance_at(home) as instance:
        holder = hold_slot(instance, "helio_kb_products", runs.process_tags())  # this test process: alive
    proc = start(helio_env, "refresh", ignore_sigint=True)
    said = ""
    for line in proc.stdout:
        said += line
        if "is held by" in line:
            break
    assert (f"pool helio_kb_products is held by run {holder} "
            f"(STARTED, pid {os.getpid()} on {socket.gethostname()})") in said
    assert f"helio runs release {holder}" in said
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate()
    proc.safety.cancel()
    assert proc.returncode in (-signal.SIGTERM, 143), rest  # ended when told, not by the safety timer
    assert "Traceback" not in said + rest
    with instance_at(home) as instance:
        assert [(h.pool, h.run_id) for h in runs.slot_holders(instance)] == [("helio_kb_products", holder)]


def test_with_no_time_to_wait_the_cli_fails_in_one_line_naming_the_holder(helio_env, home):
    with instance_at(home) as instance:
        holder = hold_slot(instance, "helio_kb_rules", runs.process_tags())
    done = helio({**helio_env, "HELIO_STORE_WAIT_SECONDS": "0"}, "refresh")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"helio: pool helio_kb_rules is held by run {holder}") and \
        f"helio runs release {holder}" in line


def test_sigterm_ends_a_run_blocked_on_a_slot_inside_dagster_even_with_sigint_ignored(helio_env, home):
    with instance_at(home) as instance:
        holders = {pool: hold_slot(instance, pool, runs.process_tags()) for pool in map(runs.pool_name, DOMAINS)}
    # the CLI's own check before the run is skipped: the run itself reaches an index step and
    # waits in Dagster's claim loop, where Dagster holds SIGINT and SIGTERM
    proc = start({**helio_env, "HELIO_TEST_NO_POOL_CHECK": "1"}, "refresh",
                 module="tests.hardening.killable_refresh", ignore_sigint=True)
    with instance_at(home) as instance:
        while proc.poll() is None:
            waiting = [h for h in runs.slot_holders(instance) if not h.holding]
            if waiting:
                break
            time.sleep(0.2)
        assert waiting, "the refresh ended without waiting for a slot"
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate()
    proc.safety.cancel()
    assert proc.returncode == 130, output[-3000:]
    assert "helio: interrupted" in output and "Traceback" not in output
    with instance_at(home) as instance:
        assert instance.get_run_by_id(waiting[0].run_id).status == dg.DagsterRunStatus.FAILURE
        left = {(h.pool, h.run_id, h.holding) for h in runs.slot_holders(instance)}
    # the interrupted run neither holds nor waits for a slot any more
    assert left == {(pool, run_id, True) for pool, run_id in holders.items()}


def test_helio_runs_lists_holders_and_releases_a_run_of_another_host_but_not_a_live_local_one(helio_env, home):
    with instance_at(home) as instance:
        remote = hold_slot(instance, "helio_kb_prices", {"helio/host": "worker-7", "helio/pid": "4242"})
        local = hold_slot(instance, "helio_kb_rules", runs.process_tags())
    listed = helio(helio_env, "runs")
    assert listed.returncode == 0
    assert f"helio_kb_prices            holds  run {remote} (STARTED, pid 4242 on worker-7)" in listed.stdout
    assert f"run {local}" in listed.stdout

    refused = helio(helio_env, "runs", "release", local)
    assert refused.returncode == 2 and "still running" in refused.stderr and "Traceback" not in refused.stderr
    released = helio(helio_env, "runs", "release", remote[:8])  # a prefix, as the UI shows it
    assert released.returncode == 0, released.stderr
    assert f"run {remote}: freed its slots in helio_kb_prices; marked failed" in released.stdout
    with instance_at(home) as instance:
        assert instance.get_run_by_id(remote).status == dg.DagsterRunStatus.FAILURE
        assert [h.run_id for h in runs.slot_holders(instance)] == [local]


def test_the_dead_run_sensor_fails_a_killed_cli_run_and_frees_its_slot(tmp_path, home):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with instance_at(home) as instance:
        dead = hold_slot(instance, "helio_kb_conversations",
                         {"helio/host": socket.gethostname(), "helio/pid": str(gone.pid)})
        alive = hold_slot(instance, "helio_kb_products", runs.process_tags())
        result = runs.dead_run_sensor(dg.build_sensor_context(instance=instance))
        assert dead in result.skip_message
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive).status == dg.DagsterRunStatus.STARTED
        assert [h.run_id for h in runs.slot_holders(instance)] == [alive]


INSTANCE_FILES = [ROOT / "dagster_home" / "dagster.yaml", ROOT / "dagster_home" / "dagster.postgres.yaml",
                  ROOT / "deploy" / "celery" / "dagster.yaml", ROOT / "deploy" / "k8s" / "dagster-instance.yaml"]


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_instance_config_turns_run_monitoring_on_and_dagster_accepts_it(path, monkeypatch, tmp_path):
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config

    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://dagster:pw@postgres:5432/dagster")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "pw")
    config, _ = dagster_instance_config(str(path.parent), path.name)
    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["max_runtime_seconds"] > 0 and monitoring["free_slots_after_run_end_seconds"] > 0
    assert monitoring["max_resume_run_attempts"] == 0

    misspelt = yaml.safe_load(path.read_text())
    misspelt["run_monitoring"]["free_slot_after_run_end_seconds"] = 60  # the check above is not vacuous
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(misspelt))
    with pytest.raises(DagsterInvalidConfigError, match="free_slot_after_run_end_seconds"):
        dagster_instance_config(str(tmp_path), "dagster.yaml")


def test_helm_values_render_the_same_run_monitoring_as_the_k8s_instance_file():
    values = yaml.safe_load((ROOT / "deploy" / "k8s" / "values.yaml").read_text())["dagsterDaemon"]["runMonitoring"]
    instance = yaml.safe_load((ROOT / "deploy" / "k8s" / "dagster-instance.yaml").read_text())["run_monitoring"]
    snake = {"".join("_" + c.lower() if c.isupper() else c for c in key): value for key, value in values.items()}
    assert snake == instance


# --- 14: the mass-delete guard and the CLI ---------------------------------------------------


def test_refresh_allow_mass_delete_lets_a_domain_that_really_shrank_sync(helio_env, clean_db):
    assert helio(helio_env, "seed", "--products", "30", "--conversations", "10").returncode == 0
    assert helio(helio_env, "refresh").returncode == 0
    with clean_db.begin() as conn:
        gone = conn.execute(sa.text("DELETE FROM business_rules")).rowcount  # the rules table is emptied

    refused = helio(helio_env, "refresh")
    assert refused.returncode == 1
    assert "MassDeleteRefused" in refused.stdout + refused.stderr
    assert "helio refresh --allow-mass-delete rules" in refused.stdout + refused.stderr

    allowed = helio(helio_env, "refresh", "--allow-mass-delete", "rules")
    assert allowed.returncode == 0, allowed.stdout[-3000:]
    assert "Traceback" not in allowed.stdout + allowed.stderr
    [rules] = [line for line in allowed.stdout.splitlines() if line.strip().startswith("rules_index")]
    assert int(rules.split()[4]) >= gone  # the deleted column: every emptied row's chunks went

    unknown = helio(helio_env, "refresh", "--allow-mass-delete", "regras")
    assert unknown.returncode == 2 and "'regras': not a domain" in unknown.stderr


@pytest.fixture
def sync_rules(clean_db, tmp_path):
    from helio_pipeline.vectorstore import open_store

    store = open_store(path=tmp_path / "store")
    cache = EmbeddingCache(clean_db)

    def run(chunks, **kwargs):
        return sync_collection(store, "rules", "g-rules", chunks, CachedEmbedder(StaticEmbedder(), cache),
                               IndexConfig("static", "tokenlearn-static-64", 64, "v1"), payload_indexes={}, **kwargs)

    run.store = store
    return run


def document(source_id: str, chunks: int) -> list[Chunk]:
    return [Chunk(source_id, i, f"{source_id} parte {i}: garantia, frete e prazos", "business_rules")
            for i in range(chunks)]


def test_one_long_document_removed_from_a_small_domain_is_not_a_mass_delete(sync_rules):
    short = [c for name in ("a", "b", "c") for c in document(name, 1)]
    sync_rules(short + document("manual", 12))            # 15 points, 4 documents
    report = sync_rules(short)                            # 12 of 15 points go, but one document of 4
    assert report.deleted == 12 and sync_rules.store.count("g-rules") == 3


def test_many_documents_vanishing_is_refused_even_when_they_are_few_points(sync_rules):
    short = [c for name in ("a", "b", "c", "d") for c in document(name, 1)]
    sync_rules(short + document("manual", 12))            # 16 points, 5 documents
    with pytest.raises(MassDeleteRefused, match=r"delete 3 of 16 points, every point of 3 of the 5 sources"):
        sync_rules(document("d", 1) + document("manual", 12))
    assert sync_rules.store.count("g-rules") == 16
    sync_rules(document("a", 1), options=SyncOptions(allow_mass_delete=True))  # the operator says the source shrank
    with pytest.raises(MassDeleteRefused, match="every point of 1 of the 1 sources"):
        sync_rules([])                                    # the last document going is refused
    assert sync_rules.store.count("g-rules") == 1


def test_the_embedded_postgresql_comes_back_on_its_port_after_a_restart():
    base = Path(tempfile.mkdtemp(prefix="helio-test-port-"))  # not pytest's tmp dir: see conftest.pg_url
    taken = socket.socket()
    taken.bind(("127.0.0.1", find_free_port()))
    taken.listen(1)                              # the first free port is busy while it first starts
    server = EmbeddedPostgres(base / "data", fast=True)
    try:
        server.start()
        first = server.port
        server.stop()
        taken.close()                            # now a lower port is free again
        server.start()
        assert server.port == first
        engine = sa.create_engine(server.url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        engine.dispose()
    finally:
        taken.close()
        server.stop(force=True)
        shutil.rmtree(base, ignore_errors=True)
