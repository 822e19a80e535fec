"""The asset layer: what each asset hands the next is an explicit, typed value (Extraction,
ChunkSet), so delete protection survives any IO manager; assets invoked directly with a real
small store behave as in a run."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from helio_pipeline.defs.assets import SyncConfig, build_domain_assets
from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib.records import ChunkSet, Extraction, Problem
from tests.helpers import add_product

PRODUCTS_CSV = "catalog/products/distribuidor-sul.csv"
GOOD = ("sku,name,manufacturer,category,stock\n"
        "SUL-100,Painel Sul 450W mono,Sul Solar,module,5\n"
        "SUL-200,Inversor Sul 5kW,Sul Solar,inverter,3\n")
BROKEN = "codigo;nome;fabricante\nSUL-100;Painel Sul 450W mono;Sul Solar\n"  # wrong header: unreadable


def _value(entry):
    return getattr(entry, "value", entry)


def _indexed(kb) -> set[str]:
    return {p["source_id"] for p in kb.store.read_index("test-products", ("source_id",)).values()}


def test_protection_holds_with_dagsters_stock_io_manager(kb):
    """Swap the project's Parquet IO manager for Dagster's pickling one: an unreadable drop
    still keeps its products' points, and the blocking checks still count them as expected."""
    kb.resources["parquet_io_manager"] = dg.FilesystemIOManager(base_dir=str(kb.tmp / "stock-io"))
    add_product(kb.engine, "TAB-1", "Painel Tabela 550W", category="module")
    kb.objects.put_bytes(PRODUCTS_CSV, GOOD.encode())
    assert kb.refresh(domains=["products"]).success
    assert _indexed(kb) == {"SUL-100", "SUL-200", "TAB-1"}

    kb.objects.put_bytes(PRODUCTS_CSV, BROKEN.encode())
    result = kb.refresh(domains=["products"], raise_on_error=False)
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert result.success and checks["point_count_matches_chunks"] and checks["no_unknown_source_ids"], checks
    assert _indexed(kb) == {"SUL-100", "SUL-200", "TAB-1"}   # the unreadable file's products stay searchable
    assert kb.index_metadata(result, "products")["protected_sources"] == 1


def test_the_chunks_asset_hands_on_protection_and_problems(kb):
    """Invoked directly: what the extraction could not read reaches the index asset as data."""
    _, chunks, _ = build_domain_assets(DOMAINS["products"])
    frame = pd.DataFrame([{"source_id": "P-1", "sku": "P-1", "name": "Painel P 400W", "manufacturer": "Acme",
                           "category": "module", "description": "", "specs": {}, "stock": 1, "active": True,
                           "updated_at": "2026-11-01T00:00:00+00:00", "source": "products"}])
    ex = Extraction(frame, {"products": 1}, [Problem("products", "id 7", "name is NULL")],
                    [Problem(PRODUCTS_CSV, "whole file", "unreadable header")], {PRODUCTS_CSV})
    out = chunks(dg.build_asset_context(), extraction=ex)
    handed = out.value
    assert isinstance(handed, ChunkSet)
    assert handed.protected_ids == {PRODUCTS_CSV}
    assert [p.location for p in handed.problems] == ["id 7", "whole file"]
    assert [c.source_id for c in handed.chunks] == ["P-1"]
    assert _value(out.metadata["protected_sources"]) == 1


def test_the_index_asset_invoked_with_a_real_store_protects_and_reports(kb):
    """The index asset run outside a job (build_asset_context, real store, real database):
    it writes the chunks it is handed, keeps the points of protected sources, and says so."""
    extract, chunks, index = build_domain_assets(DOMAINS["products"])
    add_product(kb.engine, "TAB-1", "Painel Tabela 550W", category="module")
    kb.objects.put_bytes(PRODUCTS_CSV, GOOD.encode())
    resources = {k: kb.resources[k] for k in ("database", "objects", "qdrant", "embedder")}

    def run():
        ctx = dg.build_asset_context()
        ex, = (out.value for out in extract(ctx, database=resources["database"], objects=resources["objects"],
                                             embedder=resources["embedder"], qdrant=resources["qdrant"]))
        handed = chunks(dg.build_asset_context(), extraction=ex).value
        return index(dg.build_asset_context(), config=SyncConfig(), handed=handed, **{
            k: resources[k] for k in ("database", "qdrant", "embedder")}), handed

    first, _ = run()
    assert _value(first.metadata["new"]) == 3 and _indexed(kb) == {"SUL-100", "SUL-200", "TAB-1"}
    kb.objects.put_bytes(PRODUCTS_CSV, BROKEN.encode())
    second, handed = run()
    assert handed.protected_ids == {PRODUCTS_CSV}
    assert _value(second.metadata["deleted"]) == 0 and _value(second.metadata["protected_sources"]) == 1
    assert _indexed(kb) == {"SUL-100", "SUL-200", "TAB-1"}
