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


@dataclass(frozen=True)
class ConditionCheck:
    """One field of a route condition, evaluated: what the rule wants, what the record has, and whether it holds."""

    field: str
    wanted: object
    have: object
    holds: bool


@dataclass(frozen=True)
class RuleTrace:
    """One route rule tried for a record, with every condition field it names (a steward reads all of them,
    not just the first that failed, to see how far a record is from matching)."""

    rule_id: str
    to: str
    checks: tuple[ConditionCheck, ...]

    @property
    def matched(self) -> bool:
        return all(c.holds for c in self.checks)


def _checks(cond: RouteCondition, tags: RecordTags, sensitivity: SensitivityRules) -> tuple[ConditionCheck, ...]:
    checks = []
    if cond.sensitivity_at_least is not None:
        holds = sensitivity.rank(tags.sensitivity) >= sensitivity.rank(cond.sensitivity_at_least)
        checks.append(ConditionCheck("sensitivity_at_least", cond.sensitivity_at_least, tags.sensitivity, holds))
    flags = [
        ("special_category", cond.special_category, tags.categories),
        ("has_findings", cond.has_findings, tags.entities),
    ]
    for name, wanted, have in flags:
        if wanted is not None:
            checks.append(ConditionCheck(name, wanted, bool(have), bool(have) == wanted))
    sets = [
        ("categories_any", cond.categories_any, tags.categories),
        ("jurisdictions_any", cond.jurisdictions_any, tags.jurisdictions),
        ("regulations_any", cond.regulations_any, tags.regulations),
        ("entities_any", cond.entities_any, tags.entities),
    ]
    for name, wanted_list, have_list in sets:
        if wanted_list is not None:
            checks.append(
                ConditionCheck(name, list(wanted_list), sorted(have_list), bool(set(wanted_list) & set(have_list)))
            )
    return tuple(checks)


def trace(policy: Policy, sensitivity: SensitivityRules, tags: RecordTags) -> list[RuleTrace]:
    """Every route rule in order, evaluated field by field, up to and including the first that matches.

    `decide` stays the fast path the engine uses; this is for `govflow explain`. Both read the same
    conditions, and a test holds them to the same answer.
    """
    out = []
    for rule in policy.routes.rules:
        out.append(RuleTrace(rule.id, rule.to, _checks(rule.when, tags, sensitivity)))
        if out[-1].matched:
            break
    return out
