"""Query understanding: Portuguese spec questions -> exact constraints, leftover text and notes."""

from __future__ import annotations

import random

import pytest

from helio_pipeline.lib.understanding import (Constraint, FieldRule, MakerIndex, Term, Unit, Vocabulary,
                                              understand)
from helio_pipeline.vocabulary import BIFASICO, MONOFASICO, PRICES_PT, PRODUCTS_PT, THIN_FILM, TRIFASICO

# real CEC manufacturer spellings (pvlib's 2019 tables), tricky ones included: legal-suffix
# variants, product lines inside the name, a province shared by many companies, common words
CEC_MAKERS = [
    "Canadian Solar Inc", "Canadian Solar Inc.", "Canadian Solar Incorporated", "Hanwha Q CELLS",
    "Hanwha Q CELLS (Qidong)", "Hanwha Q CELLS Q.PEAK DUO", "Hanwha Q Cells", "Hanwha Solar Canada", "Q-Cells",
    "Q-Cells Q.Pro", "Jinko Solar Co - Ltd", "Jinko Solar Co._ Ltd", "SMA America", "LG Electronics Inc",
    "LG Electronics Inc.", "JA Solar", "Trina Solar", "Fronius International GmbH", "Fronius USA",
    "Jiangsu Aide Solar Energy Technology", "Jiangsu Best Solar High-Tech", "Jiangsu Runda PV",
    "Jiangsu Shunda PV-Tech", "Jiangsu Wanfeng PV", "Solar Power", "Solar Power Industries", "Solar Frontier",
    "Solar Liberty", "Solar Enertech (Shanghai)", "Solar Semiconductor", "Green Power", "Advance Power",
    "Sun Earth Solar Power", "Kinve Solar Power", "HC Solar Power", "General Solar Power (Yantai)",
    "ONE SUN - MEXICO S A DE C V", "Atersa (Aplicaciones Tecnicas de la Energia)", "CA Solar",
    "Applied Materials Full Size Tandem", "Power Electronics", "Delta Energy Systems", "ENN Solar Energy",
    "Kaneka", "Shenzhen Growatt New Energy Technology Co - Ltd", "Huawei Technologies Co - Ltd",
    "Schott Solar Perform Poly", "Luxor Solar Solo Line", "Direct Grid Technologies", "SMX Capital",
]
CANADIAN = ("Canadian Solar Inc", "Canadian Solar Inc.", "Canadian Solar Incorporated")
JINKO = ("Jinko Solar Co - Ltd", "Jinko Solar Co._ Ltd")
Q_CELLS = ("Hanwha Q CELLS", "Hanwha Q CELLS (Qidong)", "Hanwha Q CELLS Q.PEAK DUO", "Hanwha Q Cells", "Q-Cells",
           "Q-Cells Q.Pro")


@pytest.fixture(scope="module")
def makers() -> MakerIndex:
    return MakerIndex(CEC_MAKERS)


def shape(c: Constraint) -> tuple:
    payload = {"equals": c.value, "target": c.value, "any": c.values, "range": c.bounds}[c.kind]
    return (c.field, c.kind, payload, c.tolerance, c.hard)


def shapes(u) -> list[tuple]:
    return sorted((shape(c) for c in u.constraints), key=repr)


def eq(field, value, hard=True):
    return (field, "equals", value, None, hard)


def any_of(field, *values, hard=True):
    return (field, "any", tuple(values), None, hard)


def near(field, value, tolerance):
    return (field, "target", value, tolerance, False)


def bounds(field, hard=True, **ops):
    return (field, "range", tuple(ops.items()), None, hard)


MODULE, INVERTER = eq("category", "module"), eq("category", "inverter")


def power(w):
    return near("power_w", w, 0.05)


def price(brl):
    return near("price", brl, 0.10)


