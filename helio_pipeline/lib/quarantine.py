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
    """Each distinct problem once (domain, source, location, reason), latest first, with when it
    was first and last seen and in how many runs: a bad line that every run meets again is one
    problem, not one per run."""
    where, params = "", {"limit": limit}
    if domain:
        where = " WHERE domain = :domain"
        params["domain"] = domain
    query = ("SELECT domain, source, location, reason, MIN(created_at) AS first_seen, "
             "MAX(created_at) AS last_seen, COUNT(DISTINCT COALESCE(run_id, '')) AS runs, MAX(run_id) AS run_id "
             f"FROM kb_quarantine{where} GROUP BY domain, source, location, reason "
             "ORDER BY MAX(id) DESC LIMIT :limit")
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(query), params)]
