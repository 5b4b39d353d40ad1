"""The fast paths give exactly what the slow paths give: RE2 prefilters, NER skipped by the name check,
spaCy components left out where no finding can depend on them, and the egress gate's skip of values
that are one pseudonym end to end."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import govflow
from govflow.datagen import generate_customers
from govflow.detect.name_check import may_hold_names
from govflow.detect.phones import _international_numbers
from govflow.detect.prefilter import (
    PatternHits,
    PatternUnions,
    Prefilter,
    _matches,
    coarse,
    python_mask,
    re2_pattern,
    without_backreferences,
    without_lookarounds,
)
from govflow.detect.record_context import _has_digit
from govflow.detect.stack import DetectionStack
from govflow.policy.loader import load_policy


@pytest.fixture(scope="module")
def customers() -> pa.Table:
    return generate_customers(400, seed=11)[0]


def _python_candidates(prefilter: Prefilter, values: list[str]) -> list[int]:
    return [i for i, v in enumerate(values) if any(p.search(v) for p in prefilter.patterns)]


def test_rewritten_patterns_match_a_superset() -> None:
    assert without_lookarounds(r"(?<![\w(])\d{3}(?!\d)") == r"\d{3}"
    assert without_lookarounds(r"[(?=]x") == r"[(?=]x"  # a class is not a group
    assert without_backreferences(r"\d{3}([- ])\d{2}\1\d{4}") == r"\d{3}([- ])\d{2}(?:[- ])\d{4}"
    assert re2_pattern(r"a{,3}", 0) is None  # RE2 reads {,3} literally
    assert re2_pattern(r"a", regex.VERBOSE) is None
    assert re2_pattern(r"\d+", regex.IGNORECASE) == r"(?i)\d+"


def test_every_default_prefilter_is_exact_on_generated_and_unusual_values(
    default_pipeline: govflow.Pipeline, customers: pa.Table
) -> None:
    stack = default_pipeline.engine.stack
    values = sorted({str(v) for c in customers.column_names for v in customers.column(c).to_pylist() if v is not None})
    values += ["١٢٣-٤٥-٦٧٨٩", "123-45-6789", "123 45\u00a06789", "ab\x0bc", "x@y.com", "GB82 WEST 1234 5698 7654 32"]
    array = pa.array(values, pa.string())
    needs_python = python_mask(array)
    checked = guarded = 0
    for prefilter in stack._prefilters:
        if prefilter is None:
            continue
        assert prefilter.candidates(values, array, needs_python).tolist() == _python_candidates(prefilter, values)
        checked += bool(prefilter.re2)
        guarded += sum(translated.startswith("(?:^|") and exact for translated, exact in prefilter.re2)
    assert checked > 20  # the default pack's regexes do go through RE2
    assert guarded > 20  # with their "not inside a longer number or word" guards tested by RE2


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("0123456789 -./ABXZ@a+(:)x\u0663\u00a0"), max_size=16), max_size=20))
def test_prefilters_agree_with_python_on_arbitrary_digit_strings(default_pipeline: govflow.Pipeline, values) -> None:
    array = pa.array(values, pa.string())
    needs_python = python_mask(array)
    stack = default_pipeline.engine.stack
    hits = stack._unions.hits(array)
    for prefilter in stack._prefilters:
        if prefilter is not None:
            expected = _python_candidates(prefilter, values)
            assert prefilter.candidates(values, array, needs_python).tolist() == expected
            assert prefilter.candidates(values, array, needs_python, hits=hits).tolist() == expected


_TEXTY = st.text(alphabet=st.sampled_from("0123456789 -./:@+()ABCXZabcxz\n\t\u00e9\u0663"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXTY, max_size=20))
def test_each_pattern_read_through_its_union_matches_what_it_matches_alone(
    default_pipeline: govflow.Pipeline, values: list[str]
) -> None:
    unions = default_pipeline.engine.stack._unions
    array = pa.array(values, pa.string())
    through_unions, alone = unions.hits(array), PatternHits(array)
    for pattern in unions.group_of:
        assert through_unions(pattern).tolist() == alone(pattern).tolist(), pattern


def test_unions_keep_each_patterns_flags_and_anchors_to_itself() -> None:
    patterns = ["(?i)abc", "ABD", "(?m)^x$", "y$", "(?s)a.b"]
    unions = PatternUnions(patterns)
    assert unions.unions == ["|".join(f"(?:{p})" for p in patterns)]  # one union of all five
    values = ["abd", "ABD", "xyz", "q\nx\nr", "q\nx", "y\nz", "a\nb", "aXb"]
    array = pa.array(values, pa.string())
    through_unions, alone = unions.hits(array), PatternHits(array)
    for pattern in patterns:
        assert through_unions(pattern).tolist() == alone(pattern).tolist(), pattern
    assert through_unions("ABD").tolist() == [False, True, False, False, False, False, False, False]


def test_the_default_pack_is_tested_in_a_few_unions_and_long_patterns_behind_a_coarse_gate(
    default_pipeline: govflow.Pipeline,
) -> None:
    from govflow.detect.prefilter import ALONE_CHARS, UNION_SIZE

    unions = default_pipeline.engine.stack._unions
    patterns = list(unions.group_of)
    assert len(unions.unions) < len(patterns) / 4  # a column none of them matches takes a fraction of the passes
    for group, union in enumerate(unions.unions):
        members = [p for p in patterns if unions.group_of[p] == group]
        assert len(members) <= UNION_SIZE
        if union is None:
            assert len(members) == 1
        elif any(len(p) > ALONE_CHARS for p in members):  # the URL patterns: one pass of their coarse forms
            assert all(len(p) > ALONE_CHARS for p in members) and len(union) <= ALONE_CHARS
            assert union == "|".join(f"(?:{coarse(p)})" for p in members)
    assert sum(len(p) > ALONE_CHARS for p in patterns) == 4


_URLISH = st.text(alphabet=st.sampled_from("abcmoz.-/:w3@ \"'h"), max_size=30).map(lambda s: s + ".com")


@settings(max_examples=300, deadline=None)
@given(st.lists(_URLISH | _TEXTY, min_size=1, max_size=20))
def test_coarse_patterns_match_wherever_the_original_does(
    default_pipeline: govflow.Pipeline, values: list[str]
) -> None:
    array = pa.array(values, pa.string())
    for pattern in default_pipeline.engine.stack._unions.group_of:
        original, relaxed = _matches(array, pattern), _matches(array, coarse(pattern))
        assert not (original & ~relaxed).any(), pattern


def test_coarse_rewrites_only_plain_word_alternations_and_long_bounds() -> None:
    tlds = "(?i)x[.](?:(?:com)|(?:co)|(?:xn--p1ai))y{1,253}z{2,5}"
    assert coarse(tlds) == "(?i)x[.](?:[\\x2d1acim-px]{2,8})y{1,}z{2,5}"  # the words' characters, 2 to 8 of them
    for kept in ["(?:a|)", "(?i:ab|cd)", "(ab|cd)", "[(?:a|b)]", "\\(?:a|b\\)", "(?:a.|b)", "(?:a+|b)"]:
        assert coarse(kept) == kept
    assert coarse("(?:ab|c)+") == "(?:[a-c]{1,2})+"


def test_name_check_sends_anything_name_like_to_ner() -> None:
    texts = [
        "parcel left with the concierge as requested.",
        "Box arrived slightly damaged.",
        "spoke with anna about the parcel; 橋本 花子 called",
        "call 555 0100 after six",
        "send it to someone@example.org",
        "ring 12 Baker Street",
        "",
    ]
    # "Box" opens a sentence and is a word; digits and e-mail addresses are no part of a name.
    assert may_hold_names(texts) == [False, False, True, False, False, True, False]


def test_selective_text_scan_finds_what_the_whole_pipeline_and_analyzer_find(customers: pa.Table) -> None:
    policy = load_policy(None)
    fast, full = DetectionStack(policy), DetectionStack(policy)
    full._component_plan = lambda texts, array, hits, opaque=None: (  # type: ignore[method-assign]
        [()] * len(texts),
        [((0, len(t)),) for t in texts],
    )
    full._entities_that_could_match = lambda n, hits: [None] * n  # type: ignore[method-assign]
    texts = sorted({t for t in customers.column("notes").to_pylist() if t})
    texts += [
        "customer asked to change the delivery slot to the afternoon.",
        "please ring the phone number on the invoice before delivery.",
        "new contact number for this account: 020 7946 0958.",
        "left a voicemail at my mobile 07700 900123 about the order",
        "email me at someone@example.org please",
    ]
    array = pa.array(texts, pa.string())
    plan, regions = fast._component_plan(texts, array, fast._candidates(texts, array))
    assert any(plan) and not all(plan), "the benchmark texts exercise both the full and the reduced pipelines"
    assert not all(regions)
    # Outside NER all findings are identical, and so are spaCy's where NER reads: in a text the name check
    # clears, or in its sentences it clears, spaCy's own findings are gone (sentence-initial words such as
    # "Box" it tags as people; tests/test_name_check.py shows no true name is left out there).
    read_in_part = 0
    for text, spans, quick, whole in zip(texts, regions, fast.scan_texts(texts), full.scan_texts(texts), strict=True):
        ner = [f for f in whole if f.recognizer == "SpacyRecognizer"]
        kept = [f for f in ner if any(f.start < b and a < f.end for a, b in spans)]
        assert quick == sorted([*(f for f in whole if f not in ner), *kept], key=whole.index), text
        read_in_part += bool(spans) and spans != ((0, len(text)),)
    assert read_in_part > 50
    assert fast.scan_texts(["parcel left at the depot"]) == [[]]


def test_tagger_runs_only_where_context_words_can_change_a_finding(default_pipeline: govflow.Pipeline) -> None:
    stack = default_pipeline.engine.stack
    texts = [
        "send it to anna.k@example.org today",  # the URL regex's hit on the domain lies inside the e-mail
        "call me on +44 20 7946 0958 tomorrow",  # a phone number's score can rise with context
        "parcel 4 left at the depot",  # a digit, but nothing any recognizer finds
    ]
    array = pa.array(texts, pa.string())
    assert stack._needs_context(texts, array, stack._candidates(texts, array)) == [False, True, False]


def test_egress_gate_still_stops_text_outside_pseudonyms(default_pipeline: govflow.Pipeline) -> None:
    from govflow.mask.operators import Masked

    engine = default_pipeline.engine
    table = pa.table({"notes": ["Spoke with Maria Garcia about the late parcel."] * 3})
    profile = engine.profile(table)
    scan = engine._scan_batch(table.to_batches()[0], profile, __import__("numpy").full(3, None, dtype=object))[0]
    whole = Masked("tok_8f3a21", ((0, 10),))
    leaky = Masked("Spoke with Maria Garcia about tok_8f3a21", ((30, 40),))
    stopped = engine._egress_gate(scan, {0: whole, 1: leaky})
    assert list(stopped) == [1] and "PERSON" in stopped[1]


def test_parallel_run_writes_the_same_bytes_as_a_single_process(
    default_pipeline: govflow.Pipeline, customers: pa.Table, tmp_path
) -> None:
    import pyarrow.parquet as pq

    from govflow.runner import Progress, run_file

    source = tmp_path / "in.parquet"
    pq.write_table(customers.slice(0, 240), source)
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        quiet = Progress(None, enabled=False)
        run_file(default_pipeline, source, out, batch_size=50, workers=workers, progress=quiet)
        outputs[workers] = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert outputs[1].keys() == outputs[2].keys() and len(outputs[1]) >= 4
    for name in outputs[1]:
        assert outputs[1][name] == outputs[2][name], f"{name} differs between 1 and 2 workers"


def test_progress_draws_on_a_terminal_and_stays_quiet_in_a_pipe() -> None:
    import io

    from govflow.runner import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(1000, stream)
        progress.advance(250)
        progress.close()
    assert pipe.getvalue() == ""
    drawn = terminal.getvalue()
    assert "250 rows" in drawn and "rows/s" in drawn and "ETA" in drawn and "25.0%" in drawn


def test_edge_guards_become_characters_to_consume_only_where_that_is_equivalent() -> None:
    from govflow.detect.prefilter import with_edge_guards

    assert with_edge_guards(r"\d(?!\d)") == r"\d(?:$|[\x20-\x2f\x3a-\x7e])"
    assert with_edge_guards(r"(?<!\d)a|b") == r"(?<!\d)a|b"  # top-level alternation: left alone
    assert with_edge_guards(r"(?<=x)\d+") == r"(?<=x)\d+"  # positive lookbehind: left alone
    assert with_edge_guards(r"\d+(?!\w)?") == r"\d+(?!\w)?"  # a quantified guard is not a guard
    assert with_edge_guards(r"(?<!\d+)a") == r"(?<!\d+)a"  # nor is one of varying length
    assert with_edge_guards(r"(?<![^a])b") == r"(?:^|[a])b"  # "not after a non-a": at the start or after an a
    # Two-character guards: the character before the run is consumed too where it decides.
    assert with_edge_guards(r"(?<!\d-)7") == r"(?:^|[\x20-\x2c\x2e-\x7e]|(?:^|[\x20-\x2f\x3a-\x7e])[\x2d])7"
    assert re2_pattern(r"\d{9}(?!\w)", 0) == r"\d{9}(?:$|[\x20-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7e])"
    assert re2_pattern(r"(?<!x)y", regex.IGNORECASE).startswith("(?i)(?:^|[\\x20-W")  # X and x both excluded
    values = ["123456789", "x123456789", "123456789x", "a 123456789 b", "DE89370400440532013000", "1-123456789"]
    prefilter = Prefilter([regex.compile(r"(?<![\w+(])(?<!\d-)\d{9}(?!\w)")])
    assert [exact for _, exact in prefilter.re2] == [True]
    array = pa.array(values, pa.string())
    assert prefilter.candidates(values, array, python_mask(array)).tolist() == [0, 3]


@pytest.mark.parametrize(
    ("pattern", "flags", "values"),
    [
        (r"(?<!\m)a", 0, ["a", " a", "ba"]),  # regex's word-start anchor: zero-width, not a character
        (r"a(?!\M)", 0, ["a", "a ", "ab"]),
        (r"(?<!ı)x", regex.IGNORECASE, ["ix", "Ix", "x"]),  # Python folds the dotless i to I only; RE2 would add i
        (r"(?<![İ])x", regex.IGNORECASE, ["ix", "Ix", "x"]),
        (r"a(?i)", 0, ["A", "a"]),  # inline flags after the start
        (r"\b[A-Z]{2}(?-i)X\d{6}\b", regex.IGNORECASE | regex.MULTILINE | regex.DOTALL, ["abX123456", "abx123456"]),
        (r"(?:abc){e<=1}", 0, ["abd", "xyz"]),  # fuzzy matching is literal text to RE2
    ],
)
def test_syntax_re2_reads_otherwise_never_decides_alone(pattern: str, flags: int, values: list[str]) -> None:
    prefilter = Prefilter([regex.compile(pattern, flags)])
    array = pa.array(values, pa.string())
    assert prefilter.candidates(values, array, python_mask(array)).tolist() == _python_candidates(prefilter, values)


def test_patterns_whose_union_re2_refuses_run_alone() -> None:
    patterns = [rf"{i}\pL{{150}}" for i in range(8)]  # each compiles; eight together exceed RE2's program size
    unions = PatternUnions(patterns)
    assert unions.unions == [None] * 8
    values = ["0" + "é" * 150, "x"]
    array = pa.array(values, pa.string())
    assert unions.hits(array)(patterns[0]).tolist() == PatternHits(array)(patterns[0]).tolist() == [True, False]


_GUARDED = [
    r"(?<![\w+(])(?<!\d[ ./-])(?<![A-Za-z][./-])(?<!\d\))(?<!\d\) )\d{3}(?!\w)(?![ ./-]\d)(?![./-][A-Za-z])",
    r"(?<!\d)(?<!\d\.)\d+(?:\.\d+)?(?!\.\d)(?!\d)",
    r"(?<![a-z])(?<!x )AB(?! x)(?![A-Z])",
    r"(?<!\()(?<![^ ]\))\d\d(?!-)",
    r"(?<!\d-)(?<![-_])\d(?!-\d)(?![-_])",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("0123 .-/()+aAbBxXzZ_"), max_size=14), min_size=1, max_size=25))
def test_rewritten_guards_test_exactly_what_the_lookarounds_test(values: list[str]) -> None:
    from govflow.detect.prefilter import with_edge_guards

    array = pa.array(values, pa.string())
    for flags in (0, regex.IGNORECASE):
        for pattern in _GUARDED:
            rewritten = with_edge_guards(pattern, flags)
            assert "(?<" not in rewritten and "(?!" not in rewritten
            inline = "(?i)" if flags else ""
            re2 = pc.match_substring_regex(array, pattern=inline + rewritten).to_pylist()
            python = [regex.search(pattern, v, flags) is not None for v in values]
            assert re2 == python, pattern


def _whole_matches(prefilter: Prefilter, values: list[str]) -> list[bool]:
    return [any(m.span() == (0, len(v)) for p in prefilter.patterns for m in p.finditer(v)) for v in values]


def _check_whole_spans(stack: DetectionStack, values: list[str]) -> int:
    """Every value a recognizer's regex matches from end to end is one `may_span_whole` keeps."""
    array = pa.array(values, pa.string())
    needs_python = python_mask(array)
    ruled_out = 0
    for prefilter in stack._prefilters:
        if prefilter is None:
            continue
        kept = prefilter.may_span_whole(array, needs_python).tolist()
        assert all(k for k, whole in zip(kept, _whole_matches(prefilter, values), strict=True) if whole)
        ruled_out += kept.count(False)
    return ruled_out


