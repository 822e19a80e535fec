"""A product's specs as canonical fields, whichever source they came from.

The ``products`` table holds the CEC tables' keys (``STC``, ``Technology``, ``N_s``, ``Paco``,
``Vac``, ...); a distributor's CSV drop names its columns its own way (``power_w``,
``Potência (W)``, ``tecnologia``, ``celulas``, ``tensao_v``, ...) and writes "330,22" and
"policristalino". :func:`canonical_specs` reads both into the same fields, so a product's text
and payload never depend on where it came from.

- Keys match case- and accent-insensitively, punctuation as "_": ``Potência (W)`` is
  ``potencia_w``. A unit at the end of a key is read as the value's unit (``potencia_kw`` holds
  kilowatts), and so is a unit after the number ("330 W", "5,5 kW", "600 Vcc").
- Numbers: "330.22" and "1e3" as written by machines; "330,22", "1.234,5" and "1 500" the pt-BR
  way. A lone dot is a decimal mark ("1.500" is 1.5): CEC and ``str(float)`` write "9.125" A.
- Zero power, voltage, current or cell count is how the CEC tables write "not listed" (288
  inverters have ``Vac`` 0): the field is absent, never 0.
- A value that does not read (a word, NaN, a negative voltage, an unknown technology, a range
  like "422-528") leaves its field absent and is named in the problems returned, for the
  extractor to report; nothing is guessed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# the CEC's technology names, which the query vocabulary filters on, and how the text says them
TECHNOLOGY_PT = {
    "Mono-c-Si": "monocristalino",
    "Multi-c-Si": "policristalino",
    "CdTe": "filme fino CdTe",
    "CIGS": "filme fino CIGS",
    "Thin Film": "filme fino",
    "a-Si": "silício amorfo",
}

# a value's unit (as a key suffix or after the number) -> (unit class, factor)
UNITS = {
    "w": ("W", 1), "wp": ("W", 1), "kw": ("W", 1000), "kwp": ("W", 1000),
    "v": ("V", 1), "vac": ("V", 1), "vca": ("V", 1), "vcc": ("V", 1), "vdc": ("V", 1),
    "a": ("A", 1),
    "celulas": ("cells", 1), "celula": ("cells", 1), "cells": ("cells", 1), "cel": ("cells", 1),
}

_POWER = ("power", "potencia", "potencia_nominal", "pmax", "pnom")
_VOLTAGE = ("voltage", "tensao", "tensao_nominal")


@dataclass(frozen=True)
class SpecField:
    name: str                            # the payload field
    kind: str                            # float, integer, bool or technology
    index: str                           # its payload index type in the registry
    unit: str | None                     # W, V, A, cells: the unit a value or key may name
    keys: dict[str, tuple[str, ...]]     # category ("module", "inverter", "*" for others) -> folded keys, first wins


SPEC_FIELDS: tuple[SpecField, ...] = (
    SpecField("power_w", "float", "float", "W", {
        "module": ("stc",) + _POWER, "inverter": ("paco", "pac", "potencia_ca", "potencia_saida") + _POWER,
        "*": _POWER}),
    SpecField("ptc_w", "float", "float", "W", {"module": ("ptc", "potencia_ptc")}),
    SpecField("technology", "technology", "keyword", None, {
        "module": ("technology", "tecnologia", "tecnologia_celula", "tecnologia_da_celula", "tipo_celula",
                   "tipo_de_celula", "cell_type", "material")}),
    SpecField("bifacial", "bool", "bool", None, {"module": ("bifacial", "e_bifacial", "is_bifacial")}),
    SpecField("cells", "integer", "integer", "cells", {
        "module": ("n_s", "cells", "celulas", "n_celulas", "no_celulas", "numero_celulas", "numero_de_celulas",
                   "n_de_celulas", "no_de_celulas", "qtd_celulas", "quantidade_de_celulas")}),
    SpecField("voc_v", "float", "float", "V", {
        "module": ("v_oc_ref", "voc", "tensao_circuito_aberto", "tensao_de_circuito_aberto")}),
    SpecField("isc_a", "float", "float", "A", {
        "module": ("i_sc_ref", "isc", "corrente_curto_circuito", "corrente_de_curto_circuito")}),
    SpecField("vmp_v", "float", "float", "V", {
        "module": ("v_mp_ref", "vmp", "vmpp", "tensao_maxima_potencia", "tensao_de_maxima_potencia")}),
    SpecField("imp_a", "float", "float", "A", {
        "module": ("i_mp_ref", "imp", "impp", "corrente_maxima_potencia", "corrente_de_maxima_potencia")}),
    SpecField("voltage_v", "float", "float", "V", {
        "inverter": ("vac", "vca") + _VOLTAGE + ("tensao_ca", "tensao_saida", "tensao_de_saida"), "*": _VOLTAGE}),
    SpecField("dc_voltage_v", "float", "float", "V", {
        "inverter": ("vdcmax", "dc_voltage", "vdc_max", "tensao_cc_max", "tensao_max_cc", "tensao_cc_maxima",
                     "tensao_maxima_cc", "tensao_maxima_de_entrada", "tensao_entrada_max")}),
    SpecField("mppt_low_v", "float", "float", "V", {
        "inverter": ("mppt_low", "mppt_min", "mppt_minimo", "mppt_minima", "faixa_mppt_min")}),
    SpecField("mppt_high_v", "float", "float", "V", {
        "inverter": ("mppt_high", "mppt_max", "mppt_maximo", "mppt_maxima", "faixa_mppt_max")}),
    SpecField("dc_current_a", "float", "float", "A", {
        "inverter": ("idcmax", "dc_current", "idc_max", "corrente_cc_max", "corrente_max_cc", "corrente_maxima_cc",
                     "corrente_maxima_de_entrada", "corrente_entrada_max")}),
)
# payload field -> index type: the products registry declares all of them
SPEC_INDEXES: dict[str, str] = {f.name: f.index for f in SPEC_FIELDS}


def fold(text: str) -> str:
    """Lower case, accents off, each run of punctuation or spaces one "_": 'Potência (W)' -> 'potencia_w'."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@lru_cache(maxsize=8192)
