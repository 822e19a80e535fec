"""The records that flow between stages: what an extraction returns and what a chunk is."""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator

from helio_pipeline.lib.lazy_import import LazyModule

pd = LazyModule("pandas")  # imported on first use: a search reads the registry, not DataFrames


def storable(text) -> str:
    """``text`` as PostgreSQL (and UTF-8) can hold it: a NUL byte or a lone surrogate is
    escaped visibly (``\\x00``, ``\\ud800``), so one weird line can never fail a whole insert."""
    text = str(text)
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class Problem:
    """A row skipped or a line quarantined: where it came from and why. Never dropped silently."""

    source: str       # table name or object key
    location: str     # "id 42", "line 17", "whole file"
    reason: str
    raw: str = ""

    def __post_init__(self):
        self.source, self.location = storable(self.source), storable(self.location)
        self.reason, self.raw = storable(self.reason), storable(self.raw)

    def as_dict(self) -> dict:
        return {"source": storable(self.source), "location": storable(self.location),
                "reason": storable(self.reason), "raw": storable(self.raw[:500])}


@dataclass
class Extraction:
    """Rows of one domain from all its sources, plus everything that could not be used."""

    frame: pd.DataFrame
    rows_per_source: dict[str, int] = field(default_factory=dict)
    skipped: list[Problem] = field(default_factory=list)       # valid format, unusable content (NULL text)
    quarantined: list[Problem] = field(default_factory=list)   # malformed input (bad CSV/JSONL line, bad PDF)
    # source ids we know exist but could not read this time: their points must not be deleted
    protected_ids: set[str] = field(default_factory=set)
    redactions: dict[str, int] = field(default_factory=dict)   # personal data removed, per type
    # protected sources whose bytes could not be fetched this time (a read error, perhaps
    # passing, unlike a parse error on bytes that were read): the run's inputs are then not
    # recorded as verified (lib/fingerprint.py), so the next refresh reads them again
    unread: set[str] = field(default_factory=set)
    # the input fingerprint read before extracting (lib/fingerprint.py: {"digest", "parts"}):
    # recorded on the collection after a verified sync of every source; None when not read
    inputs: dict | None = None


@dataclass
class Chunk:
    source_id: str
    chunk_no: int
    text: str
    source: str                     # table or object key the text came from
    updated_at: str | None = None   # ISO-8601
    fields: dict = field(default_factory=dict)  # the domain's filterable payload fields
    # What the dense vector is computed from, when it should differ from the text shown and
    # matched lexically (e.g. a price list without its figures: dense vectors do not read
    # numbers, and a price change then costs a payload update instead of an embedding).
    embed_text: str | None = None

    @property
    def vector_text(self) -> str:
        return self.embed_text if self.embed_text is not None else self.text


def read_csv_lines(data: bytes, key: str, required: list[str]) -> Iterator[tuple[int, dict] | Problem]:
    """Yield (line number, row) for good lines and a Problem for each malformed one.

    A wrong header quarantines the whole file (nothing in it can be trusted); a line with
    the wrong number of fields quarantines that line only. An unterminated quote would
    swallow the lines after it into one field: its line is quarantined alone and reading
    resumes on the next line, so the lines it ran into are still read.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Problem(key, "whole file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return
    lines = io.StringIO(text).readlines()  # physical lines, split on "\n" as csv expects
    header: list[str] | None = None
    start = 0
    while start < len(lines):
        reader = csv.reader(lines[start:], strict=True)
        done = 0  # lines of lines[start:] read into complete records
        resume = None
        try:
            for values in reader:
                line, span = start + done + 1, reader.line_num - done
                done = reader.line_num
                if header is None:
                    header = [h.strip() for h in values]
                    missing = [c for c in required if c not in header]
                    if missing:
                        yield Problem(key, f"line {line}", f"header lacks required column(s) {missing}; found {header}",
                                      ",".join(header))
                        return
                    continue
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header) and span > 1:
                    yield Problem(key, f"line {line}", f"unterminated quote: a quoted field runs on into line {line + 1} "
                                  f"({len(values)} fields instead of {len(header)}); reading resumes at line {line + 1}",
                                  lines[line - 1].rstrip("\r\n"))
                    resume = line
                    break
                if len(values) != len(header):
                    yield Problem(key, f"line {line}", f"expected {len(header)} fields, found {len(values)}", ",".join(values))
                    continue
                yield line, {h: v.strip() for h, v in zip(header, values)}
        except csv.Error as exc:
            line = start + done + 1
            if header is None:  # the header itself is unreadable: nothing below it can be trusted
                yield Problem(key, f"line {line}", f"header: unterminated or stray quote ({exc})", lines[line - 1])
                return
            yield Problem(key, f"line {line}", f"unterminated or stray quote ({exc}); reading resumes at line {line + 1}",
                          lines[line - 1].rstrip("\r\n"))
            resume = line
        if resume is None:
            break
        start = resume
    if header is None:
        yield Problem(key, "whole file", "empty file")


def _lone_surrogate(value, where: str = "") -> str | None:
    """Where a JSON value holds text that is not valid Unicode (a lone surrogate such as
    ``\\ud800``, which no UTF-8 writer accepts), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"{ascii(value[exc.start])} in {where or 'the value'}"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _lone_surrogate(k, f"a key of {where or 'the object'}") or _lone_surrogate(v, f"{where}.{k}".lstrip("."))
        if found:
            return found
    return None


