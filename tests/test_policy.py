"""Rule files: loading, merging, extend, and errors that name file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govflow import PolicyError, load_policy, policy_version
from govflow.policy.loader import bundled_rules_dir, policy_from_text, policy_to_text

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"

MINIMAL = """\
govflow: 1
name: minimal
destinations:
  home: {zone: sovereign}
  cloud: {zone: external, masking: cloud}
  hold: {zone: quarantine}
masking:
  cloud: {default: {operator: redact}}
routes:
  default: cloud
  on_error: hold
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def issues_of(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return [issue.render() for issue in info.value.issues]


def test_default_pack_loads_with_three_destinations() -> None:
    policy = load_policy(None)
    assert {name: d.zone for name, d in policy.destinations.items()} == {
        "sovereign": "sovereign",
        "external": "external",
        "quarantine": "quarantine",
    }
    assert policy.routes.default == "external"
    assert policy.routes.on_error == "quarantine"
    assert [r.id for r in policy.routes.rules][:2] == ["special-category-stays-home", "ru-localisation"]


def test_bundled_pack_is_the_repo_pack() -> None:
    assert policy_version(load_policy(bundled_rules_dir())) == policy_version(load_policy(REPO_RULES))


def test_version_ignores_layout_and_comments(tmp_path: Path) -> None:
    one = write(tmp_path, "one.yaml", MINIMAL)
    split = tmp_path / "split"
    split.mkdir()
    head, tail = MINIMAL.split("\nmasking:")
    write(split, "a.yaml", "# a comment\n" + head)
    write(split, "b.yaml", "masking:" + tail)
    assert policy_version(load_policy(one)) == policy_version(load_policy(split))


def test_version_changes_with_meaning(tmp_path: Path) -> None:
    a = load_policy(write(tmp_path, "a.yaml", MINIMAL))
    b = load_policy(write(tmp_path, "b.yaml", MINIMAL.replace("default: cloud", "default: home")))
    assert policy_version(a) != policy_version(b)


def test_round_trip_through_normalised_text(tmp_path: Path) -> None:
    policy = load_policy(None)
    assert policy_from_text(policy_to_text(policy)) == policy


def test_unknown_key_names_file_line_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", MINIMAL.replace("  on_error: hold", "  on_eror: hold"))
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:11:3: routes.on_eror:")
    assert "did you mean 'on_error'?" in issue


def test_wrong_zone_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", MINIMAL.replace("{zone: sovereign}", "{zone: sovreign}"))
    (issue,) = issues_of(path)
    assert f"{path}:4:" in issue and "destinations.home.zone" in issue
    assert "did you mean 'sovereign'?" in issue


def test_route_to_undefined_destination(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", MINIMAL.replace("default: cloud", "default: clod"))
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:10:")
    assert "routes.default: unknown destination 'clod' (did you mean 'cloud'?)" in issue


def test_policy_without_quarantine_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace("  hold: {zone: quarantine}\n", "").replace("on_error: hold", "on_error: home")
    (issue,) = issues_of(write(tmp_path, "p.yaml", text))
    assert "zone: quarantine" in issue


def test_external_on_error_is_refused(tmp_path: Path) -> None:
    (issue,) = issues_of(write(tmp_path, "p.yaml", MINIMAL.replace("on_error: hold", "on_error: cloud")))
    assert "on_error must not be an external destination" in issue


def test_external_destination_needs_masking(tmp_path: Path) -> None:
    text = MINIMAL.replace("{zone: external, masking: cloud}", "{zone: external}")
    (issue,) = issues_of(write(tmp_path, "p.yaml", text))
    assert "destinations.cloud" in issue and "masking profile" in issue


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", MINIMAL.replace("  home: {zone: sovereign}", "  home: {zone: sovereign"))
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:") and "YAML syntax" in issue


def test_conflicting_files_name_both(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MINIMAL)
    write(tmp_path, "b.yaml", "routes:\n  default: home\n")
    (issue,) = issues_of(tmp_path)
    assert "b.yaml:2:3" in issue and "a.yaml:10" in issue and "routes.default" in issue


def test_wrong_type_is_an_error_not_a_coercion(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", MINIMAL + "settings:\n  score_threshold: high\n")
    (issue,) = issues_of(path)
    assert "settings.score_threshold" in issue and f"{path}:13" in issue


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL.replace("{zone: sovereign}", "{zone: sovreign}").replace("on_error: hold", "on_eror: hold")
    assert len(issues_of(write(tmp_path, "p.yaml", text))) == 2


def test_extend_default_pack_overrides_and_prepends_rules(tmp_path: Path) -> None:
    write(
        tmp_path,
        "custom.yaml",
        """\
extend: default
name: acme
routes:
  rules:
    - id: acme-restricted-home
      when: {sensitivity_at_least: restricted}
      to: sovereign
""",
    )
    policy = load_policy(tmp_path)
    assert policy.name == "acme"
    assert policy.routes.rules[0].id == "acme-restricted-home"
    assert policy.routes.rules[1].id == "special-category-stays-home"
    assert set(policy.destinations) == {"sovereign", "external", "quarantine"}


def test_extend_error_points_at_the_extending_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "custom.yaml",
        "extend: default\nroutes:\n  rules:\n    - id: x\n      when: {}\n      to: nowhere\n",
    )
    (issue,) = issues_of(tmp_path)
    assert f"{path}:6:" in issue and "unknown destination 'nowhere'" in issue


def test_replace_makes_an_extending_packs_lists_its_own(tmp_path: Path) -> None:
    base = load_policy(None).recognizers
    write(
        tmp_path,
        "custom.yaml",
        """\
extend: default
replace: [recognizers.presidio, recognizers.ignore_entities, routes.rules]
recognizers:
  presidio: [EmailRecognizer]
  ignore_entities: []
""",
    )
    policy = load_policy(tmp_path)
    assert policy.recognizers.presidio == ["EmailRecognizer"]
    assert policy.recognizers.ignore_entities == []
    assert policy.routes.rules == []  # named and not set here: empty
    assert policy.recognizers.deny_lists == base.deny_lists  # lists not named still join
    (tmp_path / "joined").mkdir()
    joined = write(tmp_path / "joined", "c.yaml", "extend: default\nrecognizers:\n  presidio: [EmailRecognizer]\n")
    assert load_policy(joined).recognizers.presidio == [*base.presidio, "EmailRecognizer"]


def test_replace_errors_name_the_file_line_and_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path, "custom.yaml", "extend: default\nreplace:\n  - recognizers.presidio\n  - recognizers.presido\n"
    )
    (issue,) = issues_of(tmp_path)
    assert f"{path}:4:" in issue and "'recognizers.presido' names no list" in issue
    assert "did you mean 'recognizers.presidio'" in issue
    (tmp_path / "alone").mkdir()
    alone = write(tmp_path / "alone", "p.yaml", MINIMAL + "replace: [routes.rules]\n")
    (issue,) = issues_of(alone)
    assert str(alone) in issue and "only applies to a pack that extends another" in issue


def test_bundled_packs_load_by_name(tmp_path: Path) -> None:
    assert load_policy("default") == load_policy(None)
    prose = load_policy("prose")
    assert prose.name == "govflow-prose" and prose.recognizers.ignore_entities == []
    assert "SpacyRecognizer" not in prose.recognizers.presidio
    (issue,) = issues_of(tmp_path / "prosa")
    assert "nor a bundled pack (default, prose)" in issue
    (issue,) = issues_of("pros")
    assert "did you mean 'prose'" in issue
    write(tmp_path, "prose", "not: a pack directory\n")  # a path that exists wins over a pack's name
    assert issues_of(tmp_path / "prose")
    (tmp_path / "mine").mkdir()
    write(tmp_path / "mine", "ours.yaml", "extend: prose\nname: ours\n")  # a pack extends a bundled one by name
    ours = load_policy(tmp_path / "mine")
    assert ours.name == "ours" and ours.recognizers.presidio == prose.recognizers.presidio


def test_steward_tests_are_not_policy(tmp_path: Path) -> None:
    shutil.copytree(REPO_RULES, tmp_path / "rules")
    (tmp_path / "rules" / "tests").mkdir(exist_ok=True)  # the default pack ships its own tests/ folder
    write(tmp_path / "rules" / "tests", "cases.yaml", "not: policy\n")
    write(tmp_path / "rules", "x.test.yaml", "also: not policy\n")
    assert load_policy(tmp_path / "rules").name == "govflow-default"


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    (issue,) = issues_of(tmp_path / "absent")
    assert "no such file or directory" in issue
