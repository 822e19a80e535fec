"""THE registry: one entry per knowledge-base domain.

Domains differ only in where rows come from (``extract``), how rows become chunks
(``chunk``), and which payload fields are filterable (``filter_fields``). Everything else —
assets, checks, sync, search — is generic over this record. Adding a fifth KB is one entry
here plus its extractor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from helio_pipeline import vocabulary
from helio_pipeline.lib import catalog, conversations, prices, rules
from helio_pipeline.lib.chunking import CHUNKER_VERSION
from helio_pipeline.lib.records import Availability, Chunk, Extraction, Sources
from helio_pipeline.lib.redaction import REDACTOR_VERSION
from helio_pipeline.lib.specs import SPEC_INDEXES


@dataclass(frozen=True)
class Domain:
    name: str
    description: str
    extract: Callable[[Sources], Extraction]
    chunk: Callable[[pd.DataFrame], list[Chunk]]
    # payload field -> index type (keyword, integer, float, bool, datetime); filters are checked against it
    filter_fields: dict[str, str]
    tenant_field: str | None = None
    chunker_version: str = CHUNKER_VERSION
    # golden-query recall@5 a build must reach to be promoted (see lib/golden.py)
    min_recall_at_5: float = 0.6
    # the tables ("postgres/<table>") and object prefixes ("s3/<prefix>") it reads: source
    # nodes upstream of its extract asset, so the lineage runs from sources to collections
    sources: tuple[str, ...] = ()
    # its extractor removes personal data (e-mails, CPFs, phones) and counts what it removed
    redacts_personal_data: bool = False
    # how its questions are read (lib/understanding.py): words, units and tolerances over its
    # filter fields; None leaves questions as they are (rules, conversations)
    vocabulary: object = None
    # the payload field whose indexed values name makers ("Canadian" -> Canadian Solar Inc.)
    maker_field: str | None = None
    # words that say a question is for this domain, and the domains whose cues become context
    # when one of these is present ("preço do inversor": prices, not products); lib/routing.py
    cues: tuple[str, ...] = ()
    refines: tuple[str, ...] = ()
    # how search keeps only what is available now (``available_only``); None: not offered
    availability: Availability | None = None

    @property
    def kinds(self) -> frozenset[str]:
        """The systems the domain reads (``postgres``, ``s3``), shown on its extract asset."""
        return frozenset(source.split("/", 1)[0] for source in self.sources)

    def collection(self, prefix: str = "helio") -> str:
        """The alias readers query, e.g. ``helio-products``."""
        return f"{prefix}-{self.name}"


DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        Domain(
            name="products",
            description="One document per product (PV modules and inverters): name, maker, category and key specs.",
            extract=catalog.extract_products,
            chunk=catalog.chunk_products,
            # SPEC_INDEXES: the canonical specs (lib/specs.py): power_w, technology, bifacial, cells,
            # voc_v, isc_a, vmp_v, imp_a, ptc_w, voltage_v, dc_voltage_v, mppt_low_v, mppt_high_v, dc_current_a
            filter_fields={"sku": "keyword", "manufacturer": "keyword", "category": "keyword", **SPEC_INDEXES,
                           "active": "bool", "stock": "integer"},
            chunker_version=f"{CHUNKER_VERSION}.p4",
            sources=("postgres/products", "s3/catalog/products"),
            vocabulary=vocabulary.PRODUCTS_PT,
            maker_field="manufacturer",
            cues=vocabulary.PRODUCT_CUES,
            availability=Availability(
                live_sql="SELECT sku, active AND stock > 0 FROM products WHERE sku = ANY(:ids)",
                indexed=lambda payload: bool(payload.get("active")) and (payload.get("stock") or 0) > 0,
            ),
        ),
        Domain(
            name="prices",
            description="One document per product listing its current B1/B3 prices across distributors.",
            extract=prices.extract_prices,
            chunk=prices.chunk_prices,
            filter_fields={"sku": "keyword", "distributor": "keyword", "tier": "keyword", "category": "keyword",
                           "price": "float", "manufacturer": "keyword", "power_w": "float", "technology": "keyword",
                           "voltage_v": "float"},
            chunker_version=f"{CHUNKER_VERSION}.pr5",
            sources=("postgres/prices", "postgres/products", "s3/catalog/prices", "s3/catalog/products"),
            vocabulary=vocabulary.PRICES_PT,
            maker_field="manufacturer",
            cues=vocabulary.PRICE_CUES,
            refines=("products",),
        ),
        Domain(
            name="rules",
            description="Business rules and regulatory summaries in ~500-token windows with 50 tokens of overlap.",
            extract=rules.extract_rules,
            chunk=rules.chunk_rules,
            filter_fields={"kind": "keyword", "slug": "keyword"},
            chunker_version=f"{CHUNKER_VERSION}.r2",
            sources=("postgres/business_rules", "s3/rules"),
            cues=vocabulary.RULE_CUES,
            refines=("products",),
        ),
        Domain(
            name="conversations",
            description="Customer conversations as windows of 6 consecutive turns (1 overlapping), per owner.",
            extract=conversations.extract_conversations,
            chunk=conversations.chunk_conversations,
            filter_fields={"owner_id": "keyword", "correlation_id": "keyword", "started_at": "datetime",
                           "ended_at": "datetime"},
            tenant_field="owner_id",
            cues=vocabulary.CONVERSATION_CUES,
            chunker_version=f"{CHUNKER_VERSION}.c2.redact{REDACTOR_VERSION}",
            sources=("postgres/conversation_history", "s3/conversations"),
            redacts_personal_data=True,
        ),
    )
}
