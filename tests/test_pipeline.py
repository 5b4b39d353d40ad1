"""The core through its pandas/Arrow API: routing, masking, tagging, failures and odd input."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import govflow
from conftest import TEST_KEY_HEX
from govflow.datagen import generate_customers
from govflow.detect.profile import TableProfile
from govflow.engine import GOV_COLUMNS, SchemaError

# Synthetic values, checksum-valid where a recognizer checks: DE89 3704... is the IBAN standard's
# published example; 4111 1111 1111 1111 is a well-known test card number.
DE_IBAN = "DE89370400440532013000"
TEST_CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def pipe(default_pipeline: govflow.Pipeline) -> govflow.Pipeline:
    return default_pipeline


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_name": ["John Smith", "Иван Петров", "Anna Müller", None, "Priya Sharma"],
            "email": ["john@example.com", "ivan@example.ru", "anna@example.de", "", "priya@example.in"],
            "phone": ["+44 20 7946 0958", "+7 912 345-67-89", "+49 30 901820", "n/a", "+91 98765 43210"],
            "iban": [None, None, DE_IBAN, None, None],
            "card": [None, None, None, None, TEST_CARD],
            "country": ["GB", "RU", "DE", "US", "IN"],
            "notes": [
                "Call John Smith tomorrow about the refund.",
                "Customer asked for a faster delivery.",
                "Customer asked for a faster delivery.",
                None,
                "Patient is diabetic, leave parcel with the neighbour.",
            ],
            "order_id": [
                "ORD-2024-000123",
                "ORD-2024-000124",
                "ORD-2024-000125",
                "ORD-2024-000126",
                "ORD-2024-000127",
            ],
            "amount": [1.5, 2.0, 3.0, np.nan, 5.0],
        }
    )


def test_every_row_once_in_input_order_with_gov_columns(pipe: govflow.Pipeline) -> None:
    result = pipe.run(frame())
    assert result.table.num_rows == 5
    assert result.table.column("order_id").to_pylist() == frame()["order_id"].tolist()
    assert all(name in result.table.column_names for name in GOV_COLUMNS)
    assert sum(result.counts.values()) == 5
    assert set(result.routes) == {"sovereign", "external", "quarantine"}
    assert result.audit.column("record_index").to_pylist() == [0, 1, 2, 3, 4]
    assert result.audit.column("policy_version").unique().to_pylist() == [pipe.policy_version]


def test_default_pack_routes_by_law(pipe: govflow.Pipeline) -> None:
    audit = pipe.run(frame()).audit.to_pylist()
    routes = [(a["route"], a["rule_id"]) for a in audit]
    assert routes[0] == ("external", "default")  # GB, masked
    assert routes[1] == ("sovereign", "ru-localisation")  # 152-FZ Art. 18(5)
    assert routes[2] == ("external", "default")  # DE
    assert routes[3] == ("external", "default")  # no personal data at all
    assert routes[4] == ("sovereign", "special-category-stays-home")  # health data
    assert audit[4]["special_categories"] == ["health"]


def test_india_payment_data_stays_home(pipe: govflow.Pipeline) -> None:
    df = frame().iloc[[4]].assign(notes="Customer asked for a faster delivery.")
    (row,) = pipe.run(df).audit.to_pylist()
    assert row["route"] == "sovereign" and row["rule_id"] == "in-payment-data-localisation"
    assert "RBI-PAYMENT-LOCALISATION" in row["regulations"] and "PCI-DSS" in row["regulations"]


def is_token(value: object, entity: str) -> bool:
    return isinstance(value, str) and re.fullmatch(rf"{entity}:[0-9a-f]{{16}}", value) is not None


def test_external_rows_are_masked_and_sovereign_rows_are_whole(pipe: govflow.Pipeline) -> None:
    result = pipe.run(frame())
    rows = result.table.to_pylist()
    assert is_token(rows[0]["customer_name"], "PERSON")
    assert is_token(rows[0]["email"], "EMAIL_ADDRESS")
    assert is_token(rows[0]["phone"], "PHONE_NUMBER")
    # the same name gets the same token in the free text: joins and counts survive masking
    assert rows[0]["notes"] == f"Call {rows[0]['customer_name']} tomorrow about the refund."
    assert rows[2]["iban"] != DE_IBAN and rows[2]["iban"].startswith("DE") and len(rows[2]["iban"]) == len(DE_IBAN)
    assert rows[1]["customer_name"] == "Иван Петров" and rows[1]["phone"] == "+7 912 345-67-89"
    assert rows[0]["order_id"] == "ORD-2024-000123" and rows[0]["amount"] == 1.5


def test_audit_names_the_key_id_never_the_key(pipe: govflow.Pipeline) -> None:
    audit = pipe.run(frame()).audit.to_pylist()
    assert audit[0]["key_id"].startswith("default:") and len(audit[0]["key_id"]) == len("default:") + 12
    assert audit[1]["key_id"] is None  # sovereign: nothing masked
    assert TEST_KEY_HEX not in str(audit)


def test_tags_sensitivity_jurisdictions_regulations(pipe: govflow.Pipeline) -> None:
    rows = pipe.run(frame()).table.to_pylist()
    assert rows[2]["gov_jurisdictions"] == ["DE", "EEA", "EU"]
    assert rows[2]["gov_regulations"] == ["GDPR"]
    assert rows[2]["gov_sensitivity"] == "restricted"  # IBAN
    assert rows[0]["gov_sensitivity"] == "confidential"
    assert rows[3]["gov_sensitivity"] == "public" and rows[3]["gov_entities"] == []
    assert "IBAN_CODE" in rows[2]["gov_entities"]


def test_jurisdiction_from_evidence_without_country_column(pipe: govflow.Pipeline) -> None:
    rows = pipe.run(frame().drop(columns=["country"])).audit.to_pylist()
    assert rows[1]["jurisdictions"] == ["RU"] and rows[1]["route"] == "sovereign"
    assert "DE by iban in iban" in rows[2]["evidence"]
    assert "GB by phone in phone" in rows[0]["evidence"]


def test_conflicting_evidence_yields_all_jurisdictions(pipe: govflow.Pipeline) -> None:
    df = frame().iloc[[2]].assign(phone="+7 912 345-67-89")
    (row,) = pipe.run(df).audit.to_pylist()
    assert {"DE", "RU"} <= set(row["jurisdictions"])
    assert row["route"] == "sovereign"  # the stricter rule applies


def test_same_input_same_output(pipe: govflow.Pipeline) -> None:
    a, b = pipe.run(frame()), pipe.run(frame())
    assert a.table.equals(b.table) and a.audit.equals(b.audit)


def test_arrow_and_pandas_inputs_agree(pipe: govflow.Pipeline) -> None:
    table = pa.Table.from_pandas(frame(), preserve_index=False)
    assert pipe.run(table).table.equals(pipe.run(frame()).table)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=2))
    assert pipe.run(reader).table.equals(pipe.run(table).table)


def test_small_batches_give_the_same_result(pipe: govflow.Pipeline) -> None:
    assert pipe.run(frame(), batch_size=2).table.equals(pipe.run(frame()).table)


def test_a_run_decides_nothing_from_the_samples_findings(pipe: govflow.Pipeline) -> None:
    """Runs profile without scanning the sample (its entity shares are for `govflow scan`): the same
    column decisions, the same output as a run given the full profile."""
    table = generate_customers(300, seed=4)[0]
    full, bare = pipe.profile(table), pipe.profile(table, with_findings=False)
    assert any(leaf.sample_entities for leaf in full.leaves.values())
    assert not any(leaf.sample_entities for leaf in bare.leaves.values())

    def decided(profile: TableProfile) -> list[tuple[object, ...]]:
        return [(n, p.mode, p.entity, p.whole_value, p.declared, p.assume_context) for n, p in profile.leaves.items()]

    assert decided(full) == decided(bare)
    assert pipe.run(table, profile=full, workers=1).table.equals(pipe.run(table, workers=1).table)


def test_input_problems_go_to_quarantine_with_reason(pipe: govflow.Pipeline) -> None:
    table = pa.Table.from_pandas(frame(), preserve_index=False)
    profile = pipe.profile(table)
    problems = pa.array([None, "invalid UTF-8 in column 'notes' (replaced)", None, None, None])
    (governed,) = pipe.govern([(table.to_batches()[0], problems)], profile)
    audit = governed.audit.to_pylist()
    assert audit[1]["route"] == "quarantine" and audit[1]["rule_id"] == "on_error"
    assert audit[1]["reason"].startswith("invalid UTF-8")
    assert [a["route"] for a in audit].count("quarantine") == 1


def test_unsupported_column_type_fails_closed(pipe: govflow.Pipeline) -> None:
    table = pa.table(
        {
            "email": ["john@example.com", "anna@example.de"],
            "attrs": pa.array([[("k", "v")], None], pa.map_(pa.string(), pa.string())),
        }
    )
    audit = pipe.run(table).audit.to_pylist()
    assert audit[0]["route"] == "quarantine" and "cannot scan" in audit[0]["reason"]
    assert audit[1]["route"] == "external"  # null map: nothing unscannable in this record


def test_nested_strings_are_scanned_and_masked(pipe: govflow.Pipeline) -> None:
    table = pa.table(
        {
            "contacts": pa.array(
                [[{"email": "john@example.com", "kind": "home"}], [], None],
                pa.list_(pa.struct([("email", pa.string()), ("kind", pa.string())])),
            ),
            "country": ["GB", "GB", "GB"],
        }
    )
    rows = pipe.run(table).table.to_pylist()
    (contact,) = rows[0]["contacts"]
    assert is_token(contact["email"], "EMAIL_ADDRESS") and contact["kind"] == "home"
    assert rows[0]["gov_entities"] == ["EMAIL_ADDRESS"]
    assert rows[1]["contacts"] == [] and rows[2]["contacts"] is None


def test_integer_phone_numbers_become_null_when_masked(pipe: govflow.Pipeline) -> None:
    table = pa.table(
        {"mobile": pa.array([4915112345678, None], pa.int64()), "quantity": [3, 4], "country": ["DE", "DE"]}
    )
    result = pipe.run(table)
    assert result.table.schema.field("mobile").type == pa.int64()
    assert result.table.column("gov_route").to_pylist() == ["external", "external"]
    assert result.table.column("mobile").to_pylist() == [None, None]
    assert result.table.column("quantity").to_pylist() == [3, 4]
    assert result.audit.column("masked_columns").to_pylist() == [["mobile"], []]


def test_dates_of_birth_are_masked_by_hint(pipe: govflow.Pipeline) -> None:
    table = pa.table(
        {
            "date_of_birth": pa.array([dt.date(1980, 5, 17)], pa.date32()),
            "created_at": [dt.datetime(2024, 1, 1)],
        }
    )
    row = pipe.run(table).table.to_pylist()[0]
    assert row["gov_route"] == "external"
    assert row["date_of_birth"] is None and row["created_at"] == dt.datetime(2024, 1, 1)
    assert row["gov_entities"] == ["DATE_OF_BIRTH"]


def test_empty_table(pipe: govflow.Pipeline) -> None:
    result = pipe.run(frame().iloc[0:0])
    assert result.table.num_rows == 0 and result.audit.num_rows == 0
    assert result.table.column_names[-5:] == list(GOV_COLUMNS)


def test_all_null_and_non_string_columns(pipe: govflow.Pipeline) -> None:
    table = pa.table(
        {
            "a": pa.nulls(3, pa.string()),
            "b": pa.array([True, False, None]),
            "c": pa.array([b"john@example.com", None, b"\xff\xfe"], pa.binary()),
            "d": pa.array([1.0, None, float("nan")]),
        }
    )
    result = pipe.run(table)
    assert result.table.num_rows == 3
    assert is_token(result.table.column("c").to_pylist()[0].decode(), "EMAIL_ADDRESS")


def test_ten_megabyte_cell_is_pattern_scanned_and_held_back(pipe: govflow.Pipeline) -> None:
    big = ("lorem ipsum dolor sit amet " * 400_000)[:10_000_000] + " write to john@example.com"
    result = pipe.run(pd.DataFrame({"notes": [big, "short note"]}))
    first, second = result.audit.to_pylist()
    assert first["route"] == "quarantine" and "max_ner_chars" in first["reason"]
    assert "EMAIL_ADDRESS" in first["entities"]  # patterns still ran over the whole cell
    assert second["route"] == "external"
    assert len(result.table.column("notes").to_pylist()[0]) == len(big)


def test_duplicate_and_odd_column_names(pipe: govflow.Pipeline) -> None:
    df = pd.DataFrame([["john@example.com", "x", 1]], columns=["email", "email", 3])
    result = pipe.run(df)
    assert result.table.column_names[:3] == ["email", "email__2", "3"]
    assert is_token(result.table.column("email").to_pylist()[0], "EMAIL_ADDRESS")


def test_gov_column_collision_is_a_clear_error(pipe: govflow.Pipeline) -> None:
    with pytest.raises(SchemaError, match="gov_route"):
        pipe.run(pd.DataFrame({"gov_route": ["x"]}))


def test_wrong_input_type_is_a_clear_error(pipe: govflow.Pipeline) -> None:
    with pytest.raises(TypeError, match="pandas DataFrame, pyarrow Table"):
        pipe.run([{"a": 1}])  # type: ignore[arg-type]


def test_audit_holds_no_raw_values(pipe: govflow.Pipeline) -> None:
    df = frame()
    audit_text = str(pipe.run(df).audit.to_pylist())
    for column in ["customer_name", "email", "phone", "iban", "card"]:
        for value in df[column].dropna():
            if len(str(value)) >= 4:
                assert str(value) not in audit_text


def test_masked_external_output_has_no_raw_pii(pipe: govflow.Pipeline) -> None:
    df = frame()
    result = pipe.run(df)
    external = result.routes["external"]
    text = str(external.drop_columns(list(GOV_COLUMNS)).to_pylist())
    for column in ["customer_name", "email", "phone", "iban", "card"]:
        for value in df[column].dropna():
            if len(str(value)) >= 4:
                assert str(value) not in text


def test_scan_text_returns_findings_with_country(pipe: govflow.Pipeline) -> None:
    findings = pipe.scan_text("Call John Smith on +44 20 7946 0958")
    by_type = {f.entity_type: f for f in findings}
    assert by_type["PERSON"].start == 5 and by_type["PERSON"].end == 15
    assert by_type["PHONE_NUMBER"].country == "GB"
    assert all(isinstance(f, govflow.Finding) for f in findings)


def test_route_tables_hold_only_their_rows(pipe: govflow.Pipeline) -> None:
    result = pipe.run(frame())
    for name, table in result.routes.items():
        assert pc.all(pc.equal(table.column("gov_route"), name)).as_py() in (True, None)


def test_result_repr_shows_counts_not_data(pipe: govflow.Pipeline) -> None:
    text = repr(pipe.run(frame()))
    assert text.startswith("Result(rows=5, routes={")
    assert "Иван" not in text and "@" not in text


def test_memoised_scans_equal_fresh_scans_and_cannot_be_corrupted(pipe: govflow.Pipeline) -> None:
    stack = pipe.engine.stack
    text = "Call John Smith on +44 20 7946 0958"
    first = stack.scan_texts([text])
    first[0].clear()  # a caller mutating its result must not change what the memo returns
    again = stack.scan_texts([text, "no personal data here"])
    assert again[0] == stack._scan_texts([text])[0] and again[0]
    assert stack.scan_values(["+44 20 7946 0958"], "phone") == stack._scan_values(["+44 20 7946 0958"], "phone", False)
    # Opaque spans change what runs, so they are part of the memo's key.
    masked, spans = "PERSON:2ccaa92778c3cf16 said the Box arrived damaged.", ((0, 23),)
    plain = stack.scan_texts([masked])
    assert stack.scan_texts([masked], opaque=[spans]) == stack._scan_texts([masked], [spans])
    assert stack.scan_texts([masked]) == plain == stack._scan_texts([masked])


def test_each_run_starts_with_an_empty_memo(pipe: govflow.Pipeline) -> None:
    pipe.run(frame())
    assert pipe.engine.stack._memory
    pipe.profile(pa.table({"x": ["a"]}))
    assert len(pipe.engine.stack._memory) <= 1


def test_placeholders_are_not_pii_but_place_names_that_look_like_one_are(pipe: govflow.Pipeline) -> None:
    """Fail closed: only spellings that are never a name count as "no value" in a hinted column."""
    table = pa.table({"city": ["n/a", "None", "Torino"], "country": ["IT", "IT", "IT"]})
    result = pipe.run(table)
    entities = result.table.column("gov_entities").to_pylist()
    assert entities[0] == []
    assert "LOCATION" in entities[1] and "LOCATION" in entities[2]
    released = result.routes["external"].column("city").to_pylist()
    assert "None" not in released and "Torino" not in released
