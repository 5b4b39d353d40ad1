"""The name check lets a text skip NER only when no word in it can be a true name or place."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govflow.datagen import generate_customers
from govflow.detect.name_check import _blank, _Blanked, lexicon, may_hold_names, name_regions

SYNTH = Path("/work/shared/datasets/presidio-research/synth_dataset_v2.json")
# Names and places that are also English words: they must make NER run wherever they stand.
WORD_NAMES = ["Will", "Mark", "Grace", "Hope", "Rose", "Bill", "Sue", "Jordan", "Paris", "Brown", "Smith"]
OPENERS = ["Box arrived damaged.", "Delivery attempted twice.", "Refund issued for the missing item."]


def skips(text: str) -> bool:
    return may_hold_names([text]) == [False]


@pytest.mark.parametrize("name", WORD_NAMES)
def test_a_name_that_is_also_a_word_runs_ner_at_sentence_start_and_inside(name: str) -> None:
    texts = [f"{name} asked for a refund.", f"Box arrived. {name} asked for a refund.", f"refund for {name} today"]
    assert may_hold_names(texts) == [True, True, True]


@pytest.mark.parametrize(
    "text",
    [
        "Box arrived damaged; a replacement has been sent.",
        "Upgraded to express shipping at no extra cost after the delay.",
        "Customer prefers email. Wants deliveries on weekdays only.",
        "- Box arrived\n- Refund issued",
        "I think I'm done and can't wait.",
        "the parcel is waiting at the depot for collection",
        "Parcel split into two shipments; the company said it changed.",
        "Customer can be reached on +27 79 236 5860 after 6 pm.",  # digits are no part of a name
        "Please send the corrected invoice to angela.martin46@hotmail.com.",  # found whole by the e-mail recognizer
    ],
)
def test_lower_case_prose_and_common_sentence_openers_skip_ner(text: str) -> None:
    assert skips(text)


def test_everyday_words_that_only_open_place_names_are_no_places() -> None:
    proper = lexicon()[1]
    assert {"Macedonia", "Emirates", "Korea", "Bukit", "Split", "Paris"} <= proper
    assert not {"New", "Lake"} & proper
    assert skips("New contact number for this account: 0402 763 357.")


def test_opaque_spans_are_neutral_words_and_the_rest_is_still_checked() -> None:
    masked = [
        "PERSON:14daea016ccfc03e called about the late parcel.",
        "Spoke with PERSON:2ccaa92778c3cf16 about the parcel. Box arrived.",
        "Spoke with Maria about PERSON:2ccaa92778c3cf16 today.",
        "PERSON:2ccaa92778c3cf16 Smith called.",
    ]
    spans = [((0, 23),), ((11, 34),), ((23, 46),), ((0, 23),)]
    assert may_hold_names(masked) == [True, True, True, True]
    assert may_hold_names(masked, opaque=spans) == [False, False, True, True]


@pytest.mark.parametrize(
    "text",
    [
        "the box came from Box",  # a capital inside a sentence
        "Refund (Box) issued.",  # not after a sentence end
        "BOX arrived.",  # not title-case
        "Call 12 Baker Street.",  # a capital after a digit opens no sentence
        "Ref:Anna called about the order.",  # nor after a symbol
        "invoice for patricia_k at the depot",  # the words around a symbol are checked
        "write to patricia at p.d@example.org",  # an e-mail address is opaque, the words beside it are not
        # On a contact line (digits, symbols) a frequent word that is a known name is read as the name.
        "ring john smith on +44 20 7946 0958 after 6 pm",
        "left parcel 12 with paul brown at the depot",
        "sent 12 kg to berlin",
        "Macedonia is where she grew up.",  # one word of a country's longer name
        "parcel sent to bukit on friday",  # a prefix Faker builds place names from, and no everyday word
        "赵桂兰 asked for a refund.",  # a caseless script
        "follow up with patricia desrosiers in a couple of months.",  # a name written in lower case
        "the true gender of bertram has been under debate",  # a rare word that is a name first
        "i'm originally from switzerland",
    ],
)
def test_anything_that_can_hold_a_name_runs_ner(text: str) -> None:
    assert not skips(text)


@settings(max_examples=200, deadline=None)
@given(
    opener=st.sampled_from(OPENERS),
    name=st.sampled_from(sorted(lexicon()[1])),
    where=st.sampled_from(["start", "after_sentence", "inside"]),
)
def test_a_text_with_any_known_name_or_place_is_never_skipped(opener: str, name: str, where: str) -> None:
    text = {
        "start": f"{name} called. {opener}",
        "after_sentence": f"{opener} {name} called.",
        "inside": f"{opener} We spoke with {name} today.",
    }[where]
    assert not skips(text)


def test_no_generated_note_with_a_true_person_is_skipped() -> None:
    table, truth = generate_customers(2000, seed=3)
    notes = table.column("notes").to_pylist()
    texts = [n for n in notes if n]
    flags = dict(zip(texts, may_hold_names(texts), strict=True))
    with_person = [
        n for n, spans in zip(notes, truth.text_spans, strict=True) if n and any(e == "PERSON" for *_, e in spans)
    ]
    assert with_person and all(flags[n] for n in with_person)
    assert sum(not f for f in flags.values()) > 0.2 * len(flags)  # the check does skip ordinary notes
    # ... and NER reads every sentence with a true person, but not every sentence of every such note.
    present = [(n, spans) for n, spans in zip(notes, truth.text_spans, strict=True) if n]
    regions = name_regions([n for n, _ in present])
    persons = [(r, s, e) for (_, spans), r in zip(present, regions, strict=True) for s, e, k in spans if k == "PERSON"]
    assert persons and all(_inside(s, e, r) for r, s, e in persons)
    partial = [r for (n, _), r in zip(present, regions, strict=True) if r and r != ((0, len(n)),)]
    assert len(partial) > 0.2 * len(with_person)


def _inside(start: int, end: int, regions: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= start and end <= b for a, b in regions)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (
            "Parcel left with the concierge. Spoke with Anna Smith about it. Invoice must show the company name.",
            ["Spoke with Anna Smith about it."],
        ),
        ("Box arrived. Ring Grace today! Refund issued? Anna said yes.", ["Ring Grace today!", "Anna said yes."]),
        ("Spoke with Anna. Then Grace called. Box arrived.", ["Spoke with Anna. Then Grace called."]),  # one run
        ("Dr. Jones called. Box arrived.", ["Dr. Jones called."]),  # no break after a title or an initial
        ("Box arrived. Anna J. Smith called.", ["Anna J. Smith called."]),
        ("Box arrived\nAnna called.", ["Box arrived\nAnna called."]),  # a line break alone is no break
        ("Call 020 7946 0958. Ask for jordan.", ["Ask for jordan."]),  # a contact text: "jordan" needs NER
        ("Box arrived. Refund issued.", []),
        ("Spoke with Anna Smith", ["Spoke with Anna Smith"]),
    ],
)
def test_ner_reads_the_sentences_that_may_hold_names(text: str, read: list[str]) -> None:
    assert [text[a:b] for a, b in name_regions([text])[0]] == read
    assert may_hold_names(["Ask for jordan."]) == [False]  # alone, a frequent word passes


def test_regions_are_positions_in_the_text_as_given_around_opaque_spans_and_addresses() -> None:
    text = "PERSON:14daea016ccfc03e wrote from anna.smith@example.org. Box arrived. Paris called on Fridays."
    opaque = [((0, 23),)]
    (regions,) = name_regions([text], opaque)
    assert [text[a:b] for a, b in regions] == ["Paris called on Fridays."]
    assert name_regions([text[:72]], opaque) == [()]


SENTENCES = [*OPENERS, "Anna called.", "We spoke with Grace.", "Mr. Jones wrote.", "the parcel left.", "Ask bertram!"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=6), st.sampled_from([" ", "  ", "\n", " \n "]))
def test_what_ner_does_not_read_is_explained_and_regions_are_ordered_sentences(parts: list[str], gap: str) -> None:
    text = gap.join(parts)
    (regions,) = name_regions([text])
    assert bool(regions) == may_hold_names([text])[0]
    assert all(0 <= a < b <= len(text) and text[a:b].strip() == text[a:b] for a, b in regions)
    assert all(b < c for (_, b), (c, _) in pairwise(regions))
    # Every sentence NER does not read can stand in for an everyday sentence: the rest of the text skips.
    rest = text
    for a, b in reversed(regions):
        rest = rest[:a] + "Fine." + rest[b:]
    assert may_hold_names([rest]) == [False]


@pytest.mark.skipif(not SYNTH.exists(), reason="presidio-research synth dataset not present")
def test_no_synth_text_with_a_labelled_name_place_address_or_org_is_skipped() -> None:
    records = json.loads(SYNTH.read_text(encoding="utf-8"))
    labels = {"PERSON", "LOCATION", "GPE", "STREET_ADDRESS", "ORGANIZATION"}
    flags = may_hold_names([r["full_text"] for r in records])
    missed = [
        r for r, f in zip(records, flags, strict=True) if not f and any(s["entity_type"] in labels for s in r["spans"])
    ]
    assert missed == []
    assert sum(not f for f in flags) > 0
    # NER reads every labelled name and place whole (an address's unit line between "???" lines it may not:
    # no NER label covers "Suite 292", the address patterns do).
    regions = name_regions([r["full_text"] for r in records])
    left_out = [
        (r["full_text"], s)
        for r, spans in zip(records, regions, strict=True)
        for s in r["spans"]
        if s["entity_type"] in {"PERSON", "LOCATION", "GPE"}
        and not _inside(s["start_position"], s["end_position"], spans)
    ]
    assert left_out == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab .", max_size=40), st.lists(st.integers(0, 40), max_size=8, unique=True))
def test_positions_in_a_blanked_text_map_back_to_the_text(text: str, cuts: list[int]) -> None:
    cuts = sorted(c for c in cuts if c <= len(text))
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    blanked, positions = _blank(text, spans), _Blanked(spans)
    words = [s - sum(e2 - s2 - 1 for s2, e2 in spans if e2 <= s) for s, _ in spans]  # each opaque word's place
    for position, char in enumerate(blanked):
        if position not in words:  # outside the opaque words the blanked text is the text, shifted
            assert text[positions.original(position)] == char
    for at, (start, end) in zip(words, spans, strict=True):  # an opaque word's two ends are its span's
        assert (positions.original(at), positions.original(at + 1)) == (start, end)
