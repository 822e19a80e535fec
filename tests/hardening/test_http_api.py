"""Schemathesis fuzzes `helio serve` (the ASGI app over a real indexed KnowledgeBase) from its own
OpenAPI schema: valid and invalid requests alike, no server error and no response the schema
does not describe. Bounded: a fixed number of examples per operation, derandomized."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection, response_schema_conformance, status_code_conformance,
)

from helio_pipeline.api import create_app
from tests.hardening.conftest import make_keys

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
EXAMPLES = 30


def test_fuzzing_finds_no_server_error_and_no_schema_violation(tenants):
    keys, plain = make_keys(fuzzer=(["catalog", "conversations"], None), owner_app=(["conversations"], "ana"))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(tenants, keys))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {"GET /health", "GET /search", "POST /memory"}
    tried: dict[str, set[int]] = {}

    for operation in operations:
        has_input = bool(list(operation.iter_parameters()) or operation.body)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_input else (GenerationMode.POSITIVE,):
            for key in plain.values():
                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
                def fuzz(case):
                    response = case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)
                    tried.setdefault(operation.label, set()).add(response.status_code)

                fuzz()
    # the fuzzer reached past validation, and met the documented errors
    assert 200 in tried["GET /search"] and 422 in tried["GET /search"]
    assert 200 in tried["POST /memory"] and 422 in tried["POST /memory"]
