"""Presidio's regex recognizers (e-mail, URL, IP, ...) run on structured values without Presidio's per-call
bookkeeping.

`PatternRecognizer.analyze` times every regex with `datetime.now()`, formats a debug line and builds an
explanation object for every match; on an e-mail column that bookkeeping costs several times the regex
itself, for every one of hundreds of thousands of values. `fast_analyze` gives the same results (same
spans, scores after `validate_result` / `invalidate_result`, recognizer name and id, duplicates removed
the same way) without the explanation, which govflow never reads. Recognizers that override `analyze`
keep Presidio's own path, since their results may come from anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TypeGuard

import regex
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer

__all__ = ["fast_analyze", "runs_presidio_patterns"]

Analyze = Callable[[str], list[RecognizerResult]]


def fast_analyze(recognizer: EntityRecognizer) -> Analyze:
    """A function giving `recognizer.analyze(text, its entities)`'s results for one text. govflow's own
    recognizers offer the same without explanations as `analyze_value`."""
    return (
        _value_analyze(recognizer)
        or _pattern_analyze(recognizer)
        or (lambda text: recognizer.analyze(text, recognizer.supported_entities, None))
    )


def _value_analyze(recognizer: EntityRecognizer) -> Analyze | None:
    """The recognizer's `analyze_value`, unless a subclass overrides the `analyze` it mirrors (then that
    `analyze` decides what is found)."""
    kind = type(recognizer)
    owner = next((c for c in kind.__mro__ if "analyze_value" in vars(c)), None)
    if owner is None or kind.analyze is not vars(owner).get("analyze"):
        return None
    value_analyze: Analyze = recognizer.analyze_value  # type: ignore[attr-defined]
    return value_analyze


def runs_presidio_patterns(recognizer: EntityRecognizer) -> TypeGuard[PatternRecognizer]:
    """Whether the recognizer's results come from Presidio's own pattern loop, so each result's span is a
    match of one of its `patterns`."""
    if not isinstance(recognizer, PatternRecognizer) or not recognizer.patterns:
        return False
    own = type(recognizer)
    return own.analyze is PatternRecognizer.analyze and getattr(own, "_PatternRecognizer__analyze_patterns", None) is (
        PatternRecognizer._PatternRecognizer__analyze_patterns  # type: ignore[attr-defined]
    )


def _pattern_analyze(recognizer: EntityRecognizer) -> Analyze | None:
    """The bookkeeping-free path, or None when the recognizer does its own analysis."""
    if not runs_presidio_patterns(recognizer) or recognizer.global_regex_flags is None:
        return None
    flags = recognizer.global_regex_flags
    compiled = [(regex.compile(p.regex, flags=flags), p.score) for p in recognizer.patterns]
    entity = recognizer.supported_entities[0]
    metadata = {
        RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
    }
    validate, invalidate = _validator(recognizer), recognizer.invalidate_result

    def analyze(text: str) -> list[RecognizerResult]:
        results = []
        for pattern, base_score in compiled:
            for match in pattern.finditer(text):
                start, end = match.span()
                if start == end:
                    continue
                matched = text[start:end]
                score = base_score
                valid = validate(matched)
                if valid is not None:
                    score = EntityRecognizer.MAX_SCORE if valid else EntityRecognizer.MIN_SCORE
                if invalidate(matched):
                    score = EntityRecognizer.MIN_SCORE
                if score > EntityRecognizer.MIN_SCORE:
                    results.append(RecognizerResult(entity, start, end, score, None, dict(metadata)))
        # One result is its own duplicate-free list (zero scores never get this far).
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results

    return analyze


# Characters that make tldextract read an e-mail address as a URL with a path, query, port or IPv6 host.
_URL_SYNTAX = frozenset("/?#:[")


def _validator(recognizer: PatternRecognizer) -> Callable[[str], bool | None]:
    """`recognizer.validate_result`; for Presidio's e-mail recognizer, its answer kept per domain.

    That check is `tldextract.extract(address).fqdn != ""`, and for an address with none of `/?#:[`
    tldextract reads only what follows the last "@": every address of one domain gets the same answer,
    and a column of addresses holds few domains. Any other address is checked as it comes.
    """
    validate = recognizer.validate_result
    if type(recognizer).validate_result is not EmailRecognizer.validate_result:
        return validate

    @lru_cache(maxsize=4096)
    def by_domain(domain: str) -> bool | None:
        return validate(domain)

    def validate_address(text: str) -> bool | None:
        if _URL_SYNTAX.isdisjoint(text):
            return by_domain(text.rpartition("@")[2])
        return validate(text)

    return validate_address