def csv_drops(sources: "SourceAccess", prefix: str, required: list[str], ex: "Extraction"):
    """The good lines of every CSV file under ``prefix``, as (object, line number, row). Bad
    lines are quarantined; a file that cannot be read as a whole (a bad header, not UTF-8) is
    also protected, so what its last good version indexed is kept. ``ex.rows_per_source`` of
    each file starts at 0: callers add the rows they keep."""
    for obj in sources.objects.list(prefix):
        if not obj.key.endswith(".csv"):
            continue
        ex.rows_per_source[obj.key] = 0
        for item in read_csv_lines(sources.objects.get_bytes(obj.key), obj.key, required):
            if isinstance(item, Problem):
                ex.quarantined.append(item)
                if item.location in ("line 1", "whole file"):
                    ex.protected_ids.add(obj.key)
                continue
            yield obj, item[0], item[1]


def read_jsonl_lines(data: bytes, key: str) -> Iterator[tuple[int, dict] | Problem]:
    """Yield (line number, object) for good lines and a Problem for each bad one. Lines are
    split on "\\n" only (a U+2028 inside a JSON string is text, not a line break) and decoded
    one by one: invalid UTF-8 quarantines its line instead of being replaced with U+FFFD."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for line_no, raw_bytes in enumerate(data.split(b"\n"), start=1):
        raw_bytes = raw_bytes.rstrip(b"\r")
        try:
            raw = raw_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Problem(key, f"line {line_no}", f"not UTF-8 text ({exc.reason} at byte {exc.start} of the line)",
                          raw_bytes.decode("utf-8", errors="backslashreplace"))
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            surrogate = _lone_surrogate(obj)
        except json.JSONDecodeError as exc:
            yield Problem(key, f"line {line_no}", f"invalid JSON: {exc.msg} at column {exc.colno}", raw)
            continue
        except RecursionError:
            yield Problem(key, f"line {line_no}", "invalid JSON: nested too deeply", raw)
            continue
        if not isinstance(obj, dict):
            yield Problem(key, f"line {line_no}", "a JSON object was expected", raw)
            continue
        if surrogate:
            yield Problem(key, f"line {line_no}", f"not valid Unicode text: lone surrogate {surrogate}", raw)
            continue
        yield line_no, obj


def frame_records(frame) -> list[dict]:
    """``frame.to_dict("records")``, the same values, about twice as fast: each column is
    converted once (``tolist``) and the rows are zipped, where pandas walks the frame row by
    row. Object and extension columns are boxed to Python values by pandas' own function,
    as ``to_dict`` boxes them (numpy scalars to int/float/bool, ``pd.NA`` to None)."""
    from pandas.api.extensions import ExtensionDtype
    from pandas.core.dtypes.cast import maybe_box_native

    columns = list(frame.columns)
    if not columns:
        return [{} for _ in range(len(frame))]

    def values(i: int) -> list:
        column = frame.iloc[:, i]
        out = column.tolist()
        if column.dtype == object or isinstance(column.dtype, ExtensionDtype):
            out = list(map(maybe_box_native, out))
        return out

    return [dict(zip(columns, row)) for row in zip(*(values(i) for i in range(len(columns))))]


def iso(value) -> str | None:
    if isinstance(value, datetime) and value is not pd.NaT:  # Timestamps too: the common case, fast
        return (value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)).isoformat()
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.isoformat()


@dataclass
class SourceAccess:
    """What an extractor reads with: handles on the source database and the object store (the
    tables and prefixes themselves are named by ``Domain.sources``)."""

    engine: object          # sqlalchemy Engine
    objects: object         # helio_pipeline.lib.objectstore.ObjectStore
    redact_pii: bool = True  # conversations: personal data never leaves the source system
    # a sharded run: extractors may read only this shard's sources (the chunks asset filters
    # whatever they return, so pushing the shard down is an optimisation, never required)
    shard: object = None     # helio_pipeline.lib.sharding.Shard



@dataclass(frozen=True)
class Availability:
    """How a domain answers ``available_only``: ``live_sql`` returns (source id, available now)
    for the ids in ``:ids`` from the source database; ``indexed`` judges a hit from its payload
    when its source row is not in that table (a CSV-only product) or the database is down."""

    live_sql: str
    indexed: Callable[[dict], bool]

CHUNK_COLUMNS = ["source_id", "chunk_no", "text", "source", "updated_at", "fields", "embed_text"]


def chunks_to_frame(chunks: list[Chunk]) -> pd.DataFrame:
    return pd.DataFrame(
        [(c.source_id, c.chunk_no, c.text, c.source, c.updated_at,
          json.dumps(c.fields, ensure_ascii=False, default=str), c.embed_text) for c in chunks],
        columns=CHUNK_COLUMNS,
    )


def frame_to_chunks(frame: pd.DataFrame) -> list[Chunk]:
    return [
        Chunk(r["source_id"], int(r["chunk_no"]), r["text"], r["source"], r["updated_at"], json.loads(r["fields"]),
              r.get("embed_text") if isinstance(r.get("embed_text"), str) else None)
        for r in frame_records(frame)
    ]


@dataclass
class ChunkSet:
    """What the chunks asset hands to the index asset and its checks, as one typed value: the
    chunks, the source ids the extraction knew of but could not read this time (their points
    are protected from deletion), and the problems it named. Nothing rides in a side channel,
    so any IO manager (Dagster's stock pickling one included) carries the protection along."""

    chunks: list[Chunk]
    protected_ids: frozenset[str] = frozenset()
    rows_per_source: dict[str, int] = field(default_factory=dict)
    skipped: list[Problem] = field(default_factory=list)
    quarantined: list[Problem] = field(default_factory=list)
    redactions: dict[str, int] = field(default_factory=dict)
    inputs: dict | None = None      # the extraction's input fingerprint, handed on
    unread: frozenset[str] = frozenset()  # Extraction.unread, handed on

    @classmethod
    def of(cls, chunks: list[Chunk], ex: Extraction) -> "ChunkSet":
        return cls(chunks, frozenset(ex.protected_ids), dict(ex.rows_per_source), list(ex.skipped),
                   list(ex.quarantined), dict(ex.redactions), ex.inputs, frozenset(ex.unread))

    @property
    def source_ids(self) -> set[str]:
        return {c.source_id for c in self.chunks}

    @property
    def problems(self) -> list[Problem]:
        return self.skipped + self.quarantined

    def summary(self) -> dict:
        """Everything but the chunks, JSON-safe (a snapshot stores it beside them)."""
        return {"protected_ids": sorted(self.protected_ids), "rows_per_source": self.rows_per_source,
                "skipped": [p.as_dict() for p in self.skipped],
                "quarantined": [p.as_dict() for p in self.quarantined], "redactions": self.redactions,
                "inputs": self.inputs, "unread": sorted(self.unread)}

    @classmethod
    def from_summary(cls, chunks: list[Chunk], summary: dict) -> "ChunkSet":
        return cls(chunks, frozenset(summary.get("protected_ids", ())), dict(summary.get("rows_per_source", {})),
                   [Problem(**p) for p in summary.get("skipped", [])],
                   [Problem(**p) for p in summary.get("quarantined", [])], dict(summary.get("redactions", {})),
                   summary.get("inputs"), frozenset(summary.get("unread", ())))


def extraction_summary(ex: Extraction) -> dict:
    """Everything an extraction holds but its rows, JSON-safe (a snapshot stores it beside them)."""
    return ChunkSet.of([], ex).summary()


def extraction_from_summary(frame: pd.DataFrame, summary: dict) -> Extraction:
    held = ChunkSet.from_summary([], summary)
    return Extraction(frame, held.rows_per_source, held.skipped, held.quarantined, set(held.protected_ids),
                      held.redactions, set(held.unread), held.inputs)
