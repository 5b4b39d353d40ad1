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
ECHO_SCORE = 0.9
PHONE_SCORE = 0.7


@dataclass(frozen=True)
class Needle:
    """A value of the record to look for in its text, matched as a whole word."""

    entity: str
    text: str
    ignore_case: bool

    def spans(self, haystack: str, folded: str) -> Iterator[tuple[int, int]]:
        """Whole-word occurrences, found with str.find (a regex per record and word costs far more)."""
        source, needle = (folded, self.text.casefold()) if self.ignore_case else (haystack, self.text)
        if len(source) != len(haystack):  # casefolding changed lengths (e.g. "ß"): offsets would drift
            source, needle = haystack, self.text
        start = source.find(needle)
        while start >= 0:
            end = start + len(needle)
            if (start == 0 or not source[start - 1].isalnum()) and (end == len(source) or not source[end].isalnum()):
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
        if len(value) < MIN_ECHO_CHARS:
            continue
        needles.setdefault((entity, value, True), Needle(entity, value, True))
        if entity == "PERSON":
            for word in re.findall(r"\w+", value):
                if len(word) >= MIN_ECHO_CHARS:
                    needles.setdefault((entity, word, False), Needle(entity, word, False))
    return list(needles.values())


def record_findings(text: str, needles: list[Needle], region: str | None) -> list[Finding]:
    """Findings in one free text from its record's own values and country."""
    folded = text.casefold()
    found = [Finding(n.entity, a, b, ECHO_SCORE, ECHO) for n in needles for a, b in n.spans(text, folded)]
    if region and any(c.isdigit() for c in text):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            country = phonenumbers.region_code_for_number(match.number)
            found.append(
                Finding(
                    "PHONE_NUMBER", match.start, match.end, PHONE_SCORE, PHONE, country if country.isalpha() else None
                )
            )
    return found
