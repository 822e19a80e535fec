"""Checks both backends make on what comes out of the engine: stored dense vectors read as a
matrix (a damaged one a row of NaN), and dense scores no distance can give (a vector file
overwritten with other bytes answers 1e37 or NaN). lib/verify.py builds on these."""

from __future__ import annotations

import math

import numpy as np

from helio_pipeline.lib.errors import VectorsDamaged

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


def check_dense_scores(store, collection: str, scores) -> None:
    """Refuse dense scores the collection's distance cannot give (VectorsDamaged, naming the
    collection and the rebuild): ranking by them would be garbage. Both stores call it on
    every dense list they search, fused ones included."""
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
