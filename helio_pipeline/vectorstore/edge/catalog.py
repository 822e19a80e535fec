"""The Qdrant Edge store's files under its root: the catalog of collections and aliases, the
lock that admits one writing process, and the private copies a read-only process searches.

    <root>/.lock                 fcntl lock: one writing process at a time (pid and label inside)
    <root>/.readers              fcntl lock: readers hold it shared while they copy a shard
                                 directory; a writer removes a directory only holding it exclusively
    <root>/catalog.json          {"format": 1, "qdrant_edge": "<version>",
                                  "collections": {name: {dimensions, distance, payload_indexes,
                                                         tenant_field, metadata, [dir]}},
                                  "aliases": {alias: collection}}
    <root>/catalog.backup.json   the same, written after it: what ``helio rebuild`` reads to
                                 bring collections back when the catalog itself is damaged
    <root>/collections/<dir>/    one EdgeShard per physical collection

Every catalog change writes a temporary file, fsyncs it and ``os.replace``-s it over the
catalog (then the backup the same way), so an alias moves atomically.

A shard directory the catalog names for a collection an alias points at is never written
in place: a writer copies it (``<name>.w<8 hex>``), writes the copy and names the copy in the
catalog when its writes are settled (see ``store.EdgeVectorStore``). So a reader in another
process can copy the directory it reads at any time and get a consistent shard.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
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
READERS = ".readers"
COLLECTIONS = "collections"
# a writer's copy of a published shard directory (copy-on-write), before the catalog names it
COPY_SUFFIX = re.compile(r"\.w[0-9a-f]{8}$")
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


def catalog_stamp(root: Path):
    """What changes whenever the catalog is replaced (a reader polls it): None when missing."""
    try:
        st = os.stat(root / CATALOG)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def readers_lock(root: Path, exclusive: bool = False):
    """``<root>/.readers`` locked: shared (blocking: a writer holds it exclusively only to remove
    directories, never for long), or exclusive without waiting (None: a reader is copying).
    Shared on a root without that file, or one this process cannot open: None, nothing held."""
    try:
        handle = open(root / READERS, "a+" if exclusive else "r", encoding="utf-8")
    except OSError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except OSError:
        handle.close()
        return None
    return handle


def remove_directories(root: Path, paths) -> list[Path]:
    """Remove shard directories no catalog names any more, unless a reader is copying one
    right now: returns those left for later."""
    paths = [p for p in paths if p.exists()]
    if not paths:
        return []
    handle = readers_lock(root, exclusive=True)
    if handle is None:
        return paths
    try:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)
    finally:
        unlock(handle)
    return []


def orphan_copies(root: Path, named: set[str]) -> list[Path]:
    """Writer copies (``*.w<8 hex>``) that neither the catalog nor its backup names: left by a
    writer that died before publishing them, or after publishing but before removing the
    directory they replaced."""
    try:
        entries = list((root / COLLECTIONS).iterdir())
    except OSError:
        return []
    return [p for p in entries if COPY_SUFFIX.search(p.name) and p.name not in named and p.is_dir()]


def unlock(handle) -> None:
    if handle is not None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()
