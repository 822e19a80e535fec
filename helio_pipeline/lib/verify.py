"""Properties a built collection must have. Used before an alias is moved and by asset checks."""

from __future__ import annotations

import numpy as np

from helio_pipeline.lib.store import VectorStore
from helio_pipeline.lib.sync import is_protected


def kept_protected(store: VectorStore, collection: str, known: set[str], protected: set[str], shard=None) -> int:
    """Points kept for sources that could not be read this time (an unreadable file): the
    sync rightly keeps them, so the checks expect them on top of the chunks produced."""
    if not protected:
        return 0
    points = store.read_index(collection, ("source_id", "source"), flt=shard.point_filter() if shard else None)
    return sum(1 for p in points.values() if p.get("source_id") not in known and is_protected(p, protected)
               and (shard is None or shard.contains(p.get("source_id"))))


def count_problem(store: VectorStore, collection: str, expected: int, kept: int = 0) -> str | None:
    held = store.count(collection)
    if held == expected + kept:
        return None
    also = f" and {kept} points of unreadable sources are kept" if kept else ""
    return f"{collection} holds {held} points, the sources produced {expected} chunks{also}"


def shard_count_problem(store: VectorStore, collection: str, expected: int, shard, kept: int = 0) -> str | None:
    points = store.read_index(collection, ("source_id",), flt=shard.point_filter()).values()
    held = sum(1 for p in points if shard.contains(p.get("source_id")))
    return None if held == expected + kept else (
        f"{collection} holds {held} points in {shard.key}, the shard's sources produced {expected} chunks"
        + (f" and {kept} points of unreadable sources are kept" if kept else ""))


def unknown_source_problem(store: VectorStore, collection: str, known: set[str], shard=None,
                           protected: set[str] = frozenset()) -> str | None:
    """Points whose source is not ``known`` (within ``shard``, when one is checked), other than
    those of ``protected`` sources (unreadable this time, so kept on purpose)."""
    points = store.read_index(collection, ("source_id", "source"),
                              flt=shard.point_filter() if shard else None).values()
    held = {p.get("source_id") for p in points if not is_protected(p, protected)}
    unknown = sorted(s for s in held - known if shard is None or shard.contains(s))
    if not unknown:
        return None
    return f"{collection} holds points of {len(unknown)} source ids the sources no longer have, e.g. {unknown[:5]}"


def vector_size_problem(store: VectorStore, collection: str, dimensions: int) -> str | None:
    size = store.vector_size(collection)
    return None if size == dimensions else f"{collection} stores {size}-d vectors, the embedder makes {dimensions}-d"


# Cosine collections hold unit vectors (the engine normalizes what it is given; a zero vector,
# which an embedder returns for a text it has nothing for, stays zero).
NORM_TOLERANCE = 0.01


def vector_problem(store: VectorStore, collection: str, shard=None) -> str | None:
    """Dense vectors no embedder made: a non-finite value, or (cosine) a norm other than 1 or 0.
    Bytes overwritten on disk give both, and search scores around 1e37. Reads every stored
    vector (of ``shard``'s points, when one is checked), a page at a time."""
    cosine = store.distance(collection) == "Cosine"
    checked, damaged, examples = 0, 0, []
    for ids, matrix in store.dense_vectors(collection, flt=shard.point_filter() if shard else None):
        with np.errstate(all="ignore"):
            values = np.asarray(matrix, dtype=np.float64)
            ok = np.isfinite(values).all(axis=1)
            if cosine:
                norms = np.linalg.norm(np.where(np.isfinite(values), values, 0.0), axis=1)
                ok &= (np.abs(norms - 1.0) <= NORM_TOLERANCE) | (norms == 0.0)
        checked += len(ids)
        bad = np.flatnonzero(~ok)
        damaged += len(bad)
        examples += [str(ids[i]) for i in bad[: max(0, 3 - len(examples))]]
    if not damaged:
        return None
    domain = store.metadata(collection).get("domain") or "DOMAIN"
    return (f"{collection} holds {damaged} damaged dense vectors of {checked} (non-finite values"
            f"{' or norms far from 1' if cosine else ''}; e.g. points {examples}): rebuild it from the "
            f"embedding cache with `helio rebuild --force {domain}`")


def verify_collection(store: VectorStore, collection: str, expected_chunks: int, known_source_ids: set[str],
                      dimensions: int, shard=None) -> list[str]:
    checks = (
        count_problem(store, collection, expected_chunks),
        unknown_source_problem(store, collection, known_source_ids, shard),
        vector_size_problem(store, collection, dimensions),
        vector_problem(store, collection, shard),
    )
    return [p for p in checks if p]
