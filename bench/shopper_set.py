"""Shopper questions as data, and the judge that says which catalog items answer them.

Each question is written by hand with a spec saying what it asks, in the catalog's own terms.
Relevance is computed from the SOURCE rows (the CEC specs as seeded, the seeded prices, stock
and active), never from search output or payloads, so a retrieval change cannot move the truth.

Spec keys (all given keys must hold):

- ``category``: "module" or "inverter".
- ``power_w``: ``(target, tolerance)``, e.g. ``(270, 0.05)``: STC (module) or Paco (inverter)
  within ±5 % of 270 W, edges included; or bounds ``{"gte": 300, "lte": 320}`` (also "gt",
  "lt"), exact, for questions that say a bound or a range ("até", "entre ... e ...").
- ``vac``: the inverter's nominal AC voltage (CEC Vac) is one of these volts.
- ``technology``: the CEC Technology is this one, or one of this set.
- ``cells``: the module's cell count (CEC N_s) is this one.
- ``bifacial``: the CEC Bifacial flag is this value.
- ``maker_contains``: these words, in this order, are consecutive words of the manufacturer
  (case and accents ignored; any punctuation splits words): "Q CELLS" matches "Hanwha Q CELLS
  (Qidong)" and "Q-Cells Q.Pro", not "Hanwha SolarOne".
- ``price``: bounds, e.g. ``{"lte": 5000}``: at least one CURRENT price of the product (a seeded
  B1/B3 row valid today, any distributor or tier) is within them, as a shopper would read
  "até R$ 5.000": some offer at that price or less.
- ``in_stock``: True means active and stock > 0 in the source.
- ``cheapest``: k. A set-level rank, not a row property: among the products that satisfy the
  rest of the spec and have a current price, the k with the lowest current price (ties at the
  k-th price included). ``relevant`` ignores it; ``relevant_skus`` applies it.

Phase words follow helio_pipeline/vocabulary.py's documented meaning (written out here by
hand, so a vocabulary change cannot move the judge): the CEC lists a nominal Vac and no phase
count, so "monofásico" is Vac in MONOFASICO, "bifásico" in BIFASICO, "trifásico" in TRIFASICO.
"Microinversor" is an inverter under 1,500 W AC, the catalog's own description threshold.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

MONOFASICO = {120, 127, 220, 230, 240, 277}
BIFASICO = {208, 220, 240}
TRIFASICO = {208, 220, 380, 400, 415, 440, 480, 600, 690}
THIN_FILM = {"Thin Film", "CdTe", "CIGS", "a-Si"}
MICRO = {"lt": 1500}
KINDS = ("power", "power+voltage", "technology", "maker", "cells", "bifacial", "phase", "range",
         "price bound", "price+spec", "cheapest", "availability")
TIERS = ("B1", "B3")
SPEC_KEYS = frozenset({"category", "power_w", "vac", "technology", "cells", "bifacial", "maker_contains", "price",
                       "in_stock", "cheapest"})
_OPS = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b}
_EPS = 1e-9


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    domain: str  # "products" or "prices"
    spec: dict = field(hash=False)


def _q(text: str, kind: str, domain: str = "products", **spec) -> Question:
    return Question(text, kind, domain, spec)


M, I = "module", "inverter"
QUESTIONS: tuple[Question, ...] = (
    # --- power: a target power, ±5 % ---------------------------------------------------
    _q("placa solar de 20 W", "power", category=M, power_w=(20, 0.05)),
    _q("painel solar 330W", "power", category=M, power_w=(330, 0.05)),
    _q("módulo fotovoltaico de 400 W", "power", category=M, power_w=(400, 0.05)),
    _q("painel de 100 watts para sítio", "power", category=M, power_w=(100, 0.05)),
    _q("placa de 150W", "power", category=M, power_w=(150, 0.05)),
    _q("inversor de 5 kW", "power", category=I, power_w=(5000, 0.05)),
    _q("inversor 3kW", "power", category=I, power_w=(3000, 0.05)),
    _q("microinversor de 250 W", "power", category=I, power_w=(250, 0.05)),
    _q("inversor de 50 kW", "power", category=I, power_w=(50000, 0.05)),
    # --- power + AC voltage ------------------------------------------------------------
    _q("inversor de 10 kW 208 V", "power+voltage", category=I, power_w=(10000, 0.05), vac={208}),
    _q("microinversor 300W 240V", "power+voltage", category=I, power_w=(300, 0.05), vac={240}),
    _q("inversor 7,6 kW 240 V", "power+voltage", category=I, power_w=(7600, 0.05), vac={240}),
    _q("inversor de 20 kW 480 V", "power+voltage", category=I, power_w=(20000, 0.05), vac={480}),
    _q("inversor 3,8 kW com saída 240V", "power+voltage", category=I, power_w=(3800, 0.05), vac={240}),
    _q("microinversor 250 W 208 V", "power+voltage", category=I, power_w=(250, 0.05), vac={208}),
    _q("inversor 6 kW 277 V", "power+voltage", category=I, power_w=(6000, 0.05), vac={277}),
    # --- technology ----------------------------------------------------------------------
    _q("painel policristalino de 270 W", "technology", category=M, power_w=(270, 0.05), technology="Multi-c-Si"),
    _q("módulo monocristalino 300 W", "technology", category=M, power_w=(300, 0.05), technology="Mono-c-Si"),
    _q("placa solar mono 360W", "technology", category=M, power_w=(360, 0.05), technology="Mono-c-Si"),
    _q("placa poli 250 W", "technology", category=M, power_w=(250, 0.05), technology="Multi-c-Si"),
    _q("painel de filme fino", "technology", category=M, technology=THIN_FILM),
    _q("painel solar de telureto de cádmio", "technology", category=M, technology="CdTe"),
    _q("módulo filme fino de 100 W", "technology", category=M, power_w=(100, 0.05), technology=THIN_FILM),
    _q("painéis monocristalinos de 320 W", "technology", category=M, power_w=(320, 0.05), technology="Mono-c-Si"),
    # --- maker ---------------------------------------------------------------------------
    # the Q CELLS brand: Hanwha's own names and the pre-merger "Q-Cells ..." ones (not Hanwha SolarOne)
    _q("painel Hanwha Q CELLS 300 W", "maker", category=M, power_w=(300, 0.05), maker_contains="Q CELLS"),
    _q("inversor Fronius de 5 kW", "maker", category=I, power_w=(5000, 0.05), maker_contains="Fronius"),
    _q("microinversor Enphase", "maker", category=I, power_w=MICRO, maker_contains="Enphase"),
    _q("painel Canadian Solar 330W", "maker", category=M, power_w=(330, 0.05), maker_contains="Canadian Solar"),
    _q("inversor SMA de 5 kW", "maker", category=I, power_w=(5000, 0.05), maker_contains="SMA"),
    _q("módulo Trina 320 W", "maker", category=M, power_w=(320, 0.05), maker_contains="Trina"),
    _q("placa Jinko 315W", "maker", category=M, power_w=(315, 0.05), maker_contains="Jinko"),
    _q("painel LG 350 W", "maker", category=M, power_w=(350, 0.05), maker_contains="LG"),
    _q("inversor Growatt 4,6 kW", "maker", category=I, power_w=(4600, 0.05), maker_contains="Growatt"),
    _q("inversor ABB de 3,8 kW", "maker", category=I, power_w=(3800, 0.05), maker_contains="ABB"),
    # --- cells ---------------------------------------------------------------------------
    _q("painel de 72 células 350 W", "cells", category=M, power_w=(350, 0.05), cells=72),
    _q("módulo 60 células 300W", "cells", category=M, power_w=(300, 0.05), cells=60),
    _q("placa de 36 células", "cells", category=M, cells=36),
    _q("painel 96 células 327 W", "cells", category=M, power_w=(327, 0.05), cells=96),
    _q("módulo de 72 células policristalino 320 W", "cells", category=M, power_w=(320, 0.05), cells=72,
       technology="Multi-c-Si"),
    _q("painel de 60 células monocristalino 290 W", "cells", category=M, power_w=(290, 0.05), cells=60,
       technology="Mono-c-Si"),
    _q("painel 54 células 250 W", "cells", category=M, power_w=(250, 0.05), cells=54),
    # --- bifacial ------------------------------------------------------------------------
    _q("módulo bifacial de 380 W", "bifacial", category=M, power_w=(380, 0.05), bifacial=True),
    _q("painel bifacial", "bifacial", category=M, bifacial=True),
    _q("placa bifacial monocristalina", "bifacial", category=M, bifacial=True, technology="Mono-c-Si"),
    _q("painel bifacial 72 células", "bifacial", category=M, bifacial=True, cells=72),
    _q("módulos bifaciais de 300 W", "bifacial", category=M, power_w=(300, 0.05), bifacial=True),
    # --- phase ---------------------------------------------------------------------------
    _q("inversor monofásico de 4,6 kW", "phase", category=I, power_w=(4600, 0.05), vac=MONOFASICO),
    _q("inversor trifásico de 36 kW", "phase", category=I, power_w=(36000, 0.05), vac=TRIFASICO),
    _q("inversor trifásico 100 kW", "phase", category=I, power_w=(100000, 0.05), vac=TRIFASICO),
    _q("inversor monofásico 3 kW", "phase", category=I, power_w=(3000, 0.05), vac=MONOFASICO),
    _q("inversor bifásico de 5 kW", "phase", category=I, power_w=(5000, 0.05), vac=BIFASICO),
    _q("inversor trifásico de 20 kW", "phase", category=I, power_w=(20000, 0.05), vac=TRIFASICO),
    _q("microinversor monofásico 250W", "phase", category=I, power_w=(250, 0.05), vac=MONOFASICO),
    # --- range: bounds and ranges of power, exact ----------------------------------------
    _q("painel entre 300 e 320 W", "range", category=M, power_w={"gte": 300, "lte": 320}),
    _q("inversor de 3 a 5 kW", "range", category=I, power_w={"gte": 3000, "lte": 5000}),
    _q("placa solar de até 50 W", "range", category=M, power_w={"lte": 50}),
    _q("inversor acima de 100 kW", "range", category=I, power_w={"gt": 100000}),
    _q("módulo de pelo menos 450 W", "range", category=M, power_w={"gte": 450}),
    _q("inversor entre 8 e 10 kW 240 V", "range", category=I, power_w={"gte": 8000, "lte": 10000}, vac={240}),
    _q("painel monocristalino entre 350 e 370 W", "range", category=M, power_w={"gte": 350, "lte": 370},
       technology="Mono-c-Si"),
    # --- price bound: price documents -------------------------------------------------------
    _q("inversor até R$ 5.000", "price bound", "prices", category=I, price={"lte": 5000}),
    _q("painel até R$ 800", "price bound", "prices", category=M, price={"lte": 800}),
    _q("microinversor até R$ 550", "price bound", "prices", category=I, power_w=MICRO, price={"lte": 550}),
    _q("painel solar abaixo de R$ 150", "price bound", "prices", category=M, price={"lt": 150}),
    _q("inversor por menos de 2 mil reais", "price bound", "prices", category=I, price={"lt": 2000}),
    _q("módulo de no máximo R$ 100", "price bound", "prices", category=M, price={"lte": 100}),
    _q("inversor acima de R$ 50.000", "price bound", "prices", category=I, price={"gt": 50000}),
    _q("painéis entre R$ 200 e R$ 300", "price bound", "prices", category=M, price={"gte": 200, "lte": 300}),
    # --- price + spec: price documents of products with a spec -----------------------------
    _q("preço do painel de 330 W", "price+spec", "prices", category=M, power_w=(330, 0.05)),
    _q("quanto custa um inversor de 5 kW", "price+spec", "prices", category=I, power_w=(5000, 0.05)),
    _q("inversor de 5 kW até R$ 3.000", "price+spec", "prices", category=I, power_w=(5000, 0.05),
       price={"lte": 3000}),
    _q("painel 400 W até R$ 450", "price+spec", "prices", category=M, power_w=(400, 0.05), price={"lte": 450}),
    _q("microinversor 300 W por até R$ 650", "price+spec", "prices", category=I, power_w=(300, 0.05),
       price={"lte": 650}),
    _q("tabela de preço painel policristalino 270W", "price+spec", "prices", category=M, power_w=(270, 0.05),
       technology="Multi-c-Si"),
    _q("valor do inversor de 10 kW", "price+spec", "prices", category=I, power_w=(10000, 0.05)),
    _q("preço do painel Canadian Solar", "price+spec", "prices", category=M, maker_contains="Canadian Solar"),
    _q("inversor trifásico até R$ 20 mil", "price+spec", "prices", category=I, vac=TRIFASICO, price={"lte": 20000}),
    # --- cheapest: the k lowest current prices among the products that fit -------------------
    _q("preço do inversor de 5 kW mais barato", "cheapest", "prices", category=I, power_w=(5000, 0.05), cheapest=5),
    _q("painel de 330 W mais barato", "cheapest", "prices", category=M, power_w=(330, 0.05), cheapest=5),
    _q("qual o microinversor mais barato", "cheapest", "prices", category=I, power_w=MICRO, cheapest=5),
    _q("inversor trifásico de 20 kW mais em conta", "cheapest", "prices", category=I, power_w=(20000, 0.05),
       vac=TRIFASICO, cheapest=5),
    _q("menor preço de painel de 400 W", "cheapest", "prices", category=M, power_w=(400, 0.05), cheapest=5),
    # --- availability: active and in stock in the source -----------------------------------
    _q("painel em estoque de 330 W", "availability", category=M, power_w=(330, 0.05), in_stock=True),
    _q("inversor de 5 kW pronta entrega", "availability", category=I, power_w=(5000, 0.05), in_stock=True),
    _q("microinversor disponível em estoque 250W", "availability", category=I, power_w=(250, 0.05),
       in_stock=True),
    _q("tem painel de 400 W em estoque?", "availability", category=M, power_w=(400, 0.05), in_stock=True),
    _q("inversor trifásico 30 kW pronta entrega", "availability", category=I, power_w=(30000, 0.05),
       vac=TRIFASICO, in_stock=True),
    _q("módulo policristalino 260 W disponível", "availability", category=M, power_w=(260, 0.05),
       technology="Multi-c-Si", in_stock=True),
)


# --- the judge ------------------------------------------------------------------------------

def _num(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _words(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", str(text).lower()) if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", folded)


def _contains_words(haystack: str, needle: str) -> bool:
    hay, need = _words(haystack), _words(needle)
    return bool(need) and any(hay[i:i + len(need)] == need for i in range(len(hay) - len(need) + 1))


def _within(value: float, bounds: dict) -> bool:
    return all(_OPS[op](value, limit) for op, limit in bounds.items())


def _bounds_text(bounds: dict) -> str:
    return " and ".join(f"{op} {limit:g}" for op, limit in bounds.items())


def current_prices(price_rows: list[dict], today: date | None = None) -> list[float]:
    """The product's prices a shopper can get today: B1/B3 rows valid today with a positive price."""
    today = today or date.today()
    out = []
    for row in price_rows:
        price = _num(row.get("price"))
        starts, ends = str(row.get("valid_from") or ""), str(row.get("valid_to") or "")
        if row.get("tier") not in TIERS or price is None or price <= 0 or not math.isfinite(price):
            continue
        started = not starts or date.fromisoformat(starts[:10]) <= today
        if started and (not ends or date.fromisoformat(ends[:10]) >= today):
            out.append(price)
    return out


