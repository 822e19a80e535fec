"""OpenAI embeddings (or any OpenAI-compatible endpoint via ``base_url``), done for production.

What one :meth:`OpenAIEmbedder.embed_documents` call does:

1. Counts every text's tokens offline (cl100k, :func:`count_tokens`). A text over the model's
   input limit (8,191 tokens) is cut on a token boundary, with a warning naming its index and
   first characters (the chunker never produces one; a hand-made caller might).
2. Packs the texts into requests of at most ``max_inputs_per_request`` inputs (API cap 2,048)
   and ``max_tokens_per_request`` tokens (API cap 300k; default 250k). A call is also spread
   over up to ``max_concurrency`` requests (never below ``min_inputs_per_request`` texts each)
   so the requests of one call run side by side.
3. Sends them on a thread pool (``max_concurrency`` at once) with the official sync client,
   built with ``max_retries=0``: the retry policy is this module's, not the SDK's.
4. Retries transient failures: a 429 sleeps exactly what ``retry-after-ms`` / ``Retry-After``
   say (capped at ``retry_after_max``); 408/409/5xx, timeouts, connection errors and
   malformed response bodies back off exponentially with full jitter. A request rejected as
   too large (400/413 mentioning too many tokens/inputs or a maximum) is split in half.
   A request gives up after ``max_retry_seconds`` of failing (or ``max_retries`` retries)
   with a :class:`SourceUnavailable` naming the endpoint and the last status.
5. Asks for the vectors base64-encoded (``encoding_format="base64"``, what the SDK itself asks
   for by default): 4 bytes a component, decoded by numpy in one go. Asked for as JSON floats,
   the SDK builds every component into its response model one by one, about 5 ms of CPU per
   1,536-d vector, more than the rest of the pipeline spends on a chunk. A server that
   answers with float lists anyway is read as it answers; one that refuses the parameter (a
   400 naming it) is asked for floats from then on.
6. Validates every response (one vector per input, each of ``dimensions`` components);
   a bad one fails the whole call: nothing from it is returned, so nothing is cached.

``batch_size`` (default 256) is what :class:`~helio_pipeline.lib.embedding_cache.CachedEmbedder`
hands over per call, and it commits each call's vectors to the cache right away: a modest
size means a run that dies halfway keeps most of what it paid for.

Usage accounting (``self.usage``): ``requests`` counts every HTTP request sent (failed ones
too, so it equals what the server saw), ``retries`` the ones that repeated an earlier failed
attempt, ``tokens`` the documents' ``usage.prompt_tokens`` reported by the server (the
offline count when a server reports none). The API key is never logged nor put in an error.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import logging
import math
import random
import re
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

import numpy as np

from helio_pipeline.lib.chunking import count_tokens
from helio_pipeline.lib.embedder import PRICE_PER_MILLION_TOKENS, Embedder, normalize
from helio_pipeline.lib.errors import HelioError, SourceUnavailable

log = logging.getLogger(__name__)

DEFAULT_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
API_MAX_INPUTS = 2048
MODEL_MAX_INPUT_TOKENS = 8191

# what a 400/413 says when the request (not one input) is too big for the server
_TOO_LARGE = re.compile(r"too many|too large|too long|maximum|\bmax\b|exceed", re.IGNORECASE)
_NO_BASE64 = re.compile(r"encoding[_ ]format", re.IGNORECASE)  # a server that only answers floats
_RETRYABLE_STATUS = {408, 409, 429}


class _Aborted(Exception):
    """Another request of the same call failed for good: stop retrying this one."""


class _Retryable(Exception):
    def __init__(self, status: str, delay: float | None = None):
        super().__init__(status)
        self.status = status
        self.delay = delay  # exact wait the server asked for (Retry-After), else None = backoff


class _TooLarge(Exception):
    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


class OpenAIEmbedder(Embedder):
    """OpenAI embeddings (or any OpenAI-compatible server via ``base_url``).

    Arguments (the Dagster layer fills them from config and ``EnvVar`` s):

    - ``model``, ``dimensions`` (sent to the API only for ``text-embedding-3-*``; otherwise it is
      the size the server's vectors are checked against), ``api_key`` (what ``OPENAI_API_KEY`` says, passed in),
      ``base_url``, ``organization``, ``project``, ``timeout`` (seconds per HTTP request).
    - ``max_retries``: retries per request (``None``: bounded by time only; ``0``: none).
    - ``max_retry_seconds``: how long one request may keep failing before the run gives up.
    - ``backoff_base`` / ``backoff_max``: full-jitter exponential backoff, seconds.
    - ``retry_after_max``: cap on a server-requested ``Retry-After`` wait, seconds.
    - ``max_inputs_per_request`` (≤ 2,048), ``max_tokens_per_request`` (250k),
      ``max_input_tokens`` (8,191; longer texts are truncated), ``min_inputs_per_request``.
    - ``max_concurrency``: requests in flight at once (4).
    - ``batch_size``: texts per ``embed_documents`` call from the cache layer (256).
    """

    name = "openai"

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        dimensions: int | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float = 60.0,
        max_retries: int | None = None,
        *,
        max_retry_seconds: float = 300.0,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        retry_after_max: float = 60.0,
        max_inputs_per_request: int = API_MAX_INPUTS,
        max_tokens_per_request: int = 250_000,
        max_input_tokens: int = MODEL_MAX_INPUT_TOKENS,
        min_inputs_per_request: int = 32,
        max_concurrency: int = 4,
        batch_size: int = 256,
    ):
        super().__init__()
        from openai import OpenAI

        if not 1 <= max_inputs_per_request <= API_MAX_INPUTS:
            raise ValueError(f"max_inputs_per_request must be 1..{API_MAX_INPUTS}")
        if max_concurrency < 1 or batch_size < 1 or max_tokens_per_request < 1 or max_input_tokens < 1:
            raise ValueError("max_concurrency, batch_size and the token limits must be positive")
        self.model = model
        self.dimensions = dimensions or DEFAULT_DIMENSIONS.get(model, 1536)
        self._send_dimensions = dimensions is not None and model.startswith("text-embedding-3")
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_seconds = max_retry_seconds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.max_inputs_per_request = max_inputs_per_request
        self.max_tokens_per_request = max_tokens_per_request
        self.max_input_tokens = max_input_tokens
        self.min_inputs_per_request = max(1, min_inputs_per_request)
        self.max_concurrency = max_concurrency
        self.batch_size = batch_size
        self._api_key = api_key or "missing"  # the caller passes OPENAI_API_KEY (settings.py)
        self._client = OpenAI(
            api_key=self._api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=0,  # our policy below, not the SDK's
        )
        url = urlsplit(str(self._client.base_url))
        host = url.hostname or ""
        if url.port:
            host = f"{host}:{url.port}"
        self.endpoint = f"{url.scheme}://{host}{url.path}".rstrip("/")  # no userinfo, no query
        self._lock = threading.Lock()
        self.encoding_format = "base64"  # "float" once a server refuses base64 (see _send)

    # -- public helpers ------------------------------------------------------------------

    @property
    def usd_per_million_tokens(self) -> float:
        return PRICE_PER_MILLION_TOKENS.get(self.model, 0.0)

    def estimate_tokens(self, texts) -> int:
        """Offline token count of what embedding ``texts`` would bill (after truncation)."""
        return sum(min(count_tokens(t), self.max_input_tokens) for t in texts)

    def check_access(self) -> None:
        """Embed one short text now: a missing/wrong key, an unknown model, an unreachable
        endpoint or a wrong ``dimensions`` fail here, before any extraction work."""
        self._request(["helio access check"], query=True, abort=threading.Event())

    def describe(self) -> dict:
        return {**super().describe(), "endpoint": self.endpoint}

    # -- batching ------------------------------------------------------------------------

    def _prepare(self, texts: list[str]) -> tuple[list[str], list[int]]:
        out, counts = [], []
        for i, text in enumerate(texts):
            n = count_tokens(text)
            if n > self.max_input_tokens:
                from helio_pipeline.lib.chunking import _encoding

                enc = _encoding()
                text = enc.decode(enc.encode(text, disallowed_special=())[: self.max_input_tokens])
                log.warning(
                    "embedding input %d (%r...) has %d tokens, over the limit of %d for %s: truncated",
                    i, texts[i][:40], n, self.max_input_tokens, self.model,
                )
                n = count_tokens(text)
                if n > self.max_input_tokens:  # decode/encode round trip can merge differently
                    text = enc.decode(enc.encode(text, disallowed_special=())[: max(1, self.max_input_tokens - 8)])
                    n = count_tokens(text)
            out.append(text)
            counts.append(n)
        return out, counts

    def _plan(self, counts: list[int]) -> list[tuple[int, int]]:
        """[start, end) ranges: each within the input and token caps; a call is spread over up
        to ``max_concurrency`` requests when it has enough texts."""
        spread = math.ceil(len(counts) / self.max_concurrency)
        cap = min(self.max_inputs_per_request, max(self.min_inputs_per_request, spread))
        ranges: list[tuple[int, int]] = []
        start, budget = 0, 0
        for i, n in enumerate(counts):
            if i > start and (i - start >= cap or budget + n > self.max_tokens_per_request):
                ranges.append((start, i))
                start, budget = i, 0
            budget += n
        if counts:
            ranges.append((start, len(counts)))
        return ranges

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        prepared, counts = self._prepare(texts)
        ranges = self._plan(counts)
        abort = threading.Event()
        if len(ranges) == 1 or self.max_concurrency == 1:
            parts = [self._request(prepared[a:b], query, abort, counts[a:b]) for a, b in ranges]
            return np.concatenate(parts)
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(ranges)),
                                thread_name_prefix="openai-embed") as pool:
            futures = [pool.submit(self._request, prepared[a:b], query, abort, counts[a:b]) for a, b in ranges]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f in done and f.exception() is not None]
            if failed:
                abort.set()  # the others stop at their next wait; nothing of this call is returned
                for f in futures:
                    f.cancel()
                wait(futures)
                errors = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
                first = next((e for e in errors if not isinstance(e, _Aborted)), errors[0])
                raise first
            return np.concatenate([f.result() for f in futures])

    # -- one request, with retries and splitting -----------------------------------------

    def _request(self, texts: list[str], query: bool, abort: threading.Event,
                 counts: list[int] | None = None) -> np.ndarray:
        attempt = 0
        first_failure: float | None = None
        while True:
            if abort.is_set():
                raise _Aborted()
            try:
                return self._send(texts, query, counts)
            except _TooLarge as exc:
                if len(texts) == 1:
                    raise HelioError(
                        f"the embedding API at {self.endpoint} rejected a single input as too large "
                        f"({self._redact(exc.status)}); lower max_input_tokens"
                    ) from None
                half = len(texts) // 2
                log.info("embedding API at %s: request of %d inputs too large, splitting", self.endpoint, len(texts))
                left = self._request(texts[:half], query, abort, counts[:half] if counts else None)
                right = self._request(texts[half:], query, abort, counts[half:] if counts else None)
                return np.concatenate([left, right])
            except _Retryable as exc:
                now = time.monotonic()
                first_failure = first_failure if first_failure is not None else now
                if exc.delay is not None:
                    delay = min(max(exc.delay, 0.0), self.retry_after_max)
                else:
                    delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** attempt))
                out_of_tries = self.max_retries is not None and attempt >= self.max_retries
                if out_of_tries or now + delay - first_failure > self.max_retry_seconds:
                    raise SourceUnavailable(
                        f"the embedding API at {self.endpoint} ({self.model}) kept failing: gave up after "
                        f"{attempt + 1} attempt(s) over {now - first_failure:.1f}s "
                        f"(last: {self._redact(exc.status)})"
                    ) from None
                log.warning("embedding API at %s: %s; retry %d in %.2fs", self.endpoint,
                            self._redact(exc.status), attempt + 1, delay)
                if self._wait(delay, abort):
                    raise _Aborted() from None
                attempt += 1
                with self._lock:
                    self.usage.retries += 1

    def _wait(self, delay: float, abort: threading.Event) -> bool:
        """Sleep ``delay`` seconds; True when another request of the call failed meanwhile."""
        return abort.wait(delay)

    def _send(self, texts: list[str], query: bool, counts: list[int] | None) -> np.ndarray:
        """One HTTP request; raises _Retryable / _TooLarge / HelioError, or returns the vectors."""
        import openai

        encoding = self.encoding_format
        kwargs = {"model": self.model, "input": texts, "encoding_format": encoding}
        if self._send_dimensions:
            kwargs["dimensions"] = self.dimensions
        with self._lock:
            self.usage.requests += 1
        try:
            response = self._client.embeddings.create(**kwargs)
        except openai.AuthenticationError:
            raise HelioError(
                f"the embedding API at {self.endpoint} rejected the API key (set OPENAI_API_KEY)"
            ) from None
        except openai.APITimeoutError:
            raise _Retryable(f"timed out after {self.timeout}s") from None
        except openai.APIConnectionError:
            raise _Retryable("connection error (unreachable)") from None
        except openai.APIResponseValidationError as exc:
            raise _Retryable(f"HTTP {exc.status_code}: malformed response body") from None
        except openai.APIStatusError as exc:
            status = f"HTTP {exc.status_code}: {_short(exc)}"
            if exc.status_code == 429:
                if exc.code == "insufficient_quota" or "insufficient_quota" in str(exc.body):
                    raise HelioError(
                        f"the embedding API at {self.endpoint} says the account's quota is exhausted "
                        f"({self._redact(status)})"
                    ) from None
                raise _Retryable(status, _retry_after(exc.response.headers)) from None
            if exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500:
                raise _Retryable(status) from None
            if exc.status_code in (400, 422) and encoding == "base64" and (
                    getattr(exc, "param", None) == "encoding_format" or _NO_BASE64.search(_short(exc, 2000))):
                log.warning("embedding API at %s refuses base64 vectors (%s): asking for floats",
                            self.endpoint, self._redact(status))
                self.encoding_format = "float"
                with self._lock:
                    self.usage.retries += 1  # the same request again, in the other format
                return self._send(texts, query, counts)
            if exc.status_code in (400, 413) and _TOO_LARGE.search(_short(exc, 2000)):
                raise _TooLarge(status) from None
            if exc.status_code == 403:
                hint = "the API key has no access to this model/project"
            elif exc.status_code == 404:
                hint = f"unknown model {self.model!r} or wrong base_url"
            else:
                hint = "request refused"
            raise HelioError(
                f"the embedding API at {self.endpoint} ({self.model}): {hint} ({self._redact(status)})"
            ) from None
        except json.JSONDecodeError:  # a 2xx whose body is not JSON
            raise _Retryable("malformed JSON response body") from None

        data = getattr(response, "data", None)
        if not isinstance(data, list):
            raise _Retryable("malformed response body (no 'data' list)")
        n = len(texts)
        if len(data) != n:
            raise HelioError(
                f"the embedding API at {self.endpoint} ({self.model}) returned {len(data)} vectors for "
                f"{n} inputs; nothing from this batch is written"
            )
        ordered = sorted(data, key=lambda d: d.index)
        if [d.index for d in ordered] != list(range(n)):
            raise HelioError(
                f"the embedding API at {self.endpoint} ({self.model}) returned vector indices that are "
                f"not 0..{n - 1}; nothing from this batch is written"
            )
        decoded = [_vector(d.embedding) for d in ordered]
        if any(v is None for v in decoded):
            raise _Retryable("malformed response body (a vector is neither a float list nor base64 float32)")
        sizes = {len(v) for v in decoded}
        if sizes != {self.dimensions}:
            got = ", ".join(str(s) for s in sorted(sizes))
            raise HelioError(
                f"the embedding API at {self.endpoint} ({self.model}) returned ({n}, {got}) vectors, expected "
                f"({n}, {self.dimensions}); nothing from this batch is written"
            )
        vectors = np.stack(decoded)
        if not np.all(np.isfinite(vectors)):
            raise HelioError(
                f"the embedding API at {self.endpoint} ({self.model}) returned non-finite values; "
                "nothing from this batch is written"
            )
        if not query:
            usage = getattr(response, "usage", None)
            tokens = getattr(usage, "prompt_tokens", None)
            if not isinstance(tokens, int):
                tokens = sum(counts) if counts else sum(count_tokens(t) for t in texts)
            with self._lock:
                self.usage.tokens += tokens
        return normalize(vectors)

    def _redact(self, message: str) -> str:
        key = self._api_key
        if key and key != "missing" and len(key) >= 4:
            message = message.replace(key, "***")
        return message


def _vector(embedding) -> np.ndarray | None:
    """One response vector as float32: base64 of little-endian float32 (what we ask for) or a
    list of numbers (a server that ignores the format); None when it is neither."""
    if isinstance(embedding, str):
        try:  # strict about the alphabet, not about line breaks (base64.encodebytes writes some)
            raw = base64.b64decode("".join(embedding.split()), validate=True)
        except (binascii.Error, ValueError):
            return None
        return np.frombuffer(raw, dtype="<f4").astype(np.float32) if len(raw) % 4 == 0 else None
    if isinstance(embedding, list):
        try:
            vector = np.asarray(embedding, dtype=np.float32)
        except (TypeError, ValueError):
            return None
        return vector if vector.ndim == 1 else None
    return None


def _short(exc, limit: int = 300) -> str:
    message = getattr(exc, "message", None) or str(exc)
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    return message[:limit]


def _retry_after(headers) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms`` (OpenAI), else ``Retry-After``
    (seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