def test_whole_span_check_keeps_every_value_a_regex_matches_end_to_end(
    default_pipeline: govflow.Pipeline, customers: pa.Table
) -> None:
    values = sorted({str(v) for c in customers.column_names for v in customers.column(c).to_pylist() if v is not None})
    values += ["x@y.com", " x@y.com", "www.example.com", "123-45-6789", "GB82 WEST 1234 5698 7654 32", "١٢٣-٤٥-٦٧٨٩"]
    assert _check_whole_spans(default_pipeline.engine.stack, values) > 1000  # it does rule values out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("0123456789 -./ABXZ@a+(:)x.com\u0663"), max_size=16), max_size=20))
def test_whole_span_check_on_arbitrary_strings(default_pipeline: govflow.Pipeline, values) -> None:
    _check_whole_spans(default_pipeline.engine.stack, values)


def test_value_scan_skipping_inner_recognizers_finds_what_a_full_scan_finds(
    monkeypatch: pytest.MonkeyPatch, customers: pa.Table
) -> None:
    """Where a finding spans the whole value, recognizers that can only match inside it are skipped
    (the URL in every e-mail address): the findings are those of running every recognizer."""
    stack = DetectionStack(load_policy(None))
    values = sorted({str(v) for c in customers.column_names for v in customers.column(c).to_pylist() if v is not None})
    values += [" anna@example.com", "anna@example.com.", "mail anna@example.com", "GB82WEST12345698765432 x"]
    values += ["anna@example.com www.example.org", "+44 20 7946 0958 www.example.org"]
    calls: list[int] = []
    counting = stack._analyses[:]
    for k, analyze in enumerate(counting):
        stack._analyses[k] = lambda text, analyze=analyze: calls.append(1) or analyze(text)
    for column in ("customer_email", "notes", "iban"):
        calls.clear()
        two_rounds = stack._scan_values(values, column, False)
        skipped = len(calls)
        with monkeypatch.context() as patch:
            everywhere = lambda self, array, needs_python: np.ones(len(array), dtype=bool)  # noqa: E731
            patch.setattr(Prefilter, "may_span_whole", everywhere)
            calls.clear()
            one_round = stack._scan_values(values, column, False)
        assert two_rounds == one_round
        assert skipped < len(calls)  # the second round did skip work


