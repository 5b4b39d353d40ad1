"""The core: one Arrow record batch in, the governed batch and its audit rows out.

Work is done per unique value and per unique record signature, never per cell or per row in Python:
each leaf is dictionary-encoded, detection runs on its distinct values, findings become boolean
matrices indexed by the dictionary codes, and tagging and routing run once per distinct combination of
entities, evidence and errors. Masking, too, is computed per distinct value and destination profile.

Anything that fails for a record sends that record to the policy's `on_error` destination with the
reason; anything that fails for the whole batch sends the whole batch there. The run goes on.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govflow.detect.findings import Finding, drop_contained
from govflow.detect.profile import LeafProfile, TableProfile, hinted_date_columns, profile_table
from govflow.detect.record_context import Needle, echo_needles, record_findings
from govflow.detect.stack import DetectionStack
from govflow.leaves import Leaf, UnsupportedColumn, leaves_of, replace_leaves
from govflow.mask.keyring import load_keyring
from govflow.mask.keys import Key, MissingKeyError
from govflow.mask.operators import Masked, MaskingError, ProfileMasker, uses_keys
from govflow.policy.loader import policy_version
from govflow.policy.models import Policy
from govflow.route.decide import ERROR_RULE, RecordTags, decide
from govflow.tag.countries import normalise_country
from govflow.tag.jurisdiction import Evidence, JurisdictionRules, evidence_source
from govflow.tag.regulations import regulations_for
from govflow.tag.sensitivity import SensitivityRules

log = logging.getLogger(__name__)

# Values that stand for "no value" in hinted columns: not personal data, so not a finding. Only spellings
# that are never a name or place: "None" is a town in Piedmont, "Na" and "Nil" are surnames.
PLACEHOLDERS = frozenset({"n/a", "n.a.", "null", "unknown", "tbd", "not provided", "-"})
EGRESS_GATE = "egress gate"
# Made up (the number is Ofcom's drama range): a name, a place and a phone number with a context word, so
# every part of the text path (NER, tagger and lemmatizer, Presidio's analyzer) is built by `prepare`.
_WARM_UP_NOTE = "Anna Lima rang from Lisbon; call her back on +44 20 7946 0958."
GOV_COLUMNS = ("gov_sensitivity", "gov_jurisdictions", "gov_regulations", "gov_entities", "gov_route")
_STR_LIST = pa.list_(pa.string())
GOV_FIELDS = [
    pa.field("gov_sensitivity", pa.string()),
    pa.field("gov_jurisdictions", _STR_LIST),
    pa.field("gov_regulations", _STR_LIST),
    pa.field("gov_entities", _STR_LIST),
    pa.field("gov_route", pa.string()),
]
AUDIT_SCHEMA = pa.schema(
    [
        pa.field("record_index", pa.int64()),
        pa.field("route", pa.string()),
        pa.field("zone", pa.string()),
        pa.field("rule_id", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("sensitivity", pa.string()),
        pa.field("special_categories", _STR_LIST),
        pa.field("jurisdictions", _STR_LIST),
        pa.field("evidence", _STR_LIST),
        pa.field("entities", _STR_LIST),
        pa.field("regulations", _STR_LIST),
        pa.field("masked_columns", _STR_LIST),
        pa.field("key_id", pa.string()),
        pa.field("policy_version", pa.string()),
    ]
)


class SchemaError(ValueError):
    """The input's columns cannot be governed as they are (e.g. they collide with gov_* columns)."""


def output_schema(input_schema: pa.Schema) -> pa.Schema:
    """The governed schema: every input column (same type, masked in place) plus the gov_* columns."""
    clash = [name for name in input_schema.names if name in GOV_COLUMNS]
    if clash:
        raise SchemaError(f"input columns {clash} collide with govflow's output columns; rename them")
    return pa.schema([*input_schema, *GOV_FIELDS], metadata=input_schema.metadata)


