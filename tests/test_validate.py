"""`govflow validate`: schema errors and semantic checks on the default pack and on broken copies of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, run_cli
from govflow.policy.checks import Conditions, validate_path
from govflow.policy.errors import PolicyIssue
from govflow.policy.loader import load_policy
from govflow.policy.models import RouteCondition, RouteRule, Routes
from govflow.route.decide import RecordTags, decide
from govflow.tag.sensitivity import SensitivityRules

RU_RULE = """    - id: ru-localisation
      description: >-
        152-FZ Art. 18(5) (as amended by 242-FZ): personal data of Russian citizens is recorded and stored
        in databases located in Russia.
      when: {jurisdictions_any: [RU], has_findings: true}
      to: sovereign
"""
SPECIAL_RULE = """    - id: special-category-stays-home
      description: >-
        Special-category data (GDPR Art. 9, UK GDPR Art. 9, LGPD Art. 11, PIPL Art. 28-29, APPI Art. 2(3),
        PIPA Art. 23, POPIA s. 26) stays on premises, unmasked.
      when: {special_category: true}
      to: sovereign
"""


def broken_copy(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    """The default pack copied to tmp_path with (file, old, new) text replacements, each found exactly once."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    for name, old, new in edits:
        path = rules / name
        text = path.read_text()
        assert text.count(old) == 1, (name, old)
        path.write_text(text.replace(old, new))
    return rules


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def only(issues: list[PolicyIssue], code: str) -> PolicyIssue:
    found = [i for i in issues if i.code == code]
    assert len(found) == 1, [i.render() for i in issues]
    return found[0]


def test_default_pack_has_no_errors_and_one_reviewed_warning() -> None:
    report = validate_path(REPO / "rules")
    assert report.errors == []
    # The pack sends restricted identifiers (tokenised, FPE or masked) to the external cloud by design.
    assert [i.code for i in report.warnings] == ["restricted-to-external"]
    warning = report.warnings[0]
    assert warning.field == "routes.default"
    assert warning.line == line_of(REPO / "rules" / "50-routes.yaml", "  default: external")
    assert "masked there by profile 'external'" in warning.message


