"""The products domain: one document per product (PV modules and inverters), extracted from
PostgreSQL and distributor CSV drops, and rendered.

Products and prices (``domains/prices.py``) key their documents by SKU, so a product and its prices
stay linked whether they came from the ``products``/``prices`` tables or from ``catalog/`` CSV
drops. A product's specs, CEC keys or a distributor's columns, are read into the same canonical
fields (``lib/specs.py``) for its text and its payload.
"""

from __future__ import annotations

import json
import math

import sqlalchemy as sa

from helio_pipeline import vocabulary
from helio_pipeline.domains.base import Domain
from helio_pipeline.lib.chunking import CHUNKER_VERSION
from helio_pipeline.lib.golden import GoldenQuery, stride
from helio_pipeline.lib.records import (Availability, Chunk, Extraction, Problem, SourceAccess, csv_drops, frame_records,
                                        iso)
from helio_pipeline.lib.specs import SPEC_INDEXES, TECHNOLOGY_PT, canonical_specs, spec_payload
from helio_pipeline.lib.lazy_import import LazyModule

pd = LazyModule("pandas")  # imported on first use: a search reads the registry, not DataFrames

PRODUCT_CSV_PREFIX = "catalog/products/"
PRODUCT_CSV_COLUMNS = ["sku", "name", "manufacturer", "category"]
_PRODUCT_KNOWN = {"sku", "name", "manufacturer", "category", "description", "stock", "active", "updated_at"}

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


def _stock_problem(stock: str) -> str | None:
    if not stock.lstrip("-").isdigit():
        return f"stock {stock!r} is not an integer"
    if abs(int(stock)) >= _INT64:
        return f"stock {stock} is out of range (a 64-bit integer is at most {_INT64 - 1})"
    return None


def _spec_problem(kind: str, unreadable: list[str], product: str) -> str:
    """"column 'potencia_w' = 'abc' is not a number (power_w left out); sku X is indexed without it"."""
    them = "it" if len(unreadable) == 1 else "them"
    return "; ".join(f"{kind} {p}" for p in unreadable) + f"; {product} is indexed without {them}"


def _read_product_drops(sources: SourceAccess, known_skus: set[str], ex: Extraction) -> list[dict]:
    rows = []
    first_seen: dict[str, tuple[str, int]] = {}  # sku -> (object key, line) of the drop line that defines it
    for obj, line, row in csv_drops(sources, PRODUCT_CSV_PREFIX, PRODUCT_CSV_COLUMNS, ex):
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
        _, unreadable = canonical_specs(specs, row["category"])
        if unreadable:  # the product is still indexed, without those specs, and that is said
            ex.skipped.append(Problem(obj.key, f"line {line}", _spec_problem("column", unreadable, f"sku {sku}"),
                                      json.dumps(row, ensure_ascii=False)))
        rows.append({
            "sku": sku, "name": row["name"], "manufacturer": row["manufacturer"],
            "category": row["category"], "description": row.get("description", ""),
            "specs": specs, "active": row.get("active", "true").lower() != "false",
            "stock": int(stock), "updated_at": obj.last_modified, "source": obj.key,
        })
        first_seen[sku] = (obj.key, line)
        ex.rows_per_source[obj.key] += 1
    return rows


def read_catalog(sources: SourceAccess, ex: Extraction) -> pd.DataFrame:
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


def extract_products(sources: SourceAccess) -> Extraction:
    ex = Extraction(frame=pd.DataFrame())
    frame = read_catalog(sources, ex)
    bad = frame["name"].isna() | (frame["name"].astype(str).str.strip() == "")
    for _, row in frame[bad].iterrows():
        ex.skipped.append(Problem(row["source"], f"sku {row['sku']}", "name is NULL or empty"))
    infinite = frame["specs"].map(_infinite_spec)  # a table's JSONB may hold 1e400, which reads as inf
    for index, row in frame[~bad & infinite.notna()].iterrows():
        ex.quarantined.append(Problem(row["source"], f"sku {row['sku']}", infinite[index]))
    ex.frame = frame[~bad & infinite.isna()].reset_index(drop=True)
    # unreadable specs of the table's rows (a drop's were reported with their line as it was read)
    for row in frame_records(ex.frame[ex.frame["source"] == "products"]):
        _, unreadable = canonical_specs(raw_specs(row), _text(row.get("category")))
        if unreadable:
            ex.skipped.append(Problem("products", f"sku {row['sku']}", _spec_problem("spec", unreadable, "the product")))
    return ex


def raw_specs(row: dict) -> dict:
    """A row's raw specs as a dict: JSONB, a CSV line's extra columns, or their Parquet JSON text."""
    specs = row.get("specs")
    if isinstance(specs, str):
        specs = json.loads(specs)
    return specs if isinstance(specs, dict) else {}


