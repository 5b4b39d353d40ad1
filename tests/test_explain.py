"""`govflow explain` and the route trace behind it."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TEST_KEY_HEX, run_cli
from govflow.policy.models import Policy
from govflow.route.decide import DEFAULT_RULE, RecordTags, decide, trace
from govflow.steward.explain import explain_record, render
from govflow.tag.sensitivity import SensitivityRules

RECORD = {
    "order_id": "ORD-100234",
    "customer_name": "Anna Schmidt",
    "email": "anna.schmidt@example.de",
    "iban": "DE18 1122 4817 1536 5997 91",
    "country": "DE",
    "notes": "Spoke to Anna Schmidt, call back on 0176 36917440 about her NHS number 943 476 5919",
}
RAW = ["Anna Schmidt", "anna.schmidt@example.de", "DE18 1122 4817 1536 5997 91", "36917440", "943 476 5919"]

_POLICY = Policy.model_validate(
    {
        "destinations": {
            "home": {"zone": "sovereign"},
            "q": {"zone": "quarantine"},
            "out": {"zone": "external", "masking": "m"},
        },
        "masking": {"m": {}},
        "routes": {
            "rules": [
                {
                    "id": "hi",
                    "when": {"sensitivity_at_least": "restricted", "jurisdictions_any": ["RU", "CN"]},
                    "to": "home",
                },
                {"id": "cat", "when": {"special_category": True, "categories_any": ["health"]}, "to": "home"},
                {"id": "none", "when": {"has_findings": False}, "to": "out"},
                {
                    "id": "reg",
                    "when": {"regulations_any": ["GDPR"], "entities_any": ["IBAN_CODE", "PERSON"]},
                    "to": "q",
                },
                {"id": "conf", "when": {"sensitivity_at_least": "confidential"}, "to": "home"},
            ],
            "default": "out",
            "on_error": "q",
        },
    }
)
_LEVELS = _POLICY.sensitivity.levels


@settings(max_examples=300, deadline=None)
@given(
    level=st.sampled_from(_LEVELS),
    categories=st.lists(st.sampled_from(["health", "religion"]), max_size=2, unique=True),
    jurisdictions=st.lists(st.sampled_from(["RU", "CN", "DE", "EU"]), max_size=3, unique=True),
    regulations=st.lists(st.sampled_from(["GDPR", "PIPL"]), max_size=2, unique=True),
    entities=st.lists(st.sampled_from(["IBAN_CODE", "PERSON", "EMAIL_ADDRESS"]), max_size=3, unique=True),
)
def test_trace_agrees_with_decide(level, categories, jurisdictions, regulations, entities) -> None:
    tags = RecordTags(level, categories, jurisdictions, regulations, entities)
    sensitivity = SensitivityRules(_POLICY.sensitivity)
    destination, rule = decide(_POLICY, sensitivity, tags)
    tried = trace(_POLICY, sensitivity, tags)
    assert all(not t.matched for t in tried[:-1])
    if rule == DEFAULT_RULE:
        assert not any(t.matched for t in tried) and len(tried) == len(_POLICY.routes.rules)
    else:
        assert tried[-1].matched and (tried[-1].rule_id, tried[-1].to) == (rule, destination)
    for t in tried:  # every field a rule names is reported, not just the first that fails
        rule_spec = next(r for r in _POLICY.routes.rules if r.id == t.rule_id)
        assert {c.field for c in t.checks} == set(rule_spec.when.model_dump(exclude_none=True))


def test_explain_reports_findings_evidence_rules_and_masking(default_pipeline) -> None:
    report = explain_record(default_pipeline, RECORD)
    text = render(report)
    for raw in RAW:
        assert raw not in text and raw not in json.dumps(report)
    assert TEST_KEY_HEX not in text
    findings = {(f["column"], f["entity"]): f for f in report["findings"]}
    assert findings[("customer_name", "PERSON")]["span"] == "[PERSON 0:12]"
    assert findings[("iban", "IBAN_CODE")]["country"] == "DE"
    assert "iban" in findings[("iban", "IBAN_CODE")]["context"]  # the column name is the context word
    nhs = findings[("notes", "UK_NHS")]
    assert nhs["context"] and nhs["context"][0].startswith("nhs (+")  # Presidio's decision process
    assert findings[("notes", "PHONE_NUMBER")]["recognizer"] == "record_region_phone"
    evidence = report["jurisdictions"]["evidence"]
    assert evidence[0] == {"country": "DE", "source": "declared", "column": "country", "rank": 1}
    assert {"country": "GB", "source": "national_id", "column": "notes", "rank": 2} in evidence
    assert report["jurisdictions"]["result"] == ["DE", "EEA", "EU", "GB"]
    route = report["route"]
    assert (route["destination"], route["rule_id"]) == ("external", "default")
    ru = next(t for t in route["rules_tried"] if t["rule_id"] == "ru-localisation")
    assert not ru["matched"]
    assert {"field": "jurisdictions_any", "wanted": ["RU"], "have": ["DE", "EEA", "EU", "GB"], "holds": False} in ru[
        "checks"
    ]
    masking = {m["column"]: m for m in report["masking"]["columns"]}
    assert masking["iban"]["operators"] == ['IBAN_CODE -> fpe {"checksum": "iban"}']
    assert masking["customer_name"]["output"].startswith("PERSON:")
    assert report["masking"]["key_id"].startswith("default:")
    assert report["notes"] == []  # the re-derived findings agree with the engine
    assert "no rule matched: default -> external" in text
    assert "UK_NHS -> token (profile default)" in text


def test_show_values_and_sovereign_route(default_pipeline) -> None:
    record = {"customer_name": "Ivan Petrov", "email": "ivan.petrov@example.ru", "country": "RU"}
    hidden = render(explain_record(default_pipeline, record))
    assert "Ivan Petrov" not in hidden and "ivan.petrov@example.ru" not in hidden
    assert "MATCH ru-localisation -> sovereign" in hidden
    assert "masking: none (sovereign keeps records whole)" in hidden
    shown = render(explain_record(default_pipeline, record, show_values=True))
    assert "'Ivan Petrov'" in shown


def test_explain_cli(tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    record.write_text(json.dumps(RECORD) + "\n")
    done = run_cli("explain", str(record), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["route"]["destination"] == "external"
    assert all(raw not in done.stdout for raw in RAW)
    two = tmp_path / "two.jsonl"
    two.write_text(json.dumps(RECORD) + "\n" + json.dumps(RECORD) + "\n")
    done = run_cli("explain", str(two))
    assert done.returncode == 2 and "explain takes one record" in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    done = run_cli("explain", str(bad))
    assert done.returncode == 2 and "one JSON object" in done.stderr
