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


class JurisdictionRules:
    def __init__(self, rules: Jurisdictions) -> None:
        self.rules = rules
        self._precedence = {source: i for i, source in enumerate(rules.evidence)}
        self._blocs = rules.blocs

    def counts(self, evidence: Evidence) -> bool:
        return evidence.source in self._precedence

    def resolve(self, evidence: Iterable[Evidence]) -> tuple[list[str], list[Evidence]]:
        """(jurisdictions with their blocs, the evidence that set them) for one record."""
        usable = sorted((e for e in evidence if self.counts(e)), key=lambda e: (self._precedence[e.source], e))
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