@dataclass
class _LeafScan:
    """Detection results for one leaf, per distinct value."""

    leaf: Leaf
    column: str
    column_index: int
    profile: LeafProfile
    codes: np.ndarray  # per leaf element: index into `uniques`, -1 for null
    uniques: list[str]
    findings: list[list[Finding]]
    problems: list[str | None]  # per unique: why its detection cannot be trusted, None when it can
    evidence: list[list[Evidence]]

    def record_rows(self) -> np.ndarray:
        return np.arange(len(self.codes)) if self.leaf.rows is None else self.leaf.rows


@dataclass(frozen=True)
class GovernedBatch:
    batch: pa.RecordBatch  # input columns masked per route + gov_* columns, input row order
    audit: pa.RecordBatch
    routes: np.ndarray  # destination name per row (object array)


MaskerLabel = tuple[str, str | None]  # (masking profile, key name)
MaskLabel = tuple[str, str | None, bool]  # (masking profile, key name, egress-gated)


class _Vocabulary:
    """Dense ids for labels seen in a batch, so sets of labels become boolean matrix rows."""

    def __init__(self) -> None:
        self.ids: dict[object, int] = {}

    def id(self, label: object) -> int:
        return self.ids.setdefault(label, len(self.ids))

    def labels(self) -> list[object]:
        return list(self.ids)


def _lists(rows: Sequence[Sequence[str]], inverse: np.ndarray) -> pa.Array:
    return pa.array(list(rows), _STR_LIST).take(pa.array(inverse))


