"""A small indexed knowledge base with two tenants, and API keys for it."""

from __future__ import annotations

import pytest

from helio_pipeline.lib.apikeys import KeyRing, create_key
from tests.helpers import add_message, add_price, add_product, add_rule

OWNERS = {"ana": ("c1", "c2"), "bruno": ("c3",)}


@pytest.fixture
def tenants(kb):
    """Products, prices and rules, and conversations of two owners (ana: c1, c2; bruno: c3), all
    mentioning deliveries to Recife, indexed; returns the KnowledgeBase."""
    for i, category in enumerate(("module", "module", "inverter")):
        pid = add_product(kb.engine, f"SKU-{i}", f"Solaris Modelo SL-{i}00 painel", category=category, stock=5 + i)
        add_price(kb.engine, pid, "EcoVolt", "B1", 500 + 100 * i)
    add_rule(kb.engine, "frete", "Frete", "Frete grátis acima de R$ 10 mil para o Sudeste.", "logistics")
    for owner, conversations in OWNERS.items():
        for conv in conversations:
            turns = [("user", f"Sou {owner}: quero cotar inversor, entrega em Recife ({conv})"),
                     ("assistant", f"Claro {owner}, envio a cotação de {conv} hoje."),
                     ("user", f"Qual o prazo de entrega do pedido {conv} em Recife?")]
            for m, (role, text) in enumerate(turns):
                add_message(kb.engine, conv, owner, role, text, minute=m)
    kb.refresh()
    return kb.knowledge_base()


def make_keys(**specs: tuple[list[str], str | None]) -> tuple[KeyRing, dict[str, str]]:
    """A KeyRing from ``name=(scopes, owner)`` and the plaintext keys by name (for the client)."""
    plain, records = {}, []
    for name, (scopes, owner) in specs.items():
        key, record = create_key(name, scopes, owner)
        plain[name] = key
        records.append(record)
    return KeyRing(records, "test"), plain
