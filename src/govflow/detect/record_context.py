"""Detection that needs the rest of the record: what a record's structured columns hold, its free text
may repeat, and phone numbers written without a country code need the record's country.

A note that says "Spoke to Ms Gloor, call back on 076 783 89 83" is about the customer in the same row:
the small NER model may miss the name and a national-format number names no country, but the record's
name column and its declared country say exactly what to look for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import Leniency

from govflow.detect.findings import Finding

ECHO = "record_context"
PHONE = "record_region_phone"
MIN_ECHO_CHARS = 3  # shorter values (initials, "Li") would match inside ordinary words
ECHO_SCORE = 0.9
PHONE_SCORE = 0.7


def _token_pattern(token: str, *, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(token)}(?!\w)", re.IGNORECASE if ignore_case else 0)


def echo_patterns(known: Iterable[tuple[str, str]]) -> list[tuple[str, re.Pattern[str]]]:
    """(entity, pattern) for each known value of a record, and for each word of a known name.

    Whole values match case-insensitively; single name words only as written (capitalised), so a
    surname like "Rose" does not also mask the flower.
    """
    patterns: dict[tuple[str, str, bool], re.Pattern[str]] = {}
    for entity, value in known:
        value = value.strip()
        if len(value) < MIN_ECHO_CHARS:
            continue
        patterns.setdefault((entity, value, True), _token_pattern(value, ignore_case=True))
        if entity == "PERSON":
            for word in re.findall(r"\w+", value):
                if len(word) >= MIN_ECHO_CHARS:
                    patterns.setdefault((entity, word, False), _token_pattern(word, ignore_case=False))
    return [(entity, pattern) for (entity, _, _), pattern in patterns.items()]


def record_findings(text: str, patterns: list[tuple[str, re.Pattern[str]]], region: str | None) -> list[Finding]:
    """Findings in one free text from its record's own values and country."""
    found = [
        Finding(entity, m.start(), m.end(), ECHO_SCORE, ECHO)
        for entity, pattern in patterns
        for m in pattern.finditer(text)
    ]
    if region and any(c.isdigit() for c in text):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            country = phonenumbers.region_code_for_number(match.number)
            found.append(
                Finding(
                    "PHONE_NUMBER", match.start, match.end, PHONE_SCORE, PHONE, country if country.isalpha() else None
                )
            )
    return found
