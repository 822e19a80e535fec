"""Canonical specs (lib/specs.py): every spec a source carries reaches the product's text and
payload, whether it came from the products table (CEC keys) or a distributor's CSV drop."""

from __future__ import annotations

import pytest

from helio_pipeline.demo.catalog_data import load_catalog
from helio_pipeline.demo.seed import PRODUCT_DROP, seed_prices, seed_products
from helio_pipeline.domains import DOMAINS
from helio_pipeline.domains.products import chunk_products, extract_products
from helio_pipeline.lib.objectstore import open_object_store
from helio_pipeline.domains.prices import chunk_prices, extract_prices
from helio_pipeline.lib.records import SourceAccess
from helio_pipeline.lib.specs import SPEC_FIELDS, canonical_specs
from tests.helpers import add_price, add_product

SAMPLE = 300
DROP = "catalog/products/distribuidor.csv"


@pytest.fixture
def sources(clean_db, bucket_url, s3_endpoint):
    return SourceAccess(engine=clean_db, objects=open_object_store(bucket_url, endpoint_url=s3_endpoint))


def _listed(value):
    """A CEC number as the payload must hold it: the CEC writes 0 (or a range) for "not listed"."""
    return value if isinstance(value, float) and value > 0 else None


def _expected(product: dict) -> dict:
    """What the payload must say, read straight from the CEC row the demo wrote to either source."""
    specs = product["specs"]
    if product["category"] == "module":
        return {"power_w": _listed(specs.get("STC")), "technology": specs.get("Technology"),
                "cells": int(specs["N_s"]) if _listed(specs.get("N_s")) else None,
                "bifacial": bool(specs["Bifacial"]) if "Bifacial" in specs else None,
                "voltage_v": None, "voc_v": _listed(specs.get("V_oc_ref")), "isc_a": _listed(specs.get("I_sc_ref"))}
    return {"power_w": _listed(specs.get("Paco")), "technology": None, "cells": None, "bifacial": None,
            "voltage_v": _listed(specs.get("Vac")), "dc_voltage_v": _listed(specs.get("Vdcmax")),
            "mppt_low_v": _listed(specs.get("Mppt_low")), "mppt_high_v": _listed(specs.get("Mppt_high"))}


def test_every_seeded_product_has_its_specs_in_payload_and_text_whichever_source(sources):
    catalog = load_catalog(SAMPLE)
    seed_products(sources.engine, sources.objects, catalog)
    ex = extract_products(sources)
    chunks = {c.source_id: c for c in chunk_products(ex.frame)}
    assert [(p.source, p.reason.split(" is ")[0]) for p in ex.quarantined] == [(PRODUCT_DROP, "stock 'muitos'")]
    assert set(chunks) == {p["sku"] for p in catalog}
    from_drop = {sku for sku, c in chunks.items() if c.source == PRODUCT_DROP}
    assert len(from_drop) == len(catalog[7::10])
    assert {chunks[sku].fields["category"] for sku in from_drop} == {"module", "inverter"}
    for product in catalog:
        chunk = chunks[product["sku"]]
        for field, value in _expected(product).items():
            assert chunk.fields[field] == value, (product["sku"], chunk.source, field)
        assert "? W" not in chunk.text
        if chunk.fields["category"] == "module":
            assert f"{chunk.fields['power_w']:.0f} W" in chunk.text, chunk.text
            assert {"Mono-c-Si": "monocristalino", "Multi-c-Si": "policristalino"}.get(
                chunk.fields["technology"], "") in chunk.text
        elif chunk.fields["voltage_v"] is not None:
            assert f"saída {chunk.fields['voltage_v']:.0f} V" in chunk.text
        # every canonical field is in the payload (None when the source lacks it) and filterable
        assert {f.name for f in SPEC_FIELDS} <= set(chunk.fields) - {"name"} <= set(DOMAINS["products"].filter_fields)


