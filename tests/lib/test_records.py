"""The fast frame conversions give exactly what pandas' own do, on every kind of column a
source table or a CSV drop produces."""

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from helio_pipeline.lib.records import frame_records, iso


def _slow_iso(value):
    """The conversion iso() replaced (pd.Timestamp on every value)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.isoformat()


def _same(a, b) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if a is pd.NA or a is pd.NaT:
        return b is a
    return type(a) is type(b) and a == b


def test_frame_records_equals_to_dict_on_every_column_kind():
    n = 50
    frame = pd.DataFrame({
        "text": [f"Inversor {i} kW" if i % 7 else None for i in range(n)],
        "count": np.arange(n),
        "price": [1.5 * i if i % 5 else np.nan for i in range(n)],
        "naive": pd.to_datetime(np.arange(n), unit="s"),
        "aware": pd.date_range("2026-01-01", periods=n, freq="h", tz="America/Sao_Paulo"),
        "missing_time": [pd.NaT if i % 3 == 0 else pd.Timestamp("2026-02-01") for i in range(n)],
        "flag": [bool(i % 2) for i in range(n)],
        "nullable": pd.array([i if i % 4 else None for i in range(n)], dtype="Int64"),
        "nullable_text": pd.array([f"t{i}" if i % 4 else None for i in range(n)], dtype="string"),
        "nullable_flag": pd.array([bool(i % 2) if i % 4 else None for i in range(n)], dtype="boolean"),
        "objects": [{"kw": i} if i % 6 else None for i in range(n)],
        # object columns as a driver or a concat can leave them: numpy scalars, NA, datetime64
        "mixed": pd.Series([np.int64(i) if i % 3 == 0 else np.float64(i / 2) if i % 3 == 1 else pd.NA
                            for i in range(n)], dtype=object),
        "numpy_objects": pd.Series([np.bool_(i % 2) if i % 2 else np.datetime64("2026-01-01T10:00") for i in range(n)],
                                   dtype=object),
    })
    expected = frame.to_dict("records")
    got = frame_records(frame)
    assert len(got) == n
    for want, row in zip(expected, got):
        assert list(row) == list(want)
        for column in want:
            assert _same(want[column], row[column]), (column, want[column], row[column])
    assert frame_records(frame.iloc[0:0]) == []
    assert frame_records(frame[[]]) == frame[[]].to_dict("records")  # rows without columns
    assert frame_records(frame[frame["count"] > 45].drop(columns=["objects"]))[0]["count"] == 46


def test_iso_gives_what_a_timestamp_conversion_gives():
    values = [
        None, float("nan"), pd.NaT, "2026-03-01 10:00:00", "2026-03-01T10:00:00-03:00",
        datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 1, 10, 0, 0, 250),
        datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=-3))),
        pd.Timestamp("2026-03-01 10:00:00.000000001"), pd.Timestamp("2026-03-01 10:00", tz="America/Sao_Paulo"),
        np.datetime64("2026-03-01T10:00:00"),
    ]
    for value in values:
        assert iso(value) == _slow_iso(value), value
