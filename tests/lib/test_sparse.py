from helio_pipeline.lib.sparse import sparse_vector, term_index, tokenize


def test_product_codes_are_kept_whole_and_split():
    terms = tokenize("Canadian Solar CS6U-330P")
    assert "cs6u-330p" in terms and "cs6u" in terms and "330p" in terms


def test_accents_case_and_plurals_fold():
    assert tokenize("Módulos Painéis INVERSORES") == tokenize("modulo painel inversor")


def test_power_ratings_match_with_or_without_space():
    assert "550" in tokenize("painel 550W") and "550" in tokenize("painel 550 W")


def test_sparse_vector_is_sorted_and_counts_repeats():
    indices, values = sparse_vector("inversor inversor string")
    assert indices == sorted(indices)
    weights = dict(zip(indices, values))
    assert weights[term_index("inversor")] > weights[term_index("string")]
