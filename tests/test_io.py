"""Streaming readers and the atomic route writer, on real files in tmp_path.

The invariant checked throughout: every input record comes out as exactly one row, in order; a record
that cannot be read faithfully carries a problem string (for quarantine) instead of crashing the run.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import govflow.io as gio
from govflow.io import (
    InputError,
    InputSource,
    RouteTarget,
    RouteWriter,
    open_input,
    read_manifest,
    read_route,
)

TEN_MB = 10 * 1024 * 1024


def collect(source: InputSource) -> tuple[pa.Table, list[str | None]]:
    """All yielded rows as one table, and the per-row problems (None where the record is fine)."""
    batches, problems = [], []
    for batch, batch_problems in source.batches():
        assert batch.schema == source.schema
        assert batch_problems is None or len(batch_problems) == batch.num_rows
        batches.append(batch)
        problems += [None] * batch.num_rows if batch_problems is None else batch_problems.to_pylist()
    return pa.Table.from_batches(batches, schema=source.schema), problems


def write_csv(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# --- input: format detection and unreadable files -------------------------------------------------


def test_unknown_suffix_names_path_and_hint(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customers.xlsx", "a\n1\n")
    with pytest.raises(InputError) as info:
        open_input(path)
    assert str(path) in str(info.value)
    assert "expected .parquet" in str(info.value) and ".csv" in str(info.value)


def test_missing_file_and_plain_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        open_input(tmp_path / "nope.csv")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("x")
    with pytest.raises(InputError, match=r"holds no \.parquet files"):
        open_input(folder)


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.parquet"])
def test_zero_byte_file_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(InputError, match="empty file") as info:
        open_input(tmp_path / name)
    assert name in str(info.value)


def test_corrupt_parquet_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match="not a readable parquet input") as info:
        open_input(path)
    assert str(path) in str(info.value)


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        open_input(write_csv(tmp_path / "a.csv", "a\n1\n"), batch_size=0)


# --- parquet --------------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_order_and_rechunks(tmp_path: Path) -> None:
    table = pa.table({"id": pa.array(range(1000), pa.int64()), "name": [f"n{i}" for i in range(1000)]})
    path = tmp_path / "in.parquet"
    pq.write_table(table, path, row_group_size=77)
    source = open_input(path, batch_size=128)
    assert (source.format, source.num_rows) == ("parquet", 1000)
    sizes = [b.num_rows for b, _ in source.batches()]
    assert sizes == [128] * 7 + [104]
    got, problems = collect(source)
    assert got.equals(table) and problems == [None] * 1000


def test_parquet_directory_with_hive_partitions(tmp_path: Path) -> None:
    for country, start in (("DE", 0), ("FR", 10)):
        folder = tmp_path / "in" / f"country={country}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"id": list(range(start, start + 10))}), folder / "part-0.parquet")
    (tmp_path / "in" / "_SUCCESS").write_text("")
    source = open_input(tmp_path / "in", batch_size=7)
    got, _ = collect(source)
    assert source.num_rows == 20
    assert got.column("id").to_pylist() == list(range(20))
    assert got.column("country").to_pylist() == ["DE"] * 10 + ["FR"] * 10


def test_parquet_is_read_as_consumed_not_buffered_ahead(tmp_path: Path) -> None:
    # 40 row groups of ~1 MiB of incompressible text. Arrow memory held while the stream is consumed must
    # stay at a few row groups: pre-buffering or scanner readahead would hold the whole file by the end.
    rng = np.random.default_rng(0)
    path = tmp_path / "wide.parquet"
    with pq.ParquetWriter(path, pa.schema([("text", pa.string())]), compression="none") as writer:
        for _ in range(40):
            text = rng.integers(0, 2**63, (4_000, 4)).astype(str)
            writer.write_table(pa.table({"text": ["".join(row) for row in text]}), row_group_size=4_000)
    group_bytes = path.stat().st_size // 40
    source = open_input(path, batch_size=4_000)
    before = pa.total_allocated_bytes()
    held = []
    for batch, _ in source.batches():
        held.append(pa.total_allocated_bytes() - before)
        del batch
    assert len(held) == 40
    assert max(held) < 8 * group_bytes  # ~3 here; the whole file (40) when read ahead or pre-buffered


def test_parquet_directory_with_null_hive_partition(tmp_path: Path) -> None:
    for country, start in (("__HIVE_DEFAULT_PARTITION__", 0), ("FR", 3)):
        folder = tmp_path / "in" / f"country={country}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"id": list(range(start, start + 3))}), folder / "part-0.parquet")
    got, _ = collect(open_input(tmp_path / "in", batch_size=2))
    # Files in path order ("country=FR" sorts before "country=__HIVE..."); a null key is a null column.
    assert got.column("id").to_pylist() == [3, 4, 5, 0, 1, 2]
    assert got.column("country").to_pylist() == ["FR"] * 3 + [None] * 3


def test_parquet_directory_with_mismatched_schemas_is_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [1]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": ["x"]}), tmp_path / "b.parquet")
    with pytest.raises(InputError, match="columns differ"):
        open_input(tmp_path)


def test_parquet_invalid_utf8_is_replaced_and_flagged(tmp_path: Path) -> None:
    # A string column whose second value holds the bytes ff fe: some writers do not validate UTF-8.
    offsets = pa.py_buffer(pa.array([0, 2, 4], pa.int32()).buffers()[1])
    bad = pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"ok\xff\xfe")])
    pq.write_table(pa.table({"id": [1, 2], "notes": bad}), tmp_path / "bad.parquet")
    got, problems = collect(open_input(tmp_path / "bad.parquet"))
    assert got.column("notes").to_pylist() == ["ok", "\ufffd\ufffd"]
    assert problems == [None, "invalid UTF-8 in column 'notes' (replaced)"]


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_round_trip_all_strings_leading_zeros_and_nulls(tmp_path: Path) -> None:
    rows = [["00123", "Ann", ""], ["0", "Bob, Jr.", "x"], ["007", 'say "hi"\nbye', "3.5"]] * 50
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "name", "amount"], *rows])
    source = open_input(path, batch_size=40)
    assert source.format == "csv" and source.num_rows is None and source.warnings == []
    assert source.schema == pa.schema([("id", pa.string()), ("name", pa.string()), ("amount", pa.string())])
    assert [b.num_rows for b, _ in source.batches()] == [40, 40, 40, 30]
    got, problems = collect(source)
    assert got.to_pylist() == [{"id": r[0], "name": r[1], "amount": r[2] or None} for r in rows]
    assert problems == [None] * 150


def test_csv_bom_crlf_and_quoted_newline_in_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", b'\xef\xbb\xbf"first\nname",id\r\nAnn,01\r\n\r\nBob,02\r\n')
    source = open_input(path)
    got, _ = collect(source)
    assert source.schema.names == ["first\nname", "id"]
    assert got.to_pylist() == [{"first\nname": "Ann", "id": "01"}, {"first\nname": "Bob", "id": "02"}]


def test_csv_cr_line_endings_and_invalid_utf8_in_header(tmp_path: Path) -> None:
    source = open_input(write_csv(tmp_path / "in.csv", b'n\xffme,b\r1,2\r3,"x\ry"\r'))
    assert source.schema.names == ["n\ufffdme", "b"]
    assert source.warnings == ["CSV header: column 1 name has invalid UTF-8 (replaced)"]
    got, _ = collect(source)
    assert got.column("b").to_pylist() == ["2", "x\ry"]


def test_csv_invalid_utf8_cell_flags_only_that_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", b"id,notes,city\n1,fine,Paris\n2,caf\xe9 \xff,Rome\n3,ok,Oslo\n")
    got, problems = collect(open_input(path))
    assert got.column("notes").to_pylist() == ["fine", "caf\ufffd \ufffd", "ok"]
    assert got.column("city").to_pylist() == ["Paris", "Rome", "Oslo"]
    assert problems == [None, "invalid UTF-8 in column 'notes' (replaced)", None]


def test_csv_ragged_rows_become_flagged_records_in_place(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", "a,b\n1,2\n3\n4,5\n6,7,8\n\n9,10\n11\n")
    got, problems = collect(open_input(path, batch_size=2))
    assert got.num_rows == 6  # six data records in, six out; the blank line is not a record
    assert got.column("a").to_pylist() == ["1", None, "4", None, "9", None]
    assert problems == [
        None,
        "malformed CSV row 2 (1 fields, expected 2)",
        None,
        "malformed CSV row 4 (3 fields, expected 2)",
        None,
        "malformed CSV row 6 (1 fields, expected 2)",
    ]


def test_csv_ragged_rows_across_many_blocks_keep_their_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny blocks: Arrow reads a block ahead, so ragged rows are reported before their batch.
    monkeypatch.setattr(gio, "_CSV_BLOCK_SIZE", 64)
    lines = ["n,v"] + [f"{i}" if i % 7 == 0 else f"{i},x" for i in range(1, 400)]
    path = write_csv(tmp_path / "in.csv", "\n".join(lines) + "\n")
    got, problems = collect(open_input(path, batch_size=50))
    assert got.num_rows == 399
    expected_n = [None if i % 7 == 0 else str(i) for i in range(1, 400)]
    assert got.column("n").to_pylist() == expected_n
    assert [p is not None for p in problems] == [i % 7 == 0 for i in range(1, 400)]


def test_csv_only_ragged_rows_are_still_yielded(tmp_path: Path) -> None:
    got, problems = collect(open_input(write_csv(tmp_path / "in.csv", "a,b\n1\n2\n")))
    assert got.num_rows == 2 and all(p and p.startswith("malformed CSV row") for p in problems)


def test_csv_duplicate_and_empty_header_names(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", "id,name,id,,name__2,id\n1,2,3,4,5,6\n")
    source = open_input(path)
    assert source.schema.names == ["id", "name", "id__2", "column_4", "name__2", "id__3"]
    got, _ = collect(source)
    assert list(got.to_pylist()[0].values()) == ["1", "2", "3", "4", "5", "6"]
    assert source.warnings == [
        "CSV header: duplicate column name 'id' (column 3) renamed to 'id__2'",
        "CSV header: column 4 has no name; named 'column_4'",
        "CSV header: duplicate column name 'id' (column 6) renamed to 'id__3'",
    ]


@pytest.mark.parametrize("text", ["a,b\n", "a,b", "a,b\n\n\n"])
def test_csv_header_only_is_a_valid_empty_input(tmp_path: Path, text: str) -> None:
    source = open_input(write_csv(tmp_path / "in.csv", text))
    assert source.schema.names == ["a", "b"]
    assert list(source.batches()) == []


def test_csv_with_only_blank_lines_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no header row"):
        open_input(write_csv(tmp_path / "in.csv", "\n\n"))


def test_csv_ten_megabyte_cell(tmp_path: Path) -> None:
    big = "x" * TEN_MB
    path = write_csv(tmp_path / "in.csv", f'id,blob\n1,small\n2,{big}\n3,"{big}"\n4,end\n')
    got, problems = collect(open_input(path))
    assert got.column("id").to_pylist() == ["1", "2", "3", "4"]
    assert [len(v) for v in got.column("blob").to_pylist()] == [5, TEN_MB, TEN_MB, 3]
    assert problems == [None] * 4


def test_csv_long_record_mid_stream_neither_duplicates_nor_loses_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The record that outgrows the block comes after rows were already yielded: the re-read must skip them.
    monkeypatch.setattr(gio, "_CSV_BLOCK_SIZE", 64)
    lines = [
        "id,v",
        *(f"{i},v" for i in range(100)),
        f"100,{'y' * 5000}",
        "101\n",
        *(f"{i},v" for i in range(102, 150)),
    ]
    got, problems = collect(open_input(write_csv(tmp_path / "in.csv", "\n".join(lines) + "\n"), batch_size=10))
    assert got.column("id").to_pylist() == [str(i) if i != 101 else None for i in range(150)]
    assert [i for i, p in enumerate(problems) if p] == [101]


def test_csv_record_longer_than_the_largest_block_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unclosed quote swallows the rest of the file into one record: refused, not silently merged.
    monkeypatch.setattr(gio, "_CSV_BLOCK_SIZE", 64)
    monkeypatch.setattr(gio, "_CSV_MAX_BLOCK_SIZE", 1024)
    path = write_csv(tmp_path / "in.csv", 'a,b\n1,2\n3,"SECRET-CELL\n' + "4,5\n" * 1000)
    source = open_input(path, batch_size=1)
    with pytest.raises(InputError, match="longer than") as info:
        collect(source)
    assert str(path) in str(info.value) and "SECRET" not in str(info.value)


def test_input_truncated_after_open_fails_closed_with_input_error(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"secret": [f"value-{i}" for i in range(10_000)]}), path)
    source = open_input(path)
    path.write_bytes(path.read_bytes()[:200] + path.read_bytes()[-200:])
    with pytest.raises(InputError, match="reading parquet failed after 0 records") as info:
        collect(source)
    assert "value-" not in str(info.value)


# --- JSON Lines -----------------------------------------------------------------------------------


def test_jsonl_schema_from_every_line_and_bad_lines_as_records(tmp_path: Path) -> None:
    lines = [
        '{"id": 1, "zip": "02134", "profile": {"email": "a@example.com", "tags": ["x"]}}',
        "",
        "{not json",
        "[1, 2, 3]",
        '{"id": 2, "zip": 2134, "profile": {"email": "b@example.com", "tags": []}}',
        '{"id": 3.5, "zip": null, "profile": null, "empty": {}}',
        '{"id": 4, "last_only": "present"}',
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = open_input(path, batch_size=2)
    assert source.num_rows == 6  # the blank line is not a record
    assert source.schema == pa.schema(
        [
            ("id", pa.float64()),
            ("zip", pa.string()),
            ("profile", pa.struct([("email", pa.string()), ("tags", pa.list_(pa.string()))])),
            ("empty", pa.string()),
            ("last_only", pa.string()),
        ]
    )
    assert any("'zip'" in w for w in source.warnings) and any("'empty'" in w for w in source.warnings)
    got, problems = collect(source)
    assert got.column("id").to_pylist() == [1.0, None, None, 2.0, 3.5, 4.0]
    assert got.column("zip").to_pylist() == ["02134", None, None, "2134", None, None]
    assert got.column("profile").to_pylist()[3] == {"email": "b@example.com", "tags": []}
    assert got.column("empty").to_pylist()[4] == "{}"
    assert got.column("last_only").to_pylist() == [None] * 5 + ["present"]
    assert problems == [
        None,
        "malformed JSON on line 3",
        "malformed JSON on line 4 (not an object)",
        None,
        None,
        None,
    ]


def test_jsonl_conflicting_nested_values_become_json_text(tmp_path: Path) -> None:
    path = tmp_path / "in.ndjson"
    path.write_text('{"a": {"k": 1}}\n{"a": {"k": "one"}}\n{"a": "plain"}\n{"a": true}\n', encoding="utf-8")
    got, _ = collect(open_input(path))
    assert got.column("a").to_pylist() == ['{"k": 1}', '{"k": "one"}', "plain", "true"]


def test_jsonl_invalid_utf8_line_is_replaced_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"name": "Ann"}\n{"name": "B\xffob"}\n')
    got, problems = collect(open_input(path))
    assert got.column("name").to_pylist() == ["Ann", "B\ufffdob"]
    assert problems == [None, "invalid UTF-8 on line 2 (replaced)"]


def test_jsonl_value_that_does_not_fit_the_unified_type_is_flagged(tmp_path: Path) -> None:
    # The first chunk infers int64 for "n", the second float64: 2**60 is not exactly a double.
    path = tmp_path / "in.jsonl"
    path.write_text(f'{{"n": {2**60}, "k": "a"}}\n{{"n": 1, "k": "b"}}\n{{"n": 1.5, "k": "c"}}\n', encoding="utf-8")
    got, problems = collect(open_input(path, batch_size=2))
    assert got.column("n").to_pylist() == [None, 1.0, 1.5]
    assert got.column("k").to_pylist() == ["a", "b", "c"]
    assert problems[0] == "value in column 'n' on line 1 does not fit the inferred type double (set to null)"
    assert problems[1:] == [None, None]


def test_jsonl_without_any_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('[{"a": 1},\n{"a": 2}]\n', encoding="utf-8")
    with pytest.raises(InputError, match="not JSON Lines"):
        open_input(path)
    path.write_text("\n{}\n  \n", encoding="utf-8")
    with pytest.raises(InputError, match="no line holds a JSON object with keys"):
        open_input(path)


def test_jsonl_ten_megabyte_cell(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 1, "blob": "z" * TEN_MB}) + "\n" + '{"id": 2, "blob": "s"}\n')
    got, _ = collect(open_input(path))
    assert [len(v) for v in got.column("blob").to_pylist()] == [TEN_MB, 1]


# --- property: nothing lost, strings round-trip ---------------------------------------------------

cell = st.one_of(
    st.none(),
    st.text(
        alphabet=st.one_of(st.sampled_from(',"\n\r 0é€\t'), st.characters(exclude_categories=("Cs", "Cc"))),
        min_size=1,
        max_size=12,
    ),
)
tables = st.integers(1, 4).flatmap(lambda width: st.lists(st.lists(cell, min_size=width, max_size=width), max_size=30))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tables)
def test_property_csv_and_jsonl_lose_no_rows_and_round_trip_strings(tmp_path: Path, rows: list[list]) -> None:
    width = len(rows[0]) if rows else 1
    names = [f"c{i}" for i in range(width)]
    expected = [dict(zip(names, row, strict=True)) for row in rows]
    csv_path, jsonl_path = tmp_path / "p.csv", tmp_path / "p.jsonl"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([names, *rows])
    jsonl_path.write_text("".join(json.dumps(r) + "\n" for r in expected), encoding="utf-8")
    if not rows:  # no record, so no key: a JSONL file cannot define a schema, and is refused
        with pytest.raises(InputError):
            open_input(jsonl_path)
    for path in (csv_path, jsonl_path) if rows else (csv_path,):
        source = open_input(path, batch_size=7)
        got, problems = collect(source)
        assert got.num_rows == len(rows)
        assert problems == [None] * len(rows)
        if rows:
            assert got.select(names).to_pylist() == expected


# --- writing --------------------------------------------------------------------------------------

SCHEMA = pa.schema([("id", pa.string()), ("email", pa.string())])
AUDIT = pa.schema([("record_index", pa.int64()), ("route", pa.string())])
TARGETS = [
    RouteTarget("sovereign", "sovereign"),
    RouteTarget("external", "external"),
    RouteTarget("quarantine", "quarantine"),
]


def rows(*ids: str) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([{"id": i, "email": f"{i}@example.com"} for i in ids], schema=SCHEMA)


def audit(*routes: str) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([{"record_index": i, "route": r} for i, r in enumerate(routes)], schema=AUDIT)


def run(out: Path) -> Path:
    with RouteWriter(out, TARGETS, SCHEMA, AUDIT) as writer:
        writer.write("sovereign", rows("1", "2"))
        writer.write("external", pa.Table.from_batches([rows("3")]))
        writer.write("sovereign", rows("4"))
        writer.write_audit(audit("sovereign", "sovereign", "external", "sovereign"))
        return writer.commit({"input_rows": 4, "routes": {}})


def test_commit_writes_route_folders_audit_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest_path = run(out)
    assert manifest_path == out / "manifest.json"
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.parquet",
        "external",
        "manifest.json",
        "quarantine",
        "sovereign",
    ]
    manifest = read_manifest(out)
    assert manifest["input_rows"] == 4 and manifest["audit"] == "audit.parquet" and manifest["audit_rows"] == 4
    assert manifest["routes"]["sovereign"] == {
        "zone": "sovereign",
        "rows": 3,
        "path": "sovereign",
        "files": ["sovereign/part-00000.parquet"],
    }
    assert read_route(out, "sovereign").column("id").to_pylist() == ["1", "2", "4"]
    empty = read_route(out, "quarantine")  # no rows, but a file that carries the schema
    assert empty.num_rows == 0 and empty.schema.equals(SCHEMA)
    assert pq.read_table(out / "audit.parquet").num_rows == 4
    assert (
        pq.ParquetFile(out / "sovereign" / "part-00000.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
    )


def test_manifest_bytes_are_deterministic(tmp_path: Path) -> None:
    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().startswith('{\n  "audit": "audit.parquet"')


def test_rows_per_file_rolls_part_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RouteWriter(out, TARGETS, SCHEMA, AUDIT, rows_per_file=4) as writer:
        for i in range(10):
            writer.write("external", rows(str(i)))
        writer.commit({})
    files = read_manifest(out)["routes"]["external"]["files"]
    assert files == [f"external/part-0000{i}.parquet" for i in range(3)]
    assert [pq.read_metadata(out / f).num_rows for f in files] == [4, 4, 2]
    assert read_route(out, "external").column("id").to_pylist() == [str(i) for i in range(10)]


def test_exception_inside_with_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="boom"), RouteWriter(out, TARGETS, SCHEMA, AUDIT) as writer:
        writer.write("sovereign", rows("1"))
        raise RuntimeError("boom")
    assert not out.exists()  # created by the writer, removed again on abort
    existing = tmp_path / "existing"
    existing.mkdir()
    with RouteWriter(existing, TARGETS, SCHEMA, AUDIT) as writer:
        writer.write("sovereign", rows("1"))  # leaving without commit() aborts too
    assert list(existing.iterdir()) == []


def test_refuses_non_empty_directory_without_manifest(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("user data")
    with pytest.raises(FileExistsError, match="no govflow output"):
        RouteWriter(tmp_path, TARGETS, SCHEMA, AUDIT, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


def test_stale_staging_folder_does_not_make_a_directory_non_empty(tmp_path: Path) -> None:
    (tmp_path / ".govflow-staging-crashed").mkdir()
    run(tmp_path)
    assert (tmp_path / "manifest.json").is_file() and (tmp_path / ".govflow-staging-crashed").is_dir()


def test_overwrite_semantics(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(FileExistsError, match="overwrite"):
        RouteWriter(out, TARGETS, SCHEMA, AUDIT)
    # a failed re-run keeps the previous complete output, byte for byte
    with pytest.raises(RuntimeError), RouteWriter(out, TARGETS, SCHEMA, AUDIT, overwrite=True) as writer:
        writer.write("sovereign", rows("new"))
        raise RuntimeError("engine failed")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    # a successful re-run replaces it; a route the new run does not have disappears with the old output
    (out / "notes.txt").write_text("kept: not govflow's")
    targets = [RouteTarget("vault", "sovereign"), RouteTarget("q", "quarantine")]
    with RouteWriter(out, targets, SCHEMA, AUDIT, overwrite=True) as writer:
        writer.write("vault", rows("9"))
        writer.commit({})
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.parquet",
        "manifest.json",
        "notes.txt",
        "q",
        "vault",
    ]
    assert read_route(out, "vault").column("id").to_pylist() == ["9"]


def test_overwrite_refuses_to_replace_a_user_file(tmp_path: Path) -> None:
    run(tmp_path)
    (tmp_path / "vault").mkdir()
    with pytest.raises(FileExistsError, match="not part of the previous govflow output"):
        RouteWriter(tmp_path, [RouteTarget("vault", "sovereign")], SCHEMA, AUDIT, overwrite=True)


def test_write_rejects_unknown_route_bad_schema_and_use_after_commit(tmp_path: Path) -> None:
    with RouteWriter(tmp_path / "out", TARGETS, SCHEMA, AUDIT) as writer:
        with pytest.raises(ValueError, match="unknown route 'nowhere'"):
            writer.write("nowhere", rows("1"))
        with pytest.raises(ValueError, match=r"columns differing: \['email'\]"):
            writer.write("sovereign", pa.record_batch({"id": ["1"], "email": [1]}))
        writer.commit({})
        with pytest.raises(RuntimeError, match="committed"):
            writer.write("sovereign", rows("1"))


@pytest.mark.parametrize(
    "targets",
    [
        [RouteTarget("../escape", "external")],
        [RouteTarget("audit.parquet", "external")],
        [RouteTarget("a", "sovereign"), RouteTarget("a", "external")],
        [RouteTarget("a", "moon")],
    ],
)
def test_bad_targets_are_refused(tmp_path: Path, targets: list[RouteTarget]) -> None:
    with pytest.raises(ValueError):
        RouteWriter(tmp_path / "out", targets, SCHEMA, AUDIT)
    assert not (tmp_path / "out").exists()


def test_read_helpers_on_missing_output(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="incomplete run"):
        read_manifest(tmp_path)
    run(tmp_path / "out")
    with pytest.raises(ValueError, match="no route 'moon'"):
        read_route(tmp_path / "out", "moon")
