"""Hash shards of a domain's source ids, and the scope a sync is limited to.

A large domain is split into ``count`` shards so several workers can extract, embed and write
at once (one Dagster partition per shard, key ``shard-<i>-of-<count>``). Every source id has
a 32-bit bucket (the first 8 hex digits of its md5: stable across processes and machines,
unlike Python's ``hash``), and shard ``i`` of ``count`` is the ``i``-th of ``count`` equal
ranges of buckets. The same arithmetic runs inside PostgreSQL (an extractor pushes the shard
down into its SQL, :func:`sql_shard_predicate`) and in Qdrant: each point carries its
``source_bucket``, so a shard run reads only its own points (a range filter), not the
whole collection.

Point ids do not depend on the shard (they are uuid5 of domain, source id and chunk
number), so changing the shard count re-partitions cleanly: every point falls in exactly
one new shard, which finds it, keeps it, or deletes it. Nothing is written twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from helio_pipeline.vectorstore.types import Filter, IsEmpty, Range

_KEY = re.compile(r"^shard-(\d+)-of-(\d+)$")
BUCKET_BITS = 32  # exact as a float too: Qdrant range filters compare numbers as floats
BUCKET_FIELD = "source_bucket"


def source_bucket(source_id: str) -> int:
    return int(hashlib.md5(source_id.encode("utf-8")).hexdigest()[: BUCKET_BITS // 4], 16)


def shard_of(source_id: str, count: int) -> int:
    """The shard (0 .. count-1) a source id belongs to."""
    return (source_bucket(source_id) * count) >> BUCKET_BITS


def sql_shard_index(expression: str, count: int) -> str:
    """A SQL expression: the shard (0 .. count-1) of the rows whose ``expression`` is their
    text source id, as :func:`shard_of` computes it. ``count`` is an int (validated here)."""
    count = int(count)
    bucket = f"('x' || lpad(substr(md5({expression}), 1, {BUCKET_BITS // 4}), 16, '0'))::bit(64)::bigint"
    return f"(({bucket} * {count}) >> {BUCKET_BITS})"


def sql_shard_predicate(expression: str, count: int, index: int) -> str:
    """A SQL condition true for rows whose ``expression`` (a text source id) is in the shard.
    ``count`` and ``index`` are ints (validated here), never user text."""
    return f"{sql_shard_index(expression, count)} = {int(index)}"


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

    @property
    def buckets(self) -> tuple[int, int]:
        """[low, high): the source buckets of this shard."""
        return (-(-(self.index << BUCKET_BITS) // self.count), -(-((self.index + 1) << BUCKET_BITS) // self.count))

    def point_filter(self) -> Filter:
        """A store filter for this shard's points (and points written before buckets were
        stored, which the caller sorts out by source id)."""
        low, high = self.buckets
        return Filter(should=[Range(BUCKET_FIELD, gte=low, lt=high), IsEmpty(BUCKET_FIELD)])


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


def parse_per_domain(text: str | None, domains, variable: str,
                     allow_default: bool = False) -> tuple[int | None, dict[str, int]]:
    """``"conversations=8,products=4"`` → ``(None, {"conversations": 8, "products": 4})``.

    With ``allow_default``, a bare number applies to every domain not named:
    ``"2,conversations=6"`` → ``(2, {"conversations": 6})``. Unknown domains and numbers
    under 1 are refused with ``variable`` and the offending entry named."""
    default: int | None = None
    counts: dict[str, int] = {}
    shape = ("[<default>,]" if allow_default else "") + "<domain>=<count>"
    for entry in (text or "").replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        name = name.strip()
        if not sep and allow_default:
            name, value = None, entry
        elif not sep or name not in domains:
            raise ValueError(f"{variable} entry {entry!r}: expected {shape} with domain one of {sorted(domains)}")
        try:
            count = int(value)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"{variable} entry {entry!r}: the number must be a whole number >= 1")
        if name is None:
            default = count
        else:
            counts[name] = count
    return default, counts


def parse_shard_counts(text: str | None, domains) -> dict[str, int]:
    """``HELIO_SHARDS`` (``"conversations=8,products=4"``): hash shards per named domain."""
    return parse_per_domain(text, domains, "HELIO_SHARDS")[1]
