"""Where the extract and chunks assets keep what they hand on: one Parquet snapshot per asset
(and partition) that a person can open, with everything that is not rows (protected source
ids, named problems, counts) in the same file's schema metadata.

The values themselves are typed (``Extraction``, ``ChunkSet``: lib/records.py), so this IO
manager is a convenience, not a carrier of meaning: swap it for Dagster's stock one and the
index asset still sees which sources could not be read (tests/defs/test_assets.py)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import infer_dtype

from helio_pipeline.lib.records import (
    ChunkSet, Extraction, chunks_to_frame, extraction_from_summary, extraction_summary, frame_to_chunks,
)

META_KEY = b"helio"


# what pandas' infer_dtype (C, about 1 ms a 60k-row column) reports for columns of plain values
# only; any other answer ("mixed", "mixed-integer", "unknown-array") may hide a dict or a list
_PLAIN_KINDS = frozenset({"empty", "string", "bytes", "floating", "integer", "integer-na", "mixed-integer-float",
                          "decimal", "complex", "boolean", "categorical", "datetime64", "datetime", "date",
                          "timedelta64", "timedelta", "time", "period", "interval"})


def _json_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Nested dicts/lists (specs, metadata) travel as JSON text."""
    frame = frame.copy()
    for column in frame.columns:
        if infer_dtype(frame[column], skipna=True) in _PLAIN_KINDS:
            continue
        if frame[column].map(lambda v: isinstance(v, (dict, list))).any():
            frame[column] = frame[column].map(lambda v: json.dumps(v, ensure_ascii=False, default=str)
                                              if isinstance(v, (dict, list)) else v)
    frame.attrs = {}
    return frame


class ParquetIOManager(dg.ConfigurableIOManager):
    """Keeps each ``Extraction`` / ``ChunkSet`` as ``<base_dir>/<asset>[/<partition>].parquet``."""

    base_dir: str

    def _path(self, context) -> Path:
        # a partition (hash shard) gets its own snapshot: <asset>/<partition key>.parquet
        path = Path(self.base_dir, *context.asset_key.path)
        if context.has_partition_key:
            path = path / context.partition_key
        return path.with_suffix(".parquet")

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        if isinstance(obj, ChunkSet):
            frame, meta = chunks_to_frame(obj.chunks), {"kind": "chunks", **obj.summary()}
        elif isinstance(obj, Extraction):
            frame, meta = _json_columns(obj.frame), {"kind": "extraction", **extraction_summary(obj)}
        else:
            raise TypeError(f"{context.asset_key.to_user_string()}: ParquetIOManager stores an Extraction or a "
                            f"ChunkSet, not {type(obj).__name__}")
        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               META_KEY: json.dumps(meta, ensure_ascii=False, default=str)})
        pq.write_table(table, path)
        context.add_output_metadata({"snapshot": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext):
        path = self._path(context)
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
        frame = table.to_pandas()
        if meta.get("kind") == "chunks":
            return ChunkSet.from_summary(frame_to_chunks(frame), meta)
        if meta.get("kind") == "extraction":
            return extraction_from_summary(frame, meta)
        raise ValueError(f"{path} was not written by this version of the pipeline: materialize "
                         f"{context.upstream_output.asset_key.to_user_string()} again")
