-- Which hash shards of a sharded domain have filled a physical collection. A rebuild of a
-- sharded domain (new model or chunker) moves the alias only when every shard of the
-- current shard count is recorded here for that collection's generation (its created_at),
-- so a collection dropped and recreated under the same name starts from nothing.
CREATE TABLE IF NOT EXISTS kb_shard_builds (
    collection  TEXT NOT NULL,
    generation  TEXT NOT NULL,
    shard_count INTEGER NOT NULL,
    shard       INTEGER NOT NULL,
    points      BIGINT NOT NULL,      -- points of this shard after its last whole-shard sync
    run_id      TEXT,
    synced_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, generation, shard_count, shard)
);
