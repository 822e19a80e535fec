"""The record of which shards have filled a physical collection (``kb_shard_builds``).

Shards of one domain run as separate Dagster runs, possibly on separate machines; the
collection they fill during a rebuild may only be promoted once all of them are done. The
record lives in PostgreSQL, which every run already reaches, and an upsert per shard keeps
concurrent shard runs from stepping on each other."""

from __future__ import annotations

import sqlalchemy as sa

from helio_pipeline.lib.sharding import Shard


class ShardBuilds:
    def __init__(self, engine):
        self.engine = engine

    def record(self, collection: str, generation: str, shard: Shard, points: int, run_id: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO kb_shard_builds (collection, generation, shard_count, shard, points, run_id) "
                "VALUES (:c, :g, :n, :i, :p, :r) ON CONFLICT (collection, generation, shard_count, shard) "
                "DO UPDATE SET points = EXCLUDED.points, run_id = EXCLUDED.run_id, synced_at = now()"),
                {"c": collection, "g": generation, "n": shard.count, "i": shard.index, "p": points, "r": run_id})

    def built(self, collection: str, generation: str, count: int) -> dict[int, int]:
        """{shard index: points} for the shards of ``count`` that filled this collection."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT shard, points FROM kb_shard_builds "
                "WHERE collection = :c AND generation = :g AND shard_count = :n"),
                {"c": collection, "g": generation, "n": count})
            return {int(shard): int(points) for shard, points in rows}
