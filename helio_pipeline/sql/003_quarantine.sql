-- Bad input never silently disappears: every skipped row and quarantined line is kept
-- here with where it came from (table/key, row id or line number) and why.
CREATE TABLE IF NOT EXISTS kb_quarantine (
    id          BIGSERIAL PRIMARY KEY,
    run_id      TEXT,
    domain      TEXT NOT NULL,
    source      TEXT NOT NULL,                -- table name or object key
    location    TEXT NOT NULL,                -- row id, "line 17", ...
    reason      TEXT NOT NULL,
    raw         TEXT,                         -- the offending content, truncated
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS kb_quarantine_domain_idx ON kb_quarantine (domain, created_at);