CASES = [
    # units, scales and pt-BR number formats
    ("painel de 50 W", [MODULE, power(50)]),
    ("inversor de 50 kW", [INVERTER, power(50_000)]),
    ("inversor 5kW", [INVERTER, power(5000)]),
    ("inversor 5 kw", [INVERTER, power(5000)]),
    ("INVERSOR 5KW", [INVERTER, power(5000)]),
    ("inversor de 5.000 W", [INVERTER, power(5000)]),
    ("inversor de 5 000 W", [INVERTER, power(5000)]),
    ("inversor de 7,6 kW", [INVERTER, power(7600)]),
    ("inversor 4,6kW", [INVERTER, power(4600)]),
    ("inversor 1.5 kW", [INVERTER, power(1500)]),
    ("inversor de 1.500 W", [INVERTER, power(1500)]),
    ("inversor Fronius Primo 8.2 kW", [INVERTER, power(8200)]),
    ("painel 330Wp", [MODULE, power(330)]),
    ("painel de 400 watts", [MODULE, power(400)]),
    ("kit de 5 kWp", [power(5000)]),
    ("usina de 1 MW", [power(1_000_000)]),
    ("inversor de 10 kW 208 V", [INVERTER, power(10_000), any_of("voltage_v", 208)]),
    ("inversor 220V", [INVERTER, any_of("voltage_v", 220, 230, 240)]),
    ("inversor de 240 volts", [INVERTER, any_of("voltage_v", 240)]),
    ("inversor 127 V", [INVERTER, any_of("voltage_v", 120, 127)]),
    ("módulo de 10 A", [eq("category", "module"), near("current_a", 10, 0.05)]),
    ("painel de 72 células", [MODULE, eq("cells", 72)]),
    ("painel 144 células meia célula", [MODULE, eq("cells", 144), eq("half_cell", True, hard=False)]),
    ("inversor até R$ 5.000", [INVERTER, bounds("price", lte=5000)]),
    ("R$ 5.000,00", [price(5000)]),
    ("R$5.000,00", [price(5000)]),
    ("painel por R$ 2 mil", [MODULE, price(2000)]),
    ("inversor de 5 mil reais", [INVERTER, price(5000)]),
    ("R$800", [price(800)]),
    ("R$ 1,5 mil", [price(1500)]),
    # ranges and bounds; the unit of the second number applies to the first
    ("inversor entre 5 e 8 kW", [INVERTER, bounds("power_w", gte=5000, lte=8000)]),
    ("painel de 300 a 400 W", [MODULE, bounds("power_w", gte=300, lte=400)]),
    ("painel de 300 W a 400 W", [MODULE, bounds("power_w", gte=300, lte=400)]),
    ("painel 300-400W", [MODULE, bounds("power_w", gte=300, lte=400)]),
    ("inversor de 5 até 8 kW", [INVERTER, bounds("power_w", gte=5000, lte=8000)]),
    ("inversor com 10 a 12 kW", [INVERTER, bounds("power_w", gte=10_000, lte=12_000)]),
    ("entre 500 W e 2 kW", [bounds("power_w", gte=500, lte=2000)]),
    ("inversor até 10 kW", [INVERTER, bounds("power_w", lte=10_000)]),
    ("inversor de no máximo 10 kW", [INVERTER, bounds("power_w", lte=10_000)]),
    ("painel acima de 400W", [MODULE, bounds("power_w", gt=400)]),
    ("painel com mais de 400 W", [MODULE, bounds("power_w", gt=400)]),
    ("painel de pelo menos 450 W", [MODULE, bounds("power_w", gte=450)]),
    ("inversor a partir de 3 kW", [INVERTER, bounds("power_w", gte=3000)]),
    ("painel com menos de 300 W", [MODULE, bounds("power_w", lt=300)]),
    ("painel abaixo de 100 W", [MODULE, bounds("power_w", lt=100)]),
    ("painel 400 W ou mais", [MODULE, bounds("power_w", gte=400)]),
    ("inversor no máximo R$ 2 mil", [INVERTER, bounds("price", lte=2000)]),
    ("inversor entre R$ 3.000 e R$ 4.500", [INVERTER, bounds("price", gte=3000, lte=4500)]),
    ("entre 2 e 3 mil reais", [bounds("price", gte=2000, lte=3000)]),
    ("inversor de 5 kW até R$ 5 mil", [INVERTER, power(5000), bounds("price", lte=5000)]),
    ("painel acima de 300 W e abaixo de 400 W", [MODULE, bounds("power_w", gt=300, lt=400)]),
    ("painel de 400 W acima de 390 W", [MODULE, power(400), bounds("power_w", gt=390)]),
    ("painel 400W+", [MODULE, bounds("power_w", gte=400)]),
    ("inversor ≥ 5 kW", [INVERTER, bounds("power_w", gte=5000)]),
    ("painel <= 300 W", [MODULE, bounds("power_w", lte=300)]),
    ("entre 1.500 e 3 mil reais", [bounds("price", gte=1500, lte=3000)]),
    ("inversor 220V/380V", [INVERTER, any_of("voltage_v", 220, 230, 240, 380, 400)]),
    ("inversor ５ kW", [INVERTER, power(5000)]),  # full-width digits fold
    # a qualifier word moves a voltage or current to its own field
    ("inversor com MPPT 150-850 V", [INVERTER, bounds("mppt_voltage_v", gte=150, lte=850)]),
    ("painel com Voc de 45 V", [MODULE, near("voc_v", 45, 0.05)]),
    # category, technology, flags, phases, availability
    ("painel policristalino de 270 W", [MODULE, eq("technology", "Multi-c-Si"), power(270)]),
    ("placa solar de 20 W", [MODULE, power(20)]),
    ("módulo monocristalino", [MODULE, eq("technology", "Mono-c-Si")]),
    ("painel mono", [MODULE, eq("technology", "Mono-c-Si")]),
    ("painel poli 330 W", [MODULE, eq("technology", "Multi-c-Si"), power(330)]),
    ("módulo multicristalino", [MODULE, eq("technology", "Multi-c-Si")]),
    ("painel filme fino", [MODULE, any_of("technology", *THIN_FILM)]),
    ("módulo CdTe", [MODULE, eq("technology", "CdTe")]),
    ("painel CIGS", [MODULE, eq("technology", "CIGS")]),
    ("módulo bifacial de 380 W", [MODULE, eq("bifacial", True), power(380)]),
    ("painel half-cell", [MODULE, eq("half_cell", True, hard=False)]),
    ("placas solares policristalinas", [MODULE, eq("technology", "Multi-c-Si")]),
    ("painéis monocristalinos bifaciais", [MODULE, eq("technology", "Mono-c-Si"), eq("bifacial", True)]),
    ("painel mono ou poli", [MODULE, any_of("technology", "Mono-c-Si", "Multi-c-Si")]),
    ("microinversor", [INVERTER]),
    ("string box", [eq("category", "string_box")]),
    ("inversor monofásico de 4,6 kW", [INVERTER, any_of("voltage_v", *MONOFASICO), power(4600)]),
    ("inversor mono 5 kW", [INVERTER, any_of("voltage_v", *MONOFASICO), power(5000)]),
    ("inversor bifásico", [INVERTER, any_of("voltage_v", *BIFASICO)]),
    ("inversores trifásicos de 36 kW", [INVERTER, any_of("voltage_v", *TRIFASICO), power(36_000)]),
    ("inversor monofásico 220 V", [INVERTER, any_of("voltage_v", 220, 230, 240)]),
    ("inversor trifásico 380V", [INVERTER, any_of("voltage_v", 380, 400)]),
    ("painel em estoque", [MODULE, bounds("stock", gte=1)]),
    ("inversor à pronta entrega", [INVERTER, bounds("stock", gte=1)]),
    # not specs: model codes, dates, years, CEPs, quantities, numbers without a unit
    ("CS6U-330P", []),
    ("SB5000US", []),
    ("TSM-330PE14A", []),
    ("SUN2000-5KTL", []),
    ("inversor SUN2000-5KTL de 5 kW", [INVERTER, power(5000)]),
    ("painel JKM330PP-72 com 72 células", [MODULE, eq("cells", 72)]),
    ("entrega em 12/05/2025", []),
    ("tabela de 12.05.2025", []),
    ("catálogo 2025", []),
    ("CEP 01310-100", []),
    ("10 painéis", [MODULE]),
    ("2 inversores de 5 kW", [INVERTER, power(5000)]),
    ("painel 330", [MODULE]),
    ("bateria de 5 kWh", []),
    ("garantia de 25 anos", []),
]