def whole_value_findings(value: str, findings: list[Finding], entity: str) -> list[Finding]:
    """A hinted column's value is its entity as a whole, unless a recognizer already covers all of it."""
    text = value.strip()
    if any(f.end - f.start >= len(text) for f in findings):
        return findings
    if text.lower() in PLACEHOLDERS or not any(c.isalnum() for c in text):
        return findings
    return [Finding(entity, 0, len(value), 1.0, "column_hint"), *findings]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while one batch is governed, on again after.

    A batch allocates millions of short-lived objects (findings, masked strings, spaCy tokens) and keeps
    many of them until it ends, so the collector's young-generation passes keep re-walking objects that
    are still in use: a quarter of a structured batch's time. Cycles made during the batch are collected
    after it, so memory still returns per batch. A collector the caller turned off stays off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Engine:
    """Everything built from a policy once: recognizers, maskers, rules. Reused for every batch."""

    def __init__(self, policy: Policy, stack: DetectionStack | None = None) -> None:
        self.policy = policy
        self.version = policy_version(policy)
        self.stack = stack or DetectionStack(policy)
        self.sensitivity = SensitivityRules(policy.sensitivity)
        self.jurisdictions = JurisdictionRules(policy.jurisdictions)
        keyed = [name for name, profile in policy.masking.items() if uses_keys(profile)]
        self.keyed_profiles = frozenset(keyed)
        try:
            self.keys: dict[str, Key] = load_keyring(policy.keys) if keyed else {}
        except MissingKeyError as exc:
            raise MissingKeyError(f"masking profile(s) {keyed} use keyed operators, so {exc}") from None
        self.maskers: dict[MaskerLabel, ProfileMasker] = {}
        for name, profile in policy.masking.items():
            for key_name in self.keys if name in self.keyed_profiles else [None]:
                key = self.keys[key_name] if key_name else None
                self.maskers[(name, key_name)] = ProfileMasker(name, profile, key)

    def key_name_for(self, jurisdictions: Sequence[str]) -> str:
        """The keyring entry for a record: the first listed jurisdiction it belongs to, else the default."""
        for jurisdiction, name in self.policy.keys.by_jurisdiction.items():
            if jurisdiction in jurisdictions:
                return name
        return "default"

    def profile(self, sample: pa.Table, *, with_findings: bool = True) -> TableProfile:
        """The column profile a run starts with (a run's memo of findings starts empty here too);
        `with_findings=False` leaves out the sample's entity shares, which governing never reads."""
        self.stack.forget()
        head = sample.slice(0, self.policy.settings.profile_sample_size)
        return profile_table(self.policy, self.stack, head, with_findings=with_findings)

    def prepare(self, profile: TableProfile) -> None:
        """Build now what scanning free text builds on first use (the spaCy model, the name check's word
        lists, context-word triggers), by scanning one made-up note. Worker processes forked after this
        inherit it; otherwise each builds its own on every run (1.8 s per worker and run measured here).
        If building fails, each worker meets the same failure on its batches, which go to `on_error` as in
        a single process; so it is only logged here."""
        if not any(leaf.mode == "text" for leaf in profile.leaves.values()):
            return
        try:
            self.stack.scan_texts([_WARM_UP_NOTE])
        except Exception as exc:
            log.warning("could not build the free-text path before starting workers (%s)", type(exc).__name__)

    # -- detection ---------------------------------------------------------------------------------

    def _scan_leaf(self, leaf: Leaf, column: str, column_index: int, profile: LeafProfile) -> _LeafScan:
        encoded = leaf.values.dictionary_encode()
        uniques: list[str] = encoded.dictionary.to_pylist()
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        problems: list[str | None] = [None] * len(uniques)
        # A leaf of mostly distinct values gains nothing from the memo (see `DetectionStack.scan_values`).
        remember = len(uniques) <= len(leaf.values) // 2
        findings = self._detect(uniques, leaf.name, column, profile, problems, remember)
        evidence: list[list[Evidence]] = []
        for value, found in zip(uniques, findings, strict=True):
            if not found and not profile.declared:
                evidence.append([])
                continue
            ev = []
            if profile.declared:
                country = normalise_country(value)
                if country:
                    ev.append(Evidence(country, "declared", leaf.name))
            for f in found:
                source = evidence_source(f)
                if source and f.country:
                    ev.append(Evidence(f.country, source, leaf.name))
            evidence.append(sorted(set(ev)) if len(ev) > 1 else ev)
        return _LeafScan(leaf, column, column_index, profile, codes, uniques, findings, problems, evidence)

    def _detect(
        self,
        uniques: list[str],
        leaf: str,
        column: str,
        profile: LeafProfile,
        problems: list[str | None],
        remember: bool,
    ) -> list[list[Finding]]:
        def patterns(values: list[str]) -> list[list[Finding]]:
            return self.stack.scan_values(values, column, assume_context=profile.assume_context, remember=remember)

        everything = list(range(len(uniques)))
        if profile.mode == "structured":
            found = self._isolating(patterns, uniques, leaf, problems, everything)
            if profile.whole_value and profile.entity:
                return [whole_value_findings(v, f, profile.entity) for v, f in zip(uniques, found, strict=True)]
            return found
        limit = self.policy.settings.max_ner_chars
        for i, value in enumerate(uniques):
            if len(value) > limit:
                problems[i] = (
                    f"free text in {leaf!r} is {len(value):,} chars, over settings.max_ner_chars "
                    f"({limit:,}): NER skipped, patterns only"
                )
        out: list[list[Finding]] = [[] for _ in uniques]
        ner = [i for i in everything if problems[i] is None]
        too_long = [i for i in everything if problems[i] is not None]
        for indices, scan in ((ner, self.stack.scan_texts), (too_long, patterns)):
            values = [uniques[i] for i in indices]
            for i, found in zip(indices, self._isolating(scan, values, leaf, problems, indices), strict=True):
                out[i] = found
        return out

    @staticmethod
    def _isolating(
        scan: Callable[[list[str]], list[list[Finding]]],
        values: list[str],
        leaf: str,
        problems: list[str | None],
        indices: list[int],
    ) -> list[list[Finding]]:
        """Scan all values at once; if that fails, value by value so only the failing ones are flagged."""
        if not values:
            return []
        try:
            return scan(values)
        except Exception:
            log.warning("detection failed on %r; isolating the values that fail", leaf)
        out: list[list[Finding]] = []
        for index, value in zip(indices, values, strict=True):
            try:
                out.append(scan([value])[0])
            except Exception as exc:
                problems[index] = f"detection failed in {leaf!r} ({type(exc).__name__})"
                out.append([])
        return out

    # -- the batch ---------------------------------------------------------------------------------

    def process(
        self,
        batch: pa.RecordBatch,
        profile: TableProfile,
        *,
        row_offset: int = 0,
        problems: pa.Array | None = None,
    ) -> GovernedBatch:
        """Govern one batch. Never raises for bad data: failures become on_error routes."""
        n = batch.num_rows
        reasons = np.full(n, None, dtype=object)
        if problems is not None:
            has_problem = problems.is_valid().to_numpy(zero_copy_only=False)
            reasons[has_problem] = np.asarray(problems.to_pylist(), dtype=object)[has_problem]
        if n == 0:
            return self._all_to_error(batch, row_offset, reasons)
        try:
            with _collector_paused():
                return self._process(batch, profile, row_offset, reasons)
        except Exception as exc:
            log.error(
                "batch at row %d failed as a whole (%s); sending it to on_error",
                row_offset,
                type(exc).__name__,
            )
            reasons[:] = f"internal error while governing this batch ({type(exc).__name__})"
            return self._all_to_error(batch, row_offset, reasons)

    def _scan_batch(self, batch: pa.RecordBatch, profile: TableProfile, reasons: np.ndarray) -> list[_LeafScan]:
        dates = hinted_date_columns(self.policy, batch.schema)
        scans = []
        for i, name in enumerate(batch.schema.names):
            column = batch.column(i)
            try:
                column_leaves = leaves_of(column, name, include_dates=name in dates)
            except UnsupportedColumn as exc:
                bad = column.is_valid().to_numpy(zero_copy_only=False)
                reasons[bad & (reasons == None)] = str(exc)  # noqa: E711 - numpy elementwise
                continue
            for leaf in column_leaves:
                scans.append(self._scan_leaf(leaf, name, i, profile.for_leaf(leaf, name)))
        return scans

    def _add_record_context(self, scans: list[_LeafScan], n: int) -> None:
        """Free text findings that need the record: its own structured values repeated in the text, and
        phone numbers in national format read with the record's country.

        A text value whose record adds findings becomes a separate entry in the leaf's unique values,
        so masking and aggregation stay per unique value.
        """
        texts = [s for s in scans if s.profile.mode == "text"]
        if not texts:
            return
        known: list[list[tuple[str, str]]] = [[] for _ in range(n)]
        evidence: list[list[Evidence]] = [[] for _ in range(n)]
        for scan in scans:
            if scan.profile.mode == "text":
                continue
            rows = scan.record_rows()
            useful = np.array([bool(f) or bool(e) for f, e in zip(scan.findings, scan.evidence, strict=True)] + [False])
            for element in np.flatnonzero(useful[scan.codes]):
                code, record = scan.codes[element], rows[element]
                value = scan.uniques[code]
                known[record].extend((f.entity_type, value[f.start : f.end]) for f in scan.findings[code])
                evidence[record].extend(scan.evidence[code])
        patterns: dict[int, tuple[list[Needle], str | None]] = {}
        for scan in texts:
            rows = scan.record_rows()
            for element in np.flatnonzero(scan.codes >= 0):
                record = int(rows[element])
                if record not in patterns:
                    _, used = self.jurisdictions.resolve(evidence[record])
                    patterns[record] = (echo_needles(known[record]), used[0].country if used else None)
                record_patterns, region = patterns[record]
                code = scan.codes[element]
                text = scan.uniques[code]
                base = scan.findings[code]
                extra = [
                    f
                    for f in record_findings(text, record_patterns, region)
                    if not any(b.start <= f.start and f.end <= b.end for b in base)
                ]
                if not extra:
                    continue
                scan.codes[element] = len(scan.uniques)
                scan.uniques.append(text)
                scan.findings.append(drop_contained([*base, *extra]))
                scan.problems.append(scan.problems[code])
                phones = [Evidence(f.country, "phone", scan.leaf.name) for f in extra if f.country]
                scan.evidence.append(sorted({*scan.evidence[code], *phones}))

    def _process(
        self, batch: pa.RecordBatch, profile: TableProfile, row_offset: int, reasons: np.ndarray
    ) -> GovernedBatch:
        n = batch.num_rows
        scans = self._scan_batch(batch, profile, reasons)
        self._add_record_context(scans, n)
        entities = _Vocabulary()
        evidence = _Vocabulary()
        # (unique value, label id) pairs per scan: only values with findings or evidence cost anything.
        per_scan_entity = [
            [(u, entities.id(f.entity_type)) for u, found in enumerate(s.findings) for f in found] for s in scans
        ]
        per_scan_evidence = [[(u, evidence.id(e)) for u, ev in enumerate(s.evidence) for e in ev] for s in scans]
        ent = np.zeros((n, len(entities.ids)), dtype=bool)
        evi = np.zeros((n, len(evidence.ids)), dtype=bool)
        for scan, ent_pairs, ev_pairs in zip(scans, per_scan_entity, per_scan_evidence, strict=True):
            rows = scan.record_rows()
            present = scan.codes >= 0
            for matrix, pairs in ((ent, ent_pairs), (evi, ev_pairs)):
                if not pairs:
                    continue
                unique_matrix = np.zeros((len(scan.uniques) + 1, matrix.shape[1]), dtype=bool)
                unique_matrix[tuple(np.array(pairs, dtype=np.int64).T)] = True
                matrix[rows[present]] |= unique_matrix[scan.codes[present]]
            for u, problem in enumerate(scan.problems):
                if problem is not None:
                    hit = rows[scan.codes == u]
                    reasons[hit[reasons[hit] == None]] = problem  # noqa: E711 - numpy elementwise
        failed = np.array([r is not None for r in reasons], dtype=bool)

        signature = np.concatenate([ent, evi, failed[:, None]], axis=1)
        packed = np.packbits(signature, axis=1) if signature.shape[1] else np.zeros((n, 1), np.uint8)
        _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        entity_labels = entities.labels()
        evidence_labels = evidence.labels()
        tag_rows = []
        for row in first:
            names = sorted(str(entity_labels[j]) for j in np.flatnonzero(ent[row]))
            found_evidence = [evidence_labels[j] for j in np.flatnonzero(evi[row])]
            jurisdictions, used = self.jurisdictions.resolve(found_evidence)  # type: ignore[arg-type]
            categories = self.sensitivity.categories(names)
            level = self.sensitivity.record_level(names)
            regulations = regulations_for(self.policy.regulations, jurisdictions, names, categories)
            tags = RecordTags(level, categories, jurisdictions, regulations, names)
            if failed[row]:
                destination, rule = self.policy.routes.on_error, ERROR_RULE
            else:
                destination, rule = decide(self.policy, self.sensitivity, tags)
            tag_rows.append((tags, [e.render() for e in used], destination, rule))

        routes = np.array([t[2] for t in tag_rows], dtype=object)[inverse]
        rules = np.array([t[3] for t in tag_rows], dtype=object)[inverse]
        key_names = np.array([self.key_name_for(t[0].jurisdictions) for t in tag_rows], dtype=object)[inverse]
        masked_columns, routes, rules = self._mask(batch, scans, routes, rules, key_names, reasons)
        key_ids = self._key_ids(routes, key_names, masked_columns)
        return self._assemble(batch, row_offset, tag_rows, inverse, routes, rules, reasons, masked_columns, key_ids)

    # -- masking -----------------------------------------------------------------------------------

    def _mask(
        self,
        batch: pa.RecordBatch,
        scans: list[_LeafScan],
        routes: np.ndarray,
        rules: np.ndarray,
        key_names: np.ndarray,
        reasons: np.ndarray,
    ) -> tuple[dict[int, tuple[pa.Array, np.ndarray]], np.ndarray, np.ndarray]:
        """Masked columns (column index -> (array, rows changed)). Records whose masking failed, or whose
        masked output the egress gate stops, are re-routed to on_error and masked for it instead."""
        for _attempt in range(2):
            failures = np.zeros(len(routes), dtype=bool)
            masked = self._mask_once(batch, scans, routes, key_names, failures, reasons)
            if not failures.any():
                return masked, routes, rules
            routes = routes.copy()
            rules = rules.copy()
            routes[failures] = self.policy.routes.on_error
            rules[failures] = ERROR_RULE
        raise MaskingError("masking failed for the on_error destination too")

    def _record_labels(self, routes: np.ndarray, key_names: np.ndarray) -> tuple[np.ndarray, list[MaskLabel]]:
        """Per record, the index of its (masking profile, key name, gated) label; -1 when its destination
        does not mask. Records with equal labels are masked identically, so each label is done once."""
        ids = np.full(len(routes), -1, dtype=np.int64)
        labels: list[MaskLabel] = []
        gate = self.policy.egress_gate.enabled
        for destination in sorted(set(routes.tolist())):
            spec = self.policy.destinations[destination]
            if spec.masking is None:
                continue
            keyed = spec.masking in self.keyed_profiles
            selected = routes == destination
            for key_name in sorted(set(key_names[selected].tolist())) if keyed else [None]:
                rows = selected & (key_names == key_name) if keyed else selected
                ids[rows] = len(labels)
                labels.append((spec.masking, key_name, gate and spec.zone == "external"))
        return ids, labels

    def _mask_once(
        self,
        batch: pa.RecordBatch,
        scans: list[_LeafScan],
        routes: np.ndarray,
        key_names: np.ndarray,
        failures: np.ndarray,
        reasons: np.ndarray,
    ) -> dict[int, tuple[pa.Array, np.ndarray]]:
        record_labels, labels = self._record_labels(routes, key_names)
        by_column: dict[int, dict[tuple[str, ...], tuple[pa.Array, pa.Array]]] = {}
        changed_rows: dict[int, np.ndarray] = {}
        for scan in scans:
            rows = scan.record_rows()
            element_labels = record_labels[rows]
            has_findings = np.array([bool(f) for f in scan.findings] + [False], dtype=bool)[scan.codes]
            result = scan.leaf.values
            changed = np.zeros(len(scan.codes), dtype=bool)
            for label in np.unique(element_labels[has_findings & (element_labels >= 0)]).tolist():
                profile_name, key_name, gated = labels[label]
                selected = has_findings & (element_labels == label)
                masked_uniques: list[str | None] = list(scan.uniques)
                stopped: dict[int, str] = {}
                masked: dict[int, Masked] = {}
                wanted = np.unique(scan.codes[selected]).tolist()
                outcomes = self.maskers[(profile_name, key_name)].mask_many(
                    [scan.uniques[u] for u in wanted], [scan.findings[u] for u in wanted]
                )
                for u, outcome in zip(wanted, outcomes, strict=True):
                    if isinstance(outcome, MaskingError):
                        stopped[u] = f"masking failed in column {scan.leaf.name!r}"
                        log.warning("%s (column %r)", outcome, scan.leaf.name)
                    else:
                        masked[u] = outcome
                        masked_uniques[u] = outcome.text
                if gated:
                    stopped.update(self._egress_gate(scan, masked))
                for u, reason in stopped.items():
                    bad = selected & (scan.codes == u)
                    failures[rows[bad]] = True
                    reasons[rows[bad]] = reason
                taken = pa.array(masked_uniques, pa.string()).take(pa.array(np.where(scan.codes < 0, 0, scan.codes)))
                result = pc.if_else(pa.array(selected), taken, result)
                changed |= selected
            if changed.any():
                by_column.setdefault(scan.column_index, {})[scan.leaf.path] = (result, pa.array(changed))
                flags = changed_rows.setdefault(scan.column_index, np.zeros(len(routes), dtype=bool))
                flags[rows[changed]] = True
        return {i: (replace_leaves(batch.column(i), leaves), changed_rows[i]) for i, leaves in by_column.items()}

    def _egress_gate(self, scan: _LeafScan, masked: dict[int, Masked]) -> dict[int, str]:
        """Re-scan masked values bound for an external zone; a finding outside the deliberate pseudonyms
        stops every record holding that value. This makes "no raw PII leaves" a checked property."""
        # A value that is one pseudonym from end to end cannot leak: every finding in it lies inside the
        # pseudonym. Only values with text outside their pseudonyms are scanned again.
        order = [u for u, m in masked.items() if m.pseudonyms != ((0, len(m.text)),)]
        if not order:
            return {}
        texts = [masked[u].text for u in order]
        if scan.profile.mode == "text":
            # NER runs again only where a word outside the pseudonyms could be a name (the NER pre-check).
            found = self.stack.scan_texts(texts, opaque=[masked[u].pseudonyms for u in order])
        else:
            found = self.stack.scan_values(texts, scan.column, assume_context=scan.profile.assume_context)
        threshold = self.policy.egress_gate.threshold
        stopped = {}
        for u, findings in zip(order, found, strict=True):
            leaks = [
                f
                for f in findings
                if f.score >= threshold and not any(a <= f.start and f.end <= b for a, b in masked[u].pseudonyms)
            ]
            if leaks:
                kinds = ", ".join(sorted({f.entity_type for f in leaks}))
                stopped[u] = f"{EGRESS_GATE}: {kinds} still detected in {scan.leaf.name!r} after masking"
        return stopped

    def _key_ids(
        self, routes: np.ndarray, key_names: np.ndarray, masked_columns: dict[int, tuple[pa.Array, np.ndarray]]
    ) -> list[str | None]:
        """The key id (never the key) that masked each record, for the audit; None when no key was used."""
        any_masked = np.zeros(len(routes), dtype=bool)
        for _, changed in masked_columns.values():
            any_masked |= changed
        keyed_routes = {d for d, spec in self.policy.destinations.items() if spec.masking in self.keyed_profiles}
        return [
            self.keys[k].key_id if m and r in keyed_routes else None
            for r, k, m in zip(routes.tolist(), key_names.tolist(), any_masked.tolist(), strict=True)
        ]

    # -- output ------------------------------------------------------------------------------------

    def _assemble(
        self,
        batch: pa.RecordBatch,
        row_offset: int,
        tag_rows: list[tuple[RecordTags, list[str], str, str]],
        inverse: np.ndarray,
        routes: np.ndarray,
        rules: np.ndarray,
        reasons: np.ndarray,
        masked_columns: dict[int, tuple[pa.Array, np.ndarray]],
        key_ids: list[str | None],
    ) -> GovernedBatch:
        n = batch.num_rows
        names = batch.schema.names
        columns = [masked_columns[i][0] if i in masked_columns else batch.column(i) for i in range(len(names))]
        tags = [t[0] for t in tag_rows]
        sensitivity = pa.array([t.sensitivity for t in tags], pa.string()).take(pa.array(inverse))
        jurisdictions = _lists([list(t.jurisdictions) for t in tags], inverse)
        regulations = _lists([list(t.regulations) for t in tags], inverse)
        entity_lists = _lists([list(t.entities) for t in tags], inverse)
        route_array = pa.array(routes.tolist(), pa.string())
        governed = pa.RecordBatch.from_arrays(
            [*columns, sensitivity, jurisdictions, regulations, entity_lists, route_array],
            schema=output_schema(batch.schema),
        )
        masked_names = [[names[i] for i in masked_columns if masked_columns[i][1][r]] for r in range(n)]
        audit = pa.RecordBatch.from_arrays(
            [
                pa.array(np.arange(row_offset, row_offset + n, dtype=np.int64)),
                route_array,
                pa.array([self.policy.zone_of(r) for r in routes.tolist()], pa.string()),
                pa.array(rules.tolist(), pa.string()),
                pa.array(reasons.tolist(), pa.string()),
                sensitivity,
                _lists([list(t.categories) for t in tags], inverse),
                jurisdictions,
                _lists([t[1] for t in tag_rows], inverse),
                entity_lists,
                regulations,
                pa.array(masked_names, _STR_LIST),
                pa.array(key_ids, pa.string()),
                pa.array([self.version] * n, pa.string()),
            ],
            schema=AUDIT_SCHEMA,
        )
        return GovernedBatch(governed, audit, routes)

    def _all_to_error(self, batch: pa.RecordBatch, row_offset: int, reasons: np.ndarray) -> GovernedBatch:
        """Fail closed for a whole batch: unmasked, to on_error, with empty tags."""
        n = batch.num_rows
        empty = RecordTags(self.policy.sensitivity.levels[-1], [], [], [], [])
        routes = np.full(n, self.policy.routes.on_error, dtype=object)
        rules = np.full(n, ERROR_RULE, dtype=object)
        inverse = np.zeros(n, dtype=np.int64)
        return self._assemble(
            batch,
            row_offset,
            [(empty, [], self.policy.routes.on_error, ERROR_RULE)],
            inverse,
            routes,
            rules,
            reasons,
            {},
            [None] * n,
        )
