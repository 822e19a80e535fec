"""A module imported on first use: pandas costs about 0.4 s to import, and `helio search`,
which reads the domain registry but no DataFrame, should not pay for it."""

from __future__ import annotations

import importlib


class LazyModule:
    """``pd = LazyModule("pandas")``: ``pd.DataFrame`` imports pandas the first time. Type
    annotations stay strings (``from __future__ import annotations``)."""

    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        # called only for names the proxy lacks; the module is kept after the first import
        # (``import_module`` costs microseconds a call, and chunkers ask in per-row loops), and
        # its attributes are read each time, so a patched ``pd.read_sql`` is still seen
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"