def test_csv_columns_in_any_spelling_and_decimal_commas_are_read(sources):
    sources.objects.put_bytes(DROP, (
        "sku,name,manufacturer,category,stock,Potência (W),TECNOLOGIA,Células,bifacial,VOC,isc_a,"
        "potencia_kw,tensao_v,Tensão CC máx (V),mppt_min,MPPT_MAX\n"
        'CS3U-330P,Canadian Solar CS3U-330P,Canadian Solar,module,5,"330,22",Policristalino,72,sim,"45,1","9,3 A",'
        ",,,,\n"
        'INV-5K,Inversor Sul 5 kW,Sul Solar,inverter,2,,,,,,,"5,5",220,1 000 V,"100,5",850\n'
    ).encode())
    chunks = {c.source_id: c for c in chunk_products(extract_products(sources).frame)}
    module, inverter = chunks["CS3U-330P"], chunks["INV-5K"]
    assert {k: module.fields[k] for k in ("power_w", "technology", "cells", "bifacial", "voc_v", "isc_a")} == {
        "power_w": 330.22, "technology": "Multi-c-Si", "cells": 72, "bifacial": True, "voc_v": 45.1, "isc_a": 9.3}
    assert "330 W, policristalino, bifacial, 72 células, Voc 45.1 V." in module.text
    assert {k: inverter.fields[k] for k in ("power_w", "voltage_v", "dc_voltage_v", "mppt_low_v", "mppt_high_v")} == {
        "power_w": 5500.0, "voltage_v": 220.0, "dc_voltage_v": 1000.0, "mppt_low_v": 100.5, "mppt_high_v": 850.0}
    assert "5.5 kW CA, saída 220 V" in inverter.text


@pytest.mark.parametrize("specs, category, expected", [
    ({"STC": 330.22, "Technology": "Multi-c-Si", "Bifacial": 0.0, "N_s": 72.0}, "module",
     {"power_w": 330.22, "technology": "Multi-c-Si", "bifacial": False, "cells": 72}),
    ({"power_w": "330,22", "technology": "mono"}, "module", {"power_w": 330.22, "technology": "Mono-c-Si"}),
    ({"potência": "1.234,5 W", "tecnologia": "Monocristalina"}, "module",
     {"power_w": 1234.5, "technology": "Mono-c-Si"}),
    ({"POTENCIA_KW": "0,33"}, "module", {"power_w": 330.0}),
    ({"tecnologia": "filme fino CdTe", "celulas": "72 células"}, "module", {"technology": "CdTe", "cells": 72}),
    ({"Paco": 3000.0, "Vac": 0.0, "Vdcmax": 600.0}, "inverter", {"power_w": 3000.0, "dc_voltage_v": 600.0}),
    ({"power_w": "5 kW", "vac": "240 V", "Idcmax": "12,5"}, "inverter",
     {"power_w": 5000.0, "voltage_v": 240.0, "dc_current_a": 12.5}),
    ({"Vac": 240.0, "tensao_v": "220"}, "module", {}),  # an AC voltage is not a module's spec
])
def test_canonical_specs_read_cec_keys_and_distributor_columns(specs, category, expected):
    assert canonical_specs(specs, category) == (expected, [])


@pytest.mark.parametrize("value, why", [
    ("trezentos", "is not a number"), ("NaN", "is not a finite number"), ("-330", "is negative"),
    ("300-340", "is not a number"), ("330 V", "has unit 'V'"),
])
def test_an_unreadable_number_is_named_and_left_out(value, why):
    values, problems = canonical_specs({"potencia_w": value, "tecnologia": "poli"}, "module")
    assert values == {"technology": "Multi-c-Si"}
    assert len(problems) == 1
    assert problems[0].startswith(f"'potencia_w' = {value!r} {why}") and problems[0].endswith("(power_w left out)")


