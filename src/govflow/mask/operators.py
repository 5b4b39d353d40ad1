"""Apply a masking profile to a value: only the detected spans change, everything else stays.

Presidio's operator classes do the per-span work; spans are merged and replaced right to left here, so
adjacent or space-separated entities can never be skipped (Presidio issue #1925).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from presidio_anonymizer.operators import Operator, OperatorsFactory, OperatorType

from govflow.detect.findings import Finding
from govflow.policy.models import MaskingProfile, OperatorSpec


class MaskingError(Exception):
    """A value could not be masked; the record is sent to on_error. Never carries the value."""


def _merge(findings: Sequence[Finding]) -> list[Finding]:
    """Overlapping spans become one span, typed by its highest-scoring finding."""
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            lead = last if last.score >= f.score else f
            merged[-1] = Finding(lead.entity_type, last.start, max(last.end, f.end), lead.score, lead.recognizer)
        else:
            merged.append(f)
    return merged


class ProfileMasker:
    """One masking profile, with its Presidio operators built once and validated up front."""

    def __init__(self, name: str, profile: MaskingProfile) -> None:
        self.name = name
        self._factory = OperatorsFactory()
        self._default = self._build(profile.default)
        self._by_entity = {entity: self._build(spec) for entity, spec in profile.entities.items()}

    def _build(self, spec: OperatorSpec) -> tuple[Operator, dict[str, Any]]:
        operator = self._factory.create_operator_class(spec.operator, OperatorType.Anonymize)
        params = dict(spec.params)
        try:
            operator.validate({**params, "entity_type": "ENTITY"})
        except Exception as exc:
            raise MaskingError(f"masking profile {self.name!r}: {spec.operator} parameters: {exc}") from None
        return operator, params

    def mask(self, value: str, findings: Sequence[Finding]) -> str:
        out = value
        for f in reversed(_merge(findings)):
            operator, params = self._by_entity.get(f.entity_type, self._default)
            try:
                replacement = operator.operate(out[f.start : f.end], {**params, "entity_type": f.entity_type})
            except Exception as exc:
                raise MaskingError(
                    f"masking profile {self.name!r}: operator {type(operator).__name__} failed on a "
                    f"{f.entity_type} ({type(exc).__name__})"
                ) from None
            out = out[: f.start] + replacement + out[f.end :]
        return out
