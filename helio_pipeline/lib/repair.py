"""What ``helio rebuild`` does to a vector store around a re-index: find collections whose
vectors are damaged, set a live collection aside so that it can be rebuilt under its own
name while readers keep it, and bring back the collections of a store moved aside whole (the
earlier ones ``helio rollback`` needs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from helio_pipeline.lib import verify

ASIDE_MARK = ".replaced-"  # not ``alias__...``: pruning and rollback never take it for a kept collection


def collections_of(store, alias: str) -> list[str]:
    """The alias's physical collections, the live one included even when it was set aside."""
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
    configuration builds). Returns the collection to drop once the rebuild has promoted its
    replacement (None: nothing to drop).

    - Damaged collections other than the live one are dropped: they are no use for rollback.
    - The live collection, when the rebuild would otherwise sync into it (it is ``expected``)
      or it is damaged, is renamed aside; its alias follows it, so readers keep it until the
      rebuilt collection is verified and promoted, and a failed rebuild leaves it live. A
      backend that cannot rename (a Qdrant server) drops it instead: that domain's search is
      down until the rebuild is promoted.
    - A healthy live collection of another configuration stays as it is: the rebuild builds
      ``expected`` beside it, and it is kept for rollback."""
    live = store.resolve(alias)
    for name, problem in damaged.items():
        if name != live:
            store.drop(name)
            log(f"{alias}: dropped {name}, no use for rollback: {problem}")
    if live is None:
        return None
    if not live.startswith(alias + "__"):
        return live  # set aside by an earlier forced rebuild that did not finish
    if live != expected and live not in damaged:
        return None
    rename = getattr(store, "rename_collection", None)
    if rename is None:
        store.drop(live)
        log(f"{alias}: dropped {live} (this store cannot rename collections); search in it is down "
            "until the rebuild is promoted")
        return None
    aside = f"{alias}{ASIDE_MARK}{time.strftime('%Y%m%d-%H%M%S')}"
    rename(live, aside)
    log(f"{alias}: set {live} aside as {aside}; search uses it until the rebuilt {expected} is promoted")
    return aside


def finish_forced_rebuild(store, alias: str, aside: str, log: Callable[[str], None] = print) -> bool:
    """Drop the collection set aside once the alias has moved off it; True when it has."""
    if store.resolve(alias) == aside:
        log(f"{alias}: the rebuild did not promote a new collection; search stays on {aside}")
        return False
    store.drop(aside)
    log(f"{alias}: now on {store.resolve(alias)}; dropped {aside}")
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
