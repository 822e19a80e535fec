"""Search by what was asked (lib/spec_search.py through the KnowledgeBase), on a real
embedded store: the specs read from a Portuguese question filter and rank the answers."""

from __future__ import annotations

import pytest

from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib.spec_search import plan
from helio_pipeline.lib.understanding import understand
from tests.helpers import add_product

MODULES = [  # sku, watts, technology, maker
    ("M-260A", 260, "Mono-c-Si", "Acme Solar"), ("M-260B", 260, "Mono-c-Si", "Acme Solar"),
    ("M-400A", 400, "Mono-c-Si", "Acme Solar"), ("M-400B", 400, "Mono-c-Si", "Canadian Solar Inc."),
    ("M-405", 405, "Mono-c-Si", "Acme Solar"), ("P-400", 400, "Multi-c-Si", "Canadian Solar Inc."),
    ("M-50", 50, "Mono-c-Si", "Acme Solar"), ("P-300C", 300, "Multi-c-Si", "Canadian Solar Inc."),
]
INVERTERS = [("I-3K", 3000), ("I-8K", 8000), ("I-85", 8500), ("I-20K", 20000), ("I-50K", 50000), ("I-400", 400)]


@pytest.fixture
def catalog(kb):
    for sku, watts, technology, maker in MODULES:
        add_product(kb.engine, sku, f"Painel {maker.split()[0]} {sku} {watts}W", category="module", manufacturer=maker,
                    specs={"STC": float(watts), "Technology": technology})
    for sku, watts in INVERTERS:
        add_product(kb.engine, sku, f"Inversor Acme {sku}", category="inverter", manufacturer="Acme Power",
                    specs={"Paco": float(watts), "Vac": 240.0})
    assert kb.refresh(domains=["products"]).success
    return kb


def _skus(hits) -> list[str]:
    return [h.source_id for h in hits]


def test_a_module_question_gets_modules_of_that_power_and_technology_first(catalog):
    response = catalog.knowledge_base().query("painel solar monocristalino 400 W", domains=["products"], top_k=3)
    assert response.interpreted["products"] == {"category": "module", "technology": "Mono-c-Si",
                                                "power_w": {"target": 400, "tolerance": 0.05}}
    assert set(_skus(response.hits)[:2]) == {"M-400A", "M-400B"}  # on target before 405 W
    assert _skus(response.hits)[2] == "M-405"
    assert all(h.payload["category"] == "module" and h.payload["technology"] == "Mono-c-Si" for h in response.hits)


def test_watts_and_kilowatts_are_not_confused(catalog):
    hits = catalog.knowledge_base().search("placa solar pequena de 50 W", domains=["products"], top_k=1)
    assert _skus(hits) == ["M-50"]  # not the 50 kW inverter
    hits = catalog.knowledge_base().search("inversor de 50 kW", domains=["products"], top_k=1)
    assert _skus(hits) == ["I-50K"]


def test_a_target_widens_and_then_fills_with_the_closest_saying_so(catalog):
    response = catalog.knowledge_base().query("inversor de 8,2 kW", domains=["products"], top_k=3)
    assert set(_skus(response.hits)[:2]) == {"I-8K", "I-85"}  # the two within ±5 % of 8.2 kW
    assert _skus(response.hits)[2] == "I-3K"  # the closest of the rest (5.2 kW away, 20 kW is 11.8)
    assert response.hits[2].payload["matches_question"] is False
    assert any("widened" in note for note in response.notes)
    assert any("closest others" in note for note in response.notes)


def test_an_explicit_filter_wins_over_the_question(catalog):
    response = catalog.knowledge_base().query("painel de 400 W", domains=["products"], top_k=5,
                                              filters={"power_w": {"gte": 250, "lte": 300}})
    assert response.hits and all(250 <= h.payload["power_w"] <= 300 for h in response.hits)
    assert "power_w" not in response.interpreted["products"]
    assert any("your filter is used" in note for note in response.notes)


def test_makers_come_from_the_indexed_catalog_and_follow_it(catalog):
    knowledge = catalog.knowledge_base()
    response = knowledge.query("painel Canadian de 300 W", domains=["products"], top_k=2)
    assert response.interpreted["products"]["manufacturer"] == {"any": ["Canadian Solar Inc."]}
    assert _skus(response.hits)[0] == "P-300C"
    assert all(h.payload["manufacturer"] == "Canadian Solar Inc." for h in response.hits)
    # a maker the catalog does not have is just a word
    assert "manufacturer" not in knowledge.query("painel Jinko", domains=["products"]).interpreted.get("products", {})

    add_product(catalog.engine, "J-1", "Painel Jinko Tiger 410W", category="module",
                manufacturer="Jinko Solar Co., Ltd", specs={"STC": 410.0, "Technology": "Mono-c-Si"})
    assert catalog.refresh(domains=["products"]).success
    response = knowledge.query("painel Jinko", domains=["products"], top_k=1)
    assert response.interpreted["products"]["manufacturer"] == {"any": ["Jinko Solar Co., Ltd"]}
    assert _skus(response.hits) == ["J-1"]


