"""The strings a text must hold for spaCy's lemmas to carry a recognizer's context word.

Presidio raises a score when a context word is a substring of a lemma near the finding. The tagger and
lemmatizer that make those lemmas cost more than NER on short notes, so a text runs them only where some
lemma could hold a context word. A lemma is the token itself (lower-cased), an exception the lemmatizer
lists for that token, the token with a suffix rule applied (`old` -> `new`), or a lemma the attribute
ruler writes (a fixed list: "be", "have", "I", ...). A context word in a lemma of the first kind is in the
lower-cased text; in one of the second kind, the text holds the exception's key; in one of the third kind,
either the word lies in what the rule kept (so it is in the text) or it runs into `new`: the text then
holds the word's head followed by `old` ("phoning" -> "phone"); a pipeline whose attribute ruler writes a
lemma holding a context word is not bounded at all. A token holds no space, so a context word with one
("social security") never matches a lemma; its triggers are harmless. These
strings, found with `in` on the lower-cased text, are a superset test: a text without any of them gets
the same scores with or without the tagger and lemmatizer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from spacy.pipeline import (
    AttributeRuler,
    DependencyParser,
    EntityRecognizer,
    EntityRuler,
    Lemmatizer,
    Morphologizer,
    SentenceRecognizer,
    Sentencizer,
    Tagger,
    Tok2Vec,
)

# Components known to set no lemma but through the tables read below.
_LEMMA_FREE = (
    DependencyParser,
    EntityRecognizer,
    EntityRuler,
    Morphologizer,
    Sentencizer,
    SentenceRecognizer,
    Tagger,
    Tok2Vec,
)


def lemma_triggers(nlp: Any, words: Sequence[str]) -> frozenset[str] | None:
    """Strings one of which a lower-cased text holds wherever a lemma of it can hold one of `words`.

    None when the pipeline's lemmas cannot be bounded this way (a lemmatizer not in rule mode, a component
    of unknown kind, an attribute-ruler lemma holding a context word): the text then always needs them.
    """
    # An empty context word never raises a score: Presidio reports the word it found, and "" reads as none.
    words = [w.lower() for w in words if w]
    if not words:
        return frozenset()
    triggers = set(words)
    for _, component in nlp.pipeline:
        if isinstance(component, AttributeRuler):
            lemmas = [p["attrs"].get("LEMMA", "") for p in component.patterns]
            if any(w in str(lemma).lower() for lemma in lemmas for w in words):
                return None
        elif isinstance(component, Lemmatizer):
            if component.mode != "rule":
                return None
            rules = _pos_tables(component.lookups, "lemma_rules")
            exceptions = _pos_tables(component.lookups, "lemma_exc")
            for table in rules:
                for old, new in table:
                    found = _rule_triggers(old, new, words)
                    if found is None:
                        return None
                    triggers |= found
            for table in exceptions:
                for form, lemmas in table.items():
                    if any(w in lemma.lower() for lemma in lemmas for w in words):
                        triggers.add(str(form).lower())
        elif sets_lemmas(component):
            return None
    # A text holding "phoned" holds "phone": the shortest strings decide.
    return frozenset(t for t in triggers if not any(u != t and u in t for u in triggers))


def sets_lemmas(component: Any) -> bool:
    """Whether a pipeline component may write lemmas (a lemmatizer, an attribute ruler, or one of unknown kind)."""
    return not isinstance(component, _LEMMA_FREE)


def _pos_tables(lookups: Any, name: str) -> list[Any]:
    """A lookups table's per-part-of-speech entries (rules or exceptions), whatever the part of speech."""
    table = lookups.get_table(name, {})
    return list(table.values())


def _rule_triggers(old: str, new: str, words: Iterable[str]) -> set[str] | None:
    """What a text must hold for `old` -> `new` to put a context word into a lemma where the token had none.

    The word then ends inside `new`: its head is the end of the kept stem, its tail `new`'s start, and the
    token (so the text) holds head + `old`. None when a word lies wholly in `new` (any token could do).
    """
    found: set[str] = set()
    for word in words:
        if word in new:
            return None
        for tail in range(1, min(len(new), len(word)) + 1):
            if word.endswith(new[:tail]):
                found.add(word[: len(word) - tail] + old)
    return found
