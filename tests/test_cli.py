"""The `govflow` command end to end, on a generated multi-country table in every input format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import REPO, run_cli
from govflow.datagen import count_leaks, generate_customers, write_demo_files
from govflow.io import read_manifest, read_route

ROWS = 400


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_files(tmp_path_factory.mktemp("data"), n=ROWS, seed=5)


@pytest.fixture(scope="module")
def parquet_run(demo_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    proc = run_cli("run", str(demo_files["parquet"]), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"{ROWS:,} rows" in proc.stdout
    return out


def test_run_writes_routes_audit_and_manifest(parquet_run: Path) -> None:
    manifest = read_manifest(parquet_run)
    assert manifest["input_rows"] == ROWS
    assert len(manifest["policy_version"]) == 64
    assert set(manifest["routes"]) == {"sovereign", "external", "quarantine"}
    assert sum(r["rows"] for r in manifest["routes"].values()) == ROWS
    for name, route in manifest["routes"].items():
        assert route["zone"] == name
        assert read_route(parquet_run, name).num_rows == route["rows"]
    assert pq.read_table(parquet_run / manifest["audit"]).num_rows == ROWS
    assert manifest["routes"]["external"]["rows"] > 0 and manifest["routes"]["sovereign"]["rows"] > 0


def test_run_leaks_no_pii_to_external(parquet_run: Path) -> None:
    table, truth = generate_customers(ROWS, seed=5)
    audit = pq.read_table(parquet_run / "audit.parquet")
    rows = audit.filter(pc.equal(audit.column("route"), "external")).column("record_index").to_pylist()
    report = count_leaks(table, truth, read_route(parquet_run, "external"), rows)
    assert report.pii_values_checked > 1000
    assert report.leaked_values == 0, report.by_column


def test_every_format_routes_the_same(demo_files: dict[str, Path], parquet_run: Path, tmp_path: Path) -> None:
    expected = {k: v["rows"] for k, v in read_manifest(parquet_run)["routes"].items()}
    for fmt in ("csv", "jsonl"):
        out = tmp_path / fmt
        proc = run_cli("run", str(demo_files[fmt]), "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        assert {k: v["rows"] for k, v in read_manifest(out)["routes"].items()} == expected, fmt


def test_output_is_deterministic(demo_files: dict[str, Path], parquet_run: Path, tmp_path: Path) -> None:
    proc = run_cli("run", str(demo_files["parquet"]), "--out", str(tmp_path / "again"))
    assert proc.returncode == 0, proc.stderr
    for name in ("sovereign", "external", "quarantine"):
        assert read_route(tmp_path / "again", name).equals(read_route(parquet_run, name))
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (parquet_run / "manifest.json").read_bytes()


def test_existing_output_needs_overwrite(demo_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("run", str(demo_files["csv"]), "--out", str(out)).returncode == 0
    again = run_cli("run", str(demo_files["csv"]), "--out", str(out))
    assert again.returncode == 2 and "overwrite" in again.stderr
    assert run_cli("run", str(demo_files["csv"]), "--out", str(out), "--overwrite").returncode == 0


def test_unreadable_input_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "data.xlsx"
    bad.write_text("not supported")
    proc = run_cli("run", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and ".parquet" in proc.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_validate_default_pack() -> None:
    proc = run_cli("validate", str(REPO / "rules"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK ")


def test_validate_broken_pack_names_file_line_and_fix(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    routes = rules / "50-routes.yaml"
    routes.write_text(routes.read_text().replace("  default: external", "  default: extrenal"))
    proc = run_cli("validate", str(rules))
    assert proc.returncode == 1
    assert f"{routes}:" in proc.stderr
    assert "routes.default: unknown destination 'extrenal' (did you mean 'external'?)" in proc.stderr


def test_scan_shows_column_profile_and_writes_nothing(demo_files: dict[str, Path], tmp_path: Path) -> None:
    proc = run_cli("scan", str(demo_files["parquet"]), "--rows", "200", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    columns = {c["column"]: c for c in report["columns"]}
    assert columns["email"]["entity"] == "EMAIL_ADDRESS"
    assert columns["notes"]["mode"] == "text"
    assert columns["iban"]["entity"] == "IBAN_CODE"
    assert report["rows_scanned"] == 200 and sum(report["routes"].values()) == 200
    assert list(tmp_path.iterdir()) == []


def test_demo_reports_zero_leaks(tmp_path: Path) -> None:
    proc = run_cli("demo", "--out", str(tmp_path / "demo"), "--rows", "300")
    assert proc.returncode == 0, proc.stderr
    assert "raw PII values found in external outputs: 0" in proc.stdout
    assert (tmp_path / "demo" / "governed" / "manifest.json").exists()
