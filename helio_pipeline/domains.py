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

from helio_pipeline.lib import catalog, conversations, rules
from helio_pipeline.lib.chunking import CHUNKER_VERSION
from helio_pipeline.lib.records import Chunk, Extraction, Sources
from helio_pipeline.lib.redaction import REDACTOR_VERSION


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
            filter_fields={"sku": "keyword", "manufacturer": "keyword", "category": "keyword",
                           "technology": "keyword", "power_w": "float", "active": "bool", "stock": "integer"},
            chunker_version=f"{CHUNKER_VERSION}.p3",
            sources=("postgres/products", "s3/catalog/products"),
        ),
        Domain(
            name="prices",
            description="One document per product listing its current B1/B3 prices across distributors.",
            extract=catalog.extract_prices,
            chunk=catalog.chunk_prices,
            filter_fields={"sku": "keyword", "distributor": "keyword", "tier": "keyword", "category": "keyword",
                           "price": "float"},
            chunker_version=f"{CHUNKER_VERSION}.pr4",
            sources=("postgres/prices", "postgres/products", "s3/catalog/prices", "s3/catalog/products"),
        ),
        Domain(
            name="rules",
            description="Business rules and regulatory summaries in ~500-token windows with 50 tokens of overlap.",
            extract=rules.extract_rules,
            chunk=rules.chunk_rules,
            filter_fields={"kind": "keyword", "slug": "keyword"},
            chunker_version=f"{CHUNKER_VERSION}.r2",
            sources=("postgres/business_rules", "s3/rules"),
        ),
        Domain(
            name="conversations",
            description="Customer conversations as windows of 6 consecutive turns (1 overlapping), per owner.",
            extract=conversations.extract_conversations,
            chunk=conversations.chunk_conversations,
            filter_fields={"owner_id": "keyword", "correlation_id": "keyword", "started_at": "datetime",
                           "ended_at": "datetime"},
            tenant_field="owner_id",
            chunker_version=f"{CHUNKER_VERSION}.c2.redact{REDACTOR_VERSION}",
            sources=("postgres/conversation_history", "s3/conversations"),
            redacts_personal_data=True,
        ),
    )
}
