"""Small builders for tests: rows inserted straight into the source tables."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def add_product(engine, sku: str, name: str, category: str = "module", manufacturer: str = "Acme Solar",
                description: str = "", specs: dict | None = None, active: bool = True, stock: int = 10) -> int:
    specs = specs if specs is not None else ({"STC": 550.0, "Technology": "Mono-c-Si"} if category == "module"
                                             else {"Paco": 50000.0, "Vac": 380.0})
    with engine.begin() as conn:
        return conn.execute(
            sa.text("INSERT INTO products (sku, name, manufacturer, category, description, specs, active, stock, updated_at) "
                    "VALUES (:sku, :name, :m, :c, :d, CAST(:s AS jsonb), :a, :st, :u) RETURNING id"),
            {"sku": sku, "name": name, "m": manufacturer, "c": category, "d": description, "s": json.dumps(specs),
             "a": active, "st": stock, "u": T0},
        ).scalar_one()


def add_price(engine, product_id: int, distributor: str, tier: str, price: float) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO prices (product_id, distributor, tier, price, valid_from) "
                             "VALUES (:p, :d, :t, :pr, '2026-01-01')"),
                     {"p": product_id, "d": distributor, "t": tier, "pr": price})


def add_rule(engine, slug: str, title: str, body: str | None, kind: str = "warranty") -> int:
    with engine.begin() as conn:
        return conn.execute(sa.text("INSERT INTO business_rules (slug, title, body, kind) VALUES (:s, :t, :b, :k) "
                                    "RETURNING id"), {"s": slug, "t": title, "b": body, "k": kind}).scalar_one()


def add_message(engine, correlation_id: str, owner_id: str, role: str, content: str | None, minute: int = 0) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO conversation_history (correlation_id, owner_id, role, content, created_at) "
                             "VALUES (:c, :o, :r, :t, :at)"),
                     {"c": correlation_id, "o": owner_id, "r": role, "t": content,
                      "at": T0.replace(minute=minute % 60, hour=minute // 60)})


def execute(engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)