def _fold_key(key: str) -> str:
    """``fold`` of a source key: a catalog repeats a few dozen keys on every product."""
    return fold(key)


_TECHNOLOGY_WORDS = {
    "Mono-c-Si": ("mono", "monocristalino", "monocristalina", "monocrystalline", "mono_crystalline", "mono_si",
                  "sc_si", "silicio_monocristalino"),
    "Multi-c-Si": ("multi", "multicristalino", "multicristalina", "multicrystalline", "poli", "poly",
                   "policristalino", "policristalina", "polycrystalline", "poly_si", "mc_si", "silicio_policristalino"),
    "Thin Film": ("thin_film", "filme_fino"),
    "CdTe": ("telureto_de_cadmio",),
    "CIGS": (),
    "a-Si": ("asi", "amorfo", "silicio_amorfo", "amorphous", "amorphous_silicon"),
}
TECHNOLOGIES: dict[str, str] = {fold(name): name for name in _TECHNOLOGY_WORDS}
TECHNOLOGIES.update({fold(pt): name for name, pt in TECHNOLOGY_PT.items()})
TECHNOLOGIES.update({word: name for name, words in _TECHNOLOGY_WORDS.items() for word in words})

_TRUE = {"1", "1_0", "true", "t", "sim", "s", "yes", "y", "x", "bifacial"}
_FALSE = {"0", "0_0", "false", "f", "nao", "n", "no", "monofacial"}
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,}|\d{1,3}(?: \d{3})+(?:,\d+)?")
_WRITTEN = re.compile(rf"(?P<sign>[-+]?)\s*(?P<num>{_GROUPED.pattern}|\d+(?:[.,]\d+)?)\s*(?P<unit>[^\W\d_]*)")


class SpecError(ValueError):
    """A spec value that does not read as its field's type; the message says why."""


