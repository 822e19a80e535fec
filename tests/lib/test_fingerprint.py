"""The input fingerprint's code part is the same however helio is started: the working
directory (first on ``sys.path`` under ``python -m``) holding a package's metadata, as a
source checkout does (``helio_pipeline.egg-info``), changes nothing."""

import sys

from helio_pipeline.domains import DOMAINS
from helio_pipeline.lib import fingerprint


def test_the_code_digest_ignores_metadata_in_the_working_directory(tmp_path, monkeypatch):
    before = fingerprint.code_digest(DOMAINS["rules"])
    (tmp_path / "helio_pipeline.egg-info").mkdir()
    (tmp_path / "someone_else-1.0.dist-info").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", str(tmp_path), *sys.path])
    assert fingerprint.code_digest(DOMAINS["rules"]) == before


def test_an_upgraded_package_changes_the_code_digest(monkeypatch, tmp_path):
    (tmp_path / "pandas-99.0.dist-info").mkdir()
    before = fingerprint.code_digest(DOMAINS["rules"])
    monkeypatch.setattr(fingerprint.sysconfig, "get_paths", lambda: {"purelib": str(tmp_path), "platlib": str(tmp_path)})
    # seen at once, by a process that computed the digest before (a code server evaluating schedules)
    assert fingerprint.code_digest(DOMAINS["rules"]) != before
