"""The rules domain: business rules and regulatory documents, the ``business_rules`` table plus
Markdown, text and PDF files under ``rules/`` in the object store, chunked in ~500-token
windows.

Its golden questions are hand-written by the business team (``kb_golden_queries``, expected
documents named by ``slug``); document titles are a derived supplement, reported apart."""

from __future__ import annotations

import io
import logging
import re

import sqlalchemy as sa

from helio_pipeline import vocabulary
from helio_pipeline.domains.base import Domain
from helio_pipeline.lib.chunking import CHUNKER_VERSION, token_windows
from helio_pipeline.lib.golden import GoldenQuery, stride
from helio_pipeline.lib.records import Chunk, Extraction, Problem, SourceAccess, frame_records, iso
from helio_pipeline.lib.lazy_import import LazyModule

pd = LazyModule("pandas")  # imported on first use: a search reads the registry, not DataFrames

RULES_PREFIX = "rules/"
# the closing "---" may end the file without a newline (front matter and nothing else)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.S)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a bad PDF is reported once, by key, by the caller
    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join((page.extract_text() or "") for page in reader.pages)


def parse_document(key: str, data: bytes) -> dict:
    """Title, kind and body of one file. Kind comes from front matter or the folder
    (``rules/warranty/x.md``); title from front matter, the first ``#`` heading, or the name."""
    if key.endswith(".pdf"):
        body = _pdf_text(data)
    else:
        body = data.decode("utf-8-sig")  # a BOM would hide the front matter's opening "---"
    body.encode("utf-8")  # a PDF's text may hold a lone surrogate: no snapshot or payload can
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(body)
    if match:
        for line in (match.group(1) or "").splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                meta[k.strip().lower()] = v.strip()
        body = body[match.end():]
    parts = key.split("/")
    kind = meta.get("kind") or (parts[1] if len(parts) > 2 else "general")
    title = meta.get("title")
    if not title:
        heading = re.search(r"^#\s+(.+)$", body, re.M)
        title = heading.group(1).strip() if heading else parts[-1].rsplit(".", 1)[0].replace("-", " ")
    return {"title": title, "kind": kind, "body": body.strip()}


def extract_rules(sources: SourceAccess) -> Extraction:
    ex = Extraction(frame=pd.DataFrame())
    with sources.engine.connect() as conn:
        table = pd.read_sql(
            sa.text("SELECT id, slug, title, body, kind, updated_at FROM business_rules ORDER BY id"), conn
        )
    ex.rows_per_source["business_rules"] = len(table)
    rows = []
    for row in frame_records(table):
        if not isinstance(row["body"], str) or not row["body"].strip():
            ex.skipped.append(Problem("business_rules", f"id {row['id']}", "body is NULL or empty"))
            continue
        slug = row["slug"] if isinstance(row["slug"], str) and row["slug"].strip() else None  # NULL may read as NaN
        rows.append({"source_id": f"business_rules:{row['id']}", "source": "business_rules",
                     "slug": slug or f"business-rule-{row['id']}",
                     "title": row["title"], "kind": row["kind"], "body": row["body"],
                     "updated_at": row["updated_at"]})
    for obj in sources.objects.list(RULES_PREFIX):
        if not obj.key.endswith((".md", ".txt", ".pdf")):
            ex.skipped.append(Problem(obj.key, "whole file", "unsupported file type (use .md, .txt or .pdf)"))
            continue
        try:
            data = sources.objects.get_bytes(obj.key)
        except Exception as exc:  # noqa: BLE001 - a read error (perhaps passing): reported by key, others proceed
            ex.quarantined.append(Problem(obj.key, "whole file", f"could not be read: {type(exc).__name__}: {exc}"[:300]))
            ex.protected_ids.add(obj.key)
            ex.unread.add(obj.key)
            continue
        try:
            doc = parse_document(obj.key, data)
        except Exception as exc:  # noqa: BLE001 - any parser failure is reported by key, others proceed
            ex.quarantined.append(Problem(obj.key, "whole file", f"unreadable: {type(exc).__name__}: {exc}"[:300]))
            ex.protected_ids.add(obj.key)  # keep what was indexed from its last good version
            continue
        if not doc["body"]:
            ex.skipped.append(Problem(obj.key, "whole file", "no text found (scanned PDF or empty file)"))
            ex.protected_ids.add(obj.key)
            continue
        slug = obj.key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        rows.append({"source_id": obj.key, "source": obj.key, "slug": slug, **doc, "updated_at": obj.last_modified})
        ex.rows_per_source[obj.key] = 1
    ex.frame = pd.DataFrame(rows)
    return ex


def chunk_rules(frame: pd.DataFrame) -> list[Chunk]:
    chunks = []
    for row in frame_records(frame):
        # the title leads every window so each chunk says what it is about
        for n, window in enumerate(token_windows(row["body"], max_tokens=480, overlap=50)):
            text = f"{row['title']}\n{window}"
            fields = {"title": row["title"], "kind": row["kind"], "slug": row["slug"]}
            chunks.append(Chunk(row["source_id"], n, text, row["source"], iso(row["updated_at"]), fields))
    return chunks


def derived_golden(chunks: list[Chunk]) -> list[GoldenQuery]:
    """A supplement to the hand-written questions: the titles of six documents spread over the
    corpus, each expected to find its document (a lexical measure: titles are in the text)."""
    firsts = sorted((c for c in chunks if c.chunk_no == 0 and c.fields.get("title")), key=lambda c: c.source_id)
    return [GoldenQuery(c.fields["title"], frozenset({c.source_id}), origin="derived") for c in stride(firsts, 6)]


CHANGE_TRACKING_SQL = """
CREATE OR REPLACE FUNCTION kb_log_business_rules() RETURNS trigger AS $$
BEGIN
    INSERT INTO kb_change_log (table_name, row_key, operation)
    VALUES ('business_rules', 'business_rules:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END), TG_OP);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS kb_business_rules_changes ON business_rules;
CREATE TRIGGER kb_business_rules_changes AFTER INSERT OR UPDATE OR DELETE ON business_rules
    FOR EACH ROW EXECUTE FUNCTION kb_log_business_rules();
"""

DOMAIN = Domain(
    name="rules",
    description="Business rules and regulatory summaries in ~500-token windows with 50 tokens of overlap.",
    extract=extract_rules,
    chunk=chunk_rules,
    filter_fields={"kind": "keyword", "slug": "keyword"},
    chunker_version=f"{CHUNKER_VERSION}.r2",
    sources=("postgres/business_rules", "s3/rules"),
    change_tracking_sql=CHANGE_TRACKING_SQL,
    cues=vocabulary.RULE_CUES,
    refines=("products",),
    derived_golden=derived_golden,
)
