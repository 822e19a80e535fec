"""The Portuguese vocabularies of the products and prices knowledge bases, as data.

``helio_pipeline.lib.understanding.understand`` reads a question with one of these; another
domain or language is another ``Vocabulary`` here, with no parser change. Makers are not
listed: they come from the indexed catalog (``MakerIndex``).

Field names are the payload fields the KnowledgeBase filters and scores on (``category``,
``technology``, ``bifacial``, ``cells``, ``half_cell``, ``power_w``, ``voltage_v``, ``current_a``,
``dc_voltage_v``, ``mppt_voltage_v``, ``voc_v``, ``vmp_v``, ``isc_a``, ``imp_a``, ``stock``,
``price``, ``tier``); the parser does not require them to exist.

Phases. The catalog is the US CEC list, whose inverters carry a nominal AC voltage (Vac) but
no phase count, so a Brazilian phase word becomes the set of CEC voltages an inverter of that
kind is listed at (a hard "any" filter):

- monofásico -> 120, 127, 220, 230, 240, 277: one phase to neutral (120/127/220/230/277) or the
  US split-phase 240 V, which is a single-phase supply; Brazil's 127 V and 220 V are included
  for catalogs that list them.
- bifásico -> 208, 220, 240: two phases of a 127/220 V (Brazil) or 120/208 V (US) service, which
  is what a CEC "208 V" single-phase inverter connects to; 240 V split-phase is its US twin.
- trifásico -> 208, 220, 380, 400, 415, 440, 480, 600, 690: three-phase services (220 V is
  Brazil's 127/220 V, 208 V the US 120/208 V wye; 380-480 V commercial; 600/690 V utility).

208 V and 220 V appear in more than one set: the catalog cannot tell a three-phase 208 V unit
from a single-phase one across two legs, nor Brazil's 220 V phase-neutral from phase-phase. A voltage the user types is matched with its Brazilian
equivalents (127 V -> 120/127; 220 V -> 220/230/240; 380 V -> 380/400), and a phase word plus a
voltage intersect ("monofásico 220 V" -> 220/230/240).

Tolerances: power ±5 % and price ±10 % around a target (soft: they rank, never exclude);
"até", "acima de", "entre ... e ..." are hard bounds; cells and voltages are exact sets.
Plausible limits (CEC modules go from 10 W to 510 W, inverters from 175 W to 3.2 MW) make
"painel de 5 MW" a note instead of a filter that returns nothing.
"""

from __future__ import annotations

from dataclasses import replace

from helio_pipeline.lib.understanding import FieldRule, Term, Unit, Vocabulary

MONOFASICO = (120, 127, 220, 230, 240, 277)
BIFASICO = (208, 220, 240)
TRIFASICO = (208, 220, 380, 400, 415, 440, 480, 600, 690)
THIN_FILM = ("Thin Film", "CdTe", "CIGS", "a-Si")  # "filme fino" names the family

_W = Unit("power_w")
_KW = Unit("power_w", 1000)
_MW = Unit("power_w", 1_000_000)
_V = Unit("voltage_v")
_BRL = Unit("price")

POWER_UNITS = {
    "w": _W, "wp": _W, "watt": _W, "watts": _W,
    "kw": _KW, "kwp": _KW, "kilowatt": _KW, "kilowatts": _KW, "quilowatt": _KW, "quilowatts": _KW,
    "mw": _MW, "mwp": _MW, "megawatt": _MW, "megawatts": _MW,
}
PRICE_UNITS = {"reais": _BRL, "real": _BRL, "brl": _BRL}
ELECTRICAL_UNITS = {
    "v": _V, "volt": _V, "volts": _V, "vac": _V, "vca": _V,
    "vcc": Unit("dc_voltage_v"), "vdc": Unit("dc_voltage_v"),
    "A": Unit("current_a", case_sensitive=True), "amperes": Unit("current_a"), "ampere": Unit("current_a"),
    "amps": Unit("current_a"),
    "células": Unit("cells"), "célula": Unit("cells"), "cells": Unit("cells"), "cell": Unit("cells"),
}
MULTIPLIERS = {"mil": 1000, "k": 1000, "milhão": 1_000_000, "milhões": 1_000_000}

