"""Properties a built collection must have. Used before an alias is moved, by asset checks, and
by both stores on the dense scores of every search."""

from __future__ import annotations

import math

import numpy as np

from helio_pipeline.lib.errors import VectorsDamaged
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


# Cosine collections hold unit vectors (the engine normalizes what it is given). An embedder
# returns a zero vector only for an empty text, which the chunkers drop (a conversation window
# of system prompts alone is the rare exception): a few zeros are such texts, many are a file
# of zeros.
NORM_TOLERANCE = 0.01
ZERO_VECTORS_TOLERATED = 0.01  # of the vectors checked (and always one)
# A cosine score lies in [-1, 1]; float32 rounding of normalized vectors stays well inside this.
COSINE_SCORE_BOUND = 1.0 + 1e-3


def rebuild_hint(domain: str | None) -> str:
    return f"helio rebuild --force {domain or 'DOMAIN'}"


def dense_matrix(rows, dimensions: int) -> np.ndarray:
    """Stored dense vectors as an (n, ``dimensions``) float matrix. A missing vector, or one of
    another length, becomes a row of NaN: damaged, never a ragged array numpy refuses."""
    matrix = np.full((len(rows), dimensions), np.nan)
    for i, row in enumerate(rows):
        if row is not None and len(row) == dimensions:
            matrix[i] = row
    return matrix


def vector_problem(store: VectorStore, collection: str, shard=None) -> str | None:
    """Dense vectors no embedder made: missing, of the wrong length, with a non-finite value,
    (cosine) with a norm other than 1, or all zero in numbers no empty text explains (more than
    ``ZERO_VECTORS_TOLERATED``). Bytes overwritten on disk give the first ones, and search
    scores around 1e37; a file of zeros the last. Reads every stored vector (of ``shard``'s
    points, when one is checked), a page at a time."""
    cosine = store.distance(collection) == "Cosine"
    checked, damaged, zeros, examples, zero_examples = 0, 0, 0, [], []
    for ids, matrix in store.dense_vectors(collection, flt=shard.point_filter() if shard else None):
        with np.errstate(all="ignore"):
            values = np.asarray(matrix, dtype=np.float64)
            finite = np.isfinite(values).all(axis=1)
            norms = np.linalg.norm(np.where(np.isfinite(values), values, 0.0), axis=1)
            zero = finite & (norms == 0.0)
            ok = finite & ~zero
            if cosine:
                ok &= np.abs(norms - 1.0) <= NORM_TOLERANCE
        checked += len(ids)
        bad = np.flatnonzero(~ok & ~zero)
        damaged += len(bad)
        examples += [str(ids[i]) for i in bad[: max(0, 3 - len(examples))]]
        zeros += int(zero.sum())
        zero_examples += [str(ids[i]) for i in np.flatnonzero(zero)[: max(0, 3 - len(zero_examples))]]
    kinds = []
    if damaged:
        norm = " or with a norm far from 1" if cosine else ""
        kinds.append(f"{damaged} missing, of the wrong length, non-finite{norm}, e.g. points {examples}")
    if zeros > max(1, ZERO_VECTORS_TOLERATED * checked):
        damaged += zeros
        kinds.append(f"{zeros} all zero, more than empty texts explain, e.g. points {zero_examples}")
    if not damaged:
        return None
    domain = store.metadata(collection).get("domain")
    return (f"{collection} holds {damaged} damaged dense vectors of {checked} ({'; '.join(kinds)}): rebuild it "
            f"from the embedding cache with `{rebuild_hint(domain)}`")


def check_dense_scores(store, collection: str, scores) -> None:
    """Refuse dense scores the collection's distance cannot give (VectorsDamaged, naming the
    collection and the rebuild): a vector file overwritten with other bytes answers 1e37 or
    NaN, and ranking by them would be garbage. Both stores call it on every dense list they
    search, fused ones included."""
    scores = list(scores)
    if all(math.isfinite(s) and abs(s) <= COSINE_SCORE_BOUND for s in scores):
        return  # what every distance can give: no need to ask which one
    distance = store.distance(collection)
    bound = COSINE_SCORE_BOUND if distance == "Cosine" else math.inf
    for score in scores:
        if not math.isfinite(score) or abs(score) > bound:
            domain = store.metadata(collection).get("domain")
            raise VectorsDamaged(
                f"the collection {collection} at {store.endpoint} returned a dense score of {score:.4g}, which no "
                f"{distance} similarity gives: its vectors are damaged. Rebuild it from the embedding cache "
                f"(nothing is embedded again): {rebuild_hint(domain)}")


def verify_collection(store: VectorStore, collection: str, expected_chunks: int, known_source_ids: set[str],
                      dimensions: int, shard=None) -> list[str]:
    checks = (
        count_problem(store, collection, expected_chunks),
        unknown_source_problem(store, collection, known_source_ids, shard),
        vector_size_problem(store, collection, dimensions),
        vector_problem(store, collection, shard),
    )
    return [p for p in checks if p]
