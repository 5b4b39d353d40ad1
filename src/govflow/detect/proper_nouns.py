"""Proper names the small English model misses, found by what they are not: English words.

en_core_web_sm learned names from English news text; it misses names it has never seen there, most of
all alone or in an unusual slot ("Oyelaran, can I please speak to your manager?", "I work for Zendrix",
"we moved to Kuopio", "ΛΕΜΕΣΟΣ"). English writes every name with a capital, and a capitalised word that
no English dictionary holds and that English text rarely uses can hardly be anything else: the name of a
person, a place or an organisation. This recognizer takes those words, with the capitalised words next to
them on the same line ("Ngozi Adeyemi-Okafor", "Zendrix Quarnell"), and types them PERSON: which of the
three it is does not matter for masking, and reading a name as a person's is the fail-closed choice.

Not evidence of a name: a word of English in any case (web2, GCIDE, regular inflections, stop words;
``Orchestra``, ``Princess``, ``He's``), a frequent word (wordfreq Zipf >= 4.5: ``Website``, ``Facebook``
and ``John``, which NER knows), an abbreviation in capitals of up to four letters and its plural
(``IBAN``, ``ASAP``, ``SSNs``), a roman numeral, a month or a weekday or their abbreviations, and a
compound or identifier made of such parts (``Non-Infringing``, ``DataFrame``). Frequent English words at
either end of a run are left out of the span ("The Zendrix Orchestra" → ``Zendrix``).

Its cost is the name that is also a common word (``Hope``, ``Rose``), which it leaves to NER and the other
recognizers, and capitalised words that are no names but no English either (product names, new coinages,
a foreign phrase: ``C'est la vie``), which it masks: in prose the safe side. Over 55,000 words of licence
texts and govflow's own docs it finds one span in about 550 words, nearly all of them names of products
and organisations (``Mozilla``, ``Netscape``, ``Databricks``).
"""

from __future__ import annotations

from collections.abc import Iterable

import regex
from presidio_analyzer import RecognizerResult

from govflow.detect.name_check import english_zipf, is_english_word
from govflow.detect.prose_base import CALENDAR_ABBREVIATIONS, CALENDAR_WORDS, FLAGS, ProseRecognizer, result

_WORD = r"[\p{Lu}\p{Lt}][\p{L}\p{M}'’-]*"
# A run of capitalised words on one line, not glued to a letter, digit, apostrophe or hyphen before it.
_RUN = regex.compile(rf"(?<![\p{{L}}\p{{M}}\p{{N}}'’-]){_WORD}(?:[ \t]+{_WORD})*(?![\p{{L}}\p{{M}}\p{{N}}])", FLAGS)
_ROMAN_NUMERAL = regex.compile(r"[IVXLCDM]+")
# An abbreviation in capitals, its plural included ("ATM", "IBANs", "SSNs").
_ABBREVIATION = regex.compile(r"\p{Lu}{1,4}|\p{Lu}{2,5}s")
# Where a compound or an identifier joins its parts: a hyphen, or a capital after a small letter ("DataFrame").
_PART_BOUNDARY = regex.compile(r"-|(?<=\p{Ll})(?=\p{Lu})")
_TOKEN = regex.compile(r"\S+")
RARE_ZIPF = 4.5
"""A word English text uses less often than this (about 30 times per million words) may be a name."""
EDGE_ZIPF = 3.0
"""An English word at least this frequent at either end of a run is no part of the name next to it."""


def is_unknown_word(word: str) -> bool:
    """A capitalised word that only a name explains: a part of it (between hyphens, or where a capital
    follows a small letter) is no English word, not frequent, no abbreviation, roman numeral or calendar
    word. "Adeyemi-Okafor" and "McLeod" are unknown; "Non-Infringing", "CPU-bound" and "DataFrame" are not."""
    return any(_is_unknown_part(part) for part in _PART_BOUNDARY.split(word) if part)


def _is_unknown_part(part: str) -> bool:
    if _ABBREVIATION.fullmatch(part) or _ROMAN_NUMERAL.fullmatch(part):
        return False
    if part.capitalize() in CALENDAR_WORDS or part.capitalize().rstrip(".") in CALENDAR_ABBREVIATIONS:
        return False
    return not is_english_word(part) and english_zipf(part.lower()) < RARE_ZIPF


def _frequent_english(word: str) -> bool:
    return is_english_word(word) and english_zipf(word.lower()) >= EDGE_ZIPF


class GovflowProperNounRecognizer(ProseRecognizer):
    """Runs of capitalised words holding at least one word that only a name explains."""

    ENTITIES = ("PERSON",)
    SCORE = 0.5

    def find(self, text: str) -> Iterable[RecognizerResult]:
        for run in _RUN.finditer(text):
            words = [(run.start() + w.start(), run.start() + w.end()) for w in _TOKEN.finditer(run.group())]
            while words and _frequent_english(text[words[0][0] : words[0][1]]):
                words.pop(0)
            while words and _frequent_english(text[words[-1][0] : words[-1][1]]):
                words.pop()
            if any(is_unknown_word(text[start:end]) for start, end in words):
                yield result(
                    self, "PERSON", words[0][0], words[-1][1], self.SCORE, "capitalised word that no dictionary holds"
                )