@pytest.mark.parametrize("question,expected", CASES, ids=[c[0] for c in CASES])
def test_reads_the_exact_constraints(question, expected):
    u = understand(question, PRODUCTS_PT)
    assert shapes(u) == sorted(expected, key=repr), u.notes
    assert not any("no unit" in n for n in u.notes)


PRICE_CASES = [
    ("inversor até 5 mil", [INVERTER, bounds("price", lte=5000)]),
    ("preço B1 do painel entre R$ 2 mil e R$ 3 mil", [MODULE, eq("tier", "B1"), bounds("price", gte=2000, lte=3000)]),
    ("painel B3 R$ 900", [MODULE, eq("tier", "B3"), price(900)]),
    ("R$ 5k", [price(5000)]),
    ("5 mil painéis", [MODULE]),  # a quantity, not money
    ("inversor 5 kW", [INVERTER, ("power_w", "target", 5000, 0.05, False)]),  # price documents carry the power
]


@pytest.mark.parametrize("question,expected", PRICE_CASES, ids=[c[0] for c in PRICE_CASES])
def test_prices_vocabulary(question, expected):
    assert shapes(understand(question, PRICES_PT)) == sorted(expected, key=repr)


def test_the_interpreted_shape():
    u = understand("painel Canadian mono de 400 W em estoque até R$ 1.200", PRODUCTS_PT, MakerIndex(CEC_MAKERS))
    assert u.as_dict() == {
        "category": "module", "technology": "Mono-c-Si", "stock": {"gte": 1},
        "manufacturer": {"any": list(CANADIAN)}, "power_w": {"target": 400, "tolerance": 0.05},
        "price": {"lte": 1200}, "available_only": True,
    }
    assert u.text == "painel Canadian mono"
    assert {c.field for c in u.hard} == {"category", "technology", "stock", "manufacturer", "price"}
    assert [c.field for c in u.soft] == ["power_w"]


