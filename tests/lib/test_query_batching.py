"""BatchingEmbedder: concurrent query embeddings in one model call, each caller gets its own
vector or the call's error, and shutting down never leaves a caller or the worker hanging."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from helio_pipeline.lib.embedder import BatchingEmbedder
from helio_pipeline.lib.embedding import EmbedderSpec, StaticEmbedder
from helio_pipeline.lib.errors import HelioError

QUERIES = [f"inversor trifásico {kw} kW garantia {kw % 7} anos" for kw in range(5, 21)]


class HeldModel(StaticEmbedder):
    """The real static model, whose first query call waits until the test lets it go, so
    the other callers queue up behind it; it records every batch it is given."""

    def __init__(self, fail_on: str | None = None):
        super().__init__()
        self.release = threading.Event()
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def _embed(self, texts, query):
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            assert self.release.wait(10)
        if self.fail_on in texts:
            raise HelioError(f"the model refused {self.fail_on!r}")
        return super()._embed(texts, query)


def _queued(batcher: BatchingEmbedder, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(batcher._pending) < n:
        assert time.monotonic() < deadline, "callers never queued"
        time.sleep(0.001)


def _behind_a_held_call(pool, batcher: BatchingEmbedder, model: HeldModel, first: str, rest: list[str]):
    """``first`` asked and holding the model, then ``rest`` asked and queued behind it:
    (the held caller's future, the queued callers' futures)."""
    held = pool.submit(batcher.embed_query, first)
    while not model.calls:
        time.sleep(0.001)
    queued = [pool.submit(batcher.embed_query, q) for q in rest]
    _queued(batcher, len(rest))
    return held, queued


def test_concurrent_queries_share_one_model_call_and_each_gets_its_own_vector():
    model = HeldModel()
    batcher = BatchingEmbedder(model, max_batch=32)
    with ThreadPoolExecutor(16) as pool:
        first, rest = _behind_a_held_call(pool, batcher, model, QUERIES[0], QUERIES[1:])
        model.release.set()
        vectors = [first.result(10)] + [f.result(10) for f in rest]
    assert [len(call) for call in model.calls] == [1, 15]  # 16 queries, 2 model calls
    expected = StaticEmbedder().embed_documents(QUERIES)  # the static model embeds queries like documents
    for query, vector, want in zip(QUERIES, vectors, expected):
        assert vector.shape == (64,)
        assert np.allclose(vector, want, atol=1e-6), query
    batcher.close()


def test_batches_are_capped_at_max_batch():
    model = HeldModel()
    batcher = BatchingEmbedder(model, max_batch=4)
    with ThreadPoolExecutor(16) as pool:
        first, rest = _behind_a_held_call(pool, batcher, model, QUERIES[0], QUERIES[1:11])
        model.release.set()
        assert all(f.result(10).shape == (64,) for f in [first, *rest])
    assert [len(call) for call in model.calls] == [1, 4, 4, 2]
    batcher.close()


def test_a_failed_model_call_fails_every_caller_of_that_batch_and_only_them():
    model = HeldModel(fail_on="boom")
    batcher = BatchingEmbedder(model, max_batch=32)
    with ThreadPoolExecutor(8) as pool:
        first, doomed = _behind_a_held_call(pool, batcher, model, QUERIES[0], ["boom", QUERIES[1], QUERIES[2]])
        model.release.set()
        assert first.result(10).shape == (64,)
        for future in doomed:
            with pytest.raises(HelioError, match="refused 'boom'"):
                future.result(10)
    assert batcher.embed_query(QUERIES[3]).shape == (64,)  # the worker survived the error
    batcher.close()


def test_close_answers_queued_callers_then_refuses_new_ones_and_stops_the_worker():
    model = HeldModel()
    batcher = BatchingEmbedder(model, max_batch=32)
    with ThreadPoolExecutor(8) as pool:
        first, queued = _behind_a_held_call(pool, batcher, model, QUERIES[0], QUERIES[1:4])
        batcher.max_wait = 3600.0  # the next batch would wait an hour for more callers
        closing = pool.submit(batcher.close)
        model.release.set()
        closing.result(30)  # a deadlock guard: close() cuts the hour-long batch wait short
        assert first.result(10).shape == (64,)
        assert all(f.result(10).shape == (64,) for f in queued)
    assert not any(worker.is_alive() for worker in batcher._workers)
    with pytest.raises(HelioError, match="shut down"):
        batcher.embed_query("depois do fim")


def test_close_without_any_query_starts_no_thread_and_spec_builds_a_batcher_only_when_asked():
    # close() with nothing queued returns (no worker to wait for) and never started a thread
    before = set(threading.enumerate())
    closer = threading.Thread(target=BatchingEmbedder(StaticEmbedder()).close)
    closer.start()
    closer.join(30)  # a deadlock guard, not a timing: close() must return at all
    assert not closer.is_alive()
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("query-batcher")]
    assert isinstance(EmbedderSpec("static", query_batch=16).build(), BatchingEmbedder)
    plain = EmbedderSpec("static").build()
    assert not isinstance(plain, BatchingEmbedder)
    batched = EmbedderSpec("static", query_batch=16).recorded({"embedder": "static", "model": "x", "dimensions": 32})
    assert batched.query_batch == 16  # the collection's recorded embedder is batched too


def test_one_callers_several_texts_share_a_model_call_and_come_back_in_order():
    model = HeldModel()
    model.release.set()
    batcher = BatchingEmbedder(model, max_batch=32)
    vectors = batcher.embed_queries(QUERIES[:3])
    assert model.calls == [QUERIES[:3]]
    assert np.allclose(vectors, StaticEmbedder().embed_documents(QUERIES[:3]), atol=1e-6)
    assert batcher.embed_queries([]).shape == (0, 64)
    batcher.close()


def test_a_second_worker_answers_while_the_first_model_call_runs():
    model = HeldModel()
    batcher = BatchingEmbedder(model, max_batch=32, workers=2)
    with ThreadPoolExecutor(4) as pool:
        held = pool.submit(batcher.embed_query, QUERIES[0])
        while not model.calls:
            time.sleep(0.001)
        assert pool.submit(batcher.embed_query, QUERIES[1]).result(10).shape == (64,)  # not behind the held call
        assert not held.done()
        model.release.set()
        assert held.result(10).shape == (64,)
    assert len(batcher._workers) == 2
    batcher.close()
    assert not any(worker.is_alive() for worker in batcher._workers)
