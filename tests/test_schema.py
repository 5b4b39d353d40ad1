"""The JSON Schema, the generated reference page and the steward guide stay true to the models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

import govflow
from conftest import REPO, run_cli
from govflow.policy.checks import CODES, validate_path
from govflow.policy.schema import REFERENCE_PATH, SCHEMA_PATH, documented_models, reference_markdown, render_schema

GUIDE = REPO / "docs" / "rules.md"
REGENERATE = {
    SCHEMA_PATH: f"govflow schema --out {SCHEMA_PATH}",
    REFERENCE_PATH: f"govflow schema --format markdown --out {REFERENCE_PATH}",
}


def validator() -> Draft202012Validator:
    schema = json.loads((REPO / SCHEMA_PATH).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def load_yaml(text: str) -> object:
    return YAML(typ="safe").load(text)


@pytest.mark.parametrize(("path", "fresh"), [(SCHEMA_PATH, render_schema), (REFERENCE_PATH, reference_markdown)])
def test_committed_copy_is_in_sync_with_the_models(path: str, fresh: object) -> None:
    committed = (REPO / path).read_text(encoding="utf-8")
    assert committed == fresh(), f"{path} is stale: regenerate it with `{REGENERATE[path]}`"  # type: ignore[operator]


def test_every_key_has_a_description_in_the_reference() -> None:
    reference = reference_markdown()
    for model, _ in documented_models():
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert f"| `{name}` |" in reference


def test_cli_prints_the_committed_schema_and_reference() -> None:
    proc = run_cli("schema")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (REPO / SCHEMA_PATH).read_text()
    markdown = run_cli("schema", "--format", "markdown")
    assert markdown.stdout == (REPO / REFERENCE_PATH).read_text()


@pytest.mark.parametrize("rule_file", sorted((REPO / "rules").glob("*.yaml")), ids=lambda p: p.name)
def test_default_pack_files_point_at_the_schema_and_satisfy_it(rule_file: Path) -> None:
    first = rule_file.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, f"{rule_file.name} does not start with the yaml-language-server schema line"
    assert (rule_file.parent / match[1]).resolve() == (REPO / SCHEMA_PATH).resolve()
    errors = [e.message for e in validator().iter_errors(load_yaml(rule_file.read_text()))]
    assert errors == []


def test_schema_accepts_partial_files_and_shorthand_and_refuses_mistakes() -> None:
    check = validator()
    assert check.is_valid({"extend": "default", "masking": {"p": {"entities": {"PERSON": "token"}}}})
    assert check.is_valid({"sensitivity": {"entities": {"X": "restricted"}}})
    wrong = [
        {"routes": {"default": "x", "rules": [{"id": "a", "when": {"special_categry": True}, "to": "s"}]}},
        {"destinations": {"d": {"zone": "abroad"}}},
        {"masking": {"p": {"entities": {"PERSON": "tokenise"}}}},
        {"settings": {"score_threshold": 2}},
        {"routez": {}},
    ]
    for document in wrong:
        assert not check.is_valid(document), document


# -- docs/rules.md: every YAML snippet is checked --------------------------------------------------------

SNIPPET = re.compile(r"(?:<!-- validate:(?P<codes>[^>]*)-->\n)?```yaml\n(?P<body>.*?)```", re.S)


def guide_snippets() -> list[tuple[list[str] | None, str, dict[str, str]]]:
    """(expected warning codes, the snippet, the worked example's files so far, this one included)."""
    out = []
    example: dict[str, str] = {}
    for m in SNIPPET.finditer(GUIDE.read_text()):
        name = re.match(r"# acme-rules/(\S+\.yaml)", m["body"])
        if name:
            example = {**example, name[1]: m["body"]}
        out.append((None if m["codes"] is None else m["codes"].split(), m["body"], example if name else {}))
    return out


def test_guide_has_snippets_and_each_says_what_validate_reports() -> None:
    snippets = guide_snippets()
    assert len(snippets) >= 5
    unmarked = [body.splitlines()[0] for codes, body, _ in snippets if codes is None]
    assert unmarked == [], "mark each yaml block with <!-- validate: expected warning codes -->"


@pytest.mark.parametrize(
    ("codes", "body", "files"), guide_snippets(), ids=lambda v: v.splitlines()[0] if isinstance(v, str) else ""
)
def test_guide_snippet_validates(tmp_path: Path, codes: list[str], body: str, files: dict[str, str]) -> None:
    """Each snippet satisfies the schema, and `validate` finds no error and exactly the warnings the guide
    expects (a step of the worked example together with the steps before it)."""
    assert body.startswith("# ") and "extend: default" in body
    assert [e.message for e in validator().iter_errors(load_yaml(body))] == []
    for name, text in (files or {"snippet.yaml": body}).items():
        (tmp_path / name).write_text(text)
    report = validate_path(tmp_path)
    assert report.errors == [], [i.render() for i in report.errors]
    assert sorted({i.code for i in report.warnings}) == sorted(codes), [i.render() for i in report.warnings]


def test_guide_lists_every_validate_code() -> None:
    guide = GUIDE.read_text()
    missing = [code for code in CODES if f"| `{code}` |" not in guide]
    assert missing == []


def test_worked_example_detects_tags_and_routes_a_new_zealand_record(tmp_path: Path) -> None:
    """The guide's three final files, together: the recognizer finds a valid IRD number (and only a valid
    one), the record is in NZ and ANZ with the new regulation, and it reaches the research partner masked."""
    for name, body in guide_snippets()[-1][2].items():
        (tmp_path / name).write_text(body)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["60-nz.yaml", "61-nz-ird.yaml", "62-research.yaml"]
    assert validate_path(tmp_path).errors == []
    person = {"name": "Aroha Ngata", "country": "NZ", "date_of_birth": "1984-03-02", "postcode": "6011"}
    frame = pd.DataFrame(
        [{**person, "ird_number": "49-091-850"}, {**person, "ird_number": "49-091-851"}]  # valid, bad check digit
    )
    result = govflow.Pipeline.from_rules(tmp_path).run(frame)
    table = result.table.to_pylist()
    assert "NZ_IRD" in table[0]["gov_entities"] and "NZ_IRD" not in table[1]["gov_entities"]
    for row in table:
        assert {"NZ", "ANZ"} <= set(row["gov_jurisdictions"])
        assert "NZ-PRIVACY-ACT" in row["gov_regulations"]
        assert row["gov_route"] == "research-partner"
        assert row["name"] != person["name"] and row["date_of_birth"] == "1984"
    assert table[0]["ird_number"] == ""  # the research profile redacts what it does not name
    audit = result.audit.to_pylist()
    assert audit[0]["rule_id"] == "anz-to-research"
    assert any(e.startswith("NZ by national_id") for e in audit[0]["evidence"])
