"""Gerador determinístico de conversas de atendimento (conteúdo de demonstração).

Simula conversas em português do Brasil entre clientes (integradores, revendas,
lojas e pessoas físicas) e o assistente virtual "Hélio" da Helio Solar
Distribuidora, sempre sobre produtos reais do catálogo recebido.

Nomes públicos:

- ``generate_conversations(products, n=320, seed=42) -> list[dict]``
- ``cpf_with_check_digits(rng) -> str``   (11 dígitos, sem máscara)
- ``cnpj_with_check_digits(rng) -> str``  (14 dígitos, sem máscara)
- ``format_cpf(digits) -> str`` / ``format_cnpj(digits) -> str``
- ``is_valid_cpf(value) -> bool`` / ``is_valid_cnpj(value) -> bool``

Somente biblioteca padrão; toda aleatoriedade vem de ``random.Random`` com
semente fixa, então as mesmas entradas produzem exatamente a mesma saída.
Cerca de 40% das conversas contêm dados pessoais fictícios (e-mail, telefone,
CPF/CNPJ com dígitos verificadores válidos, endereço), úteis para testar
mascaramento de PII.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

__all__ = [
    "generate_conversations",
    "cpf_with_check_digits",
    "cnpj_with_check_digits",
    "format_cpf",
    "format_cnpj",
    "is_valid_cpf",
    "is_valid_cnpj",
]

_PERIOD_START = datetime(2026, 6, 1, tzinfo=timezone.utc)
_PERIOD_DAYS = 153  # 2026-06-01 .. 2026-10-31, inclusive
_PII_RATE = 0.40

# ---------------------------------------------------------------------------
# CPF / CNPJ
# ---------------------------------------------------------------------------

_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def _mod11_digit(digits: list[int], weights: tuple[int, ...] | range) -> int:
    remainder = sum(d * w for d, w in zip(digits, weights)) % 11
    return 0 if remainder < 2 else 11 - remainder


def cpf_with_check_digits(rng: random.Random) -> str:
    """Return a random CPF (11 digits, no mask) with valid check digits."""
    while True:
        base = [rng.randrange(10) for _ in range(9)]
        if len(set(base)) > 1:  # 000.000.000-00, 111..., etc. are invalid
            break
    d1 = _mod11_digit(base, range(10, 1, -1))
    d2 = _mod11_digit(base + [d1], range(11, 1, -1))
    return "".join(str(d) for d in base + [d1, d2])


def cnpj_with_check_digits(rng: random.Random) -> str:
    """Return a random CNPJ (14 digits, no mask) with valid check digits."""
    while True:
        root = [rng.randrange(10) for _ in range(8)]
        if len(set(root)) > 1:
            break
    branch = [0, 0, 0, 1] if rng.random() < 0.85 else [0, 0, 0, rng.randint(2, 4)]
    base = root + branch
    d1 = _mod11_digit(base, _CNPJ_W1)
    d2 = _mod11_digit(base + [d1], _CNPJ_W2)
    return "".join(str(d) for d in base + [d1, d2])


def format_cpf(digits: str) -> str:
    d = re.sub(r"\D", "", digits)
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


def format_cnpj(digits: str) -> str:
    d = re.sub(r"\D", "", digits)
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"


def is_valid_cpf(value: str) -> bool:
    d = [int(c) for c in re.sub(r"\D", "", value)]
    if len(d) != 11 or len(set(d)) == 1:
        return False
    return d[9] == _mod11_digit(d[:9], range(10, 1, -1)) and d[10] == _mod11_digit(
        d[:10], range(11, 1, -1)
    )


def is_valid_cnpj(value: str) -> bool:
    d = [int(c) for c in re.sub(r"\D", "", value)]
    if len(d) != 14 or len(set(d)) == 1:
        return False
    return d[12] == _mod11_digit(d[:12], _CNPJ_W1) and d[13] == _mod11_digit(d[:13], _CNPJ_W2)


# ---------------------------------------------------------------------------
# Dados de referência (cidades, distribuidoras, nomes)
# ---------------------------------------------------------------------------

# (cidade, UF, DDD, prefixo de CEP, região)
_CITIES: list[tuple[str, str, str, str, str]] = [
    ("São Paulo", "SP", "11", "041", "SE"),
    ("Guarulhos", "SP", "11", "070", "SE"),
    ("Campinas", "SP", "19", "130", "SE"),
    ("Ribeirão Preto", "SP", "16", "140", "SE"),
    ("Sorocaba", "SP", "15", "180", "SE"),
    ("São José dos Campos", "SP", "12", "122", "SE"),
    ("Rio de Janeiro", "RJ", "21", "220", "SE"),
    ("Niterói", "RJ", "21", "240", "SE"),
    ("Belo Horizonte", "MG", "31", "301", "SE"),
    ("Uberlândia", "MG", "34", "384", "SE"),
    ("Montes Claros", "MG", "38", "394", "SE"),
    ("Juiz de Fora", "MG", "32", "360", "SE"),
    ("Vitória", "ES", "27", "290", "SE"),
    ("Curitiba", "PR", "41", "810", "S"),
    ("Londrina", "PR", "43", "860", "S"),
    ("Maringá", "PR", "44", "870", "S"),
    ("Cascavel", "PR", "45", "858", "S"),
    ("Florianópolis", "SC", "48", "880", "S"),
    ("Joinville", "SC", "47", "892", "S"),
    ("Chapecó", "SC", "49", "898", "S"),
    ("Porto Alegre", "RS", "51", "900", "S"),
    ("Caxias do Sul", "RS", "54", "950", "S"),
    ("Passo Fundo", "RS", "54", "990", "S"),
    ("Goiânia", "GO", "62", "740", "CO"),
    ("Rio Verde", "GO", "64", "759", "CO"),
    ("Brasília", "DF", "61", "700", "CO"),
    ("Campo Grande", "MS", "67", "790", "CO"),
    ("Dourados", "MS", "67", "798", "CO"),
    ("Cuiabá", "MT", "65", "780", "CO"),
    ("Sinop", "MT", "66", "785", "CO"),
    ("Palmas", "TO", "63", "770", "N"),
    ("Recife", "PE", "81", "500", "NE"),
    ("Caruaru", "PE", "81", "550", "NE"),
    ("Petrolina", "PE", "87", "563", "NE"),
    ("João Pessoa", "PB", "83", "580", "NE"),
    ("Natal", "RN", "84", "590", "NE"),
    ("Mossoró", "RN", "84", "596", "NE"),
    ("Maceió", "AL", "82", "570", "NE"),
    ("Fortaleza", "CE", "85", "600", "NE"),
    ("Juazeiro do Norte", "CE", "88", "630", "NE"),
    ("Aracaju", "SE", "79", "490", "NE"),
    ("Salvador", "BA", "71", "410", "NE"),
    ("Feira de Santana", "BA", "75", "440", "NE"),
    ("Barreiras", "BA", "77", "478", "NE"),
    ("Teresina", "PI", "86", "640", "NE"),
    ("São Luís", "MA", "98", "650", "NE"),
    ("Imperatriz", "MA", "99", "659", "NE"),
    ("Porto Velho", "RO", "69", "768", "N"),
    ("Rio Branco", "AC", "68", "699", "N"),
    ("Belém", "PA", "91", "660", "N"),
    ("Marabá", "PA", "94", "685", "N"),
    ("Manaus", "AM", "92", "690", "N"),
    ("Macapá", "AP", "96", "689", "N"),
    ("Boa Vista", "RR", "95", "693", "N"),
]

_METRO_FAST = {"São Paulo", "Guarulhos", "Recife"}

_DISTRIBUTOR_BY_UF = {
    "SP": "CPFL Paulista", "RJ": "Light", "MG": "Cemig", "ES": "EDP Espírito Santo",
    "PR": "Copel", "SC": "Celesc", "RS": "RGE", "GO": "Equatorial Goiás",
    "DF": "Neoenergia Brasília", "MS": "Energisa MS", "MT": "Energisa MT", "TO": "Energisa TO",
    "PE": "Neoenergia Pernambuco", "PB": "Energisa Paraíba", "RN": "Neoenergia Cosern",
    "AL": "Equatorial Alagoas", "CE": "Enel Ceará", "SE": "Energisa Sergipe",
    "BA": "Neoenergia Coelba", "PI": "Equatorial Piauí", "MA": "Equatorial Maranhão",
    "RO": "Energisa Rondônia", "AC": "Energisa Acre", "PA": "Equatorial Pará",
    "AM": "Amazonas Energia", "AP": "CEA Equatorial", "RR": "Roraima Energia",
}
_DISTRIBUTOR_BY_CITY = {
    "São Paulo": "Enel SP", "Guarulhos": "EDP São Paulo", "São José dos Campos": "EDP São Paulo",
    "Sorocaba": "CPFL Piratininga", "Niterói": "Enel Rio", "Porto Alegre": "CEEE Equatorial",
}

_HSP_BY_REGION = {"S": 4.4, "SE": 5.0, "CO": 5.4, "NE": 5.6, "N": 4.8}

_FIRST_NAMES = [
    "João", "José", "Antônio", "Márcia", "Luíza", "Fábio", "Cláudio", "Sérgio", "Patrícia",
    "Letícia", "Vinícius", "Mônica", "Thiago", "Bruna", "Rafael", "Camila", "Gustavo", "Aline",
    "Rodrigo", "Fernanda", "Marcelo", "Juliana", "Ricardo", "Tatiane", "Eduardo", "Renata",
    "André", "Priscila", "Leonardo", "Carla", "Diego", "Vanessa", "Paulo", "Simone", "Felipe",
    "Natália", "Henrique", "Débora", "Murilo", "Gabriela", "Otávio", "Luciana", "Caio", "Érica",
]
_LAST_NAMES = [
    "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida",
    "Nascimento", "Lima", "Araújo", "Fernandes", "Carvalho", "Gomes", "Martins", "Rocha",
    "Ribeiro", "Alves", "Monteiro", "Mendes", "Barros", "Freitas", "Barbosa", "Pinto", "Moura",
    "Cavalcanti", "Dias", "Castro", "Campos", "Cardoso", "Teixeira", "Vieira", "Conceição",
]
_COMPANY_A = [
    "Solar", "Sol Nascente", "Luz do Sol", "Fóton", "Volt", "Watt", "Ecosol", "Raio de Sol",
    "Energia Viva", "Sol Forte", "Brilho", "Irradia", "Girassol", "Aurora", "Solaris",
]
_COMPANY_B = [
    "Sul", "Norte", "Cerrado", "Litoral", "Sertão", "Serra", "Vale", "Pampa", "Nordeste",
    "Capital", "Central", "Paulista", "Mineira", "Baiana", "Gaúcha", "Oeste", "Agreste",
]
_COMPANY_C = {
    "integrador": ["Energia", "Engenharia", "Soluções em Energia", "Energia Renovável", "Instalações"],
    "revenda": ["Distribuidora", "Comércio de Equipamentos", "Atacado Solar"],
    "loja": ["Materiais Elétricos", "Elétrica e Hidráulica", "Home Center"],
}
_STREETS = [
    "Rua das Palmeiras", "Avenida Brasil", "Rua Sete de Setembro", "Rua XV de Novembro",
    "Avenida Getúlio Vargas", "Rua Tiradentes", "Rua Dom Pedro II", "Avenida Santos Dumont",
    "Rua Barão do Rio Branco", "Rua São José", "Avenida Independência", "Rua Marechal Deodoro",
    "Rua José Bonifácio", "Avenida das Indústrias", "Rua dos Girassóis", "Travessa Santa Luzia",
]
_BAIRROS = [
    "Centro", "Jardim América", "Vila Nova", "Distrito Industrial", "Boa Vista", "Santa Cruz",
    "São José", "Parque Industrial", "Jardim Europa", "Cidade Nova", "Vila Operária", "Aeroporto",
]
_FREE_MAIL = ["gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br"]

_CD_SE = "CD Jundiaí (SP)"
_CD_NE = "CD Jaboatão dos Guararapes (PE)"

# ---------------------------------------------------------------------------
# Formatação pt-BR
# ---------------------------------------------------------------------------


def _fmt_num(value: float, decimals: int = 0) -> str:
    s = f"{value:,.{decimals}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _fmt_dec(value: float, decimals: int = 1) -> str:
    """Number with up to ``decimals`` places, no trailing zeros (pt-BR)."""
    s = _fmt_num(value, decimals)
    if "," in s:
        s = s.rstrip("0").rstrip(",")
    return s


def _brl(value: float) -> str:
    return "R$ " + _fmt_num(value, 2)


def _pct(value: float) -> str:
    return _fmt_dec(value * 100, 1) + "%"


def _ascii_slug(text: str, sep: str = "") -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return sep.join(re.findall(r"[a-z0-9]+", norm.lower()))


def _fmt_date(d: datetime) -> str:
    return d.strftime("%d/%m")


def _fmt_phone(digits: str, style: int) -> str:
    ddd, num = digits[:2], digits[2:]
    styles = [
        f"({ddd}) {num[:5]}-{num[5:]}",
        f"+55 {ddd} {num[:5]}-{num[5:]}",
        f"{ddd}{num}",
        f"{ddd} {num[:5]}-{num[5:]}",
        f"+55{ddd}{num}",
        f"({ddd}) {num[:5]} {num[5:]}",
        f"0{ddd} {num[:5]}-{num[5:]}",
    ]
    return styles[style % len(styles)]


# ---------------------------------------------------------------------------
# Catálogo derivado dos produtos
# ---------------------------------------------------------------------------


def _to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return f


def _spec(specs: dict, *keys: str) -> float | None:
    for k in keys:
        if k in specs:
            v = _to_float(specs[k])
            if v is not None and v > 0:
                return v
    return None


def _build_catalog(products: list[dict], seed: int) -> list[dict]:
    items: list[dict] = []
    for p in sorted(products, key=lambda x: str(x.get("sku", ""))):
        sku = str(p.get("sku") or "").strip()
        if not sku:
            continue
        specs = p.get("specs") or {}
        prng = random.Random(zlib.crc32(f"{seed}:{sku}".encode("utf-8")))
        category = "inverter" if str(p.get("category", "")).lower().startswith("inv") else "module"
        item: dict[str, Any] = {
            "sku": sku,
            "name": str(p.get("name") or sku).strip(),
            "manufacturer": str(p.get("manufacturer") or "").strip() or "fabricante",
            "category": category,
        }
        if category == "module":
            watts = _spec(specs, "STC", "stc", "Pmax", "power_w") or float(prng.choice([330, 410, 450, 550]))
            tech = str(specs.get("Technology") or specs.get("technology") or "Mono-c-Si")
            per_w = prng.uniform(0.78, 1.12)
            if "CdTe" in tech or "Thin" in tech or "CIGS" in tech or "a-Si" in tech:
                per_w *= 1.08
            item.update(
                watts=int(round(watts)),
                tech=tech,
                voc=_spec(specs, "V_oc_ref", "Voc"),
                isc=_spec(specs, "I_sc_ref", "Isc"),
                vmp=_spec(specs, "V_mp_ref", "Vmp"),
                price_b1=round(watts * per_w, 2),
                b3_discount=prng.uniform(0.06, 0.09),
                pallet=prng.choice([31, 36]),
                stock=prng.choice([0, 62, 144, 310, 540, 720, 1080, 1860, 2480]),
                product_warranty=prng.choice([12, 12, 12, 15]),
                perf_warranty=25 if prng.random() < 0.75 else 30,
            )
        else:
            paco = _spec(specs, "Paco", "paco", "power_w") or float(prng.choice([3000, 5000, 10000, 50000]))
            micro = paco < 1500
            if micro:
                per_w = prng.uniform(1.6, 2.3)
            elif paco <= 6000:
                per_w = prng.uniform(0.85, 1.35)
            elif paco <= 30000:
                per_w = prng.uniform(0.6, 0.95)
            else:
                per_w = prng.uniform(0.42, 0.7)
            item.update(
                paco=paco,
                micro=micro,
                vac=_spec(specs, "Vac", "vac"),
                vdcmax=_spec(specs, "Vdcmax"),
                idcmax=_spec(specs, "Idcmax"),
                mppt_low=_spec(specs, "Mppt_low"),
                mppt_high=_spec(specs, "Mppt_high"),
                price_b1=round(max(paco * per_w, 650.0), 2),
                b3_discount=prng.uniform(0.04, 0.07),
                stock=prng.choice([0, 0, 3, 8, 14, 25, 40, 96] if not micro else [0, 48, 120, 300, 640]),
                warranty=(prng.choice([10, 12, 15]) if micro else prng.choice([5, 5, 7, 10])),
            )
        given_stock = _to_float(p.get("stock"))
        if given_stock is not None and given_stock >= 0:
            item["stock"] = int(given_stock)  # keep consistent with the catalog when it has stock
        item["cd"] = _CD_SE if prng.random() < 0.7 else _CD_NE
        items.append(item)
    return items


def _spec_short(p: dict) -> str:
    if p["category"] == "module":
        return f"{p['watts']} W"
    return _fmt_power(p["paco"])


def _fmt_power(watts: float) -> str:
    if watts < 1000:
        return f"{int(round(watts))} W"
    return f"{_fmt_dec(watts / 1000, 1)} kW"


def _tech_pt(tech: str) -> str:
    t = tech.lower()
    if "mono" in t:
        return "silício monocristalino"
    if "multi" in t or "poly" in t:
        return "silício policristalino"
    if "cdte" in t:
        return "filme fino de telureto de cádmio (CdTe)"
    if "cigs" in t:
        return "filme fino CIGS"
    if "thin" in t or "a-si" in t:
        return "filme fino"
    return tech


def _volume_discount(p: dict, qty: int) -> tuple[float, str]:
    """Return (rate, explanation) following the 'descontos por volume' policy."""
    if p["category"] == "module":
        pallets = qty // p["pallet"]
        if pallets >= 5:
            return 0.035, f"{pallets} pallets completos de {p['pallet']} módulos"
        if pallets >= 1:
            plural = "pallets completos" if pallets > 1 else "pallet completo"
            return 0.02, f"{pallets} {plural} de {p['pallet']} módulos"
        return 0.0, ""
    if p.get("micro"):
        if qty >= 50:
            return 0.04, "50 ou mais microinversores"
        if qty >= 20:
            return 0.02, "20 ou mais microinversores"
        return 0.0, ""
    if qty >= 10:
        return 0.03, "10 ou mais inversores do mesmo modelo"
    if qty >= 5:
        return 0.02, "5 a 9 inversores do mesmo modelo"
    return 0.0, ""


def _discounted_total(p: dict, unit: float, qty: int) -> tuple[float, float, str]:
    rate, why = _volume_discount(p, qty)
    if p["category"] == "module" and rate:
        full = (qty // p["pallet"]) * p["pallet"]
        total = unit * full * (1 - rate) + unit * (qty - full)
    else:
        total = unit * qty * (1 - rate)
    return round(total, 2), rate, why


def _delivery(city: str, uf: str, region: str) -> tuple[str, int, int]:
    if uf == "SP":
        return (_CD_SE, 1, 2) if city in _METRO_FAST else (_CD_SE, 2, 4)
    if uf in ("RJ", "MG", "ES"):
        return _CD_SE, 2, 5
    if uf in ("PR", "SC", "RS"):
        return (_CD_SE, 3, 7) if city in ("Chapecó", "Passo Fundo", "Cascavel") else (_CD_SE, 3, 6)
    if uf in ("GO", "DF", "MS"):
        return _CD_SE, 3, 6
    if uf in ("MT", "TO"):
        return _CD_SE, 5, 9
    if uf == "PE":
        return (_CD_NE, 1, 2) if city in _METRO_FAST else (_CD_NE, 2, 5)
    if uf in ("PB", "AL", "RN"):
        return _CD_NE, 2, 4
    if uf in ("CE", "SE", "BA"):
        return (_CD_NE, 3, 8) if city == "Barreiras" else (_CD_NE, 3, 6)
    if uf in ("PI", "MA"):
        return _CD_NE, 4, 8
    if uf in ("RO", "AC", "PA"):
        return _CD_SE, 8, 14
    return _CD_SE, 12, 25  # AM, AP, RR e trechos fluviais


# ---------------------------------------------------------------------------
# Perfis de clientes (owners)
# ---------------------------------------------------------------------------


def _make_profiles(n_owners: int, seed: int) -> list[dict]:
    rng = random.Random(f"helio-owners:{seed}")
    profiles: list[dict] = []
    used_domains: set[str] = set()
    for i in range(n_owners):
        kind = rng.choices(["integrador", "revenda", "loja", "pf"], weights=[55, 15, 12, 18])[0]
        first = rng.choice(_FIRST_NAMES)
        last = rng.choice(_LAST_NAMES)
        city = rng.choice(_CITIES)
        cpf = cpf_with_check_digits(rng)
        phone = city[2] + "9" + str(rng.randint(6, 9)) + "".join(str(rng.randrange(10)) for _ in range(7))
        company = None
        cnpj = None
        if kind == "pf":
            handle = _ascii_slug(first) + "." + _ascii_slug(last)
            if rng.random() < 0.5:
                handle += str(rng.randint(10, 99))
            email = f"{handle}@{rng.choice(_FREE_MAIL)}"
        else:
            for _ in range(50):
                a = rng.choice(_COMPANY_A)
                b = rng.choice(_COMPANY_B)
                domain = _ascii_slug(a + " " + b) + ".com.br"
                if domain not in used_domains:
                    break
            used_domains.add(domain)
            company = f"{a} {b} {rng.choice(_COMPANY_C[kind])} Ltda"
            cnpj = cnpj_with_check_digits(rng)
            style = rng.random()
            if style < 0.6:
                local = _ascii_slug(first) + "." + _ascii_slug(last)
            elif style < 0.8:
                local = _ascii_slug(first)
            else:
                local = rng.choice(["comercial", "compras", "contato", "engenharia"])
            email = f"{local}@{domain}"
        cep = f"{city[3]}{rng.randint(0, 99):02d}-{rng.randint(0, 999):03d}"
        address = (
            f"{rng.choice(_STREETS)}, {rng.randint(12, 2980)} - {rng.choice(_BAIRROS)}, "
            f"{city[0]}/{city[1]}, CEP {cep}"
        )
        profiles.append(
            {
                "owner_id": f"cliente-{i + 1:03d}",
                "kind": kind,
                "tier": "B3" if kind == "revenda" else "B1",
                "first": first,
                "last": last,
                "company": company,
                "cpf": cpf,
                "cnpj": cnpj,
                "email": email,
                "finance_email": (f"financeiro@{email.split('@')[1]}" if company else email),
                "phone": phone,
                "phone_style": rng.randrange(7),
                "address": address,
                "city": city,
                "channel": rng.choices(["whatsapp", "web", "email"], weights=[60, 25, 15])[0],
                "activity": rng.uniform(0.5, 3.0),
                "casual": rng.random() < 0.5,
            }
        )
    return profiles


# ---------------------------------------------------------------------------
# Contexto de uma conversa
# ---------------------------------------------------------------------------


class _Ctx:
    def __init__(self, rng: random.Random, profile: dict, catalog: list[dict], when: datetime, channel: str):
        self.rng = rng
        self.profile = profile
        self.when = when
        self.channel = channel
        self.modules = [p for p in catalog if p["category"] == "module"]
        self.inverters = [p for p in catalog if p["category"] == "inverter"]
        self.string_inverters = [p for p in self.inverters if not p["micro"]]
        self.catalog = catalog
        self.module: dict | None = None
        self.inverter: dict | None = None
        self.skus: list[str] = []
        home = profile["city"]
        self.city = home if rng.random() < 0.65 else rng.choice(_CITIES)
        self._order: str | None = None

    # -- helpers ---------------------------------------------------------
    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)

    def use(self, p: dict) -> dict:
        if p["sku"] not in self.skus:
            self.skus.append(p["sku"])
        if p["category"] == "module":
            self.module = p
        else:
            self.inverter = p
        return p

    def get_module(self, fresh: bool = False) -> dict | None:
        if not self.modules:
            return None
        if self.module is None or fresh:
            return self.use(self.rng.choice(self.modules))
        return self.use(self.module)

    def get_inverter(self, fresh: bool = False, string_only: bool = False) -> dict | None:
        pool = self.string_inverters if (string_only and self.string_inverters) else self.inverters
        if not pool:
            return None
        if self.inverter is None or fresh or (string_only and self.inverter.get("micro") and self.string_inverters):
            return self.use(self.rng.choice(pool))
        return self.use(self.inverter)

    def get_any(self) -> dict:
        if self.module is not None and self.rng.random() < 0.5:
            return self.use(self.module)
        if self.inverter is not None and self.rng.random() < 0.5:
            return self.use(self.inverter)
        if self.modules and (not self.inverters or self.rng.random() < 0.55):
            return self.get_module(fresh=True)  # type: ignore[return-value]
        return self.get_inverter(fresh=True)  # type: ignore[return-value]

    def price(self, p: dict) -> float:
        if self.profile["tier"] == "B3":
            return round(p["price_b1"] * (1 - p["b3_discount"]), 2)
        return p["price_b1"]

    def ref(self, p: dict) -> str:
        """How the customer refers to a product: name, SKU or both."""
        r = self.rng.random()
        if r < 0.5:
            return p["name"]
        if r < 0.75:
            return f"{p['name']} ({p['sku']})"
        return f"código {p['sku']}"

    def noun(self, p: dict, qty: int = 2) -> str:
        if p["category"] == "module":
            return self.pick(["módulos", "placas", "painéis"]) if qty != 1 else "módulo"
        if p.get("micro"):
            return "microinversores" if qty != 1 else "microinversor"
        return "inversores" if qty != 1 else "inversor"

    def qty(self, p: dict) -> int:
        if p["category"] == "module":
            return self.rng.choice([8, 10, 12, 14, 16, 20, 24, 31, 36, 40, 62, 72, 108, 155, 180, 310])
        if p.get("micro"):
            return self.rng.choice([4, 8, 12, 20, 24, 50, 60])
        return self.rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6, 10, 12])

    def order(self) -> str:
        if self._order is None:
            self._order = f"PV-{self.when:%y%m}{self.rng.randint(1000, 9999)}"
        return self._order

    def city_str(self) -> str:
        return f"{self.city[0]}/{self.city[1]}"

    def time_greeting(self) -> str:
        local_hour = (self.when.hour - 3) % 24  # horário de Brasília (UTC-3)
        if 5 <= local_hour < 12:
            return "Bom dia"
        if local_hour < 18 and local_hour >= 12:
            return "Boa tarde"
        return "Boa noite"

    def hi(self) -> str:
        tod = self.time_greeting()
        if self.profile["casual"]:
            return self.pick(["Oi", "Olá", "Opa", tod, tod])
        return self.pick([tod, tod, "Olá"])

    def em(self, city: str | None = None) -> str:
        city = city or self.city[0]
        return f"no {city}" if city == "Rio de Janeiro" else f"em {city}"


Exchange = tuple[str, str]
IntentFn = Callable[[_Ctx], list[Exchange]]

# ---------------------------------------------------------------------------
# Intenções (cada uma devolve 1 a 3 trocas usuário/assistente)
# ---------------------------------------------------------------------------


def _i_preco_quantidade(c: _Ctx) -> list[Exchange]:
    p = c.get_any()
    q = c.qty(p)
    unit = c.price(p)
    total, rate, why = _discounted_total(p, unit, q)
    ref = c.ref(p)
    user = c.pick([
        f"Qual o preço de {q} unidades do {ref}?",
        f"Quanto fica {q}x {ref}?",
        f"Me passa o valor de {q} {c.noun(p, q)} {ref}, por favor.",
        f"Preciso de uma cotação de {q} peças do {ref} ({_spec_short(p)}).",
        f"{c.hi()}, consegue me ver preço pra {q} {ref}? É pra uma obra {c.em()}.",
        f"Quero orçar {q} {c.noun(p, q)} do modelo {ref}. Quanto sai?",
    ])
    disc = (
        f" Como o pedido inclui {why}, entra o desconto por volume de {_pct(rate)}, e o total fica em {_brl(total)}."
        if rate
        else f" Total para {q} unidades: {_brl(total)}."
    )
    asst = c.pick([
        f"O {p['name']} ({p['sku']}, {_spec_short(p)}) está por {_brl(unit)} a unidade na sua tabela {c.profile['tier']}.{disc} "
        "A cotação vale 5 dias úteis e o frete é calculado pelo CEP de entrega.",
        f"Na tabela {c.profile['tier']}, o {p['sku']} sai a {_brl(unit)} cada.{disc} "
        "Pagando via PIX ou boleto à vista você ainda tem 3% de desconto. Quer que eu gere a cotação formal?",
        f"Cotação rápida: {q} × {p['name']} a {_brl(unit)}.{disc} Valores sem frete, válidos por 5 dias úteis.",
    ])
    return [(user, asst)]


def _i_preco_sku(c: _Ctx) -> list[Exchange]:
    p = c.get_any()
    unit = c.price(p)
    user = c.pick([
        f"Valor do SKU {p['sku']}?",
        f"quanto tá o {p['sku']} hoje",
        f"Tem preço atualizado do código {p['sku']}?",
        f"Qual o preço unitário do item {p['sku']} na minha tabela?",
    ])
    extra = (
        f"É o {p['name']}, módulo de {p['watts']} W ({_tech_pt(p['tech'])})"
        if p["category"] == "module"
        else f"É o {p['name']}, {c.noun(p, 1)} de {_fmt_power(p['paco'])}"
    )
    asst = c.pick([
        f"{extra}. Hoje está por {_brl(unit)} a unidade (tabela {c.profile['tier']}), à vista. Quer saber o estoque?",
        f"O {p['sku']} está a {_brl(unit)} por unidade. {extra}. Preço revisado nesta semana; a cotação formal vale 5 dias úteis.",
    ])
    return [(user, asst)]


def _i_estoque(c: _Ctx) -> list[Exchange]:
    p = c.get_any()
    q = c.qty(p)
    user = c.pick([
        f"Tem {p['name']} em estoque?",
        f"Vocês têm pronta entrega do {p['sku']}? Preciso de {q}.",
        f"Consegue ver se tem {q} {c.noun(p, q)} {c.ref(p)} disponíveis?",
        f"O {c.ref(p)} ainda tem saldo? Queria fechar {q} essa semana.",
    ])
    if p["stock"] >= q:
        asst = c.pick([
            f"Temos sim! Há {p['stock']} unidades do {p['sku']} no {p['cd']}, então as {q} que você precisa estão disponíveis. "
            "O estoque só é reservado após o aceite da cotação.",
            f"Sim, {p['name']} com {p['stock']} unidades em estoque no {p['cd']}. Posso reservar {q} assim que você aprovar a cotação.",
        ])
    elif p["stock"] > 0:
        eta = c.when + timedelta(days=c.rng.randint(8, 25))
        asst = (
            f"No momento temos {p['stock']} unidades do {p['sku']} no {p['cd']}, menos que as {q} solicitadas. "
            f"A próxima reposição está prevista para {_fmt_date(eta)}. Posso faturar o disponível agora e o saldo na chegada, se preferir."
        )
    else:
        eta = c.when + timedelta(days=c.rng.randint(10, 35))
        alt = _similar(c, p)
        alt_txt = (
            f" Como alternativa, temos o {alt['name']} ({alt['sku']}, {_spec_short(alt)}) com {alt['stock']} unidades."
            if alt
            else ""
        )
        asst = f"O {p['name']} está sem estoque no momento; a previsão de chegada é {_fmt_date(eta)}.{alt_txt}"
        if alt:
            c.use(alt)
    return [(user, asst)]


def _similar(c: _Ctx, p: dict) -> dict | None:
    pool = [x for x in (c.modules if p["category"] == "module" else c.inverters) if x["sku"] != p["sku"] and x["stock"] > 0]
    if not pool:
        return None
    key = (lambda x: abs(x["watts"] - p["watts"])) if p["category"] == "module" else (lambda x: abs(x["paco"] - p["paco"]))
    return min(pool, key=lambda x: (key(x), x["sku"]))


def _i_prazo_entrega(c: _Ctx) -> list[Exchange]:
    city, uf, _, _, region = c.city
    cd, lo, hi = _delivery(city, uf, region)
    p = c.module or c.inverter
    what = f" o {p['name']}" if p is not None and c.rng.random() < 0.5 else " o pedido"
    user = c.pick([
        f"Qual o prazo de entrega para {city}/{uf}?",
        f"Se eu pagar hoje no PIX, chega quando {c.em(city)}?",
        f"Consegue entregar{what} {c.em(city)} - {uf} até a semana que vem?",
        f"Quantos dias úteis demora pra chegar {c.em(city)}?",
        f"E o frete pra {city}, {uf}? Quanto tempo leva?",
    ])
    extra = ""
    if region == "N" and uf in ("AM", "AP", "RR"):
        extra = " Para essa região o frete é cotado caso a caso por causa do trecho fluvial, com seguro obrigatório."
    elif city in ("Chapecó", "Passo Fundo", "Cascavel", "Barreiras", "Sinop"):
        extra = " Regiões mais afastadas das capitais podem levar 1 ou 2 dias a mais."
    asst = c.pick([
        f"Para {city}/{uf} a saída é pelo {cd}: a entrega leva de {lo} a {hi} dias úteis após a expedição. "
        f"Pedidos liberados até as 12h são separados no mesmo dia.{extra}",
        f"O prazo de referência para {'o ' if city == 'Rio de Janeiro' else ''}{city} é de {lo} a {hi} dias úteis depois da expedição, que ocorre em até 1 dia útil após a "
        f"confirmação do pagamento (o PIX confirma na hora).{extra}",
    ])
    return [(user, asst)]


def _i_garantia_modulo(c: _Ctx) -> list[Exchange]:
    p = c.get_module()
    if p is None:
        return _i_garantia_inversor(c)
    user = c.pick([
        f"Qual a garantia do {c.ref(p)}?",
        f"Quantos anos de garantia tem a placa {p['name']}?",
        f"O cliente quer saber a garantia de performance do módulo de {p['watts']} W ({p['sku']}).",
        f"Esse {p['sku']} tem garantia de quanto tempo contra defeito?",
    ])
    asst = (
        f"O {p['name']} tem {p['product_warranty']} anos de garantia de produto contra defeitos de fabricação e "
        f"{p['perf_warranty']} anos de garantia de performance linear, dada pelo fabricante ({p['manufacturer']}). "
        "A contagem começa na data da nota fiscal; guarde a NF e a etiqueta com o número de série."
    )
    if c.rng.random() < 0.5:
        asst += " A curva de degradação garantida está na ficha técnica; posso te enviar."
    return [(user, asst)]


def _i_garantia_inversor(c: _Ctx) -> list[Exchange]:
    p = c.get_inverter()
    if p is None:
        return _i_garantia_modulo(c)
    user = c.pick([
        f"E o inversor {p['name']}, quantos anos de garantia?",
        f"Qual o prazo de garantia do {c.ref(p)}?",
        f"A garantia do {p['sku']} é de 5 ou 10 anos?",
        f"Dá pra estender a garantia do {p['name']}?",
    ])
    if p["micro"]:
        asst = (
            f"O {p['name']} é um microinversor e tem {p['warranty']} anos de garantia do fabricante, desde que o sistema seja "
            "registrado e fique com monitoramento ativo. O gateway de comunicação tem garantia própria, mais curta."
        )
    else:
        asst = (
            f"O {p['name']} ({_fmt_power(p['paco'])}) tem {p['warranty']} anos de garantia padrão do fabricante, contados da "
            "nota fiscal. "
            + (
                "O fabricante oferece extensão para até 15 ou 20 anos, contratada nos primeiros meses após a instalação."
                if p["warranty"] < 10
                else "Também é necessário manter o inversor conectado ao monitoramento durante a vigência."
            )
        )
    return [(user, asst)]


def _pick_inverter_for(c: _Ctx, kwp: float) -> tuple[dict, int, float] | None:
    pool = c.string_inverters or c.inverters
    if not pool:
        return None
    best = None
    for inv in pool:
        ac = inv["paco"] / 1000
        units = max(1, math.ceil(kwp / (ac * 1.3)))
        if units > 8:
            continue
        ratio = kwp / (units * ac)
        score = abs(ratio - 1.2) + 0.06 * (units - 1)
        cand = (score, inv["sku"], inv, units, ratio)
        if best is None or cand[:2] < best[:2]:
            best = cand
    if best is None:
        inv = max(pool, key=lambda x: (x["paco"], x["sku"]))
        units = max(1, math.ceil(kwp / (inv["paco"] / 1000 * 1.3)))
        return inv, units, kwp / (units * inv["paco"] / 1000)
    return best[2], best[3], best[4]


def _i_inversor_para_kwp(c: _Ctx) -> list[Exchange]:
    kwp = c.rng.choice([4.4, 6.6, 8.2, 12.1, 15.4, 22.0, 33.0, 48.5, 62.7, 81.4, 110.0, 141.0])
    choice = _pick_inverter_for(c, kwp)
    if choice is None:
        return _i_preco_quantidade(c)
    inv, units, ratio = choice
    c.use(inv)
    user = c.pick([
        f"Tenho um projeto de {_fmt_dec(kwp)} kWp, qual inversor vocês indicam?",
        f"Qual inversor eu uso pra um sistema de {_fmt_dec(kwp)} kWp?",
        f"Preciso fechar um comercial de {_fmt_dec(kwp)} kWp {c.em()}. Sugestão de inversor?",
        f"Cliente quer {_fmt_dec(kwp)} kWp em telhado metálico. Que inversor cabe?",
    ])
    n_txt = f"{units} unidades do" if units > 1 else "o"
    total_ac = units * inv["paco"]
    asst = (
        f"Para {_fmt_dec(kwp)} kWp eu sugiro {n_txt} {inv['name']} ({inv['sku']}, {_fmt_power(inv['paco'])}), "
        f"totalizando {_fmt_power(total_ac)} CA e relação CC/CA de {_fmt_num(ratio, 2)}, dentro da faixa usual de 1,1 a 1,3."
    )
    if total_ac > 75000:
        asst += " Atenção: acima de 75 kW CA o sistema é enquadrado como minigeração, com processo de acesso mais exigente."
    elif kwp > 75:
        asst += " Como a potência CA fica em até 75 kW, o sistema continua enquadrado como microgeração."
    if inv.get("vac"):
        asst += f" A saída é em {int(round(inv['vac']))} V; confirme a tensão do padrão de entrada do cliente."
    return [(user, asst)]


def _i_compatibilidade(c: _Ctx) -> list[Exchange]:
    m = c.get_module()
    inv = c.get_inverter(string_only=True)
    if m is None or inv is None:
        return _i_ficha_tecnica(c)
    user = c.pick([
        f"O {m['name']} funciona com o {inv['name']}?",
        f"Posso ligar módulos {m['sku']} no inversor {inv['sku']}?",
        f"Quantos {m['watts']} W eu coloco no {inv['name']}? Tá compatível?",
        f"Compatibilidade: placa {c.ref(m)} + inversor {c.ref(inv)}. Fecha?",
    ])
    if inv["micro"]:
        asst = (
            f"O {inv['name']} é microinversor ({_fmt_power(inv['paco'])}); com módulos de {m['watts']} W "
            + ("haverá clipping relevante, recomendo um modelo de maior potência." if m["watts"] > inv["paco"] * 1.4 else "a combinação funciona bem.")
        )
        return [(user, asst)]
    ac = inv["paco"]
    n_lo = max(1, math.floor(ac * 1.1 / m["watts"]))
    n_hi = max(n_lo, math.floor(ac * 1.3 / m["watts"]))
    parts = [
        f"Pela potência, o {inv['name']} ({_fmt_power(ac)}) comporta de {n_lo} a {n_hi} módulos de {m['watts']} W "
        "(relação CC/CA entre 1,1 e 1,3)."
    ]
    if m.get("voc") and inv.get("vdcmax"):
        voc_cold = m["voc"] * 1.08
        max_series = int(inv["vdcmax"] // voc_cold)
        parts.append(
            f"Com Voc de {_fmt_dec(m['voc'])} V (≈{_fmt_dec(voc_cold)} V no frio) e tensão máxima de entrada de "
            f"{int(inv['vdcmax'])} V, o limite é de {max_series} módulos por série."
        )
    else:
        parts.append("Confira o número de módulos em série com a Voc corrigida para a temperatura mínima do local.")
    if m.get("isc") and inv.get("idcmax"):
        ok = m["isc"] <= inv["idcmax"]
        parts.append(
            f"A Isc do módulo ({_fmt_dec(m['isc'])} A) {'está dentro' if ok else 'passa'} da corrente máxima de entrada "
            f"({_fmt_dec(inv['idcmax'])} A){'.' if ok else ', então essa combinação não é recomendada.'}"
        )
    if "CdTe" in m["tech"] or "Thin" in m["tech"]:
        parts.append("Por ser filme fino, confirme na lista de compatibilidade do fabricante do inversor.")
    return [(user, " ".join(parts))]


def _i_boleto(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        "Dá pra pagar no boleto?",
        "Pode gerar boleto à vista?",
        "Vocês parcelam no boleto? Tipo 28/56/84?",
        "Consigo pagar com boleto e receber a NF junto?",
    ])
    if "28/56" in user or "parcelam" in user:
        asst = (
            "Boleto parcelado (28/56/84 dias) é só para empresas com crédito aprovado. Se ainda não tem análise, posso "
            "te passar a lista de documentos. À vista, o boleto vence em 3 dias úteis e tem 3% de desconto."
        )
    else:
        asst = c.pick([
            "Pode sim! O boleto à vista vence em até 3 dias úteis e tem 3% de desconto. O pedido é liberado após a "
            "compensação, que leva de 1 a 2 dias úteis.",
            "Sim. Emito o boleto com vencimento em 3 dias úteis; após a compensação (1 a 2 dias úteis) o pedido vai "
            "para separação. A NF-e e o XML seguem por e-mail no faturamento.",
        ])
    return [(user, asst)]


def _i_pix(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        "Se eu pagar no PIX tem desconto?",
        "Qual a chave pix de vocês?",
        "Vou pagar via PIX agora, pra quem eu mando?",
        "PIX libera o pedido na hora?",
    ])
    asst = c.pick([
        "Tem sim: 3% de desconto no PIX. Eu gero um QR Code dinâmico vinculado ao pedido, válido por 24 horas, e a "
        "liberação é imediata após a confirmação.",
        "A única chave oficial é o CNPJ da Helio Solar Distribuidora, mas o ideal é usar o QR Code do pedido, que já vem "
        "com o valor certo. Nunca pague para chave de pessoa física ou de outra empresa.",
        "Sim! Assim que o PIX confirma, o pedido é liberado para separação. Vou te mandar o QR Code com o valor já com o "
        "desconto de 3%.",
    ])
    return [(user, asst)]


def _i_cartao(c: _Ctx) -> list[Exchange]:
    n = c.rng.choice([3, 6, 10, 12])
    user = c.pick([
        f"Parcela no cartão em {n}x?",
        "Aceitam cartão de crédito? Em quantas vezes?",
        f"Consigo dividir em {n} vezes no cartão?",
    ])
    asst = (
        "Aceitamos as principais bandeiras por link de pagamento: até 3x sem juros e de 4x a 12x com a taxa da "
        "adquirente. O desconto de 3% do PIX não vale no cartão."
    )
    if n > 3 and "vezes" not in user[:12]:
        asst += f" Em {n}x o acréscimo aparece no link antes de você confirmar."
    return [(user, asst)]


def _i_nota_fiscal(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        "A nota sai no CNPJ da empresa ou no meu CPF?",
        f"Preciso que a NF saia no nosso CNPJ mas com entrega na obra {c.em()}. Pode?",
        "Vocês mandam o XML da nota por e-mail?",
        "Errei o complemento do endereço na NF, dá pra arrumar?",
        "Qual a NCM do módulo e do inversor que vai na nota?",
    ])
    if "XML" in user:
        asst = "Sim, o XML e o PDF do DANFE vão automaticamente para o e-mail financeiro cadastrado no faturamento e ficam no portal por 5 anos."
    elif "complemento" in user:
        asst = "Complemento de endereço dá para corrigir com carta de correção eletrônica (CC-e). Só não é possível alterar valores, quantidades ou o destinatário."
    elif "NCM" in user:
        asst = "Módulos saem com NCM 8541.43.00 (com isenção de ICMS pelo Convênio 101/97) e inversores, em geral, com NCM 8504.40.90."
    elif "obra" in user:
        asst = "Pode sim: faturamos para o CNPJ cadastrado e indicamos o local de entrega da obra no pedido."
    else:
        asst = "A nota sai com os dados do cadastro de quem compra: CNPJ (com inscrição estadual) ou CPF. Se for pessoa física de outro estado, pode haver DIFAL no inversor."
    return [(user, asst)]


_ERRORS = [
    ("erro de isolamento (ISO fault)", "isolation"),
    ("alarme de sobretensão da rede", "grid"),
    ("falha de relé na partida", "relay"),
    ("alarme de temperatura alta e desliga à tarde", "temp"),
    ("tela apagada, não liga mais", "dead"),
    ("falha de comunicação e depois desligou", "relay"),
]


def _i_rma_inversor(c: _Ctx) -> list[Exchange]:
    inv = c.get_inverter()
    if inv is None:
        return _i_avaria(c)
    err, kind = c.rng.choice(_ERRORS)
    months = c.rng.randint(2, 30)
    serial = _ascii_slug(inv["manufacturer"])[:3].upper() + str(c.rng.randint(10**8, 10**9 - 1))
    user1 = c.pick([
        f"O inversor {inv['name']} de um cliente está com {err}. Foi instalado há {months} meses.",
        f"Bom dia, {inv['sku']} com {err}. Como abro garantia?",
        f"Preciso abrir um RMA: {inv['name']} apresentando {err}.",
        f"Inversor {c.ref(inv)} parou. Mostra {err}. O que faço?",
    ])
    checks = {
        "isolation": "Antes de abrir o RMA, verifique a isolação das strings: cabos danificados ou conectores com umidade causam esse alarme.",
        "grid": "Esse alarme costuma ser da rede: meça a tensão no ponto de conexão nos horários de pico; se passar de 110% da nominal, é caso para a distribuidora.",
        "relay": "Isso pode indicar defeito interno. Atualize o firmware e, se persistir, seguimos com o RMA.",
        "temp": "Confira a ventilação do local e a distância mínima do manual; se estiver tudo certo, abrimos o RMA.",
        "dead": "Confira a tensão CC nas entradas e o disjuntor CA. Se estiver tudo ok, é RMA.",
    }[kind]
    asst1 = (
        f"Vamos resolver. {checks} Para abrir o chamado preciso do número da NF de compra, do número de série, "
        "de fotos da instalação e dos códigos de erro."
    )
    protocol = f"RMA-{c.when:%y%m}-{c.rng.randint(1000, 9999)}"
    nf = c.rng.randint(100000, 999999)
    user2 = c.pick([
        f"Já testei tudo. NF {nf}, série {serial}. Mando as fotos por aqui.",
        f"Série {serial}, nota {nf}. As fotos seguem em anexo.",
        f"Ok, número de série {serial} e NF-e {nf}.",
    ])
    asst2 = (
        f"Obrigado! Abri o protocolo {protocol}. A triagem técnica leva até 3 dias úteis"
        + (f"; o {inv['name']} ainda está dentro dos {inv['warranty']} anos de garantia." if months < inv["warranty"] * 12 else ".")
        + " Se aprovado, agendamos a coleta por logística reversa; envie com NF de remessa para conserto (CFOP 5.915 ou 6.915)."
    )
    return [(user1, asst1), (user2, asst2)]


def _i_homologacao(c: _Ctx) -> list[Exchange]:
    city, uf = c.city[0], c.city[1]
    dist = _DISTRIBUTOR_BY_CITY.get(city, _DISTRIBUTOR_BY_UF.get(uf, "distribuidora local"))
    inv = c.get_inverter()
    inv_txt = f" com o {inv['name']}" if inv else ""
    user = c.pick([
        f"Quais documentos a {dist} pede para homologar um sistema{inv_txt}?",
        f"Vocês ajudam na homologação na {dist}? Obra {c.em(city)}.",
        f"A {dist} pediu o certificado do inversor pra aprovar o projeto. Vocês têm?",
        f"Quanto tempo a {dist} leva pra dar o parecer de acesso de uma micro?",
    ])
    if "parecer" in user:
        asst = (
            f"Pela regulamentação, o orçamento de conexão (parecer de acesso) de microgeração sem obras sai em até 15 dias, "
            f"contados do protocolo com documentação completa. Pendências suspendem o prazo; se a {dist} atrasar, cabe reclamação na ouvidoria."
        )
    elif "certificado" in user and inv:
        asst = f"Temos sim. Envio o certificado Inmetro e a ficha técnica do {inv['name']} ({inv['sku']}) para você anexar ao processo na {dist}."
    else:
        asst = (
            f"Em geral a {dist} pede: formulário de solicitação, ART do responsável técnico, diagrama unifilar, certificado "
            "Inmetro do inversor e fichas técnicas. A Helio não protocola em nome do cliente, mas fornece todos os documentos dos equipamentos."
        )
    return [(user, asst)]


def _i_comparar_modulos(c: _Ctx) -> list[Exchange]:
    if len(c.modules) < 2:
        return _i_ficha_tecnica(c)
    m1, m2 = c.rng.sample(c.modules, 2)
    c.use(m2)
    c.use(m1)
    user = c.pick([
        f"Qual a diferença entre o {m1['name']} e o {m2['name']}?",
        f"Compensa mais o {m1['sku']} ou o {m2['sku']}?",
        f"To em dúvida entre {m1['name']} e {m2['name']} pra um residencial.",
    ])
    p1, p2 = c.price(m1), c.price(m2)
    asst = (
        f"O {m1['name']} tem {m1['watts']} W ({_tech_pt(m1['tech'])}) e sai a {_brl(p1)} ({_brl(p1 / m1['watts'])}/W). "
        f"O {m2['name']} tem {m2['watts']} W ({_tech_pt(m2['tech'])}) e sai a {_brl(p2)} ({_brl(p2 / m2['watts'])}/W). "
    )
    cheaper = m1 if p1 / m1["watts"] < p2 / m2["watts"] else m2
    asst += f"Em custo por watt o {cheaper['sku']} é mais vantajoso; o de maior potência economiza estrutura e mão de obra por kWp."
    return [(user, asst)]


def _i_ficha_tecnica(c: _Ctx) -> list[Exchange]:
    p = c.get_any()
    user = c.pick([
        f"Me manda a ficha técnica do {p['sku']}?",
        f"Qual a potência e a tecnologia do {p['name']}?",
        f"Preciso dos dados elétricos do {c.ref(p)} pro projeto.",
    ])
    if p["category"] == "module":
        bits = [f"{p['name']}: {p['watts']} W em STC, {_tech_pt(p['tech'])}"]
        if p.get("voc"):
            bits.append(f"Voc {_fmt_dec(p['voc'])} V")
        if p.get("isc"):
            bits.append(f"Isc {_fmt_dec(p['isc'])} A")
        if p.get("vmp"):
            bits.append(f"Vmp {_fmt_dec(p['vmp'])} V")
    else:
        bits = [f"{p['name']}: potência nominal CA de {_fmt_power(p['paco'])}"]
        if p.get("vac"):
            bits.append(f"saída em {int(round(p['vac']))} V")
        if p.get("vdcmax"):
            bits.append(f"tensão CC máxima de {int(p['vdcmax'])} V")
        if p.get("mppt_low") and p.get("mppt_high"):
            bits.append(f"faixa de MPPT de {int(p['mppt_low'])} a {int(p['mppt_high'])} V")
    asst = ", ".join(bits) + ". O PDF completo da ficha técnica e o certificado Inmetro estão na página do produto; envio por aqui também."
    return [(user, asst)]


def _i_cadastro_revenda(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        "Quero virar revenda, como consigo a tabela B3?",
        "Somos distribuidores regionais, qual o requisito pra comprar no preço de atacado?",
        "O que precisa pra migrar da B1 pra B3?",
    ])
    asst = (
        "Para a tabela B3 é preciso: cadastro aprovado como revenda com inscrição estadual ativa, três meses de histórico "
        "na B1 (ou comprovação de faturamento no setor) e compromisso de R$ 150.000,00 em compras por trimestre. "
        "Posso pedir para um consultor entrar em contato."
    )
    return [(user, asst)]


def _i_desconto_volume(c: _Ctx) -> list[Exchange]:
    p = c.get_module() or c.get_inverter()
    assert p is not None
    if p["category"] == "module":
        pallets = c.rng.choice([1, 2, 3, 5, 6, 10])
        q = pallets * p["pallet"]
        user = c.pick([
            f"Se eu levar {pallets} pallets do {p['name']} melhora o preço?",
            f"Tem desconto fechando {q} {c.noun(p)} {p['sku']}?",
        ])
    else:
        q = c.rng.choice([5, 8, 10, 15])
        user = f"Comprando {q} {c.noun(p, q)} {p['name']} tem algum desconto?"
    unit = c.price(p)
    total, rate, why = _discounted_total(p, unit, q)
    if rate:
        asst = f"Sim! Com {why}, o desconto por volume é de {_pct(rate)}: {q} unidades saem por {_brl(total)} em vez de {_brl(unit * q)}."
    else:
        asst = f"Nessa quantidade ainda não entra desconto por volume; o total fica em {_brl(total)}."
    asst += " O desconto não é cumulativo com lotes de oportunidade."
    return [(user, asst)]


def _i_frete_modalidade(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        "O frete de vocês é CIF ou FOB?",
        "Posso mandar minha transportadora buscar?",
        "Tem frete grátis?",
    ])
    if "grátis" in user:
        lim = "R$ 60.000,00" if c.profile["tier"] == "B3" else ("R$ 25.000,00" if c.city[4] in ("S", "SE") else "R$ 40.000,00")
        asst = f"Para a sua tabela e região, o frete CIF é sem custo em pedidos a partir de {lim}. Abaixo disso calculamos pelo CEP."
    else:
        asst = (
            "Trabalhamos com os dois: no CIF a Helio contrata a transportadora e o risco é nosso até a entrega; no FOB sua "
            "transportadora coleta no CD, com agendamento de 24 horas e seguro por sua conta."
        )
    return [(user, asst)]


def _i_avaria(c: _Ctx) -> list[Exchange]:
    p = c.get_module() or c.get_any()
    k = c.rng.randint(1, 6)
    user = c.pick([
        f"Chegou o pedido {c.order()} e {k} {c.noun(p, k)} vieram com o vidro trincado.",
        f"Recebi hoje o {c.order()}, o pallet veio tombado e tem {k} {c.noun(p, k)} quebrados. E agora?",
        f"Avaria na entrega do {c.order()}: {k} unidades do {p['sku']} danificadas.",
    ])
    asst = (
        "Sinto muito! Anotou a ressalva no canhoto da transportadora? Me envie fotos dos volumes e do canhoto em até 24 horas "
        f"e não instale as peças danificadas. Aprovada a ocorrência, a reposição do {p['name']} sai em até 10 dias úteis, sem custo."
    )
    return [(user, asst)]


def _i_retirada(c: _Ctx) -> list[Exchange]:
    cd = c.pick(["Jundiaí", "Jaboatão"])
    user = c.pick([
        f"Posso retirar no CD de {cd} amanhã?",
        f"Meu motorista consegue buscar o {c.order()} no CD de {cd}?",
        f"Vou buscar com caminhão próprio em {cd}, qual o horário?",
    ])
    asst = (
        "Pode sim, com agendamento de pelo menos 1 dia útil após a liberação. Retiradas de segunda a sexta, das 8h às 16h30. "
        "Se não for o titular, envie antes a autorização com nome e CPF do motorista e a placa do veículo."
    )
    return [(user, asst)]


def _i_kit_residencial(c: _Ctx) -> list[Exchange]:
    m = c.get_module()
    if m is None:
        return _i_inversor_para_kwp(c)
    kwh = c.rng.choice([250, 320, 400, 480, 550, 700, 900, 1200])
    region = c.city[4]
    hsp = _HSP_BY_REGION[region]
    kwp = kwh / (hsp * 30 * 0.8)
    n_mod = max(1, math.ceil(kwp * 1000 / m["watts"]))
    real_kwp = n_mod * m["watts"] / 1000
    user = c.pick([
        f"Cliente residencial {c.em()} consome {kwh} kWh/mês, o que monto?",
        f"Preciso de um kit pra {kwh} kWh por mês em {c.city_str()}.",
        f"Conta de luz de {kwh} kWh/mês, quantas placas de {m['watts']} W?",
    ])
    asst = (
        f"Considerando cerca de {_fmt_dec(hsp)} horas de sol pleno {c.em()} e desempenho de 80%, são uns "
        f"{_fmt_dec(kwp)} kWp: {n_mod} módulos {m['name']} de {m['watts']} W ({_fmt_dec(real_kwp, 2)} kWp)."
    )
    choice = _pick_inverter_for(c, real_kwp)
    if choice:
        inv, units, ratio = choice
        c.use(inv)
        asst += f" Para o inversor, {'' if units == 1 else str(units) + ' unidades do '}{inv['name']} ({_fmt_power(inv['paco'])}) dá relação CC/CA de {_fmt_num(ratio, 2)}."
    asst += " Lembrando que em 2026 há cobrança de 60% do Fio B sobre a energia injetada."
    return [(user, asst)]


def _i_inmetro(c: _Ctx) -> list[Exchange]:
    p = c.get_inverter() or c.get_any()
    user = c.pick([
        f"O {p['name']} tem registro no Inmetro?",
        f"Esse {p['sku']} é homologado no Inmetro? A distribuidora vai pedir.",
    ])
    asst = (
        f"Tem sim. Só comercializamos equipamentos com registro ativo no Inmetro (Portaria 140/2022). O certificado do {p['sku']} "
        "está na ficha do produto e você também pode consultar o registro no site do Inmetro."
    )
    return [(user, asst)]


def _i_oversizing(c: _Ctx) -> list[Exchange]:
    inv = c.get_inverter(string_only=True)
    if inv is None or inv["micro"]:
        return _i_ficha_tecnica(c)
    ac_kw = inv["paco"] / 1000
    ratio_asked = c.rng.choice([1.15, 1.25, 1.35, 1.5, 1.7])
    kwp = round(ac_kw * ratio_asked, 1)
    user = c.pick([
        f"Posso colocar {_fmt_dec(kwp)} kWp no {inv['name']} de {_fmt_power(inv['paco'])}?",
        f"Qual o oversizing máximo do {inv['sku']}? Queria ligar {_fmt_dec(kwp)} kWp.",
    ])
    ratio = kwp / ac_kw
    if ratio <= 1.3:
        asst = f"Pode: a relação CC/CA fica em {_fmt_num(ratio, 2)}, dentro da faixa usual. Só confira tensão e corrente por MPPT."
    elif ratio <= 1.5:
        asst = (
            f"A relação ficaria em {_fmt_num(ratio, 2)}. É possível em regiões quentes se o fabricante permitir (muitos aceitam até 130% a 150%), "
            "mas espere algum clipping ao meio-dia."
        )
    else:
        asst = f"Não recomendo: {_fmt_num(ratio, 2)} passa do limite usual dos fabricantes e pode anular a garantia. Considere um inversor maior."
    return [(user, asst)]


def _i_validade_cotacao(c: _Ctx) -> list[Exchange]:
    days = c.rng.choice([1, 2, 4, 8])
    user = c.pick([
        f"A cotação que vocês mandaram há {days} dias ainda vale?",
        "Até quando vale o preço da cotação?",
        "Se eu fechar só semana que vem, o preço se mantém?",
    ])
    asst = (
        "Cotações de itens avulsos valem 5 dias úteis e kits, 3 dias úteis, porque o custo acompanha o dólar. "
        "Depois disso eu reemito com a tabela do dia."
    )
    if "há" in user and days >= 8:
        asst = "Essa já venceu (validade de 5 dias úteis), mas posso reemitir agora com a tabela do dia."
    return [(user, asst)]


def _i_rastreamento(c: _Ctx) -> list[Exchange]:
    city, uf, _, _, region = c.city
    _, lo, hi = _delivery(city, uf, region)
    eta = c.when + timedelta(days=c.rng.randint(lo, hi + 2))
    status = c.pick(["faturado", "em trânsito", "saiu para entrega", "em separação"])
    user = c.pick([
        f"Cadê meu pedido {c.order()}? Já foi despachado?",
        f"Status do {c.order()}, por favor.",
        f"Tem rastreio do pedido {c.order()}?",
    ])
    asst = f"O pedido {c.order()} está {status}."
    if status in ("em trânsito", "faturado", "saiu para entrega"):
        asst += f" Previsão de entrega {c.em(city)}: {_fmt_date(eta)}. O link de rastreamento e o CT-e foram enviados por e-mail."
    else:
        asst += " A expedição deve ocorrer no próximo dia útil; te aviso com o rastreio."
    return [(user, asst)]


def _i_alterar_pedido(c: _Ctx) -> list[Exchange]:
    inv = c.get_inverter()
    if inv is None or len(c.inverters) < 2:
        return _i_rastreamento(c)
    other = c.rng.choice([x for x in c.inverters if x["sku"] != inv["sku"]])
    user = c.pick([
        f"Dá pra trocar o inversor do pedido {c.order()} pelo {other['name']}?",
        f"Quero mudar o {inv['sku']} do {c.order()} para o {other['sku']}, pode ser?",
    ])
    c.use(other)
    asst = (
        f"Se o pedido ainda não foi faturado, dá sim: troco pelo {other['name']} ({_fmt_power(other['paco'])}) e gero nova cotação "
        f"com a diferença de valor ({_brl(c.price(other))} a unidade). Se já foi faturado, seguimos com devolução e nova venda."
    )
    return [(user, asst)]


def _i_tecnologia_modulo(c: _Ctx) -> list[Exchange]:
    m = c.get_module()
    if m is None:
        return _i_ficha_tecnica(c)
    user = c.pick([
        f"O {m['name']} é monocristalino?",
        f"Qual a tecnologia da célula do {m['sku']}?",
        f"Esse módulo {c.ref(m)} é filme fino ou cristalino?",
    ])
    asst = f"O {m['name']} é de {_tech_pt(m['tech'])} ({m['tech']}), com {m['watts']} W em STC."
    if "CdTe" in m["tech"] or "Thin" in m["tech"]:
        asst += " Filme fino tem bom desempenho em calor, mas exige mais área por kWp."
    elif "Multi" in m["tech"]:
        asst += " O policristalino tem eficiência um pouco menor que o mono, ocupando mais área por kWp."
    return [(user, asst)]


def _i_fio_b(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        "Meu cliente perguntou se ainda vale a pena por causa do Fio B. Quanto paga em 2026?",
        "Como fica a taxação do sol esse ano?",
        "Quem homologou em 2022 paga Fio B?",
    ])
    if "2022" in user:
        asst = "Quem protocolou a solicitação de acesso até 7 de janeiro de 2023 mantém a compensação integral até 2045, sem Fio B."
    else:
        asst = (
            "Em 2026 a energia injetada e compensada paga 60% do Fio B (75% em 2027 e 90% em 2028). O que é consumido na hora "
            "não paga. Na maioria das distribuidoras o retorno continua atrativo, só um pouco mais longo."
        )
    return [(user, asst)]


def _i_segunda_via(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        f"Perdi o boleto do pedido {c.order()}, consegue reenviar?",
        f"O boleto do {c.order()} venceu ontem, tem como gerar outro?",
    ])
    asst = (
        f"Claro. A segunda via do {c.order()} está no portal, em Financeiro, e já reenviei para o seu e-mail cadastrado. "
        "Se o vencimento passou de 5 dias úteis numa venda à vista, precisarei reemitir a cotação."
    )
    return [(user, asst)]


def _i_limite_micro(c: _Ctx) -> list[Exchange]:
    user = c.pick([
        "Até quantos kW ainda é microgeração?",
        "Um sistema de 90 kWp com inversor de 75 kW é micro ou mini?",
    ])
    asst = (
        "Microgeração vai até 75 kW de potência instalada em CA; acima disso é minigeração. Para fotovoltaica vale, em geral, "
        "a menor entre a potência dos inversores e a dos módulos, então 90 kWp com 75 kW de inversor continua microgeração."
    )
    return [(user, asst)]


_INTENTS: dict[str, IntentFn] = {
    "preco_quantidade": _i_preco_quantidade,
    "preco_sku": _i_preco_sku,
    "estoque": _i_estoque,
    "prazo_entrega": _i_prazo_entrega,
    "garantia_modulo": _i_garantia_modulo,
    "garantia_inversor": _i_garantia_inversor,
    "inversor_para_kwp": _i_inversor_para_kwp,
    "compatibilidade": _i_compatibilidade,
    "pagamento_boleto": _i_boleto,
    "pagamento_pix": _i_pix,
    "pagamento_cartao": _i_cartao,
    "nota_fiscal": _i_nota_fiscal,
    "rma_inversor": _i_rma_inversor,
    "homologacao": _i_homologacao,
    "comparar_modulos": _i_comparar_modulos,
    "ficha_tecnica": _i_ficha_tecnica,
    "cadastro_revenda": _i_cadastro_revenda,
    "desconto_volume": _i_desconto_volume,
    "frete_modalidade": _i_frete_modalidade,
    "avaria": _i_avaria,
    "retirada_cd": _i_retirada,
    "kit_residencial": _i_kit_residencial,
    "inmetro": _i_inmetro,
    "oversizing": _i_oversizing,
    "validade_cotacao": _i_validade_cotacao,
    "rastreamento": _i_rastreamento,
    "alterar_pedido": _i_alterar_pedido,
    "tecnologia_modulo": _i_tecnologia_modulo,
    "fio_b": _i_fio_b,
    "segunda_via_boleto": _i_segunda_via,
    "limite_microgeracao": _i_limite_micro,
}

# Intenção principal -> follow-ups plausíveis.
_PRIMARY_WEIGHTS = {
    "preco_quantidade": 14, "preco_sku": 6, "estoque": 6, "inversor_para_kwp": 8, "compatibilidade": 6,
    "rma_inversor": 7, "homologacao": 5, "comparar_modulos": 4, "ficha_tecnica": 4, "cadastro_revenda": 2,
    "desconto_volume": 4, "avaria": 3, "kit_residencial": 6, "oversizing": 3, "rastreamento": 4,
    "alterar_pedido": 2, "tecnologia_modulo": 2, "fio_b": 2, "segunda_via_boleto": 2, "garantia_inversor": 4,
    "garantia_modulo": 3, "retirada_cd": 1, "limite_microgeracao": 1, "inmetro": 1, "prazo_entrega": 2,
}
_SALES_FOLLOW = ["estoque", "prazo_entrega", "pagamento_pix", "pagamento_boleto", "pagamento_cartao", "nota_fiscal",
                 "desconto_volume", "validade_cotacao", "frete_modalidade", "garantia_modulo", "garantia_inversor",
                 "retirada_cd", "preco_quantidade"]
_TECH_FOLLOW = ["preco_quantidade", "estoque", "ficha_tecnica", "garantia_inversor", "garantia_modulo", "inmetro",
                "oversizing", "compatibilidade", "prazo_entrega", "homologacao"]
_POST_FOLLOW = ["garantia_inversor", "prazo_entrega", "nota_fiscal", "rastreamento", "segunda_via_boleto", "homologacao"]
_REG_FOLLOW = ["inmetro", "ficha_tecnica", "fio_b", "limite_microgeracao", "inversor_para_kwp", "preco_quantidade"]
_FOLLOW_UPS = {
    "preco_quantidade": _SALES_FOLLOW, "preco_sku": _SALES_FOLLOW, "estoque": _SALES_FOLLOW,
    "desconto_volume": _SALES_FOLLOW, "cadastro_revenda": _SALES_FOLLOW + ["frete_modalidade"],
    "inversor_para_kwp": _TECH_FOLLOW, "compatibilidade": _TECH_FOLLOW, "comparar_modulos": _TECH_FOLLOW,
    "ficha_tecnica": _TECH_FOLLOW, "kit_residencial": _TECH_FOLLOW + ["fio_b"], "oversizing": _TECH_FOLLOW,
    "tecnologia_modulo": _TECH_FOLLOW, "rma_inversor": _POST_FOLLOW, "avaria": _POST_FOLLOW,
    "rastreamento": _POST_FOLLOW, "alterar_pedido": _POST_FOLLOW, "segunda_via_boleto": _POST_FOLLOW,
    "garantia_inversor": _POST_FOLLOW + ["preco_quantidade"], "garantia_modulo": _POST_FOLLOW + ["preco_quantidade"],
    "homologacao": _REG_FOLLOW, "fio_b": _REG_FOLLOW, "limite_microgeracao": _REG_FOLLOW, "inmetro": _REG_FOLLOW,
    "retirada_cd": _SALES_FOLLOW, "prazo_entrega": _SALES_FOLLOW,
}

# ---------------------------------------------------------------------------
# Trocas de abertura, dados pessoais e encerramento
# ---------------------------------------------------------------------------


def _greeting(c: _Ctx) -> Exchange:
    pr = c.profile
    who = ""
    if pr["company"] and c.rng.random() < 0.5:
        short = pr["company"].replace(" Ltda", "")
        who = c.pick([f" Aqui é {pr['first']}, da {short}.", f" Sou {pr['first']} da {short}."])
    elif c.rng.random() < 0.3:
        who = c.pick([f" Aqui é {pr['first']}.", f" Meu nome é {pr['first']}."])
    user = c.pick([
        f"{c.hi()}!{who}",
        f"{c.hi()}, tudo bem?{who}",
        f"{c.hi()}.{who} Preciso de uma ajuda.",
        f"{c.hi()}!{who} Tem alguém aí?",
        f"{c.hi()}, preciso de um orçamento.{who}",
    ])
    name = f", {pr['first']}" if who else ""
    asst = c.pick([
        f"Olá{name}! Sou o Hélio, assistente virtual da Helio Solar. Como posso ajudar?",
        f"Oi{name}, tudo ótimo! Aqui é o Hélio. Em que posso te ajudar hoje?",
        f"Olá{name}! Hélio por aqui. Me conta o que você precisa.",
    ])
    return user, asst


def _pii_exchanges(c: _Ctx) -> list[Exchange]:
    pr = c.profile
    phone = _fmt_phone(pr["phone"], pr["phone_style"] + c.rng.randrange(2) * c.rng.randrange(7))
    cpf = format_cpf(pr["cpf"]) if c.rng.random() < 0.6 else pr["cpf"]
    cnpj = None
    if pr["cnpj"]:
        cnpj = format_cnpj(pr["cnpj"]) if c.rng.random() < 0.8 else pr["cnpj"]
    full = f"{pr['first']} {pr['last']}"
    options: list[Exchange] = [
        (
            c.pick([
                f"Pode mandar a cotação para o e-mail {pr['email']}?",
                f"Manda no meu e-mail: {pr['email']}",
                f"Me envia tudo por e-mail, {pr['email']}, que eu passo pro cliente.",
            ]),
            c.pick([
                f"Claro! Enviei a cotação para {pr['email']}. Qualquer dúvida é só chamar.",
                "Perfeito, a cotação segue por e-mail em instantes.",
            ]),
        ),
        (
            c.pick([
                f"Meu whats é {phone}, se o consultor precisar falar comigo.",
                f"Pode pedir pro comercial me ligar no {phone}?",
                f"Anota meu telefone: {phone}.",
            ]),
            "Anotado! Um consultor vai te chamar no próximo horário comercial.",
        ),
        (
            c.pick([
                f"A nota é no meu CPF mesmo: {cpf}.",
                f"Sou {full}, CPF {cpf}. Pode fazer o cadastro.",
                f"Faturamento em nome de {full}, CPF {cpf}, e-mail {pr['email']}.",
            ]),
            c.pick([
                f"Obrigado, {pr['first']}! Cadastro atualizado com o CPF final {pr['cpf'][-2:]}.",
                "Cadastro conferido. Vou gerar o pedido com esses dados.",
            ]),
        ),
        (
            f"Endereço de entrega: {pr['address']}. Quem recebe é {pr['first']}, telefone {phone}.",
            "Endereço registrado no pedido. A transportadora liga antes de entregar.",
        ),
    ]
    if cnpj:
        options += [
            (
                c.pick([
                    f"Para faturar: {pr['company']}, CNPJ {cnpj}. E-mail do financeiro: {pr['finance_email']}.",
                    f"Fatura no CNPJ {cnpj} ({pr['company']}), por favor.",
                    f"Nosso CNPJ é {cnpj}. Manda o boleto e a NF para {pr['finance_email']}.",
                ]),
                c.pick([
                    f"Perfeito! Localizei o cadastro da {pr['company']}. NF-e e boleto vão para o e-mail do financeiro.",
                    "Obrigado! CNPJ conferido e ativo; sigo com o pedido.",
                ]),
            ),
        ]
    k = 1 if c.rng.random() < 0.6 else 2
    idx = c.rng.sample(range(len(options)), k)
    return [options[i] for i in sorted(idx)]


def _closing(c: _Ctx) -> Exchange:
    user = c.pick([
        "Obrigado!", "Valeu, Hélio!", "Perfeito, obrigado pela ajuda.", "Show, vou fechar então.", "Ok, aguardo.",
        "Beleza, vou passar pro cliente e te retorno.", "Ótimo, era isso. Obrigada!", "Fechado, pode seguir.",
        "Vou analisar com o engenheiro e volto a falar.", "Top, muito obrigado!",
    ])
    asst = c.pick([
        "Por nada! Se precisar, é só chamar.",
        "Eu que agradeço! Bons projetos.",
        "Combinado. Qualquer novidade te aviso por aqui.",
        "Fico à disposição. Até mais!",
        "Perfeito! Estou por aqui se surgir qualquer dúvida.",
    ])
    return user, asst


_SYSTEM_PROMPT = (
    "Você é o Hélio, assistente virtual da Helio Solar Distribuidora (distribuidora B2B de equipamentos "
    "fotovoltaicos). Responda em português do Brasil, com base no catálogo e nas políticas comerciais vigentes. "
    "Não conceda descontos fora da tabela e não peça senhas ou dados de cartão."
)


def _email_wrap(text: str, c: _Ctx) -> str:
    pr = c.profile
    opening = c.pick([f"{c.time_greeting()},", "Olá,", "Prezados,", "Olá, equipe Helio,"])
    closing = c.pick(["Att.,", "Obrigado,", "Abraços,", "Atenciosamente,"])
    signature = pr["first"]
    if pr["company"] and c.rng.random() < 0.4:
        signature = f"{pr['first']} {pr['last']}\n{pr['company']}"
    return f"{opening}\n\n{text}\n\n{closing}\n{signature}"


def _build_conversation(c: _Ctx, with_pii: bool) -> tuple[list[tuple[str, str, str]], bool]:
    """Return ([(intent, user, assistant), ...], has_system)."""
    rng = c.rng
    available = {k: w for k, w in _PRIMARY_WEIGHTS.items()}
    if len(c.modules) < 2:
        available.pop("comparar_modulos", None)
    names = list(available)
    primary = rng.choices(names, weights=[available[k] for k in names])[0]
    has_system = rng.random() < 0.3
    max_ex = 6 if has_system else 7

    body: list[tuple[str, str, str]] = [(primary, u, a) for u, a in _INTENTS[primary](c)]
    follow_pool = [f for f in _FOLLOW_UPS.get(primary, _SALES_FOLLOW) if f != primary]
    n_follow = rng.choice([0, 1, 1, 2, 2, 3, 4])
    used = {primary}
    for f in rng.sample(follow_pool, min(n_follow, len(follow_pool))):
        if f in used:
            continue
        used.add(f)
        body += [(f, u, a) for u, a in _INTENTS[f](c)]

    pii = [("dados_cliente", u, a) for u, a in _pii_exchanges(c)] if with_pii else []
    greet = [("saudacao",) + _greeting(c)] if (c.channel != "email" and rng.random() < 0.5) else []
    close = [("encerramento",) + _closing(c)] if rng.random() < 0.45 else []

    # Trim to the maximum number of exchanges (keeps primary + PII).
    def total() -> int:
        return len(greet) + len(body) + len(pii) + len(close)

    while total() > max_ex and close:
        close.pop()
    while total() > max_ex and greet:
        greet.pop()
    while total() > max_ex and len(body) > 1:
        body.pop()
    while total() > max_ex and len(pii) > 1:
        pii.pop()
    exchanges = greet + body + pii + close
    if len(exchanges) < 2:
        extra = [k for k in ("prazo_entrega", "pagamento_pix", "validade_cotacao") if k not in used][0]
        exchanges.insert(len(greet) + len(body), (extra,) + _INTENTS[extra](c)[0])
    return exchanges, has_system


# ---------------------------------------------------------------------------
# API pública
# ---------------------------------------------------------------------------


def generate_conversations(products: list[dict], n: int = 320, seed: int = 42) -> list[dict]:
    """Generate ``n`` deterministic pt-BR support conversations about ``products``.

    Returns a list of ``{"correlation_id", "owner_id", "messages"}`` dicts, sorted
    chronologically (``conv-000001`` is the earliest). Each message has ``role``,
    ``content``, ``created_at`` (timezone-aware UTC ``datetime``) and ``metadata``
    (``channel``, ``message_index``; user messages also carry ``intent`` and, when a
    catalog product is involved, ``skus``; PII-bearing messages carry ``contains_pii``).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    catalog = _build_catalog(list(products or []), seed)
    if not catalog:
        raise ValueError("generate_conversations needs at least one product with a 'sku'")
    names = {p["sku"]: p["name"] for p in catalog}
    rng = random.Random(seed)

    n_owners = 60 if n >= 180 else max(1, n // 3)
    profiles = _make_profiles(n_owners, seed)
    # Every owner gets >= 2 conversations (when possible); the rest by activity weight.
    base = min(2, n // n_owners)
    owner_idx = [i for i in range(n_owners) for _ in range(base)]
    weights = [p["activity"] for p in profiles]
    owner_idx += rng.choices(range(n_owners), weights=weights, k=n - len(owner_idx))
    rng.shuffle(owner_idx)

    drafts = []
    for k, oi in enumerate(owner_idx):
        profile = profiles[oi]
        crng = random.Random(zlib.crc32(f"conv:{seed}:{k}".encode("utf-8")))
        day = crng.randrange(_PERIOD_DAYS)
        hour = crng.randint(0, 10) if crng.random() < 0.1 else crng.randint(11, 20)
        start = _PERIOD_START + timedelta(days=day, hours=hour, minutes=crng.randrange(60), seconds=crng.randrange(60))
        channel = profile["channel"] if crng.random() < 0.75 else crng.choice(["whatsapp", "web", "email"])
        ctx = _Ctx(crng, profile, catalog, start, channel)
        with_pii = crng.random() < _PII_RATE
        exchanges, has_system = _build_conversation(ctx, with_pii)

        messages: list[dict] = []
        t = start
        if has_system:
            messages.append(_msg("system", _SYSTEM_PROMPT, t, channel, len(messages)))
            t += timedelta(seconds=crng.randint(20, 40))
        for j, (intent, user, asst) in enumerate(exchanges):
            if j > 0:
                t += timedelta(seconds=crng.randint(30, 900))
            content = _email_wrap(user, ctx) if channel == "email" else user
            meta_extra: dict[str, Any] = {"intent": intent}
            skus = [s for s in ctx.skus if s in user or names[s] in user]
            if skus:
                meta_extra["skus"] = skus
            if _has_pii(content, profile):
                meta_extra["contains_pii"] = True
            messages.append(_msg("user", content, t, channel, len(messages), meta_extra))
            t += timedelta(seconds=crng.randint(20, 180))
            a_extra = {"contains_pii": True} if _has_pii(asst, profile) else None
            messages.append(_msg("assistant", asst, t, channel, len(messages), a_extra))
        drafts.append((start, k, profile["owner_id"], messages))

    drafts.sort(key=lambda d: (d[0], d[1]))
    return [
        {"correlation_id": f"conv-{i + 1:06d}", "owner_id": owner, "messages": msgs}
        for i, (_, _, owner, msgs) in enumerate(drafts)
    ]


def _has_pii(text: str, profile: dict) -> bool:
    """True when ``text`` contains the owner's e-mail, address, phone, CPF or CNPJ."""
    if profile["email"] in text or profile["finance_email"] in text or profile["address"] in text:
        return True
    digits = re.sub(r"\D", "", text)
    keys = [profile["phone"], profile["cpf"]] + ([profile["cnpj"]] if profile["cnpj"] else [])
    return any(k in digits for k in keys)


def _msg(role: str, content: str, t: datetime, channel: str, index: int, extra: dict | None = None) -> dict:
    meta: dict[str, Any] = {"channel": channel, "message_index": index}
    if extra:
        meta.update(extra)
    return {"role": role, "content": content, "created_at": t, "metadata": meta}