def _number(value, unit: str | None, factor: int) -> float:
    if isinstance(value, bool):
        raise SpecError("is a yes/no, not a number")
    if isinstance(value, (int, float)):
        number = float(value) * factor if abs(value) < 1e300 else math.inf  # JSONB holds ints past any float
    else:
        text = str(value).strip()
        try:  # machine-written: "330.22", "1e3"; NaN and Infinity are caught below
            exact = Decimal(text)
        except InvalidOperation:
            match = _WRITTEN.fullmatch(text.replace("\u00a0", " "))
            if not match:
                raise SpecError("is not a number") from None
            digits = match["num"]
            if "," in digits or " " in digits or digits.count(".") > 1:
                digits = digits.replace(".", "").replace(" ", "").replace(",", ".")
            written = fold(match["unit"])
            if written:
                if UNITS.get(written, (None,))[0] != unit:
                    raise SpecError(f"has unit {match['unit']!r}, not {unit or 'none'}")
                factor = UNITS[written][1]
            exact = Decimal(match["sign"] + digits)
        # Decimal, so "0,33 kW" is 330 W and not 330.00000000000006
        number = float(exact * factor) if exact.is_finite() else math.nan
    if not math.isfinite(number):
        raise SpecError("is not a finite number")
    if number < 0:
        raise SpecError("is negative")
    return number


def read_spec(field: SpecField, value, key_factor: int = 1):
    """One source value as ``field``'s canonical value, None for "not listed"; SpecError if unreadable."""
    if field.kind == "technology":
        name = TECHNOLOGIES.get(fold(value))
        if name is None:
            raise SpecError(f"is not a known technology: {', '.join(TECHNOLOGY_PT)}")
        return name
    if field.kind == "bool":
        if isinstance(value, bool):
            return value
        word = fold(value)
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise SpecError("is not yes/no: 1/0, sim/não, true/false")
    number = _number(value, field.unit, key_factor)
    if number == 0:
        return None  # the CEC tables' "not listed"
    if field.kind == "integer":
        if number != int(number):
            raise SpecError("is not a whole number")
        if number >= 2**63:  # what a payload's integer index holds
            raise SpecError("is out of range")
        return int(number)
    return number


def _lookup(field: SpecField, category: str, folded: dict[str, str]) -> tuple[str, int] | None:
    """The source key that carries ``field`` for a product of ``category`` and its unit factor."""
    for key in field.keys.get(category if category in ("module", "inverter") else "*", ()):
        if key in folded:
            return folded[key], 1
        for suffix, (unit, factor) in UNITS.items():
            if unit == field.unit and f"{key}_{suffix}" in folded:
                return folded[f"{key}_{suffix}"], factor
    return None


def canonical_specs(specs: dict | None, category: str) -> tuple[dict, list[str]]:
    """``specs`` (CEC keys or a CSV line's extra columns) as canonical fields, plus the problems.

    Returns ``({field: value}, problems)``: only fields the source carries and that read are
    in the dict; each problem names the source key and its value, e.g.
    ``"'potencia_w' = 'abc' is not a number (power_w left out)"``.
    """
    folded: dict[str, str] = {}
    for key, value in (specs or {}).items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        folded.setdefault(_fold_key(key), key)  # two spellings of one key: the first wins
    values, problems = {}, []
    for field in SPEC_FIELDS:
        found = _lookup(field, category or "", folded)
        if found is None:
            continue
        key, factor = found
        try:
            value = read_spec(field, specs[key], factor)
        except SpecError as exc:
            problems.append(f"{key!r} = {str(specs[key])[:60]!r} {exc} ({field.name} left out)")
            continue
        if value is not None:
            values[field.name] = value
    return values, problems


def spec_payload(specs: dict | None, category: str) -> dict:
    """Every canonical field, None where the source does not carry it (a payload's fixed shape)."""
    values, _ = canonical_specs(specs, category)
    return {field.name: values.get(field.name) for field in SPEC_FIELDS}
