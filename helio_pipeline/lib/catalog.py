"""Products and prices: extraction from PostgreSQL + distributor CSV drops, and rendering.

Both domains key their documents by SKU, so a product and its prices stay linked whether
they came from the ``products``/``prices`` tables or from ``catalog/`` CSV drops.
"""

from __future__ import annotations

import json
import math
from datetime import date
from itertools import groupby
from decimal import Decimal, InvalidOperation

import pandas as pd
import sqlalchemy as sa

from helio_pipeline.lib.records import Chunk, Extraction, Problem, Sources, iso, read_csv_lines

PRODUCT_CSV_PREFIX = "catalog/products/"
PRICE_CSV_PREFIX = "catalog/prices/"
PRODUCT_CSV_COLUMNS = ["sku", "name", "manufacturer", "category"]
PRICE_CSV_COLUMNS = ["sku", "distributor", "tier", "price", "currency", "valid_from"]
_PRODUCT_KNOWN = {"sku", "name", "manufacturer", "category", "description", "stock", "active", "updated_at"}

TECHNOLOGY_PT = {
    "Mono-c-Si": "monocristalino",
    "Multi-c-Si": "policristalino",
    "CdTe": "filme fino CdTe",
    "CIGS": "filme fino CIGS",
    "Thin Film": "filme fino",
    "a-Si": "silício amorfo",
}
CATEGORY_PT = {"module": "Módulo fotovoltaico", "inverter": "Inversor"}
_INT64 = 2**63  # Parquet and Qdrant integers are 64-bit


def _text(value) -> str:
    """A text column's value, "" for NULL (which a Parquet round trip may turn into NaN)."""
    return value if isinstance(value, str) else ""


