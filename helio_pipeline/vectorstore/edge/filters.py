"""Project filters (``vectorstore.types.Filter``) as ``qdrant_edge`` filters, and point ids in
the engine's form."""

from __future__ import annotations

import uuid

import numpy as np
import qdrant_edge as qe

from helio_pipeline.vectorstore.types import Filter, HasId, IsEmpty, Match, MatchAny, Range, utc_time


def point_id(value):
    """The engine's form of a point id: an int, or a UUID's canonical (lower, hyphenated) text."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError(f"point id {value!r} is neither an unsigned integer nor a UUID") from None


def out_id(value):
    """A point id as a Hit carries it: an int stays an int, anything else is text."""
    return value if isinstance(value, int) else str(value)


def _edge_value(value):
    """qdrant-edge-py reads a Python bool as the integer 1 or 0 (bool is an int), which never
    matches a bool payload: numpy's bool_ reaches it as a bool."""
    return np.bool_(value) if isinstance(value, bool) else value


def _bound(value, on_time: bool):
    if value is None:
        return None
    return utc_time(value).isoformat() if on_time else float(value)


def _condition(c):
    if isinstance(c, Filter):
        return to_edge_filter(c)
    if isinstance(c, Match):
        return qe.FieldCondition(c.key, match=qe.MatchValue(_edge_value(c.value)))
    if isinstance(c, MatchAny):
        return qe.FieldCondition(c.key, match=qe.MatchAny([_edge_value(v) for v in c.values]))
    if isinstance(c, Range):
        kind = qe.RangeDateTime if c.on_time else qe.RangeFloat
        return qe.FieldCondition(c.key, range=kind(gte=_bound(c.gte, c.on_time), gt=_bound(c.gt, c.on_time),
                                                   lte=_bound(c.lte, c.on_time), lt=_bound(c.lt, c.on_time)))
    if isinstance(c, IsEmpty):
        return qe.IsEmptyCondition(c.key)
    if isinstance(c, HasId):
        return qe.HasIdCondition({point_id(i) for i in c.ids})
    raise TypeError(f"not a filter condition: {type(c).__name__}")


def to_edge_filter(flt: Filter | None):
    """``flt`` as a ``qdrant_edge.Filter`` (None stays None)."""
    if flt is None:
        return None
    if not isinstance(flt, Filter):
        raise TypeError(f"expected a vectorstore Filter, got {type(flt).__name__}")
    return qe.Filter(must=[_condition(c) for c in flt.must] or None,
                     should=[_condition(c) for c in flt.should] or None,
                     must_not=[_condition(c) for c in flt.must_not] or None)
