"""Match the makers a question names against the manufacturer names of the indexed catalog.

Built from the catalog's own names (never a hand-written list), so it follows the catalog:
rebuild it when ``signature`` of the new name list differs. Matching is case- and
accent-insensitive, ignores legal suffixes (Inc, Ltd, Co, GmbH...), accepts any run of
consecutive words of a name ("Canadian", "Q CELLS", "Hanwha Q CELLS") and its spelling
without spaces ("QCells", "JinkoSolar").

Confidence rule: a phrase is a maker only when every name it occurs in belongs to at most
``max_brands`` brands. A brand is a name's first word ("Canadian Solar Inc." and "Canadian
Solar Incorporated" are one brand), or its first two words when the first starts names of
``prefix_fanout`` or more different companies ("Jiangsu Runda PV", "Jiangsu Shunda PV-Tech").
So "solar", "power" or "energy", which occur in the names of hundreds of brands, never match,
and "Jiangsu" (eleven companies) is skipped with a note instead of guessing. Words of one or
two letters ("LG", "JA") match alone only as acronyms: written in capitals in a question that
is not all capitals ("já" never names JA Solar). The caller's stopwords (Portuguese "de", "pro",
"CA") never match alone. Inside a longer phrase both match as written ("lg electronics", "ja solar").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

LEGAL_SUFFIXES = frozenset(
    "inc incorporated ltd ltda limited co corp corporation company llc gmbh ag sa plc pvt bhd sdn srl spa bv nv "
    "kg oy eireli".split()
)
_WORD = re.compile(r"[^\W_]+")
_PARENTHESES = re.compile(r"\([^()]*\)")
_MAX_PHRASE = 4


@lru_cache(maxsize=65536)
def _fold_char(c: str) -> str:
    folded = [d for d in unicodedata.normalize("NFKD", c.lower()) if not unicodedata.combining(d)]
    return folded[0] if folded else c


def fold(text: str) -> str:
    """Lower-case without accents, one character per character of ``text`` (so spans carry over)."""
    return "".join(_fold_char(c) for c in text)


@dataclass(frozen=True)
class Word:
    """A word of a question: folded form, the span in the question, and its raw spelling."""

    folded: str
    start: int
    end: int
    raw: str


def words(text: str) -> list[Word]:
    folded = fold(text)
    return [Word(m.group(), m.start(), m.end(), text[m.start():m.end()]) for m in _WORD.finditer(folded)]


@dataclass(frozen=True)
class MakerMatch:
    phrase: str  # as written in the question
    span: tuple[int, int]
    names: tuple[str, ...]  # the catalog names it stands for, sorted


def is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) > 3 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


class MakerIndex:
    """Question phrases -> catalog manufacturer names. Building from 700 names takes a few ms."""

    def __init__(self, names: Iterable[str], *, field: str = "manufacturer", max_brands: int = 2,
                 prefix_fanout: int = 4, legal_suffixes: frozenset[str] = LEGAL_SUFFIXES):
        self.field = field
        self.max_brands = max_brands
        self.names: tuple[str, ...] = tuple(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))
        self.signature = hashlib.sha1("\n".join(sorted(self.names)).encode()).hexdigest()
        # "(Qidong)", "(Aplicaciones Tecnicas de la Energia)": places and glosses, not what people call a maker
        bare = (_PARENTHESES.sub(" ", n) for n in self.names)
        tokens = [[w for w in _WORD.findall(fold(n)) if w not in legal_suffixes] for n in bare]
        seconds: dict[str, set[str]] = defaultdict(set)
        for t in tokens:
            if len(t) > 1:
                seconds[t[0]].add(t[1])
        prefix_words = {head for head, after in seconds.items() if len(after) >= prefix_fanout}
        self._brand = [" ".join(t[:2]) if t and t[0] in prefix_words else (t[0] if t else "") for t in tokens]
        phrases: dict[str, set[int]] = defaultdict(set)
        self._heads: dict[str, int] = defaultdict(int)  # phrase -> how many names start with it
        # words that name a maker alone must be among the first two of some name: "Frontier" of
        # Solar Frontier, "Growatt" of Shenzhen Growatt; never a product line further on ("Poly"
        # of Schott Solar Perform Poly, "Solo" of Luxor Solar Solo Line, "Black", "Base")
        self._early: set[str] = set()
        self._joined: set[str] = set()
        for i, t in enumerate(tokens):
            self._early.update(t[:2])
            for n in range(1, min(_MAX_PHRASE, len(t)) + 1):
                for s in range(len(t) - n + 1):
                    gram = t[s:s + n]
                    if n == 1 and (len(gram[0]) < 2 or gram[0].isdigit()):
                        continue  # a lone letter or number names nothing
                    phrases[" ".join(gram)].add(i)
                    if n > 1 and s < 2:
                        phrases["".join(gram)].add(i)  # "qcells", "jinkosolar"
                        self._joined.add("".join(gram))
                    if s == 0:
                        self._heads[" ".join(gram)] += 1
        self._phrases = {k: frozenset(v) for k, v in phrases.items()}

    def __len__(self) -> int:
        return len(self.names)

    def match(self, text: str, *, stopwords: frozenset[str] = frozenset()) -> tuple[list[MakerMatch], list[str]]:
        """The makers ``text`` names, and notes on phrases that named too many to be sure."""
        return self.match_words(words(text), stopwords=stopwords, shouting=is_shouting(text))

    def match_words(self, question: Sequence[Word | None], *, stopwords: frozenset[str] = frozenset(),
                    shouting: bool = False) -> tuple[list[MakerMatch], list[str]]:
        """Like ``match`` over words already split. ``None`` entries (words the caller consumed)
        end a phrase; a stopword never names a maker alone but may sit inside a name ("ja solar")."""
        def usable(w: Word | None) -> bool:
            return w is not None and not w.folded.isdigit()

        def alone(w: Word) -> bool:  # may this word name a maker by itself?
            if w.folded in stopwords or not (len(w.folded) > 2 or acronym(w)):
                return False
            return w.folded in self._early or w.folded in self._joined

        def acronym(w: Word) -> bool:
            return not shouting and len(w.raw) >= 2 and w.raw.isupper()

        matches: list[MakerMatch] = []
        notes: list[str] = []
        i = 0
        while i < len(question):
            if not usable(question[i]):
                i += 1
                continue
            run = 1
            while run < _MAX_PHRASE and i + run < len(question) and usable(question[i + run]):
                run += 1
            for n in range(run, 0, -1):
                group = question[i:i + n]
                if not (alone(group[0]) if n == 1 else any(len(w.folded) > 2 and w.folded not in stopwords
                                                             for w in group)):
                    continue  # "de", or a phrase of small words only ("s a de c v")
                key = " ".join(w.folded for w in group)
                ids = self._phrases.get(key) or (self._phrases.get(key.replace(" ", "")) if n > 1 else None)
                if not ids:
                    continue
                start, end = group[0].start, group[-1].end
                phrase = " ".join(w.raw for w in group)
                if len({self._brand[x] for x in ids}) <= self.max_brands:
                    matches.append(MakerMatch(phrase, (start, end), tuple(sorted(self.names[x] for x in ids))))
                elif 2 * self._heads.get(key, 0) >= len(ids):  # a name start many companies share
                    examples = ", ".join(sorted(self.names[x] for x in ids)[:3])
                    notes.append(f"maker {phrase!r} is ambiguous ({len(ids)} makers, e.g. {examples}): "
                                 "not used as a filter")
                i += n - 1
                break
            i += 1
        return matches, notes
