"""A sync killed with SIGKILL mid-embedding resumes without paying again or duplicating."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from helio_pipeline.lib.embedding import StaticEmbedder
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.vectorstore.qdrant import QdrantStore
from helio_pipeline.lib.sync import point_id, sync_collection
from helio_pipeline.lib.processes import spawn
from tests.lib.killable_sync import ALIAS, CONFIG, chunks

ROOT = Path(__file__).resolve().parents[2]
N = 200


def test_sigkill_mid_embedding_then_rerun_finishes_from_the_cache(pg_url, clean_db, tmp_path):
    qdrant_path = tmp_path / "qdrant"
    proc = spawn([sys.executable, "-m", "tests.lib.killable_sync", pg_url, str(qdrant_path), str(N)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    embedded_before_kill = 0
    for line in proc.stdout:
        embedded_before_kill = int(line.split()[1])
        if embedded_before_kill >= 50:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert 50 <= embedded_before_kill < N

    cache = EmbeddingCache(clean_db)
    assert cache.stats()["entries"] >= embedded_before_kill  # what was paid for is kept

    store = QdrantStore.open(path=qdrant_path)
    embedder = CachedEmbedder(StaticEmbedder(), cache)
    report = sync_collection(store, "rules", ALIAS, chunks(N), embedder, CONFIG, payload_indexes={})
    # chunks upserted before the kill are unchanged; those embedded but not yet upserted are cache hits
    assert report.unchanged + report.cache_hits >= embedded_before_kill
    assert report.unchanged + report.cache_hits + report.embedded == N
    assert embedder.embedder.usage.texts == report.embedded <= N - embedded_before_kill
    assert store.count(ALIAS) == N  # no duplicates, nothing missing
    ids = set(store.read_index(ALIAS))
    assert ids == {point_id("rules", c.source_id, c.chunk_no) for c in chunks(N)}
