"""The scaling setups (deploy/k8s, deploy/celery, docs/scaling.md) and HELIO_EXECUTOR.

Configs are loaded the way Dagster loads them (InstanceRef.from_dir, then each configurable
class rehydrated, so the real K8sRunLauncher checks its own config); the Celery executor runs
a real job through Celery (eager mode: the tasks execute in this process, no broker needed).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
import yaml

from helio_pipeline.defs.executors import EXECUTORS, ExecutorChoiceError, executor_from_env

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CELERY = ROOT / "deploy" / "celery"
needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                   reason="docker-compose not installed (scripts/setup installs it with apt as root)")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def instance_ref(tmp_path: Path, source: Path):
    """The InstanceRef Dagster builds from ``source`` as $DAGSTER_HOME/dagster.yaml (validates the
    instance schema and the concurrency rules)."""
    from dagster._core.instance.ref import InstanceRef

    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(source, home / "dagster.yaml")
    return InstanceRef.from_dir(str(home))


def processed_config(class_data) -> dict:
    """A configurable class's config as ``ConfigurableClassData.rehydrate`` checks it, without
    building the object (storage would connect to PostgreSQL)."""
    import importlib

    from dagster._config import process_config, resolve_to_config_type

    klass = getattr(importlib.import_module(class_data.module_name), class_data.class_name)
    result = process_config(resolve_to_config_type(klass.config_type()), class_data.config_dict)
    assert result.success, [e.message for e in result.errors]
    return result.value


@pytest.fixture
def k8s_api(monkeypatch):
    """Stands in for the cluster: records the in-cluster config load the launcher performs."""
    import kubernetes

    calls = []
    monkeypatch.setattr(kubernetes.config, "load_incluster_config", lambda *a, **k: calls.append("incluster"))
    return calls


# --- Kubernetes -----------------------------------------------------------------------


def test_k8s_instance_builds_the_real_k8s_run_launcher(tmp_path, monkeypatch, k8s_api):
    from dagster._core.instance.config import ConcurrencyConfig
    from dagster._core.launcher import RunLauncher
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_k8s import K8sRunLauncher

    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "not-a-real-password")
    ref = instance_ref(tmp_path, K8S / "dagster-instance.yaml")

    launcher = ref.run_launcher_data.rehydrate(RunLauncher)
    assert isinstance(launcher, K8sRunLauncher)
    assert k8s_api == ["incluster"]  # load_incluster_config: true was honoured
    assert launcher.job_namespace == "helio"
    assert launcher.instance_config_map == "helio-dagster-instance"
    assert launcher.postgres_password_secret == "helio-dagster-postgresql"
    assert list(launcher.env_secrets) == ["helio-kb-secrets"]
    assert launcher.run_k8s_config["container_config"]["resources"]["limits"]["memory"] == "4Gi"

    storage = processed_config(ref.storage_data)
    assert storage["postgres_db"]["scheme"] == "postgresql+psycopg2"  # never psycopg 3 (ENVIRONMENT.md)
    assert storage["postgres_db"]["password"] == "not-a-real-password"

    coordinator = ref.run_coordinator_data.rehydrate(QueuedRunCoordinator)
    effective = ConcurrencyConfig.from_concurrency_settings(ref.settings["concurrency"],
                                                            coordinator.get_run_queue_config())
    assert effective.run_queue_config.max_concurrent_runs == 16
    assert effective.pool_config.default_pool_limit == 1


def test_a_misspelt_k8s_launcher_key_is_refused(tmp_path, k8s_api):
    """The check above is not vacuous: the launcher's schema rejects what it does not know."""
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.launcher import RunLauncher

    config = load(K8S / "dagster-instance.yaml")
    config["run_launcher"]["config"]["job_namspace"] = config["run_launcher"]["config"].pop("job_namespace")
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(config))
    ref = instance_ref(tmp_path, broken)
    with pytest.raises(DagsterInvalidConfigError, match="job_namspace"):
        ref.run_launcher_data.rehydrate(RunLauncher)


