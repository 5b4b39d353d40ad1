"""The routing decision: ordered rules, first match wins, then the policy's default."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from govflow.policy.models import Policy, RouteCondition
from govflow.tag.sensitivity import SensitivityRules

DEFAULT_RULE = "default"
ERROR_RULE = "on_error"


@dataclass(frozen=True)
class RecordTags:
    """Everything a route condition may look at, for one record (or many identical ones)."""

    sensitivity: str
    categories: Collection[str]
    jurisdictions: Collection[str]
    regulations: Collection[str]
    entities: Collection[str]


def _matches(cond: RouteCondition, tags: RecordTags, sensitivity: SensitivityRules) -> bool:
    if cond.sensitivity_at_least is not None and sensitivity.rank(tags.sensitivity) < sensitivity.rank(
        cond.sensitivity_at_least
    ):
        return False
    if cond.special_category is not None and bool(tags.categories) != cond.special_category:
        return False
    if cond.has_findings is not None and bool(tags.entities) != cond.has_findings:
        return False
    pairs = [
        (cond.categories_any, tags.categories),
        (cond.jurisdictions_any, tags.jurisdictions),
        (cond.regulations_any, tags.regulations),
        (cond.entities_any, tags.entities),
    ]
    return all(wanted is None or set(wanted) & set(have) for wanted, have in pairs)


def decide(policy: Policy, sensitivity: SensitivityRules, tags: RecordTags) -> tuple[str, str]:
    """(destination, rule id) for a record's tags."""
    for rule in policy.routes.rules:
        if _matches(rule.when, tags, sensitivity):
            return rule.to, rule.id
    return policy.routes.default, DEFAULT_RULE
