"""``helio seed``: fill PostgreSQL and the object store with deterministic demo data.

- products: pvlib CEC modules and inverters (≈90 % in ``products``, the rest only in a
  distributor CSV drop under ``catalog/products/``, specs in the distributor's own columns:
  ``potencia_w``, ``tecnologia``, ``celulas``, ``tensao_v``... with a decimal comma);
- prices: B1/B3 from three distributors; the third only as a CSV drop in ``catalog/prices/``;
- rules: the pt-BR corpus, part in ``business_rules``, part as Markdown and PDF in ``rules/``;
- conversations: generated pt-BR dialogues, part in ``conversation_history``, part as JSONL
  exports in ``conversations/``.

A few deliberately bad lines (a non-numeric stock, an unknown tier, a truncated JSON line, a
corrupt PDF) show how bad input is quarantined. Seeding twice changes nothing: rows are
inserted only when absent and unchanged objects are not rewritten.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import sqlalchemy as sa

from helio_pipeline.demo.catalog_data import DISTRIBUTORS, load_catalog, price_rows
from helio_pipeline.demo.conversations import generate_conversations
from helio_pipeline.demo.golden import seed_golden
from helio_pipeline.demo.rules_corpus import RULES
from helio_pipeline.lib.objectstore import ObjectStore
from helio_pipeline.lib.specs import TECHNOLOGY_PT

SEEDED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
PRODUCT_DROP = "catalog/products/nordeste-solar-lancamentos-2026-11.csv"
PRICE_DROP = "catalog/prices/ecovolt-tabela-2026-11.csv"


def _csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _pdf_bytes(title: str, body: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(SEEDED_AT)  # deterministic bytes: same input, same file
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, title.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    clean = body.replace("—", "-").replace("–", "-").replace("“", '"').replace("”", '"').replace("’", "'")
    for paragraph in clean.split("\n"):
        pdf.multi_cell(0, 5, paragraph.lstrip("#").strip().encode("latin-1", "replace").decode("latin-1") or " ",
                       new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# the distributor's own spec columns (Portuguese, decimal comma) -> the CEC key each one carries
DROP_SPEC_COLUMNS = {
    "potencia_w": ("STC", "Paco"), "tecnologia": ("Technology",), "bifacial": ("Bifacial",), "celulas": ("N_s",),
    "voc_v": ("V_oc_ref",), "isc_a": ("I_sc_ref",), "tensao_v": ("Vac",), "tensao_cc_max_v": ("Vdcmax",),
    "mppt_min_v": ("Mppt_low",), "mppt_max_v": ("Mppt_high",),
}


def _drop_specs(specs: dict) -> list[str]:
    """A product's specs as a Brazilian distributor writes them: "330,22", "policristalino", "sim"."""
    out = []
    for keys in DROP_SPEC_COLUMNS.values():
        value = next((specs[k] for k in keys if k in specs), "")
        if keys == ("Technology",):
            value = TECHNOLOGY_PT.get(value, value)
        elif keys == ("Bifacial",) and value != "":
            value = "sim" if float(value) else "não"
        elif isinstance(value, float):  # the shortest exact form: "330,22", "72", "215"
            value = repr(value).removesuffix(".0").replace(".", ",")
        out.append(value)
    return out


def seed_products(engine, objects: ObjectStore, products: list[dict]) -> dict:
    in_table = [p for i, p in enumerate(products) if i % 10 != 7]
    drop_only = [p for i, p in enumerate(products) if i % 10 == 7]
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO products (sku, name, manufacturer, category, description, specs, active, stock, updated_at) "
                    "VALUES (:sku, :name, :manufacturer, :category, :description, CAST(:specs AS jsonb), :active, :stock, :updated_at) "
                    "ON CONFLICT (sku) DO NOTHING"),
            [{**p, "specs": json.dumps(p["specs"]), "updated_at": SEEDED_AT} for p in in_table],
        )
    header = ["sku", "name", "manufacturer", "category", "description", "stock", *DROP_SPEC_COLUMNS]
    rows = [[p["sku"], p["name"], p["manufacturer"], p["category"], p["description"], p["stock"],
             *_drop_specs(p["specs"])] for p in drop_only]
    if rows:  # one line a distributor got wrong: quarantined with its line number, the rest indexed
        rows.insert(len(rows) // 2, [rows[0][0] + "-X", "Linha com estoque inválido", "Desconhecido", "module", "",
                                     "muitos"] + [""] * len(DROP_SPEC_COLUMNS))
    objects.put_bytes(PRODUCT_DROP, _csv_bytes(header, rows))
    return {"products_table": len(in_table), "products_csv": len(drop_only)}