def test_run_tag_limits_let_shards_of_a_domain_run_side_by_side(tmp_path, monkeypatch):
    """helio/kb limited per unique value: two runs of one domain queue, its shard runs do not."""
    from dagster._utils.tags import TagConcurrencyLimitsCounter

    for path in (K8S / "dagster-instance.yaml", CELERY / "dagster.yaml"):
        limits = load(path)["concurrency"]["runs"]["tag_concurrency_limits"]
        running = [SimpleNamespace(tags={"helio/kb": "products"}),
                   SimpleNamespace(tags={"helio/kb": "conversations/shard-0-of-8"})]
        counter = TagConcurrencyLimitsCounter(limits, running)
        assert counter.is_blocked(SimpleNamespace(tags={"helio/kb": "products"})), path
        assert not counter.is_blocked(SimpleNamespace(tags={"helio/kb": "conversations/shard-1-of-8"})), path
        assert not counter.is_blocked(SimpleNamespace(tags={"helio/kb": "rules"})), path


def test_a_cli_backfill_tags_each_shard_run_with_its_shard(tmp_path):
    """``dagster job backfill`` of a sharded domain's job queues one run per shard, each tagged
    helio/kb=<domain>/<shard>, so the per-value run limit lets them run side by side."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: QueuedRunCoordinator\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "HELIO_SHARDS": "conversations=3",
           "HELIO_EMBEDDER": "static", "PYTHONPATH": str(ROOT)}
    dagster = str(Path(sys.executable).with_name("dagster"))
    done = subprocess.run([dagster, "job", "backfill", "-m", "tests.e2e.sharded_location", "-j",
                           "conversations_refresh", "--all", "--noprompt"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert sorted(r.tags["helio/kb"] for r in runs) == [f"conversations/shard-{i}-of-3" for i in range(3)]
    assert all(r.status == dg.DagsterRunStatus.QUEUED for r in runs)  # queued: the daemon would launch them


def _camel_to_snake(value):
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower() if k != "applyLimitPerUniqueValue" else k:
                _camel_to_snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_to_snake(v) for v in value]
    return value


def test_helm_values_run_our_image_and_command_with_the_documented_env():
    values = load(K8S / "values.yaml")
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert values["dagster-user-deployments"]["enabled"] is True
    assert deployment["image"]["repository"].endswith("/helio-kb")
    assert isinstance(deployment["image"]["tag"], str)
    # the chart runs: dagster api grpc -h 0.0.0.0 -p <port> <dagsterApiGrpcArgs>
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "helio_pipeline.definitions"]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    assert [s["name"] for s in deployment["envSecrets"]] == ["helio-kb-secrets"]

    env = {item["name"]: item["value"] for item in deployment["env"]}
    assert all(isinstance(v, str) for v in env.values()), "Kubernetes env values must be strings"
    assert {"HELIO_QDRANT_URL", "HELIO_QDRANT_SHARD_NUMBER", "HELIO_QDRANT_REPLICATION_FACTOR",
            "HELIO_SHARDS", "HELIO_EXECUTOR"} <= set(env)
    assert env["HELIO_QDRANT_URL"].startswith("http://qdrant.")
    assert not {"HELIO_DATABASE_URL", "OPENAI_API_KEY", "QDRANT_API_KEY", "DAGSTER_PG_PASSWORD"} & set(env), \
        "secrets come from the Secret, never from values.yaml"

    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False
    assert values["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"
    # The chart refuses to render run limits in both places (and Dagster refuses to load them):
    queued = (values["dagsterDaemon"]["runCoordinator"].get("config") or {}).get("queuedRunCoordinator") or {}
    assert not queued.get("maxConcurrentRuns") and not queued.get("tagConcurrencyLimits")
    assert values["concurrency"]["enabled"] is True


def test_helm_values_env_is_what_the_definitions_read(tmp_path, monkeypatch):
    from helio_pipeline import settings
    from helio_pipeline.definitions import build_resources

    [deployment] = load(K8S / "values.yaml")["dagster-user-deployments"]["deployments"]
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    for item in deployment["env"]:
        monkeypatch.setenv(item["name"], item["value"])
    qdrant = build_resources()["qdrant"]
    assert (qdrant.url, qdrant.shard_number, qdrant.shard_number_by_domain, qdrant.replication_factor) == (
        "http://qdrant.qdrant.svc.cluster.local:6333", 3, {"conversations": 6}, 2)
    assert settings.shard_counts() == {"conversations": 8, "products": 4} | {
        name: 1 for name in settings.shard_counts() if name not in ("conversations", "products")}
    assert executor_from_env(embedded_store=qdrant.is_embedded) is dg.multiprocess_executor


def test_helm_values_and_the_instance_file_agree():
    values = load(K8S / "values.yaml")
    instance = load(K8S / "dagster-instance.yaml")
    [deployment] = values["dagster-user-deployments"]["deployments"]
    launcher_values = values["runLauncher"]["config"]["k8sRunLauncher"]
    launcher = instance["run_launcher"]["config"]

    concurrency = {k: v for k, v in values["concurrency"].items() if k != "enabled"}
    assert _camel_to_snake(concurrency) == instance["concurrency"]
    pg, db = values["postgresql"], instance["storage"]["postgres"]["postgres_db"]
    assert (pg["postgresqlHost"], pg["postgresqlUsername"], pg["postgresqlDatabase"], pg["service"]["port"],
            pg["postgresqlScheme"]) == (db["hostname"], db["username"], db["db_name"], db["port"], db["scheme"])
    assert values["global"]["postgresqlSecretName"] == launcher["postgres_password_secret"]
    assert launcher_values["imagePullPolicy"] == launcher["image_pull_policy"]
    assert launcher_values["runK8sConfig"]["containerConfig"] == launcher["run_k8s_config"]["container_config"]
    assert [s["name"] for s in deployment["envSecrets"]] == launcher["env_secrets"]
    retries = values["dagsterDaemon"]["runRetries"]
    assert instance["run_retries"] == {"enabled": retries["enabled"], "max_retries": retries["maxRetries"]}


def test_k8s_executor_is_dagster_k8s_and_takes_its_run_config(monkeypatch):
    import dagster_k8s

    monkeypatch.setenv("HELIO_EXECUTOR", "k8s")
    executor = executor_from_env(embedded_store=False)
    assert executor is dagster_k8s.k8s_job_executor
    job = _job_with(executor)
    dg.validate_run_config(job, {"execution": {"config": {"job_namespace": "helio", "max_concurrent": 4}}})
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"execution": {"config": {"max_concurent": 4}}})


# --- Celery ---------------------------------------------------------------------------


@pytest.fixture
def celery_env(monkeypatch):
    monkeypatch.setenv("HELIO_EXECUTOR", "celery")
    monkeypatch.setenv("DAGSTER_CELERY_BROKER_URL", "pyamqp://helio:pw@rabbitmq:5672//")
    monkeypatch.setenv("DAGSTER_CELERY_BACKEND_URL", "rpc://")


def test_celery_run_config_validates_against_celery_executors_schema(celery_env, monkeypatch):
    from dagster._config import process_config
    from dagster_celery import celery_executor

    run_config = load(CELERY / "celery.yaml")
    result = process_config(celery_executor.config_schema.config_type, run_config["execution"]["config"])
    assert result.success, [e.message for e in result.errors]
    assert result.value["broker"] == "pyamqp://helio:pw@rabbitmq:5672//"
    assert result.value["backend"] == "rpc://"

    # the same run config on a job using HELIO_EXECUTOR=celery
    resolved = dg.validate_run_config(_job_with(executor_from_env(embedded_store=False)), run_config)
    assert resolved["execution"]["celery"]["broker"] == "pyamqp://helio:pw@rabbitmq:5672//"

    monkeypatch.delenv("DAGSTER_CELERY_BROKER_URL")
    missing = process_config(celery_executor.config_schema.config_type, run_config["execution"]["config"])
    assert not missing.success and "DAGSTER_CELERY_BROKER_URL" in str([e.message for e in missing.errors])


def test_celery_runs_without_execution_config_use_the_env_broker(celery_env):
    """Schedules, sensors and backfills launch runs with no execution config."""
    job = _job_with(executor_from_env(embedded_store=False))
    assert dg.validate_run_config(job, {})["execution"]["celery"]["broker"] == "pyamqp://helio:pw@rabbitmq:5672//"
    override = {"execution": {"config": {"broker": "redis://other:6379/0", "backend": "redis://other:6379/1"}}}
    assert dg.validate_run_config(job, override)["execution"]["celery"]["broker"] == "redis://other:6379/0"
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"execution": {"config": {"brokr": "redis://x"}}})


def make_celery_job() -> dg.JobDefinition:
    """Module-level, so the Celery task can rebuild the job from its origin."""
    return _job_with(executor_from_env(embedded_store=False), name="celery_smoke")


@pytest.mark.filterwarnings("ignore:Task name 'execute_plan' is already registered")
def test_celery_executor_runs_every_step_as_a_celery_task(celery_env, monkeypatch):
    monkeypatch.setenv("DAGSTER_CELERY_BROKER_URL", "memory://")
    job = dg.build_reconstructable_job(__name__, "make_celery_job")
    eager = {"execution": {"config": {"config_source": {"task_always_eager": True}}}}
    with dg.instance_for_test() as instance:
        with dg.execute_job(job, instance, run_config=eager) as result:
            assert result.success
            assert result.output_for_node("plus_one") == 2
            messages = [e.message or "" for e in result.all_events]
    assert sum("Submitting celery task" in m for m in messages) == 2


def test_compose_worker_command_starts_a_worker_on_the_configured_broker(celery_env, tmp_path, monkeypatch):
    from unittest import mock

    from click.testing import CliRunner
    from dagster_celery.cli import main

    compose = load(CELERY / "docker-compose.celery.yml")
    argv = shlex.split(compose["services"]["celery-worker"]["command"])
    assert argv[:3] == ["dagster-celery", "worker", "start"]
    # the image copies deploy/ to /opt/dagster/app/deploy (Dockerfile)
    argv = [a.replace("/opt/dagster/app/", f"{ROOT}/") for a in argv]
    (tmp_path / "dagster.yaml").write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    started = []
    with mock.patch("subprocess.check_call", lambda args, env: started.append((args, env)) or 0):
        outcome = CliRunner().invoke(main, argv[1:])
    assert outcome.exit_code == 0, outcome.output + repr(outcome.exception)
    [(args, env)] = started
    assert args[:4] == ["celery", "-A", "dagster_celery.app", "worker"] and "--concurrency=2" in args

    # the Celery app the worker imports reads the broker written from celery.yaml + env
    probe = subprocess.run([sys.executable, "-c", "from dagster_celery.app import app; "
                            "print(app.conf.broker_url); print(app.conf.result_backend)"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["pyamqp://helio:pw@rabbitmq:5672//", "rpc://"]


def test_celery_instance_config_loads(tmp_path, monkeypatch):
    from dagster._core.launcher import DefaultRunLauncher, RunLauncher

    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://u:p@db:5432/helio")
    ref = instance_ref(tmp_path, CELERY / "dagster.yaml")
    assert isinstance(ref.run_launcher_data.rehydrate(RunLauncher), DefaultRunLauncher)
    assert processed_config(ref.storage_data)["postgres_url"].startswith("postgresql+psycopg2://")
    assert ref.settings["concurrency"]["pools"]["default_limit"] == 1


@needs_compose
def test_celery_compose_override_is_valid_and_workers_get_the_code_servers_env(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text() + "\nRABBITMQ_PASSWORD=rabbit-pw\n")
    command = ["docker-compose", "-f", str(ROOT / "docker-compose.dagster.yml"),
               "-f", str(CELERY / "docker-compose.celery.yml"), "--env-file", str(env_file), "config"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    worker, code = services["celery-worker"], services["user-code"]
    assert worker["environment"] == code["environment"]
    assert code["environment"]["HELIO_EXECUTOR"] == "celery"
    assert code["environment"]["DAGSTER_CELERY_BROKER_URL"] == "pyamqp://helio:rabbit-pw@rabbitmq:5672//"
    for name in ("user-code", "webserver", "daemon", "celery-worker"):
        assert services[name]["build"]["dockerfile"] == "Dockerfile", name
        assert services[name]["build"]["args"] == {"EXTRAS": "celery", "INSTANCE": "deploy/celery/dagster.yaml"}
    assert any(v.startswith("snapshots:/opt/dagster/dagster_home/snapshots") for v in worker["volumes"])

    env_file.write_text((ROOT / ".env.example").read_text())
    missing = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert missing.returncode != 0 and "RABBITMQ_PASSWORD" in missing.stderr


# --- images and docs -------------------------------------------------------------------


@pytest.mark.parametrize("extra,instance", [
    ("k8s", "dagster_home/dagster.postgres.yaml"),
    ("celery", "deploy/celery/dagster.yaml"),
])
def test_deploy_images_are_the_root_dockerfile_with_an_extra(extra, instance):
    text = (ROOT / "Dockerfile").read_text()
    assert 'pip install --no-cache-dir -e ".${EXTRAS:+[$EXTRAS]}"' in text and "COPY ${INSTANCE} " in text
    assert (ROOT / instance).is_file()
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    # dagster 1.N.M goes with its libraries 0.(N+16).M
    major, minor, micro = (int(part) for part in dg.__version__.split(".")[:3])
    pin = f"dagster-{extra}=={major - 1}.{minor + 16}.{micro}"
    assert pin in extras[extra] and pin in extras["dev"], f"pyproject.toml: the {extra} extra needs {pin}"


def _documents() -> list[tuple[str, str]]:
    docs = []
    if (ROOT / "docs" / "scaling.md").exists():
        docs.append(("docs/scaling.md", (ROOT / "docs" / "scaling.md").read_text()))
    readme = (ROOT / "README.md").read_text()
    if "\n## Scaling" in readme:
        docs.append(("README.md", readme.split("\n## Scaling", 1)[1].split("\n## ", 1)[0]))
    return docs


def test_doc_snippets_are_excerpts_of_the_deploy_files():
    """A code block whose first line is ``# <path> (excerpt)`` must be lines of that file, in order."""
    documents = _documents()
    assert documents, "neither docs/scaling.md nor a README 'Scaling' section exists"
    checked = 0
    for name, text in documents:
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
            first, *lines = block.rstrip("\n").split("\n")
            match = re.fullmatch(r"# (\S+) \(excerpt\)", first.strip())
            if not match:
                continue
            source = (ROOT / match.group(1)).read_text().splitlines()
            position = 0
            for line in (l for l in lines if l.strip()):
                try:
                    position = source.index(line, position) + 1
                except ValueError:
                    pytest.fail(f"{name}: {line!r} is not in {match.group(1)} (in this order)")
            checked += 1
    assert checked >= 3, "the docs should quote values.yaml, celery.yaml and the compose override"


