"""PII redaction: true positives, true negatives, counts, idempotence, and the demo corpus."""

from __future__ import annotations

import re

import pytest

from helio_pipeline.lib.redaction import (
    REDACTOR_VERSION,
    RedactionResult,
    is_valid_cnpj,
    is_valid_cpf,
    luhn_ok,
    redact,
)

# Valid documents (check digits verified in test_validators).
CPF_A = "529.982.247-25"
CPF_B = "111.444.777-35"
CPF_A_RAW = "52998224725"
CNPJ_A = "11.222.333/0001-81"
CNPJ_B = "11.444.777/0001-61"
CNPJ_A_RAW = "11222333000181"
VISA = "4111 1111 1111 1111"
MASTER = "5555-5555-5555-4444"
AMEX = "3782 822463 10005"


def _cpf_dv(base9: str) -> str:
    d = [int(c) for c in base9]
    for weights_start in (10, 11):
        r = sum(v * w for v, w in zip(d, range(weights_start, 1, -1))) % 11
        d.append(0 if r < 2 else 11 - r)
    return "".join(map(str, d))


# ---------------------------------------------------------------------------
# Validators
# ---------------------------------------------------------------------------


def test_validators():
    assert is_valid_cpf(CPF_A) and is_valid_cpf(CPF_A_RAW) and is_valid_cpf(CPF_B)
    assert not is_valid_cpf("52998224724")
    assert not is_valid_cpf("11111111111")  # repeated digits pass the math but are invalid
    assert not is_valid_cpf("")
    assert not is_valid_cpf("5299822472")
    assert is_valid_cnpj(CNPJ_A) and is_valid_cnpj(CNPJ_A_RAW) and is_valid_cnpj(CNPJ_B)
    assert not is_valid_cnpj("11222333000182")
    assert not is_valid_cnpj("00000000000000")
    assert not is_valid_cnpj("1122233300018")
    assert is_valid_cnpj("12.ABC.345/01DE-35")  # alphanumeric CNPJ (2026 format)
    assert luhn_ok("4111111111111111") and luhn_ok("79927398713") and luhn_ok(AMEX)
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("") and not luhn_ok("abc")
    assert REDACTOR_VERSION == "2"


def test_identifiers_side_by_side_are_all_redacted():
    result = redact("meu cel e cpf: 11987654321 52998224725")
    assert result.text == "meu cel e cpf: [TELEFONE] [CPF]"
    assert result.counts == {"TELEFONE": 1, "CPF": 1}


# ---------------------------------------------------------------------------
# True positives
# ---------------------------------------------------------------------------

