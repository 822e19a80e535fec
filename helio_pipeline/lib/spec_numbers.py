"""Reading numbers with units out of a question, the pt-BR way, for ``lib/understanding``.

"R$ 5.000,00", "7,6 kW", "5 000 W", "1.5 kW", "5 mil reais", "entre 5 e 8 kW", "até R$ 2 mil",
"400 W ou mais": each becomes a ``Spec`` (a field, a value or bounds, the span it came from).
The comma is the decimal mark; a dot or space groups thousands only before exactly three
digits, so "5.000" is five thousand and "1.5" one and a half. A number glued to letters or to
a code ("SB5000US", "CS6U-330P", "SUN2000-5KTL") or to a date ("12/05/2025") is not a spec,
nor is a number without a unit: only the vocabulary's units (and its default unit, for a bound
or a multiplier: "até 5 mil" in prices) make one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from helio_pipeline.lib.makers import fold

if TYPE_CHECKING:
    from helio_pipeline.lib.query_vocabulary import Unit, Vocabulary

DOT = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d)"
SPACED = r"\d{1,3}(?: \d{3})+(?:,\d+)?(?!\d)"
PLAIN = r"\d+(?:[.,]\d+)?"
_WINDOW = 40  # characters before a number searched for "entre", "até", "a partir de"


def alternation(keys) -> str:
    """A regex alternation of phrases, longest first, any run of spaces between words."""
    escaped = (re.escape(k).replace(r"\ ", r"\s+") for k in sorted(keys, key=len, reverse=True))
    return "|".join(escaped) or r"(?!x)x"


def atom_pattern(prefixes, multipliers, units, *, spaced: bool) -> re.Pattern:
    """A number with its optional currency prefix, sign, multiplier and unit."""
    number = rf"(?P<dot>{DOT})|(?P<spaced>{SPACED})|{PLAIN}" if spaced else rf"(?P<dot>{DOT})|{PLAIN}"
    return re.compile(
        rf"(?:(?P<cur>{alternation(prefixes)})\s*)?(?P<sign>[-−–]\s?)?(?P<num>{number})"
        rf"(?:\s*(?P<mult>{alternation(multipliers)})(?![^\W_]))?(?:\s*(?P<unit>{alternation(units)})(?![^\W_]))?")


@dataclass
class _Atom:  # a number as written: "R$ 5.000,00", "7,6 kW", "5 mil reais", "72 células"
    start: int
    end: int
    number: Decimal
    mult: Decimal | None
    unit: Unit | None


@dataclass
class Spec:  # a number read as a spec, before its field's rule makes it a Constraint
    field: str
    start: int
    end: int
    value: Decimal | None = None
    bounds: tuple = ()


def plain(x: Decimal):
    """400 for Decimal("400.00"), 7.6 for Decimal("7.6"); a float past 1e15 (which no str() limit trips on)."""
    return int(x) if x == x.to_integral_value() and abs(x) < 10**15 else float(x)


def _left_free(f: str, i: int) -> bool:
    """Nothing glues the number at ``i`` to what precedes it (SB5000US, CS6U-330P, 12/05)."""
    if i == 0:
        return True
    p = f[i - 1]
    if p.isalnum():
        return False
    if p in "/.,":
        return not (i >= 2 and f[i - 2].isdigit())
    if p in "-–":
        k = i - 1
        while k > 0 and f[k - 1].isalnum():
            k -= 1
        return k == i - 1 or f[k:i - 1].isdigit()  # "300-400 W" is a range; "CS6U-330" a code
    return True


def _right_free(f: str, j: int, has_unit: bool) -> bool:
    n, nn = f[j:j + 1], f[j + 1:j + 2]
    if n.isalnum():
        return False  # 330P, 5KTL
    if n in ".,/" and nn.isdigit():
        return has_unit and n == "/"  # "220V/380V" yes, 12/05 or 12.05.2025 no
    return not (n in "-–" and nn.isalpha() and not has_unit)


def _atoms(q: str, f: str, c) -> list[_Atom]:
    out, pos = [], 0
    while m := c.atom.search(f, pos):
        if m.groupdict().get("spaced") and not (m.group("unit") or m.group("mult") or m.group("cur")):
            m = c.atom_unspaced.match(f, m.start())  # "10 300" is two numbers unless a unit follows
        pos, start, signed = m.end(), m.start(), bool(m.group("sign"))
        if signed and not m.group("cur") and start > 0 and f[start - 1].isalnum():
            start, signed = m.start("num"), False  # "300-400": a dash between numbers, not a minus
        unit, end = None, m.end()
        if m.group("unit"):
            unit, declared = c.units[m.group("unit")]
            if unit.case_sensitive and q[m.start("unit"):m.end("unit")] != declared:
                unit, end = None, m.end("mult") if m.group("mult") else m.end("num")
        if unit is None and m.group("cur"):
            unit = c.units[m.group("cur")][0]
        if not (_left_free(f, start) and _right_free(f, end, unit is not None)):
            continue
        text = m.group("num")
        if m.group("dot") or m.groupdict().get("spaced"):
            text = text.replace(".", "").replace(" ", "")
        number = Decimal(text.replace(",", "."))
        mult = c.multipliers[m.group("mult")] if m.group("mult") else None
        out.append(_Atom(start, end, -number if signed else number, mult, unit))
        pos = end
    return out


def quote(q: str, start: int, end: int) -> str:
    text = " ".join(q[start:end].split())
    return repr(text if len(text) <= 40 else text[:37] + "...")


def read_specs(q: str, f: str, c, v: Vocabulary, notes: list[str]) -> list[Spec]:
    """The specs of question ``q`` (``f`` is its folded form; ``c`` the compiled vocabulary)."""
    atoms = _atoms(q, f, c)
    default = c.units[fold(v.default_unit)][0] if v.default_unit else None
    specs: list[Spec] = []
    floor, i = 0, 0  # text before ``floor`` already belongs to a spec
    while i < len(atoms):
        a, b = atoms[i], atoms[i + 1] if i + 1 < len(atoms) else None
        spec = _range(q, f, a, b, floor, c, default, notes) if b else None
        if spec is None:
            spec = _single(q, f, a, b, floor, c, v, default, notes)
        else:
            i += 1
        if spec:
            specs.append(_qualified(f, spec, c))
            floor = spec.end
        i += 1
    return specs


def _qualified(f: str, spec: Spec, c) -> Spec:
    """"MPPT 150-850 V", "Voc de 45 V": a qualifier word before the spec moves it to its own field."""
    for word in reversed(re.findall(r"[^\W_]+", f[max(0, spec.start - 40):spec.start])[-3:]):
        if word not in c.connectors:
            spec.field = c.qualifiers.get(word, {}).get(spec.field, spec.field)
            break
    return spec


def _range(q, f, a: _Atom, b: _Atom, floor: int, c, default, notes) -> Spec | None:
    joiner = f[a.end:b.start].strip()
    if joiner not in c.joiners:
        return None
    opener, optional = c.joiners[joiner]  # "entre" before "5 e 8 kW"; none needed before "5-8 kW"
    start, window = a.start, max(floor, a.start - _WINDOW)  # openers are short: never rescan the question
    m = opener.search(f, window, a.start) if opener else None
    if m:
        start = m.start()
    elif not optional:
        return None
    unit = b.unit or a.unit or default
    if unit is None or (a.unit and b.unit and a.unit.field != b.unit.field):
        return None

    def value(x: _Atom, other: _Atom) -> Decimal:
        # "entre 2 e 3 mil" is 2000-3000, "entre 1.500 e 3 mil" 1500-3000: a bare number shares
        # the other's multiplier only when that keeps it the smaller of the two
        shared = other.mult if x.unit is None and not x.mult and a.number <= b.number else None
        return x.number * (x.mult or shared or 1) * Decimal(str((x.unit or unit).scale))

    lo, hi = value(a, b), value(b, a)
    if lo > hi:
        notes.append(f"the range {quote(q, start, b.end)} runs backwards: read as {plain(hi)} to {plain(lo)}")
        lo, hi = hi, lo
    return Spec(unit.field, start, b.end, bounds=(("gte", lo), ("lte", hi)))


def _single(q, f, a: _Atom, b: _Atom | None, floor: int, c, v: Vocabulary, default, notes) -> Spec | None:
    op, start, end = None, a.start, a.end
    before = c.before.search(f, max(floor, a.start - _WINDOW), a.start)
    after = c.after.match(f, a.end, b.start if b else len(f))
    if before:
        op, start = c.bound_ops[" ".join(before.group("b").split())], before.start("b")
    elif after:
        phrase = " ".join(after.group("b").split())
        if not (phrase in c.bound_ops and b and not f[after.end():b.start].strip()):  # "no mínimo 5 kW" is b's
            op, end = c.after_ops[phrase], after.end()
    unit = a.unit
    if unit is None and (op or a.mult) and not _quantity(f, a.end, c, v):
        unit = default
    if unit is None:
        if op:
            notes.append(f"{quote(q, start, end)} has no unit: not read as a spec")
        return None
    value = a.number * (a.mult or 1) * Decimal(str(unit.scale))
    return Spec(unit.field, start, end, bounds=((op, value),)) if op else Spec(unit.field, start, end, value=value)


def _quantity(f: str, end: int, c, v: Vocabulary) -> bool:
    """"5 mil painéis" counts panels: the number is followed by a category word."""
    m = re.match(r"\s*([^\W_]+)", f[end:end + 40])
    readings = c.terms.get(c.lemma(m.group(1))) if m else None
    return bool(readings) and any(t.field == v.category_field for t in readings)
