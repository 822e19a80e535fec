"""What a knowledge-base domain is: the record every generic part (assets, checks, sensors,
sync, golden evaluation, search, the CLI and the API) reads, and nothing else.

A domain module (``helio_pipeline/domains/<name>.py``) holds its extract and chunk
functions and ends with one ``DOMAIN = Domain(...)``; ``domains/__init__.py`` lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from helio_pipeline.lib.chunking import CHUNKER_VERSION
from helio_pipeline.lib.records import Availability, Chunk, Extraction, SourceAccess
from helio_pipeline.lib.lazy_import import LazyModule

pd = LazyModule("pandas")  # imported on first use: a search reads the registry, not DataFrames


@dataclass(frozen=True)
class Domain:
    name: str
    description: str
    extract: Callable[[SourceAccess], Extraction]
    chunk: Callable[[pd.DataFrame], list[Chunk]]
    # payload field -> index type (keyword, integer, float, bool, datetime); filters are checked against it
    filter_fields: dict[str, str]
    tenant_field: str | None = None
    chunker_version: str = CHUNKER_VERSION
    # golden-query recall@5 a build must reach to be promoted (see lib/golden.py)
    min_recall_at_5: float = 0.6
    # the tables ("postgres/<table>") and object prefixes ("s3/<prefix>") it reads: source
    # nodes upstream of its extract asset, and the routing of changes: a change logged for a
    # table, or an object dropped under a prefix, re-syncs every domain that reads it
    sources: tuple[str, ...] = ()
    # required header columns of the CSV drops under a prefix it reads ("catalog/products/"):
    # a drop without them is quarantined by the object sensor instead of triggering a run
    csv_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # SQL that installs the change-log triggers on its tables (``helio db migrate`` applies it
    # when the tables exist; runs never do); "" when its tables are not tracked
    change_tracking_sql: str = ""
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
    # golden queries: hand-written ones come from the kb_golden_queries table and, when set,
    # this JSONL file (lib/golden.py); ``derived_golden`` adds queries computed from the chunks
    # being indexed (model codes, names), reported apart from the hand-written ones
    golden_file: Path | None = None
    derived_golden: Callable[[list[Chunk]], list] | None = None
    # a tenant domain's conversation memory: (engine, owner, correlation id, n) -> the last n
    # messages, oldest first, as dicts (role, text, created_at, message_ids); KnowledgeBase.memory
    recent_messages: Callable | None = None
    # what its chunks depend on besides its sources, settings and code: the current time
    # bucket (prices keep the rows valid today: today's date). Part of the input fingerprint
    # (lib/fingerprint.py): a new bucket means a full pass. None: time does not matter.
    time_bucket: Callable[[], str] | None = None
    # per table, the SQL expression of a row's source id (``owner_id || '/' || correlation_id``):
    # a shard run's input fingerprint then reads only its own rows (lib/fingerprint.py); a table
    # without one is read whole, so any change in it sends every shard through a full pass
    shard_source_sql: dict[str, str] = field(default_factory=dict)

    @property
    def kinds(self) -> frozenset[str]:
        """The systems the domain reads (``postgres``, ``s3``), shown on its extract asset."""
        return frozenset(source.split("/", 1)[0] for source in self.sources)

    @property
    def tables(self) -> tuple[str, ...]:
        """The PostgreSQL tables it reads."""
        return tuple(s.split("/", 1)[1] for s in self.sources if s.startswith("postgres/"))

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The object-store prefixes it reads, with their trailing slash (``rules/``)."""
        return tuple(s.split("/", 1)[1].rstrip("/") + "/" for s in self.sources if s.startswith("s3/"))

    def collection(self, prefix: str = "helio") -> str:
        """The alias readers query, e.g. ``helio-products``."""
        return f"{prefix}-{self.name}"


def registry(*domains: Domain) -> dict[str, Domain]:
    """{name: domain}, refusing two domains of one name."""
    out: dict[str, Domain] = {}
    for domain in domains:
        if domain.name in out:
            raise ValueError(f"two domains are named {domain.name!r}")
        out[domain.name] = domain
    return out