def test_a_bad_spec_value_is_reported_and_the_product_still_indexed(sources):
    add_product(sources.engine, "INV-R", "Inversor Faixa", category="inverter",
                specs={"Paco": 5000.0, "Vac": "422-528"})
    sources.objects.put_bytes(DROP, (
        "sku,name,manufacturer,category,stock,potencia_w,tecnologia,bifacial\n"
        "NEW-1,Painel Norte 330,Norte Solar,module,5,trezentos,poli,talvez\n"
        'NEW-2,Painel Norte 340,Norte Solar,module,5,"340,5",poli,não\n'
    ).encode())
    ex = extract_products(sources)
    assert ex.quarantined == []
    problems = {(p.source, p.location): p.reason for p in ex.skipped}
    assert set(problems) == {(DROP, "line 2"), ("products", "sku INV-R")}
    assert "column 'potencia_w' = 'trezentos' is not a number" in problems[(DROP, "line 2")]
    assert "column 'bifacial' = 'talvez'" in problems[(DROP, "line 2")]
    assert "NEW-1 is indexed without them" in problems[(DROP, "line 2")]
    assert "spec 'Vac' = '422-528'" in problems[("products", "sku INV-R")]
    chunks = {c.source_id: c for c in chunk_products(ex.frame)}
    assert set(chunks) == {"INV-R", "NEW-1", "NEW-2"}
    assert (chunks["NEW-1"].fields["power_w"], chunks["NEW-1"].fields["technology"]) == (None, "Multi-c-Si")
    assert chunks["NEW-1"].fields["bifacial"] is None
    assert "? W" not in chunks["NEW-1"].text and "policristalino" in chunks["NEW-1"].text
    assert (chunks["NEW-2"].fields["power_w"], chunks["NEW-2"].fields["bifacial"]) == (340.5, False)
    assert (chunks["INV-R"].fields["power_w"], chunks["INV-R"].fields["voltage_v"]) == (5000.0, None)


def test_price_documents_carry_the_products_specs_and_maker(sources):
    pid = add_product(sources.engine, "INV-1", "Inversor Acme 5K", category="inverter", manufacturer="Acme Power",
                      specs={"Paco": 5000.0, "Vac": 220.0})
    add_price(sources.engine, pid, "Solar Atacado SP", "B1", 4999.0)
    sources.objects.put_bytes(DROP, (
        "sku,name,manufacturer,category,stock,potencia_w,tecnologia\n"
        'CS3U-330P,Canadian Solar CS3U-330P,Canadian Solar,module,5,"330,22",policristalino\n').encode())
    sources.objects.put_bytes("catalog/prices/eco.csv", (
        "sku,distributor,tier,price,currency,valid_from,valid_to\n"
        "CS3U-330P,EcoVolt,B1,610.00,BRL,2026-01-01,\n").encode())
    chunks = {c.source_id: c for c in chunk_prices(extract_prices(sources).frame)}
    pick = ("manufacturer", "power_w", "technology", "voltage_v")
    assert {k: chunks["INV-1"].fields[k] for k in pick} == {
        "manufacturer": "Acme Power", "power_w": 5000.0, "technology": None, "voltage_v": 220.0}
    assert {k: chunks["CS3U-330P"].fields[k] for k in pick} == {
        "manufacturer": "Canadian Solar", "power_w": 330.22, "technology": "Multi-c-Si", "voltage_v": None}
    assert set(chunks["INV-1"].fields) <= set(DOMAINS["prices"].filter_fields) | {"name", "currency"}


def test_a_power_filter_finds_csv_only_modules_with_the_table_ones(kb):
    catalog = load_catalog(SAMPLE)
    seed_products(kb.engine, kb.objects, catalog)
    seed_prices(kb.engine, kb.objects, catalog)
    assert kb.refresh(domains=["products", "prices"]).success
    in_range = {p["sku"] for p in catalog if p["category"] == "module" and 300 <= p["specs"]["STC"] <= 340}
    from_drop = in_range & {p["sku"] for p in catalog[7::10]}
    assert from_drop  # e.g. ECO310T156P-72, 310.8 W, only in the CSV drop
    knowledge = kb.knowledge_base()
    hits = knowledge.search("painel solar", domains=["products"], top_k=100,
                            filters={"category": "module", "power_w": {"gte": 300, "lte": 340}})
    assert {h.source_id for h in hits} == in_range
    hits = knowledge.search("painel solar policristalino", domains=["products"], top_k=100,
                            filters={"power_w": {"gte": 300, "lte": 340}, "technology": "Multi-c-Si", "cells": 72})
    assert {h.source_id for h in hits} == {p["sku"] for p in catalog if p["sku"] in in_range
                                           and p["specs"]["Technology"] == "Multi-c-Si" and p["specs"]["N_s"] == 72}
    assert "ECO310T156P-72" in {h.source_id for h in hits}
    prices = knowledge.search("preço painel", domains=["prices"], top_k=100,
                              filters={"power_w": {"gte": 300, "lte": 340}})
    assert from_drop <= {h.source_id for h in prices}
