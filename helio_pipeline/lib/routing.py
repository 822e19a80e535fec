"""Which domains a question is for, so a multi-domain search weighs them instead of giving
every domain a free first place in the fused list.

Each domain declares cue words in the registry ("preço", "custa", "R$" for prices; "prazo",
"frete", "garantia" for rules; "inversor", "painel" for products), and may *refine* others: a
prices cue in "preço do inversor de 5 kW" makes "inversor" context of the price question, not
a products cue. A domain whose vocabulary read constraints from the question (a power, a
category) has a weaker claim. The weights:

- a domain with a cue: 1.0 (several such domains share the top: "preço e garantia do inversor"
  gets prices and rules, interleaved);
- a domain whose vocabulary only understood something: ``UNDERSTOOD``;
- any other: ``OTHER``, so it still answers when nothing better does;
- no cue and nothing understood anywhere: 1.0 for all (plain fusion).

Matching is accent- and case-insensitive on whole words, a final "s" optional (garantias).
"""

from __future__ import annotations

import re
import unicodedata

UNDERSTOOD = 0.5
OTHER = 0.2
_WORD = re.compile(r"[^\W_]+|R\$")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    return [t[:-1] if len(t) > 3 and t.endswith("s") else t for t in _WORD.findall(_fold(text))]


def _has(tokens: list[str], cue: str) -> bool:
    phrase = _tokens(cue)
    n = len(phrase)
    return n > 0 and any(tokens[i:i + n] == phrase for i in range(len(tokens) - n + 1))


def cue_counts(question: str, cues: dict[str, tuple[str, ...]], refines: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Cue words of each domain found in ``question``, after refinement (a refining domain with
    a cue takes the cues of the domains it refines)."""
    tokens = _tokens(question)
    counts = {name: sum(_has(tokens, cue) for cue in words) for name, words in cues.items()}
    for name, refined in refines.items():
        if counts.get(name):
            for other in refined:
                if other in counts:
                    counts[name] += counts[other]
                    counts[other] = 0
    return counts


def domain_weights(question: str, cues: dict[str, tuple[str, ...]], refines: dict[str, tuple[str, ...]],
                   understood: set[str]) -> dict[str, float]:
    """A weight in (0, 1] per domain of ``cues`` for fusing their ranked lists."""
    counts = cue_counts(question, cues, refines)
    if not any(counts.values()) and not understood:
        return {name: 1.0 for name in cues}
    return {name: 1.0 if counts[name] else UNDERSTOOD if name in understood else OTHER for name in cues}
