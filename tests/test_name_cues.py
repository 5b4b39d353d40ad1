"""Names found by the words that introduce them (govflow.detect.name_cues), and the everyday-word test they
rely on. Every name below is made up."""

from __future__ import annotations

import pytest

from govflow.detect.name_check import is_everyday_word
from govflow.detect.name_cues import GovflowNameCueRecognizer


def names(text: str) -> list[str]:
    recognizer = GovflowNameCueRecognizer()
    return [text[r.start : r.end] for r in recognizer.analyze(text, ["PERSON"], None)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My name is Aantje Mourik but everyone calls me Aantje", ["Aantje Mourik", "Aantje"]),
        ("She named him Luís", ["Luís"]),
        ("Her maiden name is Sandgreen.", ["Sandgreen"]),
        ("my name is vitoria", ["vitoria"]),  # no capital anywhere: capitals say nothing
        ("hi, i'm called olbrecht and i need help", ["olbrecht"]),
        ("Date: 2015-12-22\nName: Åsa Laine\nPhone: 083 564 9312", ["Åsa Laine"]),
        ("> Patient name: Ilse Varga", ["Ilse Varga"]),
        ("Ubul: What a wife.\nNicole: Remember me?\nUbul: Never.", ["Ubul", "Nicole", "Ubul"]),
        ("We need to add Ryan P Costa as guardian", ["Ryan P Costa"]),
        ("the verses from eric g. samoylova's tales", ["eric g. samoylova"]),
    ],
)
def test_names_in_their_slots(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "my name is not important",  # everyday words in the slot
        "Call me Monday about the order",  # a weekday is no name
        "I called Customer Service twice",
        "Date: Monday\nTime: noon",  # field labels open lines like speakers do
        "Bot: Where should it go?\nUser: Home, please.",
        "Author: see below\nLicense: MIT",
        "Nicole: Remember me?",  # one label line is no transcript
        "Please mark a key, then add a handler",  # "a" is an article, not an initial, in lower case
        "We chose Plan B Today",  # initial shape, but both words are everyday ones
        "Name: N/A",
    ],
)
def test_slots_without_a_name(text: str) -> None:
    assert names(text) == []


def test_everyday_words_include_stop_words_the_name_lists_hold() -> None:
    """``The`` and ``To`` are places or names somewhere, so the lexicon's common-word test refuses them; they
    still say nothing about whom a text is about."""
    assert is_everyday_word("The") and is_everyday_word("to") and is_everyday_word("Office")
    assert not is_everyday_word("Aantje") and not is_everyday_word("Kissousa")