def test_cli_default_pack_ok_and_strict_fails_on_its_warning() -> None:
    proc = run_cli("validate", str(REPO / "rules"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK ") and "0 error(s), 1 warning(s)" in proc.stdout
    assert "warning[restricted-to-external]: routes.default:" in proc.stderr
    assert "hint: " in proc.stderr
    strict = run_cli("validate", "--strict", str(REPO / "rules"))
    assert strict.returncode == 1
    assert "FAILED" in strict.stderr and "--strict" in strict.stderr


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("validate", str(tmp_path / "missing")).returncode == 2
    assert run_cli("validate", str(REPO / "rules"), "--format", "xml").returncode == 2


def test_schema_errors_show_line_value_and_suggestion(tmp_path: Path) -> None:
    rules = broken_copy(
        tmp_path,
        ("00-detection.yaml", "  score_threshold: 0.5", "  score_threshold: high"),
        ("00-detection.yaml", "  language: en", "  languag: en"),
    )
    proc = run_cli("validate", "--format", "json", str(rules))
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["valid"] is False and report["policy"] is None and report["errors"] == 2
    by_code = {i["code"]: i for i in report["issues"]}
    value = by_code["invalid-value"]
    assert value["field"] == "settings.score_threshold" and "(got 'high')" in value["message"]
    assert value["line"] == line_of(rules / "00-detection.yaml", "score_threshold") and value["column"] == 3
    key = by_code["unknown-key"]
    assert key["field"] == "settings.languag" and "did you mean 'language'?" in key["message"]


def test_model_errors_carry_codes(tmp_path: Path) -> None:
    rules = broken_copy(tmp_path, ("50-routes.yaml", "  default: external", "  default: extrenal"))
    report = validate_path(rules)
    issue = only(report.errors, "undefined-destination")
    assert issue.field == "routes.default" and "did you mean 'external'?" in issue.message
    assert issue.line == line_of(rules / "50-routes.yaml", "default: extrenal")


BROKEN = [
    pytest.param(
        [
            (
                "10-sensitivity.yaml",
                "    IBAN_CODE: restricted\n",
                "    IBAN_CODE: restricted\n    CREDIT_CRAD: restricted\n",
            )
        ],
        "unknown-entity",
        "warning",
        "sensitivity.entities.CREDIT_CRAD",
        ("10-sensitivity.yaml", "CREDIT_CRAD"),
        "did you mean 'CREDIT_CARD'?",
        id="unknown-entity",
    ),
    pytest.param(
        [("40-destinations.yaml", "      LOCATION: replace\n", "      LOCATION: replace\n      DATE_TIME: redact\n")],
        "ignored-entity",
        "warning",
        "masking.external.entities.DATE_TIME",
        ("40-destinations.yaml", "DATE_TIME: redact"),
        "ignore_entities",
        id="ignored-entity",
    ),
    pytest.param(
        [("50-routes.yaml", "jurisdictions_any: [RU]", "jurisdictions_any: [RU, UK]")],
        "unknown-jurisdiction",
        "warning",
        "routes.rules[1].when.jurisdictions_any[1]",
        ("50-routes.yaml", "[RU, UK]"),
        "did you mean 'GB'?",
        id="unknown-jurisdiction",
    ),
    pytest.param(
        [("50-routes.yaml", "[RBI-PAYMENT-LOCALISATION]", "[RBI-PAYMENT-LOCALIZATION]")],
        "unknown-regulation",
        "warning",
        "routes.rules[3].when.regulations_any[0]",
        ("50-routes.yaml", "RBI-PAYMENT-LOCALIZATION"),
        "did you mean 'RBI-PAYMENT-LOCALISATION'?",
        id="unknown-regulation",
    ),
    pytest.param(
        [("50-routes.yaml", "{special_category: true}", "{categories_any: [helth]}")],
        "unknown-category",
        "warning",
        "routes.rules[0].when.categories_any[0]",
        ("50-routes.yaml", "[helth]"),
        "did you mean 'health'?",
        id="unknown-category",
    ),
    pytest.param(
        [
            (
                "50-routes.yaml",
                "  default: external\n",
                "    - id: cn-people-to-cloud\n      when: {jurisdictions_any: [CN], entities_any: [PERSON]}\n"
                "      to: external\n  default: external\n",
            )
        ],
        "rule-shadowed",
        "error",
        "routes.rules[4]",
        ("50-routes.yaml", "id: cn-people-to-cloud"),
        "caught first by rule 'cn-localisation'",
        id="shadowed-other-destination",
    ),
    pytest.param(
        [
            (
                "50-routes.yaml",
                "  default: external\n",
                "    - id: eu-health\n      when: {jurisdictions_any: [DE, FR], categories_any: [health]}\n"
                "      to: sovereign\n  default: external\n",
            )
        ],
        "rule-shadowed",
        "warning",
        "routes.rules[4]",
        ("50-routes.yaml", "id: eu-health"),
        "caught first by rule 'special-category-stays-home'",
        id="shadowed-same-destination",
    ),
    pytest.param(
        [
            (
                "50-routes.yaml",
                "{jurisdictions_any: [CN], has_findings: true}",
                "{has_findings: false, entities_any: [PERSON]}",
            )
        ],
        "rule-never-matches",
        "warning",
        "routes.rules[2]",
        ("50-routes.yaml", "id: cn-localisation"),
        "has_findings: false",
        id="never-matches",
    ),
    pytest.param(
        [("50-routes.yaml", "{special_category: true}", "{}")],
        "default-unreachable",
        "warning",
        "routes.default",
        ("50-routes.yaml", "  default: external"),
        "matches every record",
        id="default-unreachable",
    ),
    pytest.param(
        [("40-destinations.yaml", "      PERSON: token\n", "      PERSON: keep\n")],
        "external-keeps-raw",
        "error",
        "masking.external.entities.PERSON",
        ("40-destinations.yaml", "PERSON: keep"),
        "keeps PERSON unmasked",
        id="keep-for-external",
    ),
    pytest.param(
        [("50-routes.yaml", SPECIAL_RULE, "")],
        "special-category-to-external",
        "warning",
        "routes.default",
        ("50-routes.yaml", "  default: external"),
        "special category",
        id="special-category-external",
    ),
    pytest.param(
        [("50-routes.yaml", RU_RULE, "")],
        "localisation-to-external",
        "warning",
        "routes.default",
        ("50-routes.yaml", "  default: external"),
        "RU personal data, which 152-FZ Art. 18(5)",
        id="localisation-external",
    ),
    pytest.param(
        [("50-routes.yaml", "  on_error: quarantine", "  on_error: sovereign")],
        "on-error-not-quarantine",
        "warning",
        "routes.on_error",
        ("50-routes.yaml", "on_error: sovereign"),
        "sovereign destination",
        id="on-error-sovereign",
    ),
    pytest.param(
        [("00-detection.yaml", "    - SpacyRecognizer\n", "    - SpacyRecognizer\n    - EmailRecogniser\n")],
        "unknown-recognizer",
        "error",
        "recognizers.presidio[4]",
        ("00-detection.yaml", "EmailRecogniser"),
        "did you mean 'EmailRecognizer'?",
        id="unknown-recognizer",
    ),
    pytest.param(
        [
            (
                "40-destinations.yaml",
                "{operator: generalize, params: {kind: year}}",
                "{operator: generalize, params: {kind: decade}}",
            )
        ],
        "invalid-operator-params",
        "error",
        "masking.external.entities.DATE_OF_BIRTH",
        ("40-destinations.yaml", "kind: decade"),
        "generalize",
        id="operator-params",
    ),
]


@pytest.mark.parametrize(("edits", "code", "severity", "field", "where", "says"), BROKEN)
def test_each_check_fires_on_a_broken_copy(
    tmp_path: Path,
    edits: list[tuple[str, str, str]],
    code: str,
    severity: str,
    field: str,
    where: tuple[str, str],
    says: str,
) -> None:
    rules = broken_copy(tmp_path, *edits)
    report = validate_path(rules)
    assert report.policy is not None, [i.render() for i in report.issues]
    issue = only(report.issues, code)
    assert (issue.severity, issue.field) == (severity, field)
    assert issue.file == str(rules / where[0])
    assert issue.line == line_of(rules / where[0], where[1])
    assert says in issue.message
    assert issue.hint


def test_broken_copy_json_lists_every_issue_and_exits_1(tmp_path: Path) -> None:
    rules = broken_copy(
        tmp_path,
        (
            "10-sensitivity.yaml",
            "    IBAN_CODE: restricted\n",
            "    IBAN_CODE: restricted\n    CREDIT_CRAD: restricted\n",
        ),
        ("50-routes.yaml", RU_RULE, ""),
        ("50-routes.yaml", "[RBI-PAYMENT-LOCALISATION]", "[RBI-PAYMENT-LOCALIZATION]"),
        ("40-destinations.yaml", "      PERSON: token\n", "      PERSON: keep\n"),
    )
    proc = run_cli("validate", "--format", "json", str(rules))
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["valid"] is False
    codes = sorted(i["code"] for i in report["issues"])
    assert codes == sorted(
        [
            "unknown-entity",
            "external-keeps-raw",
            "unknown-regulation",
            "localisation-to-external",  # RU: its rule is gone
            "localisation-to-external",  # IN payment data: its rule names a regulation nothing tags
            "restricted-to-external",
        ]
    )
    for issue in report["issues"]:
        assert set(issue) == {"code", "severity", "file", "line", "column", "field", "message", "hint"}
        assert issue["file"].startswith(str(rules)) and isinstance(issue["line"], int)
    assert report["errors"] == 1 and report["warnings"] == 5


def test_warnings_only_pass_unless_strict(tmp_path: Path) -> None:
    rules = broken_copy(tmp_path, ("50-routes.yaml", "  on_error: quarantine", "  on_error: sovereign"))
    assert run_cli("validate", str(rules)).returncode == 0
    proc = run_cli("validate", "--strict", "--format", "json", str(rules))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["valid"] is True  # valid, yet --strict fails on its warnings


# -- the subsumption check is sound: when it says a rule implies another, no record tells them apart --------

POLICY = load_policy(REPO / "rules")
SENSITIVITY = SensitivityRules(POLICY.sensitivity)
ENTITIES = ["PERSON", "POSTCODE", "US_SSN", "HEALTH_CONDITION", "RELIGIOUS_BELIEF", "CREDIT_CARD"]
JURISDICTIONS = ["DE", "EU", "EEA", "GB", "RU", "IS"]
CATEGORIES = ["health", "religion"]
REGULATIONS = ["GDPR", "PCI-DSS", "HIPAA"]


def maybe(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | values


conditions = st.builds(
    RouteCondition,
    sensitivity_at_least=maybe(st.sampled_from(POLICY.sensitivity.levels)),
    special_category=maybe(st.booleans()),
    categories_any=maybe(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2)),
    jurisdictions_any=maybe(st.lists(st.sampled_from(JURISDICTIONS), min_size=1, max_size=2)),
    regulations_any=maybe(st.lists(st.sampled_from(REGULATIONS), min_size=1, max_size=2)),
    entities_any=maybe(st.lists(st.sampled_from(ENTITIES), min_size=1, max_size=2)),
    has_findings=maybe(st.booleans()),
)


@st.composite
def records(draw: st.DrawFn) -> RecordTags:
    from govflow.tag.jurisdiction import JurisdictionRules
    from govflow.tag.regulations import regulations_for

    entities = draw(st.lists(st.sampled_from(ENTITIES), max_size=3, unique=True))
    countries = set(draw(st.lists(st.sampled_from(["DE", "GB", "RU", "IS", "US"]), max_size=2)))
    codes = countries | JurisdictionRules(POLICY.jurisdictions).blocs_of(countries)
    categories = SENSITIVITY.categories(entities)
    return RecordTags(
        SENSITIVITY.record_level(entities),
        categories,
        sorted(codes),
        regulations_for(POLICY.regulations, codes, entities, categories),
        entities,
    )


def matches(cond: RouteCondition, tags: RecordTags) -> bool:
    policy = POLICY.model_copy(
        update={"routes": Routes(rules=[RouteRule(id="r", when=cond, to="sovereign")], default="external")}
    )
    return decide(policy, SENSITIVITY, tags)[1] == "r"


@settings(max_examples=400, deadline=None)
@given(conditions, conditions, st.lists(records(), min_size=1, max_size=20))
def test_implies_is_sound(later: RouteCondition, earlier: RouteCondition, tags: list[RecordTags]) -> None:
    reasoning = Conditions(POLICY)
    if reasoning.implies(later, earlier):
        for record in tags:
            assert not matches(later, record) or matches(earlier, record)
    if reasoning.never_matches(later) is not None:
        assert not any(matches(later, record) for record in tags)


def test_implies_proves_the_common_cases() -> None:
    reasoning = Conditions(POLICY)
    assert reasoning.implies(RouteCondition(jurisdictions_any=["DE"]), RouteCondition(jurisdictions_any=["EU"]))
    assert reasoning.implies(RouteCondition(entities_any=["US_SSN"]), RouteCondition(sensitivity_at_least="restricted"))
    assert reasoning.implies(RouteCondition(categories_any=["health"]), RouteCondition(special_category=True))
    assert reasoning.implies(RouteCondition(special_category=True), RouteCondition(has_findings=True))
    assert not reasoning.implies(RouteCondition(jurisdictions_any=["EU"]), RouteCondition(jurisdictions_any=["DE"]))
    assert not reasoning.implies(RouteCondition(), RouteCondition(has_findings=True))
