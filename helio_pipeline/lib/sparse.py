"""Lexical sparse vectors for hybrid search, tuned for Portuguese text and product codes.

Dense embeddings blur exact tokens such as ``CS6U-330P`` or ``MICRO-0.25-I-OUTD``; these
sparse vectors keep them. Text is lower-cased and accent-folded; a code like ``CS6U-330P``
yields the whole code and its parts (``cs6u``, ``330p``) and a mixed token like ``550w``
also yields ``550``. Values are saturated term frequencies (BM25's tf part); Qdrant's IDF
modifier on the collection supplies the idf part, so scores stay right after deletes.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from functools import lru_cache

SPARSE_VERSION = "1"

_TOKEN = re.compile(r"[a-z0-9]+(?:[-./_][a-z0-9]+)*")
_ALNUM_SPLIT = re.compile(r"[a-z]+|[0-9]+")
_PART_SPLIT = re.compile(r"[-./_]")
_STOPWORDS = frozenset(
    """a o e as os de da do das dos em no na nos nas um uma uns umas para pra por com sem que
    qual quais se ao aos ou the and of for to in is me meu minha seu sua voce vc eu ele ela isso
    esse essa este esta ja mais muito como quando onde sobre entre ate tem ter sao ser foi pelo
    pela""".split()
)
_K1 = 1.2


class _CombiningMarks(dict):
    """A str.translate table that drops combining marks, filled as characters are met."""

    def __missing__(self, codepoint: int):
        kept = None if unicodedata.combining(chr(codepoint)) else codepoint
        self[codepoint] = kept
        return kept


_WITHOUT_MARKS = _CombiningMarks()


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Módulo Fotovoltaico' -> 'modulo fotovoltaico'."""
    if text.isascii():  # nothing to strip (most catalog text): skip the decomposition
        return text.lower()
    return unicodedata.normalize("NFKD", text.lower()).translate(_WITHOUT_MARKS)


def _stem(word: str) -> str:
    """Fold Portuguese plurals onto singulars (inversores→inversor, painéis→painel, módulos→modulo)."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, replacement in (("oes", "ao"), ("aes", "ao"), ("eis", "el"), ("res", "r"), ("zes", "z"), ("ns", "m")):
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=262_144)
def _token_terms(token: str) -> tuple[str, ...]:
    """The terms of one folded token; a catalog repeats its vocabulary, so this is cached."""
    terms: list[str] = []
    parts = _PART_SPLIT.split(token)
    if len(parts) > 1:
        terms.append(token)  # the whole code, e.g. cs6u-330p
    for part in parts:
        if not part or part in _STOPWORDS:
            continue
        terms.append(_stem(part))
        pieces = _ALNUM_SPLIT.findall(part)
        if len(pieces) > 1:  # 550w -> 550 ; cs6u -> cs, 6, u (only the numbers carry meaning)
            terms.extend(p for p in pieces if p.isdigit())
    return tuple(terms)


@lru_cache(maxsize=262_144)
def _token_indices(token: str) -> tuple[int, ...]:
    return tuple(term_index(t) for t in _token_terms(token))


def tokenize(text: str) -> list[str]:
    return [term for token in _TOKEN.findall(fold(text)) for term in _token_terms(token)]


def term_index(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))  # stable across processes, fits Qdrant's u32 indices


def sparse_vector(text: str) -> tuple[list[int], list[float]]:
    """(indices, values) for a document or a query."""
    counts = Counter(i for token in _TOKEN.findall(fold(text)) for i in _token_indices(token))
    indices = sorted(counts)
    values = [counts[i] * (_K1 + 1) / (counts[i] + _K1) for i in indices]
    return indices, values
