"""One contract, both backends: everything the pipeline calls on a vector store, asserted
the same way on qdrant-client (local mode, ``:memory:``) and on Qdrant Edge.

Score ties: the two engines order points of equal dense or sparse score differently (local mode
by reverse insertion, the engine by its internal offsets and heap). The fixture (data.py) is
built so that the dense lists and the sparse list of ``QUERY_TEXTS[0]`` have no ties; there,
dense, sparse and hybrid answers must be identical across backends, ids, order and scores.
Texts whose sparse lists hold ties are compared as sequences of score groups. A hybrid answer
then legitimately differs, because a tied point's rank in the sparse list feeds its RRF
score; what must hold is that each backend fuses its own lists exactly (``fusion.RRF_K``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import numpy as np
import pytest

from helio_pipeline.lib.errors import HelioError, VectorsDamaged
from helio_pipeline.lib.filters import QueryError, build_filter
from helio_pipeline.lib.sharding import Shard, source_bucket
from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.vectorstore import Filter, Hit, Match, Point, Range, VectorStore
from helio_pipeline.vectorstore.fusion import RRF_K, prefetch_depth
from tests.vectorstore.data import (ALIAS, BY_ID, COLL, COLL2, DIM, FILTERS, INDEXES, N, POINTS, QUERY_TEXTS,
                                    QUERY_VECTORS, create, fill, matches, open_backend)

BACKENDS = ["qdrant-local", "edge"]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    s = open_backend(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture
def filled(store):
    create(store)
    fill(store)
    return store


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Both backends holding the same collection, behind the same alias."""
    stores = {kind: open_backend(kind, tmp_path_factory.mktemp(kind)) for kind in BACKENDS}
    for s in stores.values():
        create(s)
        fill(s)
        s.point_alias(ALIAS, COLL)
    yield stores
    for s in stores.values():
        s.close()


# --- ranking comparison helpers --------------------------------------------------------------

def _groups(hits, rel=1e-5):
    """[(score, {ids})] for consecutive runs of (nearly) equal scores."""
    out: list[tuple[float, set]] = []
    for h in hits:
        if out and abs(out[-1][0] - h.score) <= rel * max(1.0, abs(h.score)):
            out[-1][1].add(h.id)
        else:
            out.append((h.score, {h.id}))
    return out


def _assert_same_ranking(a, b, full):
    """Same scores in the same order and the same ids per score; a tie group cut by the limit
    may hold different members on each side, but all from the full group."""
    assert len(a) == len(b)
    ga, gb = _groups(a), _groups(b)
    assert [round(s, 4) for s, _ in ga] == [round(s, 4) for s, _ in gb], "score sequences differ"
    for (sa, ia), (_, ib) in zip(ga[:-1], gb[:-1]):
        assert ia == ib, f"ids at score {sa} differ: {ia ^ ib}"
    if ga and ga[-1][1] != gb[-1][1]:
        group = next(ids for score, ids in _groups(full) if abs(score - ga[-1][0]) <= 1e-5 * max(1, abs(score)))
        assert ga[-1][1] <= group and gb[-1][1] <= group


def _assert_strict_ranking(a, b):
    assert [h.id for h in a] == [h.id for h in b]
    assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-5)


def _dense_oracle(qv, flt, limit):
    return sorted((p for p in POINTS if matches(p, flt)), key=lambda p: -float(np.dot(p.vector, qv)))[:limit]


# --- collections, metadata, aliases -------------------------------------------------------------

def test_both_backends_implement_the_protocol(store):
    assert isinstance(store, VectorStore)
    assert store.endpoint


def test_collection_lifecycle_and_metadata(store):
    assert not store.exists(COLL)
    assert create(store) is True
    assert create(store) is False  # already there
    assert store.exists(COLL)
    assert store.vector_size(COLL) == DIM
    assert store.distance(COLL) == "Cosine"
    assert store.metadata(COLL) == {"domain": "products", "fingerprint": "v1"}
    store.update_metadata(COLL, {"promoted_at": "2024-06-01T00:00:00+00:00"})
    assert store.metadata(COLL) == {"domain": "products", "fingerprint": "v1",
                                    "promoted_at": "2024-06-01T00:00:00+00:00"}
    store.update_metadata(COLL, {"fingerprint": "v1b"})  # merged, top-level keys replaced
    assert store.metadata(COLL)["fingerprint"] == "v1b"
    with pytest.raises(HelioError, match="holds 16-d vectors"):
        store.ensure_collection(COLL, 32, INDEXES)
    assert store.count(COLL) == 0
    assert store.read_index(COLL) == {}
    with pytest.raises(ValueError):
        store.count("t-missing")


