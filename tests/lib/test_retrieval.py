"""The KnowledgeBase and its HTTP API against real PostgreSQL, S3 (moto) and Qdrant."""

import pytest
from fastapi.testclient import TestClient

from helio_pipeline.api import create_app
from helio_pipeline.lib.db import make_engine
from helio_pipeline.lib.filters import QueryError
from helio_pipeline.lib.retrieval import KnowledgeBase
from tests.helpers import add_message, add_price, add_product, add_rule, execute


@pytest.fixture
def indexed(kb):
    for i, (cat, stock, active) in enumerate([("module", 10, True), ("module", 0, True), ("module", 5, False),
                                              ("inverter", 3, True), ("inverter", 8, True)]):
        pid = add_product(kb.engine, f"SKU-{i}", f"Solaris Modelo SL-{i}00 painel", category=cat, stock=stock,
                          active=active, specs={"STC": 400.0 + i * 50} if cat == "module" else {"Paco": 5000.0 * (i + 1)})
        add_price(kb.engine, pid, "Solar Atacado SP" if i % 2 else "EcoVolt", "B1", 500 + 100 * i)
    add_rule(kb.engine, "garantia", "Garantia de inversores", "Inversores têm garantia de dez anos contra defeitos.")
    add_rule(kb.engine, "frete", "Frete", "Frete grátis acima de R$ 10 mil para o Sudeste.", "logistics")
    for conv, owner in (("c1", "ana"), ("c2", "ana"), ("c3", "bruno")):
        for m, (role, text) in enumerate([("user", f"Quero cotar inversor para {conv}, entrega em Recife"),
                                          ("assistant", "Claro, envio a cotação hoje."),
                                          ("user", f"Qual o prazo de entrega do pedido {conv}?")]):
            add_message(kb.engine, conv, owner, role, text, minute=m)
    kb.refresh()
    return kb.knowledge_base()


def test_filters_are_validated_against_the_registry(indexed):
    with pytest.raises(QueryError, match="cannot be filtered by 'color'"):
        indexed.search("painel", domains=["products"], filters={"color": "azul"})
    with pytest.raises(QueryError, match="takes float values"):
        indexed.search("painel", domains=["products"], filters={"power_w": "muito"})
    with pytest.raises(QueryError, match="empty range"):
        indexed.search("painel", domains=["products"], filters={"power_w": {"gte": 600, "lte": 100}})
    with pytest.raises(QueryError, match="gt/gte/lt/lte"):
        indexed.search("painel", domains=["products"], filters={"power_w": {"min": 1}})
    with pytest.raises(QueryError, match="ISO-8601"):
        indexed.search("x", domains=["conversations"], filters={"owner_id": "ana", "ended_at": {"gte": "ontem"}})


def test_filters_select_what_they_say(indexed):
    hits = indexed.search("painel", domains=["products"], top_k=10, filters={"category": "module", "power_w": {"gte": 440}})
    assert {h.source_id for h in hits} == {"SKU-1", "SKU-2"}
    prices = indexed.search("preço", domains=["prices"], top_k=10, filters={"distributor": "EcoVolt", "price": {"lt": 750}})
    assert {h.source_id for h in prices} == {"SKU-0", "SKU-2"}


def test_available_only_checks_postgres_now_and_keeps_relevance_order(indexed, kb):
    # understanding off: these "Solaris ... painel" names include inverters, which "painel" would exclude
    everything = [h.source_id for h in indexed.search("Solaris painel", domains=["products"], top_k=5, understand=False)]
    available = indexed.search("Solaris painel", domains=["products"], top_k=5, available_only=True, understand=False)
    assert [h.source_id for h in available] == [s for s in everything if s in {"SKU-0", "SKU-3", "SKU-4"}]
    assert all(h.payload["availability"] == "live" for h in available)
    execute(kb.engine, "UPDATE products SET stock = 0 WHERE sku = 'SKU-0'")  # no reindex: checked live
    assert "SKU-0" not in [h.source_id for h in indexed.search("Solaris painel", domains=["products"],
                                                               top_k=5, available_only=True, understand=False)]


def test_available_only_without_database_is_flagged_unverified(indexed):
    offline = KnowledgeBase(indexed.store, indexed.spec, prefix=indexed.prefix,
                            engine=make_engine("postgresql://helio@127.0.0.1:9/helio"))
    response = offline.query("Solaris painel", domains=["products"], top_k=5, available_only=True, understand=False)
    assert response.hits and all(h.payload["availability"] == "unverified" for h in response.hits)
    assert any("unverified" in note for note in response.notes)


