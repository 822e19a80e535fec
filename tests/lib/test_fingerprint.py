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


def test_one_scan_gives_every_shard_the_digest_its_own_run_computes(clean_db):
    """A schedule's tick reads a sharded table once (shard_digests); each shard's fingerprint
    must be the one its run computes alone, or a quiet night would run every shard. Checked
    with a shard that has no rows, and again after a change to one conversation."""
    from helio_pipeline.lib.sharding import Shard, shard_of
    from helio_pipeline.domains.conversations import source_id
    from tests.helpers import add_message

    domain, count = DOMAINS["conversations"], 7
    for i in range(12):
        add_message(clean_db, f"c-{i}", f"cliente-{i % 4}", "user", f"Mensagem {i} sobre inversores", minute=i)
    occupied = {shard_of(source_id(f"cliente-{i % 4}", f"c-{i}"), count) for i in range(12)}
    assert len(occupied) < count  # at least one shard holds no rows

    def alone(index):
        return fingerprint.input_fingerprint(domain, clean_db, _NoObjects(), "idx", redact_pii=True,
                                             golden_min_queries=5, shard=Shard(index, count))

    def together():
        read = fingerprint.shard_digests(domain, clean_db, count)
        return {index: fingerprint.input_fingerprint(domain, clean_db, _NoObjects(), "idx", redact_pii=True,
                                                     golden_min_queries=5, shard=Shard(index, count),
                                                     table_digests=read[index]) for index in range(count)}

    first = together()
    assert {i: f.parts for i, f in first.items()} == {i: alone(i).parts for i in range(count)}
    add_message(clean_db, "c-3", "cliente-3", "assistant", "Temos em estoque.", minute=40)
    second = together()
    moved = {i for i in range(count) if second[i].digest != first[i].digest}
    assert moved == {shard_of(source_id("cliente-3", "c-3"), count)}
    assert {i: f.parts for i, f in second.items()} == {i: alone(i).parts for i in range(count)}


class _NoObjects:
    """An object store with nothing in it (our own seam: the test is about the tables)."""

    def list(self, prefix):
        return []
