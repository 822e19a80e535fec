"""Both vector-store backends, the same operations, the same answers.

``VectorStore`` (qdrant-client local mode, ``:memory:``) is the reference; ``EdgeVectorStore``
(Qdrant Edge, in-process engine) must behave the same for everything the pipeline calls.

Score ties: the two engines order points of equal dense or sparse score differently (local mode
by reverse insertion, the engine by its internal offsets and heap). The fixture is built so
that the dense lists and the sparse list of ``QUERY_TEXTS[0]`` have no ties; there, dense,
sparse and hybrid answers must be identical, ids, order and scores. Texts whose sparse lists
hold ties are compared as sequences of score groups (same scores in the same order, the same
ids within each group; a group cut by the limit may hold different members, all from the full
group). A hybrid answer then legitimately differs, because a tied point's rank in the sparse
list feeds its RRF score; what must hold is that each backend fuses its own lists exactly.
"""

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
from qdrant_client import models

from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.lib.store import Point, VectorStore
from helio_pipeline.lib.store_edge import EdgeVectorStore, convert_filter

REPO = Path(__file__).resolve().parents[2]
DIM = 16
N = 200
ALIAS = "t-products"
COLL = f"{ALIAS}__v1"
COLL2 = f"{ALIAS}__v2"
INDEXES = {"kind": "keyword", "price": "float", "owner_id": "keyword", "updated_at": "datetime"}
KINDS = ("module", "inverter", "battery", "cable")
FILLER = ("garantia frete entrega prazo tensao corrente potencia eficiencia monocristalino policristalino "
          "telhado estrutura conector fusivel disjuntor cabo string microinversor hibrido rede solar "
          "fotovoltaico instalacao manutencao suporte").split()
NAMESPACE = uuid.UUID("8d7f0c52-54b4-4cf6-9c55-3c1f3b7d2a10")
RRF_K = 2


# --- a deterministic fixture ---------------------------------------------------------------

