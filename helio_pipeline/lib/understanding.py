"""Query understanding: a spec question becomes constraints over a domain's fields plus the text to embed.

Deterministic and explainable: no model, only a declared ``Vocabulary`` (words, units, bounds;
the Portuguese ones live in ``helio_pipeline.vocabulary``) and the catalog's ``MakerIndex``.
"painel policristalino de 270 W" reads as category=module (hard), technology=Multi-c-Si (hard),
power_w=270 ±5 % (soft); "inversor até R$ 5.000" as category=inverter, price <= 5000 (hard).

Numbers follow pt-BR: the comma is the decimal mark ("7,6 kW" = 7600 W); a dot or a space groups
thousands only before exactly three digits ("5.000 W", "5 000 W"), otherwise a dot is a decimal
mark ("1.5 kW"). Only a number with a unit (or an "R$", or a multiplier such as "mil" where the
vocabulary has a default unit) is a spec: model codes (CS6U-330P, SB5000US, SUN2000-5KTL), dates
(12/05/2025), years, CEPs and quantities ("10 painéis") are not.

The leftover ``text`` drops what was read as a number spec (with its bound words and the
preposition before it) and availability words, whose digits and units only blur sparse
matching ("50" of "50 kW" against "50 W"); it keeps category, technology and maker words and
everything not understood (model codes included), which help both dense and lexical matching.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from helio_pipeline.lib.makers import MakerIndex, Word, fold, is_shouting, words
from helio_pipeline.lib.query_vocabulary import (AVAILABLE, Compiled, FieldRule, Term, Unit, Vocabulary,
                                                 compile_vocabulary)
from helio_pipeline.lib.spec_numbers import Spec, plain, quote, read_specs

_MAX_NOTES = 12

__all__ = ["Constraint", "FieldRule", "MakerIndex", "Term", "Understanding", "Unit", "Vocabulary", "understand"]


@dataclass(frozen=True)
class Constraint:
    """One reading of the question over one field. Hard ones are filters; soft ones (targets,
    and words a vocabulary marks soft) should only move scores, e.g. a gauss decay around
    ``value`` whose scale is ``value * tolerance``."""

    field: str
    kind: str  # "equals" | "any" | "range" | "target"
    value: object = None  # equals: the value; target: the number
    values: tuple = ()  # any
    bounds: tuple[tuple[str, float], ...] = ()  # range: (("gte", 5000), ("lte", 8000)); gt/gte/lt/lte
    tolerance: float | None = None  # target, relative
    hard: bool = True  # a filter; soft: a score (e.g. a gauss decay around a target)
    span: tuple[int, int] = (0, 0)  # where in Understanding.question it was read
    origin: str = "word"  # "word" | "number" | "maker" | "availability"

    def as_json(self):
        if self.kind == "equals":
            body = self.value if self.hard else {"equals": self.value}
        elif self.kind == "any":
            body = {"any": list(self.values)}
        elif self.kind == "range":
            body = dict(self.bounds)
        else:
            body = {"target": self.value, "tolerance": self.tolerance}
        if isinstance(body, dict) and self.hard != (self.kind != "target"):
            body["hard"] = self.hard
        return body


@dataclass
class Understanding:
    """What ``understand`` read: constraints (at most one choice, one range and one target per
    field), the leftover text to embed and match, and notes on what was ignored and why."""

    question: str  # as read: NFC-normalized, cut at ``max_chars``
    constraints: list[Constraint]
    text: str  # left to embed and match lexically
    notes: list[str]
    available_only: bool = False

    def get(self, field_name: str) -> list[Constraint]:
        return [c for c in self.constraints if c.field == field_name]

    @property
    def hard(self) -> list[Constraint]:
        return [c for c in self.constraints if c.hard]

    @property
    def soft(self) -> list[Constraint]:
        return [c for c in self.constraints if not c.hard]

    def as_dict(self) -> dict:
        """``{"category": "module", "power_w": {"target": 400, "tolerance": 0.05}, "price": {"lte": 5000},
        "voltage_v": {"any": [208]}, "available_only": true}``: a scalar or a bounds/any dict is a hard
        filter, a target is soft; any other soft one says ``"hard": false``."""
        out: dict = {}
        for c in self.constraints:
            body = c.as_json()
            if c.field in out:
                old = out[c.field]
                body = {**(old if isinstance(old, dict) else {"equals": old}),
                        **(body if isinstance(body, dict) else {"equals": body})}
            out[c.field] = body
        if self.available_only:
            out["available_only"] = True
        return out


def _constraint(q: str, spec: Spec, v: Vocabulary, category, notes: list[str]) -> Constraint | None:
    rule = v.fields.get(spec.field, FieldRule())
    where = category if category in rule.limits else None
    numbers = [spec.value] if spec.value is not None else [x for _, x in spec.bounds]
    if where in rule.limits:
        lo, hi = rule.limits[where]
        if any(not lo <= x <= hi for x in numbers):
            of = f"a {where}" if where else "a product"
            plausible = f"{plain(Decimal(str(lo)))} to {plain(Decimal(str(hi)))} {rule.symbol}".rstrip()
            notes.append(f"{quote(q, spec.start, spec.end)} is outside the plausible {spec.field} of {of} "
                         f"({plausible}): ignored")
            return None
    span = (spec.start, spec.end)
    if spec.bounds:
        bounds = tuple((op, plain(x)) for op, x in spec.bounds)
        return Constraint(spec.field, "range", bounds=bounds, hard=rule.bounds_hard, span=span, origin="number")
    x = plain(spec.value)
    if rule.kind == "any":
        values = tuple(rule.equivalents.get(x, (x,)))
        return Constraint(spec.field, "any", values=values, hard=rule.hard, span=span, origin="number")
    if rule.kind == "equals":
        return Constraint(spec.field, "equals", value=x, hard=rule.hard, span=span, origin="number")
    return Constraint(spec.field, "target", value=x, tolerance=rule.tolerance, hard=rule.hard, span=span,
                      origin="number")


def _terms(ws: list, c: Compiled) -> list[tuple[int, int, tuple[Term, ...]]]:
    """Longest declared phrases first: (first word, word count, readings)."""
    lemmas = [c.lemma(w.folded) if w else None for w in ws]
    hits, i = [], 0
    while i < len(ws):
        for n in range(min(c.max_term, len(ws) - i), 0, -1):
            group = lemmas[i:i + n]
            readings = None if None in group else c.terms.get(" ".join(group))
            if readings:
                hits.append((i, n, readings))
                i += n
                break
        else:
            i += 1
    return hits


def _read_words(ws: list[Word | None], c: Compiled, v: Vocabulary, notes: list[str]):
    """The declared words among ``ws`` (which it marks consumed): their constraints, the one
    category named (or None) and the spans of availability words."""
    chosen: list[tuple[Term, tuple[int, int]]] = []
    hits = _terms(ws, c)
    facts = {(rs[0].field, rs[0].value) for _, _, rs in hits if len(rs) == 1 and rs[0].context is None}
    for i, n, readings in hits:  # "mono" is a technology, unless an inverter is also named
        term = next((t for t in readings if t.context in facts), None) or \
            next((t for t in readings if t.context is None), None)
        if term:
            chosen.append((term, (ws[i].start, ws[i + n - 1].end)))
        ws[i:i + n] = [None] * n
    categories = list(dict.fromkeys(t.value for t, _ in chosen if t.field == v.category_field))
    constraints: list[Constraint] = []
    if len(categories) > 1:
        notes.append(f"several categories ({', '.join(map(str, categories))}): a preference, not a filter")
        span = next(s for t, s in chosen if t.field == v.category_field)
        constraints.append(Constraint(v.category_field, "any", values=tuple(categories), hard=False, span=span))
    available = [s for t, s in chosen if t.field == AVAILABLE]
    for term, span in chosen:
        if term.field == AVAILABLE or (term.field == v.category_field and len(categories) > 1):
            continue
        rule = v.fields.get(term.field)
        hard = term.hard if term.hard is not None else (rule.hard if rule else True)
        if isinstance(term.value, tuple):
            constraints.append(Constraint(term.field, "any", values=term.value, hard=hard, span=span))
        else:
            constraints.append(Constraint(term.field, "equals", value=term.value, hard=hard, span=span))
    if available:
        constraints.append(Constraint(v.availability_field, "range", bounds=(("gte", 1),), span=available[0],
                                      origin="availability"))
    return constraints, categories[0] if len(categories) == 1 else None, available


def _values(c: Constraint) -> tuple:
    return c.values if c.kind == "any" else (c.value,)


def _choice(field_name: str, values: list, like: Constraint, hard: bool) -> Constraint:
    values = list(dict.fromkeys(values))
    if len(values) == 1 and like.kind == "equals":
        return Constraint(field_name, "equals", value=values[0], hard=hard, span=like.span, origin=like.origin)
    return Constraint(field_name, "any", values=tuple(values), hard=hard, span=like.span, origin=like.origin)


def _merge(constraints: list[Constraint], notes: list[str]) -> list[Constraint]:
    """One choice, one range and one target per field: choices from the same source are unioned
    ("mono ou poli"), from different sources intersected ("monofásico 220 V"); ranges intersect."""
    out: list[Constraint] = []
    for name in dict.fromkeys(c.field for c in constraints):
        group = [c for c in constraints if c.field == name]
        merged: Constraint | None = None
        for origin in dict.fromkeys(c.origin for c in group if c.kind in ("equals", "any")):
            same = [c for c in group if c.origin == origin and c.kind in ("equals", "any")]
            union = _choice(name, [x for c in same for x in _values(c)], same[0], all(c.hard for c in same))
            if merged is not None:
                common = [x for x in _values(merged) if x in _values(union)]
                if common:
                    union = _choice(name, common, union, union.hard and merged.hard)
                else:
                    notes.append(f"{name}: {list(_values(merged))} and {list(_values(union))} do not overlap; "
                                 f"using {list(_values(union))}")
            merged = union
        out += [merged] if merged else []
        ranges = [c for c in group if c.kind == "range"]
        if ranges:
            lower = [b for c in ranges for b in c.bounds if b[0] in ("gt", "gte")]
            upper = [b for c in ranges for b in c.bounds if b[0] in ("lt", "lte")]
            low = max(lower, key=lambda b: (b[1], b[0] == "gt"), default=None)  # the tighter one
            high = min(upper, key=lambda b: (b[1], b[0] == "lte"), default=None)
            strict = low and high and (low[0] == "gt" or high[0] == "lt")
            if low and high and (low[1] > high[1] or (low[1] == high[1] and strict)):
                notes.append(f"{name}: the bounds contradict each other "
                             f"({low[0]} {low[1]}, {high[0]} {high[1]}): ignored")
            else:
                bounds = tuple(b for b in (low, high) if b)
                out.append(Constraint(name, "range", bounds=bounds, hard=all(c.hard for c in ranges),
                                      span=ranges[0].span, origin=ranges[0].origin))
        targets = [c for c in group if c.kind == "target"]
        if targets:
            others = sorted({c.value for c in targets} - {targets[0].value})
            if others:
                notes.append(f"{name}: several targets ({targets[0].value}, {', '.join(map(str, others))}): "
                             f"using the first")
            out.append(targets[0])
    return out


def _leftover(q: str, f: str, removed: list[tuple[int, int]], c: Compiled) -> str:
    spans = []
    for start, end in sorted(removed):
        m = re.search(r"([^\W_]+)\s*$", f[max(0, start - 20):start])
        if m and m.group(1) in c.connectors:
            start = max(0, start - 20) + m.start(1)  # "painel de 400 W": "de" goes with the spec
        spans.append((start, end))
    pieces, pos = [], 0
    for start, end in spans:
        pieces.append(q[pos:max(pos, start)])
        pos = max(pos, end)
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join("".join(pieces + [q[pos:]]).split()))
    text = " ".join(w for w in text.split() if any(ch.isalnum() for ch in w)).strip(" ,;:-–")  # no lone "@"
    return text if any(w.folded not in c.connectors for w in words(text)) else ""  # not a lone "e"


def understand(question: str, vocabulary: Vocabulary, makers: MakerIndex | None = None) -> Understanding:
    """Read ``question`` with ``vocabulary`` (and the catalog's makers): constraints, leftover
    text and notes. Never raises on any string; problems become notes."""
    v, notes = vocabulary, []
    q = question if isinstance(question, str) else "" if question is None else str(question)
    q = unicodedata.normalize("NFC", q)
    if len(q) > v.max_chars:
        cut = q.rfind(" ", 0, v.max_chars + 1)
        cut = cut if cut > v.max_chars // 2 else v.max_chars
        notes.append(f"the question has {len(q)} characters: only the first {cut} were read")
        q = q[:cut]
    if not q.strip():
        return Understanding(q, [], "", notes + ["empty question: nothing to read"])
    if not any(ch.isalnum() for ch in q):
        return Understanding(q, [], "", notes + ["no words or numbers: nothing to read"])
    if not any(ch.isalpha() for ch in q):
        notes.append("the question is only numbers: without a unit they are not specs (kept as text)")
    c, f = compile_vocabulary(v), fold(q)
    specs = read_specs(q, f, c, v, notes)
    in_spec = bytearray(len(q) + 1)
    for s in specs:
        in_spec[s.start:s.end] = b"\1" * (s.end - s.start)
    ws: list[Word | None] = [None if any(in_spec[w.start:w.end]) else w for w in words(q)]
    constraints, category, available = _read_words(ws, c, v, notes)
    if makers is not None:
        matches, maker_notes = makers.match_words(ws, stopwords=v.stopwords, shouting=is_shouting(q))
        notes += maker_notes
        constraints += [Constraint(makers.field, "any", values=m.names, span=m.span, origin="maker") for m in matches]
    constraints += [x for s in specs if (x := _constraint(q, s, v, category, notes))]
    text = _leftover(q, f, [(s.start, s.end) for s in specs] + available, c)
    constraints = _merge(constraints, notes)
    notes = list(dict.fromkeys(notes))  # "até 1 até 1 até 1...": one note each, at most _MAX_NOTES
    if len(notes) > _MAX_NOTES:
        notes = notes[:_MAX_NOTES - 1] + [f"... and {len(notes) - _MAX_NOTES + 1} more notes"]
    return Understanding(q, constraints, text, notes, available_only=bool(available))
