"""A record's sensitivity: the highest level of anything found in it; special categories take the top."""

from __future__ import annotations

from collections.abc import Iterable

from govflow.policy.models import Sensitivity


class SensitivityRules:
    def __init__(self, rules: Sensitivity) -> None:
        self.levels = rules.levels
        self._rank = {level: i for i, level in enumerate(rules.levels)}
        self._entity = rules.entities
        self._special = rules.special_categories
        self._default = rules.default
        self._unknown = rules.unknown_entity

    def level_of(self, entity: str) -> str:
        if entity in self._special:
            return self.levels[-1]
        return self._entity.get(entity, self._unknown)

    def categories(self, entities: Iterable[str]) -> list[str]:
        return sorted({self._special[e] for e in entities if e in self._special})

    def record_level(self, entities: Iterable[str]) -> str:
        ranks = [self._rank[self.level_of(e)] for e in entities]
        return self.levels[max(ranks)] if ranks else self._default

    def rank(self, level: str) -> int:
        return self._rank[level]
