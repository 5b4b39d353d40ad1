"""What detection reports: typed spans, never the matched text itself."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """One detected entity inside a value. Offsets are characters; `country` makes it jurisdiction evidence."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    country: str | None = None


def drop_contained(findings: Iterable[Finding]) -> list[Finding]:
    """Keep the outermost findings: an e-mail's domain is not also a URL, an IBAN's digits not also a phone.

    Spans that overlap without containment are both kept (masking merges them), so nothing is unmasked;
    so are different entity types on the very same span (an ID valid in two countries is evidence of both).
    """
    ordered = sorted(findings, key=lambda f: (f.start, -(f.end - f.start), -f.score, f.entity_type))
    kept: list[Finding] = []
    # Every finding kept so far starts no later than the next one, so the next lies inside one of another
    # extent exactly when the furthest end among those reaches its end: one pass, not a scan per finding
    # (a long text holds thousands of findings).
    furthest_end = -1  # among kept findings of earlier extents
    extent: tuple[int, int] | None = None
    types: set[str] = set()  # kept on the current extent
    for finding in ordered:
        if (finding.start, finding.end) != extent:
            if types and extent is not None:
                furthest_end = max(furthest_end, extent[1])
            extent, types = (finding.start, finding.end), set()
        if furthest_end >= finding.end or finding.entity_type in types:
            continue
        kept.append(finding)
        types.add(finding.entity_type)
    return kept


class DisjointSpans:
    """Spans kept sorted and disjoint (overlapping ones given are joined), so whether a span overlaps one
    is a binary search: scanning a list per span is quadratic over a long text (thousands of address
    pieces, or of sentences that may hold a name)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in sorted(spans):
            if self._ends and start < self._ends[-1]:
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        # Disjoint and sorted, so the last span starting before `end` ends last among those that could.
        k = bisect_left(self._starts, end) - 1
        return k >= 0 and self._ends[k] > start

    def add(self, start: int, end: int) -> None:
        """Take a span that overlaps none taken (callers test `overlaps` first)."""
        k = bisect_left(self._starts, start)
        self._starts.insert(k, start)
        self._ends.insert(k, end)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self._starts, self._ends, strict=True)