def test_other_distances_and_bad_specs(store):
    assert store.ensure_collection("t-dot", 4, {}, distance="Dot") is True
    assert store.distance("t-dot") == "Dot"
    with pytest.raises(ValueError, match="unknown distance"):
        store.ensure_collection("t-bad", 4, {}, distance="Hamming")
    with pytest.raises(ValueError, match="unknown payload index"):
        store.ensure_collection("t-bad", 4, {"x": "geo"})
    assert not store.exists("t-bad")


def test_aliases_and_promotion(filled):
    store = filled
    assert store.resolve(ALIAS) is None and not store.exists(ALIAS)
    store.point_alias(ALIAS, COLL)
    assert store.resolve(ALIAS) == COLL and store.exists(ALIAS)
    # every method takes the alias
    assert store.count(ALIAS) == N
    assert store.metadata(ALIAS)["fingerprint"] == "v1"
    assert store.vector_size(ALIAS) == DIM
    assert len(store.read_index(ALIAS)) == N
    assert store.retrieve(ALIAS, [POINTS[1].id])[0].payload == POINTS[1].payload
    assert len(store.query(ALIAS, QUERY_VECTORS[0], sparse_vector(QUERY_TEXTS[0]), 5)) == 5
    assert create(store, ALIAS) is False  # the alias names an existing collection

    # a rebuild writes a new physical collection; promotion moves the alias in one step
    create(store, COLL2, metadata={"fingerprint": "v2"})
    fill(store, COLL2, POINTS[:50])
    assert store.physical_collections(ALIAS) == [COLL, COLL2]
    assert store.physical_collections("t-other") == []
    assert store.count(ALIAS) == N  # readers still see the live one
    store.point_alias(ALIAS, COLL2)
    assert store.resolve(ALIAS) == COLL2
    assert store.count(ALIAS) == 50
    assert store.metadata(ALIAS) == {"fingerprint": "v2"}
    store.update_metadata(ALIAS, {"promoted_at": "now"})
    assert store.metadata(COLL2) == {"fingerprint": "v2", "promoted_at": "now"}
    store.point_alias(ALIAS, COLL)  # a rollback moves it back
    assert store.count(ALIAS) == N

    store.drop(ALIAS)  # an alias is not a collection: left alone
    assert store.exists(COLL) and store.resolve(ALIAS) == COLL
    store.drop(COLL2)
    assert not store.exists(COLL2)
    assert store.physical_collections(ALIAS) == [COLL]
    store.drop(COLL)  # dropping the live collection takes its alias with it
    assert store.resolve(ALIAS) is None and not store.exists(ALIAS)
    assert store.physical_collections(ALIAS) == []
    store.drop("t-never-existed")
    with pytest.raises(ValueError):
        store.point_alias(ALIAS, "t-missing")


# --- points ---------------------------------------------------------------------------------------

def test_upsert_read_index_set_payload_delete(filled):
    store = filled
    assert store.count(COLL) == N
    assert store.read_index(COLL) == {
        p.id: {k: p.payload[k] for k in ("source_id", "content_hash", "payload_hash")} for p in POINTS}
    assert store.read_index(COLL, ("source_id",)) == {p.id: {"source_id": p.payload["source_id"]} for p in POINTS}

    # set_payload replaces the whole payload
    store.set_payload(COLL, POINTS[3].id, {"source_id": "src-new", "content_hash": "hx"})
    assert store.retrieve(COLL, [POINTS[3].id])[0].payload == {"source_id": "src-new", "content_hash": "hx"}
    assert store.read_index(COLL)[POINTS[3].id] == {"source_id": "src-new", "content_hash": "hx"}

    # upsert of an existing id replaces it, vector included
    changed = Point(POINTS[4].id, POINTS[9].vector, POINTS[9].sparse,
                    {**POINTS[4].payload, "content_hash": "h-changed"})
    store.upsert(COLL, [changed])
    store.upsert(COLL, [])
    assert store.count(COLL) == N
    assert store.read_index(COLL, ("content_hash",))[POINTS[4].id] == {"content_hash": "h-changed"}
    top = store.query(COLL, POINTS[9].vector, None, 2, mode="dense")
    assert {h.id for h in top} == {POINTS[4].id, POINTS[9].id}

    gone = [p.id for p in POINTS[:30]] + [str(uuid.uuid4())]  # an unknown id is no error
    store.delete(COLL, gone)
    store.delete(COLL, [])
    assert store.count(COLL) == N - 30
    assert store.retrieve(COLL, gone) == []
    assert set(store.read_index(COLL)) == {p.id for p in POINTS[30:]}
    assert not {h.id for h in store.query(COLL, QUERY_VECTORS[0], None, 50, mode="dense")} & set(gone)


