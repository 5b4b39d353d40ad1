"""Apply a masking profile to a value: only the detected spans change, everything else stays.

Presidio's operator classes do the per-span work for its operators; govflow's keyed operators (token,
deterministic encryption, format-preserving encryption) and generalisation are pure functions. Spans
are merged and replaced right to left here, so adjacent or space-separated entities can never be
skipped (Presidio issue #1925).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from presidio_anonymizer.operators import OperatorsFactory, OperatorType

from govflow.detect.findings import Finding
from govflow.mask.generalize import generalize
from govflow.mask.keyed import encrypt_deterministic, fpe_encrypt, token
from govflow.mask.keys import Key
from govflow.policy.models import KEYED_OPERATORS, MaskingProfile, OperatorSpec

Apply = Callable[[str, str], str]  # (span text, entity type) -> replacement


class MaskingError(Exception):
    """A value could not be masked; the record is sent to on_error. Never carries the value."""


@dataclass(frozen=True)
class Masked:
    """A masked value and the output spans that are deliberate pseudonyms (tokens, ciphertexts):
    the egress gate does not count findings inside them."""

    text: str
    pseudonyms: tuple[tuple[int, int], ...]


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


def uses_keys(profile: MaskingProfile) -> bool:
    return any(spec.operator in KEYED_OPERATORS for spec in [profile.default, *profile.entities.values()])


class ProfileMasker:
    """One masking profile with one key, its operators built and validated once."""

    def __init__(self, name: str, profile: MaskingProfile, key: Key | None = None) -> None:
        self.name = name
        self.key = key
        self._factory = OperatorsFactory()
        self._default = self._build(profile.default)
        self._by_entity = {entity: self._build(spec) for entity, spec in profile.entities.items()}

    def _presidio(self, spec: OperatorSpec) -> Apply:
        operator = self._factory.create_operator_class(spec.operator, OperatorType.Anonymize)
        params = dict(spec.params)
        try:
            operator.validate({**params, "entity_type": "ENTITY"})
        except Exception as exc:
            raise MaskingError(f"masking profile {self.name!r}: {spec.operator} parameters: {exc}") from None
        return lambda text, entity: str(operator.operate(text, {**params, "entity_type": entity}))

    def _keyed(self, spec: OperatorSpec) -> Apply:
        key = self.key
        if key is None:
            raise MaskingError(f"masking profile {self.name!r}: {spec.operator} needs a key")
        params: dict[str, Any] = dict(spec.params)
        if spec.operator == "token":
            length = int(params.get("length", 16))
            return lambda text, entity: token(text, entity, key, length=length)
        if spec.operator == "encrypt_deterministic":
            return lambda text, entity: encrypt_deterministic(text, key, associated=entity)
        alphabet = str(params.get("alphabet", "digits"))
        checksum = params.get("checksum")
        fallback = self._presidio(OperatorSpec(operator="replace"))

        def fpe(text: str, entity: str) -> str:
            try:
                return fpe_encrypt(text, key, tweak_context=entity, alphabet=alphabet, checksum=checksum)
            except ValueError:
                return fallback(text, entity)  # too short to encrypt in place: replaced instead

        return fpe

    def _build(self, spec: OperatorSpec) -> tuple[Apply, bool]:
        """(apply, output is a pseudonym)."""
        if spec.operator in KEYED_OPERATORS:
            return self._keyed(spec), True
        if spec.operator == "generalize":
            params = dict(spec.params)
            kind = str(params.pop("kind", ""))
            generalize("", kind, **params)  # unknown kinds fail now, not on the first record
            return (lambda text, entity: generalize(text, kind, **params) or ""), True
        return self._presidio(spec), False

    def mask(self, value: str, findings: Sequence[Finding]) -> Masked:
        if len(findings) == 1 and findings[0].start == 0 and findings[0].end == len(value):
            # One finding over the whole value (most structured cells): the output is its replacement.
            replacement, pseudonym = self._replace(value, findings[0].entity_type)
            return Masked(replacement, ((0, len(replacement)),) if pseudonym else ())
        out = value
        spans = list(findings) if len(findings) == 1 else _merge(findings)
        replaced: list[tuple[int, bool]] = []  # (growth, pseudonym) per span, right to left
        for f in reversed(spans):
            replacement, pseudonym = self._replace(out[f.start : f.end], f.entity_type)
            out = out[: f.start] + replacement + out[f.end :]
            replaced.append((len(replacement) - (f.end - f.start), pseudonym))
        return Masked(out, _pseudonym_spans(spans, replaced[::-1]))

    def _replace(self, text: str, entity: str) -> tuple[str, bool]:
        """The replacement of one finding's text, and whether it is a pseudonym."""
        apply, pseudonym = self._by_entity.get(entity, self._default)
        try:
            return apply(text, entity), pseudonym
        except Exception as exc:
            raise MaskingError(
                f"masking profile {self.name!r}: masking a {entity} failed ({type(exc).__name__})"
            ) from None


def _pseudonym_spans(spans: list[Finding], replaced: list[tuple[int, bool]]) -> tuple[tuple[int, int], ...]:
    """Output offsets of the pseudonymous replacements (spans shift by earlier replacements' growth);
    `replaced` holds (growth, pseudonym) per span, in the spans' order."""
    out = []
    shift = 0
    for f, (delta, pseudonym) in zip(spans, replaced, strict=True):
        if pseudonym:
            out.append((f.start + shift, f.end + shift + delta))
        shift += delta
    return tuple(out)
