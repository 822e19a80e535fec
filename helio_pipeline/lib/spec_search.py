"""Search by what was asked: an ``Understanding`` of the question (lib/understanding.py) becomes
Qdrant conditions and a ranking, for one domain's declared payload fields.

- Hard constraints (a category, a technology, a maker, a voltage set, a bound such as
  "até R$ 5.000") are filters inside the engine, ANDed with the caller's own filters.
- A soft numeric target ("400 W": 400 ± 5 %) is a window filter in the engine; the
  candidates in the window are ranked by closeness to the target first (in steps of half the
  tolerance), the hybrid rank deciding within a step. When fewer than ``top_k`` candidates
  fall in the window it widens step by step (×2, ×4, ×8); if it still holds too few, the
  rest are the closest items that satisfy the hard constraints, and the response says so.
- A field the caller filters on explicitly is never constrained by the question: the
  caller's filter wins. A constraint on a field the domain does not declare is dropped with
  a note (the products domain has no price; the prices domain has).

Builds store filters (``vectorstore.Filter``) and orders hits; the KnowledgeBase hands ``search_by_spec`` a
function that runs one query on one collection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from helio_pipeline.lib.understanding import Constraint, MakerIndex, Understanding
from helio_pipeline.vectorstore.types import Filter, Match, MatchAny, Range

WIDEN_STEPS = (1, 2, 4, 8)
NUMERIC = ("float", "integer")


@dataclass
class SpecPlan:
    """What one domain's search applies of an understood question."""

    conditions: list = field(default_factory=list)  # hard: store conditions to AND
    targets: list[Constraint] = field(default_factory=list)  # soft numeric targets
    text: str = ""  # what to embed and match (the question without its number specs)
    interpreted: dict = field(default_factory=dict)  # the constraints applied, as JSON
    notes: list[str] = field(default_factory=list)
    order: str | None = None  # a numeric field to sort the matches by, lowest first ("mais barato")

    def window(self, widen: float) -> list[Range]:
        """Range conditions around each target, ``widen`` times its tolerance."""
        out = []
        for t in self.targets:
            span = abs(t.value) * (t.tolerance or 0.05) * widen
            out.append(Range(t.field, gte=t.value - span, lte=t.value + span))
        return out

    def closeness(self, payload: dict) -> float:
        """Distance of a hit from the targets, in tolerances (0 = on target; inf = no value)."""
        total = 0.0
        for t in self.targets:
            value = payload.get(t.field)
            values = value if isinstance(value, list) else [value]
            numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
                       and math.isfinite(v)]
            if not numbers or not t.value:
                return math.inf
            total += min(abs(v - t.value) for v in numbers) / (abs(t.value) * (t.tolerance or 0.05))
        return total

    def rank(self, hits: list) -> list:
        """Lowest ``order`` field first when the question asks for the cheapest; else exactly on
        target first ("400 W": 400 W before 405 W), then closest to the targets in steps of half a
        tolerance; the given (hybrid) order decides within a step."""
        if self.order:
            return sorted(hits, key=lambda h: _lowest(h.payload.get(self.order)))
        if not self.targets:
            return hits

        def step(hit) -> float:
            distance = self.closeness(hit.payload)
            return 0 if distance == 0 else 1 + min(math.floor(distance * 2), 10**6)

        return sorted(hits, key=step)


def plan(understanding: Understanding, declared: dict[str, str], explicit: dict | None) -> SpecPlan:
    """The conditions and targets a domain with ``declared`` payload fields takes from the
    question; fields in the caller's ``explicit`` filters are left to those."""
    explicit = explicit or {}
    out = SpecPlan(text=understanding.text, notes=list(understanding.notes))
    for c in understanding.constraints:
        if c.field in explicit:
            out.notes.append(f"{c.field}: your filter is used instead of the question's {c.as_json()}")
            continue
        if c.field == "order":  # "mais barato": sort by a numeric field, lowest first
            if declared.get(c.value) in NUMERIC:
                out.order = c.value
                out.interpreted["order"] = f"{c.value} ascending"
            else:
                out.notes.append(f"'{c.value}' is not a field of this domain: cannot order by it")
            continue
        kind = declared.get(c.field)
        if kind is None:
            out.notes.append(f"{c.field} {c.as_json()} is not a field of this domain: ignored")
            continue
        if c.kind == "target":
            if kind in NUMERIC and c.value:
                out.targets.append(c)
                out.interpreted[c.field] = c.as_json()
            continue
        if not c.hard:  # a preference the engine cannot rank on: shown, not applied
            out.interpreted[c.field] = {**_as_dict(c.as_json()), "applied": False}
            continue
        condition = _condition(c, kind)
        if condition is None:
            out.notes.append(f"{c.field} {c.as_json()} does not fit a {kind} field: ignored")
            continue
        out.conditions.append(condition)
        previous = out.interpreted.get(c.field)
        out.interpreted[c.field] = {**_as_dict(previous), **_as_dict(c.as_json())} if previous is not None \
            else c.as_json()
    if understanding.available_only and "stock" in out.interpreted:
        out.interpreted["available_only"] = True
    return out


