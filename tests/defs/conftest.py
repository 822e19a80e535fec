"""Fixtures shared by the Dagster-layer tests."""

import pytest

from tests.helpers import add_price, add_product, add_rule


@pytest.fixture
def indexed(kb):
    """Products, prices and rules indexed once (their checks pass, so their inputs are recorded)."""
    for i in range(8):
        pid = add_product(kb.engine, f"SKU-{i}", f"Fabricante{i} Modelo M{i}-400", description=f"Módulo {i}.")
        add_price(kb.engine, pid, "Solar Atacado SP", "B1", 500 + i)
    add_rule(kb.engine, "frete", "Política de frete", "Frete CIF acima de R$ 10 mil.", "logistics")
    kb.objects.put_bytes("rules/logistics/retirada.md", "# Retirada no CD\n\nRetire em Jundiaí.".encode())
    kb.objects.put_bytes("rules/warranty/garantia.md", "# Garantia\n\nDoze anos contra defeitos.".encode())
    result = kb.refresh(["products", "prices", "rules"])
    assert all(c.passed for c in result.get_asset_check_evaluations())
    return kb