def test_email_check_kept_per_domain_answers_as_tldextract_does_for_each_address(
    default_pipeline: govflow.Pipeline,
) -> None:
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    from govflow.detect.presidio_patterns import _validator

    recognizer = next(r for r in default_pipeline.engine.stack.recognizers if isinstance(r, EmailRecognizer))
    validate = _validator(recognizer)
    addresses = ["a@mail.de", "b@mail.de", "a@localhost", "a@b.c@d.com", "x@[::1]", "a/b@x.com", "a@x.com."]
    addresses += ["a?b@x.com", "a@EXAMPLE.COM", "a@x.invalidtld", " a@b.co.uk ", "a@b:25", "a#b@mail.de"]
    addresses += ["a@例え.jp", "a@1.2.3.4", "a@"]
    for address in addresses * 2:  # the second time from memory
        assert validate(address) == recognizer.validate_result(address), address


def test_fast_pattern_analysis_gives_presidios_results(default_pipeline: govflow.Pipeline, customers: pa.Table) -> None:
    from govflow.detect.presidio_patterns import _pattern_analyze

    def plain(results: list) -> list[tuple[str, int, int, float, str]]:
        return sorted(
            (r.entity_type, r.start, r.end, r.score, r.recognition_metadata["recognizer_name"]) for r in results
        )

    values = sorted({str(v) for c in customers.column_names for v in customers.column(c).to_pylist() if v is not None})
    values += ["see http://example.com/a?b=1 or mail x@y.com", "10.0.0.1 and ::1", "user@localhost", "a@b.c@d.com"]
    fast = 0
    for recognizer in default_pipeline.engine.stack.recognizers:
        analyze = _pattern_analyze(recognizer)
        if analyze is None:
            continue
        fast += 1
        for value in values:
            assert plain(analyze(value)) == plain(recognizer.analyze(value, recognizer.supported_entities, None))
    assert fast >= 3  # e-mail, URL, IP and the pack's own patterns take the fast path


