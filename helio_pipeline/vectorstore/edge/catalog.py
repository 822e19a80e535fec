"""The Qdrant Edge store's files under its root: the catalog of collections and aliases, the
lock that admits one writing process, and the private copies a read-only process searches.

    <root>/.lock                 fcntl lock: one process at a time (pid and label inside)
    <root>/catalog.json          {"format": 1, "qdrant_edge": "<version>",
                                  "collections": {name: {dimensions, distance, payload_indexes,
                                                         tenant_field, metadata, [dir]}},
                                  "aliases": {alias: collection}}
    <root>/catalog.backup.json   the same, written after it: what ``helio rebuild`` reads to
                                 bring collections back when the catalog itself is damaged
    <root>/collections/<dir>/    one EdgeShard per physical collection

Every catalog change writes a temporary file, fsyncs it and ``os.replace``-s it over the
catalog (then the backup the same way), so an alias moves atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
from datetime import datetime, timezone
from importlib import metadata as _importlib_metadata
from pathlib import Path

from helio_pipeline.lib.errors import HelioError, StoreBusy
from helio_pipeline.vectorstore.types import DISTANCES

CATALOG_FORMAT = 1
CATALOG = "catalog.json"
CATALOG_BACKUP = "catalog.backup.json"
LOCK = ".lock"
COLLECTIONS = "collections"
# where a read-only root's private shard copies go: <dir>/helio-edge-readonly-<pid>-<random>/
SCRATCH_PREFIX = "helio-edge-readonly-"
# the directory for them: read once, by the factory (vectorstore.open_store); named in messages
SCRATCH_DIR_ENV = "HELIO_EDGE_SCRATCH_DIR"


def edge_version() -> str:
    """The installed qdrant-edge-py version (recorded in, and checked against, the catalog)."""
    try:
        return _importlib_metadata.version("qdrant-edge-py")
    except _importlib_metadata.PackageNotFoundError:  # pragma: no cover - an unusual install
        return "unknown"


class CollectionNotFound(HelioError, ValueError):
    """No collection or alias of that name (a ValueError too, as in qdrant-client's local mode)."""


def rebuild_hint(root: Path) -> str:
    return (f"The store under {root} is a derived index: move that directory aside (or delete it) "
            "and rebuild each domain with `helio rebuild DOMAIN`, or set HELIO_QDRANT_URL to use a "
            "Qdrant server instead.")


def read_catalog(path: Path) -> dict:
    """The catalog at ``path``, checked; a ValueError says what is wrong with it."""
    try:
        catalog = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(catalog, dict) or catalog.get("format") != CATALOG_FORMAT:
        found = catalog.get("format") if isinstance(catalog, dict) else type(catalog).__name__
        raise ValueError(f"{path} has format {found!r}; this Helio KB reads format {CATALOG_FORMAT}")
    collections, aliases = catalog.get("collections"), catalog.get("aliases")
    if not isinstance(collections, dict) or not isinstance(aliases, dict):
        raise ValueError(f"{path} lacks its collections or aliases")
    for name, entry in collections.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("dimensions"), int) \
                or entry.get("distance") not in DISTANCES \
                or not isinstance(entry.get("dir", ""), str) or "/" in entry.get("dir", "") \
                or entry.get("dir", "").startswith("."):
            raise ValueError(f"{path} has a malformed entry for collection {name!r}")
        entry.setdefault("payload_indexes", {})
        entry.setdefault("tenant_field", None)
        entry.setdefault("metadata", {})
    for alias, target in aliases.items():
        if target not in collections:
            raise ValueError(f"{path} points alias {alias!r} at {target!r}, which it does not hold")
    return catalog


def copy_sparse(src, dst) -> None:
    """Copy a file's data and leave its holes holes: a shard preallocates files of 32 MB and
    more that hold a few KB."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        offset = 0
        while offset < size:
            try:
                start = os.lseek(fin.fileno(), offset, os.SEEK_DATA)
            except OSError:  # ENXIO: nothing but a hole up to the end
                break
            end = os.lseek(fin.fileno(), start, os.SEEK_HOLE)
            fin.seek(start)
            fout.seek(start)
            left = end - start
            while left > 0:
                chunk = fin.read(min(left, 1 << 20))
                if not chunk:
                    break
                fout.write(chunk)
                left -= len(chunk)
            offset = end
        fout.truncate(size)
    shutil.copymode(src, dst)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def sweep_scratch(parent: str | Path) -> list[Path]:
    """Remove this user's ``helio-edge-readonly-<pid>-*`` directories under ``parent`` whose
    process is gone (killed before it could close its store). Returns those removed."""
    removed = []
    try:
        candidates = list(Path(parent).glob(SCRATCH_PREFIX + "*"))
    except OSError:
        return removed
    for path in candidates:
        pid = path.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        try:
            if not path.is_dir() or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed




def write_catalog(root: Path, catalog: dict) -> None:
    """Replace the catalog atomically (a temporary file, fsync, os.replace, fsync the
    directory), then its backup the same way: damage to one leaves the other whole."""
    data = json.dumps(catalog, indent=1, sort_keys=True, ensure_ascii=False)
    for name in (CATALOG, CATALOG_BACKUP):
        tmp = root / f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, root / name)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_name(name: str) -> None:
    """Collection and alias names become directory names: no separators, no leading dot."""
    if (not isinstance(name, str) or not name or len(name) > 200 or name.startswith(".")
            or any(c in name for c in "/\\\0")):
        raise ValueError(f"{name!r} cannot name a collection in the Qdrant Edge store "
                         "(1-200 characters, no '/', '\\' or NUL, not starting with '.')")


# --- the lock: one writing process per root --------------------------------------------------

def _busy(root: Path, handle) -> StoreBusy:
    handle.seek(0)
    holder = handle.read().strip()
    handle.close()
    try:
        info = json.loads(holder)
        who = f"pid {info.get('pid')}, {info.get('label')}, since {info.get('since')}"
    except (ValueError, AttributeError):
        who = f"pid {holder or 'unknown'}"
    return StoreBusy(
        f"the embedded Qdrant Edge store {root} is open in another process ({who}). "
        "Stop that process, or set HELIO_QDRANT_URL to a Qdrant server for concurrent use."
    )


def lock_exclusive(root: Path, label: str):
    """The exclusive lock on ``<root>/.lock`` (an open handle), naming this process inside;
    StoreBusy, naming the holder, when another process has it. OSError when it cannot be written."""
    handle = open(root / LOCK, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise _busy(root, handle) from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "label": label,
                             "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}) + "\n")
    handle.flush()
    return handle


def lock_shared(root: Path):
    """A reader of a root it cannot write: a shared lock on the lock file, if there is one, so
    a writer in another process is still noticed (None: no lock file this process may read)."""
    try:
        handle = open(root / LOCK, "r", encoding="utf-8")
    except OSError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        raise _busy(root, handle) from None
    return handle


def unlock(handle) -> None:
    if handle is not None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()
