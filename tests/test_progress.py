"""The progress lines of `helio demo`/`refresh`, read from the lines lib/sync.apply logs."""

from helio_pipeline.progress import EMBEDDED, embedding_line


def test_the_sync_log_line_becomes_texts_out_of_total_with_rate_and_time_left():
    found = EMBEDDED.match("helio-products: embedded and wrote 512/2048 chunks")
    assert found and (found["alias"], found["done"], found["total"]) == ("helio-products", "512", "2048")
    assert embedding_line("helio-products", 512, 2048, elapsed=10.0) == (
        "helio-products: embedded 512/2,048 texts (25%, 51/s, about 30 s left)")
    assert embedding_line("helio-rules", 84, 84, elapsed=2.0) == "helio-rules: embedded 84/84 texts (100%, 42/s)"
