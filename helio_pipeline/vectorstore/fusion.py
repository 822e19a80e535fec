"""Rank fusion: the one place its constants live.

Within a collection, ``hybrid`` search fuses a dense and a sparse list by reciprocal rank
fusion: a point at 0-based position ``p`` of a list scores ``1 / (p + RRF_K)``, summed over
the lists. ``RRF_K = 2`` is Qdrant's own constant for ``Fusion.RRF`` (the server, and
qdrant-client's local mode: ``1 / ((p + 1) + 2 - 1)``), so the qdrant-client backend, which
fuses in the engine, and the Qdrant Edge backend, which fuses here (see :func:`rrf`), rank
the same lists the same way. Each list is ``prefetch_depth(limit)`` deep.

Across collections (several domains in one answer), lib/retrieval.py fuses the per-domain
lists with ``CROSS_COLLECTION_RRF_K = 60``, the constant of the RRF paper: with many lists of
unrelated score scales a flatter curve lets a domain's second hit beat another's first only
when the routing weights say so.
"""

from __future__ import annotations

from typing import Hashable, Iterable

RRF_K = 2
CROSS_COLLECTION_RRF_K = 60


def prefetch_depth(limit: int) -> int:
    """How deep each list of a hybrid query goes for ``limit`` fused results."""
    return max(limit * 4, 20)


def rrf(lists: Iterable[Iterable[Hashable]], limit: int, k: int = RRF_K) -> list[tuple[Hashable, float]]:
    """[(id, fused score)], best first, at most ``limit``. Equal scores keep the order in which
    the ids first appear (the first list first), as qdrant-client's local mode does: the same
    query answers the same way every time."""
    scores: dict = {}
    for ids in lists:
        for position, pid in enumerate(ids):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (position + k)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)[:limit]  # sorted() is stable
