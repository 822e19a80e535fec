"""Products and prices: extraction from PostgreSQL + distributor CSV drops, and rendering.

Both domains key their documents by SKU, so a product and its prices stay linked whether
they came from the ``products``/``prices`` tables or from ``catalog/`` CSV drops.
"""

from __future__ import annotations

import json
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


def _num(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(out) else out


def _read_product_drops(sources: Sources, known_skus: set[str], ex: Extraction) -> list[dict]:
    rows = []
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
            if not stock.lstrip("-").isdigit():
                ex.quarantined.append(Problem(obj.key, f"line {line}", f"stock {stock!r} is not an integer", json.dumps(row)))
                continue
            if sku in known_skus:
                continue  # the products table is the system of record for SKUs it holds
            specs = {k: v for k, v in row.items() if k not in _PRODUCT_KNOWN and v != ""}
            rows.append({
                "sku": sku, "name": row["name"], "manufacturer": row["manufacturer"],
                "category": row["category"], "description": row.get("description", ""),
                "specs": specs, "active": row.get("active", "true").lower() != "false",
                "stock": int(stock), "updated_at": obj.last_modified, "source": obj.key,
            })
            known_skus.add(sku)
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
    ex.frame = frame[~bad].reset_index(drop=True)
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
    category = row.get("category") or ""
    maker = row.get("manufacturer") or "não informado"
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
    if row.get("manufacturer") and row["manufacturer"] not in row["name"]:
        vector_parts.insert(1, f"Fabricante {row['manufacturer']}.")
    fields = {
        "sku": row["sku"],
        "name": row["name"],
        "manufacturer": row.get("manufacturer") or "",
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
    catalog = read_catalog(sources, Extraction(frame=pd.DataFrame()))
    names = catalog.set_index("sku")[["name", "manufacturer", "category"]].to_dict("index")
    with sources.engine.connect() as conn:
        table = pd.read_sql(
            sa.text("SELECT p.id, pr.sku, p.distributor, p.tier, p.price, p.currency, p.valid_from, "
                    "p.valid_to, p.updated_at FROM prices p JOIN products pr ON pr.id = p.product_id ORDER BY p.id"),
            conn,
        )
    table["source"] = "prices"
    ex.rows_per_source["prices"] = len(table)
    bad = table["price"].isna()
    for _, row in table[bad].iterrows():
        ex.skipped.append(Problem("prices", f"id {row['id']}", "price is NULL"))
    rows = table[~bad].drop(columns=["id"]).to_dict("records")
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
            if problem:
                ex.quarantined.append(Problem(obj.key, f"line {line}", problem, json.dumps(row, ensure_ascii=False)))
                continue
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
