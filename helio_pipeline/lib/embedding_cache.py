"""Durable embedding cache in PostgreSQL (table ``kb_embedding_cache``, see sql/).

Every document embedding goes through :class:`CachedEmbedder`: a text already embedded by
the same embedder/model/dimensions costs no call. Misses are embedded in batches and each
batch is committed to the cache as soon as it is computed, so a run killed halfway pays
only for the other half when it is rerun.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from helio_pipeline.lib.embedding import Embedder


def normalize_text(text: str) -> str:
    """What the cache keys on: Unicode NFC, outer whitespace stripped."""
    return unicodedata.normalize("NFC", text).strip()


def text_key(text: str) -> bytes:
    return hashlib.sha256(normalize_text(text).encode("utf-8")).digest()


class EmbeddingCache:
    def __init__(self, engine: Engine):
        self.engine = engine

    @staticmethod
    def _ident(embedder: Embedder) -> dict:
        return {"embedder": embedder.name, "model": embedder.model, "dimensions": embedder.dimensions}

    def get_many(self, embedder: Embedder, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """Vectors for the keys present; counts a hit on each."""
        if not keys:
            return {}
        ident = self._ident(embedder)
        found: dict[bytes, np.ndarray] = {}
        with self.engine.begin() as conn:
            for start in range(0, len(keys), 2000):
                part = keys[start : start + 2000]
                rows = conn.execute(
                    sa.text(
                        "UPDATE kb_embedding_cache SET hit_count = hit_count + 1, last_hit_at = now() "
                        "WHERE embedder = :embedder AND model = :model AND dimensions = :dimensions "
                        "AND text_sha256 = ANY(:keys) RETURNING text_sha256, vector"
                    ),
                    {**ident, "keys": part},
                )
                for key, blob in rows:
                    found[bytes(key)] = np.frombuffer(blob, dtype="<f4")
        return found

    def put_many(self, embedder: Embedder, items: list[tuple[bytes, np.ndarray, int | None]]) -> None:
        if not items:
            return
        ident = self._ident(embedder)
        params = [
            {**ident, "key": key, "vector": np.asarray(vec, dtype="<f4").tobytes(), "tokens": tokens}
            for key, vec, tokens in items
        ]
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO kb_embedding_cache (embedder, model, dimensions, text_sha256, vector, tokens) "
                    "VALUES (:embedder, :model, :dimensions, :key, :vector, :tokens) ON CONFLICT DO NOTHING"
                ),
                params,
            )

    def present(self, embedder: Embedder, keys: list[bytes]) -> set[bytes]:
        """Which keys are cached (no hit is counted: used to estimate a run's cost)."""
        found: set[bytes] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(keys), 5000):
                rows = conn.execute(
                    sa.text("SELECT text_sha256 FROM kb_embedding_cache WHERE embedder = :embedder AND model = :model "
                            "AND dimensions = :dimensions AND text_sha256 = ANY(:keys)"),
                    {**self._ident(embedder), "keys": keys[start : start + 5000]},
                )
                found.update(bytes(r[0]) for r in rows)
        return found

    def prune(self, not_hit_for_days: float) -> int:
        """Drop entries neither written nor hit for ``not_hit_for_days`` days; returns how many."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    "DELETE FROM kb_embedding_cache WHERE last_hit_at < now() - make_interval(secs => :secs)"
                ),
                {"secs": not_hit_for_days * 86400},
            )
            return result.rowcount

    def stats(self) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT count(*), coalesce(sum(hit_count), 0), coalesce(sum(octet_length(vector)), 0) "
                    "FROM kb_embedding_cache"
                )
            ).one()
        return {"entries": row[0], "hits": int(row[1]), "bytes": int(row[2])}


@dataclass
class CacheStats:
    hits: int = 0
    embedded: int = 0


class CachedEmbedder:
    """An embedder whose document embeddings are read from and written to the cache."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None):
        self.embedder = embedder
        self.cache = cache
        self.stats = CacheStats()

    def uncached(self, texts: list[str]) -> list[str]:
        """The distinct texts that would cost an embedding call."""
        keys = {text_key(t): t for t in texts}
        present = self.cache.present(self.embedder, list(keys)) if self.cache else set()
        return [t for k, t in keys.items() if k not in present]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        cached = self.cache.get_many(self.embedder, list(dict.fromkeys(keys))) if self.cache else {}
        vectors: dict[bytes, np.ndarray] = dict(cached)
        # identical texts in one call are embedded once
        missing = {k: t for k, t in zip(keys, texts) if k not in vectors}
        self.stats.hits += sum(1 for k in keys if k in cached)
        items = list(missing.items())
        size = self.embedder.batch_size
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            tokens_before = self.embedder.usage.tokens
            embedded = self.embedder.embed_documents([normalize_text(t) for _, t in batch])
            per_text_tokens = (self.embedder.usage.tokens - tokens_before) // max(1, len(batch))
            for (key, _), vec in zip(batch, embedded):
                vectors[key] = vec
            if self.cache:  # written now, not at the end: a killed run keeps what it paid for
                self.cache.put_many(self.embedder, [(k, v, per_text_tokens) for (k, _), v in zip(batch, embedded)])
            self.stats.embedded += len(batch)
        dims = self.embedder.dimensions
        if not texts:
            return np.zeros((0, dims), dtype=np.float32)
        return np.stack([vectors[k] for k in keys])
