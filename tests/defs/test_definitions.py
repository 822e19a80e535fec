import dagster as dg

from helio_pipeline.definitions import defs
from helio_pipeline.defs.checks import CHECKS
from helio_pipeline.domains import DOMAINS


def test_definitions_load_with_every_asset_check_and_schedule():
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {k for k in keys if not k.startswith(("postgres_", "s3_"))} == \
        {f"{d}_{s}" for d in DOMAINS for s in ("extract", "chunks", "index")}
    # the lineage starts at the tables and prefixes each domain reads
    graph = defs.resolve_asset_graph()
    upstream = {k.to_user_string() for k in graph.get(dg.AssetKey("prices_extract")).parent_keys}
    assert upstream == {"postgres_prices", "postgres_products", "s3_catalog_prices", "s3_catalog_products"}
    assert not graph.get(dg.AssetKey("postgres_products")).is_materializable
    checks = defs.resolve_asset_graph().asset_check_keys
    assert len(checks) == len(CHECKS) * len(DOMAINS)
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["nightly_kb_refresh"].cron_schedule == "0 2 * * *"
    assert schedules["morning_prices_refresh"].cron_schedule == "0 6 * * *"
    assert all(s.execution_timezone == "America/Sao_Paulo" for s in schedules.values())


def test_secrets_enter_as_env_vars(monkeypatch):
    from helio_pipeline.definitions import build_resources

    monkeypatch.setenv("HELIO_DATABASE_URL", "postgresql://u:s3cret@db:5432/x")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123")
    resources = build_resources()
    assert isinstance(resources["database"].url, dg.EnvVar)
    assert "s3cret" not in repr(resources["database"])
    assert isinstance(resources["embedder"].api_key, dg.EnvVar)


def test_both_instance_configs_load(tmp_path, monkeypatch):
    """dagster_home/dagster.yaml (local) and dagster.postgres.yaml (compose) are valid instance configs."""
    import shutil
    from pathlib import Path

    from dagster._core.instance.config import dagster_instance_config

    home = Path(__file__).resolve().parents[2] / "dagster_home"
    for name in ("dagster.yaml", "dagster.postgres.yaml"):
        target = tmp_path / name.replace(".", "_")
        target.mkdir()
        shutil.copy(home / name, target / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://u:p@db:5432/helio")
        config, _ = dagster_instance_config(str(target))
        assert config["concurrency"]["pools"]["default_limit"] == 1
        assert config["concurrency"]["runs"]["tag_concurrency_limits"][0]["key"] == "helio/kb"
