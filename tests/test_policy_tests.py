"""`govflow test`: the default pack's own policy tests pass, a broken pack fails them with a readable diff,
and a bad test file is refused with file:line."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import REPO, run_cli
from govflow.datagen import COUNTRIES
from govflow.policy.errors import PolicyError
from govflow.policy.loader import load_policy, rule_files
from govflow.steward.policy_tests import find_case_files, load_all, load_cases, run_policy_tests

RULES = REPO / "rules"
TESTS = RULES / "tests"


def _cases() -> list[dict]:
    return [c for f in sorted(TESTS.glob("*.test.yaml")) for c in YAML(typ="safe").load(f.read_text())["cases"]]


def test_default_pack_passes_its_own_tests() -> None:
    done = run_cli("test", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    passed = int(re.match(r"(\d+) cases: (\d+) passed, 0 failed", summary).group(2))  # type: ignore[union-attr]
    assert passed == len(_cases())
    assert "FAIL" not in done.stdout


def test_prose_pack_passes_its_own_tests_by_name_and_validates_clean() -> None:
    done = run_cli("test", "prose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"(\d+) cases: \1 passed, 0 failed", done.stdout)
    checked = run_cli("validate", "prose", "--format", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '"errors": 0' in checked.stdout and '"valid": true' in checked.stdout


def test_shipped_tests_cover_every_route_rule_and_country() -> None:
    policy = load_policy(RULES)
    cases = _cases()
    expected_rules = {c["expect"].get("rule_id") for c in cases}
    assert {r.id for r in policy.routes.rules} | {"default", "on_error"} <= expected_rules
    routes = {c["expect"].get("route") for c in cases}
    assert set(policy.destinations) <= routes
    single = [c for c in cases if "record" in c and len(c["record"]) == 1]
    for country in COUNTRIES:  # a national ID and a phone number alone are each enough to tag the country
        for column in ("national_id", "phone"):
            assert any(
                column in c["record"] and set(c["expect"]["jurisdictions"]) - {"EU", "EEA"} == {country} for c in single
            ), (country, column)


# python-stdnum modules that check the national IDs in countries.test.yaml independently of govflow.
_STDNUM = {
    "UK_NHS": "gb.nhs",
    "US_SSN": "us.ssn",
    "CA_SIN": "ca.sin",
    "DE_TAX_ID": "de.idnr",
    "FR_NIR": "fr.nir",
    "ES_NIF": "es.dni",
    "IT_FISCAL_CODE": "it.codicefiscale",
    "NL_BSN": "nl.bsn",
    "PL_PESEL": "pl.pesel",
    "BR_CPF": "br.cpf",
    "CN_RESIDENT_ID": "cn.ric",
    "RU_INN": "ru.inn",
    "IN_AADHAAR": "in_.aadhaar",
    "KR_RRN": "kr.rrn",
    "AU_TFN": "au.tfn",
    "ZA_ID": "za.idnr",
    "CH_AHV": "ch.ssn",
}


def test_country_values_are_checksum_valid() -> None:
    checked = 0
    for case in _cases():
        record, entities = case.get("record") or {}, case["expect"].get("entities")
        if "iban" in record:
            assert importlib.import_module("stdnum.iban").is_valid(record["iban"]), case["name"]
            checked += 1
        if "national_id" in record and isinstance(entities, list) and len(entities) == 1:
            module = _STDNUM.get(entities[0])
            if module:
                assert importlib.import_module(f"stdnum.{module}").is_valid(record["national_id"]), case["name"]
                checked += 1
    assert checked >= 25


def test_loader_ignores_the_tests_folder() -> None:
    files = rule_files(RULES)
    assert files and not any("tests" in f.relative_to(RULES).parts or f.name.endswith(".test.yaml") for f in files)


@pytest.fixture(scope="module")
def broken_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default pack without the Russian localisation rule, and keeping card numbers in the clear."""
    pack = tmp_path_factory.mktemp("broken") / "rules"
    shutil.copytree(RULES, pack)
    routes = pack / "50-routes.yaml"
    text = routes.read_text()
    start, end = text.index("    - id: ru-localisation"), text.index("    - id: cn-localisation")
    routes.write_text(text[:start] + text[end:])
    masking = pack / "40-destinations.yaml"
    text = masking.read_text()
    card = 'CREDIT_CARD: {operator: mask, params: {masking_char: "*", chars_to_mask: 100, from_end: false}}'
    assert card in text
    masking.write_text(text.replace(card, "CREDIT_CARD: keep"))
    return pack


def test_broken_pack_fails_with_a_diff_and_no_raw_values(broken_pack: Path) -> None:
    done = run_cli("test", str(broken_pack))
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "FAIL  a Russian customer's personal data stays in Russia" in out
    assert "route: expected 'sovereign', got 'external'" in out
    assert "rule_id: expected 'ru-localisation', got 'default'" in out
    # kept card numbers are stopped by the egress gate: the test says where they went and why
    assert "route: expected 'external', got 'quarantine'" in out
    assert "went to on_error because: egress gate: CREDIT_CARD still detected in 'card_number'" in out
    assert "masked.card_number: expected matches /\\*+/, got <the input, unchanged>" in out
    assert re.search(r"\d+ cases: \d+ passed, 6 failed", out)
    # no input value of a failing case is echoed; the masked output (a token) is
    for raw in ("Ivan Petrov", "ivan.petrov@example.ru", "4434 1598 1483 6088", "Anna Schmidt"):
        assert raw not in out
    assert re.search(r"masked\.customer_name: expected unchanged, got 'PERSON:[0-9a-f]{16}'", out)
    assert f"{broken_pack}/tests/routes.test.yaml:" in out