def test_conversations_need_an_owner_and_never_cross_tenants(indexed):
    with pytest.raises(QueryError, match="requires 'owner_id'"):
        indexed.search("entrega", domains=["conversations"])
    hits = indexed.search("prazo de entrega inversor Recife", domains=["conversations"], top_k=10,
                          filters={"owner_id": "bruno"})
    assert hits and {h.payload["owner_id"] for h in hits} == {"bruno"}
    assert all("c3" in h.text for h in hits)
    assert all(h.domain != "conversations" for h in indexed.search("entrega Recife", top_k=10))


def test_memory_joins_recent_messages_and_relevant_past_conversations_of_the_same_owner(indexed):
    items = indexed.memory("ana", "c1", "prazo de entrega em Recife", recent=2, k=3)
    recent = [i for i in items if i["kind"] == "recent"]
    semantic = [i for i in items if i["kind"] == "semantic"]
    assert [i["text"] for i in recent] == ["Claro, envio a cotação hoje.", "Qual o prazo de entrega do pedido c1?"]
    assert semantic and {i["correlation_id"] for i in semantic} == {"c2"}  # not c1 again, never bruno's c3
    ids = [m for i in items for m in i["message_ids"]]
    assert len(ids) == len(set(ids))


def test_multi_domain_results_are_tagged_and_per_domain_lists_available(indexed):
    hits = indexed.search("garantia de inversores", top_k=6)
    assert {h.domain for h in hits} >= {"rules", "products"}
    per_domain = indexed.search_by_domain("garantia de inversores", domains=["rules", "products"], top_k=2)
    assert per_domain["rules"][0].payload["slug"] == "garantia"
    assert len(per_domain["products"]) == 2


@pytest.mark.parametrize("query,kwargs,message", [
    ("   ", {}, "empty"), ("x" * 100_000, {}, "limit"), ("frete\x00", {}, "control characters"),
    ("frete", {"top_k": 0}, "top_k"), ("frete", {"top_k": 10_000}, "top_k"),
    ("frete", {"domains": ["nope"]}, "unknown domain"), ("frete", {"mode": "magic"}, "mode"),
])
def test_bad_requests_are_clear_errors(indexed, query, kwargs, message):
    with pytest.raises(QueryError, match=message):
        indexed.search(query, **kwargs)


def test_repeated_questions_reuse_the_query_embedding(indexed):
    indexed.search("frete grátis", domains=["rules"])
    indexed.search("frete grátis", domains=["rules", "products"])
    assert len(indexed._query_cache) == 1


def test_the_query_embedder_is_the_one_the_collection_recorded(indexed):
    """Configured for 32-d static vectors now, the KB still answers from the 64-d collection
    written before: it builds the embedder the collection's metadata records."""
    from helio_pipeline.lib.embedding import EmbedderSpec

    reconfigured = KnowledgeBase(indexed.store, EmbedderSpec("static", dimensions=32), prefix=indexed.prefix,
                                 engine=indexed.engine)
    hits = reconfigured.search("garantia inversores", domains=["rules"], top_k=1)
    assert hits[0].payload["slug"] == "garantia"  # a 32-d query against 64-d vectors would fail


def test_http_api(indexed):
    client = TestClient(create_app(indexed), base_url="http://127.0.0.1")
    assert client.get("/health").json()["points"]["products"] == 5
    body = client.get("/search", params={"q": "garantia inversores", "domain": "rules", "top_k": 1}).json()
    assert body["hits"][0]["payload"]["slug"] == "garantia"
    assert body["query_embedding_time_ms"] >= 0 and body["search_time_ms"] > 0
    filtered = client.get("/search", params=[("q", "painel"), ("domain", "products"), ("filter", "category=inverter")])
    assert {h["payload"]["category"] for h in filtered.json()["hits"]} == {"inverter"}
    assert client.get("/search", params={"q": " "}).status_code == 422
    assert client.get("/search", params={"q": "x", "domain": "conversations"}).status_code == 422
    assert client.get("/search", params={"q": "x", "top_k": 10000}).status_code == 422
    memory = client.post("/memory", json={"owner_id": "ana", "correlation_id": "c2", "query": "entrega", "k": 1})
    assert {i["kind"] for i in memory.json()["items"]} == {"recent", "semantic"}
    assert "/search" in client.get("/openapi.json").json()["paths"]
    # without keys, a page whose DNS name was rebound to 127.0.0.1 is refused (Host header)
    rebound = TestClient(create_app(indexed), base_url="http://attacker.example")
    assert rebound.get("/search", params={"q": "garantia", "domain": "rules"}).status_code == 400
