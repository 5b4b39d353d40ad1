"""Which regulations apply: (jurisdiction, entity or special category) → regulation tags."""

from __future__ import annotations

from collections.abc import Collection

from govflow.policy.models import RegulationRule


def regulations_for(
    rules: list[RegulationRule],
    jurisdictions: Collection[str],
    entities: Collection[str],
    categories: Collection[str],
) -> list[str]:
    """Tags of every rule that holds. Regulations only attach to records holding personal data."""
    if not entities:
        return []
    tags = set()
    for rule in rules:
        if rule.jurisdictions is not None and not set(rule.jurisdictions) & set(jurisdictions):
            continue
        if rule.entities is not None and not set(rule.entities) & set(entities):
            continue
        if rule.categories is not None and not set(rule.categories) & set(categories):
            continue
        tags.add(rule.regulation)
    return sorted(tags)
