"""Masking in the pipeline: joinable tokens, keys per jurisdiction, missing keys, the egress gate."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import govflow
from conftest import TEST_KEY_HEX
from govflow.datagen import generate_customers
from govflow.detect.findings import Finding
from govflow.io import read_route
from govflow.mask.keys import Key, MissingKeyError
from govflow.mask.operators import Masked, MaskingError, ProfileMasker
from govflow.policy.models import MaskingProfile, OperatorSpec

EXTEND = "extend: default\n"


def pipeline_with(tmp_path: Path, text: str) -> govflow.Pipeline:
    (tmp_path / "policy.yaml").write_text(EXTEND + text, encoding="utf-8")
    return govflow.Pipeline.from_rules(tmp_path)


def test_tokenised_email_join_gives_the_raw_join_counts(default_pipeline: govflow.Pipeline) -> None:
    customers, _ = generate_customers(300, seed=2)
    customers = customers.select(["email", "country", "order_id"])
    emails = customers.column("email").to_pylist()
    orders = pa.table({"email": [emails[i % 40] for i in range(500)], "amount": list(range(500))})
    raw = customers.join(orders, "email").num_rows

    governed = default_pipeline.run(customers)
    external = governed.audit.filter(pc.equal(governed.audit.column("route"), "external")).column("record_index")
    raw_external = customers.take(external).join(orders, "email").num_rows
    masked_orders = default_pipeline.run(orders).routes["external"].select(["email", "amount"])
    assert masked_orders.num_rows == orders.num_rows
    masked_join = governed.routes["external"].select(["email"]).join(masked_orders, "email").num_rows
    assert raw > raw_external > 0
    assert masked_join == raw_external
    assert not set(masked_orders.column("email").to_pylist()) & set(emails)


def test_different_keys_give_different_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    table = pa.table({"email": ["jane@example.com"], "country": ["GB"]})
    first = govflow.Pipeline.default().run(table).table.column("email")[0].as_py()
    monkeypatch.setenv("GOVFLOW_KEY", "0f" * 32)
    second = govflow.Pipeline.default().run(table).table.column("email")[0].as_py()
    assert first.startswith("EMAIL_ADDRESS:") and second.startswith("EMAIL_ADDRESS:")
    assert first != second


def test_missing_key_fails_before_any_data_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVFLOW_KEY")
    with pytest.raises(MissingKeyError) as info:
        govflow.Pipeline.default()
    message = str(info.value)
    assert "GOVFLOW_KEY" in message and "external" in message and "token_hex" in message


def test_missing_key_on_the_command_line_says_what_to_do(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from conftest import REPO

    env = {k: v for k, v in os.environ.items() if k != "GOVFLOW_KEY"}
    env["PYTHONPATH"] = str(REPO / "src")
    data = tmp_path / "in.csv"
    data.write_text("email\njane@example.com\n")
    proc = subprocess.run(
        [sys.executable, "-m", "govflow", "run", str(data), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 2 and "GOVFLOW_KEY is not set" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_keyring_per_jurisdiction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVFLOW_KEY_EU", "e0" * 32)
    pipe = pipeline_with(tmp_path, "keys:\n  named:\n    eu: {env: GOVFLOW_KEY_EU}\n  by_jurisdiction:\n    EU: eu\n")
    table = pa.table({"email": ["jane@example.com", "jane@example.com"], "country": ["DE", "GB"]})
    result = pipe.run(table)
    de, gb = result.table.column("email").to_pylist()
    assert de != gb
    key_ids = result.audit.column("key_id").to_pylist()
    assert key_ids[0].startswith("eu:") and key_ids[1].startswith("default:")


def test_egress_gate_stops_what_masking_let_through(tmp_path: Path) -> None:
    leaky = "masking:\n  external:\n    entities:\n      EMAIL_ADDRESS: keep\n"
    table = pa.table({"email": ["jane@example.com", None], "country": ["GB", "GB"]})
    audit = pipeline_with(tmp_path, leaky).run(table).audit.to_pylist()
    assert audit[0]["route"] == "quarantine"
    assert audit[0]["reason"] == "egress gate: EMAIL_ADDRESS still detected in 'email' after masking"
    assert audit[1]["route"] == "external"


def test_without_the_gate_the_leak_would_go_out(tmp_path: Path) -> None:
    leaky = "masking:\n  external:\n    entities:\n      EMAIL_ADDRESS: keep\negress_gate: {enabled: false}\n"
    table = pa.table({"email": ["jane@example.com"], "country": ["GB"]})
    result = pipeline_with(tmp_path, leaky).run(table)
    assert result.table.column("gov_route").to_pylist() == ["external"]
    assert result.table.column("email").to_pylist() == ["jane@example.com"]


def test_gate_ignores_deliberate_pseudonyms(default_pipeline: govflow.Pipeline) -> None:
    """FPE turns an IBAN into another valid IBAN: the gate must not stop it for being one."""
    table = pa.table({"iban": ["DE89370400440532013000"], "country": ["DE"]})
    result = default_pipeline.run(table)
    assert result.audit.column("route").to_pylist() == ["external"]
    masked = result.table.column("iban")[0].as_py()
    assert masked != "DE89370400440532013000" and masked.startswith("DE")


def test_non_pii_columns_are_never_altered(default_pipeline: govflow.Pipeline) -> None:
    table, truth = generate_customers(300, seed=4)
    result = default_pipeline.run(table)
    non_pii = [c for c, e in truth.column_entities.items() if e is None and c != "notes"]
    assert "order_id" in non_pii and "tracking_number" in non_pii
    for column in non_pii:
        assert result.table.column(column).equals(table.column(column)), column


def test_no_key_material_in_outputs_or_logs(
    default_pipeline: govflow.Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    table, _ = generate_customers(80, seed=6)
    with caplog.at_level(logging.DEBUG):
        result = govflow.Pipeline.default().run(table)
    everything = " ".join([caplog.text, str(result.table.to_pylist()), str(result.audit.to_pylist())])
    assert TEST_KEY_HEX not in everything
    assert bytes.fromhex(TEST_KEY_HEX).decode("latin-1") not in everything


REVERSIBLE = """\
masking:
  external:
    entities:
      EMAIL_ADDRESS: encrypt_deterministic
      IBAN_CODE: {operator: fpe, params: {checksum: iban}}