def _lowest(value) -> float:
    values = value if isinstance(value, list) else [value]
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return min(numbers) if numbers else math.inf


def _as_dict(body) -> dict:
    return body if isinstance(body, dict) else {"equals": body}


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _condition(c: Constraint, kind: str):
    if c.kind == "range":
        if kind not in NUMERIC or not c.bounds:
            return None
        return Range(c.field, **{op: float(v) for op, v in c.bounds})
    values = list(c.values) if c.kind == "any" else [c.value]
    if kind == "bool":
        return Match(c.field, bool(values[0])) if len(values) == 1 and isinstance(values[0], bool) else None
    if kind == "keyword":
        texts = [str(v) for v in values]
        return Match(c.field, texts[0]) if len(texts) == 1 else MatchAny(c.field, texts)
    if kind in NUMERIC:
        numbers = [n for n in map(_number, values) if n is not None]
        if not numbers:
            return None
        # a set of numbers as narrow ranges: works on float and integer indexes alike
        ranges = [Range(c.field, gte=n - 0.5, lte=n + 0.5) for n in numbers]
        return ranges[0] if len(ranges) == 1 else Filter(should=ranges)
    return None


def combine(base: Filter | None, conditions: list) -> Filter | None:
    """``base`` (the caller's validated filter) AND ``conditions``."""
    if not conditions:
        return base
    return Filter(must=[*([base] if base is not None else []), *conditions])


def search_by_spec(search: Callable[[Filter | None, int], list], top_k: int, base: Filter | None,
                   spec: SpecPlan, notes: list[str], deep: int = 100) -> list:
    """Hits that satisfy what the question asked first: hard constraints filter in the engine;
    a target's window widens until it holds ``top_k``; "the cheapest" sorts the ``deep`` best
    matches by price. A short list is completed with the closest others, marked
    ``matches_question: False`` and said in ``notes``. ``search(filter, limit)`` runs one query."""
    hard = combine(base, spec.conditions)
    # candidates ranked by closeness (the hybrid rank within a step), or by price for "the
    # cheapest", where the more candidates the surer the cheapest is among them
    depth = deep if spec.order else max(top_k * 4, 20)
    if spec.targets:
        for widen in WIDEN_STEPS:
            hits = spec.rank(search(combine(hard, spec.window(widen)), depth))[:top_k]
            if len(hits) >= top_k:
                break
        if widen > 1 and hits:
            fields = ", ".join(t.field for t in spec.targets)
            notes.append(f"fewer than {top_k} within the tolerance of {fields}; widened to x{widen}")
    else:
        hits = spec.rank(search(hard, depth if spec.order else top_k))[:top_k]
    # never an unexplained short list: the closest of the rest follow, first those that keep
    # the hard constraints (when a target was missed), then anything the caller's filters allow
    matched = len(hits)
    for fallback in ([hard] if spec.targets else []) + [base]:
        if len(hits) >= top_k:
            break
        seen = {h.source_id for h in hits}
        extra = [h for h in spec.rank(search(fallback, depth)) if h.source_id not in seen][:top_k - len(hits)]
        for hit in extra:
            hit.payload = {**hit.payload, "matches_question": False}
        hits += extra
    if len(hits) > matched:
        what = "the targets" if spec.targets else "every constraint read from the question"
        notes.append(f"only {matched} match {what}; the next {len(hits) - matched} are the closest others")
    return hits


class MakerCache:
    """The makers named in each indexed collection (a ``MakerIndex`` of a payload field's
    values), rebuilt when the collection changes: another physical collection behind the
    alias, or a sync that wrote to it (``synced_at``)."""

    def __init__(self):
        self._indexes: dict[str, tuple[tuple, MakerIndex]] = {}

    def get(self, store, alias: str, field_name: str) -> MakerIndex:
        physical = store.resolve(alias) or alias
        meta = store.metadata(physical)
        version = (physical, field_name, meta.get("synced_at") or meta.get("created_at"), store.count(physical))
        cached = self._indexes.get(alias)
        if cached is None or cached[0] != version:
            names = {p.get(field_name) for p in store.read_index(physical, (field_name,)).values()}
            index = MakerIndex(sorted(n for n in names if isinstance(n, str) and n.strip()), field=field_name)
            self._indexes[alias] = cached = (version, index)
        return cached[1]
