"""Hash shards of a domain's source ids, and the scope a sync is limited to.

A large domain is split into ``count`` shards so several workers can extract, embed and write
at once (one Dagster partition per shard, key ``shard-<i>-of-<count>``). A source belongs to
shard ``md5(source_id) mod count``: stable across processes and machines (unlike Python's
``hash``), and computable inside PostgreSQL too, so an extractor can push the shard down
into its SQL (:func:`sql_shard_predicate`).

Point ids do not depend on the shard (they are uuid5 of domain, source id and chunk
number), so changing the shard count re-partitions cleanly: every point falls in exactly
one new shard, which finds it, keeps it, or deletes it. Nothing is written twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_KEY = re.compile(r"^shard-(\d+)-of-(\d+)$")
_HEX_DIGITS = 15  # 60 bits: fits PostgreSQL's bigint, so SQL and Python agree


def shard_of(source_id: str, count: int) -> int:
    """The shard (0 .. count-1) a source id belongs to."""
    if count == 1:
        return 0
    return int(hashlib.md5(source_id.encode("utf-8")).hexdigest()[:_HEX_DIGITS], 16) % count


def sql_shard_predicate(expression: str, count: int, index: int) -> str:
    """A SQL condition true for rows whose ``expression`` (a text source id) is in the shard.
    ``count`` and ``index`` are ints (validated here), never user text."""
    count, index = int(count), int(index)
    return (f"mod(('x' || substr(md5({expression}), 1, {_HEX_DIGITS}))::bit({_HEX_DIGITS * 4})::bigint, "
            f"{count}) = {index}")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __post_init__(self):
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index} of {self.count} does not exist")

    @property
    def key(self) -> str:
        return f"shard-{self.index}-of-{self.count}"

    @classmethod
    def parse(cls, key: str) -> "Shard":
        match = _KEY.match(key or "")
        if not match:
            raise ValueError(f"{key!r} is not a shard partition key (expected shard-<i>-of-<n>)")
        return cls(int(match.group(1)), int(match.group(2)))

    def contains(self, source_id: str) -> bool:
        return shard_of(source_id, self.count) == self.index


def shard_keys(count: int) -> list[str]:
    return [Shard(i, count).key for i in range(count)]


@dataclass(frozen=True)
class Scope:
    """Which points a sync may touch: all of them, one shard's, some source ids', or both.

    Points outside the scope are never deleted or rewritten, whatever the chunks say."""

    source_ids: frozenset[str] | None = None
    shard: Shard | None = None

    @classmethod
    def of(cls, source_ids=None, shard: Shard | None = None) -> "Scope":
        return cls(frozenset(source_ids) if source_ids is not None else None, shard)

    @property
    def is_everything(self) -> bool:
        return self.source_ids is None and self.shard is None

    def in_shard(self, source_id: str) -> bool:
        return self.shard is None or self.shard.contains(source_id)

    def contains(self, source_id: str | None) -> bool:
        if source_id is None:
            return self.is_everything
        if self.source_ids is not None and source_id not in self.source_ids:
            return False
        return self.in_shard(source_id)

    def describe(self) -> str:
        parts = []
        if self.shard is not None:
            parts.append(self.shard.key)
        if self.source_ids is not None:
            parts.append(f"{len(self.source_ids)} source ids")
        return ", ".join(parts) or "all sources"


def parse_shard_counts(text: str | None, domains) -> dict[str, int]:
    """``"conversations=8,products=4"`` → ``{"conversations": 8, "products": 4}``.

    Unknown domains and counts under 1 are refused with the offending entry named."""
    counts: dict[str, int] = {}
    for entry in (text or "").replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        name = name.strip()
        if not sep or name not in domains:
            raise ValueError(f"HELIO_SHARDS entry {entry!r}: expected <domain>=<count> with domain one of "
                             f"{sorted(domains)}")
        try:
            count = int(value)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"HELIO_SHARDS entry {entry!r}: the shard count must be a whole number >= 1")
        counts[name] = count
    return counts
