"""A module imported on first use: pandas costs about 0.4 s to import, and `helio search`,
which reads the domain registry but no DataFrame, should not pay for it."""

from __future__ import annotations

import importlib


class LazyModule:
    """``pd = LazyModule("pandas")``: ``pd.DataFrame`` imports pandas the first time. Type
    annotations stay strings (``from __future__ import annotations``)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"
