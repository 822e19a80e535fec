"""Prices: B1/B3 prices per SKU from the ``prices`` table and distributor CSV drops.

One document per SKU, linked to its product by the SKU. Its payload also carries the
product's attributes a price question filters on (maker, power, technology, AC voltage),
read from the catalog as the products domain reads them (``lib/specs.py``).
"""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import groupby

import sqlalchemy as sa

from helio_pipeline import vocabulary
from helio_pipeline.domains.base import Domain
from helio_pipeline.domains.products import (
    PRODUCT_CSV_COLUMNS, PRODUCT_CSV_PREFIX, CATEGORY_PT, _num, _text, raw_specs, read_catalog,
)
from helio_pipeline.lib.chunking import CHUNKER_VERSION
from helio_pipeline.lib.golden import GoldenQuery, stride
from helio_pipeline.lib.records import Chunk, Extraction, Problem, SourceAccess, csv_drops, frame_records, iso
from helio_pipeline.lib.specs import canonical_specs
from helio_pipeline.lib.lazy_import import LazyModule

pd = LazyModule("pandas")  # imported on first use: a search reads the registry, not DataFrames

PRICE_CSV_PREFIX = "catalog/prices/"
PRICE_CSV_COLUMNS = ["sku", "distributor", "tier", "price", "currency", "valid_from"]
# the catalog's columns and canonical specs each price document carries
PRODUCT_ATTRIBUTES = ("name", "manufacturer", "category", "power_w", "technology", "voltage_v")


def _finite(value) -> bool:
    """Whether ``value`` (a Decimal, float or int) is a number a float payload can hold."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def _product_attributes(catalog: pd.DataFrame) -> dict[str, dict]:
    """sku -> the product attributes its price document carries."""
    out = {}
    for row in frame_records(catalog):  # unreadable specs: the products domain reports them
        values, _ = canonical_specs(raw_specs(row), _text(row.get("category")))
        out[row["sku"]] = {"name": row["name"], "manufacturer": row["manufacturer"], "category": row["category"],
                           **{k: values.get(k) for k in PRODUCT_ATTRIBUTES[3:]}}
    return out


def extract_prices(sources: SourceAccess) -> Extraction:
    ex = Extraction(frame=pd.DataFrame())
    products = Extraction(frame=pd.DataFrame())
    catalog = read_catalog(sources, products)
    # product files that could not be read this time still exist: a price line whose SKU only
    # they carried keeps its indexed price document instead of being deleted as "unknown"
    unreadable_products = sorted(products.protected_ids)
    products_by_sku = _product_attributes(catalog)
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
    rows = frame_records(table[~null & ~infinite].drop(columns=["id"]))
    first_seen: dict[tuple, tuple[str, int, str]] = {}  # a CSV price's key -> (object key, line, price)
    for obj, line, row in csv_drops(sources, PRICE_CSV_PREFIX, PRICE_CSV_COLUMNS, ex):
        problem = _validate_price_line(row, products_by_sku)
        if problem and row["sku"] not in products_by_sku and unreadable_products:
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
        ex.rows_per_source[obj.key] += 1
    frame = pd.DataFrame(rows)
    if not frame.empty:
        for column in PRODUCT_ATTRIBUTES:
            frame[column] = frame["sku"].map(lambda s, c=column: products_by_sku.get(s, {}).get(c))
        frame["price"] = frame["price"].astype(float)
    ex.frame = frame
    return ex


def _validate_price_line(row: dict, products_by_sku: dict) -> str | None:
    if row["sku"] not in products_by_sku:
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
    for sku, rows in groupby(frame_records(latest), key=lambda r: r["sku"]):
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
            "manufacturer": _text(first.get("manufacturer")),
            # the product's specs a price question filters on ("inversor trifásico até R$ 5 mil")
            "power_w": _num(first.get("power_w")),
            "technology": first.get("technology") if isinstance(first.get("technology"), str) else None,
            "voltage_v": _num(first.get("voltage_v")),
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


def derived_golden(chunks: list[Chunk]) -> list[GoldenQuery]:
    """A supplement to the hand-written questions: "preço <name>" for six products spread over
    the catalog, each expected to find that product's price document."""
    firsts = sorted((c for c in chunks if c.chunk_no == 0), key=lambda c: c.source_id)
    return [GoldenQuery(f"preço {c.fields['name']}", frozenset({c.source_id}), origin="derived")
            for c in stride(firsts, 6)]


CHANGE_TRACKING_SQL = """
CREATE OR REPLACE FUNCTION kb_log_prices() RETURNS trigger AS $$
DECLARE
    pid BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id ELSE NEW.product_id END;
BEGIN
    -- NULL when the product itself was deleted (cascade): its own log row covers it
    INSERT INTO kb_change_log (table_name, row_key, operation)
    VALUES ('prices', (SELECT sku FROM products WHERE id = pid), TG_OP);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS kb_prices_changes ON prices;
CREATE TRIGGER kb_prices_changes AFTER INSERT OR UPDATE OR DELETE ON prices
    FOR EACH ROW EXECUTE FUNCTION kb_log_prices();
"""

DOMAIN = Domain(
    name="prices",
    description="One document per product listing its current B1/B3 prices across distributors.",
    extract=extract_prices,
    chunk=chunk_prices,
    filter_fields={"sku": "keyword", "distributor": "keyword", "tier": "keyword", "category": "keyword",
                   "price": "float", "manufacturer": "keyword", "power_w": "float", "technology": "keyword",
                   "voltage_v": "float"},
    chunker_version=f"{CHUNKER_VERSION}.pr5",
    # a product's name and specs appear in its price document: product changes re-sync it too
    sources=("postgres/prices", "postgres/products", "s3/catalog/prices", "s3/catalog/products"),
    csv_columns={PRICE_CSV_PREFIX: tuple(PRICE_CSV_COLUMNS), PRODUCT_CSV_PREFIX: tuple(PRODUCT_CSV_COLUMNS)},
    change_tracking_sql=CHANGE_TRACKING_SQL,
    vocabulary=vocabulary.PRICES_PT,
    maker_field="manufacturer",
    cues=vocabulary.PRICE_CUES,
    refines=("products",),
    derived_golden=derived_golden,
    # chunk_prices keeps the prices valid today: a new day can change documents with no row changed
    time_bucket=lambda: date.today().isoformat(),
)