POSITIVES = [
    # e-mail
    ("Pode mandar a cotação para o e-mail joao.silva@gmail.com?",
     "Pode mandar a cotação para o e-mail [EMAIL]?", {"EMAIL": 1}),
    ("Manda no meu e-mail: Compras@Sol-Nascente.com.br, valeu",
     "Manda no meu e-mail: [EMAIL], valeu", {"EMAIL": 1}),
    ("Boleto e NF para financeiro@luzdosol.com.br e cópia p/ ana_paula+nf@yahoo.com.br.",
     "Boleto e NF para [EMAIL] e cópia p/ [EMAIL].", {"EMAIL": 2}),
    # CPF
    (f"A nota é no meu CPF mesmo: {CPF_A}.", "A nota é no meu CPF mesmo: [CPF].", {"CPF": 1}),
    (f"Sou Márcia Lima, CPF {CPF_A_RAW}. Pode fazer o cadastro.",
     "Sou Márcia Lima, CPF [CPF]. Pode fazer o cadastro.", {"CPF": 1}),
    (f"cadastra os dois: {CPF_A} e {CPF_B}", "cadastra os dois: [CPF] e [CPF]", {"CPF": 2}),
    ("Faturar para 529982247-25 por favor", "Faturar para [CPF] por favor", {"CPF": 1}),
    # CNPJ
    (f"Fatura no CNPJ {CNPJ_A} (Sol Forte Engenharia Ltda), por favor.",
     "Fatura no CNPJ [CNPJ] (Sol Forte Engenharia Ltda), por favor.", {"CNPJ": 1}),
    (f"Nosso cnpj é {CNPJ_A_RAW}.", "Nosso cnpj é [CNPJ].", {"CNPJ": 1}),
    (f"Matriz {CNPJ_A}, filial {CNPJ_B}", "Matriz [CNPJ], filial [CNPJ]", {"CNPJ": 2}),
    ("CNPJ novo: 12.ABC.345/01DE-35", "CNPJ novo: [CNPJ]", {"CNPJ": 1}),
    # phones
    ("Meu whats é (11) 98765-4321, se o consultor precisar falar comigo.",
     "Meu whats é [TELEFONE], se o consultor precisar falar comigo.", {"TELEFONE": 1}),
    ("Pode pedir pro comercial me ligar no +55 11 98765-4321?",
     "Pode pedir pro comercial me ligar no [TELEFONE]?", {"TELEFONE": 1}),
    ("Anota: 11 98765-4321.", "Anota: [TELEFONE].", {"TELEFONE": 1}),
    ("me chama no 11987654321", "me chama no [TELEFONE]", {"TELEFONE": 1}),
    ("Fixo da loja (81) 3456-7890, falar com a Débora", "Fixo da loja [TELEFONE], falar com a Débora",
     {"TELEFONE": 1}),
    ("Contato +5581976034992.", "Contato [TELEFONE].", {"TELEFONE": 1}),
    ("liga no 021 99873-8452 ou 55 21 3456-7890", "liga no [TELEFONE] ou [TELEFONE]", {"TELEFONE": 2}),
    ("Quem recebe é Carla, telefone (77) 97028 4254.", "Quem recebe é Carla, telefone [TELEFONE].",
     {"TELEFONE": 1}),
    ("cel 11 9 8765-4321", "cel [TELEFONE]", {"TELEFONE": 1}),
    ("whats 98765-4321", "whats [TELEFONE]", {"TELEFONE": 1}),
    ("Tel: (11) 3456-7890 / 98765-4321", "Tel: [TELEFONE] / [TELEFONE]", {"TELEFONE": 2}),
    ("fone 8134567890", "fone [TELEFONE]", {"TELEFONE": 1}),
    # cards
    (f"Paga no cartão {VISA}, validade 12/28", "Paga no cartão [CARTAO], validade 12/28", {"CARTAO": 1}),
    (f"cartao {MASTER}", "cartao [CARTAO]", {"CARTAO": 1}),
    (f"amex {AMEX} ok", "amex [CARTAO] ok", {"CARTAO": 1}),
    ("numero 4111111111111111", "numero [CARTAO]", {"CARTAO": 1}),
    # CEP (labeled only)
    ("Entrega na Avenida Brasil, 120 - Centro, São Paulo/SP, CEP 01310-100.",
     "Entrega na Avenida Brasil, 120 - Centro, São Paulo/SP, CEP [CEP].", {"CEP": 1}),
    ("cep: 01310100", "cep: [CEP]", {"CEP": 1}),
    ("CEP de entrega 50.030-230", "CEP de entrega [CEP]", {"CEP": 1}),
    # RG (labeled only)
    ("RG 12.345.678-9 SSP/SP", "RG [RG] SSP/SP", {"RG": 1}),
    ("RG: 123456789", "RG: [RG]", {"RG": 1}),
    ("meu rg é MG-12.345.678", "meu rg é [RG]", {"RG": 1}),
    ("identidade nº 12.345.678-X", "identidade nº [RG]", {"RG": 1}),
]


@pytest.mark.parametrize("text,expected,counts", POSITIVES)
def test_true_positives(text, expected, counts):
    result = redact(text)
    assert isinstance(result, RedactionResult)
    assert result.text == expected
    assert result.counts == counts


def test_mixed_message_counts():
    text = (
        f"Faturamento em nome de Fábio Rocha, CPF {CPF_A}, e-mail fabio.rocha@hotmail.com.\n"
        f"Empresa: Girassol Sul Instalações Ltda, CNPJ {CNPJ_A_RAW}. Financeiro: financeiro@girassolsul.com.br\n"
        "Entrega: Rua Tiradentes, 1500 - Centro, Curitiba/PR, CEP 81010-300. "
        "Quem recebe é o Fábio, telefone (41) 99123-4567 ou fixo 41 3344-5566. "
        f"RG 12.345.678-9. Sinal no cartão {VISA}. "
        "Pedido PV-26061196 com 24 módulos CS6U-330P a R$ 1.234,56."
    )
    result = redact(text)
    assert result.counts == {"EMAIL": 2, "CPF": 1, "CNPJ": 1, "CEP": 1, "TELEFONE": 2, "RG": 1, "CARTAO": 1}
    assert "Pedido PV-26061196 com 24 módulos CS6U-330P a R$ 1.234,56." in result.text
    assert "Rua Tiradentes, 1500 - Centro, Curitiba/PR, CEP [CEP]." in result.text
    for leaked in (CPF_A, CNPJ_A_RAW, "99123-4567", "3344-5566", "12.345.678-9", "1111", "@"):
        assert leaked not in result.text


