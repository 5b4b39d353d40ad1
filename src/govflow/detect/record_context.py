"""Detection that needs the rest of the record: what a record's structured columns hold, its free text
may repeat, and phone numbers written without a country code need the record's country.

A note that says "Spoke to Ms Gloor, call back on 076 783 89 83" is about the customer in the same row:
the small NER model may miss the name and a national-format number names no country, but the record's
name column and its declared country say exactly what to look for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import phonenumbers
from phonenumbers import Leniency

from govflow.detect.findings import Finding

ECHO = "record_context"
PHONE = "record_region_phone"
MIN_ECHO_CHARS = 3  # shorter values (initials, "Li") would match inside ordinary words
MIN_UNSPACED_ECHO_CHARS = 2  # a two-character CJK or Hangul name (李娜) is as specific as a Latin one
ECHO_SCORE = 0.9
PHONE_SCORE = 0.7
_ASCII_DIGIT = re.compile("[0-9]")


def unspaced(char: str) -> bool:
    """A character of a script written without spaces between words, or with particles glued to them
    (Han, kana, Hangul): a name there has no word boundary to look for."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs (extension A and unified)
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0x1100 <= code <= 0x11FF  # Hangul jamo
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x2FA1F  # CJK extensions B-F and compatibility supplement
    )


def _min_chars(value: str) -> int:
    if value.isascii():  # no ASCII character is unspaced; most values are ASCII, and this runs per record
        return MIN_ECHO_CHARS
    return MIN_UNSPACED_ECHO_CHARS if all(unspaced(c) for c in value if not c.isspace()) else MIN_ECHO_CHARS


@dataclass(frozen=True)
class Needle:
    """A value of the record to look for in its text, matched as a whole word."""

    entity: str
    text: str
    ignore_case: bool

    def spans(self, haystack: str, folded: str) -> Iterator[tuple[int, int]]:
        """Whole-word occurrences, found with str.find (a regex per record and word costs far more).
        An edge in an unspaced script (王秀英 in 请联系王秀英) needs no boundary."""
        source, needle = (folded, self.text.casefold()) if self.ignore_case else (haystack, self.text)
        if len(source) != len(haystack):  # casefolding changed lengths (e.g. "ß"): offsets would drift
            source, needle = haystack, self.text
        start = source.find(needle)
        while start >= 0:
            end = start + len(needle)
            open_start = unspaced(needle[0]) or start == 0 or not source[start - 1].isalnum()
            open_end = unspaced(needle[-1]) or end == len(source) or not source[end].isalnum()
            if open_start and open_end:
                yield start, end
            start = source.find(needle, start + 1)


def echo_needles(known: Iterable[tuple[str, str]]) -> list[Needle]:
    """A needle for each known value of a record, and for each word of a known name.

    Whole values match case-insensitively; single name words only as written (capitalised), so a
    surname like "Rose" does not also mask the flower.
    """
    needles: dict[tuple[str, str, bool], Needle] = {}
    for entity, value in known:
        value = value.strip()
        if len(value) < _min_chars(value):
            continue
        needles.setdefault((entity, value, True), Needle(entity, value, True))
        if entity == "PERSON":
            for word in re.findall(r"\w+", value):
                if len(word) >= _min_chars(word):
                    needles.setdefault((entity, word, False), Needle(entity, word, False))
    return list(needles.values())


def _has_digit(text: str) -> bool:
    """Whether `text` holds a digit (`str.isdigit`), without a Python step per character where it can."""
    return _ASCII_DIGIT.search(text) is not None if text.isascii() else any(c.isdigit() for c in text)


def record_findings(text: str, needles: list[Needle], region: str | None) -> list[Finding]:
    """Findings in one free text from its record's own values and country."""
    folded = text.casefold()
    found = [Finding(n.entity, a, b, ECHO_SCORE, ECHO) for n in needles for a, b in n.spans(text, folded)]
    if region and _has_digit(text):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            country = phonenumbers.region_code_for_number(match.number)
            found.append(
                Finding(
                    "PHONE_NUMBER", match.start, match.end, PHONE_SCORE, PHONE, country if country.isalpha() else None
                )
            )
    return found
