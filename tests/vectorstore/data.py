"""A deterministic collection both backends hold, and the test's own reading of filters (the
oracle the contract checks answers against)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import numpy as np

from helio_pipeline.lib.sparse import sparse_vector
from helio_pipeline.vectorstore import Filter, HasId, IsEmpty, Match, MatchAny, Point, Range
from helio_pipeline.vectorstore.qdrant import QdrantStore

DIM = 16
N = 200
ALIAS = "t-products"
COLL = f"{ALIAS}__v1"
COLL2 = f"{ALIAS}__v2"
INDEXES = {"kind": "keyword", "price": "float", "owner_id": "keyword", "updated_at": "datetime",
           "active": "bool", "stock": "integer"}
KINDS = ("module", "inverter", "battery", "cable")
FILLER = ("garantia frete entrega prazo tensao corrente potencia eficiencia monocristalino policristalino "
          "telhado estrutura conector fusivel disjuntor cabo string microinversor hibrido rede solar "
          "fotovoltaico instalacao manutencao suporte").split()
NAMESPACE = uuid.UUID("8d7f0c52-54b4-4cf6-9c55-3c1f3b7d2a10")


def _make_points() -> list[Point]:
    """200 points. Each carries a distinct count triple of the words painel/inversor/bateria
    (from ranges of different sizes, so the three words differ in document frequency, hence in
    IDF), so a sparse query naming all three ranks them without ties; filler words add variety.
    Every 10th point has no price (for IsEmpty)."""
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
            "active": i % 3 != 0,
            "stock": int(i % 11),
            "text": text,
        }
        if i % 10 == 9:
            del payload["price"]
        points.append(Point(str(uuid.uuid5(NAMESPACE, f"p{i}")), vectors[i], sparse_vector(text), payload))
    return points


POINTS = _make_points()
BY_ID = {p.id: p for p in POINTS}
_QRNG = np.random.default_rng(7)
QUERY_VECTORS = [(v / np.linalg.norm(v)).astype(np.float32) for v in _QRNG.standard_normal((3, DIM))]
QUERY_TEXTS = ["painel inversor bateria", "inversor bateria garantia", "painel solar"]

# every kind of condition the project's Filter has, alone and combined
FILTERS = {
    "none": None,
    "keyword": Filter(must=[Match("kind", "inverter")]),
    "any": Filter(must=[MatchAny("owner_id", ["owner-1", "owner-3"])]),
    "range": Filter(must=[Range("price", gte=500, lt=2500)]),
    "integer_range": Filter(must=[Range("stock", gt=3, lte=7)]),
    "integer_match": Filter(must=[Match("stock", 4)]),
    "combined": Filter(must=[MatchAny("kind", ["module", "battery"]), Range("price", gt=1000)]),
    "datetime": Filter(must=[Range("updated_at", gte=datetime(2024, 3, 1, tzinfo=timezone.utc),
                                   lt=datetime(2024, 9, 1))]),  # a naive bound is UTC
    "bool_true": Filter(must=[Match("active", True)]),
    "bool_false": Filter(must=[Match("active", False)]),
    "should_must_not": Filter(should=[Match("kind", "cable"), Match("owner_id", "owner-2")],
                              must_not=[Range("price", lt=300)]),
    "must_not_any": Filter(must_not=[MatchAny("kind", ["module", "cable"])]),
    "is_empty": Filter(must=[IsEmpty("price")]),
    "not_empty": Filter(must_not=[IsEmpty("price")], must=[Match("kind", "battery")]),
    "has_id": Filter(must=[HasId([POINTS[i].id for i in range(0, 60, 3)])]),
    "nested": Filter(must=[Filter(should=[Match("kind", "module"), Match("kind", "cable")])],
                     must_not=[MatchAny("owner_id", ["owner-0"])]),
}


def _time(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def matches(point: Point, flt) -> bool:
    """The test's own reading of a Filter."""
    if flt is None:
        return True
    payload = point.payload

    def cond(c) -> bool:
        if isinstance(c, Filter):
            return matches(point, c)
        if isinstance(c, HasId):
            return point.id in c.ids
        value = payload.get(c.key)
        if isinstance(c, IsEmpty):
            return value is None or value == []
        if isinstance(c, Match):
            return value == c.value and type(value) is type(c.value)
        if isinstance(c, MatchAny):
            return value in c.values
        if value is None:
            return False
        if c.on_time:
            value, bound = _time(value), _time
        else:
            bound = float
        return all(b is None or test(value, bound(b)) for b, test in (
            (c.gt, lambda v, b: v > b), (c.gte, lambda v, b: v >= b),
            (c.lt, lambda v, b: v < b), (c.lte, lambda v, b: v <= b)))

    return (all(cond(c) for c in flt.must)
            and (not flt.should or any(cond(c) for c in flt.should))
            and not any(cond(c) for c in flt.must_not))


def create(store, name=COLL, metadata=None) -> bool:
    return store.ensure_collection(name, DIM, INDEXES, tenant_field="owner_id", distance="Cosine",
                                   metadata=metadata or {"domain": "products", "fingerprint": "v1"})


def fill(store, name=COLL, points=POINTS):
    for start in range(0, len(points), 64):
        store.upsert(name, points[start : start + 64])


def open_backend(kind: str, path):
    if kind == "qdrant-local":
        return QdrantStore.open(url=":memory:")
    from helio_pipeline.vectorstore.edge import EdgeVectorStore

    return EdgeVectorStore(path / "edge")
