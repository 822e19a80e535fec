"""The real ``helio`` command in a process a test can SIGKILL mid-embedding.

    python -m tests.hardening.killable_refresh refresh [helio arguments...]

DAGSTER_HOME and the HELIO_* variables come from the caller. The static embedder is slowed
down and prints "embedded <n>" each time a batch has reached the embedding cache (a seam of
our own, not what is tested); the CLI, the Dagster instance, PostgreSQL, S3 and the embedded
vector store are the real ones.

With HELIO_TEST_NO_POOL_CHECK=1 the CLI skips its own check of the pool slots before a run, so
a test can make the run wait for a slot inside Dagster instead.
"""

import os
import sys
import time

from helio_pipeline.cli import main
from helio_pipeline.lib.embedding import StaticEmbedder
from helio_pipeline.lib.embedding_cache import EmbeddingCache

embedded = 0
static_embed = StaticEmbedder._embed
cache_put_many = EmbeddingCache.put_many


def slow_embed(self, texts, query):
    if not query:
        time.sleep(0.2)
    return static_embed(self, texts, query)


def reporting_put_many(self, embedder, items):
    global embedded
    cache_put_many(self, embedder, items)
    embedded += len(items)
    print(f"embedded {embedded}", flush=True)


StaticEmbedder.batch_size = 8
StaticEmbedder._embed = slow_embed
EmbeddingCache.put_many = reporting_put_many
if os.environ.get("HELIO_TEST_NO_POOL_CHECK") == "1":
    from helio_pipeline.defs import runs

    runs.wait_for_pools = lambda *args, **kwargs: None

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
