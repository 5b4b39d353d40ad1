"""The tagger and lemmatizer are skipped only where no lemma can carry a context word."""

from __future__ import annotations

import pyarrow as pa
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

import govflow
from govflow.detect.context_triggers import lemma_triggers
from govflow.detect.stack import DetectionStack
from govflow.policy.loader import load_policy

PHONE_CONTEXT = ["phone", "telephone", "mobile", "cell", "tel", "fax", "call", "whatsapp"]


@pytest.fixture(scope="module")
def nlp(default_pipeline: govflow.Pipeline):  # type: ignore[no-untyped-def]
    stack = default_pipeline.engine.stack
    return stack.analyzer.nlp_engine.nlp[stack.language]


def _vocabulary(nlp) -> list[str]:  # type: ignore[no-untyped-def]
    """Every form the lemmatizer lists an exception for, and inflections of the phone context words."""
    exceptions = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_exc")
    forms = sorted({str(form) for table in exceptions.values() for form in table if str(form).isalpha()})
    endings = ["", "s", "es", "ed", "d", "ing", "er", "est"]
    forms += [w + e for w in PHONE_CONTEXT for e in endings] + [w[:-1] + e for w in PHONE_CONTEXT for e in endings]
    forms += ["phoning", "Phoning", "CALLED", "told", "retold", "cellular", "hotel", "Mobiling"]
    return forms


def test_every_lemma_holding_a_context_word_comes_from_a_token_holding_a_trigger(nlp) -> None:  # type: ignore[no-untyped-def]
    triggers = lemma_triggers(nlp, PHONE_CONTEXT)
    assert triggers is not None and "phoning" in triggers and "told" in triggers  # a rule's "e", an exception
    forms = _vocabulary(nlp)
    carried = 0
    # The forms in several sentence frames, so the tagger gives them different parts of speech.
    for frame in ("{} +44 20 7946 0958", "they {} me", "the {} of it"):
        sentences = [" ".join(frame.format(w) for w in forms[i : i + 8]) for i in range(0, len(forms), 8)]
        for doc in nlp.pipe(sentences, disable=["ner"]):
            for token in doc:
                if any(w in token.lemma_.lower() for w in PHONE_CONTEXT):
                    carried += 1
                    assert any(t in token.text.lower() for t in triggers), (token.text, token.lemma_)
    assert carried > 100  # the check saw the lemmas it is about


def test_lemmas_that_cannot_be_bounded_always_need_the_tagger() -> None:
    blank = spacy.blank("en")
    assert lemma_triggers(blank, ["phone"]) == frozenset({"phone"})  # no lemmatizer: a lemma is the token
    blank.add_pipe("lemmatizer", config={"mode": "lookup"})
    assert lemma_triggers(blank, ["phone"]) is None
    other = spacy.blank("en")
    other.add_pipe("sentencizer")

    @spacy.Language.component("govflow_test_lemma_setter")
    def set_lemmas(doc):  # type: ignore[no-untyped-def]
        return doc

    other.add_pipe("govflow_test_lemma_setter")
    assert lemma_triggers(other, ["phone"]) is None
    assert lemma_triggers(other, []) == frozenset()


def test_phone_numbers_without_a_context_word_skip_the_tagger(default_pipeline: govflow.Pipeline) -> None:
    stack = default_pipeline.engine.stack
    texts = [
        "reach me on +44 20 7946 0958 tomorrow",  # nothing can raise the score
        "she was phoning from +44 20 7946 0958",  # "phoning" lemmatises to "phone"
        "he told us +44 20 7946 0958",  # "told" to "tell", which holds "tel"
    ]
    array = pa.array(texts, pa.string())
    assert stack._needs_context(texts, array, stack._candidates(texts, array)) == [False, True, True]


_WORDS = ["reach", "me", "on", "she", "was", "phoning", "told", "call", "Mobile", "later", "the", "number", "hotel"]
_NUMBERS = ["+44 20 7946 0958", "+1 415 555 2671", "+49 30 901820", "+33 1 42 68 53 00"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=8), st.sampled_from(_NUMBERS), st.lists(st.sampled_from(_WORDS)))
def test_scores_with_the_tagger_skipped_are_the_scores_with_it(head: list[str], number: str, tail: list[str]) -> None:
    text = " ".join([*head, number, *tail])
    policy = load_policy(None)
    fast, full = _stacks(policy)
    assert fast.scan_texts([text]) == full.scan_texts([text])


_STACKS: dict[int, tuple[DetectionStack, DetectionStack]] = {}


def _stacks(policy) -> tuple[DetectionStack, DetectionStack]:  # type: ignore[no-untyped-def]
    """A stack as it runs and one that runs the tagger and lemmatizer on every text (NER where the first
    runs it), built once per session."""
    if not _STACKS:
        fast, full = DetectionStack(policy), DetectionStack(policy)

        def with_tagger(texts, array, hits, opaque=None):  # type: ignore[no-untyped-def]
            plan, regions = DetectionStack._component_plan(full, texts, array, hits, opaque)
            return [tuple(c for c in disabled if c == "ner") for disabled in plan], regions

        full._component_plan = with_tagger  # type: ignore[method-assign]
        _STACKS[0] = (fast, full)
    fast, full = _STACKS[0]
    fast.forget()
    full.forget()
    return fast, full


def test_only_recognizers_that_never_read_spacys_tokens_let_a_text_skip_spacy() -> None:
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    from govflow.detect.stack import _reads_no_artifacts

    class ReadsTokens(PatternRecognizer):
        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # type: ignore[no-untyped-def]
            return [] if nlp_artifacts is None else super().analyze(text, entities, nlp_artifacts, regex_flags)

    class OwnContext(PatternRecognizer):
        def enhance_using_context(self, text, raw_recognizer_results, *args, **kwargs):  # type: ignore[no-untyped-def]
            return raw_recognizer_results

    pattern = [Pattern("ref", r"REF\d+", 0.5)]
    assert _reads_no_artifacts(EmailRecognizer())
    assert _reads_no_artifacts(PatternRecognizer("REF", patterns=pattern))
    assert not _reads_no_artifacts(ReadsTokens("REF", patterns=pattern))
    assert not _reads_no_artifacts(OwnContext("REF", patterns=pattern))
