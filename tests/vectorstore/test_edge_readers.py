"""Readers beside a writer on the embedded store: ``helio serve`` and ``helio search`` open it
with ``reader=True`` and keep answering while a run in another process writes, syncs and
promotes, each answer from one published state, and follow the catalog to the new data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from helio_pipeline.vectorstore.edge import EdgeVectorStore
from tests.vectorstore.data import ALIAS, COLL, N, POINTS, QUERY_VECTORS, create, fill

REPO = Path(__file__).resolve().parents[2]
COLL2 = f"{ALIAS}__v2"

# The writer, another process: an incremental sync of the live collection in many small writes
# (5 points added, then 3 deleted, one call each), then a rebuild into COLL2, its promotion and
# the drop of COLL. After the sync it waits (up to 60 s) for the test to say that the reader has
# answered from the synced state (the file named by argv[3]): a reader that polls while loaded
# machines copy slowly may otherwise skip a state that lived only briefly, and rightly so.
WRITER = """
import sys, time
from dataclasses import replace
from tests.vectorstore.data import ALIAS, COLL, POINTS, create, fill
from helio_pipeline.vectorstore.edge import EdgeVectorStore
from pathlib import Path
root, coll2, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
s = EdgeVectorStore(root)
added = [replace(p, id=p.id[:-4] + "beef") for p in POINTS[:5]]
for point in added:
    s.upsert(ALIAS, [point]); time.sleep(0.05)
for point in POINTS[:3]:
    s.delete(ALIAS, [point.id]); time.sleep(0.05)
s.optimize(ALIAS)
print("synced", flush=True)
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.02)
create(s, coll2, metadata={"domain": "products", "fingerprint": "v2"})
fill(s, coll2, [replace(p, payload={**p.payload, "build": "v2"}) for p in POINTS[:150]])
s.optimize(coll2)
s.point_alias(ALIAS, coll2)
s.drop(COLL)
print("promoted", flush=True)
time.sleep(0.5)
s.close()
"""


def _published(root: Path) -> dict:
    return json.loads((root / "catalog.json").read_text())


def _seed(root: Path) -> None:
    s = EdgeVectorStore(root)
    create(s)
    fill(s)
    s.optimize(COLL)
    s.point_alias(ALIAS, COLL)
    s.close()


def test_a_reader_keeps_answering_while_another_process_syncs_rebuilds_and_promotes(tmp_path):
    root = tmp_path / "edge"
    _seed(root)
    reader = EdgeVectorStore(root, reader=True, scratch_dir=tmp_path / "scratch")
    assert reader.read_only and reader.count(ALIAS) == N
    seen, errors, stop = [], [], threading.Event()
    go = tmp_path / "reader-saw-the-sync"

    def ask():
        while not stop.is_set():
            try:
                hits = reader.query(ALIAS, QUERY_VECTORS[0], None, N + 10, mode="dense")
                seen.append((len(hits), sum(1 for h in hits if h.payload.get("build") == "v2")))
                if seen[-1] == (N + 2, 0):
                    go.touch()
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(repr(exc))
            time.sleep(0.002)

    clients = [threading.Thread(target=ask) for _ in range(3)]
    for client in clients:
        client.start()
    try:
        writer = subprocess.run([sys.executable, "-c", textwrap.dedent(WRITER), str(root), COLL2, str(go)], cwd=REPO,
                                capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert writer.returncode == 0, writer.stderr
        assert writer.stdout.split() == ["synced", "promoted"]
        deadline = time.monotonic() + 30
        while reader.resolve(ALIAS) != COLL2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        stop.set()
        for client in clients:
            client.join()
    try:
        assert not errors, errors[:3]
        # every answer came from one published state: before, after the sync, after the promotion
        assert set(seen) <= {(N, 0), (N + 2, 0), (150, 150)}, sorted(set(seen))
        assert {(N, 0), (N + 2, 0), (150, 150)} <= set(seen)  # it followed the sync and the promotion
        assert reader.resolve(ALIAS) == COLL2 and reader.count(ALIAS) == 150
        assert not reader.exists(COLL)
    finally:
        reader.close()
    assert not list((tmp_path / "scratch").glob("helio-edge-readonly-*"))  # its copies go on close
    EdgeVectorStore(root).close()  # a writer removes the copies no catalog names
    named = {entry.get("dir") or name for name, entry in _published(root)["collections"].items()}
    # the directory the sync replaced stays only if a reader was copying it at the writer's close
    assert {p.name for p in (root / "collections").iterdir()} - named <= {COLL}


def test_a_write_to_a_live_collection_goes_to_a_copy_that_replaces_it_when_settled(tmp_path):
    root = tmp_path / "edge"
    _seed(root)
    live_dir = root / "collections" / (_published(root)["collections"][COLL].get("dir") or COLL)
    before = {p: p.read_bytes() for p in live_dir.rglob("*") if p.is_file()}
    s = EdgeVectorStore(root)
    try:
        s.delete(ALIAS, [POINTS[0].id])
        assert s.count(ALIAS) == N - 1  # this writer reads its own writes
        assert _published(root)["collections"][COLL].get("dir") in (None, COLL)  # not published yet
        assert {p: p.read_bytes() for p in live_dir.rglob("*") if p.is_file()} == before
        s.optimize(ALIAS)
        published = _published(root)["collections"][COLL]["dir"]
        assert published.startswith(COLL + ".w") and not live_dir.exists()
    finally:
        s.close()
    s = EdgeVectorStore(root)
    try:
        assert s.count(ALIAS) == N - 1 and not s.retrieve(ALIAS, [POINTS[0].id])
    finally:
        s.close()


def test_a_writer_killed_before_its_writes_settle_leaves_the_live_collection_as_it_was(tmp_path):
    root = tmp_path / "edge"
    _seed(root)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os
        from tests.vectorstore.data import ALIAS, POINTS
        from helio_pipeline.vectorstore.edge import EdgeVectorStore
        s = EdgeVectorStore({str(root)!r})
        s.delete(ALIAS, [p.id for p in POINTS[:50]])
        os._exit(0)
    """)], cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert [p for p in (root / "collections").iterdir() if ".w" in p.name]  # its unpublished copy
    s = EdgeVectorStore(root)  # the next writer removes it
    try:
        assert s.count(ALIAS) == N
        assert [p.name for p in (root / "collections").iterdir()] == [COLL]
    finally:
        s.close()


def test_a_reader_in_the_writing_process_is_the_writer(tmp_path):
    writer = EdgeVectorStore(tmp_path / "edge")
    try:
        assert EdgeVectorStore(tmp_path / "edge", reader=True) is writer and not writer.read_only
    finally:
        writer.close()
    reader = EdgeVectorStore(tmp_path / "edge", reader=True)
    try:
        assert reader.read_only and EdgeVectorStore(tmp_path / "edge", reader=True) is reader
        writer = EdgeVectorStore(tmp_path / "edge")  # a reader holds no lock a writer waits for
        assert writer is not reader and not writer.read_only
        writer.close()
    finally:
        reader.close()
