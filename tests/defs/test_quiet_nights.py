"""A nightly schedule requests runs only for the domains and shards whose inputs changed (or
whose stored vectors no longer verify); a quiet night launches nothing and says why. When the
tick cannot check, it requests the run. Real PostgreSQL, S3 (moto) and the embedded store."""

import threading
from datetime import date, datetime, timedelta, timezone

import dagster as dg
import sqlalchemy as sa

from helio_pipeline.defs.resources import QdrantResource
from helio_pipeline.defs.schedules import changed_targets, domain_assets
from helio_pipeline.domains.conversations import source_id
from helio_pipeline.lib.sharding import Shard, shard_keys
from helio_pipeline.vectorstore import close_embedded_stores
from helio_pipeline.vectorstore.edge import held
from tests.hardening.test_faults_store import damage_vectors
from tests.helpers import add_message, execute

NIGHT = datetime(2026, 12, 1, 5, 0, tzinfo=timezone.utc)
# conversations sharded: ``kb_refresh`` and its nightly cover the catalog (what ``indexed`` built)
CATALOG = {"conversations": 2}


def tick(kb, name: str, shards: dict = CATALOG, resources: dict | None = None):
    """Evaluate schedule ``name`` the way the daemon does, with the stack's resources."""
    repository = kb.definitions(shards=shards).get_repository_def()
    with dg.build_schedule_context(instance=kb.instance, scheduled_execution_time=NIGHT, repository_def=repository,
                                   resources=resources or kb.resources) as context:
        schedule = repository.get_schedule_def(name)
        return schedule.evaluate_tick(context)


def selected(request) -> set[str]:
    return {key.to_user_string() for key in request.asset_selection}


def test_a_quiet_night_launches_nothing_and_names_what_is_unchanged(indexed):
    kb = indexed
    data = tick(kb, "nightly_kb_refresh")
    assert data.run_requests == []
    for domain in ("products", "prices", "rules"):
        assert f"{domain} unchanged since run " in data.skip_message
    assert tick(kb, "morning_prices_refresh").run_requests == []


def test_only_the_changed_domains_run_and_the_run_brings_the_change_to_search(indexed):
    kb = indexed
    execute(kb.engine, "UPDATE products SET description = 'Moldura reforçada contra granizo.' WHERE sku = 'SKU-2'")
    (request,) = tick(kb, "nightly_kb_refresh").run_requests
    # prices are written from the products table too; rules read neither
    assert selected(request) == {str(k.to_user_string()) for d in ("products", "prices") for k in domain_assets(d)}
    assert request.run_key == f"nightly_kb_refresh:{NIGHT.isoformat()}"
    job = kb.definitions(shards=CATALOG).resolve_job_def("kb_refresh")
    result = job.execute_in_process(instance=kb.instance, asset_selection=request.asset_selection)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)  # the requested run checks what it synced
    hits = kb.knowledge_base().search("granizo", domains=["products"], mode="sparse", top_k=1)
    assert hits[0].source_id == "SKU-2"
    assert tick(kb, "nightly_kb_refresh").run_requests == []  # verified again: the next night is quiet


def test_a_new_day_runs_the_prices_for_what_became_valid(indexed, monkeypatch):
    kb = indexed
    tomorrow = date.today() + timedelta(days=1)

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return tomorrow

    monkeypatch.setattr("helio_pipeline.domains.prices.date", Tomorrow)
    (request,) = tick(kb, "morning_prices_refresh").run_requests
    assert request.job_name == "prices_refresh" and selected(request) == {
        k.to_user_string() for k in domain_assets("prices")}


def test_a_check_that_hangs_cannot_make_the_tick_miss_its_runs(indexed):
    """A bulk load holds the rules table locked at 02:00: the tick stops waiting at its budget
    and requests the run it could not rule out (the daemon would otherwise time the tick out
    and request nothing)."""
    kb = indexed
    locked, release = threading.Event(), threading.Event()

    def bulk_load():
        with kb.engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE business_rules IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(60)

    loader = threading.Thread(target=bulk_load)
    loader.start()
    try:
        assert locked.wait(30)
        lines = []
        # only the locked domain: how fast the others are checked is the machine's business, not this test's
        changed, unchanged = changed_targets({"rules": 1}, kb.resources["database"],
                                             kb.resources["objects"], kb.resources["embedder"], kb.resources["qdrant"],
                                             2, lines.append)
        # the check's query is cancelled at the deadline: the worker ends while the lock is still held
        for worker in [t for t in threading.enumerate() if t.name == "schedule-check"]:
            worker.join(30)  # a deadlock guard, not a timing
            assert not worker.is_alive()
    finally:
        release.set()
        loader.join(60)
    assert changed == {"rules": {None: None}} and unchanged == []
    # which comes first, the tick's wait or the query's cancellation, is the scheduler's choice
    assert lines[0].startswith("rules: run (") and (
        "not checked within HELIO_SCHEDULE_CHECK_SECONDS=2" in lines[0] or "statement timeout" in lines[0]), lines


