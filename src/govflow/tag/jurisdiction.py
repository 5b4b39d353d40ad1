"""Which jurisdictions a record belongs to, from declared columns and evidence in its values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govflow.detect.findings import Finding
from govflow.policy.models import Jurisdictions


@dataclass(frozen=True, order=True)
class Evidence:
    """Why a record belongs to a jurisdiction: a source kind and where it was seen (never the value)."""

    country: str
    source: str  # declared | national_id | iban | phone
    leaf: str  # column path

    def render(self) -> str:
        return f"{self.country} by {self.source} in {self.leaf}"


def evidence_source(finding: Finding) -> str | None:
    """The evidence kind a finding gives, if it names a country."""
    if finding.country is None:
        return None
    if finding.entity_type == "IBAN_CODE":
        return "iban"
    if finding.entity_type == "PHONE_NUMBER":
        return "phone"
    return "national_id"


def _settle_collisions(evidence: Iterable[Evidence]) -> list[Evidence]:
    """Drop the countries of a checksum collision that the rest of the record contradicts.

    Check-digit schemes collide: one 12-digit value can pass both Japan's My Number and India's Aadhaar
    check, one 9-digit value both Australia's TFN and Canada's SIN. When one column's identifiers point
    to several countries and evidence from elsewhere in the record (a declared country, another column,
    a phone or an IBAN) names some of them, the others are the collision's by-products and are dropped.
    With no such corroboration every country stays (fail closed: the stricter rules apply), and evidence
    from different columns is never pruned, so genuinely conflicting evidence still yields all countries.
    """
    evidence = list(evidence)
    by_leaf: dict[str, set[str]] = {}
    for e in evidence:
        if e.source == "national_id":
            by_leaf.setdefault(e.leaf, set()).add(e.country)
    ambiguous = {leaf for leaf, countries in by_leaf.items() if len(countries) > 1}
    if not ambiguous:
        return evidence
    kept = []
    for e in evidence:
        if e.source == "national_id" and e.leaf in ambiguous:
            corroborated = {o.country for o in evidence if o.leaf != e.leaf or o.source != "national_id"}
            if corroborated & by_leaf[e.leaf] and e.country not in corroborated:
                continue
        kept.append(e)
    return kept


class JurisdictionRules:
    def __init__(self, rules: Jurisdictions) -> None:
        self.rules = rules
        self._precedence = {source: i for i, source in enumerate(rules.evidence)}
        self._blocs = rules.blocs

    def counts(self, evidence: Evidence) -> bool:
        return evidence.source in self._precedence

    def resolve(self, evidence: Iterable[Evidence]) -> tuple[list[str], list[Evidence]]:
        """(jurisdictions with their blocs, the evidence that set them) for one record."""
        usable = sorted(
            _settle_collisions(e for e in evidence if self.counts(e)), key=lambda e: (self._precedence[e.source], e)
        )
        if self.rules.combine == "first" and usable:
            strongest = self._precedence[usable[0].source]
            usable = [e for e in usable if self._precedence[e.source] == strongest]
        countries = {e.country for e in usable}
        return sorted(countries | self.blocs_of(countries)), usable

    def blocs_of(self, countries: set[str]) -> set[str]:
        """Every bloc containing any of the countries, transitively (EEA contains EU contains DE)."""
        found: set[str] = set()
        members = set(countries)
        changed = True
        while changed:
            changed = False
            for bloc, bloc_members in self._blocs.items():
                if bloc not in found and members & set(bloc_members):
                    found.add(bloc)
                    members.add(bloc)
                    changed = True
        return found