def test_value_analysis_gives_analyzes_results_and_yields_to_a_subclass_analyze(customers: pa.Table) -> None:
    from govflow.detect.national_ids import GovflowUsSsnRecognizer
    from govflow.detect.phones import GovflowInternationalPhoneRecognizer
    from govflow.detect.presidio_patterns import fast_analyze

    def plain(results: list) -> list[tuple[str, int, int, float]]:
        return sorted((r.entity_type, r.start, r.end, r.score) for r in results)

    values = ["+44 20 7946 0958", "call 0044 20 7946 0958", "536-90-4399", "no number here"]
    values += [str(v) for v in customers.column("phone").to_pylist()[:50] if v]
    for recognizer in (GovflowUsSsnRecognizer(), GovflowInternationalPhoneRecognizer()):
        analyze = fast_analyze(recognizer)
        assert analyze == recognizer.analyze_value
        for value in values:
            assert plain(analyze(value)) == plain(recognizer.analyze(value, recognizer.supported_entities))

    class Stricter(GovflowInternationalPhoneRecognizer):
        def analyze(self, text, entities, nlp_artifacts=None):  # type: ignore[no-untyped-def]
            return []

    assert fast_analyze(Stricter())("+44 20 7946 0958") == []


def _matcher_numbers(text: str) -> list[tuple[int, int, str | None]]:
    import phonenumbers

    return [
        (m.start, m.end, phonenumbers.region_code_for_number(m.number))
        for m in phonenumbers.PhoneNumberMatcher(text, None, leniency=phonenumbers.Leniency.VALID)
    ]


