"""`govflow explain`: why one record is tagged, routed and masked the way it is.

The record is governed by the real pipeline; that outcome (tags, route, rule, masked output) is what the
explanation reports as fact. The per-finding detail (recognizer, score, context words) is re-derived with
the same detection stack and profile, leaf by leaf, and checked against the engine's entity list; a
difference is printed, never hidden.

Values are never printed unless asked for: a finding is shown as `[PERSON 0:12]`, its span in the cell.
Masked output values are shown (they are what leaves), but a cell the destination leaves unmasked is not.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from govflow.detect.findings import Finding, drop_contained
from govflow.detect.profile import LeafProfile, hinted_date_columns
from govflow.detect.record_context import echo_needles, record_findings
from govflow.engine import whole_value_findings
from govflow.leaves import LIST_MARK, UnsupportedColumn, leaves_of
from govflow.route.decide import RecordTags, trace
from govflow.tag.countries import normalise_country
from govflow.tag.jurisdiction import Evidence, evidence_source

if TYPE_CHECKING:
    from govflow.pipeline import Pipeline


class RecordError(ValueError):
    """The record file is not one JSON object (or a one-line JSONL)."""


def read_record(path: str | Path) -> dict[str, Any]:
    """One record from a JSON object file, or from a JSON Lines file holding exactly one line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read ({type(exc).__name__})") from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        if len(lines) > 1:
            raise RecordError(
                f"{path}: {len(lines)} lines; explain takes one record (a JSON object, or a one-line JSONL)"
            ) from None
        raise RecordError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict) or not record:
        raise RecordError(f'{path}: expected one JSON object with at least one key, like {{"email": "..."}}')
    return record


@dataclass
class FindingView:
    column: str  # leaf display path
    entity: str
    start: int
    end: int
    score: float
    recognizer: str
    country: str | None
    how: str  # why this recognizer fired: pattern/validator, NER, column hint, record context
    context: list[str] = field(default_factory=list)  # context words that supported it
    text: str | None = None  # only with --show-values

    def span(self) -> str:
        return f"{self.text!r}" if self.text is not None else f"[{self.entity} {self.start}:{self.end}]"


def _leaf_profile_note(profile: LeafProfile) -> str:
    extra = [profile.reason]
    if profile.assume_context:
        extra.append("assume_context")
    if profile.declared:
        extra.append("declared country column")
    return f"{profile.mode}: " + ", ".join(e for e in extra if e)


