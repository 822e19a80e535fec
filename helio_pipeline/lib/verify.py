"""Properties a built collection must have. Used before an alias is moved and by asset checks
(the checks both stores make on every search live in vectorstore/integrity.py)."""

from __future__ import annotations

import numpy as np

from helio_pipeline.lib.sync import is_protected
from helio_pipeline.vectorstore import VectorStore
from helio_pipeline.vectorstore.integrity import (  # noqa: F401 - verification's vocabulary
    COSINE_SCORE_BOUND, check_dense_scores, dense_matrix, rebuild_hint)


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


def vector_problem(store: VectorStore, collection: str, shard=None) -> str | None:
    """Dense vectors no embedder made: missing, of the wrong length, with a non-finite value,
    (cosine) with a norm other than 1, or all zero in numbers no empty text explains (more than
    ``ZERO_VECTORS_TOLERATED``). Bytes overwritten on disk give the first ones, and search
    scores around 1e37; a file of zeros the last. Reads every stored vector (of ``shard``'s
    points, when one is checked), a page at a time."""
    return scan_vectors(store, collection, shard)[1]


def scan_vectors(store: VectorStore, collection: str, shard=None) -> tuple[int, str | None]:
    """(the points read, :func:`vector_problem`'s verdict): one pass gives both."""
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
        return checked, None
    domain = store.metadata(collection).get("domain")
    return checked, (f"{collection} holds {damaged} damaged dense vectors of {checked} ({'; '.join(kinds)}): "
                     f"rebuild it from the embedding cache with `{rebuild_hint(domain)}`")


def verify_collection(store: VectorStore, collection: str, expected_chunks: int, known_source_ids: set[str],
                      dimensions: int, shard=None) -> list[str]:
    checks = (
        count_problem(store, collection, expected_chunks),
        unknown_source_problem(store, collection, known_source_ids, shard),
        vector_size_problem(store, collection, dimensions),
        vector_problem(store, collection, shard),
    )
    return [p for p in checks if p]
