"""A domain's input fingerprint: everything its extraction, chunks and checks depend on, read
cheaply before extracting, so a run whose inputs are the same as at the live collection's last
verified sync can skip extraction, chunking and the sync, and say so.

Parts (each a short digest, recorded by name so a difference can be named):

- ``postgres/<table>``: row count and two 64-bit sums of ``md5(row::text)`` over the whole
  table: any inserted, updated or deleted row, in any column, changes it, with or without the
  change-log triggers (a TRUNCATE or a bulk load with triggers off included);
- ``s3/<prefix>``: every object's key, ETag and size under the prefix;
- ``index``: the collection's configuration (embedder, model, dimensions, chunker and sparse
  versions: what names the physical collection);
- ``code``: the pipeline's own source files and the domain's module, and the installed
  packages' versions (a new parser or tokenizer can change chunks);
- ``settings``: what changes chunk content without being data (personal-data redaction);
- ``golden``: the hand-written golden questions (table rows and the domain's file) and the
  minimum their check needs;
- ``time``: the domain's time bucket (``Domain.time_bucket``: prices keep only the rows valid
  today, so its bucket is today's date).

The recorded fingerprint lives in the live collection's metadata. It is written in two steps:
the index asset notes it as pending after a sync of every source (not a sensor's scoped sync,
nor one that kept the points of a source whose bytes it could not fetch: a read error may be
passing; ``Extraction.unread``),
and the index's checks confirm it only when every check passed; any later write to the
collection (lib/sync.py) clears it.

A shard run (``shard-2-of-16``) has a fingerprint of its own, recorded under its own key
(``input_fingerprint@shard-2-of-16``): its tables are digested over its rows only where the
domain says how (``Domain.shard_source_sql``), else whole. A write by one shard clears that
shard's record and the unsharded one; a write without a shard clears them all. In place of
the collection's point count and write stamp, a shard's record holds the number of points in
its bucket range, counted again when it is read. A run is skipped only when the recorded fingerprint
equals today's, the alias still points at the collection of the current configuration, and
that collection still holds the recorded number of points, with no write started since, and
its stored vectors still verify (they are read, as the check reads them). When
in doubt, the fingerprint differs: the cost of a wrong "differs" is one ordinary run, the cost
of a wrong "unchanged" is a stale knowledge base.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sysconfig
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from helio_pipeline.lib.sharding import Shard, sql_shard_index, sql_shard_predicate

RECORDED = "input_fingerprint"            # collection metadata: confirmed by passing checks
PENDING = "input_fingerprint_pending"     # collection metadata: noted by the index asset
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class InputFingerprint:
    parts: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return _digest(self.parts)

    def differences(self, recorded: dict | None) -> list[str]:
        """The parts that differ from ``recorded`` (a recorded fingerprint's ``parts``)."""
        recorded = recorded or {}
        return sorted(name for name in set(self.parts) | set(recorded) if self.parts.get(name) != recorded.get(name))

    def as_dict(self) -> dict:
        return {"digest": self.digest, "parts": dict(self.parts)}


def key(name: str, shard=None) -> str:
    """The metadata key of a record (``RECORDED`` or ``PENDING``): the domain's, or a shard's."""
    return name if shard is None else f"{name}@{shard.key}"


def cleared_on_write(metadata: dict, shard=None) -> dict:
    """The metadata update a write must make before it starts (lib/sync.py): every record it
    makes stale set to None. A shard's write touches its own points only, so the records of the
    other shards of the same count stand (their points are disjoint from its own); everything
    else is cleared: the domain's record, its own, and those of another shard count, whose
    ranges overlap it. A write without a shard (a whole-domain or a sensor's sync) clears all."""
    def disjoint(name: str) -> bool:
        suffix = name.partition("@")[2]
        if shard is None or not suffix:
            return False
        try:
            other = Shard.parse(suffix)
        except ValueError:
            return False
        return other.count == shard.count and other.index != shard.index

    records = {name for name in metadata if name.startswith((RECORDED + "@", PENDING + "@"))}
    return {name: None for name in records | {RECORDED, PENDING} if not disjoint(name)}


# count and order-independent content sums of the rows' md5s (whole rows: a change in any
# column counts); what table_digest and shard_table_digests digest
_ROW_SUMS = ("count(*), coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0), "
             "coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)")


def _quoted_or_none(conn, table: str) -> str | None:
    quoted = ".".join(conn.dialect.identifier_preparer.quote(part) for part in table.split("."))
    if conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": quoted}).scalar() is None:
        return None
    return quoted


def table_digest(conn, table: str, where: str = "") -> str:
    """Count and order-independent content sums of every row of ``table`` (whole rows, so a
    change in any column counts), or of the rows ``where`` (trusted SQL) selects."""
    quoted = _quoted_or_none(conn, table)
    if quoted is None:
        return "missing"  # the extraction says what that means; the fingerprint only has to differ
    row = conn.execute(sa.text(
        f"SELECT {_ROW_SUMS} FROM (SELECT md5(t::text) AS h FROM {quoted} t{' WHERE ' + where if where else ''}) rows"
    )).one()
    return _digest(*(str(v) for v in row))


def shard_table_digests(conn, table: str, expression: str, count: int) -> dict[int, str]:
    """{shard index: :func:`table_digest` of the shard's rows} for every shard of ``count``, in
    one scan of ``table`` (``expression``: the rows' text source id, trusted SQL). The digests
    equal the per-shard ones a run computes, a shard without rows included; a schedule's tick
    checking 16 shards reads the table once instead of 16 times."""
    quoted = _quoted_or_none(conn, table)
    if quoted is None:
        return {index: "missing" for index in range(count)}
    rows = conn.execute(sa.text(
        f"SELECT shard, {_ROW_SUMS} FROM (SELECT {sql_shard_index(expression, count)} AS shard, md5(t::text) AS h "
        f"FROM {quoted} t) rows GROUP BY shard")).all()
    found = {int(shard): _digest(*(str(v) for v in sums)) for shard, *sums in rows}
    return {index: found.get(index, _digest("0", "0", "0")) for index in range(count)}


def shard_digests(domain, engine, count: int, timeout_s: float | None = None) -> dict[int, dict[str, str]]:
    """{shard index: {table: digest}}: the PostgreSQL parts of every shard's fingerprint, each
    table read once (a table without a shard expression is whole in every shard's). What a
    schedule's tick passes to :func:`input_fingerprint` as ``table_digests``."""
    out: dict[int, dict[str, str]] = {index: {} for index in range(count)}
    with engine.connect() as conn:
        _bounded(conn, timeout_s)
        for table in domain.tables:
            expression = domain.shard_source_sql.get(table)
            digests = (shard_table_digests(conn, table, expression, count) if expression
                       else dict.fromkeys(range(count), table_digest(conn, table)))
            for index, digest in digests.items():
                out[index][table] = digest
    return out


def prefix_digest(objects, prefix: str) -> str:
    listing = sorted((info.key, info.etag, info.size) for info in objects.list(prefix))
    return _digest(listing)


def _installed_packages() -> str:
    """The installed distributions by their metadata directory names (``pandas-3.0.1.dist-info``):
    what an upgrade changes, listed without opening each one's metadata. Only the environment's
    site-packages are read, not ``sys.path``, whose first entry is the working directory or the
    script's: ``helio refresh`` and ``python -m helio_pipeline.cli refresh`` must agree."""
    names = []
    for entry in sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}):
        try:
            names += [n for n in os.listdir(entry) if n.endswith((".dist-info", ".egg-info"))]
        except OSError:  # a path that does not exist
            continue
    return _digest(sorted(names))


