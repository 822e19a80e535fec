"""What ``helio rebuild`` does to a vector store around a re-index: find collections whose
vectors are damaged, set a live collection aside so that it can be rebuilt under its own
name while readers keep it (and keep it for rollback when it is healthy), and bring back the
collections of a store moved aside whole (the earlier ones ``helio rollback`` needs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from helio_pipeline.lib import verify

# A live collection set aside keeps its name with this and a time after it: still
# ``alias__...``, so pruning and ``helio rollback`` see it like any earlier collection.
ASIDE_MARK = ".replaced-"
# metadata of a collection whose vectors failed verification: never offered for rollback
# (no promotion time), pruned first, dropped once its replacement is promoted
DAMAGED = "damaged_vectors"


def collections_of(store, alias: str) -> list[str]:
    """The alias's physical collections, the live one included even when it is not named
    ``alias__...`` (one set aside by an earlier version, as ``alias.replaced-...``)."""
    names = list(store.physical_collections(alias))
    live = store.resolve(alias)
    if live and live not in names:
        names.append(live)
    return names


def damaged_collections(store, aliases: list[str]) -> dict[str, dict[str, str]]:
    """{alias: {collection: problem}} for each collection whose dense vectors fail verification."""
    found: dict[str, dict[str, str]] = {}
    for alias in aliases:
        for name in collections_of(store, alias):
            problem = verify.vector_problem(store, name)
            if problem:
                found.setdefault(alias, {})[name] = problem
    return found


def set_aside_for_rebuild(store, alias: str, expected: str, damaged: dict[str, str],
                          log: Callable[[str], None] = print) -> str | None:
    """Prepare ``alias`` for a forced rebuild into ``expected`` (the collection the current
    configuration builds). Returns the collection that :func:`finish_forced_rebuild` looks
    at once the rebuild is done (None: nothing to look at).

    - Damaged collections other than the live one are dropped: they are no use for rollback.
    - A damaged live collection is marked so (no promotion time: never a rollback target,
      pruned first) and stays live until its replacement is promoted, then goes.
    - The live collection, when the rebuild would otherwise sync into it (it is ``expected``),
      is renamed aside; its alias follows it, so readers keep it until the rebuilt collection
      is verified and promoted, a failed rebuild leaves it live, and the sync's mass-delete
      guard measures the rebuild against it. A healthy one is kept afterwards for rollback.
      A backend that cannot rename (a Qdrant server) drops it only when its vectors are
      damaged (search in that domain is then down until the rebuild is promoted); a healthy
      one stays live and is synced by content.
    - A live collection of another configuration stays as it is: the rebuild builds
      ``expected`` beside it."""
    live = store.resolve(alias)
    for name, problem in damaged.items():
        if name != live:
            store.drop(name)
            log(f"{alias}: dropped {name}, no use for rollback: {problem}")
    if live is None:
        return None
    if live in damaged:
        store.update_metadata(live, {"promoted_at": None, DAMAGED: damaged[live]})
    if ASIDE_MARK in live or not live.startswith(alias + "__"):
        return live  # set aside by an earlier forced rebuild that did not finish
    if live != expected:
        return live if live in damaged else None
    rename = getattr(store, "rename_collection", None)
    if rename is None:
        if live not in damaged:
            log(f"{alias}: {live} verifies and this store cannot rename collections: it stays live and the "
                "rebuild syncs it by content")
            return None
        store.drop(live)
        log(f"{alias}: dropped {live}, its vectors are damaged and this store cannot rename collections; "
            "search in it is down until the rebuild is promoted")
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside, n = f"{live}{ASIDE_MARK}{stamp}", 1
    while store.exists(aside):  # forced twice within a second
        aside, n = f"{live}{ASIDE_MARK}{stamp}-{n}", n + 1
    rename(live, aside)
    log(f"{alias}: set {live} aside as {aside}; search uses it until the rebuilt {expected} is promoted")
    return aside


def finish_forced_rebuild(store, alias: str, aside: str, log: Callable[[str], None] = print) -> bool:
    """Once the rebuild is done (or stopped): drop the collection set aside if its vectors are
    damaged and the alias has moved off it; a healthy one stays for ``helio rollback``. True
    when the alias has moved off it."""
    live = store.resolve(alias)
    if not store.exists(aside):
        log(f"{alias}: now on {live}; {aside} was pruned")
        return True
    if live == aside:
        log(f"{alias}: the rebuild did not promote a new collection; search stays on {aside}")
        return False
    if store.metadata(aside).get(DAMAGED):
        store.drop(aside)
        log(f"{alias}: now on {live}; dropped {aside}, its vectors were damaged")
    else:
        log(f"{alias}: now on {live}; {aside} is kept for `helio rollback`")
    return True


def recover_moved_store(store, moved: Path, log: Callable[[str], None] = print) -> list[str]:
    """Move back into ``store`` the collections of the store moved aside to ``moved`` that it
    does not hold (the earlier ones kept for rollback, or a domain whose rebuild failed),
    each only if it loads and its vectors verify. Returns the names recovered."""
    recover = getattr(store, "recover_collections", None)
    if recover is None:
        log(f"the collections of the old store stay in {moved}")
        return []
    recovered, left = recover(moved, check=lambda name: verify.vector_problem(store, name))
    for name in recovered:
        log(f"recovered {name} from {moved} (kept for rollback)")
    for name, why in left.items():
        if name == "*":
            log(f"no collection of {moved} could be recovered: {why}")
        else:
            log(f"left {name} in {moved}: {why}")
    return recovered