BOUNDS_BEFORE = {
    "até": "lte", "no máximo": "lte", "máximo": "lte", "max": "lte", "máx": "lte", "não mais que": "lte",
    "menos de": "lt", "menor que": "lt", "abaixo de": "lt", "inferior a": "lt",
    "acima de": "gt", "mais de": "gt", "maior que": "gt", "superior a": "gt",
    "pelo menos": "gte", "no mínimo": "gte", "mínimo": "gte", "a partir de": "gte", "desde": "gte",
    "<=": "lte", "≤": "lte", "<": "lt", ">=": "gte", "≥": "gte", ">": "gt",
}
BOUNDS_AFTER = {
    "ou mais": "gte", "ou menos": "lte", "pra cima": "gte", "para cima": "gte", "pra baixo": "lte",
    "para baixo": "lte", "no mínimo": "gte", "no máximo": "lte", "ou superior": "gte", "ou inferior": "lte",
    "+": "gte",
}
# a word before a spec that says which voltage or current it is: "MPPT 150-850 V" is the MPPT
# window and "Voc 45 V" the module's open-circuit voltage, not the inverter's AC output voltage_v
QUALIFIERS = {
    "mppt": {"voltage_v": "mppt_voltage_v"}, "voc": {"voltage_v": "voc_v"}, "vmp": {"voltage_v": "vmp_v"},
    "vmpp": {"voltage_v": "vmp_v"}, "isc": {"current_a": "isc_a"}, "imp": {"current_a": "imp_a"},
    "impp": {"current_a": "imp_a"}, "entrada": {"voltage_v": "dc_voltage_v"}, "cc": {"voltage_v": "dc_voltage_v"},
}
RANGES = (("entre", "e"), ("entre", "a"), ("de", "a"), ("de", "até"), ("", "a"), ("", "até"), ("", "-"), ("", "–"))

CATEGORY_TERMS = {
    "painel": Term("category", "module"), "placa": Term("category", "module"), "módulo": Term("category", "module"),
    "inversor": Term("category", "inverter"), "microinversor": Term("category", "inverter"),
    "micro inversor": Term("category", "inverter"),
    "string box": Term("category", "string_box"), "stringbox": Term("category", "string_box"),
    # the English words Brazilian sellers also use
    "panel": Term("category", "module"), "module": Term("category", "module"), "inverter": Term("category", "inverter"),
}
_MONO = Term("technology", "Mono-c-Si")
_POLI = Term("technology", "Multi-c-Si")
PRODUCT_TERMS = {
    **CATEGORY_TERMS,
    "monocristalino": _MONO, "mono-c-Si": _MONO, "monocrystalline": _MONO,
    # "inversor mono" is a single-phase inverter; a "painel mono" a monocrystalline module
    "mono": (_MONO, Term("voltage_v", MONOFASICO, context=("category", "inverter"))),
    "policristalino": _POLI, "poli": _POLI, "multicristalino": _POLI, "multi-c-Si": _POLI,
    "polycrystalline": _POLI, "poly": _POLI,
    "filme fino": Term("technology", THIN_FILM), "thin film": Term("technology", THIN_FILM),
    "CdTe": Term("technology", "CdTe"), "telureto de cádmio": Term("technology", "CdTe"),
    "CIGS": Term("technology", "CIGS"), "silício amorfo": Term("technology", "a-Si"),
    "amorfo": Term("technology", "a-Si"),
    "bifacial": Term("bifacial", True),
    "meia célula": Term("half_cell", True), "half cell": Term("half_cell", True),
    "monofásico": Term("voltage_v", MONOFASICO), "bifásico": Term("voltage_v", BIFASICO),
    "trifásico": Term("voltage_v", TRIFASICO), "tri": Term("voltage_v", TRIFASICO),
}
AVAILABILITY = ("pronta entrega", "em estoque", "no estoque", "tem estoque", "disponível", "disponibilidade")

# Portuguese function words and sales words that are also words of CEC maker names ("de" in
# "ONE SUN - MEXICO S A DE C V", "capital" of SMX Capital, "ideal" of Ideal Power, "grid" of
# Direct Grid, "sol" of Sol-Ark, "mar" of MAR SOLAR PANEL, "industrial" of Flextronics Industrial)
# and countries ("China" of China Sunergy): never a maker by themselves. "CA"/"CC" are AC/DC ("5 kW CA"),
# not CA Solar; "Sunny" is SMA's Sunny Boy line, not Sunny International Power. The words of
# the trade itself ("solar", "power", "painel"...) name no maker either, however small the catalog.
STOPWORDS = frozenset("""
    a o e as os de da do das dos em no na nos nas um uma uns umas com sem para pra pro por pelo pela
    ou que qual quais quanto quanta quantos quantas tem ter temos tenho voce voces vc me meu minha se
    ao aos mais menos muito muita bom boa melhor preco precos valor custo comprar compra quero
    preciso procuro tipo modelo marca fabricante kit sistema la el y the of and for top real global plus
    full black preto premium max mega super smart duo ca cc ac dc saida entrada potencia
    sol solo base grid on off capital ideal universal home energia sunny boy mar era set industrial telecom
    china taiwan japan korea singapore america americas american
    solar solares power energy fotovoltaico fotovoltaica photovoltaic pv electric eletrica tecnologia technology
    technologies panel panels painel module modules inverter inverters
""".split())
CONNECTORS = frozenset({"de", "da", "do", "com", "em", "a", "para", "pra", "por", "no", "na", "e", "ou"})
# plural and gender onto the declared singular masculine: painéis -> painel, inversores -> inversor,
# placas solares -> placa solar, policristalinas -> policristalino, disponíveis -> disponível
SUFFIX_RULES = (("oes", "ao"), ("aes", "ao"), ("eis", "el"), ("ais", "al"), ("res", "r"), ("zes", "z"),
                ("s", ""), ("a", "o"))

