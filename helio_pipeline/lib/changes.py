"""Reading the catalog change log (``kb_change_log``) and the object-store prefixes, and
turning changes into per-domain sync requests. Pure logic: the Dagster sensors call it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from helio_pipeline.lib.objectstore import ObjectStore
from helio_pipeline.lib.records import Problem, read_csv_lines


@dataclass(frozen=True)
class Routes:
    """Which domains a change feeds, derived from what each domain declares it reads
    (``Domain.sources``, ``Domain.csv_columns``): a change logged for a table, or an object
    under a prefix, re-syncs every domain that reads it (a product's name appears in its
    price document, so products changes reach prices too)."""

    tables: dict[str, tuple[str, ...]]          # table -> domains
    prefixes: dict[str, tuple[str, ...]]        # "rules/" -> domains
    csv_columns: dict[str, tuple[str, ...]]     # prefix -> required CSV header columns

    @classmethod
    def of(cls, domains) -> "Routes":
        tables: dict[str, list[str]] = {}
        prefixes: dict[str, list[str]] = {}
        columns: dict[str, tuple[str, ...]] = {}
        for domain in domains.values():
            for table in domain.tables:
                tables.setdefault(table, []).append(domain.name)
            for prefix in domain.prefixes:
                prefixes.setdefault(prefix, []).append(domain.name)
            for prefix, required in domain.csv_columns.items():
                if columns.setdefault(prefix, tuple(required)) != tuple(required):
                    raise ValueError(f"domains disagree on the CSV columns required under {prefix}")
        return cls({t: tuple(d) for t, d in tables.items()}, {p: tuple(d) for p, d in prefixes.items()}, columns)


def _routes(domains) -> Routes:
    if domains is None:
        from helio_pipeline.domains import DOMAINS

        domains = DOMAINS
    return Routes.of(domains)


@dataclass
class ChangeBatch:
    first_id: int
    last_id: int
    source_ids: dict[str, set[str]] = field(default_factory=dict)   # domain -> changed source ids
    operations: dict[str, int] = field(default_factory=dict)


def read_changes(engine, after: int, limit: int = 50_000, domains=None) -> ChangeBatch | None:
    """Changes with change_id > ``after``, grouped by the domains (default: the registry) that
    read the changed table; None when there are none."""
    routes = _routes(domains)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT change_id, table_name, row_key, operation FROM kb_change_log "
                    "WHERE change_id > :after ORDER BY change_id LIMIT :limit"),
            {"after": after, "limit": limit},
        ).all()
    if not rows:
        return None
    batch = ChangeBatch(first_id=rows[0][0], last_id=rows[-1][0])
    for _, table, key, op in rows:
        batch.operations[op] = batch.operations.get(op, 0) + 1
        if key is None:
            continue
        for domain in routes.tables.get(table, ()):
            batch.source_ids.setdefault(domain, set()).add(key)
    return batch


def last_change_id(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT coalesce(max(change_id), 0) FROM kb_change_log")).scalar_one())


def prune_changes(engine, handled_up_to: int, retention_days: float = 7) -> int:
    """Drop handled change-log rows older than the retention window."""
    with engine.begin() as conn:
        return conn.execute(
            sa.text("DELETE FROM kb_change_log WHERE change_id <= :handled "
                    "AND changed_at < now() - make_interval(secs => :secs)"),
            {"handled": handled_up_to, "secs": retention_days * 86400},
        ).rowcount


@dataclass
class DropScan:
    etags: dict[str, str]                                   # the new cursor: key -> etag
    domains: dict[str, set[str]] = field(default_factory=dict)  # domain -> changed keys
    quarantined: list[Problem] = field(default_factory=list)


def scan_drops(objects: ObjectStore, previous: dict[str, str], domains=None) -> DropScan:
    """Compare the prefixes the domains (default: the registry) read with the last seen ETags.
    New, modified and removed objects are changes; an object re-uploaded with the same bytes
    (same ETag) is not. A CSV drop whose header lacks required columns is quarantined instead
    of triggering."""
    routes = _routes(domains)
    scan = DropScan(etags={})
    for prefix, fed in routes.prefixes.items():
        for info in objects.list(prefix):
            scan.etags[info.key] = info.etag
            if previous.get(info.key) == info.etag:
                continue
            if prefix in routes.csv_columns and info.key.endswith(".csv"):
                head = objects.get_bytes(info.key).split(b"\n", 1)[0] + b"\n"
                required = list(routes.csv_columns[prefix])
                problem = next((p for p in read_csv_lines(head, info.key, required) if isinstance(p, Problem)),
                               None)
                if problem:
                    scan.quarantined.append(problem)
                    continue
            for domain in fed:
                scan.domains.setdefault(domain, set()).add(info.key)
        for key in previous:
            if key.startswith(prefix) and key not in scan.etags:
                for domain in fed:
                    scan.domains.setdefault(domain, set()).add(key)
    return scan


def encode_etags(etags: dict[str, str]) -> str:
    return json.dumps(etags, sort_keys=True, separators=(",", ":"))


def decode_etags(cursor: str | None) -> dict[str, str]:
    return json.loads(cursor) if cursor else {}
