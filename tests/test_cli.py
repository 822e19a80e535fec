"""The `helio` command line, wired to real services through the documented environment variables."""

import json

from helio_pipeline.cli import main


def test_seed_refresh_search_json_and_quarantine(cli_env, clean_db, capsys):
    assert main(["seed", "--products", "40", "--conversations", "20"]) == 0
    assert json.loads(capsys.readouterr().out)["products_table"] > 0
    from helio_pipeline.lib.changes import read_changes

    assert read_changes(clean_db, after=0) is not None        # the seed's inserts are in the change log
    assert main(["refresh"]) == 0
    capsys.readouterr()
    assert read_changes(clean_db, after=0) is None            # covered by the full refresh: no re-sync

    assert main(["search", "garantia de inversores", "--domain", "rules", "--top-k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3
    assert set(hits[0]) == {"domain", "source_id", "score", "text", "payload"}
    assert {h["domain"] for h in hits} == {"rules"}

    assert main(["quarantine", "--domain", "products"]) == 0
    assert "muitos" in capsys.readouterr().out


def test_bad_requests_are_clear_errors_not_crashes(cli_env, capsys):
    assert main(["search", "   "]) == 2
    assert "query is empty" in capsys.readouterr().err
    assert main(["search", "frete", "--domain", "nope"]) == 2
    assert "unknown domain" in capsys.readouterr().err
    assert main(["search", "frete", "--domain", "conversations"]) == 2
    assert "owner_id" in capsys.readouterr().err
    assert main(["rollback", "products"]) == 2
    assert "no earlier collection" in capsys.readouterr().err


def test_a_corrupted_embedded_store_is_a_clear_error_and_rebuild_recovers(cli_env, tmp_path, capsys):
    from helio_pipeline.vectorstore import close_embedded_stores

    assert main(["seed", "--products", "30", "--conversations", "10"]) == 0
    assert main(["refresh"]) == 0
    close_embedded_stores()
    (tmp_path / "home" / "qdrant-edge" / "catalog.json").write_text("{not json")
    capsys.readouterr()
    assert main(["search", "garantia", "--domain", "rules"]) == 2
    err = capsys.readouterr().err
    assert "qdrant-edge" in err and "helio rebuild" in err  # names the directory and the way out
    assert main(["rebuild", "rules"]) == 0
    assert "moved it to" in capsys.readouterr().out
    assert main(["search", "garantia", "--domain", "rules", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)


def _helio(*args: str, timeout: float = 600):
    """`helio ARGS` in a child process, so that what it prints at interpreter exit is seen too."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-m", "helio_pipeline.cli", *args], cwd=root, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)


def test_demo_and_refresh_succeed_quietly_with_progress_and_each_problem_once(cli_env, capsys):
    demo = _helio("demo", "--products", "40")
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Traceback" not in demo.stderr, demo.stderr[-3000:]
    assert "DEBUG" not in demo.stdout + demo.stderr
    assert "step products_index done" in demo.stdout and " texts (" in demo.stdout  # steps and embedding progress
    last = demo.stdout.strip().splitlines()[-1]
    assert "/bin/helio ui" in last and f"DAGSTER_HOME={cli_env}" in last
    assert "/bin/dg dev" in last or "/bin/dagster dev" in last  # a command that works as printed

    refresh = _helio("refresh", "--full", "products")  # one domain: only its assets run; --full re-reads unchanged inputs
    assert refresh.returncode == 0, refresh.stderr[-3000:]
    assert "Traceback" not in refresh.stderr, refresh.stderr[-3000:]
    assert "products_index" in refresh.stdout and "rules_index" not in refresh.stdout

    assert main(["quarantine", "--domain", "products"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "muitos" in line]
    assert len(lines) == 1 and "2 runs" in lines[0]  # met by both runs, shown once

    # a filter a domain lacks is said in the notes, not silently dropped
    assert main(["search", "inversor", "--domain", "products", "--domain", "rules",
                 "--filter", 'power_w={"gte": 1000}', "--json"]) == 0
    assert "rules: not filtered by power_w" in capsys.readouterr().err

    assert main(["memory", "oi", "--owner", "nobody", "--conversation", "conv-none"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == [] and "nothing for owner 'nobody'" in out.err


def test_refresh_of_one_source_resyncs_only_it(cli_env, capsys):
    assert main(["seed", "--products", "30", "--conversations", "10"]) == 0
    assert main(["refresh", "rules"]) == 0
    capsys.readouterr()
    assert main(["refresh", "rules", "--source-id", "business_rules:1"]) == 0
    assert "rules_index" in capsys.readouterr().out
    assert main(["refresh", "nope"]) == 2
    assert "unknown domain 'nope'" in capsys.readouterr().err
    assert main(["refresh", "--source-id", "x"]) == 2


def test_a_second_refresh_says_rules_are_unchanged_and_full_forces_the_pass(cli_env, capsys):
    assert main(["seed", "--products", "30", "--conversations", "10"]) == 0
    assert main(["refresh", "rules"]) == 0
    assert "unchanged since" not in capsys.readouterr().out
    assert main(["refresh", "rules"]) == 0
    out = capsys.readouterr().out
    assert "unchanged since run" in out and "0 texts embedded" in out and "helio refresh --full rules" in out
    assert main(["refresh", "--full", "rules"]) == 0
    out = capsys.readouterr().out
    assert "rules_index" in out and "unchanged since" not in out


def test_help_lists_filter_fields_ranges_and_scores(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = capsys.readouterr().out
    assert "power_w (float)" in out and "requires owner_id" in out and '"gte"' in out and "w/(60+r)" in out


def test_db_status_and_stop_show_and_stop_the_embedded_server(monkeypatch, tmp_path, capsys):
    import tempfile
    from pathlib import Path

    home = Path(tempfile.mkdtemp(prefix="helio-test-home-"))  # the server's user must reach it (not tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("HELIO_DATABASE_URL", raising=False)
    try:
        assert main(["db", "status"]) == 0
        assert "not running" in capsys.readouterr().out
        assert main(["db", "migrate"]) == 0  # starts it, as every command does
        capsys.readouterr()
        assert main(["db", "status"]) == 0
        status = capsys.readouterr().out
        assert "embedded PostgreSQL: running, pid" in status and str(home / "postgres") in status
        assert main(["db", "stop"]) == 0
        assert "stopped the embedded PostgreSQL" in capsys.readouterr().out
        assert main(["db", "status"]) == 0
        assert "not running" in capsys.readouterr().out
    finally:
        from helio_pipeline.lib.pg_embedded import EmbeddedPostgres
        import shutil

        EmbeddedPostgres(home / "postgres").stop(force=True)
        shutil.rmtree(home, ignore_errors=True)
