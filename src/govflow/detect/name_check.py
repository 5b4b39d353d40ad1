"""A cheap, recall-safe test of whether a text could hold a person's name or a place, so NER runs only there.

spaCy's English NER is the most expensive step of free-text detection. English writes names and places
with a capital letter, so a text can skip NER only when it has none of:

- a letter of a script without case (CJK, Arabic, Hebrew, Thai, ...): names there carry no capital;
- a capital letter that the lexicon below cannot explain away;
- a lower-case word that the lexicon cannot explain away (below).

Digits and symbols are no part of a name, so they do not force NER by themselves: the words around a house
number, a phone number or a ``:`` are checked like any others (a capital after a digit or a symbol never
opens a sentence, so ``12 Baker Street`` and ``Ref:Anna`` run NER). An e-mail address is read as one
opaque word: the e-mail recognizer finds it whole, name and all, and masks it whole. So are the names of
weekdays and of the months that are no given names (``Fridays``, ``October``): spaCy reads them as dates
wherever they stand. Callers can mark other spans opaque the same way: the egress gate marks the
pseudonyms it wrote, so a masked note whose remaining words are all explained skips its second NER pass.

A capital is explained away only when its word opens a sentence (text start, or after ``. ! ?``, a
line break or a ``- * •`` bullet), is title-case (``Box``, not ``BOX`` or ``McBox``), is a common English
word, and is not a known name or place. That is what the small model gets wrong and a person never does:
it tags a sentence-initial ``Box arrived damaged`` as a PERSON. The pronoun ``I`` is explained anywhere.

- Common English word: a lower-case entry of Webster's Second (``web2``) or a headword of GCIDE
  (Webster's 1913), both from the ``english-words`` package (MIT), or such a word plus a regular
  inflection (``-s -es -ies -ed -ied -ing -ly``, doubled consonants). General dictionaries, not the
  benchmark's templates.
- Known name or place (wins over the above): every capitalised entry of ``web2`` (its proper nouns:
  ``Will Mark Grace Jordan Paris ...``), every given and family name of every Faker locale (``Hope
  Rose ...``, without the English-word filter ``names.py`` applies), every one-word city, town, state,
  region and country of every Faker locale, govflow's own country and nationality names, and each word
  of a longer place name or of the prefixes and suffixes Faker builds place names from, unless that word
  is an everyday one (a lower-case web2 entry with Zipf >= 4: ``New``, ``Lake``, ``North`` of ``North
  Macedonia``; ``Macedonia``, ``Bukit`` stay). A name that is also a word therefore still runs NER,
  wherever it stands.

Lower-case words are checked too, since people write names in lower case (``follow up with patricia
desrosiers``): a lower-case word passes when it is a spaCy stop word, an abbreviation of a time or unit
(``pm``, ``kg``; a short fixed list), a dictionary word (or inflection) that is no known name or place, or
a dictionary word used at least ten times per million words (wordfreq Zipf >= 4: ``said``, ``split``,
``company``, though Faker knows a Said and a city of Split). Anything else (``patricia``, ``switzerland``,
and rare words that are names first: ``bertram``, ``kiel``) runs NER. The frequency rule is off on a
contact line, a text with a digit or an address symbol (after opaque spans are blanked): there ``ring
john smith on +44 ...`` and ``sent 12 kg to berlin`` are names and places, so they run NER.

What this costs, honestly: a single-word name or place that is a dictionary word and missing from all the
lists above (or, in lower case, a frequent word: ``hope``, ``jordan``) skips NER when it opens a sentence
(a multi-word name has a second capital that is not sentence-initial, so it cannot); an e-mail-shaped
string the e-mail recognizer does not accept (an unknown top-level domain) hides the name in it from NER
too. The egress gate re-runs NER on a masked text only where this check says a name could remain, so it
is no second opinion on names the first pass's NER missed. The audit counts it:
``benchmarks/throughput.py`` counts skipped notes holding a true person (datagen's ground truth), and
``tests/test_name_check.py`` asserts none on a generated table and none with a labelled person, place,
address or organisation on presidio-research's synth dataset (where present). Both were zero when this
rule was written; the frequency threshold was set after seeing the two synth texts it had to catch, so it
is not independent evidence. One RE2 pass over all texts settles most of them; the rest are looked at
word by word in Python.

Within a text that needs NER the same test picks the sentences that do (`name_regions`): a sentence whose
words are all explained holds no name any more than a text of them does. NER reads those sentences with
the words around them that its model looks at (``ner_windows.py``), and its findings count only there.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache

import pyarrow as pa
import pyarrow.compute as pc
import regex
from spacy.lang.en.stop_words import STOP_WORDS

from govflow.detect.findings import DisjointSpans
from govflow.detect.names import faker_attributes
from govflow.detect.prose_base import COUNTRIES, NATIONALITIES, search_before

# Anything that needs NER whatever the words: a letter of a caseless script (or a title-case digraph).
_ALWAYS_NER = r"[\p{Lt}\p{Lo}\p{Lm}]"
# An e-mail address, read as one opaque word (the e-mail recognizer finds and masks it whole).
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# Days and months, capitalised anywhere, are dates to spaCy, not people or places; the months that are
# also given names (April, May, June, July, August) and March (a family name) are left to NER.
_CALENDAR_WORD = r"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?|January|February|(?:Septem|Octo|Novem|Decem)ber)\b"
# Digits and address symbols mark a contact line (a phone number, a house number, an e-mail address),
# where a frequent word is as likely a name in lower case ("ring john smith on +44 ..."): there the
# frequency rule does not explain a word that is a known name. Opaque spans are blanked first: the egress
# gate's pseudonyms replace what the first pass found, which ran NER if its own text was a contact line.
_CONTACT = r"[\p{N}@/:#_~=+<>|\\]"
# What an opaque span becomes for the check: a lower-case word, so what follows it never opens a sentence.
_OPAQUE_WORD = "x"
# A capital that cannot open a sentence: after a letter, mark or apostrophe (``McBox``, ``iPhone``), or
# after a space that follows something other than a sentence end or a bullet. RE2 has no look-behind,
# so this over-approximates; the word-by-word check below is exact.
_CAPITAL = r"(?:[A-HJ-Z]|[^\P{Lu}A-Z]|I[\p{L}\p{M}])"  # a capital, but not the pronoun I
_CAPITAL_MID_SENTENCE = r"[\p{L}\p{M}'’]\p{Lu}|[^.!?\s\-*•][ \t]+" + _CAPITAL

_WORD = regex.compile(r"[\p{L}\p{M}'’]+")
# The same neutral spans and caseless letters for Python, where positions must be kept (`name_regions`);
# ASCII like RE2's ``\w`` and ``\b``, so both find the same spans.
_NEUTRAL_PATTERNS = tuple(regex.compile(p, regex.ASCII) for p in (_EMAIL, _CALENDAR_WORD))
_ALWAYS_NER_LETTER = regex.compile(_ALWAYS_NER)
# Where a sentence may end: ``. ! ?`` and blanks. Not a bare line break: the lines of an address block
# are no sentences, and NER tags a town on a line of its own only among the lines around it.
_SENTENCE_BREAK = regex.compile(r"[.!?]+\s+")
# A word before a full stop that more often runs on into a name than ends a sentence: ``J.``, ``Mr.``, ``St.``
_RUNS_ON = regex.compile(r"(?:^|[^\p{L}\p{M}])(?:\p{L}|\p{Lu}\p{Ll}{1,2})$")
_SENTENCE_START = regex.compile(r"(?:^|[.!?]|\n[ \t]*(?:[-*•][ \t]*)?|^[ \t]*[-*•])[ \t]*$")
# How far before a word the sentence-start test looks: after more blanks than this a word counts as
# mid-sentence, so NER runs.
_LOOK_BACK = 64
_TITLE_WORD = regex.compile(r"(\p{Lu}\p{Ll}+)(?:['’]\p{Ll}{1,2})?")
_CONTRACTION = regex.compile(r"(?:n['’]t|['’](?:s|re|ve|ll|d|m|t)?)$")
_PRONOUN_I = regex.compile(r"I(?:['’](?:m|d|ll|ve))?")
# Zipf 4 = ten uses per million words: ``said`` (6.0) and ``split`` (4.7) are words to a reader even
# though Faker knows a Said and a city of Split; ``bertram`` (3.0) and ``kiel`` (2.8) are names first.
FREQUENT_WORD_ZIPF = 4.0
# Lower-case abbreviations of times, units and office shorthand that no dictionary lists as words.
_ABBREVIATIONS = frozenset({"am", "pm", "hr", "hrs", "min", "mins", "sec", "secs", "kg", "km", "cm", "mm", "ml"})
_ABBREVIATIONS |= {
    "lb",
    "lbs",
    "oz",
    "ft",
    "qty",
    "pcs",
    "approx",
    "etc",
    "vs",
    "eta",
    "asap",
    "fyi",
    "ok",
    "tel",
    "ext",
}
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""))
_SUFFIXES += (("ing", "e"), ("ly", ""), ("d", ""))
_PLACE_ATTRIBUTES = ("cit", "town", "village", "state", "province", "region", "countr", "count", "district")
_PLACE_ATTRIBUTES += ("department", "prefecture", "borough", "place", "localit", "settlement", "commune")
_PLACE_ATTRIBUTES += ("wilaya", "area_name", "bairro", "concelho", "freguesia", "distrito", "amphoe", "tambon")


def may_hold_names(texts: Sequence[str], opaque: Sequence[Sequence[tuple[int, int]]] | None = None) -> list[bool]:
    """Per text: False only when it has no caseless-script letter and every word in it is explained away
    as a common English word that is no name or place (see module doc). `opaque` gives, per text, spans
    (start, end) read as one neutral word, such as pseudonyms a masker wrote."""
    return _checked(texts, opaque)[0]


def _checked(texts: Sequence[str], opaque: Sequence[Sequence[tuple[int, int]]] | None) -> tuple[list[bool], list[bool]]:
    """Per text, `may_hold_names`' answer and whether it is a contact line (which `name_regions` applies
    to each of its sentences)."""
    if not texts:
        return [], []
    if opaque is not None:
        texts = [_blank(text, spans) for text, spans in zip(texts, opaque, strict=True)]
    array = pa.array(texts, pa.string())
    contact = pc.match_substring_regex(array, pattern=_CONTACT).to_pylist()
    for neutral in (_EMAIL, _CALENDAR_WORD):
        array = pc.replace_substring_regex(array, pattern=neutral, replacement=_OPAQUE_WORD)
    settled = pc.or_(
        pc.match_substring_regex(array, pattern=_ALWAYS_NER),
        pc.match_substring_regex(array, pattern=_CAPITAL_MID_SENTENCE),
    ).to_pylist()
    flags = [
        is_settled or not _words_explained(text, frequent_words_pass=not is_contact)
        for text, is_settled, is_contact in zip(array.to_pylist(), settled, contact, strict=True)
    ]
    return flags, contact


def name_regions(
    texts: Sequence[str], opaque: Sequence[Sequence[tuple[int, int]]] | None = None
) -> list[tuple[tuple[int, int], ...]]:
    """Per text, the (start, end) spans where NER has to find names: none where `may_hold_names` says False,
    else its runs of consecutive sentences that hold a word the same test cannot explain (or a caseless
    letter).

    NER costs in proportion to the words it reads, and a note that needs it mostly holds one name in one
    of two or three sentences. Each word is tested exactly as in the whole text (the sentence-start test
    looks across the break; the contact-line rule is the whole text's), so a sentence is left out only when
    every word in it is explained. A sentence ends at ``. ! ?`` and blanks (a bare line break does not end
    one: the lines of an address block are read together); never after a single letter or a short
    title-case word (``J.``, ``Mr.``, ``St.``), which more often run on into a name. Where the test's RE2
    pre-pass flags a text whose words the word test all explains, the span is the whole text. NER reads
    each span with the words around it that its model looks at (`ner_windows`).
    """
    flags, contact = _checked(texts, opaque)
    out: list[tuple[tuple[int, int], ...]] = []
    for i, (text, flag, is_contact) in enumerate(zip(texts, flags, contact, strict=True)):
        if not flag:
            out.append(())
            continue
        neutral, blanked = _neutralise(text, list(opaque[i]) if opaque is not None else [])
        regions: list[tuple[int, int]] = []
        previous_needed = False
        for start, end in _sentences(neutral):
            needed = _ALWAYS_NER_LETTER.search(neutral, start, end) is not None or not _words_explained(
                neutral, frequent_words_pass=not is_contact, start=start, end=end
            )
            if needed and previous_needed:
                regions[-1] = (regions[-1][0], blanked.original(end))
            elif needed:
                regions.append((blanked.original(start), blanked.original(end)))
            previous_needed = needed
        out.append(tuple(regions) or ((0, len(text)),))
    return out


def _neutralise(text: str, spans: list[tuple[int, int]]) -> tuple[str, _Blanked]:
    """`text` as the test reads it (opaque spans, then e-mail addresses, then calendar words replaced by the
    opaque word, each found in what the step before left) and where in `text` its positions lie."""
    blanked = _Blanked(sorted(spans))
    neutral = _blank(text, blanked.spans)
    for pattern in _NEUTRAL_PATTERNS:
        found = [(blanked.original(m.start()), blanked.original(m.end())) for m in pattern.finditer(neutral)]
        if found:
            # A span found now covers any opaque span it overlaps (found spans never cut one).
            covered = DisjointSpans(found)
            kept = [s for s in blanked.spans if not covered.overlaps(*s)]
            blanked = _Blanked(sorted([*kept, *found]))
            neutral = _blank(text, blanked.spans)
    return neutral, blanked


class _Blanked:
    """Sorted, disjoint spans of a text that `_blank` replaced by the opaque word, and how a position in the
    blanked text maps back (a bisect: a text may hold thousands of pseudonyms)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self._blanked_starts: list[int] = []
        self._shifts: list[int] = []  # how much longer the text is than its blanked form before each span
        shift = 0
        for start, end in spans:
            self._blanked_starts.append(start - shift)
            self._shifts.append(shift)
            shift += end - start - len(_OPAQUE_WORD)

    def original(self, position: int) -> int:
        """`position` in the blanked text as a position in the text (after an opaque word: its span's end)."""
        k = bisect_right(self._blanked_starts, position) - 1
        if k < 0 or position == self._blanked_starts[k]:
            return position + (self._shifts[k] if k >= 0 else 0)
        return self.spans[k][1] + position - self._blanked_starts[k] - len(_OPAQUE_WORD)


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: the text cut at `_SENTENCE_BREAK`s, less the breaks' blanks."""
    out = []
    start = 0
    for cut in _SENTENCE_BREAK.finditer(text):
        stop = cut.start() + len(cut.group().rstrip())
        if _RUNS_ON.search(text, max(0, cut.start() - 4), cut.start()):
            continue
        if stop > start:
            out.append((start, stop))
        start = cut.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with each span replaced by the opaque word (spans may come in any order, never overlapping)."""
    pieces, last = [], 0
    for start, end in sorted(spans):
        pieces += [text[last:start], _OPAQUE_WORD]
        last = end
    return "".join([*pieces, text[last:]])


def _words_explained(text: str, *, frequent_words_pass: bool, start: int = 0, end: int | None = None) -> bool:
    """True when every word (between `start` and `end`) is a common word in lower case, the pronoun ``I``,
    or a sentence-opening title-case common word that is no known name or place."""
    for word in _WORD.finditer(text, start, len(text) if end is None else end):
        token = word.group()
        if token.islower():
            if not _is_dictionary_word(token, frequent_words_pass=frequent_words_pass):
                return False
            continue
        if _PRONOUN_I.fullmatch(token):
            continue
        title = _TITLE_WORD.fullmatch(token)
        if title is None or not search_before(_SENTENCE_START, text, word.start(), _LOOK_BACK):
            return False
        if not is_common_word(title.group(1)):
            return False
    return True


# Words recur across texts (Zipf): the word tests below are pure functions of the word and the fixed word
# lists, so their answers are kept (bounded) instead of stemming the same word again in every note.
WORD_CACHE = 1 << 16


@lru_cache(maxsize=WORD_CACHE)
def _is_dictionary_word(token: str, *, frequent_words_pass: bool) -> bool:
    """A lower-case word (with a contraction or possessive) that is no name written in lower case: a stop
    word, a dictionary word that is no known name or place, or (with `frequent_words_pass`) a frequent
    English word (``said``, ``company``) even though somebody is called that. ``patricia``,
    ``switzerland`` (not in the dictionary) and ``bertram``, ``kiel`` (rare words that are names) run NER."""
    base = _CONTRACTION.sub("", token)
    if len(base) <= 1 or base in STOP_WORDS or base in _ABBREVIATIONS:
        return True
    if token.endswith(("n't", "n’t")) and base + "n" in STOP_WORDS:  # can't, won't
        return True
    stems = _common_stems(base)
    if not stems:
        return False
    proper = lexicon()[1]
    if base.capitalize() not in proper and any(stem.capitalize() not in proper for stem in stems):
        return True
    return frequent_words_pass and english_zipf(base) >= FREQUENT_WORD_ZIPF


@lru_cache(maxsize=WORD_CACHE)
def is_common_word(word: str) -> bool:
    """A title-case word that is a common English word (or a regular inflection of one) and no known name
    or place, in itself or in a stem that makes it common."""
    proper = lexicon()[1]
    return word not in proper and any(stem.capitalize() not in proper for stem in _common_stems(word.lower()))


@lru_cache(maxsize=WORD_CACHE)
def is_english_word(word: str) -> bool:
    """A word of English in any case, whether or not somebody is also called that: a stop word, a
    dictionary word or a regular inflection of one, after a contraction or possessive is taken off
    (``He's``, ``Orchestra``, ``victor``). A capitalised word that is none of these, nor frequent, is a
    name of someone or something (:mod:`govflow.detect.proper_nouns`)."""
    base = _CONTRACTION.sub("", word.lower()).strip("'’-")
    return len(base) <= 1 or base in STOP_WORDS or bool(_common_stems(base))


def is_everyday_word(word: str) -> bool:
    """A word in any case that says nothing about whom a text is about: a spaCy stop word (``The``, ``To``,
    which the name lists also hold as places or names) or a common word that is no known name."""
    return word.lower() in STOP_WORDS or is_common_word(word.capitalize())


def _common_stems(lower: str) -> list[str]:
    """The dictionary words that `lower` is, or is a regular inflection of (``changed``: chang, change)."""
    common = lexicon()[0]
    stems = [lower] if lower in common else []
    for suffix, replacement in _SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix) + 2:
            stem = lower[: -len(suffix)] + replacement
            doubled = stem[:-1] if not replacement and stem[-1:] == stem[-2:-1] else ""  # shipped -> ship
            stems.extend(candidate for candidate in (stem, doubled) if candidate in common)
    return stems


@lru_cache(maxsize=WORD_CACHE)
def english_zipf(word: str) -> float:
    """Zipf frequency of an English word (log10 of uses per billion words) from wordfreq's offline data.
    Bounded like the word tests: the proper-noun check asks about every distinct name in the data."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


@cache
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(common lower-case English words, known capitalised names and places); see the module doc."""
    from english_words import get_english_words_set

    web2 = get_english_words_set(["web2"], lower=False, alpha=True)
    gcide = get_english_words_set(["gcide"], lower=True, alpha=True)
    common = {w for w in web2 if w.islower()} | gcide
    proper = {w for w in web2 if w[:1].isupper()}
    proper.update(_words(_faker_strings("person", _has("first_name", "last_name"))))
    is_place, is_part = _has(*_PLACE_ATTRIBUTES), _has("prefix", "suffix")
    whole = _faker_strings("address", lambda a: is_place(a) and not is_part(a))
    places = [*whole, *COUNTRIES.split("|"), *NATIONALITIES.split()]
    proper.update(_words(p for p in places if _WORD.fullmatch(p)))
    # A word of a longer name, or a prefix or suffix Faker builds place names from, is a known place unless
    # it is an everyday word (in web2 and frequent): "Macedonia", "Emirates", "Bukit" are; "New", "Lake" not.
    parts = [
        *(p for p in places if not _WORD.fullmatch(p)),
        *_faker_strings("address", lambda a: is_place(a) and is_part(a)),
    ]
    words = {w for w in web2 if w.islower()}  # web2 keeps case; GCIDE's lower-cased list holds names too
    proper.update(
        w for w in set(_words(parts)) if w.lower() not in words or english_zipf(w.lower()) < FREQUENT_WORD_ZIPF
    )
    return frozenset(common), frozenset(proper)


def _faker_strings(provider_package: str, wanted: Callable[[str], bool]) -> Iterable[str]:
    """Every string in a list/dict attribute of every Faker locale whose name is `wanted` (never a format)."""
    for attribute, values in faker_attributes(provider_package):
        if "format" in attribute or not wanted(attribute):
            continue
        if isinstance(values, dict):
            values = [*values.keys(), *values.values()]
        if isinstance(values, list | tuple | set | frozenset):
            yield from (v for v in values if isinstance(v, str))


def _has(*parts: str) -> Callable[[str], bool]:
    return lambda attribute: any(part in attribute for part in parts)


def _words(names: Iterable[str]) -> Iterable[str]:
    """Each title-case word of each name (``Rio de Janeiro`` -> Rio, Janeiro)."""
    for name in names:
        for word in _WORD.findall(name):
            if word[:1].isupper():
                yield word[:1] + word[1:].lower() if word.isupper() else word
