"""Persist skipped rows and quarantined lines to ``kb_quarantine`` so they can be reviewed."""

from __future__ import annotations

import sqlalchemy as sa

from helio_pipeline.lib.records import Problem


def record_problems(engine, run_id: str | None, domain: str, problems: list[Problem]) -> int:
    if not problems:
        return 0
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO kb_quarantine (run_id, domain, source, location, reason, raw) "
                    "VALUES (:run_id, :domain, :source, :location, :reason, :raw)"),
            [{"run_id": run_id, "domain": domain, **p.as_dict()} for p in problems],
        )
    return len(problems)


def latest_problems(engine, domain: str | None = None, limit: int = 50) -> list[dict]:
    query = "SELECT created_at, run_id, domain, source, location, reason FROM kb_quarantine"
    params: dict = {"limit": limit}
    if domain:
        query += " WHERE domain = :domain"
        params["domain"] = domain
    with engine.connect() as conn:
        rows = conn.execute(sa.text(query + " ORDER BY id DESC LIMIT :limit"), params)
        return [dict(r._mapping) for r in rows]
