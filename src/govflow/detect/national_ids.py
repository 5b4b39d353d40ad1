"""National identifier recognizers: every finding is evidence of the country that issues the identifier.

Each recognizer is a declaration on :class:`CountryPatternRecognizer`: an entity type, a country, the
written forms of the identifier (one regex and one score per form), context words and a validator. The
base class owns the matching loop, so no recognizer repeats it.

Scores follow one policy, so a score means the same thing for every country:

* ``STRONG``: check digits on a shape few other values have (letters mixed in, fixed punctuation,
  embedded dates, a fixed prefix). Found without any context.
* ``CHECKED``: check digits on the identifier's own written form (an NHS number as ``3 3 4``), or on a
  bare run whose extra rules (embedded birth date, fixed prefix, two check digits) let few runs through.
* ``WEAK``: one check digit on a bare digit run. About one random run in ten passes such a check, so
  order numbers, timestamps and phone numbers would too: these need a context word (a column name or a
  nearby word) to pass the 0.5 threshold.
* ``FORMAT`` / ``BARE_FORMAT``: no checksum exists, only a format (and range rules); they always need
  context.

Context words are specific on purpose: a column named ``patient_id`` or ``national_id`` must not lift
1-in-10 checksum hits of WEAK forms over the threshold, so generic words (patient, social, national) are
left out.

Candidates must be whole tokens: not glued to letters or digits, not the head or tail of a longer
separator-grouped code (``ORD-2024-000123``, ``2024-03-05``, card and IBAN groups, ``1234.56``) and not a
phone number (``+44 …``, ``(212) …``). Checksum-failing candidates are dropped in ``invalidate_result``,
never returned with a low score.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from stdnum import luhn
from stdnum.au import tfn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.ch import ssn as ch_ssn
from stdnum.cn import ric
from stdnum.de import idnr as de_idnr
from stdnum.es import nie, nif
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.in_ import aadhaar, pan
from stdnum.it import codicefiscale
from stdnum.jp import in_ as jp_in
from stdnum.kr import rrn
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.ru import inn
from stdnum.us import itin, ssn
from stdnum.za import idnr as za_idnr

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

COUNTRY_KEY = "country"
"""Key in ``RecognizerResult.recognition_metadata``: ISO 3166-1 alpha-2 country, or None."""

STRONG = 0.95
CHECKED = 0.85
WEAK = 0.4
FORMAT = 0.45
BARE_FORMAT = 0.3

# `regex` is the engine Presidio (and govflow's prefilter) compile `Pattern.regex` with; ASCII keeps
# \d to 0-9 and lets a CJK or Cyrillic label sit right before an identifier.
REGEX_FLAGS = regex.ASCII
_START = r"(?<![\w+(])(?<!\d[ ./-])(?<![A-Za-z][./-])(?<!\d\))(?<!\d\) )"
_END = r"(?!\w)(?![ ./-]\d)(?![./-][A-Za-z])"
ID_SEPARATORS = " -./"


def strip_separators(text: str, separators: str = ID_SEPARATORS) -> str:
    """`text` without any of `separators`. A replace per separator present is several times faster than
    a deletion table (`str.translate`) on values as short as identifiers, and every candidate is one."""
    for separator in separators:
        if separator in text:
            text = text.replace(separator, "")
    return text


@dataclass(frozen=True)
class IdPattern:
    """One written form of an identifier and the score a validated match of that form earns."""

    name: str
    compiled: regex.Pattern[str]
    score: float


def id_pattern(name: str, body: str, score: float) -> IdPattern:
    """Compile ``body`` once, wrapped in the whole-token guards shared by every evidence recognizer."""
    return IdPattern(name, regex.compile(f"{_START}(?:{body}){_END}", REGEX_FLAGS), score)


def weighted_sum(digits: str, weights: Sequence[int]) -> int:
    """Sum of digit × weight, the core of most national check-digit schemes."""
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


class CountryPatternRecognizer(PatternRecognizer):
    """Regex candidates, a validator and a country: the shape shared by every evidence recognizer.

    Subclasses declare ``ENTITY``, ``PATTERNS``, ``CONTEXT`` and ``is_valid`` (and ``COUNTRY`` or
    ``country_of``). Regexes are compiled once per class; ``analyze`` runs them directly instead of
    Presidio's per-call loop (several times faster over hundreds of thousands of values) and stamps
    every result with ``recognition_metadata[COUNTRY_KEY]``. ``patterns`` still holds the same regexes
    as Presidio ``Pattern`` objects, with ``global_regex_flags`` matching, so callers can prefilter.
    """

    ENTITY: ClassVar[str]
    COUNTRY: ClassVar[str | None] = None
    PATTERNS: ClassVar[tuple[IdPattern, ...]]
    CONTEXT: ClassVar[tuple[str, ...]] = ()

    def __init__(self, supported_language: str = "en", context: Sequence[str] | None = None) -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name=type(self).__name__,
            supported_language=supported_language,
            patterns=[Pattern(p.name, p.compiled.pattern, p.score) for p in self.PATTERNS],
            context=list(self.CONTEXT if context is None else context),
            global_regex_flags=REGEX_FLAGS,
            country_code=self.COUNTRY,
        )

    @staticmethod
    @abstractmethod
    def is_valid(value: str) -> bool:
        """Checksum and structure rules on the candidate, separators removed and upper-cased."""

    def country_of(self, value: str) -> str | None:
        """The country a validated match is evidence of (per match for IBANs)."""
        return self.COUNTRY

    def invalidate_result(self, pattern_text: str) -> bool:
        """Drop candidates that fail the validator, and placeholders made of one repeated digit."""
        compact = strip_separators(pattern_text).upper()
        return (bool(compact) and compact.count(compact[0]) == len(compact)) or not self.is_valid(compact)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Validated matches of every written form, each carrying its country.

        ``regex_flags`` is accepted for Presidio compatibility and ignored: the patterns are
        compiled once with the flags they were written for.
        """
        return self._find(text, explain=True)

    def analyze_value(self, text: str) -> list[RecognizerResult]:
        """`analyze`'s results for one structured value, without the explanation objects that only
        Presidio's analyzer reads (its context enhancer); structured values never reach it."""
        return self._find(text, explain=False)

    def _find(self, text: str, *, explain: bool) -> list[RecognizerResult]:
        results = [
            self._result(match, pattern, explain)
            for pattern in self.PATTERNS
            for match in pattern.compiled.finditer(text)
            if not self.invalidate_result(match.group())
        ]
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results

    def _result(self, match: regex.Match[str], pattern: IdPattern, explain: bool) -> RecognizerResult:
        explanation = (
            self.build_regex_explanation(
                self.name, pattern.name, pattern.compiled.pattern, pattern.score, True, REGEX_FLAGS
            )
            if explain
            else None
        )
        return RecognizerResult(
            entity_type=self.ENTITY,
            start=match.start(),
            end=match.end(),
            score=pattern.score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                COUNTRY_KEY: self.country_of(match.group()),
            },
        )


