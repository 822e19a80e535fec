"""Properties a built collection must have. Used before an alias is moved and by asset checks."""

from __future__ import annotations

from helio_pipeline.lib.store import VectorStore


def count_problem(store: VectorStore, collection: str, expected: int) -> str | None:
    held = store.count(collection)
    return None if held == expected else f"{collection} holds {held} points, the sources produced {expected} chunks"


def shard_count_problem(store: VectorStore, collection: str, expected: int, shard) -> str | None:
    points = store.read_index(collection, ("source_id",), flt=shard.point_filter()).values()
    held = sum(1 for p in points if shard.contains(p.get("source_id")))
    return None if held == expected else (
        f"{collection} holds {held} points in {shard.key}, the shard's sources produced {expected} chunks")


def unknown_source_problem(store: VectorStore, collection: str, known: set[str], shard=None) -> str | None:
    """Points whose source is not ``known`` (within ``shard``, when one is checked)."""
    points = store.read_index(collection, ("source_id",), flt=shard.point_filter() if shard else None).values()
    held = {p.get("source_id") for p in points}
    unknown = sorted(s for s in held - known if shard is None or shard.contains(s))
    if not unknown:
        return None
    return f"{collection} holds points of {len(unknown)} source ids the sources no longer have, e.g. {unknown[:5]}"


def vector_size_problem(store: VectorStore, collection: str, dimensions: int) -> str | None:
    size = store.vector_size(collection)
    return None if size == dimensions else f"{collection} stores {size}-d vectors, the embedder makes {dimensions}-d"


def verify_collection(store: VectorStore, collection: str, expected_chunks: int, known_source_ids: set[str],
                      dimensions: int, shard=None) -> list[str]:
    checks = (
        count_problem(store, collection, expected_chunks),
        unknown_source_problem(store, collection, known_source_ids, shard),
        vector_size_problem(store, collection, dimensions),
    )
    return [p for p in checks if p]