def test_plus_and_three_digits_is_never_a_valid_number() -> None:
    pieces = [f"+{i:0{n}d}" for n in (1, 2, 3) for i in range(10**n)]
    assert [p for p in pieces if _matcher_numbers(p)] == []


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted(__import__("phonenumbers").SUPPORTED_REGIONS)),
    st.integers(0, 3),
    st.text(alphabet="0123456789", max_size=4),
    st.booleans(),
)
def test_whole_value_phone_parse_finds_what_the_matcher_finds(region: str, cut: int, tail: str, spaced: bool) -> None:
    import phonenumbers

    example = phonenumbers.example_number(region)
    national = phonenumbers.national_significant_number(example) if example else "123"
    cc = str(example.country_code if example else 1)
    digits = national[: len(national) - cut] + tail
    for text in (f"+{cc} {digits}" if spaced else f"+{cc}{digits}", f"+{cc}{digits} x", f"+{cc}-{digits}"):
        assert _international_numbers(text) == _matcher_numbers(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 +", min_size=1, max_size=24))
def test_whole_value_phone_parse_agrees_on_arbitrary_plus_digit_strings(text: str) -> None:
    assert _international_numbers(text) == _matcher_numbers(text)


def test_grouped_international_numbers_parse_as_the_matcher_finds_them() -> None:
    """ "+44 20 7946 0958", "+7 912 345-67-89": every region's example numbers as libphonenumber writes them
    internationally, valid, made invalid by a digit less or more, with hyphens, and followed by more digits."""
    import phonenumbers

    grouped = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in ("FIXED_LINE", "MOBILE", "TOLL_FREE"):
            example = phonenumbers.example_number_for_type(region, getattr(phonenumbers.PhoneNumberType, kind))
            if example is None:
                continue
            written = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            grouped += written.count(" ") > 1
            for text in (written, written[:-1], f"{written}5", written.replace(" ", "-"), f"{written} 1"):
                assert _international_numbers(text) == _matcher_numbers(text), text
    assert grouped > 400  # the grouped shape is what is tested here


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+[0-9]{1,3}(?:[ -][0-9]{1,6}){1,5}", fullmatch=True))
def test_grouped_plus_digit_strings_agree_with_the_matcher(text: str) -> None:
    assert _international_numbers(text) == _matcher_numbers(text)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_ssn_check_gives_stdnums_answer(digits: str) -> None:
    from stdnum.us import ssn

    from govflow.detect.national_ids import ssn_is_valid

    for value in (digits, "078051120", "457555462", "219099999", "000123456", "666123456", "900123456"):
        assert ssn_is_valid(value) == ssn.is_valid(value)


@given(st.text(st.characters(codec="utf-8"), max_size=40))
def test_digit_test_of_record_context_equals_str_isdigit_per_character(text: str) -> None:
    assert _has_digit(text) == any(c.isdigit() for c in text)
    assert _has_digit(text + "²") and _has_digit(text + "7") and not _has_digit("Sophie rang")
