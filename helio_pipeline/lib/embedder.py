"""The Embedder interface every provider implements (lib/embedding.py holds the local and
static ones and the spec that builds any of them; lib/openai_embedder.py the OpenAI one):
texts in, unit-length float32 vectors out, with a running :class:`EmbedUsage` so a run can
report what it cost; and :class:`BatchingEmbedder`, which gathers concurrent query
embeddings into one model call (``helio serve``)."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from concurrent.futures import Future
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
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors of ``texts`` in one model call."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._embed(list(texts), query=True)
        self._check_shape(vectors, len(texts))
        return vectors

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


class BatchingEmbedder(Embedder):
    """Query embeddings of concurrent callers gathered into shared model calls.

    Each ``embed_query`` queues its text and waits; a worker thread takes every text queued
    so far (up to ``max_batch``; it waits ``max_wait_ms`` for more when the batch is not
    full), embeds them in one call and hands each caller its own vector, or the call's error.
    A lone caller pays no wait with ``max_wait_ms=0``: under load the queue fills while the
    model runs, so batches form on their own. ``workers`` model calls may run at once (on 2
    cores, two calls of half a batch kept both busy where one call of a whole batch did
    not: bench/serve_load.py). Documents go straight to the wrapped embedder."""

    def __init__(self, inner: Embedder, max_batch: int = 32, max_wait_ms: float = 0.0, workers: int = 1):
        super().__init__()
        self.inner = inner
        self.usage = inner.usage
        self.name, self.model, self.dimensions = inner.name, inner.model, inner.dimensions
        self.batch_size = inner.batch_size
        self.max_batch = max(1, max_batch)
        self.max_wait = max(0.0, max_wait_ms) / 1000
        self.batches = 0  # model calls made for queries, for benches and tests
        self._pending: list[tuple[str, "Future"]] = []
        self._ready = threading.Condition()
        self._closed = False
        self._workers: list[threading.Thread] = []
        self._busy = 0  # workers inside a model call
        self.max_workers = max(1, workers)

    def __getattr__(self, name):  # anything else a provider offers (check_access, estimate_tokens...)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def describe(self) -> dict:
        return self.inner.describe()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        return self.inner._embed(texts, query)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Queued together, so they land in one model call (with other callers' texts)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        futures = [Future() for _ in texts]
        with self._ready:
            if self._closed:
                raise HelioError("the query embedder is shut down")
            self._pending.extend(zip(texts, futures))
            if len(self._workers) < self.max_workers and self._busy == len(self._workers):
                worker = threading.Thread(target=self._run, name=f"query-batcher-{self.name}", daemon=True)
                self._workers.append(worker)
                worker.start()
            self._ready.notify()
        return np.stack([future.result() for future in futures])

    def _take(self) -> list[tuple[str, "Future"]] | None:
        with self._ready:
            while not self._pending and not self._closed:
                self._ready.wait()
            if not self._pending:
                return None  # closed and drained
            if self.max_wait and len(self._pending) < self.max_batch and not self._closed:
                deadline = time.monotonic() + self.max_wait
                while len(self._pending) < self.max_batch and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._ready.wait(left)
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            self._busy += 1
            return batch

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            try:
                vectors = self.inner._embed([text for text, _ in batch], query=True)
                self.inner._check_shape(vectors, len(batch))
            except BaseException as exc:  # every caller of the batch gets the model's error
                for _, future in batch:
                    future.set_exception(exc)
                continue
            finally:
                with self._ready:
                    self._busy -= 1
            with self._ready:
                self.batches += 1
            for row, (_, future) in enumerate(batch):
                future.set_result(vectors[row])

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking queries; those already queued are still answered, then the workers end."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
            workers = list(self._workers)
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join(timeout)