def power_of(product: dict) -> float | None:
    specs = product.get("specs") or {}
    return _num(specs.get("STC") if product.get("category") == "module" else specs.get("Paco"))


def why_not(product: dict, price_rows: list[dict], spec: dict, today: date | None = None) -> list[str]:
    """The spec parts this product fails, in words ("power 300 W not within 270 W ±5%"); [] if none.
    ``cheapest`` is not checked here (see ``relevant_skus``)."""
    unknown = set(spec) - SPEC_KEYS
    if unknown:  # a misspelt key would otherwise be a condition silently not checked
        raise ValueError(f"unknown spec keys {sorted(unknown)}; known: {sorted(SPEC_KEYS)}")
    specs = product.get("specs") or {}
    failed = []
    if "category" in spec and product.get("category") != spec["category"]:
        failed.append(f"category {product.get('category')} is not {spec['category']}")
    if "power_w" in spec:
        power, want = power_of(product), spec["power_w"]
        if isinstance(want, dict):
            if power is None or not _within(power, want):
                failed.append(f"power {power if power is None else f'{power:g}'} W not {_bounds_text(want)}")
        else:
            target, tolerance = want
            if power is None or abs(power - target) > target * tolerance + _EPS:
                failed.append(f"power {power if power is None else f'{power:g}'} W not within {target:g} W "
                              f"±{tolerance:.0%}")
    if "vac" in spec:
        vac = _num(specs.get("Vac"))
        if vac is None or not any(abs(vac - v) < _EPS for v in spec["vac"]):
            failed.append(f"Vac {vac if vac is None else f'{vac:g}'} not in {sorted(spec['vac'])}")
    if "technology" in spec:
        wanted = {spec["technology"]} if isinstance(spec["technology"], str) else set(spec["technology"])
        if specs.get("Technology") not in wanted:
            failed.append(f"technology {specs.get('Technology')} not {'/'.join(sorted(wanted))}")
    if "cells" in spec and _num(specs.get("N_s")) != spec["cells"]:
        failed.append(f"cells {specs.get('N_s')} not {spec['cells']}")
    if "bifacial" in spec and bool(_num(specs.get("Bifacial")) or 0) != spec["bifacial"]:
        failed.append(f"bifacial {specs.get('Bifacial')} not {spec['bifacial']}")
    if "maker_contains" in spec and not _contains_words(product.get("manufacturer") or "", spec["maker_contains"]):
        failed.append(f"maker {product.get('manufacturer')!r} is not {spec['maker_contains']!r}")
    if "price" in spec:
        prices = current_prices(price_rows, today)
        if not any(_within(p, spec["price"]) for p in prices):
            low = f"lowest R$ {min(prices):,.2f}" if prices else "no current price"
            failed.append(f"price not {_bounds_text(spec['price'])} ({low})")
    if spec.get("in_stock") and not (product.get("active") and int(product.get("stock") or 0) > 0):
        failed.append(f"not available (active={product.get('active')}, stock={product.get('stock')})")
    return failed


