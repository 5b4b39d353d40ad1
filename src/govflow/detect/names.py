"""Personal names by gazetteer: given names and family names from Faker's offline locale data.

The small English NER model misses names it has not seen in English news text (Einojuhani Pyysalo,
Aantje, Ludmiła). A gazetteer of the given and family names of every locale Faker ships finds them
without a model; it runs on free text only, and only on capitalised words.

Caveat for anyone reading benchmark figures: synthetic test corpora are often generated from the same
kind of name lists (presidio-research's synth dataset was), so a gazetteer scores better on them than on
real text. The accuracy benchmark prints figures with and without this recognizer.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

import regex
from presidio_analyzer import RecognizerResult

from govflow.detect.prose_base import (
    CALENDAR_WORDS,
    COUNTRIES,
    FLAGS,
    NATIONALITIES,
    STREET_TYPES,
    ProseRecognizer,
    result,
    search_before,
)

# Capitalised words and initials ("G.", "B") on one line; a run of them is a candidate name.
_TOKEN = regex.compile(r"[[:Lu:]][[:Ll:]'’-]+(?:-[[:Lu:]][[:Ll:]]+)?|[[:Lu:]]\.?(?![\w])", FLAGS)
_GLUE = regex.compile(r"[ \t]+")
_SENTENCE_START = regex.compile(r"(?:^|[.!?:]\s+|\n\s*)$")
# How far before a name the sentence-start test looks; after more blanks than this it counts as mid-sentence.
_LOOK_BACK = 64


def faker_attributes(provider_package: str) -> Iterable[tuple[str, object]]:
    """(name, value) of every class attribute of every locale's Provider in ``faker.providers.<package>``:
    Faker's offline word lists (names, places), read without building a Faker instance."""
    package = importlib.import_module(f"faker.providers.{provider_package}")
    for module in pkgutil.iter_modules(package.__path__):
        yield from importlib.import_module(f"{package.__name__}.{module.name}").Provider.__dict__.items()


@cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, family names) of every Faker person provider, minus English words that are also
    names (Will, May, Key), calendar words, countries, nationalities and street types."""
    from spacy.lang.en.stop_words import STOP_WORDS

    given: set[str] = set()
    family: set[str] = set()
    targets = {"first_names": given, "first_names_male": given, "first_names_female": given, "last_names": family}
    for attr, values in faker_attributes("person"):
        target = targets.get(attr)
        if target is not None and isinstance(values, list | tuple | dict | set | frozenset):
            target.update(v for v in values if isinstance(v, str) and len(v) > 2)
    common = {w.lower() for w in STOP_WORDS} | {
        w.lower() for w in (*CALENDAR_WORDS, *NATIONALITIES.split(), *COUNTRIES.split("|"), *STREET_TYPES.split("|"))
    }
    return (
        frozenset(n for n in given if n.lower() not in common),
        frozenset(n for n in family if n.lower() not in common),
    )


class GovflowNameGazetteerRecognizer(ProseRecognizer):
    """Runs of capitalised words that the name lists know: two or more name words (initials may sit
    between them), or one given/family name that does not open a sentence (where any word is
    capitalised)."""

    ENTITIES = ("PERSON",)
    SCORE = 0.6

    def find(self, text: str) -> Iterable[RecognizerResult]:
        given, family = name_lists()
        known = given | family
        run: list[regex.Match[str]] = []
        for token in [*_TOKEN.finditer(text), None]:
            if token is not None and run and _GLUE.fullmatch(text, run[-1].end(), token.start()):
                run.append(token)
                continue
            yield from self._names(text, run, given, known)
            run = [token] if token is not None else []

    def _names(
        self, text: str, run: list[regex.Match[str]], given: frozenset[str], known: frozenset[str]
    ) -> Iterable[RecognizerResult]:
        """Split a run of capitalised tokens into maximal stretches of name words and initials."""
        stretch: list[regex.Match[str]] = []
        for token in [*run, None]:
            word = token.group().rstrip(".") if token is not None else ""
            if token is not None and (word in known or (len(word) == 1 and stretch)):
                stretch.append(token)
                continue
            while stretch and len(stretch[-1].group().rstrip(".")) == 1:
                stretch.pop()  # a trailing initial is more likely a sentence's "A" or "I"
            words = [t.group() for t in stretch if len(t.group().rstrip(".")) > 1]
            if len(words) >= 2 or (
                len(words) == 1 and not search_before(_SENTENCE_START, text, stretch[0].start(), _LOOK_BACK)
            ):
                start, end = stretch[0].start(), stretch[-1].end()
                yield result(self, "PERSON", start, end, self.SCORE, "name in the name lists")
            stretch = []
