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