def test_soft_words_and_several_categories_say_so():
    assert understand("painel meia célula", PRODUCTS_PT).as_dict() == {
        "category": "module", "half_cell": {"equals": True, "hard": False}}
    u = understand("inversor para painel de 400 W", PRODUCTS_PT)
    assert u.as_dict() == {"category": {"any": ["inverter", "module"], "hard": False},
                           "power_w": {"target": 400, "tolerance": 0.05}}
    assert any("several categories" in n for n in u.notes)


def test_spans_point_at_what_was_read():
    q = "inversor trifásico de 36 kW até R$ 20 mil"
    u = understand(q, PRODUCTS_PT)
    spans = {c.field: q[c.span[0]:c.span[1]] for c in u.constraints}
    assert spans == {"category": "inversor", "voltage_v": "trifásico", "power_w": "36 kW", "price": "até R$ 20 mil"}


@pytest.mark.parametrize("question,text", [
    ("painel policristalino de 270 W", "painel policristalino"),
    ("inversor de 10 kW 208 V", "inversor"),
    ("qual o preço do inversor até R$ 5.000?", "qual o preço do inversor?"),
    ("painel Canadian CS6U-330P de 330 W à pronta entrega", "painel Canadian CS6U-330P"),
    ("entre 5 e 8 kW", ""),
    ("acima de 500 W e abaixo de 400 W", ""),
    ("330 400 2025", "330 400 2025"),
])
def test_leftover_text_keeps_words_and_drops_number_specs(question, text):
    assert understand(question, PRODUCTS_PT).text == text


# --- bad input: a note and a sensible parse, never an exception ----------------------------

