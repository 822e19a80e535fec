"""One settings object and one runtime: what the environment says is read once, secrets never
print, and the runtime the CLI and the API use finds what a Dagster run built from the same
settings, without importing Dagster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helio_pipeline import settings
from helio_pipeline.lib.errors import ConfigError
from helio_pipeline.runtime import Runtime
from helio_pipeline.settings import Settings
from tests.helpers import add_rule

ROOT = Path(__file__).resolve().parents[1]


def test_secrets_are_read_but_never_printed(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-s3cr3t")
    monkeypatch.setenv("HELIO_DATABASE_URL", "postgresql://helio:pa55word@db/kb")
    monkeypatch.setenv("HELIO_EMBEDDING_DIMENSIONS", "256")
    loaded = settings.load()
    assert Settings.secret(loaded.openai_api_key) == "sk-s3cr3t"
    assert loaded.embedding_dimensions == 256 and loaded.home == tmp_path.resolve()
    assert "sk-s3cr3t" not in repr(loaded) + str(loaded) and "pa55word" not in repr(loaded) + str(loaded)
    assert Runtime.from_settings(loaded).embedder_spec().api_key == "sk-s3cr3t"


def test_a_bad_value_is_one_error_naming_its_variable(monkeypatch):
    monkeypatch.setenv("HELIO_REDACT_PII", "maybe")
    with pytest.raises(ConfigError, match="HELIO_REDACT_PII='maybe': use true or false"):
        settings.load()


def test_the_runtime_finds_what_a_dagster_run_built_from_the_same_settings(cli_env, clean_db):
    from helio_pipeline.definitions import build_definitions
    from helio_pipeline.jobs import materialize_in_process

    add_rule(clean_db, "garantia", "Garantia de inversores", "Inversores têm garantia de dez anos contra defeitos.")
    add_rule(clean_db, "frete", "Frete", "Frete grátis acima de R$ 10 mil para o Sudeste.", "logistics")
    assert materialize_in_process(build_definitions(shards={}), domains=["rules"]).success
    with Runtime.from_settings() as runtime:
        hits = runtime.knowledge_base().search("garantia de inversores", domains=["rules"], top_k=1)
    assert hits[0].payload["slug"] == "garantia"


def test_search_does_not_import_dagster():
    code = ("import sys; from helio_pipeline import cli; from helio_pipeline.runtime import Runtime; "
            "import helio_pipeline.api; print('dagster' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr[-2000:]
