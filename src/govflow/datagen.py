"""Synthetic multi-country customer table with exact ground truth, and a leak counter.

``govflow demo``, the end-to-end tests and the accuracy and throughput benchmarks need data shaped like
a real customer table — twenty countries, checksum-valid national identifiers, IBANs, phone numbers,
free-text notes that name people or mention their health, and non-PII values that look like PII —
but holding no real person's data, and with every PII value known exactly. Only then can a detector's
recall and a pipeline's leaks be counted instead of eyeballed.

Everything is drawn from one ``random.Random(seed)`` and from per-locale Faker instances seeded from
it, so one seed always gives the same table (for the installed Faker and phonenumbers versions, whose
data tables shape the values). No global random state is read or changed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import phonenumbers
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from faker import Faker
from phonenumbers import PhoneNumberFormat, PhoneNumberType

COUNTRIES: tuple[str, ...] = (
    "GB", "US", "CA", "DE", "FR", "ES", "IT", "NL", "PL", "BR",
    "CN", "RU", "IN", "JP", "KR", "SG", "AU", "ZA", "CH", "SA",
)  # fmt: skip

CUSTOMER_SCHEMA = pa.schema(
    [
        pa.field("order_id", pa.string()),
        pa.field("customer_name", pa.string()),
        pa.field("email", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("national_id", pa.string()),
        pa.field("iban", pa.string()),
        pa.field("card_number", pa.string()),
        pa.field("date_of_birth", pa.date32()),
        pa.field("street_address", pa.string()),
        pa.field("city", pa.string()),
        pa.field("postcode", pa.string()),
        pa.field("country", pa.string()),
        pa.field("ip_address", pa.string()),
        pa.field("notes", pa.string()),
        pa.field("sku", pa.string()),
        pa.field("tracking_number", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("amount", pa.float64()),
        pa.field("quantity", pa.int64()),
    ]
)
"""The generated table's schema: column order and Arrow types are part of the contract."""

NATIONAL_ID = "NATIONAL_ID"
"""``column_entities`` label of the national_id column, whose entity differs per row (see
``GroundTruth.national_id_entities``)."""

_COLUMN_ENTITIES: dict[str, str | None] = {
    "order_id": None,
    "customer_name": "PERSON",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "national_id": NATIONAL_ID,
    "iban": "IBAN_CODE",
    "card_number": "CREDIT_CARD",
    "date_of_birth": "DATE_OF_BIRTH",
    "street_address": "LOCATION",
    "city": "LOCATION",
    "postcode": "POSTCODE",
    "country": None,
    "ip_address": "IP_ADDRESS",
    "notes": None,  # free text: its PII is per span, in GroundTruth.text_spans
    "sku": None,
    "tracking_number": None,
    "created_at": None,
    "amount": None,
    "quantity": None,
}
_PII_COLUMNS: tuple[str, ...] = tuple(c for c, e in _COLUMN_ENTITIES.items() if e is not None)

# Faker locales per country; the first one also gives street, city and postcode. SG and SA get
# hand-written names and addresses (Faker has no en_SG, and ar_SA has only Arabic-script names
# and mixes English words into its addresses).
_LOCALES: dict[str, tuple[str, ...]] = {
    "GB": ("en_GB",), "US": ("en_US",), "CA": ("en_CA",), "DE": ("de_DE",), "FR": ("fr_FR",),
    "ES": ("es_ES",), "IT": ("it_IT",), "NL": ("nl_NL",), "PL": ("pl_PL",), "BR": ("pt_BR",),
    "CN": ("zh_CN",), "RU": ("ru_RU",), "IN": ("en_IN",), "JP": ("ja_JP",), "KR": ("ko_KR",),
    "SG": ("zh_CN", "en_IN"), "AU": ("en_AU",), "ZA": ("zu_ZA",), "CH": ("de_CH",), "SA": (),
}  # fmt: skip
_NATIVE_SCRIPT = frozenset({"CN", "JP", "KR", "RU"})
"""Countries whose names are written in their own script for about half of the rows."""

# Share of each notes kind; the rest of the rows get a religion-related note.
_NOTES_NULL, _NOTES_PLAIN, _NOTES_CONTACT, _NOTES_HEALTH = 0.05, 0.42, 0.40, 0.10

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------------------------------
# Check digits. One helper per algorithm; the national-ID and IBAN builders below share them, and the
# tests check every result with python-stdnum (an independent implementation) where one exists.
# --------------------------------------------------------------------------------------------------


def _weighted_sum(digits: str, weights: Iterable[int]) -> int:
    """Sum of digit × weight, the core of most national check-digit schemes."""
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


def _luhn_digit(body: str) -> str:
    """Luhn (ISO/IEC 7812) check digit: payment cards, Canadian SIN, South African and Saudi IDs."""
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = int(char)
        if i % 2 == 0:  # the check digit will sit right of `body`, so doubling starts at its last digit
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def _mod10_complement_digit(body: str, weights: Sequence[int]) -> str:
    """10 - (weighted sum mod 10): EAN-13 (Swiss AHV numbers) and the Polish PESEL."""
    return str(-_weighted_sum(body, weights) % 10)


def _mod11_zero_sum_digit(body: str, weights: Sequence[int], check_weight: int) -> str | None:
    """The digit that makes the weighted sum including it ≡ 0 (mod 11): NHS (check weight 1), BSN (-1)
    and TFN (10). None when that digit would be 10: issuers skip such bodies, so callers redraw."""
    digit = -_weighted_sum(body, weights) * pow(check_weight, -1, 11) % 11
    return None if digit == 10 else str(digit)


def _mod11_zero_sum_number(rng: random.Random, leads: str, weights: Sequence[int], check_weight: int) -> str:
    """A random body (first digit from `leads`, one digit per weight) and its ``_mod11_zero_sum_digit``,
    redrawn while no check digit fits."""
    while True:
        body = rng.choice(leads) + _digits(rng, len(weights) - 1)
        check = _mod11_zero_sum_digit(body, weights, check_weight)
        if check is not None:
            return body + check


def _mod11_digit(body: str, weights: Sequence[int]) -> str:
    """11 - (weighted sum mod 11), with 10 and 11 written as 0: Brazilian CPF and Japanese My Number."""
    return str(-_weighted_sum(body, weights) % 11 % 10)


def _iso7064_mod11_10_digit(body: str) -> str:
    """ISO 7064 MOD 11,10 (hybrid) check digit: German Steuer-ID."""
    product = 10
    for char in body:
        product = ((int(char) + product) % 10 or 10) * 2 % 11
    return str((11 - product) % 10)


