"""Apply a masking profile to a value: only the detected spans change, everything else stays.

Presidio's operator classes do the per-span work for its operators; govflow's keyed operators (token,
deterministic encryption, format-preserving encryption) and generalisation are pure functions. Spans
are merged and replaced right to left here, so adjacent or space-separated entities can never be
skipped (Presidio issue #1925).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from presidio_anonymizer.operators import OperatorsFactory, OperatorType

from govflow.detect.findings import Finding
from govflow.mask.generalize import generalize
from govflow.mask.keyed import encrypt_deterministic, fpe_encrypt, fpe_encrypt_many, token
from govflow.mask.keys import Key
from govflow.policy.models import KEYED_OPERATORS, MaskingProfile, OperatorSpec

Apply = Callable[[str, str], str]  # (span text, entity type) -> replacement
ApplyMany = Callable[[list[str], str], list[str]]  # the same for many texts of one entity type


@dataclass(frozen=True)
class _Operator:
    apply: Apply
    pseudonym: bool  # its output is a pseudonym (token, ciphertext) the egress gate looks past
    apply_many: ApplyMany | None = None  # a faster way to replace many whole values at once


class MaskingError(Exception):
    """A value could not be masked; the record is sent to on_error. Never carries the value."""


@dataclass(frozen=True)
class Masked:
    """A masked value and the output spans that are deliberate pseudonyms (tokens, ciphertexts):
    the egress gate does not count findings inside them."""

    text: str
    pseudonyms: tuple[tuple[int, int], ...]

    @classmethod
    def whole(cls, replacement: str, pseudonym: bool) -> Masked:
        """A value replaced end to end: all of it a pseudonym, or none of it."""
        return cls(replacement, ((0, len(replacement)),) if pseudonym else ())


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


def _whole(value: str, findings: Sequence[Finding]) -> bool:
    """Whether the value is one finding from end to end (most structured cells)."""
    return len(findings) == 1 and findings[0].start == 0 and findings[0].end == len(value)


def uses_keys(profile: MaskingProfile) -> bool:
    return any(spec.operator in KEYED_OPERATORS for spec in [profile.default, *profile.entities.values()])


class ProfileMasker:
    """One masking profile with one key, its operators built and validated once."""

    def __init__(self, name: str, profile: MaskingProfile, key: Key | None = None) -> None:
        self.name = name
        self.key = key
        self._factory = OperatorsFactory()
        self._default: _Operator = self._build(profile.default)
        self._by_entity = {entity: self._build(spec) for entity, spec in profile.entities.items()}

    def _presidio(self, spec: OperatorSpec) -> Apply:
        operator = self._factory.create_operator_class(spec.operator, OperatorType.Anonymize)
        params = dict(spec.params)
        try:
            operator.validate({**params, "entity_type": "ENTITY"})
        except Exception as exc:
            raise MaskingError(f"masking profile {self.name!r}: {spec.operator} parameters: {exc}") from None
        return lambda text, entity: str(operator.operate(text, {**params, "entity_type": entity}))

    def _keyed(self, spec: OperatorSpec) -> _Operator:
        key = self.key
        if key is None:
            raise MaskingError(f"masking profile {self.name!r}: {spec.operator} needs a key")
        params: dict[str, Any] = dict(spec.params)
        if spec.operator == "token":
            length = int(params.get("length", 16))
            return _Operator(
                lambda text, entity: token(text, entity, key, length=length),
                pseudonym=True,
                apply_many=lambda texts, entity: [token(text, entity, key, length=length) for text in texts],
            )
        if spec.operator == "encrypt_deterministic":
            return _Operator(lambda text, entity: encrypt_deterministic(text, key, associated=entity), pseudonym=True)
        alphabet = str(params.get("alphabet", "digits"))
        checksum = params.get("checksum")
        fallback = self._presidio(OperatorSpec(operator="replace"))

        def fpe(text: str, entity: str) -> str:
            try:
                return fpe_encrypt(text, key, tweak_context=entity, alphabet=alphabet, checksum=checksum)
            except ValueError:
                return fallback(text, entity)  # too short to encrypt in place: replaced instead

        def fpe_many(texts: list[str], entity: str) -> list[str]:
            encrypted = fpe_encrypt_many(texts, key, tweak_context=entity, alphabet=alphabet, checksum=checksum)
            return [fallback(t, entity) if e is None else e for t, e in zip(texts, encrypted, strict=True)]

        return _Operator(fpe, pseudonym=True, apply_many=fpe_many)

    def _build(self, spec: OperatorSpec) -> _Operator:
        if spec.operator in KEYED_OPERATORS:
            return self._keyed(spec)
        if spec.operator == "generalize":
            params = dict(spec.params)
            kind = str(params.pop("kind", ""))
            generalize("", kind, **params)  # unknown kinds fail now, not on the first record
            return _Operator(lambda text, entity: generalize(text, kind, **params) or "", pseudonym=True)
        return _Operator(self._presidio(spec), pseudonym=False)

    def mask_many(self, values: Sequence[str], findings: Sequence[Sequence[Finding]]) -> list[Masked | MaskingError]:
        """`mask` of each value, or the MaskingError it raised, in order.

        Values that are one finding end to end (a column of IBANs) go to their operator together where
        it has a way to do many at once (format-preserving encryption: one cipher pass per column).
        """
        out: list[Masked | MaskingError | None] = [None] * len(values)
        together: dict[str, list[int]] = {}
        for i, (value, found) in enumerate(zip(values, findings, strict=True)):
            if _whole(value, found) and self._operator(found[0].entity_type).apply_many is not None:
                together.setdefault(found[0].entity_type, []).append(i)
            else:
                out[i] = self._mask_or_error(value, found)
        for entity, indices in together.items():
            operator = self._operator(entity)
            texts: list[str] | None = None
            if operator.apply_many is not None:
                try:
                    texts = operator.apply_many([values[i] for i in indices], entity)
                except Exception:  # each value again on its own, so only the ones that fail fail
                    texts = None
            for n, i in enumerate(indices):
                out[i] = (
                    self._mask_or_error(values[i], findings[i])
                    if texts is None
                    else Masked.whole(texts[n], operator.pseudonym)
                )
        return cast("list[Masked | MaskingError]", out)  # every slot was filled above

    def _mask_or_error(self, value: str, findings: Sequence[Finding]) -> Masked | MaskingError:
        try:
            return self.mask(value, findings)
        except MaskingError as exc:
            return exc

    def _operator(self, entity: str) -> _Operator:
        return self._by_entity.get(entity, self._default)

    def mask(self, value: str, findings: Sequence[Finding]) -> Masked:
        if _whole(value, findings):
            # One finding over the whole value (most structured cells): the output is its replacement.
            replacement, pseudonym = self._replace(value, findings[0].entity_type)
            return Masked.whole(replacement, pseudonym)
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
        operator = self._operator(entity)
        try:
            return operator.apply(text, entity), operator.pseudonym
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
