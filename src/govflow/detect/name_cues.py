"""Personal names by the words around them: "my name is", a "Name:" field, a transcript's speaker, a
middle initial.

The small English NER model misses names it has not seen, and most of all single given names (Aantje,
Ludmiła) and names in lower case. English marks a name by its slot as well as by its spelling; this
recognizer reads the slots that hold nothing but a name, and the one shape that is almost only a name:

- an introduction: ``my name is``, ``call me``, ``named``, ``known as`` (and ``named her`` ...);
- a labelled field at the start of a line: ``Name:``, ``Full name:``, ``Surname:``, ``Patient name:``;
- a speaker label in a transcript: two or more lines opening ``Word:`` (field and role labels excepted);
- given name, middle initial, family name: ``Ryan P Costa``, ``eric g. samoylova``.

A slot's words count only when they do not all read as everyday English words (stop words, and
dictionary words that are no known name: ``name_check.is_everyday_word``), so ``my name is not
important``, ``Note: call back`` and ``Bot: hello`` find nothing. In a text without any capital letter
the slot takes lower-case words that are no everyday word (``my name is vitoria``); elsewhere a name is
capitalised. Like every prose recognizer it runs on free text only.

Checked for false alarms on 4.7 million characters of English documentation (the docstrings of Python's
standard library and the READMEs and metadata of the installed packages): 39 findings, nearly all real
people (``Fred L. Drake``) or product names after ``called`` / ``named`` (``Rijndael``).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import takewhile

import regex
from presidio_analyzer import RecognizerResult

from govflow.detect.name_check import is_everyday_word
from govflow.detect.prose_base import CALENDAR_WORDS, FLAGS, ProseRecognizer, result

_INTRODUCTION = regex.compile(
    r"\b(?i:my[ \t]name[ \t]is|my[ \t]name['’]s|name[ \t]is|i[ \t]am[ \t]called|i['’]m[ \t]called|call[ \t]me"
    r"|calls[ \t]me|named|called|known[ \t]as|née|nee)[ \t]+(?:(?i:him|her|them)[ \t]+)?",
    FLAGS,
)
_FIELD = regex.compile(
    r"^[ \t>*-]*(?i:(?:full|first|last|given|family|middle|maiden|contact|patient|customer|client|employee"
    r"|account[ \t]holder|card[ \t]?holder|beneficiary|guardian)[ \t]+)?(?i:name|surname)[ \t]*:[ \t]*",
    FLAGS | regex.MULTILINE,
)
# A name word: capitalised (McDonald too), or lower case; parts joined by an apostrophe or hyphen
# (O'Brien, Jean-Luc), but not a possessive 's.
_UPPER = r"[[:Lu:]](?:[[:Ll:]]+(?:[[:Lu:]][[:Ll:]]+)?|(?=['’][[:Lu:]]))(?:['’-](?![sS](?![[:L:]]))[[:L:]][[:Ll:]]*)*"
_LOWER = r"[[:Ll:]]{2,}(?:['’-](?!s(?![[:L:]]))[[:Ll:]]+)*"
# A speaker's name is plain (O'Neil, not Requires-Dist or ValueError: header fields and code).
_SPEAKER_WORD = r"[[:Lu:]][[:Ll:]]+(?:['’][[:Lu:]][[:Ll:]]+)?"
_SPEAKER = regex.compile(
    rf"^[ \t>]*(?P<name>{_SPEAKER_WORD}(?:[ \t]{_SPEAKER_WORD})?):[ \t]+[[:L:]\"'“‘]",
    FLAGS | regex.MULTILINE,
)
# Labels of fields and of chat roles, which open lines like a speaker does; some are also surnames (Date).
_LABEL_WORDS = (
    "Date Time Subject From To Cc Bcc Re Fwd Fax Tel Phone Mobile Desk Email Website Address Note Notes Ref "
    "Reference Status Summary Comment Comments Reply Answer Question Bot User Agent System Assistant Customer "
    "Operator Support Admin Moderator Host Guest Caller Interviewer Speaker Author Maintainer Owner Editor "
    "Reviewer Creator Publisher Title Version License Platform Keywords Source Example Usage Returns"
)
_LABELS = frozenset(_LABEL_WORDS.split())
_CAPITALISED = regex.compile(
    rf"(?:{_UPPER}|[[:Lu:]]\.?(?!\w))(?:[ \t](?:{_UPPER}|[[:Lu:]]\.?(?!\w))){{0,3}}(?![[:L:]\d])", FLAGS
)
# Given name, middle initial, family name (Ryan P Costa, eric g. samoylova): one of the names must be no
# everyday word (Plan B Today is not a name), both in lower case, where "a" and "i" need their full stop
# (mark a key, add a handler are no names).
_MIDDLE_INITIAL = regex.compile(
    rf"(?<![\w'’-])(?:(?P<first>{_UPPER})[ \t][[:Lu:]]\.?[ \t](?P<last>{_UPPER})"
    rf"|(?P<first>{_LOWER})[ \t](?:[b-hj-z]\.?|[ai]\.)[ \t](?P<last>{_LOWER}))(?![[:L:]-])",
    FLAGS,
)
_LOWER_CASE = regex.compile(rf"{_LOWER}(?:[ \t]{_LOWER}){{0,2}}", FLAGS)
_INITIAL = regex.compile(r"[[:Lu:]]\.?", FLAGS)
_TOKEN = regex.compile(r"\S+")
_CALENDAR = CALENDAR_WORDS | {"Today", "Tomorrow", "Yesterday"}


class GovflowNameCueRecognizer(ProseRecognizer):
    """Names in the slots of an introduction, a name field or a transcript's speaker labels, and names
    with a middle initial."""

    ENTITIES = ("PERSON",)
    SCORE = 0.6

    def find(self, text: str) -> Iterable[RecognizerResult]:
        lower_case_text = not any(c.isupper() for c in text)
        for cue, why in ((_INTRODUCTION, "name after an introduction"), (_FIELD, "name in a name field")):
            for m in cue.finditer(text):
                span = _name_at(text, m.end(), lower_case_text)
                if span:
                    yield result(self, "PERSON", *span, self.SCORE, why)
        for m in _MIDDLE_INITIAL.finditer(text):
            first, last = m.group("first"), m.group("last")
            lower = first.islower()
            if (lower and (_all_everyday([first]) or _all_everyday([last]))) or _all_everyday([first, last]):
                continue
            yield result(self, "PERSON", m.start(), m.end(), self.SCORE, "given name, initial, family name")
        speakers = list(_SPEAKER.finditer(text))
        if len(speakers) >= 2:
            for m in speakers:
                words = m.group("name").split()
                if _LABELS.isdisjoint(words) and not _all_everyday(words):
                    yield result(self, "PERSON", m.start("name"), m.end("name"), self.SCORE, "speaker label")


def _name_at(text: str, pos: int, lower_case_text: bool) -> tuple[int, int] | None:
    """The name starting at `pos`, if the words there are not all common words."""
    slot = (_LOWER_CASE if lower_case_text else _CAPITALISED).match(text, pos)
    if not slot:
        return None
    tokens = list(_TOKEN.finditer(text, slot.start(), slot.end()))
    if lower_case_text:
        tokens = list(takewhile(lambda t: not is_everyday_word(t.group()), tokens))
    else:
        while tokens and _INITIAL.fullmatch(tokens[-1].group()):
            tokens.pop()  # a trailing capital is more likely a sentence's "A" or "I" than an initial
        words = [t.group() for t in tokens if not _INITIAL.fullmatch(t.group())]
        if not words or words[0] in _CALENDAR or _all_everyday(words):
            return None
    return (tokens[0].start(), tokens[-1].end()) if tokens else None


def _all_everyday(words: list[str]) -> bool:
    return all(is_everyday_word(w) for w in words)
