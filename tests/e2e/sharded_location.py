"""The code location that ``dagster asset materialize -m tests.e2e.sharded_location`` loads in
the test's worker processes (and every step process of their multiprocess runs): the same
``build_definitions`` the real code location uses, configured by HELIO_* variables."""

from helio_pipeline.definitions import build_definitions

defs = build_definitions()