"""


def test_reveal_reverses_encryption_and_refuses_external_by_default(tmp_path: Path) -> None:
    from conftest import run_cli

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "policy.yaml").write_text(EXTEND + REVERSIBLE, encoding="utf-8")
    data = tmp_path / "in.csv"
    data.write_text(
        "email,iban,country,notes\n"
        "jane@example.com,DE89370400440532013000,DE,write to jane@example.com\n"
        "max@example.org,,GB,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert run_cli("run", str(data), "--rules", str(rules), "--out", str(out)).returncode == 0
    external = read_route(out, "external").to_pylist()
    assert external[0]["email"].startswith("siv1.") and external[0]["iban"] != "DE89370400440532013000"

    refused = run_cli(
        "reveal", str(out), "--route", "external", "--rules", str(rules), "--out", str(tmp_path / "r.parquet")
    )
    assert refused.returncode == 2 and "--allow-external" in refused.stderr

    proc = run_cli(
        "reveal",
        str(out),
        "--route",
        "external",
        "--rules",
        str(rules),
        "--out",
        str(tmp_path / "r.parquet"),
        "--allow-external",
    )
    assert proc.returncode == 0, proc.stderr
    revealed = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert revealed[0]["email"] == "jane@example.com"
    assert revealed[0]["iban"] == "DE89370400440532013000"
    assert revealed[0]["notes"] == "write to jane@example.com"
    assert revealed[1]["email"] == "max@example.org"
    assert "jane@example.com" not in proc.stdout + proc.stderr


def _masker() -> ProfileMasker:
    profile = MaskingProfile(
        entities={
            "IBAN_CODE": {"operator": "fpe", "params": {"checksum": "iban"}},
            "PHONE_NUMBER": {"operator": "fpe"},
            "EMAIL_ADDRESS": "token",
            "PERSON": "redact",
        }
    )
    return ProfileMasker("test", profile, Key("k", bytes.fromhex(TEST_KEY_HEX)))


def _whole(value: str, entity: str) -> list[Finding]:
    return [Finding(entity, 0, len(value), 0.9, "test")]


_MASK_CASES = [
    ("DE89 3704 0044 0532 0130 00", _whole("DE89 3704 0044 0532 0130 00", "IBAN_CODE")),
    ("DE89 3704 0044 0532 0130 01", _whole("DE89 3704 0044 0532 0130 01", "IBAN_CODE")),  # bad check: replaced
    ("+44 7911 123456", _whole("+44 7911 123456", "PHONE_NUMBER")),
    ("+1 5", _whole("+1 5", "PHONE_NUMBER")),  # too short to encrypt: replaced
    ("anna@example.com", _whole("anna@example.com", "EMAIL_ADDRESS")),
    ("call +44 7911 123456", [Finding("PHONE_NUMBER", 5, 20, 0.9, "test")]),  # inside a text: one at a time
    ("Anna Smith", _whole("Anna Smith", "PERSON")),
    ("4111111111111111", _whole("4111111111111111", "CREDIT_CARD")),  # the profile's default
]


@pytest.mark.parametrize("repeat", [1, 9])
def test_mask_many_masks_each_value_as_mask_does(repeat: int) -> None:
    """Together or one by one, the same outputs and pseudonym spans; 9 copies reach the batched cipher."""
    masker = _masker()
    values = [v for v, _ in _MASK_CASES] * repeat
    findings = [f for _, f in _MASK_CASES] * repeat
    assert masker.mask_many(values, findings) == [masker.mask(v, f) for v, f in zip(values, findings, strict=True)]


def test_mask_many_fails_only_the_values_that_fail() -> None:
    # A token's entity type must be a name; this finding's is not, so masking it raises (never with the value).
    profile = MaskingProfile(default=OperatorSpec(operator="token"), entities={"PHONE_NUMBER": {"operator": "fpe"}})
    masker = ProfileMasker("test", profile, Key("k", bytes.fromhex(TEST_KEY_HEX)))
    values = ["+44 7911 123456"] * 9 + ["anna@example.com"]
    findings = [_whole(v, "PHONE_NUMBER") for v in values[:-1]] + [_whole(values[-1], "EMAIL-ADDRESS")]
    outcomes = masker.mask_many(values, findings)
    assert all(isinstance(o, Masked) and o.text != values[0] for o in outcomes[:-1])
    assert isinstance(outcomes[-1], MaskingError) and "anna" not in str(outcomes[-1])
