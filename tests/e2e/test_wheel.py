"""A non-editable install works: the wheel carries its migrations, and from outside the
repository it migrates a database, seeds, indexes and answers a search."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pip(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the sources (the repository stays untouched) and
    installed, without dependencies, into a folder of its own: that folder."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "helio_pipeline", source / "helio_pipeline",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built = _pip("wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(source), cwd=base)
    if built.returncode != 0:  # no index to fetch setuptools from: build with the venv's
        built = _pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(base / "dist"), str(source),
                     cwd=base)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((base / "dist").glob("helio_pipeline-*.whl"))
    target = base / "site"
    installed = _pip("install", "--no-deps", "-q", "--target", str(target), str(wheel), cwd=base)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return target


def test_the_installed_wheel_migrates_seeds_indexes_and_searches(installed_wheel, fresh_db, tmp_path):
    url, _ = fresh_db
    outside = tmp_path / "elsewhere"  # not the repository: nothing may come from its checkout
    outside.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed_wheel), "DAGSTER_HOME": str(tmp_path / "home"),
           "HELIO_DATABASE_URL": url, "HELIO_S3_URL": f"file://{tmp_path / 'objects'}", "HELIO_EMBEDDER": "static",
           "HELIO_COLLECTION_PREFIX": "wheel"}
    for name in ("HELIO_QDRANT_URL", "HELIO_SHARDS", "HELIO_EXECUTOR", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    (tmp_path / "home").mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], cwd=outside, env=env, capture_output=True, text=True,
                              timeout=600)

    where = run("-c", "import helio_pipeline, helio_pipeline.lib.db as db; print(helio_pipeline.__file__); "
                      "print(sorted(p.name for p in db.SQL_DIR.glob('*.sql')))")
    assert where.returncode == 0, where.stderr
    module_file, sql_files = where.stdout.splitlines()
    assert Path(module_file).is_relative_to(installed_wheel)
    assert "006_golden_queries.sql" in sql_files

    helio = ("-m", "helio_pipeline.cli")
    status = run(*helio, "db", "status")
    assert status.returncode == 1 and "pending" in status.stdout, status.stdout + status.stderr
    migrated = run(*helio, "db", "migrate", "--demo")
    assert migrated.returncode == 0 and "applied: 002_embedding_cache" in migrated.stdout, migrated.stderr

    seeded = run(*helio, "seed", "--products", "60", "--conversations", "10")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    refreshed = run(*helio, "refresh")
    assert refreshed.returncode == 0, (refreshed.stdout + refreshed.stderr)[-3000:]
    found = run(*helio, "search", "inversor", "--domain", "products", "--json")
    assert found.returncode == 0, found.stderr[-3000:]
    hits = json.loads(found.stdout)
    assert hits and all(hit["domain"] == "products" for hit in hits)
