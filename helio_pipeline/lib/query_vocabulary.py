"""What a question vocabulary declares (units, words, bounds, field rules) and its compiled form.

A ``Vocabulary`` is pure data: the Portuguese ones for products and prices live in
``helio_pipeline.vocabulary``; another domain or language is another instance, not new code.
``compile_vocabulary`` turns one into regexes and lookup tables once (cached per instance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Mapping

from helio_pipeline.lib.makers import fold, words
from helio_pipeline.lib.spec_numbers import alternation, atom_pattern


@dataclass(frozen=True)
class Unit:
    """What a unit after (or before) a number means: "kW" -> power_w x 1000, "R$" -> price."""

    field: str
    scale: float = 1.0  # a number in this unit times scale is the field's value ("kw": 1000 -> W)
    case_sensitive: bool = False  # only as declared: "A" is amperes, "a" is a preposition


@dataclass(frozen=True)
class Term:
    """A word's reading: "policristalino" -> technology = Multi-c-Si, "monofásico" -> voltage_v in (...)."""

    field: str
    value: object  # a scalar reads as "equals", a tuple as "any" of its items
    hard: bool | None = None  # None: the field's rule decides
    context: tuple[str, object] | None = None  # this reading only when (field, value) was also read


@dataclass(frozen=True)
class FieldRule:
    """How a field is constrained: a lone number's kind and tolerance, hard or soft, plausible limits."""

    kind: str = "target"  # what a lone number means: "target" (± tolerance), "any" (a set), "equals"
    tolerance: float | None = None  # relative, for targets: 0.05 = ±5 %
    hard: bool = False  # for lone numbers and words on this field
    bounds_hard: bool = True  # "até", "entre ... e ...": the user drew the line
    limits: Mapping[str | None, tuple[float, float]] = field(default_factory=dict)  # plausible, by category
    equivalents: Mapping[float, tuple[float, ...]] = field(default_factory=dict)  # for "any": 220 -> 220/230/240
    symbol: str = ""  # in notes: "W", "V"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a vocabulary is declared once
class Vocabulary:
    """Everything language- and domain-specific the parser knows, as data. Keys are matched
    case- and accent-insensitively (except ``Unit.case_sensitive`` ones) and, for ``terms``, through
    ``suffix_rules`` (plurals, gender)."""

    name: str
    fields: Mapping[str, FieldRule]
    units: Mapping[str, Unit]  # after the number: "w", "kw", "reais", "células"
    prefix_units: Mapping[str, Unit] = field(default_factory=dict)  # before it: "r$"
    multipliers: Mapping[str, float] = field(default_factory=dict)  # "mil": 1000
    terms: Mapping[str, Term | tuple[Term, ...]] = field(default_factory=dict)  # phrase -> its readings
    bounds_before: Mapping[str, str] = field(default_factory=dict)  # "até": "lte", "acima de": "gt"
    bounds_after: Mapping[str, str] = field(default_factory=dict)  # "ou mais": "gte"
    ranges: tuple[tuple[str, str], ...] = ()  # (opener, joiner): ("entre", "e"), ("", "-"); "" = no opener
    availability: tuple[str, ...] = ()  # "pronta entrega": the field below must be >= 1
    availability_field: str = "stock"
    category_field: str = "category"
    connectors: frozenset[str] = frozenset()  # "de", "com": leave the text with the spec they introduce
    stopwords: frozenset[str] = frozenset()  # never a maker by themselves
    suffix_rules: tuple[tuple[str, str], ...] = ()  # inflections onto declared words: ("eis", "el")
    # a word before a spec that moves it to another field: "mppt": {"voltage_v": "mppt_voltage_v"}
    qualifiers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    default_unit: str | None = None  # key of ``units`` for "até 5 mil" (a bound or multiplier, no unit)
    max_chars: int = 1000  # longer questions are read up to here (with a note)


AVAILABLE = "\0available"


def _phrase(text: str) -> str:
    return " ".join(w.folded for w in words(text))


