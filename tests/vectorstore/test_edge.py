"""What only the Qdrant Edge backend has: one process per root (a lock, one instance per root),
its files (the catalog, shard directories) surviving crashes and damage with clear errors, and
its segment settings. The behaviour both backends share is in test_contract.py; read-only
copies and damaged vectors are in tests/hardening/test_faults_store.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pytest

from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.vectorstore import Filter, Match, Point
from helio_pipeline.vectorstore.edge import EdgeVectorStore
from helio_pipeline.vectorstore.qdrant import QdrantStore
from tests.vectorstore.data import (ALIAS, COLL, COLL2, DIM, FILLER, FILTERS, N, POINTS, QUERY_TEXTS, QUERY_VECTORS,
                                    create, fill)
from tests.vectorstore.test_contract import _assert_same_ranking, _assert_strict_ranking

REPO = Path(__file__).resolve().parents[2]


def test_edge_same_instance_per_root(tmp_path):
    a = EdgeVectorStore(tmp_path / "edge")
    try:
        assert EdgeVectorStore(tmp_path / "edge") is a
        assert EdgeVectorStore.open(str(tmp_path / "edge" / ".." / "edge")) is a
    finally:
        a.close()
    a.close()  # twice is fine
    with pytest.raises(HelioError, match="closed"):
        a.count(COLL)
    b = EdgeVectorStore(tmp_path / "edge")
    assert b is not a
    b.close()


def test_edge_persists_across_close_and_reopen(tmp_path):
    reference = QdrantStore.open(url=":memory:")
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    for store in (reference, s):
        create(store)
        fill(store)
        store.set_payload(COLL, POINTS[0].id, {"source_id": "src-x"})
        store.delete(COLL, [POINTS[1].id])
        store.point_alias(ALIAS, COLL)
        store.update_metadata(ALIAS, {"promoted_at": "t1"})
    s.close()

    catalog = json.loads((root / "catalog.json").read_text())
    assert catalog["format"] == 1 and catalog["qdrant_edge"]
    assert catalog["aliases"] == {ALIAS: COLL}
    assert (root / "collections" / COLL).is_dir()

    def ask(store):
        return [store.query(ALIAS, QUERY_VECTORS[0], sparse_vector(QUERY_TEXTS[0]), 10, FILTERS["range"], mode=mode)
                for mode in ("dense", "sparse", "hybrid")]

    expected = ask(reference)
    for _ in range(2):  # reopened twice: the same answers each time, and the reference's
        s = EdgeVectorStore(root)
        try:
            assert s.resolve(ALIAS) == COLL
            assert s.metadata(ALIAS) == {"domain": "products", "fingerprint": "v1", "promoted_at": "t1"}
            assert s.count(ALIAS) == N - 1
            assert s.read_index(ALIAS, ("source_id",))[POINTS[0].id] == {"source_id": "src-x"}
            got = ask(s)
            _assert_strict_ranking(expected[0], got[0])
            _assert_strict_ranking(expected[1], got[1])
            _assert_same_ranking(expected[2], got[2], reference.query(
                ALIAS, QUERY_VECTORS[0], sparse_vector(QUERY_TEXTS[0]), 200, FILTERS["range"]))
        finally:
            s.close()


def test_edge_sparse_idf_after_delete_until_reopen(tmp_path):
    """A known difference: after a delete, the engine's sparse IDF statistics still count the
    deleted points until the shard is loaded again; qdrant-client's local mode recounts at once.
    (Upserts that replace a point are counted right away.) Reopening gives the exact figures."""
    reference = QdrantStore.open(url=":memory:")
    s = EdgeVectorStore(tmp_path / "edge")
    sparse = sparse_vector(QUERY_TEXTS[0])
    for store in (reference, s):
        create(store)
        fill(store)
    before = {p.id: p.score for p in s.query(COLL, None, sparse, N, mode="sparse")}
    for store in (reference, s):
        store.delete(COLL, [p.id for p in POINTS[100:]])
    stale = s.query(COLL, None, sparse, 5, mode="sparse")
    exact = reference.query(COLL, None, sparse, 5, mode="sparse")
    assert [p.score for p in stale] == pytest.approx([before[p.id] for p in stale])  # IDF of 200 points
    assert [p.score for p in exact] != pytest.approx([before[p.id] for p in exact])  # IDF of 100
    s.close()
    s = EdgeVectorStore(tmp_path / "edge")
    try:
        _assert_strict_ranking(exact, s.query(COLL, None, sparse, 5, mode="sparse"))
    finally:
        s.close()


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_edge_survives_a_crash_without_close(tmp_path):
    """A process that dies after writing (no close, no atexit) leaves a store that loads, with
    everything up to its last flush (the alias move flushes): collections are created without
    a write-ahead log, and what was not flushed is what the next sync writes again
    (tests/lib/test_kill_resume.py)."""
    root = tmp_path / "edge"
    done = _run(f"""
        import os
        from tests.vectorstore.data import POINTS, create, fill, COLL, COLL2, ALIAS
        from helio_pipeline.vectorstore.edge import EdgeVectorStore
        s = EdgeVectorStore({str(root)!r})
        create(s); fill(s)
        s.set_payload(COLL, POINTS[7].id, {{"source_id": "before-the-alias"}})
        s.point_alias(ALIAS, COLL)
        create(s, COLL2)
        fill(s, COLL2, POINTS[:50])
        s.delete(COLL2, [POINTS[0].id])
        os._exit(0)
    """)
    assert done.returncode == 0, done.stderr
    s = EdgeVectorStore(root)
    try:
        assert s.count(ALIAS) == N
        assert s.retrieve(ALIAS, [POINTS[7].id])[0].payload == {"source_id": "before-the-alias"}
        assert s.count(COLL2) in (0, 49, 50)  # created; its unflushed writes may be gone, never half-applied
    finally:
        s.close()


def test_edge_second_process_gets_a_clear_lock_error(tmp_path):
    root = tmp_path / "edge"
    s = EdgeVectorStore(root, label="test-holder")
    try:
        done = _run(f"""
            from helio_pipeline.lib.errors import HelioError
            from helio_pipeline.vectorstore.edge import EdgeVectorStore
            try:
                EdgeVectorStore({str(root)!r})
            except HelioError as exc:
                print("HELIO", exc)
            else:
                print("OPENED")
        """)
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert out.startswith("HELIO"), out
        assert f"pid {os.getpid()}" in out and "test-holder" in out
        assert "HELIO_QDRANT_URL" in out and str(root) in out
    finally:
        s.close()
    # released on close: another process may open it now
    done = _run(f"""
        from helio_pipeline.vectorstore.edge import EdgeVectorStore
        EdgeVectorStore({str(root)!r}).close(); print("OPENED")
    """)
    assert done.stdout.strip() == "OPENED", done.stderr


def test_edge_forked_child_does_not_use_or_release_the_parents_store(tmp_path):
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    create(s)
    fill(s, points=POINTS[:10])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, close what it inherited, exit without atexit
        os.close(read)
        out = []
        for attempt in (lambda: s.count(COLL), lambda: EdgeVectorStore(root)):
            try:
                attempt()
                out.append("ok")
            except HelioError as exc:
                out.append("opened by process" if "opened by process" in str(exc)
                           else "locked" if f"pid {os.getppid()}" in str(exc) else str(exc))
        s.close()
        os.write(write, json.dumps(out).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        assert json.loads(pipe.read()) == ["opened by process", "locked"]
    try:
        assert s.count(COLL) == 10  # the child's close touched nothing of ours
        done = _run(f"""
            from helio_pipeline.vectorstore.edge import EdgeVectorStore
            try:
                EdgeVectorStore({str(root)!r}); print("OPENED")
            except Exception as exc:
                print("LOCKED")
        """)
        assert done.stdout.strip() == "LOCKED", done.stderr
    finally:
        s.close()


def test_edge_corrupted_catalog_is_a_clear_error(tmp_path):
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    create(s)
    fill(s, points=POINTS[:10])
    s.close()
    catalog = root / "catalog.json"
    good = catalog.read_text()

    catalog.write_text("{not json")
    with pytest.raises(HelioError) as err:
        EdgeVectorStore(root)
    message = str(err.value)
    assert str(root) in message and "helio rebuild DOMAIN" in message and "not valid JSON" in message

    catalog.write_text(json.dumps({**json.loads(good), "format": 99}))
    with pytest.raises(HelioError, match="format 99"):
        EdgeVectorStore(root)

    catalog.write_text(good)  # a failed open released the lock and cached nothing
    s = EdgeVectorStore(root)
    assert s.count(COLL) == 10
    s.close()


def test_edge_broken_shard_is_a_clear_error(tmp_path):
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    create(s)
    s.close()
    shard = root / "collections" / COLL
    (shard / "edge_config.json").write_text("{garbage")
    store = EdgeVectorStore(root)  # shards load on first use: a domain's run never touches the others
    with pytest.raises(HelioError) as err:
        store.count(COLL)
    assert str(shard) in str(err.value) and "helio rebuild DOMAIN" in str(err.value)
    with pytest.raises(HelioError, match="failed to load"):
        store.load_all()
    store.close()

    import shutil
    shutil.rmtree(shard)
    with pytest.raises(HelioError, match="no shard directory"):
        EdgeVectorStore(root)


def test_edge_catalog_lost_but_collections_present(tmp_path):
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    create(s)
    s.close()
    (root / "catalog.json").unlink()
    with pytest.raises(HelioError, match="is missing"):
        EdgeVectorStore(root)


def test_edge_unfinished_create_is_cleared(tmp_path):
    """A shard directory the catalog never named (a create cut short) is replaced on create."""
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    (root / "collections" / COLL).mkdir(parents=True)
    (root / "collections" / COLL / "junk").write_text("x")
    try:
        assert create(s) is True
        fill(s, points=POINTS[:5])
        assert s.count(COLL) == 5
    finally:
        s.close()


def _many_points(n: int, dim: int = 64) -> list[Point]:
    """Conversation-like points: a dense vector, a ~90-term sparse vector, a few payload fields."""
    rng = np.random.default_rng(11)
    points = []
    for i in range(n):
        terms = np.unique(rng.integers(0, 30_000, 90))
        points.append(Point(str(uuid.UUID(int=i + 1)), rng.standard_normal(dim).astype(np.float32),
                            (terms.tolist(), rng.random(len(terms)).tolist()),
                            {"source_id": f"conv-{i // 4}", "owner_id": f"cliente-{i % 97}", "kind": "chat",
                             "text": f"mensagem {i} " + " ".join(FILLER[:40])}))
    return points


def test_edge_optimize_keeps_a_loaded_collection_out_of_the_heap(tmp_path):
    """After optimize (the sync calls it after its writes), a process that loads the collection
    holds a fraction of the heap it would for the same points left as written, and searches
    answer the same. Measured in fresh processes, relative to each other."""
    points = _many_points(20_000)
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    try:
        for name in ("as-written", "optimized"):
            s.ensure_collection(name, 64, {"kind": "keyword", "owner_id": "keyword"}, tenant_field="owner_id")
            for start in range(0, len(points), 1000):
                s.upsert(name, points[start:start + 1000])
        flt = Filter(must=[Match("owner_id", "cliente-5")])
        query = (points[42].vector, points[42].sparse)
        before = [p.id for p in s.query("optimized", *query, limit=10, query_filter=flt)]
        assert s.optimize("optimized") is True
        assert [p.id for p in s.query("optimized", *query, limit=10, query_filter=flt)] == before
        assert s.count("optimized") == len(points)
    finally:
        s.close()

    heap = {}
    for name in ("as-written", "optimized"):
        done = _run(f"""
            from helio_pipeline.vectorstore.edge import EdgeVectorStore
            def anon():
                return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("RssAnon:"))
            s = EdgeVectorStore({str(root)!r})
            before = anon()
            assert s.count({name!r}) == {len(points)}
            print("KB", anon() - before)
            s.close()
        """)
        assert done.returncode == 0, done.stderr
        heap[name] = int(done.stdout.split("KB")[-1])
    print("heap KB after loading 20k points:", heap)
    # as written: ~2.5 KB of heap per point (id tracker, payload and sparse indexes in RAM)
    assert heap["optimized"] * 3 < heap["as-written"], heap


def test_edge_collections_made_by_earlier_versions_get_todays_segment_settings(tmp_path):
    """A shard created with the engine's defaults (as earlier versions did: HNSW graphs, a WAL)
    is loaded with today's settings (no graph, bounded segments), keeps its WAL setting, and
    takes writes as before."""
    import shutil

    import qdrant_edge as qe

    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    create(s)
    s.close()
    shard_dir = root / "collections" / COLL
    shutil.rmtree(shard_dir)
    old = qe.EdgeShard.create(str(shard_dir), qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=DIM, distance=qe.Distance.Cosine)},
        sparse_vectors={"sparse": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)}))
    old.close()
    assert json.loads((shard_dir / "edge_config.json").read_text()).get("hnsw_config") is None

    s = EdgeVectorStore(root)
    try:
        fill(s)
        s.optimize(COLL)
        assert s.count(COLL) == N
    finally:
        s.close()
    config = json.loads((shard_dir / "edge_config.json").read_text())
    assert config["hnsw_config"]["m"] == 0 and config["optimizers"]["max_segment_size"] > 0
    assert (shard_dir / "wal").is_dir()
    s = EdgeVectorStore(root)
    try:
        assert s.count(COLL) == N and s.retrieve(COLL, [POINTS[3].id])[0].payload == POINTS[3].payload
    finally:
        s.close()


def test_the_factory_takes_the_scratch_directory_from_the_environment(tmp_path, monkeypatch):
    """A root this process may only read is searched through private copies, made under
    HELIO_EDGE_SCRATCH_DIR when the factory opens it (and removed on close)."""
    from helio_pipeline.vectorstore import close_embedded_stores, open_store

    root, scratch = tmp_path / "edge", tmp_path / "scratch"
    s = EdgeVectorStore(root)
    create(s)
    fill(s, points=POINTS[:20])
    s.close()
    monkeypatch.setenv("HELIO_EDGE_SCRATCH_DIR", str(scratch))
    real_access = os.access
    with monkeypatch.context() as patch:
        patch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == root and mode & os.W_OK
                      else real_access(path, mode, **kw))
        store = open_store(path=root)
    try:
        assert store.read_only
        assert store.count(COLL) == 20
        [copy] = scratch.glob(f"helio-edge-readonly-{os.getpid()}-*")
        assert (copy / COLL).is_dir()
    finally:
        close_embedded_stores()
    assert not copy.exists()
