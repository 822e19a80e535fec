from helio_pipeline.lib.chunking import count_tokens, token_windows, turn_windows

SENTENCES = [f"Frase {i}: a garantia do inversor modelo X{i} cobre defeitos de fabricação por dez anos." for i in range(150)]
TEXT = " ".join(SENTENCES)


def test_windows_respect_token_budget_and_keep_every_sentence():
    windows = token_windows(TEXT, max_tokens=500, overlap=50)
    assert len(windows) > 3
    assert all(count_tokens(w) <= 500 for w in windows)
    joined = " ".join(windows)
    assert all(s in joined for s in SENTENCES)


def test_consecutive_windows_overlap_by_whole_sentences():
    windows = token_windows(TEXT, max_tokens=500, overlap=50)
    for left, right in zip(windows, windows[1:]):
        first_sentence_of_right = right.split(" Frase ")[0]
        assert first_sentence_of_right in left


def test_shortening_a_document_keeps_head_windows_identical():
    full = token_windows(TEXT)
    half = token_windows(" ".join(SENTENCES[:75]))
    assert len(half) < len(full)
    assert half[:-1] == full[: len(half) - 1]


def test_a_single_huge_sentence_is_cut_on_token_boundaries():
    blob = "x" * 20000
    windows = token_windows(blob, max_tokens=500)
    assert all(count_tokens(w) <= 500 for w in windows)
    assert "".join(windows) == blob


def test_empty_text_makes_no_windows():
    assert token_windows("   ") == []


def test_turn_windows_overlap_and_cover_all_turns():
    ranges = turn_windows([str(i) for i in range(11)], size=6, overlap=2)
    assert ranges == [(0, 6), (4, 10), (8, 11)]
    assert turn_windows(["a", "b"], size=6) == [(0, 2)]