def _num(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if pd.isna(out) else out


def _infinite_spec(specs) -> str | None:
    """The first spec whose number no payload or snapshot can hold (1e400, Infinity), named."""
    for name, value in (specs if isinstance(specs, dict) else {}).items():
        if not isinstance(value, bool) and math.isinf(_num(value) or 0.0):
            return f"spec {name!r} = {value!r} is not a finite number"
    return None


def _finite(value) -> bool:
    """Whether ``value`` (a Decimal, float or int) is a number a float payload can hold."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def _stock_problem(stock: str) -> str | None:
    if not stock.lstrip("-").isdigit():
        return f"stock {stock!r} is not an integer"
    if abs(int(stock)) >= _INT64:
        return f"stock {stock} is out of range (a 64-bit integer is at most {_INT64 - 1})"
    return None


def _read_product_drops(sources: Sources, known_skus: set[str], ex: Extraction) -> list[dict]:
    rows = []
    first_seen: dict[str, tuple[str, int]] = {}  # sku -> (object key, line) of the drop line that defines it
    for obj in sources.objects.list(PRODUCT_CSV_PREFIX):
        if not obj.key.endswith(".csv"):
            continue
        count = 0
        for item in read_csv_lines(sources.objects.get_bytes(obj.key), obj.key, PRODUCT_CSV_COLUMNS):
            if isinstance(item, Problem):
                ex.quarantined.append(item)
                if item.location in ("line 1", "whole file"):
                    ex.protected_ids.add(obj.key)  # keep what the file's last good version indexed
                continue
            line, row = item
            sku = row["sku"]
            if not sku:
                ex.quarantined.append(Problem(obj.key, f"line {line}", "empty sku", json.dumps(row)))
                continue
            stock = row.get("stock") or "0"
            specs = {k: v for k, v in row.items() if k not in _PRODUCT_KNOWN and v != ""}
            problem = _stock_problem(stock) or _infinite_spec(specs)
            if problem:
                ex.quarantined.append(Problem(obj.key, f"line {line}", problem, json.dumps(row, ensure_ascii=False)))
                continue
            if sku in first_seen:
                key, first = first_seen[sku]
                where = f"line {first}" if key == obj.key else f"{key} line {first}"
                ex.quarantined.append(Problem(obj.key, f"line {line}", f"duplicate sku {sku!r}: {where} already "
                                              "defines it (the first line wins)", json.dumps(row, ensure_ascii=False)))
                continue
            if sku in known_skus:
                continue  # the products table is the system of record for SKUs it holds
            rows.append({
                "sku": sku, "name": row["name"], "manufacturer": row["manufacturer"],
                "category": row["category"], "description": row.get("description", ""),
                "specs": specs, "active": row.get("active", "true").lower() != "false",
                "stock": int(stock), "updated_at": obj.last_modified, "source": obj.key,
            })
            first_seen[sku] = (obj.key, line)
            count += 1
        ex.rows_per_source[obj.key] = count
    return rows


def read_catalog(sources: Sources, ex: Extraction) -> pd.DataFrame:
    """Every product (table first, then CSV-only SKUs), one row per SKU."""
    with sources.engine.connect() as conn:
        table = pd.read_sql(
            sa.text("SELECT id, sku, name, manufacturer, category, description, specs, active, stock, updated_at "
                    "FROM products ORDER BY id"),
            conn,
        )
    table["source"] = "products"
    ex.rows_per_source["products"] = len(table)
    drops = _read_product_drops(sources, set(table["sku"]), ex)
    return pd.concat([table, pd.DataFrame(drops)], ignore_index=True) if drops else table


def extract_products(sources: Sources) -> Extraction:
    ex = Extraction(frame=pd.DataFrame())
    frame = read_catalog(sources, ex)
    bad = frame["name"].isna() | (frame["name"].astype(str).str.strip() == "")
    for _, row in frame[bad].iterrows():
        ex.skipped.append(Problem(row["source"], f"sku {row['sku']}", "name is NULL or empty"))
    infinite = frame["specs"].map(_infinite_spec)  # a table's JSONB may hold 1e400, which reads as inf
    for index, row in frame[~bad & infinite.notna()].iterrows():
        ex.quarantined.append(Problem(row["source"], f"sku {row['sku']}", infinite[index]))
    ex.frame = frame[~bad & infinite.isna()].reset_index(drop=True)
    return ex


def _fmt(value, digits=1) -> str:
    value = _num(value)
    if value is None:
        return "?"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def render_product(row: dict) -> tuple[str, str, dict]:
    """A product's document text, the text its dense vector is computed from, and its
    filterable fields. The text is kept short (about 60
    tokens): the embedding model's cost grows with length, and exact specs live in the payload."""
    specs = row.get("specs") or {}
    if isinstance(specs, str):
        specs = json.loads(specs)
    category = _text(row.get("category"))
    maker = _text(row.get("manufacturer")) or "não informado"
    parts = [f"{CATEGORY_PT.get(category, category.capitalize())} {row['name']}. Fabricante {maker}, SKU {row['sku']}."]
    power = None
    technology = None
    if category == "module":
        power = _num(specs.get("STC"))
        technology = specs.get("Technology")
        details = [f"{_fmt(power, 0)} W"]
        if technology:
            details.append(TECHNOLOGY_PT.get(technology, technology))
        if str(specs.get("Bifacial", "0")) in ("1", "1.0", "True", "true"):
            details.append("bifacial")
        if specs.get("N_s"):
            details.append(f"{_fmt(specs['N_s'], 0)} células")
        if specs.get("V_oc_ref"):
            details.append(f"Voc {_fmt(specs['V_oc_ref'], 1)} V")
        parts.append(", ".join(details) + ".")
    elif category == "inverter":
        power = _num(specs.get("Paco"))
        details = []
        if power is not None:
            details.append(f"{_fmt(power / 1000, 1)} kW CA")
        if specs.get("Vac"):
            details.append(f"saída {_fmt(specs['Vac'], 0)} V")
        if specs.get("Mppt_low") and specs.get("Mppt_high"):
            details.append(f"MPPT {_fmt(specs['Mppt_low'], 0)}-{_fmt(specs['Mppt_high'], 0)} V")
        if specs.get("Vdcmax"):
            details.append(f"máx. {_fmt(specs['Vdcmax'], 0)} Vcc")
        if details:
            parts.append(", ".join(details) + ".")
    else:
        parts.extend(f"{k}: {v}." for k, v in sorted(specs.items()))
    description = row.get("description")
    if isinstance(description, str) and description.strip():
        parts.append(description.strip())
    # the dense vector skips what the name already says (the maker and model are in it for
    # most CEC names): fewer tokens, same meaning; the lexical vector still sees everything
    vector_parts = [parts[0].split(". Fabricante ")[0] + "."] + parts[1:]
    if _text(row.get("manufacturer")) and row["manufacturer"] not in row["name"]:
        vector_parts.insert(1, f"Fabricante {row['manufacturer']}.")
    fields = {
        "sku": row["sku"],
        "name": row["name"],
        "manufacturer": _text(row.get("manufacturer")),
        "category": category,
        "technology": technology or "",
        "power_w": power,
        "active": bool(row.get("active", True)),
        "stock": int(row.get("stock") or 0),
    }
    return " ".join(parts), " ".join(vector_parts), fields


def chunk_products(frame: pd.DataFrame) -> list[Chunk]:
    chunks = []
    for row in frame.to_dict("records"):
        text, vector_text, fields = render_product(row)
        chunks.append(Chunk(row["sku"], 0, text, row["source"], iso(row.get("updated_at")), fields,
                            embed_text=vector_text))
    return chunks


# --- prices ---------------------------------------------------------------------------

def extract_prices(sources: Sources) -> Extraction:
    ex = Extraction(frame=pd.DataFrame())
    products = Extraction(frame=pd.DataFrame())
    catalog = read_catalog(sources, products)
    # product files that could not be read this time still exist: a price line whose SKU only
    # they carried keeps its indexed price document instead of being deleted as "unknown"
    unreadable_products = sorted(products.protected_ids)
    names = catalog.set_index("sku")[["name", "manufacturer", "category"]].to_dict("index")
    with sources.engine.connect() as conn:
        table = pd.read_sql(
            sa.text("SELECT p.id, pr.sku, p.distributor, p.tier, p.price, p.currency, p.valid_from, "
                    "p.valid_to, p.updated_at FROM prices p JOIN products pr ON pr.id = p.product_id ORDER BY p.id"),
            conn, coerce_float=False,  # Decimals: a NULL price stays None, a NaN price stays NaN
        )
    table["source"] = "prices"
    ex.rows_per_source["prices"] = len(table)
    null = table["price"].map(lambda v: v is None or (isinstance(v, float) and math.isnan(v)))
    for _, row in table[null].iterrows():
        ex.skipped.append(Problem("prices", f"id {row['id']}", "price is NULL"))
    # NUMERIC holds NaN (and Infinity), which no payload can: quarantined, never clamped
    infinite = ~null & ~table["price"].map(_finite)
    for _, row in table[infinite].iterrows():
        ex.quarantined.append(Problem("prices", f"id {row['id']}", f"price {row['price']} is not a finite number"))
    rows = table[~null & ~infinite].drop(columns=["id"]).to_dict("records")
    first_seen: dict[tuple, tuple[str, int, str]] = {}  # a CSV price's key -> (object key, line, price)
    for obj in sources.objects.list(PRICE_CSV_PREFIX):
        if not obj.key.endswith(".csv"):
            continue
        count = 0
        for item in read_csv_lines(sources.objects.get_bytes(obj.key), obj.key, PRICE_CSV_COLUMNS):
            if isinstance(item, Problem):
                ex.quarantined.append(item)
                if item.location in ("line 1", "whole file"):
                    ex.protected_ids.add(obj.key)
                continue
            line, row = item
            problem = _validate_price_line(row, names)
            if problem and row["sku"] not in names and unreadable_products:
                ex.protected_ids.add(row["sku"])
                ex.skipped.append(Problem(obj.key, f"line {line}", (
                    f"sku {row['sku']!r} is not in the readable catalog while {', '.join(unreadable_products)} "
                    "cannot be read; its indexed price document is kept unchanged"), json.dumps(row, ensure_ascii=False)))
                continue
            if problem:
                ex.quarantined.append(Problem(obj.key, f"line {line}", problem, json.dumps(row, ensure_ascii=False)))
                continue
            key = (row["sku"], row["distributor"], row["tier"], row["valid_from"])
            if key in first_seen:
                first_key, first_line, first_price = first_seen[key]
                where = f"line {first_line}" if first_key == obj.key else f"{first_key} line {first_line}"
                ex.quarantined.append(Problem(obj.key, f"line {line}", (
                    f"repeats {row['sku']} {row['distributor']} {row['tier']} from {row['valid_from']} of {where} "
                    f"(price {first_price}) with price {row['price']}; the first line wins"),
                    json.dumps(row, ensure_ascii=False)))
                continue
            first_seen[key] = (obj.key, line, row["price"])
            rows.append({
                "sku": row["sku"], "distributor": row["distributor"], "tier": row["tier"],
                "price": Decimal(row["price"]), "currency": row["currency"] or "BRL",
                "valid_from": date.fromisoformat(row["valid_from"]),
                "valid_to": date.fromisoformat(row["valid_to"]) if row.get("valid_to") else None,
                "updated_at": obj.last_modified, "source": obj.key,
            })
            count += 1
        ex.rows_per_source[obj.key] = count
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["name"] = frame["sku"].map(lambda s: names.get(s, {}).get("name"))
        frame["manufacturer"] = frame["sku"].map(lambda s: names.get(s, {}).get("manufacturer"))
        frame["category"] = frame["sku"].map(lambda s: names.get(s, {}).get("category"))
        frame["price"] = frame["price"].astype(float)
    ex.frame = frame
    return ex


def _validate_price_line(row: dict, names: dict) -> str | None:
    if row["sku"] not in names:
        return f"unknown sku {row['sku']!r}"
    if row["tier"] not in ("B1", "B3"):
        return f"tier {row['tier']!r} is not B1 or B3"
    try:
        price = Decimal(row["price"])
    except InvalidOperation:
        return f"price {row['price']!r} is not a number"
    if not _finite(price):  # NaN cannot even be compared; 1e400 and Infinity fit no payload
        return f"price {row['price']!r} is not a finite number"
    if price <= 0:
        return f"price {row['price']} is not positive"
    try:
        date.fromisoformat(row["valid_from"])
        if row.get("valid_to"):
            date.fromisoformat(row["valid_to"])
    except ValueError as exc:
        return f"bad date: {exc}"
    return None


def _brl(value: float) -> str:
    return "R$ " + f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def chunk_prices(frame: pd.DataFrame, today: date | None = None) -> list[Chunk]:
    """One document per SKU listing its current prices by distributor and tier (the newest
    valid price per distributor and tier wins)."""
    if frame.empty:
        return []
    today = pd.Timestamp(today or date.today())
    valid_from = pd.to_datetime(frame["valid_from"])
    valid_to = pd.to_datetime(frame["valid_to"])
    current = frame[(valid_from <= today) & (valid_to.isna() | (valid_to >= today))].assign(_from=valid_from)
    latest = (current.sort_values(["sku", "distributor", "tier", "_from"])
              .drop_duplicates(["sku", "distributor", "tier"], keep="last"))
    chunks = []
    for sku, rows in groupby(latest.to_dict("records"), key=lambda r: r["sku"]):
        rows = list(rows)
        first = rows[0]
        category = CATEGORY_PT.get(first["category"], first["category"] or "")
        parts = [f"Preço {category.lower()} {first['name']} (SKU {sku}):"]
        for distributor, lines in groupby(rows, key=lambda r: r["distributor"]):
            parts.append(f"{distributor} " + ", ".join(f"{r['tier']} {_brl(r['price'])}" for r in lines) + ";")
        fields = {
            "sku": sku,
            "name": first["name"],
            "category": first["category"],
            # arrays: a filter matches a document when any of its prices/distributors/tiers does
            "distributor": sorted({r["distributor"] for r in rows}),
            "tier": sorted({r["tier"] for r in rows}),
            "price": sorted(float(r["price"]) for r in rows),
            "currency": first["currency"],
        }
        updated = max((pd.Timestamp(r["updated_at"]) for r in rows if r["updated_at"] is not None), default=None)
        semantic = f"Preço {category.lower()} {first['name']} em {', '.join(fields['distributor'])}."
        sources = ",".join(sorted({r["source"] for r in rows}))
        chunks.append(Chunk(sku, 0, " ".join(parts), sources, iso(updated), fields, embed_text=semantic))
    return chunks