def relevant(product_row: dict, price_rows: list[dict], spec: dict, today: date | None = None) -> bool:
    """Whether the product answers the spec, judged from its source row and price rows."""
    return not why_not(product_row, price_rows, spec, today)


@dataclass
class SourceCatalog:
    """What the source holds after seeding: products by SKU (name, manufacturer, category,
    specs, active, stock) and their price rows by SKU."""

    products: dict[str, dict]
    prices: dict[str, list[dict]]

    def relevant_skus(self, question: Question, today: date | None = None) -> list[str]:
        """The SKUs that answer the question in its domain: a price document exists only for a
        product with a current price, so the prices domain counts only those."""
        spec = question.spec
        needs_price = question.domain == "prices" or "cheapest" in spec
        fits = [sku for sku, product in self.products.items()
                if relevant(product, self.prices.get(sku, []), spec, today)
                and (not needs_price or current_prices(self.prices.get(sku, []), today))]
        if "cheapest" not in spec:
            return fits
        lowest = {sku: min(current_prices(self.prices[sku], today)) for sku in fits}
        ranked = sorted(lowest.values())
        if not ranked:
            return []
        cutoff = ranked[min(spec["cheapest"], len(ranked)) - 1]
        return [sku for sku in fits if lowest[sku] <= cutoff]


def catalog_from_demo(products: int | str = 2000) -> SourceCatalog:
    """Recompute the seeded source from the demo's own functions (no database): the CEC sample
    and its price rows. Products seeded only in the distributor CSV drop (every tenth, as in
    ``seed_products``) carry no active column there, which the extraction reads as active."""
    from helio_pipeline.demo.catalog_data import load_catalog, price_rows

    catalog = load_catalog(products)
    out = {}
    for i, product in enumerate(catalog):
        row = dict(product)
        if i % 10 == 7:
            row["active"] = True
        out[row["sku"]] = row
    prices: dict[str, list[dict]] = {}
    for row in price_rows(catalog):
        prices.setdefault(row["sku"], []).append(row)
    return SourceCatalog(out, prices)
