"""What detection reports: typed spans, never the matched text itself."""

from __future__ import annotations

from collections.abc import Iterable
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
    for finding in ordered:
        if any(
            k.start <= finding.start
            and finding.end <= k.end
            and (k.entity_type == finding.entity_type or (k.start, k.end) != (finding.start, finding.end))
            for k in kept
        ):
            continue
        kept.append(finding)
    return kept
