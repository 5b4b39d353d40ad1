"""NER reads a note's sentences that may hold a name with the words around them its model looks at."""

from __future__ import annotations

from itertools import pairwise

import pyarrow as pa
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

import govflow
from govflow.detect.ner_windows import context_words, windows

LISTENER_NER = {
    "model": {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 64,
        "maxout_pieces": 2,
        "use_upper": True,
        "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": 96},
    }
}


def test_a_cnn_ner_reads_one_word_past_its_tok2vec_reach(default_pipeline: govflow.Pipeline) -> None:
    stack = default_pipeline.engine.stack
    assert context_words(stack.analyzer.nlp_engine.nlp[stack.language]) == 5  # en_core_web_sm: depth 4, window 1
    blank = spacy.blank("en")
    assert context_words(blank) is None  # no NER at all
    blank.add_pipe("ner")
    assert context_words(blank) == 5  # spaCy's default NER model: HashEmbedCNN, depth 4, window 1


def test_an_ner_of_unknown_reach_reads_whole_texts() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("ner", config=LISTENER_NER)  # a shared tok2vec (or a transformer) sees the whole text
    assert context_words(nlp) is None
    cnn = {
        "@architectures": "spacy.HashEmbedCNN.v2",
        "pretrained_vectors": None,
        "width": 96,
        "depth": 4,
        "embed_size": 2000,
        "window_size": 1,
        "maxout_pieces": 3,
        "subword_features": True,
    }
    for extra_state_tokens, reach in ((False, 5), (True, None)):  # extra state tokens look further along
        nlp = spacy.blank("en")
        nlp.add_pipe(
            "ner", config={"model": {**LISTENER_NER["model"], "tok2vec": cnn, "extra_state_tokens": extra_state_tokens}}
        )
        assert context_words(nlp) == reach
    text = "Box arrived. Anna came. Refund issued."
    assert windows(text, [(13, 23)], None) == [(0, len(text), ((13, 23),))]


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        ([(8, 9)], [("c d e f g", ((8, 9),))]),  # two words either side of "e"
        ([(0, 1)], [("a b c", ((0, 1),))]),  # from the text's start
        ([(14, 15)], [("f g h", ((14, 15),))]),  # to its end
        ([(4, 5), (10, 11)], [("a b c d e f g h", ((4, 5), (10, 11)))]),  # overlapping stretches join
        ([(0, 1), (14, 15)], [("a b c", ((0, 1),)), ("f g h", ((14, 15),))]),
    ],
)
def test_windows_take_the_words_either_side_and_join_overlaps(
    regions: list[tuple[int, int]], expected: list[tuple[str, tuple[tuple[int, int], ...]]]
) -> None:
    text = "a b c d e f g h"
    assert [(text[a:b], inside) for a, b, inside in windows(text, regions, 2)] == expected


def test_words_longer_than_the_bounded_look_make_the_whole_text_the_stretch() -> None:
    text = " ".join(["x" * 300] * 6 + ["Anna"] + ["y" * 300] * 6)
    start = text.index("Anna")
    assert windows(text, [(start, start + 4)], 2) == [(0, len(text), ((start, start + 4),))]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "bb", "Anna.", "c\n", "dd,"]), min_size=1, max_size=30), st.data())
def test_stretches_start_and_end_at_blanks_and_hold_their_regions(words: list[str], data: st.DataObject) -> None:
    text = " ".join(words)
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == " "]
    picks = sorted(set(data.draw(st.lists(st.sampled_from(starts), min_size=1, max_size=4))))
    regions = [(s, s + len(text[s:].split(" ")[0])) for s in picks]
    regions = [r for i, r in enumerate(regions) if i == 0 or r[0] > regions[i - 1][1]]
    found = windows(text, regions, 3)
    assert [r for *_, inside in found for r in inside] == regions
    for a, b, inside in found:
        assert (a == 0 or text[a - 1].isspace()) and (b == len(text) or text[b].isspace())
        assert all(a <= s and e <= b for s, e in inside)
    assert all(b1 < a2 for (_, b1, _), (a2, _, _) in pairwise(found))


@pytest.mark.parametrize(
    "text",
    [
        "Box arrived. Anna came. Refund issued.",
        "Order split into two shipments. Box arrived damaged. Anna Smith asked for a refund. Refund issued.",
        "Refund issued. Wants deliveries on weekdays only. Courier should call Jan Novak on arrival.",
    ],
)
def test_a_sentence_read_with_its_neighbouring_words_is_tagged_as_in_the_whole_note(
    default_pipeline: govflow.Pipeline, text: str
) -> None:
    stack = default_pipeline.engine.stack
    nlp = stack.analyzer.nlp_engine.nlp[stack.language]
    array = pa.array([text], pa.string())
    _, (regions,) = stack._component_plan([text], array, stack._candidates([text], array))
    assert regions and regions != ((0, len(text)),)  # NER reads part of the note
    people = [(e.start_char, e.end_char) for e in nlp(text).ents if e.label_ == "PERSON"]
    whole = {(s, e) for s, e in people if any(s < b and a < e for a, b in regions)}
    assert whole  # the small model finds the name in the whole note ...
    stack.forget()
    found = {(f.start, f.end) for f in stack.scan_texts([text])[0] if f.entity_type == "PERSON"}
    assert found == whole  # ... and in its sentence read with the words around it (not "Box", if it tags it)