# --- HELIO_EXECUTOR ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "  "])
def test_default_executor_is_todays_behaviour(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("HELIO_EXECUTOR", raising=False)
    else:
        monkeypatch.setenv("HELIO_EXECUTOR", value)
    assert executor_from_env(embedded_store=True) is dg.in_process_executor
    assert executor_from_env(embedded_store=False) is dg.multiprocess_executor


@pytest.mark.parametrize("value,expected", [
    ("in_process", dg.in_process_executor), ("multiprocess", dg.multiprocess_executor),
    (" Multiprocess ", dg.multiprocess_executor),
])
def test_named_local_executors(monkeypatch, value, expected):
    monkeypatch.setenv("HELIO_EXECUTOR", value)
    assert executor_from_env(embedded_store=True) is expected
    assert executor_from_env(embedded_store=False) is expected


def test_an_unknown_executor_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("HELIO_EXECUTOR", "dask")
    with pytest.raises(ExecutorChoiceError) as error:
        executor_from_env(embedded_store=False)
    assert "'dask'" in str(error.value)
    assert all(name in str(error.value) for name in EXECUTORS)


@pytest.mark.parametrize("choice,module,extra", [("celery", "dagster_celery", "celery"), ("k8s", "dagster_k8s", "k8s")])
def test_a_missing_package_names_the_extra_to_install(monkeypatch, choice, module, extra):
    monkeypatch.setenv("HELIO_EXECUTOR", choice)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ExecutorChoiceError, match=re.escape(f".[{extra}]")):
        executor_from_env(embedded_store=False)