def _source_files_digest(extra: tuple[str, ...]) -> str:
    files = sorted(set(PACKAGE_DIR.rglob("*.py")) | set(PACKAGE_DIR.rglob("*.jsonl")) | {Path(p) for p in extra})
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.relative_to(PACKAGE_DIR) if path.is_relative_to(PACKAGE_DIR) else path).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def code_digest(domain) -> str:
    """The package's source, the domain's own module (a domain may live outside the package)
    and the installed packages: a code change or an upgrade re-runs once. Read from disk at
    each call, never cached: a long-lived process (the code server evaluating schedules) must
    see an upgrade made after it started, as a freshly launched run does."""
    extra = tuple(sorted({inspect.getsourcefile(fn) or "" for fn in (domain.extract, domain.chunk)} - {""}))
    return _digest(_source_files_digest(extra), _installed_packages())


def _bounded(conn, timeout_s: float | None) -> None:
    """Let no statement on ``conn`` (this transaction) run or wait for a lock longer than
    ``timeout_s``: a schedule's check must give up in time, where a run may wait."""
    if timeout_s is not None:
        conn.execute(sa.text("SELECT set_config('statement_timeout', :ms, true)"),
                     {"ms": str(max(1, int(timeout_s * 1000)))})


def golden_digest(domain, engine, minimum: int, timeout_s: float | None = None) -> str:
    """The hand-written golden questions (derived ones follow the chunks, hence the sources)."""
    with engine.connect() as conn:
        _bounded(conn, timeout_s)
        rows = conn.execute(sa.text("SELECT query, expected::text, filters::text FROM kb_golden_queries "
                                    "WHERE domain = :d ORDER BY query, expected::text, filters::text"),
                            {"d": domain.name}).all()
    path = domain.golden_file
    shipped = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path is not None and Path(path).exists() else None
    return _digest([list(r) for r in rows], shipped, minimum)


