"""PII redaction for customer conversation text (pt-BR), applied before embedding and storage.

Pure standard library. ``redact(text)`` replaces personal data with typed placeholders and
reports how many of each it replaced:

=========  ==================================================================================
EMAIL      ``nome.sobrenome@dominio.com.br``
CNPJ       ``12.345.678/0001-95`` / ``12345678000195`` (check digits validated; the formatted
           alphanumeric CNPJ introduced in 2026, ``12.ABC.345/01DE-35``, is validated too)
CPF        ``123.456.789-09`` / ``12345678909`` (check digits validated)
CARTAO     13–19 digits, contiguous or grouped by spaces/dashes; Luhn-valid and with a
           plausible issuer prefix for its length
RG         only after the label ``RG`` / ``identidade``: ``RG 12.345.678-9``, ``RG: 123456789``
CEP        only after the label ``CEP``: ``CEP 01310-100``
TELEFONE   Brazilian numbers with a real DDD: ``(11) 98765-4321``, ``+55 11 98765-4321``,
           ``11 98765-4321``, ``11987654321``, ``(81) 3456-7890``, ``011 98765-4321``;
           numbers without a DDD (``98765-4321``) or unformatted 10-digit landlines only
           right after a phone word (telefone, whats, celular, ...). ``0800``/``0300`` numbers
           are company numbers and are left alone.
=========  ==================================================================================

Design notes
------------
* Rules run in a fixed order (e-mail, CNPJ, CPF, card, RG, CEP, phone) so a longer/validated
  identifier is claimed before its digits could be read as a phone number. An 11-digit string
  becomes ``[CPF]`` only if its check digits are valid; otherwise it may still be a mobile
  number (DDD + 9 + 8 digits).
* Every numeric rule is anchored so it never starts or ends inside a larger token: not after a
  letter/digit, not after ``PV-``/``RMA-``-like code prefixes, not inside ``8541.43.00`` or a
  longer run of digit groups, and not followed by more digits. Product codes, order numbers,
  NF numbers, dates, prices and measurements are therefore untouched.
* A CPF/CNPJ that fails its check digits is kept, except when it sits right after its own label
  (``CPF 123.456.789-00``): a mistyped document number is still personal data.
* Labels (``CEP``, ``RG``) are kept; only the value is replaced (``CEP [CEP]``).
* Placeholders contain no digits or ``@``, so ``redact`` is idempotent.

``REDACTOR_VERSION`` is part of chunk content hashes: bump it whenever a rule changes.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

__all__ = [
    "REDACTOR_VERSION",
    "PLACEHOLDERS",
    "RedactionResult",
    "redact",
    "is_valid_cpf",
    "is_valid_cnpj",
    "luhn_ok",
    "redact_text",
    "redact_escaped",
    "redact_record",
]

REDACTOR_VERSION = "2"  # 2: a second pass for identifiers side by side

PLACEHOLDERS = {
    "EMAIL": "[EMAIL]",
    "TELEFONE": "[TELEFONE]",
    "CPF": "[CPF]",
    "CNPJ": "[CNPJ]",
    "CARTAO": "[CARTAO]",
    "CEP": "[CEP]",
    "RG": "[RG]",
}


@dataclass
class RedactionResult:
    text: str
    counts: dict[str, int] = field(default_factory=dict)  # only types that occurred, e.g. {"EMAIL": 1}


# ---------------------------------------------------------------------------
# Validators
# ---------------------------------------------------------------------------

_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_DOC_PUNCT = re.compile(r"[\s./-]")


def _mod11(values: list[int], weights) -> int:
    remainder = sum(v * w for v, w in zip(values, weights)) % 11
    return 0 if remainder < 2 else 11 - remainder


def is_valid_cpf(digits: str) -> bool:
    """True for an 11-digit CPF (punctuation ``.``/``-`` allowed) with valid check digits."""
    s = _DOC_PUNCT.sub("", digits or "")
    if not re.fullmatch(r"\d{11}", s) or len(set(s)) == 1:
        return False
    d = [int(c) for c in s]
    return d[9] == _mod11(d[:9], range(10, 1, -1)) and d[10] == _mod11(d[:10], range(11, 1, -1))


def is_valid_cnpj(digits: str) -> bool:
    """True for a 14-character CNPJ (punctuation allowed) with valid check digits.

    Accepts the alphanumeric CNPJ (first 12 characters ``[0-9A-Z]``, value = ASCII - 48),
    which for all-digit input is the classic algorithm.
    """
    s = _DOC_PUNCT.sub("", digits or "").upper()
    if not re.fullmatch(r"[0-9A-Z]{12}\d{2}", s) or len(set(s)) == 1:
        return False
    v = [ord(c) - 48 for c in s]
    return v[12] == _mod11(v[:12], _CNPJ_W1) and v[13] == _mod11(v[:13], _CNPJ_W2)


def luhn_ok(digits: str) -> bool:
    """Luhn checksum over the digits (spaces and dashes ignored)."""
    s = re.sub(r"[\s-]", "", digits or "")
    if len(s) < 2 or not s.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(s)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _plausible_card(digits: str) -> bool:
    """Length/issuer-prefix sanity on top of Luhn (cuts false positives on random digit runs)."""
    n = len(digits)
    if not 13 <= n <= 19 or len(set(digits)) == 1:
        return False
    if n == 13:
        ok = digits[0] == "4"  # old Visa
    elif n == 14:
        ok = digits[:2] in ("30", "36", "38", "39")  # Diners
    elif n == 15:
        ok = digits[:2] in ("34", "37")  # Amex
    elif n == 16:
        ok = digits[0] in "23456"  # Visa, Mastercard (2/5), Elo, Hipercard, Discover, JCB...
    else:
        ok = digits[0] in "456"  # Visa 19, Maestro, UnionPay
    return ok and luhn_ok(digits)


# ---------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------

# Not glued to a previous token: not after a word char (º/ª allowed: "nº12..."), '+', '@', a
# digit followed by . , / - (inside 1.234.567 / 140/2022), a code prefix ("PV-", "RMA-"), or
# a digit and one space (inside a longer run of digit groups).
_LB = r"(?<![^\Wºª])(?<![+@])(?<!\d[-.,/])(?<![^\W_][-/_])(?<!\d[ \t\u00a0])"
# Not continued: no word char or '@' next, no ". , / -" followed by a digit, no "-"/"/" + letter.
_RB = r"(?![\w@])(?![-.,/]\d)(?![-/][^\W_])"

_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w%+-][\w.%+-]*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])"
)

_CNPJ_RE = re.compile(
    _LB
    + r"(?:\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}"
    + r"|[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-\d{2})"
    + _RB
)

_CPF_RE = re.compile(
    _LB
    + r"(?:\d{3}\.\d{3}\.\d{3}[-.]?\d{2}|\d{3} \d{3} \d{3}[- ]?\d{2}|\d{9}-?\d{2})"
    + _RB
    + r"(?![ \t]\d)"
)

_CARD_RE = re.compile(
    _LB
    + r"(?:\d{13,19}"
    + r"|\d{4}(?P<s1>[ -])\d{4}(?P=s1)\d{4}(?P=s1)\d{4}(?:(?P=s1)\d{3})?"  # 16 / 19 grouped 4-4-4-4(-3)
    + r"|\d{4}(?P<s2>[ -])\d{6}(?P=s2)\d{4,5}"  # Amex 4-6-5, Diners 4-6-4
    + r"|\d{4}(?P<s3>[ -])\d{4}(?P=s3)\d{4}(?P=s3)\d{1,3})"  # 13-15 grouped
    + _RB
    + r"(?![ \t]\d{4})"
)

# Labeled values: the label, then at most a few words on the same clause ("RG do titular:",
# "CEP de entrega"), then the value. Only the value is replaced.
_RG_RE = re.compile(
    r"(?P<label>\b(?i:rg|identidade)\b[^\d\n.?!;]{0,20}?)"
    r"(?P<value>(?<![\w.])(?:[A-Z]{2}-?)?\d{1,3}(?:\.?\d{3}){1,3}(?:-?[\dXx])?(?![\w@])(?![-.,/]\d))"
)

_CEP_RE = re.compile(
    r"(?P<label>\b(?i:cep)\b[^\d\n.?!;]{0,20}?)"
    r"(?P<value>(?<![\w.])\d{2}\.?\d{3}-?\d{3}(?![\w@])(?![-.,/]\d))"
)

# Brazilian area codes (DDD) in use.
_DDDS = (
    "11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38 41 42 43 44 45 46 47 48 49 "
    "51 53 54 55 61 62 63 64 65 66 67 68 69 71 73 74 75 77 79 81 82 83 84 85 86 87 88 89 "
    "91 92 93 94 95 96 97 98 99"
).split()
_DDD = "(?:" + "|".join(_DDDS) + ")"

_PHONE_RE = re.compile(
    r"(?<![^\Wºª])(?<![+@])(?<!\d[-.,])(?<![^\W_][-_])(?<!\d[ \t\u00a0])"
    r"(?P<prefix>"
    r"(?:(?P<cc>\+[ \t]?55|0055|55)[ \t.-]{0,2})?"
    rf"(?:\([ \t]?0?(?P<ddd1>{_DDD})[ \t]?\)|(?P<trunk>0)?(?P<ddd2>{_DDD}))"
    r"[ \t.-]{0,2}"
    r")?"
    r"(?P<num>9[ .]?\d{4}|[2-5]\d{3})[ .-]?\d{4}"
    + _RB
)

_PHONE_WORDS = re.compile(
    r"(?i)\b(?:tel|tels|telefone|telefones|fone|celular|cel|whats|whatsapp|zap|wpp|ligar|liga|ligue|"
    r"contato|recado)\b[^\d\n]{0,25}$"
)
_CPF_LABEL = re.compile(
    r"(?i)\bcpf\b(?:[ \t]*(?:[:#.\-]|n[º°o]\.?|(?:n[uú]mero|é|e|do|da|de|meu|mesmo|seria|segue)\b))*[ \t]*$"
)
_CNPJ_LABEL = re.compile(
    r"(?i)\bcnpj\b(?:[ \t]*(?:[:#.\-]|n[º°o]\.?|(?:n[uú]mero|é|e|do|da|de|nosso|seria|segue)\b))*[ \t]*$"
)


def _before(m: re.Match, width: int = 40) -> str:
    return m.string[max(0, m.start() - width) : m.start()]


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def _cnpj(m: re.Match) -> bool:
    return is_valid_cnpj(m.group()) or (
        re.fullmatch(r"[\d./-]+", m.group()) is not None and bool(_CNPJ_LABEL.search(_before(m)))
    )


def _cpf(m: re.Match) -> bool:
    return is_valid_cpf(m.group()) or bool(_CPF_LABEL.search(_before(m)))


def _card(m: re.Match) -> bool:
    return _plausible_card(re.sub(r"\D", "", m.group()))


def _phone(m: re.Match) -> bool:
    raw = m.group()
    has_ddd = bool(m.group("ddd1") or m.group("ddd2"))
    mobile = m.group("num")[0] == "9" and len(re.sub(r"\D", "", m.group("num"))) == 5
    if not has_ddd:
        # "98765-4321" / "3456-7890": too ambiguous without a phone word right before it.
        return bool(_PHONE_WORDS.search(_before(m)))
    if mobile:
        return True
    # Landline with DDD: formatted is enough; a bare 10/12-digit run needs '+' or a phone word.
    formatted = bool(re.search(r"[^\d]", raw.lstrip("+"))) or raw.startswith("+")
    return formatted or bool(_PHONE_WORDS.search(_before(m)))


# (kind, pattern, accept, group to replace, fewest digits a match holds)
_Rule = tuple[str, re.Pattern, Callable[[re.Match], bool] | None, str | None, int]

_RULES: list[_Rule] = [
    ("EMAIL", _EMAIL_RE, None, None, 0),      # needs an '@' instead
    ("CNPJ", _CNPJ_RE, _cnpj, None, 2),       # the alphanumeric form ends in 2 digits
    ("CPF", _CPF_RE, _cpf, None, 11),
    ("CARTAO", _CARD_RE, _card, None, 13),
    ("RG", _RG_RE, lambda m: sum(c.isdigit() for c in m.group("value")) >= 5, "value", 5),
    ("CEP", _CEP_RE, None, "value", 8),
    ("TELEFONE", _PHONE_RE, _phone, None, 8),
    # Second phone pass: a number without DDD right after an already-redacted one
    # ("Tel: (11) 3456-7890 / 98765-4321") sees its phone word once the first is a placeholder.
    ("TELEFONE", _PHONE_RE, _phone, None, 8),
]


# Every rule needs an '@' (e-mails) or some digits (``\d``, as the rules read it: any Unicode
# digit) to match. A rule is not run on a text with fewer digits than any of its matches holds
# (replacements only remove digits), so most chat turns ("bom dia, tem inversor de 5 kW?")
# are read by one or two rules instead of eight, with the same result. The second phone pass
# only runs after the first replaced something: on the same text it would find the same
# numbers, and reject them the same way.
_DIGIT = re.compile(r"\d")


def _needed(kind: str, fewest: int, digits: int, at: bool, phone_replaced: bool | None) -> bool:
    """Whether a rule can change the text (see above); False only where it cannot."""
    if digits < fewest or (kind == "EMAIL" and not at):
        return False
    return not (kind == "TELEFONE" and phone_replaced is False)


def redact(text: str) -> RedactionResult:
    """Replace e-mails, phones, CPF, CNPJ, cards, labeled RG and labeled CEP with placeholders.

    A second pass runs when the first replaced something: two identifiers side by side
    ("11987654321 52998224725") read as one run of digit groups until the first is a
    placeholder."""
    first = _redact_once(text)
    if not first.counts:
        return first
    second = _redact_once(first.text)
    return RedactionResult(second.text, dict(Counter(first.counts) + Counter(second.counts)))


def _redact_once(text: str) -> RedactionResult:
    if text is None:
        return RedactionResult("", {})
    if not isinstance(text, str):
        raise TypeError(f"redact() expects str, got {type(text).__name__}")
    counts: Counter[str] = Counter()
    digits, at = len(_DIGIT.findall(text)), "@" in text
    phone_replaced = None  # after the first phone pass: whether it replaced any number
    for kind, pattern, accept, group, fewest in _RULES:
        if not _needed(kind, fewest, digits, at, phone_replaced):
            if kind == "TELEFONE":
                phone_replaced = False if phone_replaced is None else phone_replaced
            continue  # it cannot match (see _DIGIT)
        placeholder = PLACEHOLDERS[kind]
        before = counts[kind]

        def _sub(m: re.Match, kind=kind, accept=accept, group=group, placeholder=placeholder) -> str:
            if accept is not None and not accept(m):
                return m.group()
            counts[kind] += 1
            if group is None:
                return placeholder
            whole, start = m.group(), m.start()
            return whole[: m.start(group) - start] + placeholder + whole[m.end(group) - start :]

        text = pattern.sub(_sub, text)
        if kind == "TELEFONE" and phone_replaced is None:
            phone_replaced = counts[kind] > before
    return RedactionResult(text, dict(counts))


def redact_text(text) -> str:
    """``redact(text).text`` for any value: what may be printed, logged or stored of text that
    came from a domain holding personal data (error messages and quarantine rows included)."""
    if text is None:
        return ""
    return redact(text if isinstance(text, str) else str(text)).text


# escapes as they appear in a quoted or JSON-dumped line: "\n", "\u00e9", "\x00"
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|[nrtbf0])")


def _unescaped(text: str) -> str:
    """``text`` with escape sequences read back (a JSON ``\u00e9`` as ``é``) or turned into a
    space (``\n``, ``\x00``): a phone right after ``\n`` in a dumped line is glued to the
    ``n`` otherwise, and the rules never start inside a word."""
    def back(m: re.Match) -> str:
        code = m.group(1) or m.group(2)
        char = chr(int(code, 16)) if code else " "
        return char if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF else " "
    return _ESCAPE.sub(back, text)


def redact_escaped(text) -> str:
    """``redact_text`` for text that may hold escapes (quarantined raw lines, ``repr`` in error
    messages): escapes are read back first, so they cannot hide personal data. Text in which
    nothing is found keeps its escapes visible (a quarantined ``\\ud800`` says what was wrong)."""
    text = text if isinstance(text, str) else "" if text is None else str(text)
    read_back = redact(_unescaped(text))
    return read_back.text if read_back.counts else redact_text(text)


def redact_record(record, fields: tuple[str, ...] = ("source", "location", "reason", "raw")):
    """A copy of a dataclass record (a quarantine ``Problem``) with its text fields redacted."""
    return dataclasses.replace(record, **{f: redact_escaped(getattr(record, f)) for f in fields
                                          if isinstance(getattr(record, f, None), str)})