def _iso7064_mod11_2_char(body: str) -> str:
    """ISO 7064 MOD 11-2 check character (X for 10): Chinese resident identity card."""
    check = (12 - _weighted_sum(body, [pow(2, len(body) - i, 11) for i in range(len(body))]) % 11) % 11
    return "X" if check == 10 else str(check)


def _mod97_key(number: int) -> str:
    """97 - (number mod 97), two digits: French NIR key and French RIB key."""
    return f"{97 - number % 97:02d}"


def _iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 - (BBAN + country + "00", letters as 10..35) mod 97."""
    return f"{98 - int(''.join(str(int(c, 36)) for c in bban + country + '00')) % 97:02d}"


# Verhoeff: multiplication in the dihedral group D5, a position-dependent permutation and its inverse.
_VERHOEFF_D = tuple(
    tuple(
        (j + k) % 5 if j < 5 and k < 5
        else (j + k - 5) % 5 + 5 if j < 5
        else (j - 5 - k) % 5 + 5 if k < 5
        else (j - k) % 5
        for k in range(10)
    )
    for j in range(10)
)  # fmt: skip
_VERHOEFF_P1 = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _verhoeff_digit(body: str) -> str:
    """Verhoeff check digit: Indian Aadhaar. Unlike Luhn it catches every adjacent transposition."""
    check = 0
    for i, char in enumerate(reversed(body), 1):
        digit = int(char)
        for _ in range(i % 8):  # the permutation applied i times
            digit = _VERHOEFF_P1[digit]
        check = _VERHOEFF_D[check][digit]
    return str(_VERHOEFF_INV[check])


# --------------------------------------------------------------------------------------------------
# National identifiers, one builder per country, in the written form usual there. Identifiers that
# encode a birth date or sex take them from the row, so the row is coherent.
# --------------------------------------------------------------------------------------------------


class _Person(NamedTuple):
    """What identifiers derived from a person (birth date, sex, name letters) are built from."""

    gender: str  # "F" or "M"
    birth: dt.date
    first: str  # Latin-script given name, for e-mail addresses and name-derived codes
    last: str  # Latin-script family name


def _digits(rng: random.Random, count: int) -> str:
    """`count` random digits, leading zeros included."""
    return f"{rng.randrange(10**count):0{count}d}"


_NINO_UNUSED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _gb_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """NHS number (mod 11, written 3 3 4) for most rows, National Insurance number for the rest."""
    if rng.random() < 0.3:
        # HMRC NIM39110: first letter not D F I Q U V, second not D F I O Q U V, some pairs unused.
        while (prefix := rng.choice("ABCEGHJKLMNOPRSTWXYZ") + rng.choice("ABCEGHJKLMNPRSTWXYZ")) in _NINO_UNUSED:
            pass
        body = _digits(rng, 6)
        return f"{prefix} {body[:2]} {body[2:4]} {body[4:]} {rng.choice('ABCD')}", "UK_NINO"
    number = _mod11_zero_sum_number(rng, "467", range(10, 1, -1), 1)
    return f"{number[:3]} {number[3:6]} {number[6:]}", "UK_NHS"


def _us_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """SSN: no check digit, only SSA ranges (area not 000, 666 or 9xx; group and serial not zero)."""
    while True:
        area = rng.randint(1, 899)
        ssn = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        if area != 666 and ssn not in {"078-05-1120", "457-55-5462", "219-09-9999"}:  # advertised SSNs
            return ssn, "US_SSN"


def _ca_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """SIN: Luhn; the first digit is the issuing region (never 0 or 8)."""
    body = rng.choice("1234567") + _digits(rng, 7)
    number = body + _luhn_digit(body)
    return f"{number[:3]} {number[3:6]} {number[6:]}", "CA_SIN"


def _de_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """Steuer-ID: in the first ten digits one digit occurs twice or three times (never three in a row),
    the others at most once, no leading zero; ISO 7064 MOD 11,10 check digit."""
    repeated = rng.choice(_DIGITS)
    times = rng.choice((2, 3))
    others = rng.sample([d for d in _DIGITS if d != repeated], 10 - times)
    digits = [repeated] * times + others
    while True:
        rng.shuffle(digits)
        body = "".join(digits)
        if body[0] != "0" and repeated * 3 not in body:
            number = body + _iso7064_mod11_10_digit(body)
            return f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:]}", "DE_TAX_ID"


def _fr_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """NIR: sex, birth year and month, département (2A/2B for Corsica), commune, order, mod-97 key."""
    department = (
        rng.choice(("2A", "2B")) if rng.random() < 0.02 else f"{rng.choice([*range(1, 20), *range(21, 96)]):02d}"
    )
    body = (
        f"{1 if person.gender == 'M' else 2}{person.birth.year % 100:02d}{person.birth.month:02d}"
        f"{department}{rng.randint(1, 990):03d}{rng.randint(1, 999):03d}"
    )
    key = _mod97_key(int(body.replace("2A", "19").replace("2B", "18")))
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key}", "FR_NIR"


def _dni_letter(number: int) -> str:
    """Spanish DNI check letter: the number mod 23 indexes a fixed alphabet."""
    return "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]


def _es_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """DNI/NIF: eight digits and the mod-23 letter, written without separators."""
    number = rng.randrange(10**8)
    return f"{number:08d}{_dni_letter(number)}", "ES_NIF"


# Odd-position values of 0-9 / A-Z (DM 23/12/1976); digits share the values of A-J.
_CF_ODD_VALUES = (
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
)  # fmt: skip
# Codici catastali (Belfiore) of large comuni: Roma, Milano, Napoli, Torino, Palermo, Genova, Bologna,
# Firenze, Bari, Catania, Venezia, Verona.
_CF_PLACES = ("H501", "F205", "F839", "L219", "G273", "D969", "A944", "D612", "A662", "C351", "L736", "L781")


def _cf_check_char(body: str) -> str:
    """Codice fiscale check letter: odd positions (1-based) through the DM 23/12/1976 table, even
    positions at face value (digits 0-9, letters 0-25), sum mod 26."""
    total = 0
    for i, char in enumerate(body):
        value = int(char) if char.isdigit() else ord(char) - ord("A")
        total += _CF_ODD_VALUES[value] if i % 2 == 0 else value
    return _UPPER[total % 26]


def _cf_name_part(name: str, given: bool) -> str:
    """Three letters of a name: its consonants then vowels, X-padded; a given name with four or more
    consonants uses the first, third and fourth."""
    letters = [c for c in _ascii_fold(name).upper() if c in _UPPER]
    consonants = [c for c in letters if c not in "AEIOU"]
    if given and len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return ("".join(consonants) + "".join(c for c in letters if c in "AEIOU") + "XXX")[:3]


def _it_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """Codice fiscale from the row's own name, birth date and sex, birth place and check letter."""
    birth = person.birth
    day = birth.day + (40 if person.gender == "F" else 0)
    body = (
        f"{_cf_name_part(person.last, given=False)}{_cf_name_part(person.first, given=True)}"
        f"{birth.year % 100:02d}{'ABCDEHLMPRST'[birth.month - 1]}{day:02d}{rng.choice(_CF_PLACES)}"
    )
    return body + _cf_check_char(body), "IT_FISCAL_CODE"