def input_fingerprint(domain, engine, objects, index_fingerprint: str, *, redact_pii: bool,
                      golden_min_queries: int, shard=None, timeout_s: float | None = None,
                      table_digests: dict[str, str] | None = None) -> InputFingerprint:
    """The domain's fingerprint, or ``shard``'s (its rows only, where the domain says how).
    ``timeout_s``: the longest any of its queries may run or wait for a lock (None: no limit).
    ``table_digests``: the tables' digests, already read (:func:`shard_digests`)."""
    parts = {"index": index_fingerprint, "code": code_digest(domain),
             "settings": _digest({"redact_pii": bool(redact_pii and domain.redacts_personal_data)}),
             "golden": golden_digest(domain, engine, golden_min_queries, timeout_s)}
    if domain.time_bucket is not None:
        parts["time"] = str(domain.time_bucket())
    if shard is not None:
        parts["shard"] = shard.key
    table_digests = table_digests or {}
    with engine.connect() as conn:
        _bounded(conn, timeout_s)
        for table in domain.tables:
            if table in table_digests:
                parts[f"postgres/{table}"] = table_digests[table]
                continue
            expression = domain.shard_source_sql.get(table) if shard is not None else None
            where = sql_shard_predicate(expression, shard.count, shard.index) if expression else ""
            parts[f"postgres/{table}"] = table_digest(conn, table, where)
    for prefix in domain.prefixes:
        parts[f"s3/{prefix}"] = prefix_digest(objects, prefix)
    return InputFingerprint(parts)


@dataclass(frozen=True)
class Unchanged:
    """Why a run may skip a domain: what was recorded at its last verified sync."""

    collection: str
    run_id: str
    recorded_at: str
    chunks: int
    points: int
    fingerprint: dict

    def describe(self) -> str:
        return f"unchanged since run {self.run_id[:8]} ({self.recorded_at}): 0 texts embedded"


def _points(store, collection: str, shard=None) -> int:
    """The collection's points, or those in ``shard``'s bucket range."""
    if shard is None:
        return store.count(collection)
    return len(store.read_index(collection, ("source_id",), shard.point_filter()))


def unchanged_since(store, alias: str, collection: str, fingerprint: InputFingerprint,
                    shard=None) -> tuple[Unchanged | None, str]:
    """(what was recorded, "") when the live collection behind ``alias`` is ``collection`` (the
    current configuration's) and was verified on exactly these inputs (``shard``'s, for a
    shard run) and not written since; else (None, why not)."""
    live = store.resolve(alias)
    if live is None or not store.exists(live):
        return None, f"{alias} does not exist"
    if live != collection:
        return None, f"{alias} points at {live}, the current configuration builds {collection}"
    metadata = store.metadata(live)
    recorded = metadata.get(key(RECORDED, shard))
    if not recorded:
        return None, "no verified sync recorded (first run, a write since, or failed checks)"
    if recorded.get("digest") != fingerprint.digest:
        return None, "inputs changed: " + ", ".join(fingerprint.differences(recorded.get("parts")))
    # another shard's writes move the collection's stamp and count without touching this
    # shard's points (and clear only their own records): a shard compares its own points
    if shard is None and metadata.get("write_started_at") != recorded.get("write_started_at"):
        return None, f"{live} was written after the recorded sync"
    # the one thing the inputs cannot vouch for: the stored bytes (a damaged disk, a bad copy).
    # Every vector is read (the shard's), as the check does: a collection that no longer
    # verifies is re-run, so its checks fail and name the way out. The same pass counts the
    # points (the shard's)
    from helio_pipeline.lib.verify import scan_vectors  # verify reads lib/sync, which clears records here

    points, damaged = scan_vectors(store, live, shard)
    if points != recorded.get("points"):
        where = f"{live} ({shard.key})" if shard else live
        return None, f"{where} holds {points} points, {recorded.get('points')} were recorded"
    if damaged:
        return None, damaged
    return Unchanged(live, str(recorded.get("run_id", "")), str(recorded.get("recorded_at", "")),
                     int(recorded.get("chunks", 0)), points, recorded), ""


def note_pending(store, collection: str, fingerprint: dict, run_id: str, chunks: int, problems: dict,
                 shard=None) -> None:
    """After a sync of every source (of ``shard``'s): what the checks confirm when they all pass."""
    metadata = store.metadata(collection)
    store.update_metadata(collection, {key(PENDING, shard): {
        **fingerprint, "run_id": run_id, "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "chunks": chunks, "points": _points(store, collection, shard), "problems": problems,
        "write_started_at": metadata.get("write_started_at")}})


def confirm(store, collection: str, run_id: str, passed: bool, shard=None) -> bool:
    """The checks' verdict: every check passed on this run's sync -> the pending fingerprint is
    recorded; any failure -> nothing is recorded, so the next run does the whole pass again."""
    if not store.exists(collection):
        return False
    pending = store.metadata(collection).get(key(PENDING, shard)) or {}
    ok = passed and pending.get("run_id") == run_id
    store.update_metadata(collection, {key(RECORDED, shard): pending if ok else None, key(PENDING, shard): None})
    return ok
