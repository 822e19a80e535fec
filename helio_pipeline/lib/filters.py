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

Nothing nests deeper than that: a list of lists, an object inside a range, NaN or Infinity,
an integer beyond 64 bits or a float beyond the double range is a QueryError, before the
engine sees it. ``parse_filter_args`` reads the ``field=value`` form of the CLI and the API.
"""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import datetime, timezone

from helio_pipeline.lib.errors import HelioError
from helio_pipeline.vectorstore.types import Filter, Match, MatchAny, Range

RANGE_KEYS = ("gt", "gte", "lt", "lte")
INT64 = (-(2**63), 2**63 - 1)


class QueryError(HelioError, ValueError):
    """The request itself is wrong (empty query, unknown domain or filter field...)."""


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value) -> str:
    """A value for an error message: short, and never the repr of a deep structure."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).replace("nan", "NaN").replace("inf", "Infinity")
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int beyond the double range
        return False


def _valid_number(kind: str, value) -> bool:
    if not _is_number(value) or not _finite(value):
        return False
    if kind == "integer":
        return INT64[0] <= value <= INT64[1]
    return True


def _bad_text(value: str) -> str | None:
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc":
            return f"a control character ({ascii(char)})"
        if category == "Cs":
            return f"a lone surrogate ({ascii(char)})"
    return None


def _parse_time(field: str, value):
    if not isinstance(value, str):
        raise QueryError(f"{field!r}: a time bound must be an ISO-8601 string, got {_show(value)}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{field!r}: {_show(value)} is not an ISO-8601 time") from None
    # a time without an offset is UTC, as the engine reads it; and then bounds compare
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _number_rule(kind: str) -> str:
    if kind == "integer":
        return f"numbers within the 64-bit integer range ({INT64[0]}..{INT64[1]})"
    return "finite numbers (no NaN or Infinity)"


def _range(field: str, kind: str, value: dict) -> Range:
    unknown = set(value) - set(RANGE_KEYS)
    if not value or unknown:
        shown = sorted(str(k) for k in value) if value else "nothing"
        raise QueryError(f"{field!r}: a range takes gt/gte/lt/lte, got {shown}")
    if kind == "datetime":
        bounds = {k: _parse_time(field, v) for k, v in value.items()}
        condition = Range(field, **bounds)
    elif kind in ("integer", "float"):
        bad = [(k, v) for k, v in value.items() if not _valid_number(kind, v)]
        if bad:
            bound, number = bad[0]
            raise QueryError(f"{field!r}: range bounds must be {_number_rule(kind)}, got {bound}={_show(number)}")
        bounds = {k: float(v) if kind == "float" else v for k, v in value.items()}
        condition = Range(field, **bounds)
    else:
        raise QueryError(f"{field!r} is a {kind} field: ranges apply to numbers and times only")
    low = bounds.get("gte", bounds.get("gt"))
    high = bounds.get("lte", bounds.get("lt"))
    if low is not None and high is not None and low > high:
        raise QueryError(f"{field!r}: empty range, lower bound {value.get('gte', value.get('gt'))} is above "
                         f"upper bound {value.get('lte', value.get('lt'))}")
    return condition


def _condition(field: str, kind: str, value) -> Match | MatchAny | Range | Filter:
    if isinstance(value, dict):
        return _range(field, kind, value)
    values = value if isinstance(value, list) else [value]
    if not values:
        raise QueryError(f"{field!r}: an empty list matches nothing")
    nested = [v for v in values if isinstance(v, (list, dict))]
    if nested and isinstance(value, list):
        raise QueryError(f"{field!r}: a list holds plain values, got {_show(nested[0])} inside it")
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
        raise QueryError(f"{field!r} takes {kind} values, got {_show(wrong[0])}")
    if kind in ("integer", "float"):
        out_of_range = [v for v in values if not _valid_number(kind, v)]
        if out_of_range:
            raise QueryError(f"{field!r} takes {_number_rule(kind)}, got {_show(out_of_range[0])}")
    if kind == "keyword":
        for v in values:
            problem = _bad_text(v)
            if problem:
                raise QueryError(f"{field!r}: a value contains {problem}")
    if kind == "float":  # the engine matches exact values of keywords, integers and bools only
        equal = [Range(field, gte=float(v), lte=float(v)) for v in values]
        return equal[0] if len(equal) == 1 else Filter(should=equal)
    if len(values) == 1:
        return Match(field, values[0])
    return MatchAny(field, values)


def build_filter(domain_name: str, declared: dict[str, str], filters: dict | None) -> Filter | None:
    """A store filter (``vectorstore.Filter``) from validated conditions; raises QueryError
    naming what is wrong."""
    if not filters:
        return None
    if not isinstance(filters, dict):
        raise QueryError("filters must be an object of field -> condition")
    must = []
    for field, value in filters.items():
        kind = declared.get(field)
        if kind is None:
            raise QueryError(f"{domain_name} cannot be filtered by {_show(field)}; "
                             f"filterable fields: {sorted(declared)}")
        must.append(_condition(field, kind, value))
    return Filter(must=must)


def parse_filter_args(items: list[str] | None) -> dict:
    """``field=value`` arguments (the CLI's ``--filter``, the API's ``filter``) as a filter
    object. A value is read as JSON when it is JSON (``50000``, ``{"gte": 300}``,
    ``["a", "b"]``), else taken as a plain string. Naming a field twice is an error."""
    filters: dict = {}
    for item in items or []:
        field, sep, raw = item.partition("=")
        if not sep or not field:
            raise QueryError(f"filter {_show(item)}: use field=value")
        if field in filters:
            raise QueryError(f"filter {_show(field)} is given twice; use a list or a range to combine values")
        try:
            filters[field] = json.loads(raw)
        except json.JSONDecodeError:
            filters[field] = raw
        except RecursionError:
            raise QueryError(f"filter {_show(field)}: the value is nested too deeply") from None
        except ValueError:  # an integer literal with thousands of digits
            raise QueryError(f"filter {_show(field)}: the number is too large") from None
    return filters