def test_constraints_that_match_nothing_return_the_closest_with_a_note(catalog):
    response = catalog.knowledge_base().query("inversor Canadian", domains=["products"], top_k=3)
    assert response.interpreted["products"]["manufacturer"] == {"any": ["Canadian Solar Inc."]}
    assert len(response.hits) == 3
    assert all(h.payload["matches_question"] is False for h in response.hits)
    assert any("only 0 match" in note for note in response.notes)


def test_understanding_can_be_turned_off(catalog):
    response = catalog.knowledge_base().query("placa solar pequena de 50 W", domains=["products"], top_k=3,
                                              understand=False)
    assert response.interpreted == {}
    assert len(response.hits) == 3


def test_rules_and_conversations_questions_are_untouched(catalog):
    response = catalog.knowledge_base().query("prazo de entrega de 10 kW", domains=["rules"], top_k=3)
    assert response.interpreted == {}


@pytest.mark.parametrize("question, field, expected", [
    ("painel policristalino de 270 W", "technology", "Multi-c-Si"),
    ("inversor até 10 kW", "power_w", {"lte": 10000}),
    ("módulo de 72 células", "cells", None),  # a field the domain may not declare: dropped or applied
])
def test_plan_applies_only_declared_fields(question, field, expected):
    declared = DOMAINS["products"].filter_fields
    spec = plan(understand(question, DOMAINS["products"].vocabulary), declared, None)
    if field in declared:
        assert field in spec.interpreted
        if expected is not None:
            assert spec.interpreted[field] == expected
    else:
        assert field not in spec.interpreted and any(field in note for note in spec.notes)


def test_available_only_applies_to_what_the_question_asked(catalog):
    from tests.helpers import execute

    execute(catalog.engine, "UPDATE products SET stock = 0 WHERE sku = 'M-400A'")  # checked live, no reindex
    hits = catalog.knowledge_base().search("painel monocristalino 400 W", domains=["products"], top_k=2,
                                           available_only=True)
    assert [h.source_id for h in hits][0] == "M-400B"
    assert "M-400A" not in [h.source_id for h in hits]
    assert all(h.payload["category"] == "module" and h.payload["availability"] == "live" for h in hits)


def test_the_cheapest_of_what_was_asked_comes_first(catalog):
    from tests.helpers import add_price

    with catalog.engine.connect() as conn:
        import sqlalchemy as sa

        ids = dict(conn.execute(sa.text("SELECT sku, id FROM products")).all())
    for sku, price in (("I-8K", 9000.0), ("I-85", 7000.0), ("I-3K", 2000.0), ("M-400A", 800.0)):
        add_price(catalog.engine, ids[sku], "EcoVolt", "B1", price)
    assert catalog.refresh(domains=["prices"]).success
    response = catalog.knowledge_base().query("preço do inversor de 8 kW mais barato", domains=["prices"], top_k=2)
    assert response.interpreted["prices"]["order"] == "price ascending"
    assert [h.source_id for h in response.hits] == ["I-85", "I-8K"]  # within ±10 % once widened, cheapest first


@pytest.mark.parametrize("question, note", [
    ("painel de 5 MW", "plausible"),
    ("inversor entre 10 e 5 kW", ""),
    ("painel de R$ -3", ""),
    ("12345 678", "only numbers"),
    ("painel solar de 400 W " + "com boa eficiência e garantia " * 50, "characters"),
])
def test_absurd_or_odd_questions_get_notes_and_answers_never_errors(catalog, question, note):
    response = catalog.knowledge_base().query(question, domains=["products"], top_k=3)
    assert len(response.hits) == 3
    if note:
        assert any(note in n for n in response.notes), response.notes


def test_hard_constraints_that_match_nothing_still_answer_with_the_closest(catalog):
    """No bifacial module at all: the answer is the closest modules, said in a note."""
    response = catalog.knowledge_base().query("módulo bifacial de 400 W", domains=["products"], top_k=3)
    assert response.interpreted["products"]["bifacial"] is True
    assert len(response.hits) == 3 and all(h.payload["matches_question"] is False for h in response.hits)
    assert any("only 0 match" in note for note in response.notes)


def test_bool_specs_filter_in_the_engine(catalog):
    add_product(catalog.engine, "BIF-1", "Painel Acme bifacial 400W", category="module", manufacturer="Acme Solar",
                specs={"STC": 400.0, "Technology": "Mono-c-Si", "Bifacial": 1})
    assert catalog.refresh(domains=["products"]).success
    hits = catalog.knowledge_base().search("módulo bifacial de 400 W", domains=["products"], top_k=1)
    assert [h.source_id for h in hits] == ["BIF-1"] and "matches_question" not in hits[0].payload