def test_retrieve_keeps_the_order_asked_and_returns_vectors_on_request(filled):
    store = filled
    ids = [POINTS[5].id, POINTS[0].id, str(uuid.uuid4()), POINTS[17].id]
    hits = store.retrieve(COLL, ids)
    assert all(isinstance(h, Hit) for h in hits)
    assert [h.id for h in hits] == [POINTS[5].id, POINTS[0].id, POINTS[17].id]
    assert all(h.vector is None and h.score is None for h in hits)
    assert hits[0].payload == POINTS[5].payload
    [full] = store.retrieve(COLL, [POINTS[3].id], with_vectors=True)
    assert np.allclose(full.vector, POINTS[3].vector, atol=1e-6)
    assert list(full.sparse[0]) == list(POINTS[3].sparse[0])
    assert np.allclose(full.sparse[1], POINTS[3].sparse[1])
    assert store.retrieve(COLL, []) == []


def test_count_and_dense_vectors(filled):
    store = filled
    seen = {}
    for ids, matrix in store.dense_vectors(COLL, page=64):
        assert matrix.shape == (len(ids), DIM)
        seen.update(zip(ids, matrix))
    assert set(seen) == set(BY_ID)
    assert all(np.allclose(seen[pid], BY_ID[pid].vector, atol=1e-6) for pid in seen)
    only = [pid for ids, _ in store.dense_vectors(COLL, flt=FILTERS["keyword"]) for pid in ids]
    assert sorted(only) == sorted(p.id for p in POINTS if matches(p, FILTERS["keyword"]))


# --- filters ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in FILTERS if n != "none"])
def test_every_filter_kind_selects_what_it_says(filled, name):
    flt = FILTERS[name]
    expected = {p.id for p in POINTS if matches(p, flt)}
    assert expected and len(expected) < N, "the fixture must make this filter select something, not everything"
    assert set(filled.read_index(COLL, ("source_id",), flt=flt)) == expected
    hits = filled.query(COLL, QUERY_VECTORS[0], None, N, flt, mode="dense")
    assert {h.id for h in hits} == expected
    assert {h.id for h in filled.query(COLL, None, sparse_vector("painel inversor bateria garantia"), N, flt,
                                       mode="sparse")} <= expected


def test_tenant_filtering_keeps_to_one_owner(filled):
    owner = Filter(must=[Match("owner_id", "owner-3")])
    hits = filled.query(COLL, QUERY_VECTORS[1], sparse_vector(QUERY_TEXTS[0]), 50, owner)
    assert hits and {h.payload["owner_id"] for h in hits} == {"owner-3"}
    assert len(filled.read_index(COLL, flt=owner)) == sum(1 for p in POINTS if p.payload["owner_id"] == "owner-3")