def seed_prices(engine, objects: ObjectStore, products: list[dict]) -> dict:
    rows = price_rows(products)
    table_rows = [r for r in rows if r["distributor"] != DISTRIBUTORS[2]]
    skus_in_table = {p["sku"] for i, p in enumerate(products) if i % 10 != 7}
    drop_rows = [r for r in rows if r["distributor"] == DISTRIBUTORS[2] or r["sku"] not in skus_in_table]
    table_rows = [r for r in table_rows if r["sku"] in skus_in_table]
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO prices (product_id, distributor, tier, price, currency, valid_from, updated_at) "
                    "SELECT id, :distributor, :tier, :price, :currency, CAST(:valid_from AS date), :updated_at "
                    "FROM products WHERE sku = :sku "
                    "ON CONFLICT (product_id, distributor, tier, valid_from) DO NOTHING"),
            [{**r, "updated_at": SEEDED_AT} for r in table_rows],
        )
    header = ["sku", "distributor", "tier", "price", "currency", "valid_from", "valid_to"]
    csv_rows = [[r[h] for h in header] for r in drop_rows]
    if csv_rows:
        csv_rows.insert(1, [csv_rows[0][0], DISTRIBUTORS[2], "B2", "999.00", "BRL", "2026-01-01", ""])
    objects.put_bytes(PRICE_DROP, _csv_bytes(header, csv_rows))
    return {"prices_table": len(table_rows), "prices_csv": len(drop_rows)}


def seed_rules(engine, objects: ObjectStore) -> dict:
    table, files = [], 0
    for i, rule in enumerate(RULES):
        if i % 3 == 0:  # a third of the rules arrive as documents in the bucket
            if i % 2 == 0:
                objects.put_bytes(f"rules/{rule['kind']}/{rule['slug']}.pdf", _pdf_bytes(rule["title"], rule["body"]))
            else:
                text = f"---\ntitle: {rule['title']}\nkind: {rule['kind']}\n---\n# {rule['title']}\n\n{rule['body']}\n"
                objects.put_bytes(f"rules/{rule['kind']}/{rule['slug']}.md", text.encode("utf-8"))
            files += 1
        else:
            table.append({**rule, "updated_at": SEEDED_AT})
    objects.put_bytes("rules/regulatory/digitalizacao-ilegivel.pdf", b"%PDF-1.4\n%corrupted upload, no objects\n")
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO business_rules (slug, title, body, kind, updated_at) "
                    "VALUES (:slug, :title, :body, :kind, :updated_at) ON CONFLICT (slug) DO NOTHING"),
            table,
        )
    return {"rules_table": len(table), "rules_files": files}


def seed_conversations(engine, objects: ObjectStore, products: list[dict], n: int = 320) -> dict:
    conversations = generate_conversations(products, n=n, seed=42)
    in_table = [c for i, c in enumerate(conversations) if i % 10 >= 3]
    exported = [c for i, c in enumerate(conversations) if i % 10 < 3]
    with engine.begin() as conn:
        present = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT correlation_id FROM conversation_history"))}
        rows = [
            {"correlation_id": c["correlation_id"], "owner_id": c["owner_id"], "role": m["role"],
             "content": m["content"], "metadata": json.dumps(m.get("metadata", {}), ensure_ascii=False),
             "created_at": m["created_at"]}
            for c in in_table if c["correlation_id"] not in present for m in c["messages"]
        ]
        if rows:
            conn.execute(
                sa.text("INSERT INTO conversation_history (correlation_id, owner_id, role, content, metadata, created_at) "
                        "VALUES (:correlation_id, :owner_id, :role, :content, CAST(:metadata AS jsonb), :created_at)"),
                rows,
            )
    by_month: dict[str, list[str]] = {}
    for conv in exported:
        for m in conv["messages"]:
            line = json.dumps({"correlation_id": conv["correlation_id"], "owner_id": conv["owner_id"], "role": m["role"],
                               "content": m["content"], "created_at": m["created_at"].isoformat(),
                               "metadata": m.get("metadata", {})}, ensure_ascii=False)
            by_month.setdefault(m["created_at"].strftime("%Y-%m"), []).append(line)
    for i, (month, lines) in enumerate(sorted(by_month.items())):
        if i == 0:  # an export cut off mid-line: quarantined, the other lines indexed
            lines = lines[:3] + [lines[3][: len(lines[3]) // 2]] + lines[3:]
        objects.put_bytes(f"conversations/export-{month}.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    return {"conversations_table": len(in_table), "conversations_jsonl": len(exported)}


def seed(engine, objects: ObjectStore, products: int | str = 2000, conversations: int = 320) -> dict:
    """Seed everything; returns counts per part. First creates the demo's source tables and
    applies pending migrations (``helio db migrate --demo``): the demo owns its database."""
    from helio_pipeline.schema import migrate

    migrate(engine, demo=True)  # source tables first, then the change-log triggers on them
    if hasattr(objects, "ensure_bucket"):
        objects.ensure_bucket()
    catalog = load_catalog(products)
    counts = {"catalog_sample": len(catalog)}
    counts.update(seed_products(engine, objects, catalog))
    counts.update(seed_prices(engine, objects, catalog))
    counts.update(seed_rules(engine, objects))
    counts.update(seed_conversations(engine, objects, catalog, n=conversations))
    counts.update(seed_golden(engine))  # hand-written golden questions in kb_golden_queries
    return counts
