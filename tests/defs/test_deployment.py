"""The compose deployment validates (docker-compose's `config` needs no engine)."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.dagster.yml"
needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                   reason="docker-compose not installed (scripts/setup installs it with apt as root)")


def compose_config(env_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["docker-compose", "-f", str(COMPOSE), "--env-file", str(env_file), "config"],
                          capture_output=True, text=True, cwd=ROOT)


@needs_compose
def test_compose_file_is_valid_with_the_example_env(tmp_path):
    env = tmp_path / ".env"
    shutil.copy(ROOT / ".env.example", env)
    result = compose_config(env)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {"postgres", "qdrant", "minio", "user-code", "webserver", "daemon"} <= set(services)
    assert "postgresql+psycopg2://" in services["daemon"]["environment"]["DAGSTER_PG_URL"]


@needs_compose
def test_migrations_run_once_before_the_code_server_and_so_before_webserver_and_daemon(tmp_path):
    env = tmp_path / ".env"
    shutil.copy(ROOT / ".env.example", env)
    services = yaml.safe_load(compose_config(env).stdout)["services"]
    assert services["migrate"]["command"] in ("helio db migrate", ["helio", "db", "migrate"])
    assert services["migrate"]["environment"]["HELIO_DATABASE_URL"] == services["user-code"]["environment"][
        "HELIO_DATABASE_URL"]
    assert services["user-code"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    for name in ("webserver", "daemon"):
        assert "user-code" in services[name]["depends_on"]


@needs_compose
def test_a_missing_required_variable_fails_naming_it(tmp_path):
    env = tmp_path / ".env"
    env.write_text("\n".join(line for line in (ROOT / ".env.example").read_text().splitlines()
                             if not line.startswith("POSTGRES_PASSWORD")))
    result = compose_config(env)
    assert result.returncode != 0 and "POSTGRES_PASSWORD" in result.stderr


def test_no_secret_is_committed():
    example = (ROOT / ".env.example").read_text()
    assert "sk-" not in example and "OPENAI_API_KEY=\n" in example + "\n"
    assert ".env" in (ROOT / ".gitignore").read_text().split()