def _make_points() -> list[Point]:
    """200 points. Each carries a distinct count triple of the words painel/inversor/bateria
    (from ranges of different sizes, so the three words differ in document frequency, hence in
    IDF), so a sparse query naming all three ranks them without ties; filler words add variety."""
    rng = np.random.default_rng(20240611)
    vectors = rng.standard_normal((N, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    triples = [(a, b, c) for a in range(8) for b in range(6) for c in range(5)]
    order = rng.permutation(len(triples))[:N]
    points = []
    for i in range(N):
        a, b, c = triples[order[i]]
        words = ["painel"] * a + ["inversor"] * b + ["bateria"] * c
        words += list(rng.choice(FILLER, size=int(rng.integers(4, 10))))
        rng.shuffle(words)
        text = " ".join(words)
        payload = {
            "source_id": f"src-{i // 2:03d}",
            "content_hash": f"h{i:04d}",
            "payload_hash": f"p{i:04d}",
            "kind": KINDS[int(rng.integers(0, len(KINDS)))],
            "price": round(float(rng.uniform(50, 5000)), 2),
            "owner_id": f"owner-{i % 7}",
            "updated_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00Z",
            "text": text,
        }
        points.append(Point(str(uuid.uuid5(NAMESPACE, f"p{i}")), vectors[i], sparse_vector(text), payload))
    return points


POINTS = _make_points()
BY_ID = {p.id: p for p in POINTS}
_QRNG = np.random.default_rng(7)
QUERY_VECTORS = [(v / np.linalg.norm(v)).astype(np.float32) for v in _QRNG.standard_normal((3, DIM))]
QUERY_TEXTS = ["painel inversor bateria", "inversor bateria garantia", "painel solar"]

FILTERS = {
    "none": None,
    "match_value": models.Filter(must=[models.FieldCondition(key="kind", match=models.MatchValue(value="inverter"))]),
    "match_any": models.Filter(must=[models.FieldCondition(key="owner_id",
                                                           match=models.MatchAny(any=["owner-1", "owner-3"]))]),
    "range": models.Filter(must=[models.FieldCondition(key="price", range=models.Range(gte=500, lt=2500))]),
    "combined": models.Filter(must=[
        models.FieldCondition(key="kind", match=models.MatchAny(any=["module", "battery"])),
        models.FieldCondition(key="price", range=models.Range(gt=1000)),
    ]),
    "datetime": models.Filter(must=[models.FieldCondition(
        key="updated_at", range=models.DatetimeRange(gte="2024-03-01T00:00:00Z", lt="2024-09-01"))]),
    "should_must_not": models.Filter(
        should=[models.FieldCondition(key="kind", match=models.MatchValue(value="cable")),
                models.FieldCondition(key="owner_id", match=models.MatchValue(value="owner-2"))],
        must_not=[models.FieldCondition(key="price", range=models.Range(lt=300))],
    ),
}


def _matches(payload: dict, flt: models.Filter | None) -> bool:
    """The test's own reading of the filters above (for the oracle)."""
    if flt is None:
        return True

    def cond(c):
        value = payload.get(c.key)
        if c.match is not None:
            if isinstance(c.match, models.MatchValue):
                return value == c.match.value
            return value in c.match.any
        r = c.range
        if isinstance(r, models.DatetimeRange):
            value = np.datetime64(value.rstrip("Z"))
            bound = lambda b: np.datetime64(b.replace(tzinfo=None)) if b is not None else None  # noqa: E731
            gt, gte, lt, lte = bound(r.gt), bound(r.gte), bound(r.lt), bound(r.lte)
        else:
            gt, gte, lt, lte = r.gt, r.gte, r.lt, r.lte
        return ((gt is None or value > gt) and (gte is None or value >= gte)
                and (lt is None or value < lt) and (lte is None or value <= lte))

    must = all(cond(c) for c in (flt.must or []))
    should = not flt.should or any(cond(c) for c in flt.should)
    must_not = not any(cond(c) for c in (flt.must_not or []))
    return must and should and must_not


def _create(store, name=COLL, metadata=None) -> bool:
    return store.ensure_collection(name, DIM, INDEXES, tenant_field="owner_id", distance="Cosine",
                                   metadata=metadata or {"domain": "products", "fingerprint": "v1"})


def _fill(store, name=COLL, points=POINTS):
    for start in range(0, len(points), 64):
        store.upsert(name, points[start : start + 64])


def _open(kind: str, path: Path):
    if kind == "qdrant-local":
        return VectorStore.open(url=":memory:")
    return EdgeVectorStore(path / "edge")


@pytest.fixture(params=["qdrant-local", "edge"])
def store(request, tmp_path):
    s = _open(request.param, tmp_path)
    yield s
    if isinstance(s, EdgeVectorStore):
        s.close()


@pytest.fixture
def filled(store):
    _create(store)
    _fill(store)
    return store


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Both backends holding the same collection, behind the same alias."""
    stores = {kind: _open(kind, tmp_path_factory.mktemp(kind)) for kind in ("qdrant-local", "edge")}
    for s in stores.values():
        _create(s)
        _fill(s)
        s.point_alias(ALIAS, COLL)
    yield stores
    stores["edge"].close()


# --- ranking comparison helpers --------------------------------------------------------------

def _groups(points, rel=1e-5):
    """[(score, {ids})] for consecutive runs of (nearly) equal scores."""
    out: list[tuple[float, set]] = []
    for p in points:
        if out and abs(out[-1][0] - p.score) <= rel * max(1.0, abs(p.score)):
            out[-1][1].add(str(p.id))
        else:
            out.append((p.score, {str(p.id)}))
    return out


def _assert_same_ranking(a, b, full=None):
    """Same scores in the same order and the same ids per score; a tie group cut by the limit
    may hold different members on each side, but all from the full group (``full``: more results
    of the same query, or the oracle's)."""
    assert len(a) == len(b)
    ga, gb = _groups(a), _groups(b)
    assert [round(s, 4) for s, _ in ga] == [round(s, 4) for s, _ in gb], "score sequences differ"
    for (sa, ia), (sb, ib) in zip(ga[:-1], gb[:-1]):
        assert ia == ib, f"ids at score {sa} differ: {ia ^ ib}"
    if ga:
        last_a, last_b = ga[-1][1], gb[-1][1]
        if last_a != last_b:
            assert full is not None, f"the last tie group differs and no full group was given: {last_a ^ last_b}"
            group = next(ids for score, ids in _groups(full) if abs(score - ga[-1][0]) <= 1e-5 * max(1, abs(score)))
            assert last_a <= group and last_b <= group


def _assert_strict_ranking(a, b):
    assert [str(p.id) for p in a] == [str(p.id) for p in b]
    assert np.allclose([p.score for p in a], [p.score for p in b], atol=1e-5)


# --- both backends: collections, points, aliases -----------------------------------------------

def test_collection_lifecycle(store):
    assert not store.exists(COLL)
    assert _create(store) is True
    assert _create(store) is False  # already there
    assert store.exists(COLL)
    assert store.vector_size(COLL) == DIM
    assert store.metadata(COLL) == {"domain": "products", "fingerprint": "v1"}
    store.update_metadata(COLL, {"promoted_at": "2024-06-01T00:00:00+00:00"})
    assert store.metadata(COLL) == {"domain": "products", "fingerprint": "v1", "promoted_at": "2024-06-01T00:00:00+00:00"}
    store.update_metadata(COLL, {"fingerprint": "v1b"})
    assert store.metadata(COLL)["fingerprint"] == "v1b"
    with pytest.raises(HelioError, match="holds 16-d vectors"):
        store.ensure_collection(COLL, 32, INDEXES)
    assert store.count(COLL) == 0
    assert store.read_index(COLL) == {}
    with pytest.raises(ValueError):
        store.count("t-missing")


def test_points_roundtrip(filled):
    store = filled
    assert store.count(COLL) == N
    index = store.read_index(COLL)
    assert index == {p.id: {k: p.payload[k] for k in ("source_id", "content_hash", "payload_hash")} for p in POINTS}
    assert store.read_index(COLL, ("source_id",)) == {p.id: {"source_id": p.payload["source_id"]} for p in POINTS}

    ids = [POINTS[5].id, POINTS[0].id, str(uuid.uuid4()), POINTS[17].id]
    records = store.retrieve(COLL, ids)
    assert [r.id for r in records] == [POINTS[5].id, POINTS[0].id, POINTS[17].id]
    assert all(r.vector is None for r in records)
    assert records[0].payload == POINTS[5].payload
    [full] = store.retrieve(COLL, [POINTS[3].id], with_vectors=True)
    assert np.allclose(full.vector["dense"], POINTS[3].vector, atol=1e-6)
    assert list(full.vector["sparse"].indices) == POINTS[3].sparse[0]
    assert np.allclose(full.vector["sparse"].values, POINTS[3].sparse[1])

    # set_payload replaces the whole payload
    store.set_payload(COLL, POINTS[3].id, {"source_id": "src-new", "content_hash": "hx"})
    assert store.retrieve(COLL, [POINTS[3].id])[0].payload == {"source_id": "src-new", "content_hash": "hx"}
    assert store.read_index(COLL)[POINTS[3].id] == {"source_id": "src-new", "content_hash": "hx"}

    # upsert of an existing id replaces it
    changed = Point(POINTS[4].id, POINTS[9].vector, POINTS[9].sparse, {**POINTS[4].payload, "content_hash": "h-changed"})
    store.upsert(COLL, [changed])
    assert store.count(COLL) == N
    assert store.read_index(COLL, ("content_hash",))[POINTS[4].id] == {"content_hash": "h-changed"}

    gone = [p.id for p in POINTS[:30]] + [str(uuid.uuid4())]  # an unknown id is no error
    store.delete(COLL, gone)
    store.delete(COLL, [])
    assert store.count(COLL) == N - 30
    assert store.retrieve(COLL, gone) == []
    assert set(store.read_index(COLL)) == {p.id for p in POINTS[30:]}
    assert all(str(p.id) not in set(gone) for p in store.query(COLL, QUERY_VECTORS[0], None, 50, mode="dense"))


def test_aliases(filled):
    store = filled
    assert store.resolve(ALIAS) is None
    assert not store.exists(ALIAS)
    store.point_alias(ALIAS, COLL)
    assert store.resolve(ALIAS) == COLL
    assert store.exists(ALIAS)
    # every method takes the alias
    assert store.count(ALIAS) == N
    assert store.metadata(ALIAS)["fingerprint"] == "v1"
    assert store.vector_size(ALIAS) == DIM
    assert len(store.read_index(ALIAS)) == N
    assert store.retrieve(ALIAS, [POINTS[1].id])[0].payload == POINTS[1].payload
    assert len(store.query(ALIAS, QUERY_VECTORS[0], sparse_vector(QUERY_TEXTS[0]), 5)) == 5
    assert _create(store, ALIAS) is False  # the alias names an existing collection

    _create(store, COLL2, metadata={"fingerprint": "v2"})
    _fill(store, COLL2, POINTS[:50])
    assert store.physical_collections(ALIAS) == [COLL, COLL2]
    assert store.physical_collections("t-other") == []
    store.point_alias(ALIAS, COLL2)  # move
    assert store.resolve(ALIAS) == COLL2
    assert store.count(ALIAS) == 50
    assert store.metadata(ALIAS) == {"fingerprint": "v2"}
    store.update_metadata(ALIAS, {"promoted_at": "now"})
    assert store.metadata(COLL2) == {"fingerprint": "v2", "promoted_at": "now"}

    store.drop(ALIAS)  # an alias is not a collection: left alone, as qdrant-client does
    assert store.exists(COLL2) and store.resolve(ALIAS) == COLL2
    store.drop(COLL)
    assert not store.exists(COLL)
    assert store.physical_collections(ALIAS) == [COLL2]
    store.drop(COLL2)  # dropping the live collection takes its alias with it
    assert store.resolve(ALIAS) is None
    assert not store.exists(ALIAS)
    assert store.physical_collections(ALIAS) == []
    store.drop("t-never-existed")
    with pytest.raises(ValueError):
        store.point_alias(ALIAS, "t-missing")


def test_query_shapes(filled):
    store = filled
    hits = store.query(COLL, QUERY_VECTORS[0], sparse_vector(QUERY_TEXTS[0]), 5, with_vectors=True)
    assert len(hits) == 5
    for hit in hits:
        assert isinstance(hit.id, str) and hit.id in BY_ID
        assert hit.payload == BY_ID[hit.id].payload
        assert set(hit.vector) == {"dense"}
        assert np.allclose(hit.vector["dense"], BY_ID[hit.id].vector, atol=1e-6)
    plain = store.query(COLL, QUERY_VECTORS[0], None, 3, mode="dense")
    assert all(p.vector is None for p in plain)
    assert store.query(COLL, QUERY_VECTORS[0], ([], []), 3, mode="sparse") == []
    # hybrid without sparse terms is a dense query
    assert [p.id for p in store.query(COLL, QUERY_VECTORS[0], ([], []), 4)] == [p.id for p in store.query(
        COLL, QUERY_VECTORS[0], None, 4, mode="dense")]
    with pytest.raises(ValueError, match="unknown search mode"):
        store.query(COLL, QUERY_VECTORS[0], None, 3, mode="fuzzy")


# --- the same rankings on both backends --------------------------------------------------------

@pytest.mark.parametrize("flt", list(FILTERS))
@pytest.mark.parametrize("qi", range(len(QUERY_VECTORS)))
def test_dense_rankings_match(pair, flt, qi):
    results = {k: s.query(ALIAS, QUERY_VECTORS[qi], None, 10, FILTERS[flt], mode="dense") for k, s in pair.items()}
    _assert_strict_ranking(results["qdrant-local"], results["edge"])
    expected = sorted((p for p in POINTS if _matches(p.payload, FILTERS[flt])),
                      key=lambda p: -float(np.dot(p.vector, QUERY_VECTORS[qi])))[:10]
    assert [p.id for p in results["edge"]] == [p.id for p in expected]


@pytest.mark.parametrize("flt", list(FILTERS))
@pytest.mark.parametrize("text", QUERY_TEXTS)
def test_sparse_rankings_match(pair, flt, text):
    sparse = sparse_vector(text)
    results = {k: s.query(ALIAS, None, sparse, 10, FILTERS[flt], mode="sparse") for k, s in pair.items()}
    matching = [p for p in POINTS if _matches(p.payload, FILTERS[flt])
                and set(p.sparse[0]) & set(sparse[0])]
    assert len(results["edge"]) == min(10, len(matching))
    full = pair["qdrant-local"].query(ALIAS, None, sparse, N, FILTERS[flt], mode="sparse")
    _assert_same_ranking(results["qdrant-local"], results["edge"], full)
    if text == QUERY_TEXTS[0]:  # every point has its own count triple: no ties, one order
        _assert_strict_ranking(results["qdrant-local"], results["edge"])


def _oracle_rrf(store, dense, sparse, limit, flt):
    """RRF of the two prefetch lists (both tie-free here), as Qdrant defines it: 1 / (rank + k)."""
    depth = max(limit * 4, 20)
    scores: dict[str, float] = {}
    for hits in (store.query(ALIAS, dense, None, depth, flt, mode="dense"),
                 store.query(ALIAS, None, sparse, depth, flt, mode="sparse")):
        for rank, hit in enumerate(hits):
            scores[str(hit.id)] = scores.get(str(hit.id), 0.0) + 1.0 / (rank + RRF_K)
    return scores


@pytest.mark.parametrize("flt", list(FILTERS))
@pytest.mark.parametrize("qi", range(len(QUERY_VECTORS)))
@pytest.mark.parametrize("limit", [1, 3, 10])
def test_hybrid_topk_match(pair, flt, qi, limit):
    """With tie-free prefetch lists, hybrid answers are identical: the same ids in the same order
    with the same RRF scores, ties among fused scores included (both fuse in first-seen order)."""
    dense, sparse = QUERY_VECTORS[qi], sparse_vector(QUERY_TEXTS[0])
    results = {k: s.query(ALIAS, dense, sparse, limit, FILTERS[flt]) for k, s in pair.items()}
    assert [(p.id, p.score) for p in results["qdrant-local"]] == [(p.id, p.score) for p in results["edge"]]
    oracle = _oracle_rrf(pair["edge"], dense, sparse, limit, FILTERS[flt])
    assert len(results["edge"]) == min(limit, len(oracle))
    assert [h.score for h in results["edge"]] == pytest.approx(sorted(oracle.values(), reverse=True)[:limit])
    for hit in results["edge"]:
        assert hit.score == pytest.approx(oracle[hit.id]) and _matches(hit.payload, FILTERS[flt])


def test_hybrid_answers_are_reproducible(pair):
    """Equal fused scores are common under RRF; the same query must still answer the same way."""
    for text in QUERY_TEXTS:
        answers = {tuple(p.id for p in pair["edge"].query(ALIAS, QUERY_VECTORS[0], sparse_vector(text), 5,
                                                          with_vectors=bool(i % 2)))
                   for i in range(20)}
        assert len(answers) == 1, text


@pytest.mark.parametrize("text", QUERY_TEXTS[1:])
def test_hybrid_with_sparse_ties_fuses_each_backends_own_lists(pair, text):
    """Texts whose sparse lists hold ties (points with the same term counts): the two engines
    order those ties differently, so a tied point can sit at rank 7 on one and rank 9 on the
    other, and the fused top-10 legitimately differs. What must hold: the sparse lists agree
    score group by score group, and each backend's hybrid answer is exactly RRF (k=2) over its
    own dense and sparse lists."""
    sparse = sparse_vector(text)
    lists = {k: s.query(ALIAS, None, sparse, 40, mode="sparse") for k, s in pair.items()}
    _assert_same_ranking(lists["qdrant-local"], lists["edge"],
                         pair["qdrant-local"].query(ALIAS, None, sparse, N, mode="sparse"))
    for qi in range(len(QUERY_VECTORS)):
        for kind, store in pair.items():
            hits = store.query(ALIAS, QUERY_VECTORS[qi], sparse, 10)
            oracle = _oracle_rrf(store, QUERY_VECTORS[qi], sparse, 10, None)
            assert len(hits) == 10
            assert [h.score for h in hits] == pytest.approx([oracle[h.id] for h in hits], rel=1e-5), kind
            assert [h.score for h in hits] == pytest.approx(sorted(oracle.values(), reverse=True)[:10], rel=1e-5)


# --- Qdrant Edge only ---------------------------------------------------------------------------

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
    reference = VectorStore.open(url=":memory:")
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    for store in (reference, s):
        _create(store)
        _fill(store)
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
    reference = VectorStore.open(url=":memory:")
    s = EdgeVectorStore(tmp_path / "edge")
    sparse = sparse_vector(QUERY_TEXTS[0])
    for store in (reference, s):
        _create(store)
        _fill(store)
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
        from tests.lib.test_store_backends import POINTS, _create, _fill, COLL, COLL2, ALIAS
        from helio_pipeline.lib.store_edge import EdgeVectorStore
        s = EdgeVectorStore({str(root)!r})
        _create(s); _fill(s)
        s.set_payload(COLL, POINTS[7].id, {{"source_id": "before-the-alias"}})
        s.point_alias(ALIAS, COLL)
        _create(s, COLL2)
        _fill(s, COLL2, POINTS[:50])
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
            from helio_pipeline.lib.store_edge import EdgeVectorStore
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
        from helio_pipeline.lib.store_edge import EdgeVectorStore
        EdgeVectorStore({str(root)!r}).close(); print("OPENED")
    """)
    assert done.stdout.strip() == "OPENED", done.stderr


def test_edge_forked_child_does_not_use_or_release_the_parents_store(tmp_path):
    root = tmp_path / "edge"
    s = EdgeVectorStore(root)
    _create(s)
    _fill(s, points=POINTS[:10])
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
            from helio_pipeline.lib.store_edge import EdgeVectorStore
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
    _create(s)
    _fill(s, points=POINTS[:10])
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
    _create(s)
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
    _create(s)
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
        assert _create(s) is True
        _fill(s, points=POINTS[:5])
        assert s.count(COLL) == 5
    finally:
        s.close()


def test_edge_filter_translation():
    assert convert_filter(None) is None
    nested = models.Filter(must=[models.Filter(should=[
        models.FieldCondition(key="kind", match=models.MatchValue(value="module")),
        models.HasIdCondition(has_id=[POINTS[0].id]),
    ])], must_not=models.IsEmptyCondition(is_empty=models.PayloadField(key="price")))
    assert convert_filter(nested) is not None
    with pytest.raises(ValueError, match="MatchText"):
        convert_filter(models.Filter(must=[models.FieldCondition(key="text", match=models.MatchText(text="x"))]))
    with pytest.raises(ValueError, match="geo_radius"):
        convert_filter(models.Filter(must=[models.FieldCondition(
            key="loc", geo_radius=models.GeoRadius(center=models.GeoPoint(lon=0, lat=0), radius=1))]))
    with pytest.raises(ValueError, match="NestedCondition"):
        convert_filter(models.Filter(must=[models.NestedCondition(
            nested=models.Nested(key="a", filter=models.Filter()))]))


def test_edge_filtered_queries_on_nested_filters(pair):
    flt = models.Filter(must=[models.Filter(should=[
        models.FieldCondition(key="kind", match=models.MatchValue(value="module")),
        models.FieldCondition(key="kind", match=models.MatchValue(value="cable")),
    ])], must_not=[models.FieldCondition(key="owner_id", match=models.MatchAny(any=["owner-0"]))])
    a, b = (pair[k].query(ALIAS, QUERY_VECTORS[1], None, 10, flt, mode="dense") for k in ("qdrant-local", "edge"))
    _assert_strict_ranking(a, b)
    assert all(BY_ID[p.id].payload["kind"] in ("module", "cable") and BY_ID[p.id].payload["owner_id"] != "owner-0"
               for p in b)


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
        flt = models.Filter(must=[models.FieldCondition(key="owner_id", match=models.MatchValue(value="cliente-5"))])
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
            from helio_pipeline.lib.store_edge import EdgeVectorStore
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
    _create(s)
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
        _fill(s)
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


def test_bool_payload_filters_match_on_both_backends(store):
    """qdrant-edge-py reads a Python bool as an integer; a bool filter (active, bifacial) must
    still match bool payloads, as it does on qdrant-client."""
    store.ensure_collection("flags", 4, {"flag": "bool"}, None, "Cosine", metadata={})
    store.upsert("flags", [Point(str(uuid.UUID(int=1)), [1, 0, 0, 0], ([1], [1.0]), {"flag": True, "source_id": "yes"}),
                           Point(str(uuid.UUID(int=2)), [0, 1, 0, 0], ([2], [1.0]), {"flag": False, "source_id": "no"})])
    query = np.asarray([1, 0, 0, 0], dtype=np.float32)
    for value, expected in ((True, ["yes"]), (False, ["no"])):
        flt = models.Filter(must=[models.FieldCondition(key="flag", match=models.MatchValue(value=value))])
        assert [p.payload["source_id"] for p in store.query("flags", query, None, 5, flt, "dense")] == expected
