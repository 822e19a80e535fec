-- Durable embedding cache shared by every domain and run. A vector is keyed by what
-- determines it: the embedder, its model, its output dimensions and the sha256 of the
-- normalized text. Vectors are float32 little-endian bytes (4 * dimensions bytes).
CREATE TABLE IF NOT EXISTS kb_embedding_cache (
    embedder     TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    dimensions   INTEGER NOT NULL,
    text_sha256  BYTEA   NOT NULL,
    vector       BYTEA   NOT NULL,
    tokens       INTEGER,                     -- tokens billed for this text, when known
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_hit_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    hit_count    BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (embedder, model, dimensions, text_sha256),
    CHECK (octet_length(vector) = 4 * dimensions)
);
-- Pruning scans by last hit.
CREATE INDEX IF NOT EXISTS kb_embedding_cache_last_hit_idx ON kb_embedding_cache (last_hit_at);