class _Explainer:
    def __init__(self, pipeline: Pipeline, show_values: bool) -> None:
        self.pipeline = pipeline
        self.engine = pipeline.engine
        self.stack = pipeline.engine.stack
        self.policy = pipeline.policy
        self.show_values = show_values
        self.recognizers = {r.name: r for r in self.stack.recognizers}
        self.leaf_paths: dict[str, tuple[str, tuple[str, ...]]] = {}  # leaf display name -> (column, path)

    def _context_words(self, finding: Finding, column: str, assume_context: bool) -> list[str]:
        """The context words the structured scanner credits: those of the recognizer found in the column name."""
        if finding.recognizer == "column_hint":
            return []
        if assume_context:
            return ["the column name (hint assume_context)"]
        recognizer = self.recognizers.get(finding.recognizer)
        lowered = column.lower()
        words = set(re.split(r"[^a-z0-9]+", lowered)) | {lowered}
        return [
            w
            for w in (w.lower() for w in (getattr(recognizer, "context", None) or []))
            if w in words or (len(w) > 3 and w in lowered)
        ]

    def _structured(self, value: str, column: str, profile: LeafProfile) -> list[tuple[Finding, str, list[str]]]:
        found = self.stack.scan_values([value], column, assume_context=profile.assume_context)[0]
        if profile.whole_value and profile.entity:
            found = whole_value_findings(value, found, profile.entity)
        out = []
        for f in found:
            if f.recognizer == "column_hint":
                how = f"column name hints {f.entity_type} (whole value)"
            else:
                how = "pattern recognizer"
            out.append((f, how, self._context_words(f, column, profile.assume_context)))
        return out

    def _text(self, value: str, column: str, profile: LeafProfile) -> list[tuple[Finding, str, list[str]]]:
        if len(value) > self.policy.settings.max_ner_chars:  # the engine skips NER here too (and quarantines)
            return [
                (f, "pattern recognizer (text over max_ner_chars: no NER)", [])
                for f in self.stack.scan_values([value], column, assume_context=profile.assume_context)[0]
            ]
        found = self.stack.scan_texts([value])[0]
        decisions = {}
        for r in self.stack.analyzer.analyze(value, self.stack.language, return_decision_process=True):
            decisions[(r.entity_type, r.start, r.end)] = r.analysis_explanation
        out = []
        for f in found:
            explanation = decisions.get((f.entity_type, f.start, f.end))
            how = explanation.textual_explanation if explanation and explanation.textual_explanation else "pattern"
            context = []
            if explanation and explanation.supportive_context_word:
                context.append(
                    f"{explanation.supportive_context_word} (+{explanation.score_context_improvement:.2f}"
                    f" from {explanation.original_score:.2f})"
                )
            out.append((f, how, context))
        return out

    def explain(self, record: dict[str, Any]) -> dict[str, Any]:
        table = pa.Table.from_pylist([record])
        batch = table.to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([record])
        profile = self.pipeline.profile(table)
        governed = next(iter(self.pipeline.govern([(batch, None)], profile)))
        audit = governed.audit.to_pylist()[0]
        output = governed.batch.to_pylist()[0]

        dates = hinted_date_columns(self.policy, table.schema)
        findings: list[FindingView] = []
        columns: list[dict[str, Any]] = []
        evidence: list[Evidence] = []
        texts: list[tuple[str, str, list[Finding]]] = []  # (leaf, value, findings) of free-text leaves
        known: list[tuple[str, str]] = []
        for name in table.column_names:
            try:
                leaves = leaves_of(table.column(name).combine_chunks(), name, include_dates=name in dates)
            except UnsupportedColumn as exc:
                columns.append({"column": name, "profile": f"not scannable: {exc}"})
                continue
            for leaf in leaves:
                lp = profile.for_leaf(leaf, name)
                columns.append({"column": leaf.name, "profile": _leaf_profile_note(lp)})
                self.leaf_paths[leaf.name] = (name, leaf.path)
                for value in leaf.values.to_pylist():
                    if value is None:
                        continue
                    if lp.declared and normalise_country(value):
                        evidence.append(Evidence(str(normalise_country(value)), "declared", leaf.name))
                    if lp.mode == "text":
                        scanned = self._text(value, name, lp)
                        texts.append((leaf.name, value, [f for f, _, _ in scanned]))
                    else:
                        scanned = self._structured(value, name, lp)
                        known += [(f.entity_type, value[f.start : f.end]) for f, _, _ in scanned]
                    for f, how, context in scanned:
                        findings.append(self._view(leaf.name, value, f, how, context))
                        source = evidence_source(f)
                        if source:
                            evidence.append(Evidence(str(f.country), source, leaf.name))
        text_leaves = {leaf for leaf, _, _ in texts}
        # as in the engine, the record's country for reading national-format phones comes from its
        # structured columns only
        structured = [e for e in evidence if e.leaf not in text_leaves]
        self._record_context(texts, known, structured, evidence, findings)
        return self._report(table.to_pylist()[0], audit, output, columns, findings, evidence)

    def _record_context(
        self,
        texts: list[tuple[str, str, list[Finding]]],
        known: list[tuple[str, str]],
        structured: list[Evidence],
        evidence: list[Evidence],
        findings: list[FindingView],
    ) -> None:
        """Free-text findings that need the record: its own values echoed, national-format phones."""
        if not texts:
            return
        _, used = self.engine.jurisdictions.resolve(structured)
        region = used[0].country if used else None
        needles = echo_needles(known)
        for leaf, value, base in texts:
            extra = [
                f
                for f in record_findings(value, needles, region)
                if not any(b.start <= f.start and f.end <= b.end for b in base)
            ]
            for f in drop_contained(extra):
                how = (
                    "the record's own value, repeated in the text"
                    if f.country is None
                    else "phone, read with the record's country"
                )
                findings.append(self._view(leaf, value, f, how, [f"record country {region}"] if f.country else []))
                if f.country:
                    evidence.append(Evidence(f.country, "phone", leaf))

    def _view(self, leaf: str, value: str, f: Finding, how: str, context: list[str]) -> FindingView:
        text = value[f.start : f.end] if self.show_values else None
        return FindingView(leaf, f.entity_type, f.start, f.end, f.score, f.recognizer, f.country, how, context, text)

    def _report(
        self,
        record: dict[str, Any],  # the input as Arrow read it
        audit: dict[str, Any],
        output: dict[str, Any],
        columns: list[dict[str, Any]],
        findings: list[FindingView],
        evidence: list[Evidence],
    ) -> dict[str, Any]:
        policy = self.policy
        rules = policy.jurisdictions
        jurisdictions, used = self.engine.jurisdictions.resolve(evidence)
        countries = sorted({e.country for e in used})
        blocs = sorted(set(jurisdictions) - set(countries))
        entities = sorted(audit["entities"])
        notes = []
        derived = sorted({f.entity for f in findings})
        if derived != entities:
            notes.append(f"explain re-derived entities {derived}, the engine found {entities}; the engine's are used")
        if sorted(jurisdictions) != sorted(audit["jurisdictions"]):
            notes.append(
                f"explain re-derived jurisdictions {jurisdictions}, the engine found {audit['jurisdictions']}; "
                "the engine's are used"
            )
        sensitivity = self.engine.sensitivity
        levels = {e: sensitivity.level_of(e) for e in entities}
        tags = RecordTags(
            audit["sensitivity"], audit["special_categories"], audit["jurisdictions"], audit["regulations"], entities
        )
        tried = trace(policy, sensitivity, tags)
        destination = policy.destinations[audit["route"]]
        profile_name = destination.masking
        masking = []
        if profile_name is not None:
            profile = policy.masking[profile_name]
            by_column: dict[str, list[FindingView]] = {}
            for f in findings:
                by_column.setdefault(f.column, []).append(f)
            for column, found in by_column.items():
                top, path = self.leaf_paths[column]
                after = _at(output.get(top), path)
                # only a cell the masker changed is shown: an unchanged one is the raw input
                changed = after != _at(record.get(top), path)
                operators = []
                for entity in sorted({f.entity for f in found}):
                    spec = profile.entities.get(entity, profile.default)
                    source = "" if entity in profile.entities else " (profile default)"
                    params = f" {json.dumps(spec.params, sort_keys=True)}" if spec.params else ""
                    operators.append(f"{entity} -> {spec.operator}{params}{source}")
                masking.append(
                    {
                        "column": column,
                        "operators": operators,
                        "masked": changed,
                        "output": _shown(after) if changed else None,
                    }
                )
        regulations = []
        for rule in policy.regulations:
            if rule.regulation in audit["regulations"]:
                why = [
                    f"{k} {_fmt(v)}"
                    for k, v in (
                        ("jurisdictions", rule.jurisdictions),
                        ("entities", rule.entities),
                        ("categories", rule.categories),
                    )
                    if v is not None
                ]
                regulations.append({"regulation": rule.regulation, "because": ", ".join(why) or "any finding"})
        return {
            "policy": policy.name,
            "policy_version": self.engine.version,
            "columns": columns,
            "findings": [asdict(f) | {"span": f.span()} for f in findings],
            "jurisdictions": {
                "result": audit["jurisdictions"],
                "combine": rules.combine,
                "precedence": list(rules.evidence),
                "evidence": [
                    {
                        "country": e.country,
                        "source": e.source,
                        "column": e.leaf,
                        "rank": rules.evidence.index(e.source) + 1,
                    }
                    for e in used
                ],
                "blocs": blocs,
            },
            "sensitivity": {
                "result": audit["sensitivity"],
                "entity_levels": levels,
                "special_categories": audit["special_categories"],
                "default": policy.sensitivity.default,
            },
            "regulations": regulations,
            "route": {
                "destination": audit["route"],
                "zone": audit["zone"],
                "rule_id": audit["rule_id"],
                "reason": audit["reason"],
                "rules_tried": [
                    {
                        "rule_id": t.rule_id,
                        "to": t.to,
                        "matched": t.matched,
                        "checks": [asdict(c) for c in t.checks],
                    }
                    for t in tried
                ],
                "default": policy.routes.default,
                "on_error": policy.routes.on_error,
            },
            "masking": {"profile": profile_name, "key_id": audit["key_id"], "columns": masking},
            "notes": notes,
            "show_values": self.show_values,
        }


