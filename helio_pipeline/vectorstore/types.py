"""The vector store's vocabulary, owned by this project: what goes in (``Point``), what comes
out (``Hit``), how points are selected (``Filter`` and its conditions) and what a collection
is (``CollectionSpec``). Neither backend's types leak past its module: the qdrant-client
backend and the Qdrant Edge backend each translate these at their edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Union

import numpy as np

DISTANCES = ("Cosine", "Euclid", "Dot", "Manhattan")
INDEX_KINDS = ("keyword", "integer", "float", "bool", "datetime")
# indexed on every collection: the sync reads points by source, a shard run by bucket
BASE_INDEXES = {"source_id": "keyword", "source_bucket": "integer"}

PointId = Union[str, int]
SparseVector = tuple  # (indices, values): two sequences of equal length


@dataclass(frozen=True, eq=False)
class Point:
    """One chunk to write: a dense vector, a sparse lexical vector and its payload."""

    id: PointId
    vector: Any  # a sequence of floats or a 1-d numpy array
    sparse: SparseVector
    payload: dict


@dataclass(frozen=True)
class Hit:
    """A point as a query or a retrieve returns it. ``score`` is the engine's (None from
    ``retrieve``); ``vector`` the dense vector and ``sparse`` the (indices, values) pair,
    when asked for."""

    id: PointId
    score: float | None
    payload: dict
    vector: list[float] | None = None
    sparse: SparseVector | None = None


# --- filters -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Match:
    """``key`` equals ``value`` (a keyword, an integer or a bool; for an array payload: any element)."""

    key: str
    value: str | int | bool


@dataclass(frozen=True)
class MatchAny:
    """``key`` equals one of ``values``."""

    key: str
    values: tuple

    def __post_init__(self):
        object.__setattr__(self, "values", tuple(self.values))


@dataclass(frozen=True)
class Range:
    """Bounds on a number or, when the bounds are datetimes (or dates), on a time."""

    key: str
    gte: Any = None
    gt: Any = None
    lte: Any = None
    lt: Any = None

    def __post_init__(self):
        bounds = [b for b in (self.gte, self.gt, self.lte, self.lt) if b is not None]
        if not bounds:
            raise ValueError(f"a range on {self.key!r} needs at least one of gte, gt, lte, lt")
        times = [isinstance(b, (datetime, date)) for b in bounds]
        if any(times) and not all(times):
            raise ValueError(f"a range on {self.key!r} mixes times and numbers")
        if not any(times) and not all(isinstance(b, (int, float, np.number)) and not isinstance(b, bool)
                                      for b in bounds):
            raise ValueError(f"a range on {self.key!r} takes numbers or datetimes")

    @property
    def on_time(self) -> bool:
        return any(isinstance(b, (datetime, date)) for b in (self.gte, self.gt, self.lte, self.lt))


@dataclass(frozen=True)
class IsEmpty:
    """``key`` is missing, null or an empty list."""

    key: str


@dataclass(frozen=True)
class HasId:
    """The point's id is one of ``ids``."""

    ids: tuple

    def __post_init__(self):
        object.__setattr__(self, "ids", tuple(self.ids))


Condition = Union[Match, MatchAny, Range, IsEmpty, HasId, "Filter"]
_CONDITIONS = (Match, MatchAny, Range, IsEmpty, HasId)


@dataclass(frozen=True)
class Filter:
    """Every ``must`` condition, at least one ``should`` condition (when there are any) and no
    ``must_not`` condition. A condition may itself be a Filter."""

    must: tuple = ()
    should: tuple = ()
    must_not: tuple = ()

    def __post_init__(self):
        for part in ("must", "should", "must_not"):
            conditions = tuple(getattr(self, part) or ())
            for c in conditions:
                if not isinstance(c, (*_CONDITIONS, Filter)):
                    raise TypeError(f"Filter.{part} takes Match, MatchAny, Range, IsEmpty, HasId or Filter, "
                                    f"got {type(c).__name__}")
            object.__setattr__(self, part, conditions)

    @classmethod
    def all_of(cls, *conditions) -> "Filter | None":
        """Every one of ``conditions`` (None ones skipped); None when nothing is left."""
        kept = tuple(c for c in conditions if c is not None)
        return cls(must=kept) if kept else None


@dataclass(frozen=True)
class CollectionSpec:
    """What a collection is made of: dense vectors of ``dimensions`` compared by ``distance``,
    a sparse vector, payload indexes ({field: kind}; ``BASE_INDEXES`` always), a tenant field
    (indexed for per-owner storage) and the metadata the pipeline records on it."""

    dimensions: int
    distance: str = "Cosine"
    payload_indexes: dict = field(default_factory=dict)
    tenant_field: str | None = None
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.dimensions, (int, np.integer)) or self.dimensions < 1:
            raise ValueError(f"dimensions must be a positive integer, got {self.dimensions!r}")
        if self.distance not in DISTANCES:
            raise ValueError(f"unknown distance {self.distance!r}: use one of {sorted(DISTANCES)}")
        indexes = {**BASE_INDEXES, **(self.payload_indexes or {})}
        unknown = {f: k for f, k in indexes.items() if k not in INDEX_KINDS}
        if unknown:
            raise ValueError(f"unknown payload index type(s) {unknown}: use one of {sorted(INDEX_KINDS)}")
        object.__setattr__(self, "dimensions", int(self.dimensions))
        object.__setattr__(self, "payload_indexes", indexes)
        object.__setattr__(self, "metadata", dict(self.metadata or {}))


def utc_time(value: datetime | date) -> datetime:
    """A range bound as an aware datetime: a naive time is UTC, a date its midnight UTC."""
    from datetime import timezone

    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


@dataclass
class CollectionLayout:
    """How each collection created on a Qdrant cluster is laid out: ``shard_number`` pieces,
    each held ``replication_factor`` times on different nodes. The ``*_by_domain`` maps
    override the defaults for one domain (a big conversations collection gets more shards
    than the rules). ``None`` leaves it to the server."""

    shard_number: int | None = None
    replication_factor: int | None = None
    shard_number_by_domain: dict[str, int] = field(default_factory=dict)
    replication_factor_by_domain: dict[str, int] = field(default_factory=dict)

    def for_domain(self, domain: str | None) -> tuple[int | None, int | None]:
        """(shard_number, replication_factor) for a collection of ``domain``."""
        return (self.shard_number_by_domain.get(domain, self.shard_number),
                self.replication_factor_by_domain.get(domain, self.replication_factor))
