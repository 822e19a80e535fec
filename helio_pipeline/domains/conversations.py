"""The conversations domain: ``conversation_history`` rows plus JSONL transcript exports under
``conversations/``, chunked as windows of consecutive turns within one conversation, per
owner (the tenant field), with personal data redacted before anything is stored. Its
``recent_messages`` hook gives KnowledgeBase.memory the last turns of a conversation."""

from __future__ import annotations

import json
import re
from datetime import datetime
from itertools import groupby

import sqlalchemy as sa

from helio_pipeline import vocabulary
from helio_pipeline.domains.base import Domain
from helio_pipeline.lib.chunking import CHUNKER_VERSION, turn_windows
from helio_pipeline.lib.golden import GoldenQuery, stride
from helio_pipeline.lib.redaction import REDACTOR_VERSION, redact
from helio_pipeline.lib.records import Chunk, Extraction, Problem, SourceAccess, frame_records, iso, read_jsonl_lines
from helio_pipeline.lib.sharding import sql_shard_predicate
from helio_pipeline.lib.lazy_import import LazyModule

pd = LazyModule("pandas")  # imported on first use: a search reads the registry, not DataFrames

TRANSCRIPTS_PREFIX = "conversations/"
ROLES = {"user": "Cliente", "assistant": "Hélio", "system": "Sistema"}
_REQUIRED = ("correlation_id", "owner_id", "role", "content", "created_at")
SQL_SOURCE_ID = "owner_id || '/' || correlation_id"  # source_id() computed in SQL


def source_id(owner_id: str, correlation_id: str) -> str:
    """A conversation's source id: keyed by owner too, so a correlation id reused by another
    tenant can never overwrite this one."""
    return f"{owner_id}/{correlation_id}"


def extract_conversations(sources: SourceAccess) -> Extraction:
    ex = Extraction(frame=pd.DataFrame())
    shard = sources.shard
    # a shard run reads only its conversations: the shard is computed inside PostgreSQL
    where = ""
    if shard is not None and shard.count > 1:
        where = f"WHERE {sql_shard_predicate(SQL_SOURCE_ID, shard.count, shard.index)} "
    with sources.engine.connect() as conn:
        table = pd.read_sql(
            sa.text("SELECT id, correlation_id, owner_id, role, content, created_at "
                    f"FROM conversation_history {where}ORDER BY owner_id, correlation_id, created_at, id"),
            conn,
        )
    table["source"] = "conversation_history"
    table["message_id"] = "conversation_history:" + table["id"].astype(str)
    ex.rows_per_source["conversation_history"] = len(table)
    # a conversation without an owner belongs to no tenant: it can be neither filtered nor searched
    keyless = (table["owner_id"].astype(str).str.strip() == "") | (table["correlation_id"].astype(str).str.strip() == "") \
        | table["owner_id"].astype(str).str.contains("/", regex=False)
    for _, row in table[keyless].iterrows():
        ex.quarantined.append(Problem("conversation_history", f"id {row['id']}", _key_problem(row)))
    empty = ~keyless & (table["content"].isna() | (table["content"].astype(str).str.strip() == ""))
    for _, row in table[empty].iterrows():
        ex.skipped.append(Problem("conversation_history", f"id {row['id']}", "content is NULL or empty"))
    rows = frame_records(table[~keyless & ~empty].drop(columns=["id"]))
    for obj in sources.objects.list(TRANSCRIPTS_PREFIX):
        if not obj.key.endswith(".jsonl"):
            continue
        count = 0
        for item in read_jsonl_lines(sources.objects.get_bytes(obj.key), obj.key):
            if isinstance(item, Problem):
                ex.quarantined.append(item)
                continue
            line, msg = item
            missing = [f for f in _REQUIRED if msg.get(f) is None or not str(msg[f]).strip()]
            created = _timestamp(msg.get("created_at"))
            # a list or an object is no owner or conversation id
            bad_key = [f for f in ("owner_id", "correlation_id") if not isinstance(msg.get(f), (str, int))]
            slash = not missing and not bad_key and "/" in str(msg["owner_id"])
            if missing or bad_key or slash or not isinstance(msg.get("role"), str) or msg["role"] not in ROLES \
                    or created is None:
                reason = (f"missing {missing}" if missing else f"{bad_key} must be text or a number" if bad_key
                          else _key_problem(msg) if slash else f"bad role or created_at in {obj.key}")
                target = ex.skipped if missing == ["content"] else ex.quarantined
                target.append(Problem(obj.key, f"line {line}", reason, json.dumps(msg, ensure_ascii=False)))
                continue
            if shard is not None and not shard.contains(source_id(str(msg["owner_id"]), str(msg["correlation_id"]))):
                continue
            rows.append({"correlation_id": str(msg["correlation_id"]), "owner_id": str(msg["owner_id"]),
                         "role": msg["role"], "content": str(msg["content"]), "created_at": created,
                         "source": obj.key, "message_id": f"{obj.key}:{line}"})
            count += 1
        ex.rows_per_source[obj.key] = count
    frame = pd.DataFrame(rows)
    if not frame.empty and sources.redact_pii:
        # before anything is snapshotted, embedded or stored as payload
        frame["content"] = [_redact(text, ex.redactions) for text in frame["content"]]
    if not frame.empty:
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        frame = frame.sort_values(["owner_id", "correlation_id", "created_at"], kind="stable").reset_index(drop=True)
    ex.frame = frame
    return ex


