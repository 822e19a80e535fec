"""Hardening, faults under the pipeline (issue items 12 and 13), with the real parts.

- PostgreSQL stopping mid-run fails the step with one line naming the server (no driver stack
  trace), and the indexed points stay.
- A store directory this process cannot write: index steps fail with one line naming it, and
  ``helio search`` still answers. Root ignores file modes, so those commands run as root
  without CAP_DAC_OVERRIDE (``setpriv``), which is what a read-only directory is to a user.
- Vector files overwritten on disk: searches refuse the garbage scores, verification and the
  Dagster check say which collection, ``helio rebuild`` names ``--force``, and
  ``helio rebuild --force`` rebuilds from the embedding cache (nothing embedded again) while
  the earlier collection stays for rollback; a store moved aside whole keeps them too.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

import helio_pipeline.cli as cli
import helio_pipeline.vectorstore.edge.store as store_edge
from helio_pipeline.cli import main
from helio_pipeline.lib import repair, verify
from helio_pipeline.lib.errors import HelioError, VectorsDamaged
from helio_pipeline.vectorstore import Point, close_embedded_stores
from helio_pipeline.vectorstore.edge import EdgeVectorStore
from helio_pipeline.vectorstore.qdrant import QdrantStore
from tests.helpers import add_product, add_rule, execute

REPO = Path(__file__).resolve().parents[2]
RULES = [
    ("garantia-inversor", "Garantia de inversores", "Inversores têm garantia de 5 anos contra defeitos de fabricação."),
    ("garantia-modulo", "Garantia de módulos", "Módulos fotovoltaicos têm garantia de 12 anos de produto."),
    ("frete-sudeste", "Frete Sudeste", "Frete grátis acima de R$ 10 mil para o Sudeste em até 7 dias úteis."),
]


def damage_vectors(root: Path, collection: str) -> int:
    """Overwrite the dense vector files of ``collection`` (in the embedded store at ``root``,
    closed) with random bytes, as a bad disk or a stray write would; returns the files hit."""
    catalog = json.loads((root / "catalog.json").read_text())
    directory = catalog["collections"][collection].get("dir") or collection
    files = [f for pattern in ("chunk_*.mmap", "matrix.dat")
             for f in (root / "collections" / directory).glob(f"segments/*/vector_storage-dense/**/{pattern}")]
    rng = np.random.default_rng(13)
    for path in files:
        with open(path, "r+b") as handle:
            handle.write(rng.bytes(256 * 1024))
    return len(files)


# --- PostgreSQL stopped mid-run ---------------------------------------------------------------

@pytest.fixture
def own_postgres():
    """A second, throwaway PostgreSQL server that a test may stop."""
    from helio_pipeline.lib.db import make_engine
    from helio_pipeline.lib.pg_embedded import EmbeddedPostgres
    from helio_pipeline.schema import migrate

    base = Path(tempfile.mkdtemp(prefix="helio-test-pg-stop-"))
    server = EmbeddedPostgres(base / "data", fast=True)
    url = server.start()
    engine = make_engine(url)
    migrate(engine, demo=True)
    yield server, url, engine
    engine.dispose()
    server.stop(force=True)
    shutil.rmtree(base, ignore_errors=True)


def test_postgres_stopping_mid_run_fails_the_extract_step_in_one_line_and_keeps_the_points(
        own_postgres, bucket_url, s3_endpoint, tmp_path, monkeypatch):
    from helio_pipeline.definitions import build_definitions
    from helio_pipeline.defs.resources import (
        EmbedderResource, KnowledgeBaseResource, ObjectStoreResource, QdrantResource, SourceDatabase,
    )
    from helio_pipeline.defs.io_managers import ParquetIOManager

    server, url, engine = own_postgres
    for slug, title, body in RULES:
        add_rule(engine, slug, title, body)
    database = SourceDatabase(url=url)
    qdrant = QdrantResource(path=str(tmp_path / "qdrant"), collection_prefix="test")
    embedder = EmbedderResource(kind="static")
    objects = ObjectStoreResource(url=bucket_url, endpoint_url=s3_endpoint)
    resources = {"database": database, "objects": objects, "qdrant": qdrant, "embedder": embedder,
                 "knowledge_base": KnowledgeBaseResource(qdrant=qdrant, embedder=embedder, database=database),
                 "parquet_io_manager": ParquetIOManager(base_dir=str(tmp_path / "snapshots"))}
    job = build_definitions(resources, shards={}).resolve_job_def("kb_refresh")
    rules = [dg.AssetKey(f"rules_{stage}") for stage in ("extract", "chunks", "index")]
    with dg.instance_for_test() as instance:
        assert job.execute_in_process(instance=instance, asset_selection=rules).success
        store = EdgeVectorStore(tmp_path / "qdrant")
        indexed = store.count("test-rules")
        assert indexed > 0

        # The run's engine is made and its schema applied; the server stops as the extractor
        # opens the object store, before it reads the rules table.
        real_store = ObjectStoreResource.store

        def stop_then_open(self):
            server.stop(force=True)
            return real_store(self)
        monkeypatch.setattr(ObjectStoreResource, "store", stop_then_open)
        result = job.execute_in_process(instance=instance, asset_selection=rules, raise_on_error=False)

    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert failure.step_key == "rules_extract"
    error = failure.step_failure_data.error
    assert "PostgreSQL at postgresql+psycopg://" in error.message and "is unreachable" in error.message
    assert f":{server.port}/" in error.message                    # names the server that stopped
    assert "OperationalError" not in error.to_string()             # no driver exception, no chained stack
    assert error.cause is None and error.context is None
    assert EdgeVectorStore(tmp_path / "qdrant").count("test-rules") == indexed   # nothing deleted


# --- a store directory this process cannot write ---------------------------------------------

def _unprivileged() -> list[str]:
    """A command prefix under which file modes apply: as root, root without the capabilities
    that override them; otherwise nothing (modes apply already)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only directory cannot be simulated")
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
    probe = tempfile.mkdtemp()
    os.chmod(probe, 0o555)
    try:
        denied = subprocess.run(prefix + ["touch", os.path.join(probe, "x")], capture_output=True).returncode != 0
    finally:
        os.chmod(probe, 0o755)
        shutil.rmtree(probe, ignore_errors=True)
    if not denied:
        pytest.skip("setpriv could not drop CAP_DAC_OVERRIDE here")
    return prefix


