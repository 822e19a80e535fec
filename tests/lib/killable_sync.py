"""Run a sync in a separate process so a test can SIGKILL it mid-embedding.

    python -m tests.lib.killable_sync PG_URL QDRANT_PATH N_CHUNKS

Prints "embedded <n>" after each embedding batch has been written to the cache. The
embedder is the real static model, slowed down (a seam of our own, not what is tested).
"""

import sys
import time

from helio_pipeline.lib.db import make_engine
from helio_pipeline.lib.embedding import StaticEmbedder
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.lib.records import Chunk
from helio_pipeline.vectorstore.qdrant import QdrantStore
from helio_pipeline.lib.sync import IndexConfig, sync_collection

ALIAS = "kill-rules"
CONFIG = IndexConfig("static", "tokenlearn-static-64", 64, "v1")


def chunks(n: int) -> list[Chunk]:
    return [Chunk(f"doc-{i // 5}", i % 5, f"regra {i} sobre frete e garantia de inversores", "business_rules")
            for i in range(n)]


class SlowStatic(StaticEmbedder):
    batch_size = 10

    def _embed(self, texts, query):
        time.sleep(0.3)
        return super()._embed(texts, query)


class ReportingCache(EmbeddingCache):
    def put_many(self, embedder, items):
        super().put_many(embedder, items)
        ReportingCache.total = getattr(ReportingCache, "total", 0) + len(items)
        print(f"embedded {ReportingCache.total}", flush=True)


def main() -> None:
    pg_url, qdrant_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    embedder = CachedEmbedder(SlowStatic(), ReportingCache(make_engine(pg_url)))
    sync_collection(QdrantStore.open(path=qdrant_path), "rules", ALIAS, chunks(n), embedder, CONFIG,
                    payload_indexes={}, batch_size=20)
    print("done", flush=True)


if __name__ == "__main__":
    main()