def test_filters_built_from_user_input_select_the_same_points(filled):
    """lib/filters.build_filter (what the CLI and the API send) answers the same on both."""
    declared = {"kind": "keyword", "price": "float", "updated_at": "datetime", "active": "bool", "stock": "integer"}
    cases = [
        ({"kind": ["module", "battery"], "price": {"gte": 1000}},
         lambda p: p.payload["kind"] in ("module", "battery") and p.payload.get("price", -1) >= 1000),
        ({"updated_at": {"gte": "2024-03-01", "lt": "2024-06-01T00:00:00Z"}},
         lambda p: "2024-03-01" <= p.payload["updated_at"] < "2024-06-01"),
        ({"active": False, "stock": [2, 5]}, lambda p: not p.payload["active"] and p.payload["stock"] in (2, 5)),
        ({"price": POINTS[0].payload["price"]}, lambda p: p.payload.get("price") == POINTS[0].payload["price"]),
    ]
    for filters, oracle in cases:
        flt = build_filter("products", declared, filters)
        assert set(filled.read_index(COLL, flt=flt)) == {p.id for p in POINTS if oracle(p)}, filters
    with pytest.raises(QueryError):
        build_filter("products", declared, {"price": {"gte": 10, "lte": 1}})


def test_shard_filter_selects_the_shards_points_and_those_without_a_bucket(store):
    store.ensure_collection("t-sharded", 4, {})
    shard = Shard(1, 3)
    points = []
    for i in range(60):
        payload = {"source_id": f"s{i}"}
        if i % 5:  # every 5th written before buckets were stored
            payload["source_bucket"] = source_bucket(f"s{i}")
        points.append(Point(str(uuid.UUID(int=i + 1)), [1.0, 0, 0, float(i)], ([i], [1.0]), payload))
    store.upsert("t-sharded", points)
    got = store.read_index("t-sharded", ("source_id",), flt=shard.point_filter())
    low, high = shard.buckets
    assert {v["source_id"] for v in got.values()} == {
        p.payload["source_id"] for p in points
        if "source_bucket" not in p.payload or low <= p.payload["source_bucket"] < high}


def test_filters_refuse_what_they_cannot_mean():
    with pytest.raises(ValueError, match="at least one"):
        Range("price")
    with pytest.raises(ValueError, match="mixes times and numbers"):
        Range("updated_at", gte=datetime(2024, 1, 1, tzinfo=timezone.utc), lt=5)
    with pytest.raises(TypeError, match="Filter.must takes"):
        Filter(must=[{"key": "kind"}])


def test_a_qdrant_client_filter_is_refused(store):
    from qdrant_client import models

    create(store)
    with pytest.raises(TypeError, match="vectorstore Filter"):
        store.read_index(COLL, flt=models.Filter(must=[]))


# --- queries ----------------------------------------------------------------------------------------

def test_query_shapes_and_modes(filled):
    store = filled
    hits = store.query(COLL, QUERY_VECTORS[0], sparse_vector(QUERY_TEXTS[0]), 5, with_vectors=True)
    assert len(hits) == 5
    for hit in hits:
        assert isinstance(hit, Hit) and isinstance(hit.id, str) and hit.id in BY_ID
        assert hit.payload == BY_ID[hit.id].payload
        assert np.allclose(hit.vector, BY_ID[hit.id].vector, atol=1e-6)
    assert all(h.vector is None for h in store.query(COLL, QUERY_VECTORS[0], None, 3, mode="dense"))
    assert store.query(COLL, QUERY_VECTORS[0], ([], []), 3, mode="sparse") == []
    # hybrid without sparse terms is a dense query
    assert [h.id for h in store.query(COLL, QUERY_VECTORS[0], ([], []), 4)] == [
        h.id for h in store.query(COLL, QUERY_VECTORS[0], None, 4, mode="dense")]
    with pytest.raises(ValueError, match="unknown search mode"):
        store.query(COLL, QUERY_VECTORS[0], None, 3, mode="fuzzy")


@pytest.mark.parametrize("limit", [1, 7, 50])
def test_dense_order_and_limit(filled, limit):
    for qv in QUERY_VECTORS:
        hits = filled.query(COLL, qv, None, limit, mode="dense")
        expected = _dense_oracle(qv, None, limit)
        assert [h.id for h in hits] == [p.id for p in expected]
        assert [h.score for h in hits] == pytest.approx([float(np.dot(p.vector, qv)) for p in expected], abs=1e-5)


def test_damaged_scores_are_refused(store):
    """A dense score no cosine similarity gives (what damaged vector files answer) raises
    VectorsDamaged naming the collection's rebuild, on either backend."""
    from helio_pipeline.vectorstore.integrity import check_dense_scores

    create(store)
    with pytest.raises(VectorsDamaged, match="helio rebuild --force products"):
        check_dense_scores(store, COLL, [0.5, 1e37])