def test_cpf_versus_mobile_decided_by_check_digits():
    # Shaped like a mobile (DDD 11 + 9 + 8 digits) but with valid CPF check digits: CPF wins.
    cpf_like_mobile = _cpf_dv("119876543")
    assert is_valid_cpf(cpf_like_mobile) and cpf_like_mobile[2] == "9"
    assert redact(f"número {cpf_like_mobile}").counts == {"CPF": 1}
    # Same shape, check digits invalid: it is a phone.
    assert not is_valid_cpf("11987654321")
    assert redact("número 11987654321").counts == {"TELEFONE": 1}


def test_labeled_but_mistyped_documents_are_still_redacted():
    assert not is_valid_cpf("123.456.789-00") and not is_valid_cnpj("12.345.678/0001-00")
    assert redact("CPF 123.456.789-00").text == "CPF [CPF]"
    assert redact("CNPJ: 12.345.678/0001-00").text == "CNPJ: [CNPJ]"


# ---------------------------------------------------------------------------
# True negatives
# ---------------------------------------------------------------------------

NEGATIVES = [
    "R$ 1.234,56",
    "Total: R$ 18.657,63 à vista",
    "compromisso de R$ 150.000,00 em compras por trimestre",
    "R$ 274.259,40 cada, R$ 1.234.567,89 no total",
    "Canadian Solar Inc. CS6U-330P",
    "inversor PVI-50-KW-480",
    "microinversor MICRO-0.25-I-OUTD-US-208",
    "SunPower SPR-X21-345",
    "A10J-S72-175 e JKM320PP-72",
    "ABB: PVI-3.6-OUTD-S-US-Z [240V] (PVI-3600-OUTD-S-US-Z@240V)",
    "Fronius Primo 3.8-1 208-240 [208V]",
    "número de série SHE654283262 e NF-e 704325",
    "entrega em 12/03/2026",
    "vigência 2026-10-01 a 2026-12-31",
    "às 14:30",
    "módulo de 550 W",
    "usina de 50 kWp",
    "inversor de 5.000 W",
    "120 unidades",
    "pedido PV-26061196",
    "pedido 26061196",
    "protocolo RMA-2606-5860",
    "Rua das Palmeiras, 01310-100",  # CEP without the word CEP
    "desconto de 3,5% e 12%",
    "NF 000123456",
    "NCM 8541.43.00",
    "Portaria 140/2022",
    "ligação 380/220 V",
    "parcelas 28/56/84",
    "quantidades 10 12 14 16 20 24 31 36 40 62 72 108 155",
    "código 12345678901",  # 11 digits, invalid CPF, not a phone (no DDD 12 + 9)
    "lote 12345678901234",  # 14 digits, invalid CNPJ
    "SAC 0800 723 2171",  # company number
    "ligue 0800-723-2171",
    "tracking 1234567890123456",  # 16 digits, Luhn-invalid
    "chave NF-e 3526 0612 3456 7800 0195 5500 1000 1234 5612 3456 7890",
    "a distribuidora RGE atende Caxias do Sul",
    "2024-2025",
    "inversor AE-3TL-10-10@240V",
    "",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_true_negatives(text):
    result = redact(text)
    assert result.text == text
    assert result.counts == {}


def test_negatives_in_a_sentence_with_pii_stay_intact():
    text = (
        f"Fecho 36 placas CS6U-330P por R$ 18.657,63 (pedido 26061196, NF 000123456) "
        f"e entrego 12/03/2026 às 14:30. CPF {CPF_A}."
    )
    assert redact(text).text == text.replace(CPF_A, "[CPF]")


# ---------------------------------------------------------------------------
# Idempotence and input handling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", [p[0] for p in POSITIVES] + NEGATIVES)
def test_idempotent(text):
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.counts == {}


def test_input_handling():
    assert redact("").text == "" and redact("").counts == {}
    with pytest.raises(TypeError):
        redact(123)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# The generated demo corpus
# ---------------------------------------------------------------------------

_DOC_TOKEN = re.compile(r"[0-9A-Z][0-9A-Z./-]*[0-9]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_PHONE_LIKE = re.compile(r"(?<![\w.-])(?:\+?55[ .-]?)?\(?0?\d{2}\)?[ .-]?(?:9[ .]?)?\d{4}[ .-]?\d{4}(?![\w])")


@pytest.fixture(scope="module")
def corpus():
    from helio_pipeline.demo.catalog_data import load_catalog
    from helio_pipeline.demo.conversations import generate_conversations

    catalog = load_catalog(200)
    return catalog, generate_conversations(catalog, 320)


def _leaks(text: str) -> list[str]:
    found = []
    for tok in _DOC_TOKEN.findall(text):
        digits = re.sub(r"[./-]", "", tok)
        for n, valid in ((11, is_valid_cpf), (14, is_valid_cnpj)):
            for i in range(len(digits) - n + 1):
                window = digits[i : i + n]
                if window.isdigit() and valid(window):
                    found.append(tok)
    found += _EMAIL.findall(text)
    found += [m.group() for m in _PHONE_LIKE.finditer(text) if sum(c.isdigit() for c in m.group()) >= 10]
    return found


def test_corpus_has_no_pii_left_and_keeps_products(corpus):
    catalog, conversations = corpus
    totals: dict[str, int] = {}
    names = [p["name"] for p in catalog]
    checked_skus = 0
    originals_with_leaks = 0
    for conv in conversations:
        for msg in conv["messages"]:
            original = msg["content"]
            originals_with_leaks += bool(_leaks(original))
            result = redact(original)
            for kind, n in result.counts.items():
                totals[kind] = totals.get(kind, 0) + n
            assert not _leaks(result.text), (conv["correlation_id"], result.text)
            # Redacting again changes nothing.
            assert redact(result.text).text == result.text
            # Messages the generator marks as PII-free are untouched; PII ones always change.
            if msg["metadata"].get("contains_pii"):
                assert result.text != original, original
            else:
                assert result.text == original, (original, result.text)
            for sku in msg["metadata"].get("skus", []):
                if sku in original:
                    assert sku in result.text, (sku, result.text)
                    checked_skus += 1
            for name in names:
                if name in original:
                    assert name in result.text, (name, result.text)
    assert checked_skus > 50
    assert originals_with_leaks > 100  # the leak detector itself does see the raw PII
    for kind in ("EMAIL", "TELEFONE", "CPF", "CNPJ", "CEP"):
        assert totals.get(kind, 0) > 0, totals


def test_catalog_names_and_skus_untouched(corpus):
    catalog, _ = corpus
    for product in catalog:
        for key in ("sku", "name", "description"):
            assert redact(product[key]).text == product[key]


def test_skipping_rules_that_cannot_match_changes_nothing(corpus, monkeypatch):
    """A rule is not run on a text with fewer digits than its matches hold, an e-mail rule on
    a text without '@', nor the second phone pass after a first that replaced nothing: the
    result equals running every rule, over the demo corpus and identifiers written with digits
    of other scripts."""
    from helio_pipeline.lib import redaction

    texts = [m["content"] for conv in corpus[1] for m in conv["messages"]]
    texts += ["bom dia, tem inversor híbrido?", "CPF ５２９.９８２.２４７-２５", "tel ٩٨٧٦٥-٤٣٢١", "joana＠example.com",
              "e-mail: joana@example.com", "", "RG do titular: MG-12.345.678", f"CNPJ {CNPJ_A} e {VISA}",
              "CNPJ AB.CDE.FGH/IJKL-80", "CEP 01310-100, tel (11) 3456-7890 / 98765-4321",
              # each with exactly the fewest digits its rule's matches hold
              "CEP 01310-100", "fone 3456-7890", "RG 12.345", "cartão 4222222222222", f"CPF {CPF_A}",
              # numbers a phone pass leaves alone until the one before them is a placeholder
              "pedido 3456-7890", "Tel: (11) 3456-7890 / 98765-4321", "ramal 98765-4321 e 3456-7890"]
    fast = [redact(text) for text in texts]
    assert any(result.counts for result in fast) and any(not result.counts for result in fast)
    assert any(result.counts.get("TELEFONE", 0) >= 2 for result in fast)  # numbers side by side are in it

    ran = []
    original = redaction._needed

    def every_rule(*args):
        ran.append(original(*args))
        return True

    monkeypatch.setattr(redaction, "_needed", every_rule)
    assert [redact(text) for text in texts] == fast
    assert ran.count(False) > len(texts)  # many runs were skipped in the fast path, and changed nothing
