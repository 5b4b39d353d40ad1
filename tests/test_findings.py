"""Span bookkeeping shared by recognizers and the NER plan."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from govflow.detect.findings import DisjointSpans, Finding, drop_contained

_SPAN = st.tuples(st.integers(0, 60), st.integers(1, 12)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_SPAN, max_size=12), st.lists(_SPAN, max_size=12), st.lists(_SPAN, min_size=1, max_size=12))
def test_disjoint_spans_answer_overlaps_as_a_scan_of_every_span_would(
    given_spans: list[tuple[int, int]], added: list[tuple[int, int]], queries: list[tuple[int, int]]
) -> None:
    taken, spans = DisjointSpans(given_spans), list(given_spans)
    for start, end in added:  # as the address recognizer adds pieces: only where nothing overlaps
        if not any(s < end and start < e for s, e in spans):
            assert not taken.overlaps(start, end)
            taken.add(start, end)
            spans.append((start, end))
    for start, end in queries:
        assert taken.overlaps(start, end) == any(s < end and start < e for s, e in spans)
    assert list(taken) == sorted(taken)


_FINDING = st.builds(
    lambda start, length, score, entity: Finding(entity, start, start + length, score, "test"),
    st.integers(0, 30),
    st.integers(0, 10),
    st.sampled_from([0.3, 0.5, 1.0]),
    st.sampled_from(["PERSON", "URL", "EMAIL_ADDRESS"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FINDING, max_size=15))
def test_drop_contained_keeps_what_a_scan_of_every_kept_finding_keeps(findings: list[Finding]) -> None:
    ordered = sorted(findings, key=lambda f: (f.start, -(f.end - f.start), -f.score, f.entity_type))
    expected: list[Finding] = []
    for f in ordered:  # the definition: drop a finding inside a kept one of the same type or another extent
        if not any(
            k.start <= f.start
            and f.end <= k.end
            and (k.entity_type == f.entity_type or (k.start, k.end) != (f.start, f.end))
            for k in expected
        ):
            expected.append(f)
    assert drop_contained(findings) == expected
