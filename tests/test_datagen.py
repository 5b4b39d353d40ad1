"""Synthetic customer table: determinism, schema, validity of every generated identifier (checked with
python-stdnum and phonenumbers, independent of the generator), exact ground truth and the leak counter."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import faker.generator
import phonenumbers
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stdnum import iban, luhn
from stdnum.au import tfn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.ch import ssn as ch_ssn
from stdnum.cn import ric
from stdnum.de import idnr
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.jp import in_ as jp_in
from stdnum.kr import rrn
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.ru import inn
from stdnum.us import ssn
from stdnum.za import idnr as za_idnr

from govflow import datagen
from govflow.datagen import (
    COUNTRIES,
    IBAN_COUNTRIES,
    GroundTruth,
    count_leaks,
    generate_customers,
    write_demo_files,
)

EXPECTED_SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("customer_name", pa.string()),
        ("email", pa.string()),
        ("phone", pa.string()),
        ("national_id", pa.string()),
        ("iban", pa.string()),
        ("card_number", pa.string()),
        ("date_of_birth", pa.date32()),
        ("street_address", pa.string()),
        ("city", pa.string()),
        ("postcode", pa.string()),
        ("country", pa.string()),
        ("ip_address", pa.string()),
        ("notes", pa.string()),
        ("sku", pa.string()),
        ("tracking_number", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("amount", pa.float64()),
        ("quantity", pa.int64()),
    ]
)


# Independent references for the identifiers python-stdnum has no module for.
def _nino_is_valid(value: str) -> bool:
    """HMRC NIM39110 letter rules; written ``AB 12 34 56 C``."""
    shape = re.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] \d\d \d\d \d\d [A-D]", value)
    return shape is not None and value[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _snils_is_valid(value: str) -> bool:
    """Pension Fund of Russia rule: sum(digit × (9 - i)); < 100 as is, 100 and 101 -> 00, else mod 101."""
    if not re.fullmatch(r"\d{3}-\d{3}-\d{3} \d{2}", value):
        return False
    digits = value.replace("-", "").replace(" ", "")
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    control = total if total < 100 else 0 if total in (100, 101) else total % 101 % 100
    return control == int(digits[9:])


def _nric_is_valid(value: str) -> bool:
    """ICA NRIC/FIN: weights 2 7 6 5 4 3 2, +4 for T/G, check letter tables for S/T and F/G."""
    if not re.fullmatch(r"[STFG]\d{7}[A-Z]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[1:8], (2, 7, 6, 5, 4, 3, 2), strict=True))
    total += 4 if value[0] in "TG" else 0
    letters = "JZIHGFEDCBA" if value[0] in "ST" else "XWUTRQPNMLK"
    return letters[total % 11] == value[8]


def _saudi_id_is_valid(value: str) -> bool:
    return re.fullmatch(r"[12]\d{9}", value) is not None and luhn.is_valid(value)


VALIDATORS: dict[str, tuple[str, Callable[[str], bool], str]] = {
    # entity: (country, validator, written form)
    "UK_NHS": ("GB", nhs.is_valid, r"\d{3} \d{3} \d{4}"),
    "UK_NINO": ("GB", _nino_is_valid, r"[A-Z]{2} \d\d \d\d \d\d [A-D]"),
    "US_SSN": ("US", ssn.is_valid, r"\d{3}-\d{2}-\d{4}"),
    "CA_SIN": ("CA", sin.is_valid, r"\d{3} \d{3} \d{3}"),
    "DE_TAX_ID": ("DE", idnr.is_valid, r"\d{2} \d{3} \d{3} \d{3}"),
    "FR_NIR": ("FR", nir.is_valid, r"[12] \d\d \d\d (\d\d|2[AB]) \d{3} \d{3} \d\d"),
    "ES_NIF": ("ES", dni.is_valid, r"\d{8}[A-Z]"),
    "IT_FISCAL_CODE": ("IT", codicefiscale.is_valid, r"[A-Z]{6}\d\d[A-Z]\d\d[A-Z]\d{3}[A-Z]"),
    "NL_BSN": ("NL", bsn.is_valid, r"\d{4}\.\d\d\.\d{3}"),
    "PL_PESEL": ("PL", pesel.is_valid, r"\d{11}"),
    "BR_CPF": ("BR", cpf.is_valid, r"\d{3}\.\d{3}\.\d{3}-\d\d"),
    "CN_RESIDENT_ID": ("CN", ric.is_valid, r"\d{17}[\dX]"),
    "RU_INN": ("RU", inn.is_valid, r"\d{12}"),
    "RU_SNILS": ("RU", _snils_is_valid, r"\d{3}-\d{3}-\d{3} \d\d"),
    "IN_AADHAAR": ("IN", aadhaar.is_valid, r"[2-9]\d{3} \d{4} \d{4}"),
    "JP_MY_NUMBER": ("JP", jp_in.is_valid, r"\d{4} \d{4} \d{4}"),
    "KR_RRN": ("KR", rrn.is_valid, r"\d{6}-\d{7}"),
    "SG_NRIC_FIN": ("SG", _nric_is_valid, r"[STFG]\d{7}[A-Z]"),
    "AU_TFN": ("AU", tfn.is_valid, r"\d{3} \d{3} \d{3}"),
    "ZA_ID": ("ZA", za_idnr.is_valid, r"\d{13}"),
    "CH_AHV": ("CH", ch_ssn.is_valid, r"756\.\d{4}\.\d{4}\.\d\d"),
    "SA_NATIONAL_ID": ("SA", _saudi_id_is_valid, r"[12]\d{9}"),
}

SPECIAL_TERMS = re.compile(
    r"diabetes|wheelchair|surgery|pregnant|asthma|chemotherapy|heart condition|epilepsy"
    r"|halal|Sabbath|kosher|Ramadan|Hindu"
)


class Generated(NamedTuple):
    table: pa.Table
    truth: GroundTruth


@pytest.fixture(scope="module")
def big() -> Generated:
    """10,000 rows, generated once for the module."""
    table, truth = generate_customers(10_000, seed=7)
    return Generated(table, truth)


@pytest.fixture(scope="module")
def small() -> Generated:
    table, truth = generate_customers(400, seed=11)
    return Generated(table, truth)


def column(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist()


def redacted(table: pa.Table, truth: GroundTruth) -> pa.Table:
    """`table` with every PII cell, and every note holding PII, replaced by ``<REDACTED>``."""
    out = table
    for name, entity in truth.column_entities.items():
        if entity is not None:
            values = ["<REDACTED>" if v is not None else None for v in column(table, name)]
            out = out.set_column(out.schema.get_field_index(name), name, pa.array(values, pa.string()))
    notes = [
        "<REDACTED>" if spans else note for note, spans in zip(column(table, "notes"), truth.text_spans, strict=True)
    ]
    return out.set_column(out.schema.get_field_index("notes"), "notes", pa.array(notes, pa.string()))


def set_cell(table: pa.Table, name: str, row: int, value: str) -> pa.Table:
    values = column(table, name)
    values[row] = value
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values, table.schema.field(name).type))


# ---------------------------------------------------------------------------------------------------
# Determinism, schema, speed
# ---------------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_truth() -> None:
    def ipc_bytes(table: pa.Table) -> bytes:
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue()

    random.seed(1)  # the global stream must neither matter nor move
    before = (random.getstate(), faker.generator.random.getstate())
    first, first_truth = generate_customers(300, seed=42)
    assert (random.getstate(), faker.generator.random.getstate()) == before
    random.seed(2)
    second, second_truth = generate_customers(300, seed=42)
    assert ipc_bytes(first) == ipc_bytes(second)
    assert first_truth == second_truth


def test_different_seed_gives_different_table() -> None:
    first, _ = generate_customers(100, seed=1)
    second, _ = generate_customers(100, seed=2)
    assert not first.equals(second)
    assert column(first, "customer_name") != column(second, "customer_name")


def test_schema_is_exact(small: Generated) -> None:
    assert small.table.schema.equals(EXPECTED_SCHEMA)
    assert list(small.truth.column_entities) == EXPECTED_SCHEMA.names


def test_ten_thousand_rows_are_generated(big: Generated) -> None:
    """Generation speed is a benchmark figure (benchmarks/core.py), not a test: timings on a shared
    machine fail for reasons unrelated to the code."""
    assert big.table.num_rows == 10_000


def test_empty_table_keeps_schema() -> None:
    table, truth = generate_customers(0)
    assert table.num_rows == 0 and table.schema.equals(EXPECTED_SCHEMA)
    assert truth.countries == [] and truth.text_spans == []


def test_unknown_country_is_rejected() -> None:
    with pytest.raises(ValueError, match="XX"):
        generate_customers(10, countries=("DE", "XX"))


# ---------------------------------------------------------------------------------------------------
# Countries and look-alike columns
# ---------------------------------------------------------------------------------------------------


def test_countries_are_evenly_spread_and_declared(big: Generated) -> None:
    counts = Counter(big.truth.countries)
    assert set(counts) == set(COUNTRIES)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert column(big.table, "country") == big.truth.countries
    assert big.truth.countries[:20] != list(COUNTRIES)  # shuffled, not cycled in order


def test_country_subset() -> None:
    table, truth = generate_customers(50, seed=3, countries=("JP", "BR"))
    assert Counter(truth.countries) == {"JP": 25, "BR": 25}
    assert all(v.startswith("BR") for v, c in zip(column(table, "iban"), truth.countries, strict=True) if c == "BR")


def test_non_pii_look_alikes(big: Generated) -> None:
    order_ids = column(big.table, "order_id")
    assert len(set(order_ids)) == len(order_ids)
    assert all(re.fullmatch(r"ORD-2024-\d{6}", v) for v in order_ids)
    assert all(re.fullmatch(r"SKU-\d{4}-[XSML]+|[A-Z]{2}-\d{5}-[A-Z]{2}", v) for v in column(big.table, "sku"))
    shapes = Counter(
        "ups" if re.fullmatch(r"1Z[A-Z0-9]{16}", v) else "usps" if re.fullmatch(r"\d{22}", v) else "dhl"
        for v in column(big.table, "tracking_number")
    )
    assert set(shapes) == {"ups", "usps", "dhl"}
    assert all(re.fullmatch(r"\d{10}", v) for v in column(big.table, "tracking_number") if len(v) == 10)
    assert all(v > 0 for v in column(big.table, "amount"))
    assert all(1 <= v <= 10 for v in column(big.table, "quantity"))


# ---------------------------------------------------------------------------------------------------
# Structured PII: every value valid for its row's country
# ---------------------------------------------------------------------------------------------------


def test_every_national_id_validates_in_its_written_form(big: Generated) -> None:
    seen = set()
    for value, entity, country in zip(
        column(big.table, "national_id"), big.truth.national_id_entities, big.truth.countries, strict=True
    ):
        expected_country, is_valid, written = VALIDATORS[entity]
        assert country == expected_country, (entity, country)
        assert is_valid(value), (entity, value)
        assert re.fullmatch(written, value), (entity, value)
        seen.add(entity)
    assert seen == set(VALIDATORS)


def test_ids_that_encode_a_birth_date_match_the_row(big: Generated) -> None:
    birth_date = {
        "PL_PESEL": pesel.get_birth_date,
        "KR_RRN": rrn.get_birth_date,
        "CN_RESIDENT_ID": ric.get_birth_date,
        "IT_FISCAL_CODE": lambda v: codicefiscale.get_birth_date(v, minyear=1945),
    }
    checked = 0
    for value, entity, dob in zip(
        column(big.table, "national_id"),
        big.truth.national_id_entities,
        column(big.table, "date_of_birth"),
        strict=True,
    ):
        if entity in birth_date:
            assert birth_date[entity](value) == dob, (entity, value, dob)
            checked += 1
        if entity == "ZA_ID":
            assert value[:6] == f"{dob:%y%m%d}"
    assert checked > 1500


def test_every_iban_is_valid_for_its_country(big: Generated) -> None:
    lengths = {
        "GB": 22,
        "DE": 22,
        "FR": 27,
        "ES": 24,
        "IT": 27,
        "NL": 18,
        "PL": 28,
        "BR": 29,
        "RU": 33,
        "CH": 21,
        "SA": 24,
    }
    assert set(lengths) == IBAN_COUNTRIES
    spaced = 0
    for value, country in zip(column(big.table, "iban"), big.truth.countries, strict=True):
        if country not in IBAN_COUNTRIES:
            assert value is None
            continue
        assert iban.is_valid(value), value
        compact = iban.compact(value)
        assert compact[:2] == country and len(compact) == lengths[country]
        spaced += " " in value
    assert 0.3 < spaced / sum(c in IBAN_COUNTRIES for c in big.truth.countries) < 0.7


def test_every_phone_is_valid_for_its_country(big: Generated) -> None:
    for value, country in zip(column(big.table, "phone"), big.truth.countries, strict=True):
        assert value.startswith("+")
        number = phonenumbers.parse(value)
        assert phonenumbers.is_valid_number(number), value
        assert phonenumbers.region_code_for_number(number) == country, (value, country)


def test_every_card_is_luhn_valid(big: Generated) -> None:
    grouped = 0
    for value in column(big.table, "card_number"):
        digits = value.replace(" ", "")
        assert luhn.is_valid(digits), value
        assert (len(digits) == 15 and digits[:2] in {"34", "37"}) or (
            len(digits) == 16 and (digits[0] == "4" or 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720)
        ), value
        grouped += " " in value
    assert 0.4 < grouped / big.table.num_rows < 0.6


def test_other_structured_values(big: Generated) -> None:
    assert all(re.fullmatch(r"[^@\s]+@[a-z0-9.-]+\.[a-z]+", v) for v in column(big.table, "email"))
    assert all("\n" not in v for v in column(big.table, "street_address"))
    dobs = column(big.table, "date_of_birth")
    assert all(dt.date(1945, 1, 1) <= d <= dt.date(2006, 12, 31) for d in dobs)
    ips = column(big.table, "ip_address")
    assert 0.05 < sum(":" in ip for ip in ips) / len(ips) < 0.15
    assert all(ip.count(".") == 3 for ip in ips if ":" not in ip)


def test_native_script_names_for_about_half_of_cn_jp_kr_ru(big: Generated) -> None:
    for country in ("CN", "JP", "KR", "RU"):
        names = [
            n for n, c in zip(column(big.table, "customer_name"), big.truth.countries, strict=True) if c == country
        ]
        native = sum(not n.isascii() for n in names) / len(names)
        assert 0.4 < native < 0.6, (country, native)
    others = [n for n, c in zip(column(big.table, "customer_name"), big.truth.countries, strict=True) if c == "SA"]
    assert all(n.isascii() for n in others)


# ---------------------------------------------------------------------------------------------------
# Notes and their ground truth
# ---------------------------------------------------------------------------------------------------


def test_text_spans_are_exactly_the_inserted_values(big: Generated) -> None:
    names, emails, phones = (column(big.table, c) for c in ("customer_name", "email", "phone"))
    entities = Counter()
    for row, (note, spans) in enumerate(zip(column(big.table, "notes"), big.truth.text_spans, strict=True)):
        for start, end, entity in spans:
            text = note[start:end]
            entities[entity] += 1
            if entity == "PERSON":
                assert text == names[row]
            elif entity == "EMAIL_ADDRESS":
                assert text == emails[row]
            else:
                assert entity == "PHONE_NUMBER"
                country = big.truth.countries[row]
                assert phonenumbers.parse(text, country) == phonenumbers.parse(phones[row]), (
                    text,
                    phones[row],
                )
    assert set(entities) == {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"}


def test_notes_mix_matches_the_brief(big: Generated) -> None:
    notes = column(big.table, "notes")
    rows = len(notes)
    assert 0.03 < sum(n is None for n in notes) / rows < 0.07
    with_pii = sum(bool(spans) for spans in big.truth.text_spans) / rows
    assert 0.38 < with_pii < 0.52
    plain = sum(
        n is not None and not spans and not special
        for n, spans, special in zip(notes, big.truth.text_spans, big.truth.special_category, strict=True)
    )
    assert 0.35 < plain / rows < 0.48
    assert 0.10 < sum(big.truth.special_category) / rows < 0.16
    assert all(1 <= len(re.findall(r"[.!?](?:\s|$)", n)) <= 3 for n in notes if n is not None)
    templates = set()
    for note, spans in zip(notes, big.truth.text_spans, strict=True):
        for start, end, entity in reversed(spans):
            note = f"{note[:start]}<{entity}>{note[end:]}"
        if note is not None:
            note = re.sub(r"\b(?:she|he|her|him|his)\b", "<pronoun>", note, flags=re.IGNORECASE)
            templates.update(re.split(r"(?<=\.) ", note))
    assert len(templates) >= 25, templates


def test_special_category_flags_health_and_belief_notes(big: Generated) -> None:
    for note, special in zip(column(big.table, "notes"), big.truth.special_category, strict=True):
        assert bool(note and SPECIAL_TERMS.search(note)) == special, note


# ---------------------------------------------------------------------------------------------------
# pii_values and count_leaks
# ---------------------------------------------------------------------------------------------------


def test_pii_values_hold_every_pii_cell_and_note_span(small: Generated) -> None:
    table, truth = small.table, small.truth
    for row in range(table.num_rows):
        values = truth.pii_values(table, row)
        assert values
        cells = table.slice(row, 1).to_pylist()[0]
        for name, entity in truth.column_entities.items():
            if entity is not None and cells[name] is not None:
                cell = cells[name]
                assert (cell.isoformat() if isinstance(cell, dt.date) else cell) in values
        for start, end, _ in truth.text_spans[row]:
            assert cells["notes"][start:end] in values
        assert cells["order_id"] not in values and cells["sku"] not in values


def test_count_leaks_finds_nothing_in_redacted_rows(big: Generated) -> None:
    report = count_leaks(big.table, big.truth, redacted(big.table, big.truth), range(big.table.num_rows))
    assert report.leaked_values == 0 and report.by_column == {}
    assert report.pii_values_checked > 10 * big.table.num_rows


def test_count_leaks_finds_a_planted_email(small: Generated) -> None:
    table, truth = small.table, small.truth
    released = set_cell(redacted(table, truth), "sku", 5, f"ref {column(table, 'email')[5].upper()} ok")
    report = count_leaks(table, truth, released, range(table.num_rows))
    assert (report.leaked_values, report.by_column) == (1, {"email": 1})


def test_count_leaks_uses_row_index_and_ignores_separators(small: Generated) -> None:
    table, truth = small.table, small.truth
    phone = column(table, "phone")[9]
    bare = re.sub(r"[ ()./-]", "", phone)
    released = redacted(table, truth).slice(8, 3)  # source rows 8, 9, 10
    released = set_cell(released, "notes", 1, f"Call {bare} tomorrow")
    report = count_leaks(table, truth, released, [8, 9, 10])
    assert (report.leaked_values, report.by_column) == (1, {"phone": 1})
    # The same value in another source row's released row is not that row's leak.
    assert count_leaks(table, truth, released, [8, 10, 9]).leaked_values == 0


def test_count_leaks_counts_every_raw_value_and_dates(small: Generated) -> None:
    table, truth = small.table, small.truth
    everything = count_leaks(table, truth, table, range(table.num_rows))
    assert everything.leaked_values == everything.pii_values_checked
    dob_kept = redacted(table, truth).set_column(7, "date_of_birth", table.column("date_of_birth"))
    assert count_leaks(table, truth, dob_kept, range(table.num_rows)).by_column == {"date_of_birth": table.num_rows}


def test_count_leaks_ignores_values_glued_inside_longer_tokens(small: Generated) -> None:
    table, truth = small.table, small.truth
    email = column(table, "email")[3]
    released = set_cell(redacted(table, truth), "sku", 3, f"x{email}y")
    assert count_leaks(table, truth, released, range(table.num_rows)).leaked_values == 0


def test_a_row_whose_look_alikes_hold_its_pii_is_redrawn(monkeypatch: pytest.MonkeyPatch) -> None:
    real_sku = datagen._sku
    skus = iter(["Singapore"])  # the city of every SG row: the first draw collides with its own PII
    monkeypatch.setattr(datagen, "_sku", lambda rng: next(skus, None) or real_sku(rng))
    table, truth = generate_customers(3, seed=5, countries=("SG",))
    assert "Singapore" not in column(table, "sku")
    assert count_leaks(table, truth, redacted(table, truth), range(3)).leaked_values == 0


def test_count_leaks_rejects_a_mismatched_row_index(small: Generated) -> None:
    with pytest.raises(ValueError, match="row_index"):
        count_leaks(small.table, small.truth, small.table, [0, 1])


# ---------------------------------------------------------------------------------------------------
# Demo files
# ---------------------------------------------------------------------------------------------------


def test_write_demo_files(tmp_path: Path) -> None:
    paths = write_demo_files(tmp_path / "demo", n=60, seed=4)
    assert {p.name for p in paths.values()} == {"customers.parquet", "customers.csv", "customers.jsonl"}
    table, _ = generate_customers(60, seed=4)
    assert pq.read_table(paths["parquet"]).equals(table)

    rows = list(csv.DictReader(paths["csv"].open(encoding="utf-8")))
    records = [json.loads(line) for line in paths["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(records) == 60
    source = table.to_pylist()
    for row, record, original in zip(rows, records, source, strict=True):
        for text_row in (row, record):
            assert text_row["date_of_birth"] == original["date_of_birth"].isoformat()
            assert dt.datetime.fromisoformat(text_row["created_at"]) == original["created_at"]
            assert text_row["national_id"] == original["national_id"]


def test_same_seed_same_table_in_every_process() -> None:
    """Faker locales that build lists from sets must not make the table depend on PYTHONHASHSEED."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import hashlib; from govflow.datagen import generate_customers; "
        "t, _ = generate_customers(400, seed=0); print(hashlib.sha256(str(t.to_pylist()).encode()).hexdigest())"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": src},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