POWER = FieldRule(kind="target", tolerance=0.05, symbol="W",
                  limits={None: (1, 10_000_000), "module": (1, 1_000), "inverter": (50, 10_000_000)})
PRICE = FieldRule(kind="target", tolerance=0.10, symbol="BRL", limits={None: (1, 10_000_000)})
CATEGORY = FieldRule(kind="equals", hard=True)

PRODUCTS_PT = Vocabulary(
    name="products-pt",
    fields={
        "category": CATEGORY,
        "technology": FieldRule(kind="equals", hard=True),
        "bifacial": FieldRule(kind="equals", hard=True),
        "half_cell": FieldRule(kind="equals", hard=False),  # few catalogs say it: rank, do not exclude
        "cells": FieldRule(kind="equals", hard=True, limits={None: (1, 300)}),
        "power_w": POWER,
        "voltage_v": FieldRule(kind="any", hard=True, symbol="V", limits={None: (1, 2_000)},
                               equivalents={127: (120, 127), 220: (220, 230, 240), 380: (380, 400)}),
        "dc_voltage_v": FieldRule(kind="target", tolerance=0.05, symbol="V", limits={None: (1, 2_000)}),
        "current_a": FieldRule(kind="target", tolerance=0.05, symbol="A", limits={None: (0.1, 5_000)}),
        **{name: FieldRule(kind="target", tolerance=0.05, symbol="V", limits={None: (1, 2_000)})
           for name in ("mppt_voltage_v", "voc_v", "vmp_v")},
        **{name: FieldRule(kind="target", tolerance=0.05, symbol="A", limits={None: (0.1, 5_000)})
           for name in ("isc_a", "imp_a")},
        "price": PRICE,
    },
    units={**POWER_UNITS, **ELECTRICAL_UNITS, **PRICE_UNITS},
    prefix_units={"R$": _BRL},
    multipliers=MULTIPLIERS,
    terms=PRODUCT_TERMS,
    bounds_before=BOUNDS_BEFORE,
    bounds_after=BOUNDS_AFTER,
    ranges=RANGES,
    qualifiers=QUALIFIERS,
    availability=AVAILABILITY,
    availability_field="stock",
    connectors=CONNECTORS,
    stopwords=STOPWORDS,
    suffix_rules=SUFFIX_RULES,
)

# "the cheapest": an ordering over a numeric field, not a filter (lib/spec_search.py)
ORDER_TERMS = {phrase: Term("order", "price") for phrase in (
    "mais barato", "menor preço", "barato", "mais em conta", "em conta", "econômico", "mais econômico",
    "menor valor", "melhor preço")}

# Prices documents are per SKU with B1/B3 prices by distributor and the product's specs (power,
# technology, voltage, maker): the products vocabulary plus tiers and "the cheapest". A bare
# "até 5 mil" is money here ("default_unit"), never in products.
PRICES_PT = replace(
    PRODUCTS_PT,
    name="prices-pt",
    fields={**PRODUCTS_PT.fields, "tier": FieldRule(kind="equals", hard=True),
            "order": FieldRule(kind="equals", hard=True)},
    terms={**PRODUCT_TERMS, **ORDER_TERMS, "B1": Term("tier", "B1"), "B3": Term("tier", "B3")},
    availability=(),  # price documents carry no stock
    default_unit="reais",
)


# --- routing: words that say which knowledge base a question is for (lib/routing.py) -----

PRODUCT_CUES = (
    "painel", "placa", "módulo", "inversor", "microinversor", "string box", "célula", "monocristalino",
    "policristalino", "bifacial", "filme fino", "ficha técnica", "datasheet", "especificação", "eficiência",
    "potência", "tensão", "corrente", "mppt", "em estoque", "pronta entrega", "disponível",
)
PRICE_CUES = (
    "preço", "custa", "custo", "valor", "quanto custa", "quanto sai", "quanto fica", "quanto é", "R$", "reais",
    "tabela de preço", "B1", "B3", "distribuidor", "barato", "mais barato", "caro", "orçamento",
)
RULE_CUES = (
    "prazo", "entrega", "frete", "envio", "transporte", "transportadora", "garantia", "devolução", "devolver",
    "troca", "defeito", "assistência", "política", "regra", "norma", "NBR", "REN", "resolução", "lei", "Inmetro",
    "ANEEL", "homologação", "homologar", "conexão", "acesso", "concessionária", "pagamento", "boleto", "pix",
    "cartão", "parcelamento", "parcela", "desconto", "nota fiscal", "imposto", "ICMS", "certificação",
    "certificado", "instalação", "seguro", "retirada", "pedido mínimo", "faturamento", "crédito", "compensação",
    "geração distribuída", "microgeração", "minigeração", "projeto", "vistoria", "aterramento", "proteção",
    "chega", "chegam", "chegar", "dias úteis", "mercadoria", "recebimento", "avaria", "avariada", "retirar",
    "validade", "reserva", "cotação",
)
CONVERSATION_CUES = (
    "conversa", "falamos", "falei", "combinamos", "combinado", "você disse", "mensagem", "histórico",
    "anterior", "última vez", "meu pedido", "minha cotação",
)