def test_damaged_vectors_get_their_run_though_no_input_changed(indexed):
    kb = indexed
    live = kb.store.resolve("test-rules")
    close_embedded_stores()
    assert damage_vectors(kb.tmp / "qdrant", live)
    (request,) = tick(kb, "nightly_kb_refresh", resources={**kb.resources, "qdrant": QdrantResource(
        path=str(kb.tmp / "qdrant"), collection_prefix="test")}).run_requests
    assert selected(request) == {k.to_user_string() for k in domain_assets("rules")}


def test_a_tick_reading_the_embedded_store_leaves_it_closed(indexed, monkeypatch, tmp_path):
    """A code server lives for weeks: the tick's reader (and its private copies) must not."""
    kb = indexed
    root, scratch = kb.tmp / "qdrant", tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("HELIO_EDGE_SCRATCH_DIR", str(scratch))
    close_embedded_stores()
    assert not held(root)
    fresh = {**kb.resources, "qdrant": QdrantResource(path=str(root), collection_prefix="test")}
    assert tick(kb, "nightly_kb_refresh", resources=fresh).run_requests == []
    assert not held(root) and list(scratch.iterdir()) == []


def test_when_the_tick_cannot_check_it_requests_the_run(indexed):
    kb = indexed
    # qdrant-client's local mode locks its directory even to read: the tick leaves it to the runs
    local = {**kb.resources, "qdrant": QdrantResource(path=str(kb.tmp / "qdrant-local"), embedded="qdrant-local",
                                                      collection_prefix="test")}
    (request,) = tick(kb, "nightly_kb_refresh", resources=local).run_requests
    assert selected(request) == {k.to_user_string() for d in ("products", "prices", "rules") for k in domain_assets(d)}
    # an object store that cannot be listed: the domains that read it run (and fail clearly there)
    broken = {**kb.resources, "objects": kb.resources["objects"].model_copy(update={"url": "s3://no-such-bucket/"})}
    lines = []
    changed, unchanged = changed_targets({"rules": 1}, broken["database"], broken["objects"], kb.resources["embedder"],
                                         kb.resources["qdrant"], 40, lines.append)
    assert changed == {"rules": {None: None}} and unchanged == []
    assert "could not check" in lines[0] and "rules" in lines[0]


def test_a_check_budget_that_runs_out_requests_the_rest_and_zero_turns_the_check_off(indexed, monkeypatch):
    kb = indexed
    r = kb.resources
    ticks = iter(range(0, 10_000, 100))  # every look at the clock: 100 s later
    lines = []
    changed, unchanged = changed_targets({"products": 1, "prices": 1, "rules": 1}, r["database"], r["objects"],
                                         r["embedder"], r["qdrant"], 150, lines.append, clock=lambda: next(ticks))
    # the deadline is 150 s after the start: the first domain is checked at 100 s, the rest are not
    assert [line.split(" ")[0] for line in unchanged] == ["products"]
    assert changed == {"prices": {None: None}, "rules": {None: None}}
    assert all("not checked within HELIO_SCHEDULE_CHECK_SECONDS=150" in line for line in lines)
    monkeypatch.setenv("HELIO_SCHEDULE_CHECK_SECONDS", "0")
    (request,) = tick(kb, "nightly_kb_refresh").run_requests
    assert len(request.asset_selection) == 9


def test_a_sharded_nightly_requests_only_the_shard_that_changed(kb):
    for i in range(8):
        add_message(kb.engine, f"c-{i}", f"cliente-{i}", "user", f"Preciso de um inversor de {i + 3} kW.", minute=i)
    shards = {"conversations": 2}
    build = tick(kb, "nightly_conversations_shards", shards)  # nothing recorded yet: every shard runs
    assert sorted(r.partition_key for r in build.run_requests) == shard_keys(2)
    job = kb.definitions(shards=shards).resolve_job_def("conversations_refresh")
    for request in build.run_requests:
        assert job.execute_in_process(instance=kb.instance, partition_key=request.partition_key,
                                      run_config=request.run_config).success
    # the code server does not hold the store: the tick reads each shard through its own reader
    close_embedded_stores()
    reader = {**kb.resources, "qdrant": QdrantResource(path=str(kb.tmp / "qdrant"), collection_prefix="test")}
    quiet = tick(kb, "nightly_conversations_shards", shards, resources=reader)
    assert quiet.run_requests == [] and all(f"conversations {key} unchanged" in quiet.skip_message
                                            for key in shard_keys(2))
    changed = next(key for key in shard_keys(2) if Shard.parse(key).contains(source_id("cliente-5", "c-5")))
    add_message(kb.engine, "c-5", "cliente-5", "assistant", "Temos o modelo trifásico em estoque.", minute=30)
    (request,) = tick(kb, "nightly_conversations_shards", shards, resources=reader).run_requests
    assert request.partition_key == changed and request.tags["helio/kb"] == f"conversations/{changed}"