def _key_problem(row) -> str:
    """Why a conversation's owner/correlation pair cannot key it: a blank id, or an owner id
    holding the "/" that separates the two in source ids ("a/b" + "c" and "a" + "b/c" would be
    one conversation, and one tenant's windows would overwrite another's)."""
    blank = [f for f in ("owner_id", "correlation_id") if not str(row[f]).strip()]
    if blank:
        return f"{' and '.join(blank)} is empty"
    return "owner_id contains '/', which separates owner and conversation in source ids"


# a date, time to the microsecond at most, and an offset: what datetime parses exactly as pandas does
_PLAIN_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:\d{2})?")


def _timestamp(value) -> pd.Timestamp | None:
    """An ISO-8601 string as a UTC timestamp; None for anything else (a number, a list, 99999-01-01)."""
    if not isinstance(value, str):
        return None
    parsed = None
    if _PLAIN_ISO.fullmatch(value):  # the common case, parsed without pandas' per-call cost (one per message)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
    if parsed is not None and 1678 <= parsed.year <= 2261:  # inside pandas' nanosecond range
        ts = pd.Timestamp(parsed)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    try:
        ts = pd.to_datetime(value, utc=True, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(ts) else ts


def _redact(text: str, counts: dict[str, int]) -> str:
    result = redact(text)
    for kind, n in result.counts.items():
        counts[kind] = counts.get(kind, 0) + n
    return result.text


def _conversation(record: dict) -> tuple:
    return record["owner_id"], record["correlation_id"]


def chunk_conversations(frame: pd.DataFrame, size: int = 6, overlap: int = 1) -> list[Chunk]:
    chunks = []
    if frame.empty:
        return chunks
    # one conversion of the whole frame, then conversations in key order, each in frame order
    # (what groupby(sort=True) gives, without a DataFrame and a conversion per conversation)
    records = frame_records(frame)
    keyed = sorted((r for r in records if not (pd.isna(r["owner_id"]) or pd.isna(r["correlation_id"]))),
                   key=_conversation)  # stable: frame order within a conversation; groupby drops missing keys
    for (owner, correlation), group in groupby(keyed, key=_conversation):
        messages = list(group)
        turns = [f"{ROLES[m['role']]}: {m['content'].strip()}" for m in messages]
        for n, (start, end) in enumerate(turn_windows(turns, size=size, overlap=overlap)):
            window = messages[start:end]
            fields = {
                "owner_id": owner,
                "correlation_id": correlation,
                "started_at": iso(window[0]["created_at"]),
                "ended_at": iso(window[-1]["created_at"]),
                "message_ids": [m["message_id"] for m in window],
            }
            # system prompts are not customer content: shown and matched, but kept out of the vector
            spoken = [t for t, m in zip(turns[start:end], window) if m["role"] != "system"]
            chunks.append(Chunk(source_id(owner, correlation), n, "\n".join(turns[start:end]), window[0]["source"],
                                iso(window[-1]["created_at"]), fields, embed_text="\n".join(spoken)))
    return chunks


def recent_messages(engine, owner_id: str, correlation_id: str, limit: int) -> list[dict]:
    """The last ``limit`` messages of one conversation of one owner, oldest first, as stored
    (the caller redacts what it returns)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT id, role, content, created_at FROM conversation_history "
            "WHERE owner_id = :o AND correlation_id = :c ORDER BY created_at DESC, id DESC LIMIT :n"),
            {"o": owner_id, "c": correlation_id, "n": limit}).all()
    return [{"role": r.role, "text": r.content, "created_at": r.created_at.isoformat(),
             "message_ids": [f"conversation_history:{r.id}"]} for r in reversed(rows)]


def derived_golden(chunks: list[Chunk]) -> list[GoldenQuery]:
    """A customer's own first words in six conversations spread over the collection, each
    expected to find its conversation within its owner's."""
    out = []
    for c in stride(sorted((c for c in chunks if c.chunk_no == 0), key=lambda c: c.source_id), 6):
        first_user_line = next((line for line in c.text.splitlines() if line.startswith("Cliente: ")), None)
        if first_user_line:
            words = first_user_line.removeprefix("Cliente: ").split()[:14]
            out.append(GoldenQuery(" ".join(words), frozenset({c.source_id}), {"owner_id": c.fields["owner_id"]},
                                   origin="derived"))
    return out


DOMAIN = Domain(
    name="conversations",
    description="Customer conversations as windows of 6 consecutive turns (1 overlapping), per owner.",
    extract=extract_conversations,
    chunk=chunk_conversations,
    filter_fields={"owner_id": "keyword", "correlation_id": "keyword", "started_at": "datetime",
                   "ended_at": "datetime"},
    tenant_field="owner_id",
    cues=vocabulary.CONVERSATION_CUES,
    chunker_version=f"{CHUNKER_VERSION}.c2.redact{REDACTOR_VERSION}",
    sources=("postgres/conversation_history", "s3/conversations"),
    redacts_personal_data=True,
    derived_golden=derived_golden,
    recent_messages=recent_messages,
    shard_source_sql={"conversation_history": SQL_SOURCE_ID},
)