def _nl_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """BSN: nine digits passing the "11-proef" (weights 9..2 and -1), written 1234.56.789."""
    number = _mod11_zero_sum_number(rng, "123456", range(9, 1, -1), -1)
    return f"{number[:4]}.{number[4:6]}.{number[6:]}", "NL_BSN"


def _pl_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """PESEL: birth date (+20 on the month for the 2000s), serial, sex digit (odd male), check digit."""
    birth = person.birth
    month = birth.month + (20 if birth.year >= 2000 else 0)
    sex = rng.choice("13579" if person.gender == "M" else "02468")
    body = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{_digits(rng, 3)}{sex}"
    return body + _mod10_complement_digit(body, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)), "PL_PESEL"


def _br_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """CPF: nine digits and two mod-11 check digits, written 123.456.789-09."""
    while len(set(body := _digits(rng, 9))) == 1:  # repeated-digit CPFs are invalid by rule
        pass
    body += _mod11_digit(body, range(10, 1, -1))
    body += _mod11_digit(body, range(11, 1, -1))
    return f"{body[:3]}.{body[3:6]}.{body[6:9]}-{body[9:]}", "BR_CPF"


# Administrative division codes (GB/T 2260) that have existed under the same code since before 1940,
# so the birth place is valid for any birth year (stdnum.cn.ric checks the code against the year).
_CN_REGIONS = (
    "110101", "110102", "110105", "110106", "120101", "120103", "310101", "310104", "310105",
    "310106", "140121", "330122", "350121", "430121", "510121", "610323", "620121",
)  # fmt: skip


def _cn_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """Resident ID: region, YYYYMMDD birth date, serial (odd for men), ISO 7064 MOD 11-2 check."""
    serial = 2 * rng.randrange(500) + (1 if person.gender == "M" else 0)
    body = f"{rng.choice(_CN_REGIONS)}{person.birth:%Y%m%d}{serial:03d}"
    return body + _iso7064_mod11_2_char(body), "CN_RESIDENT_ID"