@pytest.mark.parametrize("question,expected,note", [
    ("painel de 5 MW", [MODULE], "outside the plausible power_w of a module"),
    ("kit 3 kWp com 8 placas", [MODULE], "outside the plausible power_w of a module"),
    ("inversor entre 10 e 5 kW", [INVERTER, bounds("power_w", gte=5000, lte=10_000)], "runs backwards"),
    ("R$ -3", [], "outside the plausible price"),
    ("painel de -300 W", [MODULE], "outside the plausible power_w"),
    ("painel de 0 W", [MODULE], "outside the plausible power_w"),
    ("330 400 2025", [], "only numbers"),
    ("acima de 500 W e abaixo de 400 W", [], "contradict"),
    ("trifásico 120 V", [any_of("voltage_v", 120)], "do not overlap"),
    ("painel até 10", [MODULE], "no unit"),
    ("inversor de 5 kW ou 8 kW", [INVERTER, power(5000)], "several targets"),
    ("   ", [], "empty question"),
    ("%%% - -", [], "nothing to read"),
    (None, [], "empty question"),
    ("9" * 400 + " W", [], "outside the plausible power_w"),
])
def test_bad_input_gives_a_note_not_an_error(question, expected, note):
    u = understand(question, PRODUCTS_PT)
    assert shapes(u) == sorted(expected, key=repr)
    assert any(note in n for n in u.notes), u.notes


def test_a_very_long_question_is_read_up_to_the_limit():
    question = "painel monocristalino de 400 W " + "com ótima eficiência e garantia " * 200
    assert len(question) > 5000
    u = understand(question, PRODUCTS_PT, MakerIndex(CEC_MAKERS))
    assert shapes(u) == sorted([MODULE, eq("technology", "Mono-c-Si"), power(400)], key=repr)
    assert any("only the first" in n for n in u.notes)
    assert len(u.question) <= PRODUCTS_PT.max_chars and len(u.text) <= PRODUCTS_PT.max_chars


def test_random_input_never_raises():
    rng = random.Random(7)
    alphabet = list("0123456789 ,.-–/$R%kKwWvVAaeé+<@") + [
        "mil ", "entre ", "até ", "células ", "de ", "a ", "painel ", "R$", "kW", "acima de ", "ou mais", "-",
        "MPPT "]
    index = MakerIndex(CEC_MAKERS)
    for _ in range(2000):
        question = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        for vocabulary in (PRODUCTS_PT, PRICES_PT):
            u = understand(question, vocabulary, index)
            assert isinstance(u.as_dict(), dict) and isinstance(u.text, str)


# --- makers -----------------------------------------------------------------------------

@pytest.mark.parametrize("question,names", [
    ("painel Canadian 330 W", CANADIAN),
    ("painel canadian solar", CANADIAN),
    ("painel CANADIAN SOLAR INC.", CANADIAN),
    ("inversor sma", ("SMA America",)),
    ("LG 350W", ("LG Electronics Inc", "LG Electronics Inc.")),
    ("painel lg electronics", ("LG Electronics Inc", "LG Electronics Inc.")),
    ("Jinko 550 W", JINKO),
    ("jinkosolar", JINKO),
    ("painel Q CELLS", Q_CELLS),
    ("painel QCells", Q_CELLS),
    ("painel Q-Cells 330W", Q_CELLS),
    ("painel Hanwha Q CELLS 300 W", Q_CELLS[:4]),  # the longer name is the narrower one
    ("JA Solar 330 W", ("JA Solar",)),
    ("painel JA 330 W", ("JA Solar",)),
    ("inversor Frönius", ("Fronius International GmbH", "Fronius USA")),
    ("inversor growatt 3kw", ("Shenzhen Growatt New Energy Technology Co - Ltd",)),
    ("painel Solar Frontier", ("Solar Frontier",)),
])
def test_makers_are_matched_with_confidence(makers, question, names):
    u = understand(question, PRODUCTS_PT, makers)
    assert [shape(c) for c in u.get("manufacturer")] == [any_of("manufacturer", *names)]


@pytest.mark.parametrize("question", [
    "placa solar", "energia solar", "solar power", "já tem painel em estoque?", "painel de 400 W",
    "inversor 5 kW CA", "painel full black", "lg", "PAINEL DE 400W", "painel Jiangsu", "painel poly",
    "estrutura para solo", "inversor on grid", "entrega na capital", "informações técnicas",
])
def test_common_words_never_name_a_maker(makers, question):
    assert understand(question, PRODUCTS_PT, makers).get("manufacturer") == []


def test_an_ambiguous_name_is_skipped_with_a_note(makers):
    u = understand("painel Jiangsu 300 W", PRODUCTS_PT, makers)
    assert u.get("manufacturer") == [] and any("'Jiangsu' is ambiguous" in n for n in u.notes)