@pytest.mark.parametrize("choice", ["celery", "k8s"])
def test_distributed_executors_refuse_the_embedded_store(monkeypatch, choice):
    monkeypatch.setenv("HELIO_EXECUTOR", choice)
    with pytest.raises(ExecutorChoiceError, match="HELIO_QDRANT_URL"):
        executor_from_env(embedded_store=True)


# --- Qdrant cluster settings reach collection creation ----------------------------------


def test_collections_are_created_with_the_configured_shards_and_replicas(monkeypatch, tmp_path):
    """HELIO_QDRANT_SHARD_NUMBER / _REPLICATION_FACTOR -> build_resources -> QdrantResource ->
    create_collection, per domain: the default for most, the override for the one named."""
    from qdrant_client import QdrantClient

    from helio_pipeline.definitions import build_resources

    created = {}
    original = QdrantClient.create_collection

    def spy(self, collection_name, *args, **kwargs):
        created[collection_name] = (kwargs.get("shard_number"), kwargs.get("replication_factor"))
        return original(self, collection_name, *args, **kwargs)

    monkeypatch.setattr(QdrantClient, "create_collection", spy)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("HELIO_QDRANT_URL", ":memory:")
    monkeypatch.setenv("HELIO_QDRANT_SHARD_NUMBER", "2, conversations=6")
    monkeypatch.setenv("HELIO_QDRANT_REPLICATION_FACTOR", "rules=3")
    store = build_resources()["qdrant"].store()
    for domain in ("products", "conversations", "rules"):
        assert store.ensure_collection(f"helio-{domain}__test", 8, {}, metadata={"domain": domain})
    assert created == {"helio-products__test": (2, None), "helio-conversations__test": (6, None),
                       "helio-rules__test": (2, 3)}