@dataclass(frozen=True)
class Compiled:
    """A vocabulary as regexes and folded lookup tables (lower case, no accents)."""

    atom: re.Pattern
    atom_unspaced: re.Pattern
    units: dict  # folded key -> (Unit, declared key)
    multipliers: dict
    terms: dict  # folded phrase -> tuple[Term, ...]
    term_words: frozenset
    max_term: int
    before: re.Pattern
    after: re.Pattern
    joiners: dict  # "e" -> (regex of the openers it needs before the first number, whether none will do)
    rules: tuple  # suffix rules
    bound_ops: dict  # folded phrase before a number -> gt/gte/lt/lte
    after_ops: dict  # folded phrase after a number -> gt/gte/lt/lte
    connectors: frozenset
    qualifiers: dict  # folded word -> {field: field}

    def lemma(self, token: str) -> str:
        return _lemma(self.rules, self.term_words, token)


_OPS = {"gt", "gte", "lt", "lte"}
_KINDS = {"target", "any", "equals"}


def _check(v: Vocabulary) -> None:
    """A misdeclared vocabulary is a programming error: say so when it is first used."""
    problems = [f"bound {k!r}: {op!r} is not one of {sorted(_OPS)}"
                for k, op in {**v.bounds_before, **v.bounds_after}.items() if op not in _OPS]
    problems += [f"field {name!r}: kind {r.kind!r} is not one of {sorted(_KINDS)}"
                 for name, r in v.fields.items() if r.kind not in _KINDS]
    if v.default_unit is not None and fold(v.default_unit) not in {fold(k) for k in v.units}:
        problems.append(f"default_unit {v.default_unit!r} is not one of the units")
    for phrase, readings in v.terms.items():
        for t in readings if isinstance(readings, tuple) else (readings,):
            try:
                hash((t.value, t.context))
            except TypeError:
                problems.append(f"term {phrase!r}: values must be scalars or tuples, not {type(t.value).__name__}")
    if problems:
        raise ValueError(f"vocabulary {v.name!r}: " + "; ".join(problems))


@lru_cache(maxsize=64)
def compile_vocabulary(v: Vocabulary) -> Compiled:
    _check(v)
    units = {fold(k): (u, k) for k, u in v.units.items()}
    prefixes = {fold(k): (u, k) for k, u in v.prefix_units.items()}
    terms: dict[str, tuple[Term, ...]] = {}
    for phrase, readings in v.terms.items():
        terms[_phrase(phrase)] = readings if isinstance(readings, tuple) else (readings,)
    for phrase in v.availability:
        terms[_phrase(phrase)] = (Term(AVAILABLE, True),)
    mults = {fold(k): Decimal(str(x)) for k, x in v.multipliers.items()}

    openers: dict[str, set[str]] = {}
    for opener, joiner in v.ranges:
        openers.setdefault(fold(joiner), set()).add(_phrase(opener))
    joiners = {j: (re.compile(rf"(?<![^\W_])(?:{alternation(o - {''})})\s*$") if o - {""} else None, "" in o)
               for j, o in openers.items()}
    return Compiled(
        atom=atom_pattern(prefixes, mults, units, spaced=True),
        atom_unspaced=atom_pattern(prefixes, mults, units, spaced=False),
        units={**prefixes, **units}, multipliers=mults, terms=terms,
        term_words=frozenset(w for p in terms for w in p.split()),
        max_term=max((len(p.split()) for p in terms), default=1),
        before=re.compile(rf"(?<![^\W_])(?P<b>{alternation(fold(k) for k in v.bounds_before)})\s*$"),
        after=re.compile(rf"\s*(?P<b>{alternation(fold(k) for k in v.bounds_after)})(?![^\W_])"),
        joiners=joiners, rules=tuple(v.suffix_rules),
        bound_ops={fold(k): op for k, op in v.bounds_before.items()},
        after_ops={fold(k): op for k, op in v.bounds_after.items()},
        connectors=frozenset(fold(w) for w in v.connectors),
        qualifiers={fold(w): dict(moves) for w, moves in v.qualifiers.items()})


@lru_cache(maxsize=8192)
def _lemma(rules: tuple, known: frozenset, token: str) -> str:
    if token in known or len(token) < 4:
        return token
    forms = [token]
    for _ in range(2):  # two rounds: "policristalinas" -> "policristalina" -> "policristalino"
        forms += [f[: -len(s)] + r for f in forms for s, r in rules if f.endswith(s) and len(f) > len(s) + 2]
        hit = next((f for f in forms if f in known), None)
        if hit:
            return hit
    return token