def _ru_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """Personal INN (12 digits, two weighted mod-11 check digits) or, for some rows, SNILS
    (9 digits and a mod-101 control number, written 123-456-789 01)."""
    if rng.random() < 0.3:
        body = rng.choice("123456789") + _digits(rng, 8)
        return (
            f"{body[:3]}-{body[3:6]}-{body[6:]} {_weighted_sum(body, range(9, 0, -1)) % 101 % 100:02d}",
            "RU_SNILS",
        )
    body = f"{rng.randint(1, 92):02d}{_digits(rng, 8)}"
    body += str(_weighted_sum(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)
    body += str(_weighted_sum(body, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)
    return body, "RU_INN"


def _in_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """Aadhaar: first digit 2-9, Verhoeff check digit, never a palindrome; written 4 4 4."""
    while True:
        body = rng.choice("23456789") + _digits(rng, 10)
        number = body + _verhoeff_digit(body)
        if number != number[::-1]:
            return f"{number[:4]} {number[4:8]} {number[8:]}", "IN_AADHAAR"


def _jp_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """My Number: eleven digits and a weighted mod-11 check digit, written 4 4 4."""
    body = _digits(rng, 11)
    number = body + _mod11_digit(body, (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
    return f"{number[:4]} {number[4:8]} {number[8:]}", "JP_MY_NUMBER"


def _kr_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """RRN: YYMMDD, a century-and-sex digit, a place code (00-96), serial and a mod-11 check digit."""
    century_sex = (
        ("1" if person.gender == "M" else "2") if person.birth.year < 2000 else ("3" if person.gender == "M" else "4")
    )
    body = f"{person.birth:%y%m%d}{century_sex}{rng.randint(0, 96):02d}{_digits(rng, 3)}"
    check = (11 - _weighted_sum(body, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)) % 11) % 10
    return f"{body[:6]}-{body[6:]}{check}", "KR_RRN"


# ICA NRIC/FIN check letters: (offset added to the weighted sum, letters indexed by the sum mod 11).
_NRIC_CHECK = {
    "S": (0, "JZIHGFEDCBA"),
    "T": (4, "JZIHGFEDCBA"),
    "F": (0, "XWUTRQPNMLK"),
    "G": (4, "XWUTRQPNMLK"),
}


def _nric_letter(prefix: str, digits: str) -> str:
    """NRIC/FIN check letter: digits weighted 2 7 6 5 4 3 2, plus the prefix's offset, mod 11."""
    offset, letters = _NRIC_CHECK[prefix]
    return letters[(offset + _weighted_sum(digits, (2, 7, 6, 5, 4, 3, 2))) % 11]


def _sg_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """NRIC (citizens: S before 2000, T after, digits starting with the birth year) or FIN (F/G)."""
    born_2000s = person.birth.year >= 2000
    if rng.random() < 0.85:
        prefix = "T" if born_2000s else "S"
        digits = f"{person.birth:%y}{_digits(rng, 5)}" if person.birth.year >= 1968 else _digits(rng, 7)
    else:
        prefix, digits = ("G" if born_2000s else "F"), _digits(rng, 7)
    return f"{prefix}{digits}{_nric_letter(prefix, digits)}", "SG_NRIC_FIN"


def _au_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """TFN: nine digits whose weighted sum (1 4 3 7 5 8 6 9 10) is divisible by 11, written 3 3 3."""
    number = _mod11_zero_sum_number(rng, "123456789", (1, 4, 3, 7, 5, 8, 6, 9), 10)
    return f"{number[:3]} {number[3:6]} {number[6:]}", "AU_TFN"


def _za_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """ID number: YYMMDD, sequence (0-4999 women, 5000-9999 men), citizenship (0 citizen, 1 resident),
    the legacy 8, Luhn check digit."""
    sequence = rng.randint(5000, 9999) if person.gender == "M" else rng.randint(0, 4999)
    body = f"{person.birth:%y%m%d}{sequence:04d}{0 if rng.random() < 0.9 else 1}8"
    return body + _luhn_digit(body), "ZA_ID"


def _ch_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """AHV/AVS number: 756 (Switzerland), nine digits, EAN-13 check digit; written 756.1234.5678.97."""
    body = "756" + _digits(rng, 9)
    number = body + _mod10_complement_digit(body, (1, 3) * 6)
    return f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}", "CH_AHV"


def _sa_id(rng: random.Random, person: _Person) -> tuple[str, str]:
    """National ID (starts 1, citizens) or Iqama (starts 2, residents): ten digits, Luhn."""
    body = ("1" if rng.random() < 0.7 else "2") + _digits(rng, 8)
    return body + _luhn_digit(body), "SA_NATIONAL_ID"


_NATIONAL_IDS: dict[str, Callable[[random.Random, _Person], tuple[str, str]]] = {
    "GB": _gb_id, "US": _us_id, "CA": _ca_id, "DE": _de_id, "FR": _fr_id, "ES": _es_id, "IT": _it_id,
    "NL": _nl_id, "PL": _pl_id, "BR": _br_id, "CN": _cn_id, "RU": _ru_id, "IN": _in_id, "JP": _jp_id,
    "KR": _kr_id, "SG": _sg_id, "AU": _au_id, "ZA": _za_id, "CH": _ch_id, "SA": _sa_id,
}  # fmt: skip


# --------------------------------------------------------------------------------------------------
# IBANs: a BBAN of the country's registered shape, then the ISO 13616 check digits.
# --------------------------------------------------------------------------------------------------


def _es_ccc_digit(digits: str) -> str:
    """Spanish CCC check digit: weights 2^i mod 11; 11 - r, with 11 written 0 and 10 written 1."""
    remainder = _weighted_sum(digits, (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)) % 11
    return str(remainder if remainder < 2 else 11 - remainder)


def _es_bban(rng: random.Random) -> str:
    """Bank and branch, the two CCC check digits (stdnum.es.iban checks them), account."""
    bank_branch, account = _digits(rng, 8), _digits(rng, 10)
    return f"{bank_branch}{_es_ccc_digit('00' + bank_branch)}{_es_ccc_digit(account)}{account}"


def _fr_bban(rng: random.Random) -> str:
    """Bank, branch, account and the RIB key 97 - (89 bank + 15 branch + 3 account) mod 97."""
    bank, branch, account = _digits(rng, 5), _digits(rng, 5), _digits(rng, 11)
    return f"{bank}{branch}{account}{_mod97_key(89 * int(bank) + 15 * int(branch) + 3 * int(account))}"


# BBAN shapes of the SWIFT IBAN registry (as in stdnum's iban.dat), with real-looking bank codes where
# the format has letters.
_BBANS: dict[str, Callable[[random.Random], str]] = {
    "GB": lambda rng: rng.choice(("NWBK", "BARC", "LOYD", "HBUK", "MIDL")) + _digits(rng, 14),
    "DE": lambda rng: rng.choice("12345678") + _digits(rng, 17),
    "FR": _fr_bban,
    "ES": _es_bban,
    "IT": lambda rng: rng.choice(_UPPER) + _digits(rng, 22),
    "NL": lambda rng: rng.choice(("ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB")) + _digits(rng, 10),
    "PL": lambda rng: _digits(rng, 24),
    "BR": lambda rng: _digits(rng, 23) + rng.choice("CP") + "1",  # account type, account holder
    "RU": lambda rng: "04" + _digits(rng, 27),  # BIC (04…), branch, account
    "CH": lambda rng: _digits(rng, 17),
    "SA": lambda rng: rng.choice(("10", "15", "20", "30", "40", "45", "55", "60", "65", "80")) + _digits(rng, 18),
}
IBAN_COUNTRIES: frozenset[str] = frozenset(_BBANS)
"""Countries whose rows carry an IBAN (the others have none: null)."""


def _iban(rng: random.Random, country: str) -> str:
    """An IBAN in groups of four (the paper form) for about half of the rows, compact for the rest."""
    bban = _BBANS[country](rng)
    iban = f"{country}{_iban_check_digits(country, bban)}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.5 else iban


# --------------------------------------------------------------------------------------------------
# Other structured values.
# --------------------------------------------------------------------------------------------------


def _card(rng: random.Random) -> str:
    """Visa, Mastercard (51-55 and 2221-2720) or Amex, Luhn-valid; about half written in groups."""
    kind = rng.random()
    if kind < 0.15:
        body = rng.choice(("34", "37")) + _digits(rng, 12)
        number, groups = body + _luhn_digit(body), (4, 6, 5)  # Amex prints 4 6 5
    else:
        prefix = "4" if kind < 0.65 else str(rng.choice([*range(51, 56), *range(2221, 2721)]))
        body = prefix + _digits(rng, 15 - len(prefix))
        number, groups = body + _luhn_digit(body), (4, 4, 4, 4)
    if rng.random() < 0.5:
        return number
    starts = [sum(groups[:i]) for i in range(len(groups))]
    return " ".join(number[s : s + g] for s, g in zip(starts, groups, strict=True))


_PUBLIC_FIRST_OCTETS = tuple(o for o in range(1, 224) if o not in {10, 100, 127, 169, 172, 192})


def _ip_address(rng: random.Random) -> str:
    """IPv4 outside the private and loopback blocks; about one in ten IPv6 global unicast."""
    if rng.random() < 0.1:
        return str(ipaddress.IPv6Address((0x2 << 125) | rng.getrandbits(125)))
    return f"{rng.choice(_PUBLIC_FIRST_OCTETS)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"


def _sku(rng: random.Random) -> str:
    """Look-alike non-PII: letter-digit codes that must not be mistaken for identifiers."""
    if rng.random() < 0.5:
        return f"SKU-{_digits(rng, 4)}-{rng.choice(('XS', 'S', 'M', 'L', 'XL', 'XXL'))}"
    return f"{''.join(rng.choices(_UPPER, k=2))}-{_digits(rng, 5)}-{''.join(rng.choices(_UPPER, k=2))}"


def _tracking_number(rng: random.Random) -> str:
    """UPS (1Z + 16), USPS (22 digits) or DHL (10 digits): digit runs that look like identifiers."""
    kind = rng.random()
    if kind < 0.4:
        return "1Z" + "".join(rng.choices(_UPPER + _DIGITS, k=6)) + _digits(rng, 10)
    if kind < 0.7:
        return rng.choice(("9400", "9205", "9361")) + _digits(rng, 18)
    return _digits(rng, 10)


class _PhoneTemplate(NamedTuple):
    country_code: int
    lead: str  # first digit of the national number, kept so the number stays in the right range
    length: int  # digits in the national number


def _phone_templates(country: str) -> tuple[_PhoneTemplate, _PhoneTemplate]:
    """Mobile and fixed-line templates from the library's own example numbers for the region."""
    templates = []
    for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(country, kind)
        national = phonenumbers.national_significant_number(example)
        templates.append(_PhoneTemplate(example.country_code, national[0], len(national)))
    return templates[0], templates[1]


def _phone(
    rng: random.Random, country: str, templates: tuple[_PhoneTemplate, _PhoneTemplate]
) -> phonenumbers.PhoneNumber:
    """A random number valid for `country` (by region, so +1 numbers are US or CA as asked): the
    example's first digit and length, random digits after it, redrawn until phonenumbers accepts it."""
    template = templates[0] if rng.random() < 0.7 else templates[1]
    while True:
        national = template.lead + _digits(rng, template.length - 1)
        number = phonenumbers.PhoneNumber(
            country_code=template.country_code,
            national_number=int(national),
            italian_leading_zero=True if national[0] == "0" else None,  # Italian fixed lines keep their 0
        )
        # Both checks: some +1 numbers (non-geographic 5xx) are valid for CA but attributed to US.
        if phonenumbers.is_valid_number_for_region(number, country) and (
            phonenumbers.region_code_for_number(number) == country
        ):
            return number


# --------------------------------------------------------------------------------------------------
# Names and addresses.
# --------------------------------------------------------------------------------------------------

_ASCII_FALLBACKS = str.maketrans(
    {"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i"}
)
_CYRILLIC_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y",
    "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip


def _ascii_fold(text: str) -> str:
    """Latin text without diacritics (José -> Jose, Łukasz -> Lukasz); other characters dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FALLBACKS))
    return "".join(c for c in decomposed if c.isascii())


def _transliterate_ru(text: str) -> str:
    """Russian Cyrillic to Latin letters (ICAO Doc 9303, as in Russian passports)."""
    return "".join(_CYRILLIC_LATIN.get(c, c) for c in text.lower()).title()


_KR_SURNAMES = (
    "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh", "Seo", "Shin",
)  # fmt: skip
_KR_SYLLABLES = (
    "Min", "Seo", "Ji", "Ha", "Do", "Ye", "Jun", "Hyun", "Soo", "Eun", "Woo", "Yeon", "Jin", "Hye", "Sung",
    "Hee",
)  # fmt: skip
_SA_GIVEN = {
    "M": ("Mohammed", "Abdullah", "Fahad", "Faisal", "Khalid", "Saud", "Sultan", "Turki", "Nasser", "Omar"),
    "F": ("Nora", "Sara", "Reem", "Lama", "Haifa", "Maha", "Dana", "Hessa", "Amal", "Latifa", "Abeer"),
}
_SA_FAMILIES = (
    "Al-Qahtani", "Al-Otaibi", "Al-Ghamdi", "Al-Harbi", "Al-Zahrani", "Al-Shehri", "Al-Dosari",
    "Al-Mutairi", "Al-Anazi", "Al-Subaie", "Al-Shammari", "Al-Juhani", "Al-Malki", "Al-Yami",
)  # fmt: skip
_SA_STREETS = (
    "King Fahd Road", "Prince Sultan Street", "Olaya Street", "King Abdulaziz Road", "Tahlia Street",
    "Imam Saud Road",
)  # fmt: skip
_SA_DISTRICTS = ("Al Olaya", "Al Malaz", "Al Rawdah", "Al Naseem", "Al Hamra", "Al Faisaliyah", "Al Aziziyah")
_SA_CITIES = ("Riyadh", "Jeddah", "Mecca", "Medina", "Dammam", "Khobar", "Taif", "Tabuk", "Buraidah", "Abha")
_SG_STREETS = (
    "Ang Mo Kio Avenue 3", "Tampines Street 21", "Bedok North Road", "Jurong West Street 52",
    "Toa Payoh Lorong 1", "Clementi Avenue 2", "Yishun Ring Road", "Bukit Batok Street 31",
    "Pasir Ris Drive 6", "Serangoon Avenue 4",
)  # fmt: skip
_EMAIL_DOMAINS = {
    "SA": ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com"),
    "SG": ("gmail.com", "singnet.com.sg", "yahoo.com.sg", "hotmail.com"),
}


# --------------------------------------------------------------------------------------------------
# Notes: templates with {name} / {email} / {phone} slots (recorded as spans) and pronoun slots.
# --------------------------------------------------------------------------------------------------

_PLAIN_NOTES = (
    "Customer asked to change the delivery slot to the afternoon.",
    "Parcel left with the concierge as requested.",
    "Requested gift wrapping and a printed invoice.",
    "Order split into two shipments because one item was back-ordered.",
    "Box arrived slightly damaged; a replacement has been sent.",
    "Wants future deliveries on weekdays only.",
    "Refund issued for the missing item after a warehouse check.",
    "Customer prefers to be contacted by email rather than by phone.",
    "Delivery attempted twice; the parcel is waiting at the depot for collection.",
    "Upgraded to express shipping at no extra cost after the delay.",
    "Asked whether the product is covered by the extended warranty.",
    "Loyalty discount applied manually at checkout.",
    "Size changed from medium to large before dispatch.",
    "Return label sent; pickup booked for next week.",
    "Please leave the parcel in the safe place behind the gate.",
    "Invoice must show the company name before it can be paid.",
)
_CONTACT_NOTES = (
    "{name} called to change the delivery address for the next order.",
    "Spoke with {name} about the late parcel; {he} accepted a voucher.",
    "Please send the corrected invoice to {email}.",
    "Customer can be reached on {phone} after 6 pm.",
    "{name} ({email}) asked for a copy of the warranty terms.",
    "Courier should call {phone} on arrival; {name} works from home on Fridays.",
    "Confirmation sent to {email} and {name} replied the same day.",
    "Left a voicemail for {name} on {phone} about the back-ordered item.",
    "Refund approved for {name}, please notify {him} at {email}.",
    "New contact number for this account: {phone}.",
    "{name} prefers the driver to ring {phone} rather than the doorbell.",
    "Account holder {name} asked us to stop sending marketing emails to {email}.",
    "According to {name}, the neighbour can sign for parcels.",
    "Duplicate account merged; the primary email is now {email}.",
)
_HEALTH_NOTES = (
    "Customer mentioned {he} is being treated for diabetes; deliver to the side door.",
    "{name} uses a wheelchair, so please bring the parcel to the front door.",
    "Recovering from hip surgery; {name} asked the driver to wait a few minutes at the door.",
    "Customer said {he} is pregnant and cannot lift heavy boxes; two-person delivery booked.",
    "{name} has severe asthma, please do not leave scented products outside.",
    "Customer is undergoing chemotherapy and asked for contactless delivery.",
    "{He} has a heart condition; call {phone} before carrying the order upstairs.",
    "Customer mentioned {his} epilepsy diagnosis and asked us to leave out the flashing-light toys.",
)
_BELIEF_NOTES = (
    "Customer keeps halal; please do not substitute with pork products.",
    "{name} observes the Sabbath, so no deliveries on Saturdays.",
    "Prefers kosher-certified items for religious reasons.",
    "Fasting during Ramadan; {he} asked for delivery after sunset.",
    "As a practising Hindu, {he} asked that no beef products be substituted.",
)
_SLOT = re.compile(r"\{(\w+)\}")
_PRONOUNS = {
    "F": {"he": "she", "He": "She", "him": "her", "his": "her"},
    "M": {"he": "he", "He": "He", "him": "him", "his": "his"},
}


def _fill(
    template: str, pii: Mapping[str, tuple[str, str]], pronouns: Mapping[str, str]
) -> tuple[str, list[tuple[int, int, str]]]:
    """Fill the slots of `template`, returning the text and the (start, end, entity) of each PII slot."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    length = position = 0
    for match in _SLOT.finditer(template):
        parts.append(template[position : match.start()])
        length += match.start() - position
        if match.group(1) in pii:
            entity, value = pii[match.group(1)]
            spans.append((length, length + len(value), entity))
        else:
            value = pronouns[match.group(1)]
        parts.append(value)
        length += len(value)
        position = match.end()
    parts.append(template[position:])
    return "".join(parts), spans


# --------------------------------------------------------------------------------------------------
# Leak matching, shared by count_leaks and by the generator (which keeps the non-PII cells of a row
# free of that row's PII, so a leak count is never inflated by the source itself).
# --------------------------------------------------------------------------------------------------

_SEPARATORS = " -.()/"
_STRIP_SEPARATORS = str.maketrans("", "", _SEPARATORS)
_CELL_BREAK = "\x00"  # joins a row's cells: never a separator, so no match spans two cells
_DIGIT = re.compile(r"\d")


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _occurs(value: str, haystack: str, stripped: str) -> bool:
    """Whether lower-cased `value` occurs in `haystack` (lower-cased cells joined by NUL).

    Verbatim, or for values holding a digit also with the separators `` -.()/`` inserted or removed
    anywhere (``+44 20 7946 0958`` = ``+442079460958``). An ASCII letter or digit at the edge of the
    value must not be glued to another one: a postcode ``4000`` inside tracking number ``94004000…``
    or a hash is not a leak. `stripped` is the haystack without separators: a substring test on it
    screens candidates before the regex, so the regex runs only for near-certain leaks.
    """
    glue_before, glue_after = _is_word_char(value[0]), _is_word_char(value[-1])
    start = haystack.find(value)
    while start >= 0:
        end = start + len(value)
        if not (glue_before and start > 0 and _is_word_char(haystack[start - 1])) and not (
            glue_after and end < len(haystack) and _is_word_char(haystack[end])
        ):
            return True
        start = haystack.find(value, start + 1)
    if _DIGIT.search(value) is None:
        return False
    compact = value.translate(_STRIP_SEPARATORS)
    if compact not in stripped:
        return False
    body = f"[{re.escape(_SEPARATORS)}]*".join(map(re.escape, compact))
    before = r"(?<![a-z0-9])" if _is_word_char(compact[0]) else ""
    after = r"(?![a-z0-9])" if _is_word_char(compact[-1]) else ""
    return re.search(before + body + after, haystack) is not None


def _text_of(values: Iterable[object]) -> Iterator[str]:
    """Every string in released cells, nested lists and structs included; dates and timestamps in
    ISO form, so a raw date of birth kept as a date still counts."""
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dt.date):
            yield value.isoformat()
        elif isinstance(value, dict):
            yield from _text_of(value.values())
        elif isinstance(value, (list, tuple)):
            yield from _text_of(value)


def _haystack(cells: Iterable[object]) -> tuple[str, str]:
    haystack = _CELL_BREAK.join(_text_of(cells)).lower()
    return haystack, haystack.translate(_STRIP_SEPARATORS)


def _pii_of_row(cells: Mapping[str, object], spans: Sequence[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """(source column, raw string) of every PII value of a row: PII cells, then note spans."""
    values = [
        (column, value.isoformat() if isinstance(value, dt.date) else str(value))
        for column in _PII_COLUMNS
        if (value := cells[column]) is not None
    ]
    notes = cells["notes"]
    if isinstance(notes, str):
        values.extend(("notes", notes[start:end]) for start, end, _ in spans)
    return values


# --------------------------------------------------------------------------------------------------
# Public API.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroundTruth:
    """What the generator put in each row, for scoring detection, tagging and masking."""

    countries: list[str]
    """True ISO 3166-1 alpha-2 country per row (also the row's ``country`` cell)."""
    column_entities: dict[str, str | None]
    """Column -> entity type of every non-null value; None for non-PII columns and for ``notes``,
    whose PII is per span (``text_spans``). ``national_id`` maps to ``NATIONAL_ID``."""
    national_id_entities: list[str]
    """Per row, the entity type of the national_id cell (e.g. ``DE_TAX_ID``; GB rows are ``UK_NHS`` or
    ``UK_NINO``, RU rows ``RU_INN`` or ``RU_SNILS``)."""
    text_spans: list[list[tuple[int, int, str]]]
    """Per row, (start, end, entity) of each PERSON, EMAIL_ADDRESS or PHONE_NUMBER in ``notes``."""
    special_category: list[bool]
    """Per row: the notes mention health or religious belief (GDPR Art. 9 special category data)."""

    def pii_values(self, table: pa.Table, row: int) -> list[str]:
        """Every raw PII string of `row` of the table generated with this truth: its PII cells (dates
        in ISO form), then the note spans. Values shorter than 4 characters (e.g. two-character
        Chinese names) are included here but skipped by ``count_leaks``."""
        cells = {column: table.column(column)[row].as_py() for column in (*_PII_COLUMNS, "notes")}
        return [value for _, value in _pii_of_row(cells, self.text_spans[row])]


@dataclass(frozen=True)
class LeakReport:
    """How many raw PII values reached released rows; never the values themselves."""

    pii_values_checked: int
    leaked_values: int
    by_column: dict[str, int]
    """Source column of each leaked value -> count; leak-free columns absent. A value held by several
    columns of its row (a name in customer_name and in the notes) counts once, under the first in
    schema order; ``notes`` counts note spans found nowhere else in the row."""


class _Row(NamedTuple):
    """One generated row: the table's columns in schema order, then its ground truth."""

    order_id: str
    customer_name: str
    email: str
    phone: str
    national_id: str
    iban: str | None
    card_number: str
    date_of_birth: dt.date
    street_address: str
    city: str
    postcode: str
    country: str
    ip_address: str
    notes: str | None
    sku: str
    tracking_number: str
    created_at: dt.datetime
    amount: float
    quantity: int
    id_entity: str
    note_spans: list[tuple[int, int, str]]
    special: bool


class _RowFactory:
    """Draws rows from one random stream and per-locale Faker instances.

    Values are drawn row by row, because a row's national ID, e-mail address and notes depend on its
    person; ``generate_customers`` then transposes the rows into column lists.
    """

    def __init__(self, rng: random.Random, countries: Iterable[str]) -> None:
        self.rng = rng
        wanted = sorted(set(countries))
        self.fakers: dict[str, Faker] = {}
        for locale in sorted({locale for country in wanted for locale in _LOCALES[country]}):
            self.fakers[locale] = Faker(locale)  # constructing Faker is slow: once per locale per table
            self.fakers[locale].seed_instance(rng.getrandbits(64))
        self.phones = {country: _phone_templates(country) for country in wanted}
        self.order_base = rng.randrange(1, 100_000)

    def row(self, index: int, country: str) -> _Row:
        """A row whose non-PII cells hold none of its PII values (redrawn until so), so that a leak
        count on released data is never inflated by a coincidence in the source."""
        while True:
            row = self._draw(index, country)
            pii = {value.lower() for _, value in _pii_of_row(row._asdict(), row.note_spans) if len(value) >= 4}
            notes = row.notes or ""
            for start, end, _ in reversed(row.note_spans):
                notes = notes[:start] + _CELL_BREAK + notes[end:]
            haystack, stripped = _haystack((row.order_id, row.sku, row.tracking_number, row.country, notes))
            if not any(_occurs(value, haystack, stripped) for value in pii):
                return row

    def _draw(self, index: int, country: str) -> _Row:
        rng = self.rng
        gender = rng.choice("FM")
        birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(22_645))  # up to 2006-12-31
        display, first, last = self._name(country, gender)
        person = _Person(gender, birth, first, last)
        national_id, id_entity = _NATIONAL_IDS[country](rng, person)
        email = self._email(country, person)
        phone = _phone(rng, country, self.phones[country])
        style = PhoneNumberFormat.INTERNATIONAL if rng.random() < 0.75 else PhoneNumberFormat.E164
        phone_text = phonenumbers.format_number(phone, style)
        street, city, postcode = self._address(country)
        notes, spans, special = self._notes(gender, display, email, phone, phone_text)
        created = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=rng.randrange(366 * 86_400))
        return _Row(
            order_id=f"ORD-{created.year}-{self.order_base + index:06d}",
            customer_name=display,
            email=email,
            phone=phone_text,
            national_id=national_id,
            iban=_iban(rng, country) if country in IBAN_COUNTRIES else None,
            card_number=_card(rng),
            date_of_birth=birth,
            street_address=street,
            city=city,
            postcode=postcode,
            country=country,
            ip_address=_ip_address(rng),
            notes=notes,
            sku=_sku(rng),
            tracking_number=_tracking_number(rng),
            created_at=created,
            amount=round(rng.lognormvariate(3.8, 0.9), 2),
            quantity=rng.randint(1, 10),
            id_entity=id_entity,
            note_spans=spans,
            special=special,
        )

    def _name(self, country: str, gender: str) -> tuple[str, str, str]:
        """(name as written in the row, Latin given name, Latin family name). A native-script name
        comes with an unrelated Latin name, which only shapes the e-mail address."""
        first, last, family_first = self._latin_name(country, gender)
        if country in _NATIVE_SCRIPT and self.rng.random() < 0.5:
            fake = self.fakers[_LOCALES[country][0]]
            given = fake.first_name_female() if gender == "F" else fake.first_name_male()
            family = fake.last_name_female() if gender == "F" else fake.last_name_male()
            separator = "" if country in {"CN", "KR"} else " "
            return (f"{given} {family}" if country == "RU" else f"{family}{separator}{given}"), first, last
        return (f"{last} {first}" if family_first else f"{first} {last}"), first, last

    def _latin_name(self, country: str, gender: str) -> tuple[str, str, bool]:
        """(given name, family name, written family name first) in Latin script."""
        rng = self.rng
        if country == "KR":
            syllables = rng.sample(_KR_SYLLABLES, 2)
            return f"{syllables[0]}-{syllables[1].lower()}", rng.choice(_KR_SURNAMES), False
        if country == "SA":
            return rng.choice(_SA_GIVEN[gender]), rng.choice(_SA_FAMILIES), False
        if country == "JP":
            fake = self.fakers["ja_JP"]
            given = fake.first_romanized_name_female() if gender == "F" else fake.first_romanized_name_male()
            return given, fake.last_romanized_name(), False
        if country == "CN" or (country == "SG" and rng.random() < 0.65):
            fake = self.fakers["zh_CN"]  # Singapore's Chinese names are written family name first
            return fake.first_romanized_name(), fake.last_romanized_name(), country == "SG"
        fake = self.fakers[_LOCALES[country][-1]]  # en_IN for Singapore's other names
        given = fake.first_name_female() if gender == "F" else fake.first_name_male()
        family = fake.last_name_female() if gender == "F" else fake.last_name_male()
        if country == "RU":
            return _transliterate_ru(given), _transliterate_ru(family), False
        return given, family, False

    def _email(self, country: str, person: _Person) -> str:
        """An address made from the person's Latin name, as people's addresses usually are."""
        rng = self.rng
        first = "".join(c for c in _ascii_fold(person.first).lower() if c.isalnum())
        last = "".join(c for c in _ascii_fold(person.last).lower() if c.isalnum())
        local = rng.choice(
            (
                f"{first}.{last}",
                f"{first}{last}",
                f"{first}_{last}",
                f"{first[0]}{last}",
                f"{first}.{last}{person.birth:%y}",
                f"{last}.{first}",
                f"{first}{rng.randint(1, 999)}",
            )
        )
        domains = _EMAIL_DOMAINS.get(country)
        domain = rng.choice(domains) if domains else self.fakers[_LOCALES[country][0]].free_email_domain()
        return f"{local}@{domain}"

    def _address(self, country: str) -> tuple[str, str, str]:
        """(street address on one line, city, postcode)."""
        rng = self.rng
        if country == "SA":
            street = f"{rng.randint(1000, 9999)} {rng.choice(_SA_STREETS)}, {rng.choice(_SA_DISTRICTS)}"
            return street, rng.choice(_SA_CITIES), str(rng.randint(11_000, 34_999))
        if country == "SG":
            unit = f"#{rng.randint(2, 25):02d}-{rng.randint(1, 150):02d}"
            return (
                f"Blk {rng.randint(1, 999)} {rng.choice(_SG_STREETS)} {unit}",
                "Singapore",
                f"{rng.randint(10_000, 829_999):06d}",
            )
        fake = self.fakers[_LOCALES[country][0]]
        if country == "JP":  # ja_JP's street_address mixes in English words
            street = f"{fake.town()}{fake.chome()}{fake.ban()}{fake.gou()}"
        else:
            street = fake.street_address().replace("\n", ", ")
        # it_IT builds its city list from a set, whose order changes with PYTHONHASHSEED: draw from it
        # sorted, so a seed gives the same table in every process.
        cities = next((p.cities for p in fake.providers if country == "IT" and hasattr(p, "cities")), None)
        city = rng.choice(sorted(cities)) if cities else fake.city()
        return street, city, fake.postcode()

    def _notes(
        self, gender: str, name: str, email: str, phone: phonenumbers.PhoneNumber, phone_text: str
    ) -> tuple[str | None, list[tuple[int, int, str]], bool]:
        """(notes, PII spans in them, special category). 1-3 sentences: one of the kind drawn, plus
        plain ones; the phone is written as in its column or, sometimes, in national format."""
        rng = self.rng
        draw = rng.random()
        if draw < _NOTES_NULL:
            return None, [], False
        if draw < _NOTES_NULL + _NOTES_PLAIN:
            main, special = rng.choice(_PLAIN_NOTES), False
        elif draw < _NOTES_NULL + _NOTES_PLAIN + _NOTES_CONTACT:
            main, special = rng.choice(_CONTACT_NOTES), False
        elif draw < _NOTES_NULL + _NOTES_PLAIN + _NOTES_CONTACT + _NOTES_HEALTH:
            main, special = rng.choice(_HEALTH_NOTES), True
        else:
            main, special = rng.choice(_BELIEF_NOTES), True
        sentences = [main, *rng.sample([s for s in _PLAIN_NOTES if s != main], rng.choice((0, 0, 1, 2)))]
        rng.shuffle(sentences)
        if rng.random() < 0.3:
            phone_text = phonenumbers.format_number(phone, PhoneNumberFormat.NATIONAL)
        pii = {
            "name": ("PERSON", name),
            "email": ("EMAIL_ADDRESS", email),
            "phone": ("PHONE_NUMBER", phone_text),
        }
        text, spans = _fill(" ".join(sentences), pii, _PRONOUNS[gender])
        return text, spans, special


def generate_customers(n: int, seed: int = 0, countries: Sequence[str] = COUNTRIES) -> tuple[pa.Table, GroundTruth]:
    """`n` synthetic customers from `countries` (ISO alpha-2, a subset of ``COUNTRIES``) and the exact
    ground truth of their PII.

    Rows go through the countries in shuffled blocks, so every country gets n / len(countries) rows
    (±1) in a random order. The same `seed` gives an identical table.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    unknown = sorted(set(countries) - set(COUNTRIES))
    if not countries or unknown:
        raise ValueError(f"countries must be a non-empty subset of COUNTRIES; unknown: {unknown}")
    rng = random.Random(seed)
    factory = _RowFactory(rng, countries)
    order: list[str] = []
    while len(order) < n:
        block = list(countries)
        rng.shuffle(block)
        order.extend(block)
    rows = [factory.row(index, country) for index, country in enumerate(order[:n])]
    columns: dict[str, list[object]] = {name: [getattr(row, name) for row in rows] for name in _Row._fields}
    table = pa.Table.from_pydict({name: columns[name] for name in CUSTOMER_SCHEMA.names}, schema=CUSTOMER_SCHEMA)
    truth = GroundTruth(
        countries=columns["country"],
        column_entities=dict(_COLUMN_ENTITIES),
        national_id_entities=columns["id_entity"],
        text_spans=columns["note_spans"],
        special_category=columns["special"],
    )
    return table, truth


def count_leaks(source: pa.Table, truth: GroundTruth, released: pa.Table, row_index: Sequence[int]) -> LeakReport:
    """Count the raw PII values of `source` rows that reached `released` rows.

    `released` holds rows that left for an external destination (any columns); `row_index[i]` is the
    source row of released row i. A value (at least 4 characters long) leaks when it appears in any cell
    of its released row — strings, strings nested in lists and structs, and dates in ISO form, so a raw
    date of birth kept as a date counts — case-insensitively, and for values holding a digit also with
    the separators `` -.()/`` inserted or removed. A value whose edge is an ASCII letter or digit must not
    be glued to another one: a postcode inside a longer number or a hash is a coincidence, not a leak.
    Each distinct value of a row counts once.
    """
    rows = [int(i) for i in row_index]
    if len(rows) != released.num_rows:
        raise ValueError(f"row_index has {len(rows)} entries for {released.num_rows} released rows")
    wanted = [*_PII_COLUMNS, "notes"]
    picked = source.select(wanted).take(pa.array(rows, pa.int64())).to_pydict()
    checked = leaked = 0
    by_column: Counter[str] = Counter()
    for i, released_row in enumerate(released.to_pylist()):
        haystack, stripped = _haystack(released_row.values())
        seen: set[str] = set()
        for column, value in _pii_of_row({c: picked[c][i] for c in wanted}, truth.text_spans[rows[i]]):
            key = value.lower()
            if len(value) < 4 or key in seen:
                continue
            seen.add(key)
            checked += 1
            if _occurs(key, haystack, stripped):
                leaked += 1
                by_column[column] += 1
    return LeakReport(pii_values_checked=checked, leaked_values=leaked, by_column=dict(by_column))


def _iso_temporals(table: pa.Table) -> pa.Table:
    """Dates and timestamps as ISO 8601 strings, for text formats whose readers should not guess."""
    for i, field in enumerate(table.schema):
        if pa.types.is_temporal(field.type):
            iso = [None if v is None else v.isoformat() for v in table.column(i).to_pylist()]
            table = table.set_column(i, field.name, pa.array(iso, pa.string()))
    return table


def write_demo_files(out_dir: Path, n: int = 2000, seed: int = 0) -> dict[str, Path]:
    """Write the same generated table as ``customers.parquet``, ``customers.csv`` and
    ``customers.jsonl`` in `out_dir` (created if needed), so every input format govflow reads can be
    tried on it. Returns the paths keyed by format: ``parquet``, ``csv``, ``jsonl``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table, _ = generate_customers(n, seed=seed)
    paths = {fmt: out_dir / f"customers.{fmt}" for fmt in ("parquet", "csv", "jsonl")}
    pq.write_table(table, paths["parquet"])
    text = _iso_temporals(table)
    pa_csv.write_csv(text, paths["csv"])
    with paths["jsonl"].open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in text.to_pylist())
    return paths