def _fmt(value, digits=1) -> str:
    value = _num(value)
    if value is None:
        return "?"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def render_product(row: dict) -> tuple[str, str, dict]:
    """A product's document text, the text its dense vector is computed from, and its
    filterable fields. The text is kept short (about 60 tokens): the embedding model's cost
    grows with length, and exact specs live in the payload. Text and payload read the same
    canonical specs, so a CSV product reads like a table product."""
    specs = raw_specs(row)
    category = _text(row.get("category"))
    canonical = spec_payload(specs, category)
    maker = _text(row.get("manufacturer")) or "não informado"
    parts = [f"{CATEGORY_PT.get(category, category.capitalize())} {row['name']}. Fabricante {maker}, SKU {row['sku']}."]
    details = []
    if category == "module":
        if canonical["power_w"] is not None:
            details.append(f"{_fmt(canonical['power_w'], 0)} W")
        if canonical["technology"]:
            details.append(TECHNOLOGY_PT.get(canonical["technology"], canonical["technology"]))
        if canonical["bifacial"]:
            details.append("bifacial")
        if canonical["cells"] is not None:
            details.append(f"{canonical['cells']} células")
        if canonical["voc_v"] is not None:
            details.append(f"Voc {_fmt(canonical['voc_v'], 1)} V")
    elif category == "inverter":
        if canonical["power_w"] is not None:
            details.append(f"{_fmt(canonical['power_w'] / 1000, 1)} kW CA")
        if canonical["voltage_v"] is not None:
            details.append(f"saída {_fmt(canonical['voltage_v'], 0)} V")
        if canonical["mppt_low_v"] is not None and canonical["mppt_high_v"] is not None:
            details.append(f"MPPT {_fmt(canonical['mppt_low_v'], 0)}-{_fmt(canonical['mppt_high_v'], 0)} V")
        if canonical["dc_voltage_v"] is not None:
            details.append(f"máx. {_fmt(canonical['dc_voltage_v'], 0)} Vcc")
    else:
        parts.extend(f"{k}: {v}." for k, v in sorted(specs.items()))
    if details:
        parts.append(", ".join(details) + ".")
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
        **canonical,
        "active": bool(row.get("active", True)),
        "stock": int(row.get("stock") or 0),
    }
    return " ".join(parts), " ".join(vector_parts), fields


def chunk_products(frame: pd.DataFrame) -> list[Chunk]:
    chunks = []
    for row in frame_records(frame):
        text, vector_text, fields = render_product(row)
        chunks.append(Chunk(row["sku"], 0, text, row["source"], iso(row.get("updated_at")), fields,
                            embed_text=vector_text))
    return chunks


def derived_golden(chunks: list[Chunk]) -> list[GoldenQuery]:
    """A supplement to the hand-written questions: six model codes and six catalog names of
    products spread over the catalog, each expected to find its own product."""
    picked = stride(sorted((c for c in chunks if c.chunk_no == 0), key=lambda c: c.source_id), 12)
    codes = [GoldenQuery(c.fields["sku"].split("@")[0], frozenset({c.source_id}), origin="derived")
             for c in picked[::2]]
    names = [GoldenQuery(c.fields["name"], frozenset({c.source_id}), origin="derived") for c in picked[1::2]]
    return codes + names


CHANGE_TRACKING_SQL = """
CREATE OR REPLACE FUNCTION kb_log_products() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO kb_change_log (table_name, row_key, operation) VALUES ('products', OLD.sku, TG_OP);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.sku IS DISTINCT FROM OLD.sku) THEN
        INSERT INTO kb_change_log (table_name, row_key, operation) VALUES ('products', NEW.sku, TG_OP);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS kb_products_changes ON products;
CREATE TRIGGER kb_products_changes AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION kb_log_products();
"""

DOMAIN = Domain(
    name="products",
    description="One document per product (PV modules and inverters): name, maker, category and key specs.",
    extract=extract_products,
    chunk=chunk_products,
    # SPEC_INDEXES: the canonical specs (lib/specs.py): power_w, technology, bifacial, cells,
    # voc_v, isc_a, vmp_v, imp_a, ptc_w, voltage_v, dc_voltage_v, mppt_low_v, mppt_high_v, dc_current_a
    filter_fields={"sku": "keyword", "manufacturer": "keyword", "category": "keyword", **SPEC_INDEXES,
                   "active": "bool", "stock": "integer"},
    chunker_version=f"{CHUNKER_VERSION}.p4",
    sources=("postgres/products", "s3/catalog/products"),
    csv_columns={PRODUCT_CSV_PREFIX: tuple(PRODUCT_CSV_COLUMNS)},
    change_tracking_sql=CHANGE_TRACKING_SQL,
    vocabulary=vocabulary.PRODUCTS_PT,
    maker_field="manufacturer",
    cues=vocabulary.PRODUCT_CUES,
    availability=Availability(
        live_sql="SELECT sku, active AND stock > 0 FROM products WHERE sku = ANY(:ids)",
        indexed=lambda payload: bool(payload.get("active")) and (payload.get("stock") or 0) > 0,
    ),
    derived_golden=derived_golden,
)