class NationalIdRecognizer(CountryPatternRecognizer):
    """A national identifier: always issued by exactly one country."""

    COUNTRY: ClassVar[str]


class GovflowUkNhsRecognizer(NationalIdRecognizer):
    """NHS number: 10 digits, mod-11 check digit (NHS Data Dictionary; ``stdnum.gb.nhs``).

    ``3 3 4`` with spaces is the NHS display standard. Dashed ``3-3-4`` is also the shape of a US phone
    number (about 1 in 11 pass the check) and bare runs are order numbers, so those need context.
    """

    ENTITY = "UK_NHS"
    COUNTRY = "GB"
    PATTERNS = (
        id_pattern("nhs spaced 3-3-4", r"\d{3} \d{3} \d{4}", CHECKED),
        id_pattern("nhs dashed or bare", r"\d{3}(-?)\d{3}\1\d{4}", WEAK),
    )
    CONTEXT = ("nhs", "national health")
    is_valid = staticmethod(nhs.is_valid)


_NINO_INVALID_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


class GovflowUkNinoRecognizer(NationalIdRecognizer):
    """National Insurance number: no checksum; letter rules from HMRC's NIM39110 (first letter not
    D F I Q U V, second not D F I O Q U V, prefixes BG GB KN NK NT TN ZZ never issued), suffix A-D."""

    ENTITY = "UK_NINO"
    COUNTRY = "GB"
    PATTERNS = (id_pattern("nino", r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]( ?)\d{2}\1\d{2}\1\d{2}\1[A-D]", FORMAT),)
    CONTEXT = ("nino", "insurance", "hmrc")

    @staticmethod
    def is_valid(value: str) -> bool:
        return value[:2] not in _NINO_INVALID_PREFIXES


_SSN_BLACKLIST = frozenset({"078051120", "457555462", "219099999"})  # stdnum.us.ssn's, without dashes


def ssn_is_valid(value: str) -> bool:
    """``stdnum.us.ssn.is_valid``'s answer, with no Unicode clean-up, regex or exceptions for nine ASCII digits.

    Every candidate the SSN patterns find is nine digits once separators are gone, and a 9-digit column
    (bare SSNs, but also order numbers and ids of the same length) calls this once per value; anything
    else still goes through stdnum itself.
    """
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return ssn.is_valid(value)
    area = value[:3]
    return not (area in ("000", "666") or area[0] == "9" or value[3:5] == "00" or value[5:] == "0000") and (
        value not in _SSN_BLACKLIST
    )


class GovflowUsSsnRecognizer(NationalIdRecognizer):
    """Social Security number: no checksum; SSA range rules (area not 000/666/9xx, group not 00, serial
    not 0000, known advertising numbers) as ``stdnum.us.ssn`` checks them (:func:`ssn_is_valid`)."""

    ENTITY = "US_SSN"
    COUNTRY = "US"
    PATTERNS = (
        id_pattern("ssn 3-2-4", r"\d{3}([- ])\d{2}\1\d{4}", FORMAT),
        id_pattern("ssn bare", r"\d{9}", BARE_FORMAT),
    )
    CONTEXT = ("ssn", "social security", "social_security", "socialsecurity")
    is_valid = staticmethod(ssn_is_valid)


class GovflowUsItinRecognizer(NationalIdRecognizer):
    """Individual Taxpayer Identification number: no checksum; IRS ranges (area 9xx, group 70-88, 90-92,
    94-99) via ``stdnum.us.itin``."""

    ENTITY = "US_ITIN"
    COUNTRY = "US"
    PATTERNS = (
        id_pattern("itin 3-2-4", r"9\d{2}([- ])\d{2}\1\d{4}", FORMAT),
        id_pattern("itin bare", r"9\d{8}", BARE_FORMAT),
    )
    CONTEXT = ("itin", "taxpayer")
    is_valid = staticmethod(itin.is_valid)


class GovflowCaSinRecognizer(NationalIdRecognizer):
    """Social Insurance number: 9 digits, Luhn, first digit not 0 or 8 (``stdnum.ca.sin``)."""

    ENTITY = "CA_SIN"
    COUNTRY = "CA"
    PATTERNS = (
        id_pattern("sin 3-3-3", r"\d{3}([ -])\d{3}\1\d{3}", CHECKED),
        id_pattern("sin bare", r"\d{9}", WEAK),
    )
    CONTEXT = ("sin", "social insurance", "social_insurance")
    is_valid = staticmethod(sin.is_valid)


class GovflowDeTaxIdRecognizer(NationalIdRecognizer):
    """Steuerliche Identifikationsnummer: 11 digits, one digit repeated in the first ten, ISO 7064
    MOD 11,10 check digit (``stdnum.de.idnr``). Few random runs pass both rules."""

    ENTITY = "DE_TAX_ID"
    COUNTRY = "DE"
    PATTERNS = (id_pattern("steuer-id", r"[1-9]\d( ?)\d{3}\1\d{3}\1\d{3}", CHECKED),)
    CONTEXT = ("steuer", "idnr", "identifikationsnummer", "steuernummer")
    is_valid = staticmethod(de_idnr.is_valid)


class GovflowFrNirRecognizer(NationalIdRecognizer):
    """INSEE/NIR (numéro de sécurité sociale): 13 characters (2A/2B for Corsica) and a 2-digit key,
    97 - (number mod 97) (``stdnum.fr.nir``)."""

    ENTITY = "FR_NIR"
    COUNTRY = "FR"
    PATTERNS = (id_pattern("nir", r"[1-478]( ?)\d{2}\1\d{2}\1(?:\d{2}|2[AB])\1\d{3}\1\d{3} ?\d{2}", STRONG),)
    CONTEXT = ("nir", "insee", "securite", "sécurité")
    is_valid = staticmethod(nir.is_valid)


class GovflowEsNifRecognizer(NationalIdRecognizer):
    """DNI/NIF of Spanish nationals: 8 digits (or K/L/M + 7) and a mod-23 check letter
    (``stdnum.es.nif``, which applies ``stdnum.es.dni``)."""

    ENTITY = "ES_NIF"
    COUNTRY = "ES"
    PATTERNS = (id_pattern("dni", r"(?:\d{8}|[KLM]\d{7})[ -]?[A-Z]", CHECKED),)
    CONTEXT = ("dni", "nif", "documento", "identidad")
    is_valid = staticmethod(nif.is_valid)


class GovflowEsNieRecognizer(NationalIdRecognizer):
    """NIE of foreign residents: X/Y/Z (read as 0/1/2) + 7 digits and the DNI mod-23 check letter
    (``stdnum.es.nie``)."""

    ENTITY = "ES_NIE"
    COUNTRY = "ES"
    PATTERNS = (id_pattern("nie", r"[XYZ]([ -]?)\d{7}\1[A-Z]", CHECKED),)
    CONTEXT = ("nie", "extranjero", "extranjería", "residencia")
    is_valid = staticmethod(nie.is_valid)


_CF_DIGIT = "[0-9LMNPQRSTUV]"  # a digit, or its omocodia letter substitute


class GovflowItFiscalCodeRecognizer(NationalIdRecognizer):
    """Codice fiscale: 16 characters (name letters, encoded birth date and place) and a check letter
    from the odd/even position tables of DM 23/12/1976 (``stdnum.it.codicefiscale``)."""

    ENTITY = "IT_FISCAL_CODE"
    COUNTRY = "IT"
    PATTERNS = (
        id_pattern(
            "codice fiscale",
            rf"[A-Z]{{6}}{_CF_DIGIT}{{2}}[ABCDEHLMPRST]{_CF_DIGIT}{{2}}[A-Z]{_CF_DIGIT}{{3}}[A-Z]",
            STRONG,
        ),
    )
    CONTEXT = ("codice", "fiscale", "codicefiscale")
    is_valid = staticmethod(codicefiscale.is_valid)


class GovflowNlBsnRecognizer(NationalIdRecognizer):
    """Burgerservicenummer: 9 digits passing the "11-proef" (weights 9..2 and -1, ``stdnum.nl.bsn``)."""

    ENTITY = "NL_BSN"
    COUNTRY = "NL"
    PATTERNS = (
        id_pattern("bsn 4-2-3", r"\d{4}([. ])\d{2}\1\d{3}", CHECKED),
        id_pattern("bsn bare", r"\d{9}", WEAK),
    )
    CONTEXT = ("bsn", "burgerservicenummer", "sofinummer")
    is_valid = staticmethod(bsn.is_valid)


class GovflowPlPeselRecognizer(NationalIdRecognizer):
    """PESEL: birth date (century in the month) + serial + weighted mod-10 check digit
    (``stdnum.pl.pesel``). The regex admits only month codes of living people (1900s: 01-12, 2000s:
    21-32): 11-digit phone numbers stored without ``+`` then rarely reach the check digit."""

    ENTITY = "PL_PESEL"
    COUNTRY = "PL"
    PATTERNS = (id_pattern("pesel", r"\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2])\d{7}", CHECKED),)
    CONTEXT = ("pesel",)
    is_valid = staticmethod(pesel.is_valid)


class GovflowBrCpfRecognizer(NationalIdRecognizer):
    """CPF: 9 digits and two mod-11 check digits (``stdnum.br.cpf``); 1 in 100 random runs pass."""

    ENTITY = "BR_CPF"
    COUNTRY = "BR"
    PATTERNS = (
        id_pattern("cpf 000.000.000-00", r"\d{3}\.\d{3}\.\d{3}-\d{2}", STRONG),
        id_pattern("cpf bare", r"\d{11}", CHECKED),
    )
    CONTEXT = ("cpf", "cadastro")
    is_valid = staticmethod(cpf.is_valid)


class GovflowCnResidentIdRecognizer(NationalIdRecognizer):
    """Resident identity card number: region code, birth date, serial and an ISO 7064 MOD 11-2 check
    character (X = 10); region and date are checked too (``stdnum.cn.ric``)."""

    ENTITY = "CN_RESIDENT_ID"
    COUNTRY = "CN"
    PATTERNS = (id_pattern("ric", r"[1-9]\d{16}[\dXx]", STRONG),)
    CONTEXT = ("身份证", "resident", "identity", "shenfenzheng")

    @staticmethod
    def is_valid(value: str) -> bool:
        """``stdnum.cn.ric.is_valid``, except that a region code its database lists without counties is a
        known place: stdnum raises KeyError there, after the check character and birth date passed."""
        try:
            return ric.is_valid(value)
        except KeyError:
            return True


class GovflowRuInnRecognizer(NationalIdRecognizer):
    """ИНН taxpayer number (``stdnum.ru.inn``): 12 digits with two weighted mod-11 check digits for
    persons; 10 digits with one for organisations, which is also how order numbers look, so needs context."""

    ENTITY = "RU_INN"
    COUNTRY = "RU"
    PATTERNS = (
        id_pattern("inn person", r"\d{12}", CHECKED),
        id_pattern("inn organisation", r"\d{10}", WEAK),
    )
    CONTEXT = ("inn", "инн", "taxpayer")
    is_valid = staticmethod(inn.is_valid)


class GovflowRuSnilsRecognizer(NationalIdRecognizer):
    """СНИЛС: 9 digits and a 2-digit control number, sum(digit × (9 - i)) mod 101 with 100 → 00
    (Pension Fund of Russia rules)."""

    ENTITY = "RU_SNILS"
    COUNTRY = "RU"
    PATTERNS = (
        id_pattern("snils XXX-XXX-XXX YY", r"\d{3}-\d{3}-\d{3}[ -]\d{2}", STRONG),
        id_pattern("snils bare", r"\d{11}", CHECKED),
    )
    CONTEXT = ("snils", "снилс", "pension")

    @staticmethod
    def is_valid(value: str) -> bool:
        return weighted_sum(value[:9], range(9, 0, -1)) % 101 % 100 == int(value[9:])


class GovflowInAadhaarRecognizer(NationalIdRecognizer):
    """Aadhaar: 12 digits, first not 0/1, not a palindrome, Verhoeff check digit (UIDAI;
    ``stdnum.in_.aadhaar``)."""

    ENTITY = "IN_AADHAAR"
    COUNTRY = "IN"
    PATTERNS = (
        id_pattern("aadhaar 4-4-4", r"[2-9]\d{3}([ -])\d{4}\1\d{4}", CHECKED),
        id_pattern("aadhaar bare", r"[2-9]\d{11}", WEAK),
    )
    CONTEXT = ("aadhaar", "aadhar", "uidai")
    is_valid = staticmethod(aadhaar.is_valid)


class GovflowInPanRecognizer(NationalIdRecognizer):
    """Permanent Account Number: no checksum; AAAAA9999A with the 4th letter a holder type
    (``stdnum.in_.pan``)."""

    ENTITY = "IN_PAN"
    COUNTRY = "IN"
    PATTERNS = (id_pattern("pan", r"[A-Z]{3}[ABCFGHJKLPT][A-Z]\d{4}[A-Z]", FORMAT),)
    CONTEXT = ("pan", "permanent account", "permanent_account")
    is_valid = staticmethod(pan.is_valid)


class GovflowJpMyNumberRecognizer(NationalIdRecognizer):
    """Individual Number (マイナンバー): 11 digits and a weighted mod-11 check digit (``stdnum.jp.in_``)."""

    ENTITY = "JP_MY_NUMBER"
    COUNTRY = "JP"
    PATTERNS = (
        id_pattern("my number 4-4-4", r"\d{4}([ -])\d{4}\1\d{4}", CHECKED),
        id_pattern("my number bare", r"\d{12}", WEAK),
    )
    CONTEXT = ("mynumber", "マイナンバー", "個人番号", "kojin")
    is_valid = staticmethod(jp_in.is_valid)


class GovflowKrRrnRecognizer(NationalIdRecognizer):
    """Resident registration number: YYMMDD (not in the future), century/sex digit 1-8, place code and
    a weighted mod-11 check digit (``stdnum.kr.rrn``). A bare 13-digit run is also an epoch-millisecond
    timestamp (about 1 in 100 pass), so that form needs context."""

    ENTITY = "KR_RRN"
    COUNTRY = "KR"
    PATTERNS = (
        id_pattern("rrn YYMMDD-NNNNNNN", r"\d{6}-[1-8]\d{6}", STRONG),
        id_pattern("rrn bare", r"\d{6}[1-8]\d{6}", WEAK),
    )
    CONTEXT = ("rrn", "주민등록번호", "주민", "resident")
    is_valid = staticmethod(partial(rrn.is_valid, allow_future=False))


# Check letters by prefix (ICA's published NRIC/FIN scheme): (offset added to the weighted sum, letters
# indexed by the sum mod 11). T and G are the 2000s series (+4); M is the 2022 FIN series (+3).
_NRIC_CHECK: dict[str, tuple[int, str]] = {
    "S": (0, "JZIHGFEDCBA"),
    "T": (4, "JZIHGFEDCBA"),
    "F": (0, "XWUTRQPNMLK"),
    "G": (4, "XWUTRQPNMLK"),
    "M": (3, "XWUTRQPNJLK"),
}


class GovflowSgNricFinRecognizer(NationalIdRecognizer):
    """NRIC/FIN: prefix S/T/F/G/M, 7 digits weighted 2 7 6 5 4 3 2 and a check letter per prefix."""

    ENTITY = "SG_NRIC_FIN"
    COUNTRY = "SG"
    PATTERNS = (id_pattern("nric/fin", r"[STFGM]\d{7}[A-Z]", CHECKED),)
    CONTEXT = ("nric", "fin", "uin")

    @staticmethod
    def is_valid(value: str) -> bool:
        offset, letters = _NRIC_CHECK[value[0]]
        return letters[(offset + weighted_sum(value[1:8], (2, 7, 6, 5, 4, 3, 2))) % 11] == value[8]


class GovflowAuTfnRecognizer(NationalIdRecognizer):
    """Tax File Number: 8 or 9 digits, weighted sum mod 11 == 0 (ATO; ``stdnum.au.tfn``)."""

    ENTITY = "AU_TFN"
    COUNTRY = "AU"
    PATTERNS = (
        id_pattern("tfn 3-3-3", r"\d{3}([ -])\d{3}\1\d{2,3}", CHECKED),
        id_pattern("tfn bare", r"\d{8,9}", WEAK),
    )
    CONTEXT = ("tfn", "tax file")
    is_valid = staticmethod(tfn.is_valid)


class GovflowAuMedicareRecognizer(NationalIdRecognizer):
    """Medicare card number: first digit 2-6, 9th digit = digits 1-8 weighted 1 3 7 9 1 3 7 9 mod 10,
    then the issue number (and optionally the individual reference number)."""

    ENTITY = "AU_MEDICARE"
    COUNTRY = "AU"
    PATTERNS = (
        id_pattern("medicare 4-5-1", r"[2-6]\d{3} \d{5} \d(?: \d)?", CHECKED),
        id_pattern("medicare bare", r"[2-6]\d{9,10}", WEAK),
    )
    CONTEXT = ("medicare",)

    @staticmethod
    def is_valid(value: str) -> bool:
        return weighted_sum(value[:8], (1, 3, 7, 9, 1, 3, 7, 9)) % 10 == int(value[8])


class GovflowZaIdRecognizer(NationalIdRecognizer):
    """South African ID number: YYMMDD, serial, citizenship 0/1 and a Luhn check digit
    (``stdnum.za.idnr``)."""

    ENTITY = "ZA_ID"
    COUNTRY = "ZA"
    PATTERNS = (id_pattern("za id", r"\d{13}", CHECKED),)
    CONTEXT = ("identity", "idnumber", "id number", "south african")
    is_valid = staticmethod(za_idnr.is_valid)


class GovflowChAhvRecognizer(NationalIdRecognizer):
    """AHV/AVS number: 756 (Switzerland's ISO numeric code) + 9 digits + EAN-13 check digit
    (``stdnum.ch.ssn``)."""

    ENTITY = "CH_AHV"
    COUNTRY = "CH"
    PATTERNS = (
        id_pattern("ahv 756.XXXX.XXXX.XX", r"756([. ])\d{4}\1\d{4}\1\d{2}", STRONG),
        id_pattern("ahv bare", r"756\d{10}", CHECKED),
    )
    CONTEXT = ("ahv", "avs", "sozialversicherung")
    is_valid = staticmethod(ch_ssn.is_valid)


class GovflowSaNationalIdRecognizer(NationalIdRecognizer):
    """Saudi national ID (starts 1) or Iqama (starts 2): 10 digits, Luhn check over all ten (the
    published scheme doubles odd positions). Epoch seconds look alike, so it needs context."""

    ENTITY = "SA_NATIONAL_ID"
    COUNTRY = "SA"
    PATTERNS = (id_pattern("saudi id / iqama", r"[12]\d{9}", WEAK),)
    CONTEXT = ("iqama", "saudi", "muqeem", "hawiya")
    is_valid = staticmethod(luhn.is_valid)


NATIONAL_ID_RECOGNIZERS: tuple[type[NationalIdRecognizer], ...] = (
    GovflowUkNhsRecognizer,
    GovflowUkNinoRecognizer,
    GovflowUsSsnRecognizer,
    GovflowUsItinRecognizer,
    GovflowCaSinRecognizer,
    GovflowDeTaxIdRecognizer,
    GovflowFrNirRecognizer,
    GovflowEsNifRecognizer,
    GovflowEsNieRecognizer,
    GovflowItFiscalCodeRecognizer,
    GovflowNlBsnRecognizer,
    GovflowPlPeselRecognizer,
    GovflowBrCpfRecognizer,
    GovflowCnResidentIdRecognizer,
    GovflowRuInnRecognizer,
    GovflowRuSnilsRecognizer,
    GovflowInAadhaarRecognizer,
    GovflowInPanRecognizer,
    GovflowJpMyNumberRecognizer,
    GovflowKrRrnRecognizer,
    GovflowSgNricFinRecognizer,
    GovflowAuTfnRecognizer,
    GovflowAuMedicareRecognizer,
    GovflowZaIdRecognizer,
    GovflowChAhvRecognizer,
    GovflowSaNationalIdRecognizer,
)
"""Every national-ID recognizer class, in the order of govflow's country table."""