def _make_read_only(path: Path) -> None:
    for folder, dirs, files in os.walk(path):
        for name in files:
            file = os.path.join(folder, name)
            os.chmod(file, os.stat(file).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        os.chmod(folder, 0o555)


def _make_writable(path: Path) -> None:
    for folder, dirs, files in os.walk(path):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)


INDEX_RULES = """
import json
from helio_pipeline.cli import _run_job
result = _run_job("kb_refresh", domains=["rules"])
print(json.dumps([{"step": e.step_key, "cls": e.step_failure_data.error.cls_name,
                   "message": e.step_failure_data.error.message,
                   "cause": e.step_failure_data.error.cause is not None} for e in result.get_step_failure_events()]))
"""


def test_a_read_only_store_fails_index_steps_in_one_line_and_search_still_answers(cli_env, clean_db, capsys):
    prefix = _unprivileged()
    for slug, title, body in RULES:
        add_rule(clean_db, slug, title, body)
    assert main(["rebuild", "rules"]) == 0
    close_embedded_stores()
    store = cli_env / "qdrant-edge"
    add_rule(clean_db, "frete-nordeste", "Frete Nordeste", "Frete para o Nordeste em até 12 dias úteis.")
    _make_read_only(store)
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        search = subprocess.run(prefix + [sys.executable, "-m", "helio_pipeline.cli", "search", "garantia de inversores",
                                          "--domain", "rules", "--json"],
                                capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
        index = subprocess.run(prefix + [sys.executable, "-c", INDEX_RULES],
                               capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
        rebuild = subprocess.run(prefix + [sys.executable, "-m", "helio_pipeline.cli", "rebuild", "rules"],
                                 capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    finally:
        _make_writable(store)

    assert search.returncode == 0, search.stderr
    assert "Traceback" not in search.stderr
    hits = json.loads(search.stdout)
    assert hits and hits[0]["text"].startswith("Garantia de inversores")

    assert index.stdout.strip(), index.stderr[-3000:]
    failures = json.loads(index.stdout.strip().splitlines()[-1])
    assert [f["step"] for f in failures] == ["rules_index"]          # the extract and chunks ran
    message = failures[0]["message"].strip()
    assert f"Failure: StoreNotWritable: the embedded store at {store} is not writable: " in message
    assert "\n" not in message and not failures[0]["cause"]              # one line, no chained stack

    assert rebuild.returncode == 2
    assert rebuild.stderr.startswith(f"helio: the embedded store at {store} is not writable")
    assert "Traceback" not in rebuild.stderr
    assert not list(cli_env.glob("qdrant-edge.broken-*"))             # not mistaken for a broken store


# --- vectors damaged on disk --------------------------------------------------------------------

def test_damaged_vectors_are_refused_at_search_and_found_by_verification(tmp_path):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((120, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = EdgeVectorStore(tmp_path / "store")
    store.ensure_collection("kb__v1", 16, {}, metadata={"domain": "rules"})
    store.upsert("kb__v1", [Point(str(uuid.uuid4()), v, ([1, 2], [1.0, 0.5]), {"source_id": f"s{i}"})
                            for i, v in enumerate(vectors)])
    store.point_alias("kb", "kb__v1")
    assert verify.vector_problem(store, "kb__v1") is None
    assert max(p.score for p in store.query("kb", vectors[0], None, 5, mode="dense")) <= 1.0001
    store.close()
    assert damage_vectors(tmp_path / "store", "kb__v1")

    store = EdgeVectorStore(tmp_path / "store")
    problem = verify.vector_problem(store, "kb__v1")
    assert problem.startswith("kb__v1 holds 120 damaged dense vectors of 120")
    assert "helio rebuild --force rules" in problem
    for mode in ("dense", "hybrid"):
        with pytest.raises(VectorsDamaged, match=r"kb__v1 .* dense score of .*helio rebuild --force rules"):
            store.query("kb", vectors[0], ([1], [1.0]), 5, mode=mode)
    store.close()


def test_the_dagster_check_fails_on_damaged_vectors_and_names_the_way_out(kb):
    for slug, title, body in RULES:
        add_rule(kb.engine, slug, title, body)
    kb.refresh(["rules"])
    live = kb.store.resolve("test-rules")
    close_embedded_stores()
    damage_vectors(kb.tmp / "qdrant", live)

    result = kb.refresh(["rules"], raise_on_error=False)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    damaged = checks["vectors_are_finite_and_normalized"]
    assert not damaged.passed
    assert "helio rebuild --force rules" in damaged.metadata["problem"].value
    assert checks["golden_query_recall"].metadata["problem"].value.startswith("not evaluated")
    assert checks["point_count_matches_chunks"].passed


def _index_metadata(domain: str) -> dict:
    event = dg.DagsterInstance.get().get_latest_materialization_event(dg.AssetKey(f"{domain}_index"))
    return {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}


def _dense_scores(capsys) -> list[float]:
    capsys.readouterr()
    assert main(["search", "garantia de inversores", "--domain", "rules", "--mode", "dense", "--json"]) == 0
    return [hit["score"] for hit in json.loads(capsys.readouterr().out)]


def test_rebuild_names_force_and_rebuild_force_reindexes_from_the_cache_keeping_rollback(
        cli_env, clean_db, monkeypatch, capsys):
    for slug, title, body in RULES:
        add_rule(clean_db, slug, title, body)
    monkeypatch.setenv("HELIO_EMBEDDING_DIMENSIONS", "48")   # an earlier configuration, kept for rollback
    assert main(["rebuild", "rules"]) == 0
    monkeypatch.delenv("HELIO_EMBEDDING_DIMENSIONS")
    assert main(["rebuild", "rules"]) == 0
    healthy = _dense_scores(capsys)
    store = EdgeVectorStore(cli_env / "qdrant-edge")
    live, earlier = store.resolve("cli-rules"), [c for c in store.physical_collections("cli-rules")
                                                 if c != store.resolve("cli-rules")]
    assert len(earlier) == 1
    close_embedded_stores()
    damage_vectors(cli_env / "qdrant-edge", live)
    capsys.readouterr()

    assert main(["search", "garantia de inversores", "--domain", "rules", "--mode", "dense"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"helio: the collection {live} ") and "helio rebuild --force rules" in err
    assert "Traceback" not in err

    assert main(["rebuild", "rules"]) == 2             # a sync by content would keep the damaged vectors
    err = capsys.readouterr().err
    assert f"{live} holds " in err and "`helio rebuild --force rules`" in err

    assert main(["rebuild", "--force", "rules"]) == 0
    out = capsys.readouterr().out
    assert f"set {live} aside" in out
    meta = _index_metadata("rules")
    assert meta["collection"] == live and meta["promoted"]
    assert meta["chunks"] > 0 and meta["embedded_texts"] == 0 and meta["cache_hits"] == meta["chunks"]
    assert _dense_scores(capsys) == pytest.approx(healthy, abs=1e-5)   # the same answers as before the damage

    store = EdgeVectorStore(cli_env / "qdrant-edge")
    assert sorted(store.physical_collections("cli-rules")) == sorted([live, *earlier])  # the set-aside one is gone
    assert verify.vector_problem(store, live) is None
    close_embedded_stores()
    assert main(["rollback", "rules"]) == 0
    assert f"-> {earlier[0]}" in capsys.readouterr().out


def test_a_store_moved_aside_whole_keeps_the_collections_rollback_needs(cli_env, clean_db, monkeypatch, capsys):
    for slug, title, body in RULES:
        add_rule(clean_db, slug, title, body)
    monkeypatch.setenv("HELIO_EMBEDDING_DIMENSIONS", "48")
    assert main(["rebuild", "rules"]) == 0
    monkeypatch.delenv("HELIO_EMBEDDING_DIMENSIONS")
    assert main(["rebuild", "rules"]) == 0
    store = EdgeVectorStore(cli_env / "qdrant-edge")
    live = store.resolve("cli-rules")
    earlier = [c for c in store.physical_collections("cli-rules") if c != live]
    close_embedded_stores()
    (cli_env / "qdrant-edge" / "catalog.json").write_text("{not json")
    capsys.readouterr()

    assert main(["rebuild", "rules"]) == 0
    out = capsys.readouterr().out
    assert "moved it to" in out and f"recovered {earlier[0]}" in out
    store = EdgeVectorStore(cli_env / "qdrant-edge")
    assert store.resolve("cli-rules") == live
    assert sorted(store.physical_collections("cli-rules")) == sorted([live, *earlier])
    close_embedded_stores()
    assert main(["rollback", "rules"]) == 0
    assert f"{live} -> {earlier[0]}" in capsys.readouterr().out
    assert main(["search", "garantia", "--domain", "rules", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)


def test_a_damaged_domain_is_a_note_in_a_multi_domain_search_not_a_failure(kb):
    for slug, title, body in RULES:
        add_rule(kb.engine, slug, title, body)
    add_product(kb.engine, "GAR-1", "Inversor com garantia estendida 5kW", category="inverter")
    kb.refresh(["rules", "products"])
    live = kb.store.resolve("test-rules")
    close_embedded_stores()
    damage_vectors(kb.tmp / "qdrant", live)
    kb.resources["qdrant"]._store = None
    kb.resources["knowledge_base"]._kb = None

    response = kb.knowledge_base().query("garantia de inversores", domains=["rules", "products"], mode="dense")
    assert response.per_domain["rules"] == [] and [h.source_id for h in response.hits] == ["GAR-1"]
    assert any(n.startswith("rules: not searched") and "helio rebuild --force rules" in n for n in response.notes)
    with pytest.raises(VectorsDamaged):  # asked alone, the domain's error is the answer
        kb.knowledge_base().query("garantia de inversores", domains=["rules"], mode="dense")


# --- forced rebuilds never lose what they replace ------------------------------------------------

def _collections(root: Path, alias: str) -> tuple[str | None, list[str]]:
    store = EdgeVectorStore(root)
    try:
        return store.resolve(alias), store.physical_collections(alias)
    finally:
        close_embedded_stores()


def test_rebuild_force_keeps_a_healthy_live_collection_and_refuses_an_emptied_source(cli_env, clean_db, capsys):
    for slug, title, body in RULES:
        add_rule(clean_db, slug, title, body)
    assert main(["rebuild", "rules"]) == 0
    store = EdgeVectorStore(cli_env / "qdrant-edge")
    live, indexed = store.resolve("cli-rules"), store.count("cli-rules")
    close_embedded_stores()
    capsys.readouterr()

    # healthy: the collection set aside stays, the rollback target
    assert main(["rebuild", "--force", "rules"]) == 0
    assert "is kept for `helio rollback`" in capsys.readouterr().out
    now, names = _collections(cli_env / "qdrant-edge", "cli-rules")
    kept = [n for n in names if n != live]
    assert now == live and len(kept) == 1 and kept[0].startswith(f"{live}.replaced-")

    # the table reads back with one rule of three: the rebuild is refused, the old one stays live
    execute(clean_db, "DELETE FROM business_rules WHERE slug <> 'garantia-inversor'")
    capsys.readouterr()
    assert main(["rebuild", "--force", "rules"]) == 1
    assert "the rebuild did not promote a new collection; search stays on" in capsys.readouterr().out
    now, names = _collections(cli_env / "qdrant-edge", "cli-rules")
    assert now.startswith(f"{live}.replaced-") and now != kept[0]
    assert live not in names and sorted(names) == sorted([now, kept[0]])   # nothing half-built left
    assert EdgeVectorStore(cli_env / "qdrant-edge").count("cli-rules") == indexed
    close_embedded_stores()
    assert main(["search", "garantia de módulos", "--domain", "rules", "--json"]) == 0
    assert "Garantia de módulos" in capsys.readouterr().out


def test_a_forced_rebuild_that_is_stopped_leaves_a_collection_rollback_can_use(cli_env, clean_db, monkeypatch, capsys):
    for slug, title, body in RULES:
        add_rule(clean_db, slug, title, body)
    assert main(["rebuild", "rules"]) == 0
    live, _ = _collections(cli_env / "qdrant-edge", "cli-rules")

    def stopped(*_args, **_kwargs):
        raise KeyboardInterrupt("stopped")
    with monkeypatch.context() as patch:
        patch.setattr(cli, "_refresh", stopped)
        assert main(["rebuild", "--force", "rules"]) != 0
    now, names = _collections(cli_env / "qdrant-edge", "cli-rules")
    assert now.startswith(f"{live}.replaced-") and now in names       # search stays on it, rollback sees it

    capsys.readouterr()
    assert main(["rebuild", "rules"]) == 0
    assert _collections(cli_env / "qdrant-edge", "cli-rules")[0] == live
    assert main(["rollback", "rules"]) == 0
    assert f"{live} -> {now}" in capsys.readouterr().out


def test_a_store_moved_aside_whole_gets_back_a_domain_whose_rebuild_failed(cli_env, clean_db, monkeypatch, capsys):
    for slug, title, body in RULES:
        add_rule(clean_db, slug, title, body)
    assert main(["rebuild", "rules"]) == 0
    store = EdgeVectorStore(cli_env / "qdrant-edge")
    live, indexed = store.resolve("cli-rules"), store.count("cli-rules")
    close_embedded_stores()
    (cli_env / "qdrant-edge" / "catalog.json").write_text("{not json")
    capsys.readouterr()

    def disk_full(self, name, points):
        raise HelioError("disk full")
    with monkeypatch.context() as patch:   # the rebuild creates the collection, then fails
        patch.setattr(EdgeVectorStore, "upsert", disk_full)
        assert main(["rebuild", "rules"]) == 1
    assert f"recovered {live}" in capsys.readouterr().out
    store = EdgeVectorStore(cli_env / "qdrant-edge")
    assert store.resolve("cli-rules") == live and store.count("cli-rules") == indexed
    close_embedded_stores()


def test_a_server_store_drops_only_a_damaged_live_collection_before_a_forced_rebuild():
    store = QdrantStore.open(":memory:")   # no rename_collection, as on a Qdrant server
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((20, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for alias in ("kb-a", "kb-b"):
        store.ensure_collection(f"{alias}__v1", 16, {}, metadata={"domain": alias})
        store.upsert(f"{alias}__v1", [Point(str(uuid.uuid4()), v, ([1], [1.0]), {"source_id": f"s{i}"})
                                      for i, v in enumerate(vectors)])
        store.point_alias(alias, f"{alias}__v1")
    store.client._client.collections["kb-b__v1"].vectors["dense"][:] = np.nan   # damaged in place
    damaged = repair.damaged_collections(store, ["kb-a", "kb-b"])
    assert list(damaged) == ["kb-b"]
    log = []
    assert repair.set_aside_for_rebuild(store, "kb-a", "kb-a__v1", {}, log.append) is None
    assert store.resolve("kb-a") == "kb-a__v1" and store.count("kb-a") == 20   # healthy: synced by content
    assert repair.set_aside_for_rebuild(store, "kb-b", "kb-b__v1", damaged["kb-b"], log.append) is None
    assert not store.exists("kb-b__v1")


# --- private copies of a read-only store -----------------------------------------------------

def _read_only_open(monkeypatch, root: Path, scratch: Path) -> EdgeVectorStore:
    """Open ``root`` as a process that may not write it would (root ignores file modes)."""
    real_access = os.access
    with monkeypatch.context() as patch:
        patch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == root and mode & os.W_OK
                      else real_access(path, mode, **kw))
        store = EdgeVectorStore(root, scratch_dir=scratch)
    assert store.read_only
    return store


def _two_collections(root: Path) -> np.ndarray:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((30, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = EdgeVectorStore(root)
    for name in ("kb__a", "kb__b"):
        store.ensure_collection(name, 16, {}, metadata={"domain": "rules"})
        store.upsert(name, [Point(str(uuid.uuid4()), v, ([1], [1.0]), {"source_id": f"s{i}"})
                            for i, v in enumerate(vectors)])
    store.close()
    return vectors


def test_read_only_copies_are_removed_on_close_on_failure_and_after_a_killed_process(tmp_path, monkeypatch):
    root, scratch = tmp_path / "store", tmp_path / "scratch"
    vectors = _two_collections(root)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = scratch / f"helio-edge-readonly-{dead.pid}-x1y2"   # left by a process killed (SIGKILL)
    (stale / "kb__a").mkdir(parents=True)
    alive = scratch / f"helio-edge-readonly-{os.getppid()}-z3"  # a process still running: not ours to clear
    alive.mkdir()
    (root / "collections" / "kb__b" / "edge_config.json").write_text("{not json")

    store = _read_only_open(monkeypatch, root, scratch)
    assert not stale.exists() and alive.exists()
    assert store.query("kb__a", vectors[0], None, 3, mode="dense")
    [mine] = scratch.glob(f"helio-edge-readonly-{os.getpid()}-*")
    assert (mine / "kb__a").is_dir()
    with pytest.raises(HelioError, match="kb__b failed to load"):
        store.query("kb__b", vectors[0], None, 3, mode="dense")
    assert not (mine / "kb__b").exists()                        # the copy that did not load is gone
    store.close()
    assert not mine.exists()


def test_a_slow_private_copy_does_not_hold_up_searches_of_other_collections(tmp_path, monkeypatch):
    """kb__a's copy is held until kb__b has answered: with a global lock kb__b would wait
    for kb__a instead, and the order of events would be the other way round."""
    root = tmp_path / "store"
    vectors = _two_collections(root)
    store = _read_only_open(monkeypatch, root, tmp_path / "scratch")
    real_copy, b_answered, events = store_edge.copy_sparse, threading.Event(), []

    def held_for_a(src, dst):
        if "/kb__a/" in str(src):
            b_answered.wait(120)  # a safety bound for a regression, not a measured time
            events.append("kb__a copied")
        real_copy(src, dst)
    monkeypatch.setattr(store_edge, "copy_sparse", held_for_a)

    def search_b():
        events.append(("kb__b answered", bool(store.query("kb__b", vectors[0], None, 3, mode="dense"))))
        b_answered.set()
    loading_a = threading.Thread(target=store.query, args=("kb__a", vectors[0], None, 3), kwargs={"mode": "dense"})
    loading_a.start()
    other = threading.Thread(target=search_b)
    try:
        other.start()
        other.join()
        loading_a.join()
        assert events[0] == ("kb__b answered", True)   # kb__b loaded and answered while kb__a was held
        assert "kb__a copied" in events[1:]
    finally:
        b_answered.set()
        store.close()


# --- vectors missing, of the wrong length, or zero -------------------------------------------------

@pytest.fixture(params=["edge", "server"])
def any_store(request, tmp_path):
    if request.param == "edge":
        store = EdgeVectorStore(tmp_path / "store")
        yield store
        store.close()
    else:
        yield QdrantStore.open(":memory:")


def test_missing_and_zero_vectors_are_reported_as_damaged_not_a_traceback(any_store):
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((200, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    any_store.ensure_collection("kb__v1", 16, {}, metadata={"domain": "rules"})
    any_store.upsert("kb__v1", [Point(str(uuid.uuid4()), v, ([1], [1.0]), {"source_id": f"s{i}"})
                                for i, v in enumerate(vectors)])
    empty_text = Point(str(uuid.uuid4()), np.zeros(16), ([1], [1.0]), {"source_id": "empty"})
    any_store.upsert("kb__v1", [empty_text])   # what an embedder gives an empty text: one is no damage
    assert verify.vector_problem(any_store, "kb__v1") is None

    any_store.upsert("kb__v1", [Point(str(uuid.uuid4()), np.zeros(16), ([1], [1.0]), {"source_id": f"z{i}"})
                                for i in range(9)])   # 10 of 210 zero: a file of zeros, not empty texts
    problem = verify.vector_problem(any_store, "kb__v1")
    assert problem.startswith("kb__v1 holds 10 damaged dense vectors of 210 (10 all zero")
    assert "helio rebuild --force rules" in problem

    any_store.drop("kb__v1")
    any_store.ensure_collection("kb__v1", 16, {}, metadata={"domain": "rules"})
    any_store.upsert("kb__v1", [Point(str(uuid.uuid4()), v, ([1], [1.0]), {"source_id": f"s{i}"})
                                for i, v in enumerate(vectors[:5])])
    missing = str(uuid.uuid4())   # a point without its dense vector: rows of unequal length before
    if isinstance(any_store, EdgeVectorStore):
        any_store._loaded("kb__v1").update(store_edge.qe.UpdateOperation.upsert_points([store_edge.qe.Point(
            missing, {store_edge.SPARSE: store_edge.qe.SparseVector([1], [1.0])}, {"source_id": "m"})]))
    else:
        from qdrant_client import models
        any_store.client.upsert("kb__v1", points=[models.PointStruct(
            id=missing, vector={"sparse": models.SparseVector(indices=[1], values=[1.0])}, payload={"source_id": "m"})])
    problem = verify.vector_problem(any_store, "kb__v1")
    assert problem.startswith("kb__v1 holds 1 damaged dense vectors of 6 (1 missing") and missing in problem


def test_the_server_store_refuses_damaged_scores_in_hybrid_search_too():
    store = QdrantStore.open(":memory:")
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((40, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.ensure_collection("kb__v1", 16, {}, metadata={"domain": "rules"})
    store.upsert("kb__v1", [Point(str(uuid.uuid4()), v, ([1, 2], [1.0, 0.5]), {"source_id": f"s{i}"})
                            for i, v in enumerate(vectors)])
    store.point_alias("kb", "kb__v1")
    assert len(store.query("kb", vectors[0], ([1], [1.0]), 5, mode="hybrid")) == 5
    store.client._client.collections["kb__v1"].vectors["dense"][:] = np.nan   # damaged in place
    for mode in ("dense", "hybrid"):
        with pytest.raises(VectorsDamaged, match=r"kb .* dense score of nan.*helio rebuild --force rules"):
            store.query("kb", vectors[0], ([1], [1.0]), 5, mode=mode)
