"""IBAN and payment-card recognizers.

An IBAN is evidence of the country in its first two letters (ISO 13616). A card number says nothing about
where its holder lives, so card findings carry ``country = None``: they are PII, not jurisdiction evidence.
"""

from __future__ import annotations

import string
from functools import lru_cache

from stdnum import iban, luhn
from stdnum.util import get_cc_module

from govflow.detect.national_ids import CHECKED, STRONG, WEAK, CountryPatternRecognizer, id_pattern, strip_separators

# Issuer identification ranges (ISO/IEC 7812 IIN, as published by each network) with the lengths each
# network issues today: (brand, lowest prefix, highest prefix, lengths). Prefixes in one row have one
# length, so string comparison is numeric comparison. 13-digit Visa and 17/18-digit numbers are
# left out: none are issued any more, and those lengths are South African / Korean IDs (13, Luhn) and
# Chinese resident IDs (18) whose region codes 35-37, 62 and 65 sit inside card ranges.
_CARD_RANGES: tuple[tuple[str, str, str, frozenset[int]], ...] = (
    ("visa", "4", "4", frozenset({16, 19})),
    ("mastercard", "51", "55", frozenset({16})),
    ("mastercard", "2221", "2720", frozenset({16})),
    ("amex", "34", "34", frozenset({15})),
    ("amex", "37", "37", frozenset({15})),
    ("discover", "6011", "6011", frozenset({16, 19})),
    ("discover", "644", "649", frozenset({16, 19})),
    ("discover", "65", "65", frozenset({16, 19})),
    ("jcb", "3528", "3589", frozenset({16, 19})),
    ("unionpay", "62", "62", frozenset({16, 19})),
    ("diners", "300", "305", frozenset({14, 16})),
    ("diners", "3095", "3095", frozenset({14, 16})),
    ("diners", "36", "36", frozenset({14})),
    ("diners", "38", "39", frozenset({14, 16})),
    ("maestro", "5018", "5018", frozenset({16, 19})),
    ("maestro", "5020", "5020", frozenset({16, 19})),
    ("maestro", "5038", "5038", frozenset({16, 19})),
    ("maestro", "5893", "5893", frozenset({16, 19})),
    ("maestro", "6304", "6304", frozenset({16, 19})),
    ("maestro", "6759", "6759", frozenset({16, 19})),
    ("maestro", "6761", "6763", frozenset({16, 19})),
)


def card_brand(number: str) -> str | None:
    """The card network whose IIN range and length ``number`` (digits only) fits, or None."""
    for brand, low, high, lengths in _CARD_RANGES:
        if len(number) in lengths and low <= number[: len(low)] <= high:
            return brand
    return None


_BASE36 = str.maketrans({c: str(10 + i) for i, c in enumerate(string.ascii_uppercase)})
_SHAPE = str.maketrans(string.digits + string.ascii_uppercase, "0" * 10 + "A" * 26)


def _compact(number: str) -> str:
    """``stdnum.iban.compact``; for ASCII text its Unicode clean-up has nothing to do, so skip it."""
    if not number.isascii():
        return iban.compact(number)
    return strip_separators(number, " -.").strip().upper()


def _as_digits(text: str) -> str:
    """ISO 7064 MOD 97-10's reading of ASCII letters and digits: A = 10 … Z = 35, digits as they are."""
    return text if text.isdigit() else text.translate(_BASE36)


@lru_cache(maxsize=256)
def _has_national_rules(country: str) -> bool:
    return get_cc_module(country.lower(), "iban") is not None


@lru_cache(maxsize=4096)
def bban_structure_ok(country: str, bban_shape: str) -> bool:
    """Whether a BBAN of this shape (digits as 0, letters as A) fits the country's registered structure.

    The registry describes a BBAN by character classes only (n digits, a letters, c either), so every
    BBAN of one shape gets the same answer: ask stdnum once, with check digits that make the sum right.
    """
    return iban.is_valid(country + iban.calc_check_digits(country + "00" + bban_shape) + bban_shape, False)


def iban_is_valid(number: str, check_country: bool = True) -> bool:
    """``stdnum.iban.is_valid``'s answer, several times faster on the common path.

    stdnum looks the country up in its registry and converts the number letter by letter on every call;
    that was a large share of scanning and masking an IBAN column. Here the MOD 97-10 sum is one integer
    operation and the structure answer is cached per (country, shape). Countries with national rules on
    top (``check_country``), and anything unusual, still go through stdnum itself.
    """
    compact = _compact(number)
    if len(compact) < 5 or not compact.isascii() or not compact.isalnum():
        return iban.is_valid(number, check_country)
    if int(_as_digits(compact[4:]) + _as_digits(compact[:4])) % 97 != 1:
        return False
    if check_country and _has_national_rules(compact[:2]):
        return iban.is_valid(compact, True)
    bban = compact[4:]
    return bban_structure_ok(compact[:2], "0" * len(bban) if bban.isdigit() else bban.translate(_SHAPE))


def iban_check_digits(number: str) -> str:
    """``stdnum.iban.calc_check_digits``: the two check digits for `number` (its current ones ignored)."""
    compact = _compact(number)
    if not compact.isascii() or not compact.isalnum():
        return iban.calc_check_digits(number)
    return f"{98 - int(_as_digits(compact[4:]) + _as_digits(compact[:2]) + '00') % 97:02d}"


class GovflowIbanRecognizer(CountryPatternRecognizer):
    """IBAN, compact or in groups of four: ISO 7064 MOD 97-10 check digits plus the country's BBAN
    structure from the SWIFT registry (``stdnum.iban``). The country is the first two letters."""

    ENTITY = "IBAN_CODE"
    PATTERNS = (
        id_pattern("iban compact", r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", STRONG),
        id_pattern("iban grouped", r"[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?", STRONG),
    )
    CONTEXT = ("iban", "bank", "account")
    is_valid = staticmethod(iban_is_valid)

    def country_of(self, value: str) -> str:
        return value[:2]


class GovflowPaymentCardRecognizer(CountryPatternRecognizer):
    """Payment card number: Luhn check digit and a network's IIN range and length (:func:`card_brand`).
    Grouped forms (4-4-4-4[-3], Amex 4-6-5, Diners 4-6-4) are distinctive; a bare run is less so."""

    ENTITY = "CREDIT_CARD"
    PATTERNS = (
        id_pattern(
            "card grouped",
            r"\d{4}([ -])(?:\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{6}\1\d{4,5})",
            STRONG,
        ),
        id_pattern("card bare", r"\d{14,19}", CHECKED),
    )
    CONTEXT = ("card", "credit", "debit", "visa", "mastercard", "amex", "maestro", "unionpay")

    @staticmethod
    def is_valid(value: str) -> bool:
        return card_brand(value) is not None and luhn.is_valid(value)


class GovflowCardInContextRecognizer(CountryPatternRecognizer):
    """Luhn-valid 12-19 digit runs outside today's IIN table (13-digit Visa, 15-digit JCB 2131/1800, 12-digit
    Maestro, new ranges): below the threshold alone, since one run in ten passes Luhn, and lifted over
    it by a card word nearby ("my card 180016070420458"). For prose policies; tables use the column."""

    ENTITY = "CREDIT_CARD"
    PATTERNS = (id_pattern("card run in context", r"\d{12,19}", WEAK),)
    CONTEXT = (*GovflowPaymentCardRecognizer.CONTEXT, "cc")
    is_valid = staticmethod(luhn.is_valid)
