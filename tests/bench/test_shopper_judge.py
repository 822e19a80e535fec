"""The shopper-questions judge: relevance from source rows (specs, prices, stock), and the question set."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from bench.shopper_set import (KINDS, MONOFASICO, QUESTIONS, TRIFASICO, Question, SourceCatalog, catalog_from_demo,
                               current_prices, relevant, why_not)

TODAY = date(2026, 11, 30)


def module(stc=270.0, technology="Multi-c-Si", cells=60, bifacial=0.0, maker="Canadian Solar Inc.", **extra):
    return {"sku": extra.pop("sku", "M1"), "name": f"{maker} X-{stc:g}", "manufacturer": maker, "category": "module",
            "specs": {"STC": stc, "Technology": technology, "N_s": cells, "Bifacial": bifacial},
            "active": extra.pop("active", True), "stock": extra.pop("stock", 12)}


def inverter(paco=5000.0, vac=240.0, maker="SMA America", **extra):
    return {"sku": extra.pop("sku", "I1"), "name": f"{maker}: INV-{paco:g} [{vac:g}V]", "manufacturer": maker,
            "category": "inverter", "specs": {"Paco": paco, "Vac": vac}, "active": extra.pop("active", True),
            "stock": extra.pop("stock", 3)}


def price(value, tier="B1", valid_from="2026-01-01", valid_to="", distributor="Solar Atacado SP"):
    return {"distributor": distributor, "tier": tier, "price": value, "valid_from": valid_from, "valid_to": valid_to}


@pytest.mark.parametrize("stc, expected", [(256.5, True), (283.5, True), (270, True), (256.4, False), (283.6, False)])
def test_a_target_power_is_plus_or_minus_5_percent_edges_included(stc, expected):
    assert relevant(module(stc=stc), [], {"category": "module", "power_w": (270, 0.05)}) is expected


@pytest.mark.parametrize("stc, expected", [(300, True), (320, True), (299.9, False), (320.1, False)])
def test_a_power_range_is_exact(stc, expected):
    assert relevant(module(stc=stc), [], {"power_w": {"gte": 300, "lte": 320}}) is expected


def test_a_strict_bound_excludes_its_limit():
    spec = {"category": "inverter", "power_w": {"gt": 100000}}
    assert not relevant(inverter(paco=100000), [], spec)
    assert relevant(inverter(paco=100001), [], spec)


def test_power_is_stc_for_modules_and_paco_for_inverters():
    assert relevant(inverter(paco=5000), [], {"power_w": (5000, 0.05)})
    assert not relevant(inverter(paco=5000), [], {"category": "module", "power_w": (5000, 0.05)})
    assert "power None W" in why_not({"category": "module", "specs": {}}, [], {"power_w": (270, 0.05)})[0]


@pytest.mark.parametrize("vac, phase, expected", [
    (240, MONOFASICO, True), (277, MONOFASICO, True), (120, MONOFASICO, True), (208, MONOFASICO, False),
    (480, MONOFASICO, False), (208, TRIFASICO, True), (480, TRIFASICO, True), (690, TRIFASICO, True),
    (240, TRIFASICO, False), (277, TRIFASICO, False),
])
def test_phase_words_are_sets_of_cec_ac_voltages(vac, phase, expected):
    assert relevant(inverter(vac=float(vac)), [], {"category": "inverter", "vac": phase}) is expected


def test_an_inverter_without_ac_voltage_answers_no_voltage_question():
    row = inverter()
    del row["specs"]["Vac"]
    assert why_not(row, [], {"vac": {240}}) == ["Vac None not in [240]"]


def test_a_price_bound_holds_when_any_current_price_is_within_it():
    spec = {"category": "inverter", "price": {"lte": 5000}}
    assert relevant(inverter(), [price(5200), price(4800, tier="B3")], spec, TODAY)
    assert relevant(inverter(), [price(5000)], spec, TODAY)  # "até" includes the limit
    assert not relevant(inverter(), [price(5200), price(5100, tier="B3")], spec, TODAY)
    assert not relevant(inverter(), [], spec, TODAY)
    assert not relevant(inverter(), [price(4800)], {"price": {"lt": 4800}}, TODAY)


def test_only_current_b1_b3_prices_count():
    rows = [price(999, tier="B2"), price(100, valid_from="2027-01-01"), price(100, valid_to="2026-06-30"),
            price(0), price("muitos"), price(3000, valid_to="2026-12-31")]
    assert current_prices(rows, TODAY) == [3000]
    assert why_not(inverter(), rows, {"price": {"lte": 1000}}, TODAY) == ["price not lte 1000 (lowest R$ 3,000.00)"]


@pytest.mark.parametrize("maker, phrase, expected", [
    ("Hanwha Q CELLS (Qidong)", "Q CELLS", True), ("Q-Cells Q.Pro", "Q CELLS", True),
    ("Hanwha SolarOne (Qidong)", "Q CELLS", False), ("Canadian Solar Inc.", "canadian solar", True),
    ("Fronius International GmbH", "Fronius", True), ("SMA America", "SMA", True),
    ("Smartflower Energy Technology GmbH", "SMA", False), ("LG Electronics Inc.", "LG", True),
    ("Solar Electronics", "LG", False), ("Jinko Solar Co._ Ltd", "Jinko", True), ("Trina Solar", "Solar Trina", False),
])
def test_maker_is_a_run_of_whole_words_of_the_manufacturer(maker, phrase, expected):
    assert relevant(module(maker=maker), [], {"maker_contains": phrase}) is expected


def test_technology_cells_bifacial_and_stock_come_from_the_source_row():
    row = module(stc=380, technology="Mono-c-Si", cells=72, bifacial=1.0, stock=0)
    assert relevant(row, [], {"technology": {"Mono-c-Si", "Multi-c-Si"}, "cells": 72, "bifacial": True})
    assert why_not(row, [], {"technology": "Multi-c-Si", "cells": 60, "bifacial": False, "in_stock": True}) == [
        "technology Mono-c-Si not Multi-c-Si", "cells 72 not 60", "bifacial 1.0 not False",
        "not available (active=True, stock=0)"]
    assert not relevant(module(active=False), [], {"in_stock": True})


def test_a_misspelt_spec_key_is_an_error_not_an_unchecked_condition():
    with pytest.raises(ValueError, match="powerw"):
        relevant(module(), [], {"powerw": (270, 0.05)})


def test_relevant_skus_count_price_documents_and_the_cheapest():
    source = SourceCatalog(
        {"A": inverter(sku="A"), "B": inverter(sku="B"), "C": inverter(sku="C"), "D": inverter(sku="D"),
         "E": inverter(sku="E", paco=60000)},
        {"A": [price(3000)], "B": [price(2500), price(2000, tier="B3")], "C": [price(2000)], "E": [price(100)]})
    plain = {"category": "inverter", "power_w": (5000, 0.05)}
    assert source.relevant_skus(Question("inversor 5 kW", "power", "products", plain), TODAY) == ["A", "B", "C", "D"]
    # D has no price, so no price document: it cannot answer a prices question
    assert source.relevant_skus(Question("preço", "price+spec", "prices", plain), TODAY) == ["A", "B", "C"]
    cheapest = Question("o mais barato", "cheapest", "prices", {**plain, "cheapest": 1})
    assert source.relevant_skus(cheapest, TODAY) == ["B", "C"]  # a tie at the cutoff counts both
    nothing = Question("inversor 5 kW 480 V", "power+voltage", "products", {**plain, "vac": {480}})
    assert source.relevant_skus(nothing, TODAY) == []


def test_the_question_set_covers_domains_and_kinds():
    assert len(QUESTIONS) >= 80
    assert len({q.text for q in QUESTIONS}) == len(QUESTIONS)
    assert {q.domain for q in QUESTIONS} == {"products", "prices"}
    kinds = Counter(q.kind for q in QUESTIONS)
    assert set(kinds) == set(KINDS)
    assert min(kinds.values()) >= 3, kinds
    for q in QUESTIONS:  # every spec is well formed and says at least what kind of product it wants
        why_not(module(), [], q.spec)
        assert "category" in q.spec or "maker_contains" in q.spec, q.text


def test_every_question_has_a_relevant_item_in_the_full_catalog():
    source = catalog_from_demo("all")
    counts = {q.text: len(source.relevant_skus(q, TODAY)) for q in QUESTIONS}
    assert [text for text, n in counts.items() if n == 0] == []
