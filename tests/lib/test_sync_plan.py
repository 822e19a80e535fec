"""The pure half of a sync: what it decides from what a collection holds and what the sources
produce, without a store or an embedder."""

import pytest

from helio_pipeline.lib.errors import MassDeleteRefused
from helio_pipeline.lib.records import Chunk
from helio_pipeline.lib.sharding import Scope, Shard
from helio_pipeline.lib.sync_plan import IndexConfig, SyncOptions, Target, desired_points, plan, point_id

CONFIG = IndexConfig("static", "tokenlearn-static-64", 64, "v1")
LIVE = Target("rules", "t-rules", "t-rules__new", "t-rules__new")        # an incremental sync
REBUILD = Target("rules", "t-rules", "t-rules__new", "t-rules__old")     # a new configuration


def doc(source_id: str, n: int, kind: str = "warranty", source: str = "business_rules") -> list[Chunk]:
    return [Chunk(source_id, i, f"texto {source_id} parte {i}", source, None, {"kind": kind}) for i in range(n)]


BASE = doc("a", 4) + doc("b", 3) + doc("c", 2) + doc("d", 1) + doc("e", 1)  # 11 chunks, 5 sources


def held(chunks: list[Chunk]) -> dict[str, dict]:
    """What the store's read_index gives for a collection synced from ``chunks``."""
    fields = ("source_id", "source", "content_hash", "payload_hash")
    return {pid: {f: p.payload[f] for f in fields} for pid, p in desired_points("rules", chunks, CONFIG).items()}


def planned(existing, chunks, scope=Scope(), target=LIVE, live=None, protected=frozenset(), **options):
    return plan(existing, desired_points("rules", chunks, CONFIG, scope), scope, SyncOptions(**options),
                target=target, protected=set(protected), live=live)


def pid(source_id: str, chunk_no: int = 0) -> str:
    return point_id("rules", source_id, chunk_no)


def test_everything_is_new_in_an_empty_collection_and_unchanged_on_a_rerun():
    first = planned({}, BASE)
    assert (len(first.new), first.changed, first.unchanged, first.stale) == (11, [], [], [])
    assert first.to_embed[:2] == [pid("a", 0), pid("a", 1)]  # batches follow documents
    again = planned(held(BASE), BASE)
    assert (again.new, again.changed, len(again.unchanged), again.payload_only, again.stale) == ([], [], 11, [], [])
    assert again.to_embed == [] and not again.verdict.over


def test_changed_text_is_changed_and_only_it_is_embedded():
    edited = [Chunk(c.source_id, c.chunk_no, c.text + " (revisado)", c.source, None, c.fields)
              if (c.source_id, c.chunk_no) == ("b", 1) else c for c in BASE]
    result = planned(held(BASE), edited)
    assert result.changed == [pid("b", 1)] and result.to_embed == [pid("b", 1)] and len(result.unchanged) == 10


def test_a_payload_only_change_is_not_an_embedding():
    moved = [Chunk(c.source_id, c.chunk_no, c.text, c.source, None, {"kind": "logistics"}) if c.source_id == "e" else c
             for c in BASE]
    result = planned(held(BASE), moved)
    assert result.payload_only == [pid("e")] and result.to_embed == []
    assert result.desired[pid("e")].payload["kind"] == "logistics"


def test_stale_points_are_those_in_scope_only():
    whole = planned(held(BASE), [c for c in BASE if c.source_id != "e"])
    assert whole.stale == [pid("e")]
    scoped = Scope.of({"b", "zz"})
    result = planned(held(BASE), doc("b", 1), scope=scoped)  # b shrank to one chunk; a, c, d, e are not its business
    assert sorted(result.stale) == sorted([pid("b", 1), pid("b", 2)]) and result.unchanged == [pid("b", 0)]
    assert not result.verdict.over


def test_a_shard_plan_ignores_other_shards_points():
    shard = Shard(0, 2)
    mine = {c.source_id for c in BASE if shard.contains(c.source_id)}
    assert mine and mine != {c.source_id for c in BASE}
    result = planned(held(BASE), [], scope=Scope.of(None, shard), allow_mass_delete=True)
    assert {p for p in result.stale} == {pid(c.source_id, c.chunk_no) for c in BASE if c.source_id in mine}


def test_protected_sources_are_kept_by_source_id_and_by_source_file():
    chunks = BASE + doc("sku-1", 1, source="products.csv,drop-7.csv")
    without = [c for c in chunks if c.source_id not in ("e", "sku-1")]
    result = planned(held(chunks), without, protected={"e", "drop-7.csv"})
    assert result.stale == [] and sorted(result.protected) == sorted([pid("e"), pid("sku-1")])
    unprotected = planned(held(chunks), without)
    assert sorted(unprotected.stale) == sorted([pid("e"), pid("sku-1")]) and unprotected.protected == []


def test_a_shortened_document_is_not_a_mass_delete():
    shorter = [c for c in BASE if not (c.source_id == "a" and c.chunk_no >= 1)]  # 3 of 11 points go
    result = planned(held(BASE), shorter, max_delete_fraction=0.0)
    assert len(result.stale) == 3 and result.verdict.vanished == 0 and not result.verdict.refused


def test_one_vanished_source_of_many_is_not_a_mass_delete_but_the_last_one_is():
    one_of_five = planned(held(BASE), [c for c in BASE if c.source_id != "a"], max_delete_fraction=0.1)
    assert (one_of_five.verdict.vanished, one_of_five.verdict.held) == (1, 5) and not one_of_five.verdict.refused
    last = planned(held(doc("a", 4)), [])
    assert last.verdict.refused and "every point of 1 of the 1 sources" in last.verdict.message
    with pytest.raises(MassDeleteRefused, match="1 of the 1 sources"):
        last.refuse_mass_delete()


def test_over_the_fraction_is_refused_with_the_numbers_and_allow_mass_delete_lifts_it():
    truncated = doc("a", 4)
    refused = planned(held(BASE), truncated)
    verdict = refused.verdict
    assert (verdict.vanished, verdict.held, verdict.refused) == (4, 5, True) and verdict.fraction == 0.8
    assert verdict.message.startswith("t-rules (all sources): this sync would delete 7 of 11 points, "
                                      "every point of 4 of the 5 sources it holds (80%), over the 20% guard.")
    assert "helio refresh --allow-mass-delete rules" in verdict.message
    allowed = planned(held(BASE), truncated, allow_mass_delete=True)
    assert allowed.verdict.over and not allowed.verdict.refused and len(allowed.stale) == 7
    allowed.refuse_mass_delete()  # does not raise


def test_a_rebuild_is_measured_against_the_live_collection():
    # the new collection is empty: nothing is stale there, but the live one holds 5 sources
    refused = planned({}, doc("a", 4), target=REBUILD, live=held(BASE))
    assert refused.stale == [] and refused.verdict.refused
    assert ("the rebuild into t-rules__new would leave out 4 of the 5 sources the live collection "
            "t-rules__old holds (80%), over the 20% guard; t-rules__old stays live") in refused.verdict.message
    whole = planned({}, BASE, target=REBUILD, live=held(BASE))
    assert len(whole.new) == 11 and not whole.verdict.over
    protected = planned({}, doc("a", 4), target=REBUILD, live=held(BASE), protected={"b", "c", "d", "e"})
    assert not protected.verdict.over
    assert not planned({}, doc("a", 4), target=REBUILD, live=held(BASE), allow_mass_delete=True).verdict.refused
