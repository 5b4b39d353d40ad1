"""The proper-noun recognizer: capitalised words that only a name explains, and the words that are not
evidence of one. Names and places below are made up or ordinary place names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govflow.detect.proper_nouns import GovflowProperNounRecognizer, is_unknown_word
from govflow.pipeline import Pipeline

RECOGNIZER = GovflowProperNounRecognizer()


def found(text: str) -> list[str]:
    return [text[r.start : r.end] for r in RECOGNIZER.analyze(text, ["PERSON"], None)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Oyelaran, can I please speak to your manager?", ["Oyelaran"]),  # alone, opening the sentence
        ("I work for Zendrix Quarnell", ["Zendrix Quarnell"]),  # a run of capitalised words is one span
        ("We moved to Kuopio last spring.", ["Kuopio"]),
        ("I am in ΛΕΜΕΣΟΣ for a business trip", ["ΛΕΜΕΣΟΣ"]),  # capitals of any script
        ("Ask Ngozi Adeyemi-Okafor about it", ["Ngozi Adeyemi-Okafor"]),
        ("The Zendrix Orchestra was founded in 1977.", ["Zendrix"]),  # English words at the ends left out
        ("Then O'Shaughnessy's team won", ["O'Shaughnessy's"]),
    ],
)
def test_finds_capitalised_words_no_dictionary_holds(text: str, names: list[str]) -> None:
    assert found(text) == names
    assert all(r.entity_type == "PERSON" for r in RECOGNIZER.analyze(text, ["PERSON"], None))


@pytest.mark.parametrize(
    "text",
    [
        "The Princess Royal arrived this morning.",  # English words, however capitalised
        "5 Musicians Of The 70s You're Supposed To Hate (But Secretly Love)",  # a title-case headline
        "Please block my card ASAP, my IBAN is below",  # abbreviations in capitals
        "Title VII of the Civil Rights Act protects employees.",  # a roman numeral
        "See you on Monday or in September.",  # calendar words
        "Website:\nhttp://example.com",  # frequent words no old dictionary holds
        "He's here, Sir. Thanks!",  # contractions and forms of address
        "Michael called John.",  # frequent names are left to NER
        "kuopio and oyelaran in lower case",  # lower case is not this recognizer's evidence
        "Non-Infringing, CPU-bound DataFrame code",  # compounds and identifiers of English parts
        "Two IBANs and three SSNs were sent on Oct. 3 and in Sept.",  # plural abbreviations, month abbreviations
    ],
)
def test_english_words_abbreviations_and_calendar_words_are_no_evidence(text: str) -> None:
    assert found(text) == []


def test_a_name_never_runs_across_a_line() -> None:
    assert found("Kuopio\nOyelaran") == ["Kuopio", "Oyelaran"]


def test_unknown_word_rules() -> None:
    assert is_unknown_word("Xignite") and is_unknown_word("ΛΕΜΕΣΟΣ")
    assert not any(is_unknown_word(w) for w in ("Orchestra", "ATM", "XVIII", "March", "Facebook", "He's"))
    assert all(is_unknown_word(w) for w in ("McLeod", "Adeyemi-Okafor", "O'Shaughnessy's"))


@given(st.text(alphabet=st.sampled_from("Abz Kuopio\n'-.,ΛΕ"), max_size=60))
def test_spans_are_capitalised_words_on_one_line(text: str) -> None:
    for r in RECOGNIZER.analyze(text, ["PERSON"], None):
        piece = text[r.start : r.end]
        assert piece == piece.strip() and "\n" not in piece
        assert piece[0].isupper()
        assert any(is_unknown_word(w) for w in piece.split())


def test_in_the_default_pack_it_masks_unseen_names_and_keeps_the_ner_skip_check() -> None:
    """The default pack runs it beside spaCy on free text; spaCy still reads only what the name check lets
    through (else the small model's PERSON on a sentence-initial "Box" would come back)."""
    stack = Pipeline.default().engine.stack
    text = "Oyelaran called about the Kuopio office."
    assert [text[f.start : f.end] for f in stack.scan_text(text)] == ["Oyelaran", "Kuopio"]
    assert stack.scan_text("Box arrived slightly damaged; a replacement has been sent.") == []
