"""The Parquet snapshots the extract and chunks assets hand on (defs/io_managers.py)."""

import json

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq

from helio_pipeline.defs.io_managers import ParquetIOManager
from helio_pipeline.lib.records import Extraction


def test_nested_values_travel_as_json_text_in_any_column_and_plain_columns_keep_their_type(tmp_path):
    """Dicts and lists become JSON text wherever they sit: alone, among NULLs, after ints or
    strings (a column pandas calls "mixed"); columns of plain values are written as they are."""
    n = 3000  # long enough that a nested value far down a column must still be found
    frame = pd.DataFrame({
        "sku": [f"SKU-{i}" for i in range(n)],
        "stock": list(range(n)),
        "price": [float(i) / 3 for i in range(n)],
        "specs": [{"power_w": i} if i == n - 1 else None for i in range(n)],
        "tags": [["a", "b"]] * n,
        "notes": [f"nota {i}" if i < n - 1 else ["a", "list"] for i in range(n)],
        "when": pd.to_datetime(["2026-11-30T10:00:00Z"] * n, utc=True),
    })
    manager = ParquetIOManager(base_dir=str(tmp_path))
    manager.handle_output(dg.build_output_context(asset_key=dg.AssetKey("products_extract")),
                          Extraction(frame=frame))
    table = pq.read_table(tmp_path / "products_extract.parquet")
    written = table.to_pandas()
    assert json.loads(written["specs"].iloc[-1]) == {"power_w": n - 1} and pd.isna(written["specs"].iloc[0])
    assert json.loads(written["tags"].iloc[5]) == ["a", "b"]
    assert json.loads(written["notes"].iloc[-1]) == ["a", "list"] and written["notes"].iloc[1] == "nota 1"
    assert written["sku"].tolist() == frame["sku"].tolist()
    types = {field.name: str(field.type) for field in table.schema}
    assert types["stock"] == "int64" and types["price"] == "double" and types["when"].startswith("timestamp")
