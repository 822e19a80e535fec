"""Validated search filters. Each domain declares its filterable payload fields and their
types in the registry; a filter is checked against that declaration before anything
reaches the engine, so an unknown field, a wrong type or a malformed range is a clear
error instead of an empty result.

Filter syntax (``{field: condition}``, all conditions must hold):
- ``"value"`` or ``["a", "b"]`` on a keyword field (any of the values);
- a number on an integer/float field, or a range ``{"gte": 300, "lt": 600}``;
- ``true``/``false`` on a bool field;
- a range of ISO-8601 times on a datetime field ``{"gte": "2026-10-01T00:00:00Z"}``.
Array payloads (a price document's distributors) match when any element matches.
"""

from __future__ import annotations

from datetime import datetime

from qdrant_client import models

from helio_pipeline.lib.errors import HelioError

RANGE_KEYS = ("gt", "gte", "lt", "lte")


class QueryError(HelioError, ValueError):
    """The request itself is wrong (empty query, unknown domain or filter field...)."""


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_time(field: str, value):
    if not isinstance(value, str):
        raise QueryError(f"{field!r}: a time bound must be an ISO-8601 string, got {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{field!r}: {value!r} is not an ISO-8601 time") from None


def _range(field: str, kind: str, value: dict) -> models.FieldCondition:
    unknown = set(value) - set(RANGE_KEYS)
    if not value or unknown:
        raise QueryError(f"{field!r}: a range takes gt/gte/lt/lte, got {sorted(value) or 'nothing'}")
    if kind == "datetime":
        bounds = {k: _parse_time(field, v) for k, v in value.items()}
        condition = models.FieldCondition(key=field, range=models.DatetimeRange(**bounds))
    elif kind in ("integer", "float"):
        bad = {k: v for k, v in value.items() if not _is_number(v)}
        if bad:
            raise QueryError(f"{field!r}: range bounds must be numbers, got {bad}")
        bounds = dict(value)
        condition = models.FieldCondition(key=field, range=models.Range(**bounds))
    else:
        raise QueryError(f"{field!r} is a {kind} field: ranges apply to numbers and times only")
    low = bounds.get("gte", bounds.get("gt"))
    high = bounds.get("lte", bounds.get("lt"))
    if low is not None and high is not None and low > high:
        raise QueryError(f"{field!r}: empty range, lower bound {value.get('gte', value.get('gt'))} is above "
                         f"upper bound {value.get('lte', value.get('lt'))}")
    return condition


def _condition(field: str, kind: str, value) -> models.FieldCondition:
    if isinstance(value, dict):
        return _range(field, kind, value)
    values = value if isinstance(value, list) else [value]
    if not values:
        raise QueryError(f"{field!r}: an empty list matches nothing")
    checks = {
        "keyword": lambda v: isinstance(v, str) and v != "",
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": _is_number,
        "bool": lambda v: isinstance(v, bool),
    }
    if kind == "datetime":
        raise QueryError(f"{field!r} is a time: filter it with a range such as {{\"gte\": \"2026-10-01\"}}")
    if kind == "bool" and isinstance(value, list):
        raise QueryError(f"{field!r} takes true or false")
    wrong = [v for v in values if not checks[kind](v)]
    if wrong:
        raise QueryError(f"{field!r} takes {kind} values, got {wrong[0]!r}")
    if len(values) == 1:
        return models.FieldCondition(key=field, match=models.MatchValue(value=values[0]))
    return models.FieldCondition(key=field, match=models.MatchAny(any=values))


def build_filter(domain_name: str, declared: dict[str, str], filters: dict | None) -> models.Filter | None:
    """A Qdrant filter from validated conditions; raises QueryError naming what is wrong."""
    if not filters:
        return None
    if not isinstance(filters, dict):
        raise QueryError("filters must be an object of field -> condition")
    must = []
    for field, value in filters.items():
        kind = declared.get(field)
        if kind is None:
            raise QueryError(f"{domain_name} cannot be filtered by {field!r}; filterable fields: {sorted(declared)}")
        must.append(_condition(field, kind, value))
    return models.Filter(must=must)
