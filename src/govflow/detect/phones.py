"""Phone numbers as jurisdiction evidence, via Google's libphonenumber (``phonenumbers``).

Only numbers written with an international prefix (``+CC`` or ``00CC``) name their country on their own,
so the recognizer matches with no default region: a national-format number is never guessed into a
country. :func:`phone_country` resolves such numbers once a caller knows the region to assume.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import Leniency, NumberParseException
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, RecognizerResult

from govflow.detect.national_ids import COUNTRY_KEY
from govflow.detect.phone_parse import UNDECIDED, Undecided, national_region, split_plus

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

# libphonenumber's own switch for programs that validate numbers of many regions: keep its compiled
# metadata patterns instead of asking `re`'s bounded cache for each one on every check (~10% of a parse
# and validation here). Process-wide, and only a cache: results are the same. Older releases that the
# dependency range admits (8.13) lack the switch and rely on `re`'s cache alone.
_enable_pattern_cache = getattr(phonenumbers, "enable_pattern_cache", None)
if _enable_pattern_cache is not None:
    _enable_pattern_cache()

# "00" as the international call prefix (ITU-T E.164 recommends it; most of the world dials it), at the
# start of a token. Rewriting it to " +" keeps every offset while letting libphonenumber parse it with
# no region; digit runs, codes like ORD-0044… and digit groups inside a number (+966 11 002 8647) are
# left alone.
_IDD_00 = re.compile(r"(?<![\w+./-])(?<!\d[ .-])00(?=[1-9])")


def _with_plus(text: str) -> str:
    return _IDD_00.sub(" +", text) if "00" in text else text


# A whole value that is "+" and digits, in one run or as a country-code-sized group and one more group
# ("+44 7911123456"), the usual shape of a phone column. The matcher's one candidate is then the whole
# value: if it is not a valid number, the only shorter pieces the matcher tries are "+" and at most three
# digits (never a valid number; checked for all 1,110) and a digit run without "+" (never parsed with no
# region). So parsing the value once gives the matcher's answer without its search (tested against it).
_WHOLE_PLUS_NUMBER = re.compile(r"\+[0-9]{1,3} [0-9]{1,17}|\+[0-9]{1,20}")
# "+" and digit groups split by single spaces or hyphens, as numbers are written internationally
# ("+44 20 7946 0958", "+7 912 345-67-89"). The matcher's first candidate is again the whole value, and a
# "+" number that parses as valid passes every other VALID check (no brackets, slashes or "x", no national
# prefix to require), so a valid parse is its answer; any other value goes to the matcher, which may
# find a valid number inside it.
_GROUPED_PLUS_NUMBER = re.compile(r"\+[0-9]{1,3}(?:[ -][0-9]+){1,8}")


def _international_numbers(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, region) of every valid number written with "+" that ``PhoneNumberMatcher`` finds in
    ``text``; the region as ``region_code_for_number`` gives it."""
    whole = _WHOLE_PLUS_NUMBER.fullmatch(text)
    if whole or _GROUPED_PLUS_NUMBER.fullmatch(text):
        region = _valid_region(text)
        if region is not None:
            return [(0, len(text), region)]
        if whole:
            return []
    return [
        (m.start, m.end, phonenumbers.region_code_for_number(m.number))
        for m in phonenumbers.PhoneNumberMatcher(text, None, leniency=Leniency.VALID)
    ]


def _valid_region(text: str, default_region: str | None = None) -> str | None:
    """The region `region_code_for_number` gives `text` parsed as one number, or None if it is not valid."""
    split = split_plus(text) if default_region is None else UNDECIDED
    if isinstance(split, Undecided):
        try:
            number = phonenumbers.parse(text, default_region)
        except NumberParseException:
            return None
        split = number.country_code, phonenumbers.national_significant_number(number)
    return None if split is None else national_region(*split)


def _iso_country(region: str | None) -> str | None:
    """ISO 3166-1 alpha-2 of a number's region; None for non-geographic ones (+800, +882 …: region "001")."""
    return region if region and region.isalpha() and region != phonenumbers.UNKNOWN_REGION else None


def phone_country(text: str, default_region: str | None) -> str | None:
    """The country of the phone number in ``text``, or None if it is not a valid number.

    ``default_region`` (ISO alpha-2) is the region assumed for national-format numbers (``020 7946 0958``
    with ``"GB"``); international ones (``+1 …``, ``0044 …``) resolve whatever it is. For +1 the area
    code decides between the US, Canada and the Caribbean.
    """
    return _iso_country(_valid_region(_with_plus(text), default_region.upper() if default_region else None))


class GovflowInternationalPhoneRecognizer(LocalRecognizer):
    """Phone numbers written with +CC or 00CC that libphonenumber finds VALID (right length and a range
    in use for that country). Timestamps, order ids, SKUs and tracking numbers carry no international
    prefix, so text without one is skipped before the (slow) matcher runs."""

    ENTITY = "PHONE_NUMBER"
    SCORE = 0.75
    # A text it finds a number in holds "+", or "00" before a digit 1-9 that `_with_plus` rewrites to "+"
    # (see `analyze`): the detection stack's RE2 prefilter skips every other value without calling it.
    NECESSARY_PATTERNS = (r"\+", "00[1-9]")
    CONTEXT = ("phone", "telephone", "mobile", "cell", "tel", "fax", "call", "whatsapp")

    def __init__(self, supported_language: str = "en", context: Sequence[str] | None = None) -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name=type(self).__name__,
            supported_language=supported_language,
            context=list(self.CONTEXT if context is None else context),
        )

    def load(self) -> None:
        """Nothing to load: libphonenumber's metadata is imported with the module."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Valid international numbers in ``text``, each carrying the country it is registered to."""
        return self._find(text, explain=True)

    def analyze_value(self, text: str) -> list[RecognizerResult]:
        """`analyze`'s results for one structured value, without the explanation objects that only
        Presidio's analyzer reads; structured values never reach it."""
        return self._find(text, explain=False)

    def _find(self, text: str, *, explain: bool) -> list[RecognizerResult]:
        searchable = _with_plus(text)
        if "+" not in searchable:
            return []
        results = []
        for match_start, end, region in _international_numbers(searchable):
            # A rewritten "00" starts one character before the "+" the matcher reports.
            start = match_start - 1 if text[match_start] == "0" else match_start
            country = _iso_country(region)
            results.append(
                RecognizerResult(
                    entity_type=self.ENTITY,
                    start=start,
                    end=end,
                    score=self.SCORE,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=self.name,
                        original_score=self.SCORE,
                        textual_explanation=f"Valid international phone number of region {country}",
                    )
                    if explain
                    else None,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        COUNTRY_KEY: country,
                    },
                )
            )
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results