def test_several_makers_are_one_any_constraint(makers):
    u = understand("painel Canadian ou Jinko de 400 W", PRODUCTS_PT, makers)
    assert [shape(c) for c in u.get("manufacturer")] == [any_of("manufacturer", *CANADIAN, *JINKO)]


def test_the_maker_index_follows_the_catalog():
    before = MakerIndex(CEC_MAKERS)
    after = MakerIndex(CEC_MAKERS + ["WEG Equipamentos Elétricos S.A."])
    assert before.signature != after.signature and MakerIndex(reversed(CEC_MAKERS)).signature == before.signature
    assert understand("inversor WEG 5 kW", PRODUCTS_PT, before).get("manufacturer") == []
    assert [c.values for c in understand("inversor weg", PRODUCTS_PT, after).get("manufacturer")] == [
        ("WEG Equipamentos Elétricos S.A.",)]
    big = MakerIndex([f"Maker{i} Solar Energy Co., Ltd" for i in range(400)] + CEC_MAKERS)
    assert len(big) == 400 + len(CEC_MAKERS)
    assert [c.values for c in understand("painel maker17", PRODUCTS_PT, big).get("manufacturer")] == [
        ("Maker17 Solar Energy Co., Ltd",)]


def test_maker_index_match_reports_spans():
    matches, notes = MakerIndex(CEC_MAKERS).match("quero um painel Hanwha Q CELLS")
    assert [(m.phrase, m.span) for m in matches] == [("Hanwha Q CELLS", (16, 30))] and notes == []


# --- the vocabulary is data --------------------------------------------------------------

def test_another_domain_and_language_is_only_a_vocabulary():
    batteries = Vocabulary(
        name="batteries-en",
        fields={"capacity_wh": FieldRule(kind="target", tolerance=0.1, limits={None: (100, 1_000_000)}),
                "category": FieldRule(kind="equals", hard=True)},
        units={"kwh": Unit("capacity_wh", 1000), "wh": Unit("capacity_wh"),
               "Ah": Unit("capacity_ah", case_sensitive=True)},
        terms={"battery": Term("category", "battery"), "lithium": Term("chemistry", ("LFP", "NMC")),
               "LFP": Term("chemistry", "LFP")},
        bounds_before={"under": "lt", "at least": "gte"},
        ranges=(("between", "and"),),
        availability=("in stock",),
        suffix_rules=(("ies", "y"), ("s", "")),
    )
    u = understand("lithium batteries between 5 and 10 kWh in stock", batteries)
    assert shapes(u) == sorted([eq("category", "battery"), any_of("chemistry", "LFP", "NMC"),
                                bounds("capacity_wh", gte=5000, lte=10_000), bounds("stock", gte=1)], key=repr)
    assert u.available_only and u.text == "lithium batteries"
    assert shapes(understand("LFP battery under 200 Ah", batteries)) == sorted(
        [eq("category", "battery"), eq("chemistry", "LFP"), bounds("capacity_ah", lt=200)], key=repr)
    assert shapes(understand("battery of 50 kWh", PRODUCTS_PT)) == []  # the Portuguese catalog knows no kWh


def test_a_misdeclared_vocabulary_is_refused_when_first_used():
    broken = Vocabulary(name="broken", fields={"x": FieldRule(kind="near")}, units={"w": Unit("x")},
                        bounds_before={"até": "<="}, terms={"mono": Term("technology", ["Mono-c-Si"])},
                        default_unit="reais")
    with pytest.raises(ValueError) as error:
        understand("painel até 5 W", broken)
    assert all(part in str(error.value) for part in ("'até'", "kind 'near'", "default_unit 'reais'", "term 'mono'"))


def test_a_phrase_of_small_words_names_no_maker(makers):
    assert understand("painel s a de c v", PRODUCTS_PT, makers).get("manufacturer") == []
    assert [c.values for c in understand("painel one sun", PRODUCTS_PT, makers).get("manufacturer")] == [
        ("ONE SUN - MEXICO S A DE C V",)]
