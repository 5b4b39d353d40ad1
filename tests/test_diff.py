"""`govflow diff`: route, tag and masking changes between two policies on one sample, with CI exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import REPO, run_cli
from govflow.datagen import generate_customers
from govflow.pipeline import Pipeline
from govflow.policy.loader import load_policy
from govflow.steward.diff import Side, diff_sample, render
from govflow.steward.govern import read_pieces

RULES = REPO / "rules"
DE_SOVEREIGN = """    - id: de-sovereign
      description: German records stay in Germany (a proposed change).
      when: {jurisdictions_any: [DE], has_findings: true}
      to: sovereign
  default: external"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    table, _ = generate_customers(300, seed=5)
    path = tmp_path_factory.mktemp("diff") / "sample.parquet"
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module")
def de_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pack = tmp_path_factory.mktemp("de") / "rules"
    shutil.copytree(RULES, pack)
    routes = pack / "50-routes.yaml"
    routes.write_text(routes.read_text().replace("  default: external", DE_SOVEREIGN))
    return pack


def test_de_to_sovereign(sample: Path, de_pack: Path, default_pipeline: Pipeline) -> None:
    schema, pieces = read_pieces(sample)
    new = Pipeline(load_policy(de_pack))
    report = diff_sample(Side("rules", default_pipeline), Side(str(de_pack), new), schema, pieces, str(sample))
    old_result = default_pipeline.run(pq.read_table(sample)).audit.to_pylist()
    german_external = [
        r["record_index"]
        for r in old_result
        if r["route"] == "external" and "DE" in r["jurisdictions"] and r["entities"]
    ]
    assert german_external, "the sample should hold German records that went external"
    assert report["route_changes"] == [
        {
            "old": "external",
            "new": "sovereign",
            "records": len(german_external),
            "rules": [{"old": "default", "new": "de-sovereign", "records": len(german_external)}],
            "examples": german_external[:5],
        }
    ]
    assert report["records_changed"] == len(german_external)
    assert report["sensitivity_changes"] == [] and report["jurisdiction_changes"] == {}
    masking = {m["column"]: m for m in report["masking_changes"]}
    assert masking["iban"]["operator_changes"][0]["old"] == "fpe checksum=iban (external)"
    assert masking["iban"]["operator_changes"][0]["new"] == "kept (sovereign)"
    assert masking["customer_name"]["cells_changed"] == len(german_external)
    assert "order_id" not in masking and "sku" not in masking
    diagonal = {(r["old"], r["new"]): r["records"] for r in report["routes"]}
    assert sum(diagonal.values()) == 300
    text = render(report)
    assert f"external -> sovereign: {len(german_external)} records (rule default -> de-sovereign" in text
    table = pq.read_table(sample)  # no value of the sample is printed
    for column in ("customer_name", "email", "iban", "national_id", "phone"):
        for value in table.column(column).to_pylist()[:50]:
            if value:
                assert value not in text


def test_cli_exit_codes(sample: Path, de_pack: Path, tmp_path: Path) -> None:
    same = run_cli("diff", "--old", str(RULES), "--new", str(RULES), str(sample), "--rows", "50")
    assert same.returncode == 0, same.stderr
    assert "no changes on 50 records" in same.stdout
    changed = run_cli("diff", "--old", str(RULES), "--new", str(de_pack), str(sample), "--format", "json")
    assert changed.returncode == 1, changed.stderr
    report = json.loads(changed.stdout)
    assert report["records"] == 300 and report["route_changes"][0]["new"] == "sovereign"
    assert report["old"]["policy_version"] != report["new"]["policy_version"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("routes: {default: nowhere}\n")
    bad = run_cli("diff", "--old", str(RULES), "--new", str(broken), str(sample))
    assert bad.returncode == 2 and "invalid policy" in bad.stderr
    missing = run_cli("diff", "--old", str(RULES), "--new", str(RULES), str(tmp_path / "none.parquet"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
