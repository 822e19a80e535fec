-- Hand-written golden queries per domain, editable by the business team without code: the
-- quality check and the promotion gate measure recall@5 on them (lib/golden.py). expected
-- names the documents a good answer contains, e.g. {"slug": "garantia-inversores"} or
-- {"source_id": ["SKU-1", "SKU-2"]}; filters are search filters, as `helio search --filter`.
CREATE TABLE IF NOT EXISTS kb_golden_queries (
    domain    TEXT  NOT NULL,
    query     TEXT  NOT NULL,
    expected  JSONB NOT NULL,
    filters   JSONB NOT NULL DEFAULT '{}'::jsonb,
    note      TEXT,
    PRIMARY KEY (domain, query)
);
