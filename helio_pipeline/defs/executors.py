"""Which Dagster executor runs the steps of a run, chosen by ``HELIO_EXECUTOR``.

=================  ===========================================================================
``in_process``     every step in the run's own process, one after another. The default with the
                   embedded vector store, which admits one process at a time.
``multiprocess``   each step in a child process of the run, steps of different domains at once.
                   The default against a Qdrant server (``HELIO_QDRANT_URL`` set).
``celery``         each step is a Celery task, run by ``dagster-celery worker start`` workers
                   (extra ``celery``). Broker and result backend: run config
                   ``execution: config: {broker, backend}``, else the environment variables
                   ``DAGSTER_CELERY_BROKER_URL`` / ``DAGSTER_CELERY_BACKEND_URL``, else Celery's
                   defaults (``pyamqp://guest@localhost//``, ``rpc://``). See deploy/celery/.
``k8s``            each step is a Kubernetes Job (extra ``k8s``); image, namespace, env and
                   secrets come from the K8sRunLauncher (deploy/k8s/values.yaml).
=================  ===========================================================================

Unset or empty means the default above (today's behaviour). ``celery`` and ``k8s`` put the
steps of one run on different machines, so two things must be shared between them:

- the vector store: they need a Qdrant server. With the embedded store they are refused
  (each machine would write its own copy of the collections);
- ``$DAGSTER_HOME/snapshots``, where one step leaves the Parquet snapshot the next step
  reads (extract -> chunks -> index): mount one shared volume (NFS, a ReadWriteMany PVC) there
  on every worker. With ``multiprocess`` under the K8sRunLauncher, every step of a run stays
  in the run's pod and nothing needs sharing; parallelism then comes from many runs (one per
  shard partition) at once. That is the setup deploy/k8s/values.yaml uses.

``dagster-celery`` and ``dagster-k8s`` are imported only when chosen, so the default install
does not need them.
"""

from __future__ import annotations

import dagster as dg

from helio_pipeline import settings
from helio_pipeline.lib.errors import HelioError

EXECUTORS = ("in_process", "multiprocess", "celery", "k8s")
_EXTRA = {"celery": ("dagster_celery", "celery"), "k8s": ("dagster_k8s", "k8s")}
BROKER_ENV = "DAGSTER_CELERY_BROKER_URL"
BACKEND_ENV = "DAGSTER_CELERY_BACKEND_URL"


class ExecutorChoiceError(HelioError, ValueError):
    """HELIO_EXECUTOR names no executor, or one that cannot run here."""


def executor_from_env(embedded_store: bool) -> dg.ExecutorDefinition:
    """The executor named by ``HELIO_EXECUTOR`` (see the module docstring for the choices).

    ``embedded_store``: whether the vector store is the embedded one (no ``HELIO_QDRANT_URL``);
    it picks the default and rules out ``celery`` and ``k8s``.
    """
    choice = (settings.load().executor or "").strip().lower()
    if not choice:
        return dg.in_process_executor if embedded_store else dg.multiprocess_executor
    if choice not in EXECUTORS:
        raise ExecutorChoiceError(
            f"HELIO_EXECUTOR={choice!r} is not an executor: use one of {', '.join(EXECUTORS)} "
            "(or leave it unset for in_process with the embedded store, multiprocess with a Qdrant server)"
        )
    if choice == "in_process":
        return dg.in_process_executor
    if choice == "multiprocess":
        return dg.multiprocess_executor
    if embedded_store:
        raise ExecutorChoiceError(
            f"HELIO_EXECUTOR={choice} runs steps on other machines, which cannot share the embedded "
            "vector store: set HELIO_QDRANT_URL to a Qdrant server, or use in_process/multiprocess"
        )
    module = _import_extra(choice)
    if choice == "celery":
        return _celery_with_env_defaults(module.celery_executor, module.executor.CELERY_CONFIG)
    return module.k8s_job_executor


def _import_extra(choice: str):
    import importlib

    module_name, extra = _EXTRA[choice]
    try:
        module = importlib.import_module(module_name)
        if choice == "celery":
            importlib.import_module("dagster_celery.executor")
    except ImportError as exc:
        raise ExecutorChoiceError(
            f"HELIO_EXECUTOR={choice} needs the {module_name.replace('_', '-')} package, which is not "
            f"installed ({exc}). Install the extra: pip install -e '.[{extra}]' "
            f"(or pip install 'helio-pipeline[{extra}]')"
        ) from None
    return module


def _celery_with_env_defaults(celery_executor: dg.ExecutorDefinition, celery_config: dict) -> dg.ExecutorDefinition:
    """``celery_executor`` whose broker and backend fall back to the environment.

    Runs started by a schedule, a sensor or a backfill carry no ``execution`` config, so the
    broker must be known without it. Same config fields as ``celery_executor``; only the
    fallback differs (``backend`` has no fixed default here, so the environment can supply it).
    The URLs travel as ``{"env": ...}``: their values never enter the run config or the UI.
    """
    schema = dict(celery_config)
    schema["backend"] = dg.Field(
        dg.Noneable(dg.StringSource), is_required=False,
        description=f"Celery result backend URL (default: ${BACKEND_ENV}, else 'rpc://').",
    )

    def with_defaults(config: dict) -> dict:
        resolved = {k: v for k, v in config.items() if v is not None}
        configured = settings.load()
        for key, name, value in (("broker", BROKER_ENV, configured.celery_broker_url),
                                 ("backend", BACKEND_ENV, configured.celery_backend_url)):
            if key not in resolved and value:
                resolved[key] = {"env": name}
        resolved.setdefault("backend", "rpc://")
        return resolved

    return celery_executor.configured(with_defaults, config_schema=schema)
