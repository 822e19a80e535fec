"""The bad-input matrix (bench/bad_input_matrix.py) on the suite's real services: every case
ends clean (quarantined, indexed as valid, or refused with a reason), no valid row is lost,
no answer crosses tenants and no planted personal data shows up anywhere it reports on."""

from bench.bad_input_matrix import PIPELINE_CASES, build_env, print_report, run_matrix, totals


def test_bad_input_matrix_totals(pg_url, clean_db, s3_endpoint, tmp_path, capsys):
    outcomes = run_matrix(build_env(pg_url, s3_endpoint, tmp_path))
    print_report(outcomes)  # shown by pytest when an assertion below fails
    summary = totals(outcomes)
    bad = [o for o in outcomes if o.outcome in ("CRASH", "BAD INDEXED", "WRONG")]
    assert bad == []
    assert summary["valid rows lost"] == 0
    assert summary["tenant leaks"] == 0
    assert summary["personal data leaked"] == 0
    # every pipeline case ran and each one's bad input is accounted for
    assert len(outcomes) >= len(PIPELINE_CASES) + 9
    by_case = {o.case: o.outcome for o in outcomes}
    assert by_case["owner_id list in a filter"] == "clean error"
    assert by_case["NUL byte in a broken JSONL line with personal data"] == "quarantined"