def test_a_bad_collection_layout_names_the_variable_and_entry(monkeypatch, tmp_path):
    from helio_pipeline.definitions import build_resources

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("HELIO_QDRANT_SHARD_NUMBER", "2,conversation=6")
    with pytest.raises(ValueError, match="HELIO_QDRANT_SHARD_NUMBER entry 'conversation=6'"):
        build_resources()
    monkeypatch.setenv("HELIO_QDRANT_SHARD_NUMBER", "two")
    with pytest.raises(ValueError, match="HELIO_QDRANT_SHARD_NUMBER entry 'two'"):
        build_resources()


# --- helpers --------------------------------------------------------------------------------


@dg.op
def one() -> int:
    return 1


@dg.op
def plus_one(value: int) -> int:
    return value + 1


def _job_with(executor: dg.ExecutorDefinition, name: str = "scaling_probe") -> dg.JobDefinition:
    @dg.job(name=name, executor_def=executor)
    def probe():
        plus_one(one())

    return probe


def test_k8s_migrate_job_runs_helio_db_migrate_with_the_deployments_image_and_secret():
    """Schema changes are an explicit step on Kubernetes too: a Job running `helio db migrate`
    with the image and Secret the user deployment runs with."""
    job = load(K8S / "migrate-job.yaml")
    [deployment] = load(K8S / "values.yaml")["dagster-user-deployments"]["deployments"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert job["kind"] == "Job" and container["command"] == ["helio", "db", "migrate"]
    assert container["image"].rsplit(":", 1)[0] == deployment["image"]["repository"]
    assert [s["secretRef"]["name"] for s in container["envFrom"]] == [s["name"] for s in deployment["envSecrets"]]
