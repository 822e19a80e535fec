"""The demo catalog: real PV modules and inverters from the CEC tables that pvlib ships.

Rows are read from pvlib's CSV files as written (``Name`` kept exactly), sampled by stride
so the sample is reproducible and spans many manufacturers.
"""

from __future__ import annotations

import csv
import math
import random
import re
from pathlib import Path

MODULES_CSV = "sam-library-cec-modules-2019-03-05.csv"
INVERTERS_CSV = "sam-library-cec-inverters-2019-03-05.csv"
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def _pvlib_data_dir() -> Path:
    import pvlib

    return Path(pvlib.__file__).parent / "data"


def _read_cec(filename: str) -> list[dict]:
    """Rows of a SAM/CEC CSV: the header, then two metadata rows (units, SAM names), then data."""
    with open(_pvlib_data_dir() / filename, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)[2:]
    for row in rows:
        for key, value in row.items():
            if key != "Name" and isinstance(value, str) and _NUMERIC.match(value):
                row[key] = float(value)
    return rows


def stride_sample(rows: list, k: int) -> list:
    return rows[::k]


def _split_module_name(name: str) -> tuple[str, str]:
    """'Canadian Solar Inc. CS6U-330P' -> ('Canadian Solar Inc.', 'CS6U-330P'): the model starts
    at the first word (after the first) that holds a digit; else it is the last word."""
    words = name.split()
    start = next((i for i, w in enumerate(words) if i > 0 and any(c.isdigit() for c in w)), len(words) - 1)
    start = max(start, 1) if len(words) > 1 else 0
    return " ".join(words[:start]) or name, " ".join(words[start:]) or name


def _sku(model: str) -> str:
    return re.sub(r"[^A-Z0-9.+/-]+", "-", model.upper()).strip("-")


def _split_inverter_name(name: str) -> tuple[str, str, str]:
    maker, _, rest = name.partition(":")
    model, _, voltage = rest.strip().partition("[")
    return maker.strip(), model.strip(), voltage.strip(" ]")


def _module_description(specs: dict) -> str:
    return "Indicado para usinas e telhados comerciais." if (specs.get("STC") or 0) >= 300 \
        else "Indicado para telhados residenciais."


def _inverter_description(specs: dict) -> str:
    power = specs.get("Paco") or 0
    if power < 1500:
        return "Microinversor para sistemas residenciais pequenos."
    if power < 15000:
        return "Inversor string residencial e pequeno comércio."
    return "Inversor para projetos comerciais e industriais."


def load_catalog(products: int | str = 2000, seed: int = 42) -> list[dict]:
    """Products sampled from the CEC tables: about ``products`` rows, or all with ``"all"``.

    Each: sku, name (the CSV's Name), manufacturer, category, description, specs, active, stock.
    """
    modules = _read_cec(MODULES_CSV)
    inverters = _read_cec(INVERTERS_CSV)
    total = len(modules) + len(inverters)
    k = 1 if products == "all" else max(1, math.ceil(total / int(products)))
    rng = random.Random(seed)
    out: list[dict] = []
    seen: dict[str, int] = {}

    def unique(sku: str) -> str:
        seen[sku] = seen.get(sku, 0) + 1
        return sku if seen[sku] == 1 else f"{sku}-{seen[sku]}"

    for row in stride_sample(modules, k):
        maker, model = _split_module_name(row["Name"])
        specs = {k2: v for k2, v in row.items() if k2 != "Name" and v not in ("", None)}
        out.append({"sku": unique(_sku(model)), "name": row["Name"], "manufacturer": maker,
                    "category": "module", "specs": specs, "description": _module_description(specs)})
    for row in stride_sample(inverters, k):
        maker, model, voltage = _split_inverter_name(row["Name"])
        specs = {k2: v for k2, v in row.items() if k2 != "Name" and v not in ("", None, "n/a")}
        sku = _sku(model) + (f"@{voltage}" if voltage else "")
        out.append({"sku": unique(sku), "name": row["Name"], "manufacturer": maker,
                    "category": "inverter", "specs": specs, "description": _inverter_description(specs)})
    for product in out:
        product["active"] = rng.random() > 0.05
        product["stock"] = rng.choice([0, 0, 3, 12, 25, 40, 80, 150, 400])
    return out


DISTRIBUTORS = ("Solar Atacado SP", "Nordeste Solar Distribuidora", "EcoVolt Distribuição")


def price_rows(products: list[dict], seed: int = 42) -> list[dict]:
    """B1/B3 prices in BRL: every product at the first two distributors, about a third at the third."""
    rng = random.Random(seed + 1)
    rows = []
    for product in products:
        specs = product["specs"]
        if product["category"] == "module":
            base = float(specs.get("STC") or 300) * rng.uniform(0.85, 1.30)
        else:
            base = 450 + float(specs.get("Paco") or 3000) * rng.uniform(0.32, 0.62)
        carriers = list(DISTRIBUTORS[:2]) + ([DISTRIBUTORS[2]] if rng.random() < 0.33 else [])
        for distributor in carriers:
            b1 = round(base * rng.uniform(0.95, 1.08), 2)
            for tier, price in (("B1", b1), ("B3", round(b1 * rng.uniform(0.86, 0.93), 2))):
                rows.append({"sku": product["sku"], "distributor": distributor, "tier": tier, "price": price,
                             "currency": "BRL", "valid_from": "2026-01-01", "valid_to": ""})
    return rows
