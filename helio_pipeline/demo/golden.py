"""The demo's hand-written golden questions, seeded into ``kb_golden_queries`` like a business
team would write them: what a shopper or a salesperson asks, and which documents answer it in
the source data's own terms (catalog attributes, a rule's slug), never what search returned.

A production deployment writes its own rows (SQL, or any admin tool on the table); nothing in
the pipeline reads this module.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from helio_pipeline.demo.rules_corpus import RULE_GOLDEN_QUERIES

THIN_FILM = ["Thin Film", "CdTe", "CIGS", "a-Si"]

# (domain, question, expected conditions on chunk fields, filters)
QUESTIONS: list[tuple[str, str, dict, dict]] = [
    ("products", "inversor de 5 kW", {"category": "inverter", "power_w": {"gte": 4750, "lte": 5250}}, {}),
    ("products", "inversor de 10 kW", {"category": "inverter", "power_w": {"gte": 9500, "lte": 10500}}, {}),
    ("products", "microinversor", {"category": "inverter", "power_w": {"lt": 1500}}, {}),
    ("products", "módulo fotovoltaico de 400 W", {"category": "module", "power_w": {"gte": 380, "lte": 420}}, {}),
    ("products", "placa solar de 300 W", {"category": "module", "power_w": {"gte": 285, "lte": 315}}, {}),
    ("products", "painel bifacial", {"category": "module", "bifacial": True}, {}),
    ("products", "módulo de filme fino", {"category": "module", "technology": THIN_FILM}, {}),
    ("products", "módulo policristalino de 250 W",
     {"category": "module", "technology": "Multi-c-Si", "power_w": {"gte": 237.5, "lte": 262.5}}, {}),
    ("prices", "preço de inversor de 5 kW", {"category": "inverter", "power_w": {"gte": 4750, "lte": 5250}}, {}),
    ("prices", "quanto custa um microinversor", {"category": "inverter", "power_w": {"lt": 1500}}, {}),
    ("prices", "preço do módulo de 400 W", {"category": "module", "power_w": {"gte": 380, "lte": 420}}, {}),
    ("prices", "preço de módulo de filme fino", {"category": "module", "technology": THIN_FILM}, {}),
] + [("rules", g["query"], {"slug": g["slug"]}, {}) for g in RULE_GOLDEN_QUERIES]


def seed_golden(engine) -> dict:
    """Insert (or update) the demo's golden questions; returns how many per domain."""
    rows = [{"d": domain, "q": query, "e": json.dumps(expected, ensure_ascii=False),
             "f": json.dumps(filters, ensure_ascii=False)} for domain, query, expected, filters in QUESTIONS]
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO kb_golden_queries (domain, query, expected, filters, note) "
            "VALUES (:d, :q, CAST(:e AS jsonb), CAST(:f AS jsonb), 'demo') "
            "ON CONFLICT (domain, query) DO UPDATE SET expected = EXCLUDED.expected, filters = EXCLUDED.filters"),
            rows)
    counts: dict[str, int] = {}
    for domain, *_ in QUESTIONS:
        counts[f"golden_{domain}"] = counts.get(f"golden_{domain}", 0) + 1
    return counts
