"""The Embedder interface every provider implements (lib/embedding.py holds the local and
static ones and the spec that builds any of them; lib/openai_embedder.py the OpenAI one):
texts in, unit-length float32 vectors out, with a running :class:`EmbedUsage` so a run can
report what it cost."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from helio_pipeline.lib.errors import HelioError

# USD per 1M input tokens (OpenAI list prices); local models cost nothing.
PRICE_PER_MILLION_TOKENS = {
    "text-embedding-3-small": 0.02,
    "text-embedding-3-large": 0.13,
    "text-embedding-ada-002": 0.10,
}


@dataclass
class EmbedUsage:
    texts: int = 0
    tokens: int = 0
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0

    def add(self, other: "EmbedUsage") -> None:
        for name in ("texts", "tokens", "requests", "retries", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class Embedder(ABC):
    """Turns texts into unit-length float32 vectors of ``dimensions`` components."""

    name: str
    model: str
    dimensions: int
    batch_size: int = 64

    def __init__(self) -> None:
        self.usage = EmbedUsage()

    @property
    def usd_per_million_tokens(self) -> float:
        return PRICE_PER_MILLION_TOKENS.get(self.model, 0.0) if self.name == "openai" else 0.0

    def estimated_usd(self, tokens: int) -> float:
        return tokens * self.usd_per_million_tokens / 1_000_000

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        started = time.perf_counter()
        vectors = self._embed(texts, query=False)
        self._check_shape(vectors, len(texts))
        self.usage.texts += len(texts)
        self.usage.seconds += time.perf_counter() - started
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        vectors = self._embed([text], query=True)
        self._check_shape(vectors, 1)
        return vectors[0]

    def _check_shape(self, vectors: np.ndarray, n: int) -> None:
        if vectors.shape != (n, self.dimensions):
            raise HelioError(
                f"{self.name} embedder ({self.model}) returned {vectors.shape}, expected "
                f"({n}, {self.dimensions}); nothing from this batch is written"
            )

    @abstractmethod
    def _embed(self, texts: list[str], query: bool) -> np.ndarray: ...

    def describe(self) -> dict:
        return {"embedder": self.name, "model": self.model, "dimensions": self.dimensions}