def _at(value: object, path: tuple[str, ...]) -> object:
    """The leaf's value(s) inside a nested cell: only what that leaf holds, not its siblings."""
    if not path or value is None:
        return value
    head, rest = path[0], path[1:]
    if head == LIST_MARK:
        return [_at(v, rest) for v in value] if isinstance(value, list) else None
    return _at(value.get(head), rest) if isinstance(value, dict) else None


def _shown(value: object) -> object:
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def explain_record(pipeline: Pipeline, record: dict[str, Any], *, show_values: bool = False) -> dict[str, Any]:
    """The full explanation of one record as plain data (what `--format json` prints)."""
    return _Explainer(pipeline, show_values).explain(record)


def _fmt(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def render(report: dict[str, Any]) -> str:
    """The explanation as a steward reads it."""
    out = [f"govflow explain: policy {report['policy']!r} version {report['policy_version'][:12]}"]
    out.append("columns:")
    for c in report["columns"]:
        out.append(f"  {c['column']:<22} {c['profile']}")
    hidden = "" if report["show_values"] else " (values hidden; --show-values shows them)"
    out.append(f"findings{hidden}:")
    if not report["findings"]:
        out.append("  none")
    for f in report["findings"]:
        country = f" country {f['country']}" if f["country"] else ""
        context = f"; context: {', '.join(f['context'])}" if f["context"] else ""
        out.append(
            f"  {f['column']:<22} {f['span']:<28} score {f['score']:.2f}  {f['recognizer']}{country}"
            f"  ({f['how']}{context})"
        )
    j = report["jurisdictions"]
    out.append(f"jurisdictions: {_fmt(j['result']) if j['result'] else 'none'}")
    out.append(f"  evidence, strongest first ({' > '.join(j['precedence'])}; combine: {j['combine']}):")
    for e in j["evidence"]:
        out.append(f"    {e['rank']}. {e['country']} by {e['source']} in {e['column']}")
    if not j["evidence"]:
        out.append("    none")
    if j["blocs"]:
        out.append(f"  blocs: {_fmt(j['blocs'])}")
    s = report["sensitivity"]
    levels = ", ".join(f"{e} {lvl}" for e, lvl in s["entity_levels"].items()) or f"no findings: default {s['default']}"
    out.append(f"sensitivity: {s['result']}  (highest of: {levels})")
    if s["special_categories"]:
        out.append(f"  special categories: {_fmt(s['special_categories'])} (take the top level)")
    out.append(
        "regulations: " + (", ".join(f"{r['regulation']} ({r['because']})" for r in report["regulations"]) or "none")
    )
    r = report["route"]
    out.append(f"route: {r['destination']} (zone {r['zone']}) by rule {r['rule_id']}")
    if r["rule_id"] == "on_error":
        out.append(f"  on_error because: {r['reason']} (route rules below are what would have applied)")
    for t in r["rules_tried"]:
        verdict = "MATCH" if t["matched"] else "no"
        checks = (
            "; ".join(
                f"{c['field']} wants {_fmt(c['wanted'])}, has {_fmt(c['have'])} {'ok' if c['holds'] else 'FAILS'}"
                for c in t["checks"]
            )
            or "empty condition: matches everything"
        )
        out.append(f"  {verdict:<5} {t['rule_id']} -> {t['to']}: {checks}")
    if not any(t["matched"] for t in r["rules_tried"]):
        out.append(f"  no rule matched: default -> {r['default']}")
    m = report["masking"]
    if m["profile"] is None:
        out.append(f"masking: none ({r['destination']} keeps records whole)")
    else:
        out.append(f"masking: profile {m['profile']!r}, key id {m['key_id'] or '-'}")
        for c in m["columns"]:
            output = "null (the column's type cannot hold a token)" if c["output"] is None else repr(c["output"])
            shown = f" -> {output}" if c["masked"] else " (not masked)"
            out.append(f"  {c['column']:<22} {'; '.join(c['operators'])}{shown}")
    for note in report["notes"]:
        out.append(f"note: {note}")
    return "\n".join(out)