def test_show_values_prints_the_input(broken_pack: Path, default_pipeline) -> None:
    cases = [c for c in load_cases(broken_pack / "tests" / "routes.test.yaml") if "German customer" in c.case.name]
    broken = type(default_pipeline)(load_policy(broken_pack))
    hidden = run_policy_tests(broken, cases).render()
    shown = run_policy_tests(broken, cases, show_values=True).render()
    assert "4434 1598 1483 6088" not in hidden
    assert "<the input, unchanged> '4434 1598 1483 6088'" in shown


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.test.yaml"
    path.write_text(text)
    return path


def test_bad_test_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cases:\n"
        "  - name: typo\n"
        '    record: {email: "a@example.com"}\n'
        "    expect:\n"
        "      rout: external\n"
        "      jurisdictions: {include: [DE]}\n"
        "      masked: {email: {changed: true, matches: x}}\n"
        "  - name: no input\n"
        "    expect: {route: external}\n",
    )
    with pytest.raises(PolicyError) as caught:
        load_all([path])
    rendered = [i.render() for i in caught.value.issues]
    assert f"{path}:5:7: cases[0].expect.rout: unknown key 'rout' (did you mean 'route'?)" in rendered
    assert any(r.startswith(f"{path}:6:") and "'include' (did you mean 'includes'?)" in r for r in rendered)
    assert any(r.startswith(f"{path}:7:") and "exactly one of" in r for r in rendered)
    assert any(r.startswith(f"{path}:8:") and "exactly one of record, records, file" in r for r in rendered)
    done = run_cli("test", str(RULES), "--tests", str(path))
    assert done.returncode == 2
    assert f"{path}:5:7" in done.stderr


def test_missing_tests_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        find_case_files(tmp_path)


def test_matchers(tmp_path: Path, default_pipeline) -> None:
    path = _write(
        tmp_path,
        """cases:
  - name: all good
    records:
      - {customer_name: "Ana Lima", iban: "BR3110097498924623263734963C1", date_of_birth: 1990-01-02}
      - {customer_name: "Rui Costa", iban: "BR3110097498924623263734963C1", date_of_birth: 1991-05-06}
    expect:
      jurisdictions: {includes: [BR], excludes: [PT]}
      regulations: [LGPD]
      masked:
        customer_name: {matches: 'PERSON:[0-9a-f]{16}'}
        iban: {changed: true}
        date_of_birth: {is_null: true}
  - name: all wrong
    record: {customer_name: "Ana Lima", country: "BR"}
    expect:
      jurisdictions: {includes: [PT], excludes: [BR]}
      entities: [EMAIL_ADDRESS]
      masked: {customer_name: "Ana Lima", country: {changed: true}, nope: {unchanged: true}}
  - name: out of range
    record: {customer_name: "Ana Lima"}
    check_records: [3]
    expect: {route: external}
""",
    )
    results = run_policy_tests(default_pipeline, load_all([path])).results
    assert results[0].passed, results[0].mismatches
    wrong = {(m.field, m.expected, m.actual) for m in results[1].mismatches}
    assert ("jurisdictions", "includes ['PT']", "['BR'] (missing ['PT'])") in wrong
    assert ("jurisdictions", "excludes ['BR']", "['BR'] (has ['BR'])") in wrong
    assert ("entities", "['EMAIL_ADDRESS']", "['PERSON']") in wrong
    assert ("masked.country", "changed", "<the input, unchanged>") in wrong
    assert ("masked.nope", "a column of the input", "no such column") in wrong
    assert any(f == "masked.customer_name" and a.startswith("'PERSON:") for f, _, a in wrong)
    assert results[2].error and "no record 3" in results[2].error


def test_profile_expectations_and_unrunnable_cases(tmp_path: Path, default_pipeline) -> None:
    path = _write(
        tmp_path,
        """cases:
  - name: profile
    record: {remarks_x: "short", foo: "Anna Lima"}
    profile: {remarks_x: {mode: structured}, foo: {mode: text, entity: PERSON}, fooo: {mode: text}}
    expect: {route: external}
  - name: mixed types
    records: [{a: 1}, {a: "Anna Lima"}]
    expect: {route: external}
""",
    )
    profile, mixed = run_policy_tests(default_pipeline, load_all([path])).results
    got = {(m.field, m.expected, m.actual) for m in profile.mismatches}
    assert ("profile.remarks_x.mode", "structured", "text (column name hints free text)") in got
    assert ("profile.foo.mode", "text", "structured (short values)") in got
    assert ("profile.fooo", "a scanned column", "not scanned (did you mean 'foo'?)") in got
    assert mixed.error and "ArrowInvalid" in mixed.error and "Anna Lima" not in mixed.error