@pytest.mark.parametrize("flt", list(FILTERS))
@pytest.mark.parametrize("qi", range(len(QUERY_VECTORS)))
def test_dense_rankings_agree(pair, flt, qi):
    results = {k: s.query(ALIAS, QUERY_VECTORS[qi], None, 10, FILTERS[flt], mode="dense") for k, s in pair.items()}
    _assert_strict_ranking(results["qdrant-local"], results["edge"])
    assert [h.id for h in results["edge"]] == [p.id for p in _dense_oracle(QUERY_VECTORS[qi], FILTERS[flt], 10)]


@pytest.mark.parametrize("flt", list(FILTERS))
@pytest.mark.parametrize("text", QUERY_TEXTS)
def test_sparse_rankings_agree(pair, flt, text):
    sparse = sparse_vector(text)
    results = {k: s.query(ALIAS, None, sparse, 10, FILTERS[flt], mode="sparse") for k, s in pair.items()}
    matching = [p for p in POINTS if matches(p, FILTERS[flt]) and set(p.sparse[0]) & set(sparse[0])]
    assert len(results["edge"]) == min(10, len(matching))
    assert all(h.id in {p.id for p in matching} for h in results["edge"])
    full = pair["qdrant-local"].query(ALIAS, None, sparse, N, FILTERS[flt], mode="sparse")
    _assert_same_ranking(results["qdrant-local"], results["edge"], full)
    if text == QUERY_TEXTS[0]:  # every point has its own count triple: no ties, one order
        _assert_strict_ranking(results["qdrant-local"], results["edge"])


def _oracle_rrf(store, dense, sparse, limit, flt):
    """RRF of the store's own two prefetch lists, as Qdrant defines it: 1 / (position + RRF_K)."""
    depth = prefetch_depth(limit)
    scores: dict[str, float] = {}
    for hits in (store.query(ALIAS, dense, None, depth, flt, mode="dense"),
                 store.query(ALIAS, None, sparse, depth, flt, mode="sparse")):
        for position, hit in enumerate(hits):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (position + RRF_K)
    return scores


@pytest.mark.parametrize("flt", list(FILTERS))
@pytest.mark.parametrize("qi", range(len(QUERY_VECTORS)))
@pytest.mark.parametrize("limit", [1, 3, 10])
def test_hybrid_topk_agree(pair, flt, qi, limit):
    """With tie-free prefetch lists, hybrid answers are identical: the same ids in the same order
    with the same RRF scores, ties among fused scores included (both fuse in first-seen order)."""
    dense, sparse = QUERY_VECTORS[qi], sparse_vector(QUERY_TEXTS[0])
    results = {k: s.query(ALIAS, dense, sparse, limit, FILTERS[flt]) for k, s in pair.items()}
    assert [(h.id, h.score) for h in results["qdrant-local"]] == [(h.id, h.score) for h in results["edge"]]
    oracle = _oracle_rrf(pair["edge"], dense, sparse, limit, FILTERS[flt])
    assert len(results["edge"]) == min(limit, len(oracle))
    assert [h.score for h in results["edge"]] == pytest.approx(sorted(oracle.values(), reverse=True)[:limit])
    for hit in results["edge"]:
        assert hit.score == pytest.approx(oracle[hit.id]) and matches(BY_ID[hit.id], FILTERS[flt])


def test_hybrid_answers_are_reproducible(pair):
    """Equal fused scores are common under RRF; the same query must still answer the same way."""
    for store in pair.values():
        for text in QUERY_TEXTS:
            answers = {tuple(h.id for h in store.query(ALIAS, QUERY_VECTORS[0], sparse_vector(text), 5,
                                                       with_vectors=bool(i % 2)))
                       for i in range(10)}
            assert len(answers) == 1, text


@pytest.mark.parametrize("text", QUERY_TEXTS[1:])
def test_hybrid_with_sparse_ties_fuses_each_backends_own_lists(pair, text):
    """Texts whose sparse lists hold ties: the engines order those ties differently, so the fused
    top-10 may legitimately differ. What must hold: the sparse lists agree score group by score
    group, and each backend's hybrid answer is exactly RRF over its own dense and sparse lists."""
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
