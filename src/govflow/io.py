"""Streaming input readers and the atomic route writer.

govflow's contract is *nothing lost, never crash halfway, fail closed*:

* Input is streamed in record batches of a fixed schema, so a file far larger than memory is never
  loaded whole. A file that cannot be read at all is refused with :class:`InputError` by
  :func:`open_input`, before anything is written. A *record* that cannot be read faithfully (a ragged
  CSV row, a malformed JSON line, invalid UTF-8) still comes out as a row, with a per-row problem
  string, so the engine can send it to quarantine: every input record yields exactly one row.
* Output is written under a hidden staging folder and moved into place only by
  :meth:`RouteWriter.commit`, with ``manifest.json`` last, so a folder with a manifest is always
  complete and a failed run leaves no half-written routes behind.

Error and problem messages name files, line/row numbers and columns, never cell values: the values
are the personal data this library exists to protect.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

T = TypeVar("T")

#: One unit of the input stream: a record batch and its per-row problems (None: no problems).
Piece = tuple[pa.RecordBatch, pa.Array | None]

PARQUET_SUFFIXES = (".parquet", ".pq")
_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_FORMAT_HINT = "expected .parquet (or .pq), .csv, or .jsonl (or .ndjson), or a directory of .parquet files"

# CSV blocks start at Arrow's default of 1 MiB (the reader holds a few dozen blocks' worth of memory)
# and grow 4x whenever a record does not fit in one, up to 1 GiB.
_CSV_BLOCK_SIZE = 1 << 20
_CSV_MAX_BLOCK_SIZE = 1 << 30
_UTF8_BOM = b"\xef\xbb\xbf"
# Python-side conversion failures (pyarrow's own errors subclass ValueError/TypeError).
_CONVERT_ERRORS = (pa.ArrowException, OverflowError, TypeError, ValueError)


class InputError(Exception):
    """An input that cannot be read at all; message names the file and the cause, never a cell value."""


@dataclass
class InputSource:
    """An opened input: its fixed schema and a way to stream it (again) from the start."""

    path: Path
    format: str  # "parquet" | "csv" | "jsonl"
    schema: pa.Schema  # the schema every yielded batch has (fixed for the whole run)
    num_rows: int | None  # known up front for parquet (footer) and jsonl (schema pass), else None
    _read: Callable[[], Iterator[Piece]] = field(repr=False, compare=False)
    batch_size: int = 65_536
    warnings: list[str] = field(default_factory=list)  # input-level notes for the manifest (no values)

    def batches(self) -> Iterator[Piece]:
        """Yields (batch, problems) with ``batch_size`` rows each (the last may be shorter).

        ``problems`` is None or a string array of batch length, non-null where that record could not
        be read faithfully; the engine quarantines those records. Each call streams from the start.
        A read failure mid-stream (a truncated file) raises :class:`InputError`, so the caller's
        :class:`RouteWriter` aborts and nothing partial is committed.
        """
        return _guarded(self.path, self.format, self._stream())

    def _stream(self) -> Iterator[Piece]:
        for piece in _rebatch((_conform(p, self.schema) for p in self._read()), self.batch_size):
            batch, problems = repair_utf8(self.path, *piece)
            yield batch, None if problems is None or problems.null_count == len(problems) else problems


def open_input(path: str | Path, batch_size: int = 65_536) -> InputSource:
    """Open a .parquet/.csv/.jsonl file (or a directory of parquet files) for streaming.

    Everything that would make the whole input unreadable is checked here, so a bad input is refused
    before the caller creates any output.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file; {_FORMAT_HINT}")
    fmt = _FORMATS.get(path.suffix.lower())
    if path.is_dir():
        if fmt not in (None, "parquet"):
            raise InputError(f"{path}: is a directory; {_FORMAT_HINT}")
        fmt = "parquet"
    elif fmt is None:
        raise InputError(f"{path}: unknown input format {path.suffix or '(no suffix)'!r}; {_FORMAT_HINT}")
    elif path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes); nothing to read, not even a header or a schema")
    opener = {"parquet": _open_parquet, "csv": _open_csv, "jsonl": _open_jsonl}[fmt]
    try:
        return opener(path, batch_size)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from exc


# --- shared batch/problem plumbing ---------------------------------------------------------------


def _guarded(path: Path, fmt: str, pieces: Iterator[Piece]) -> Iterator[Piece]:
    """Turn a mid-stream read failure into an InputError that names the file but not the data.

    The underlying exception is chained for debugging; its text is not copied into the message
    because parser errors may quote the offending row.
    """
    done = 0
    try:
        for batch, problems in pieces:
            yield batch, problems
            done += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}: reading {fmt} failed after {done:,} records ({type(exc).__name__}); "
            "the file may be truncated or corrupt"
        ) from exc


def _conform(piece: Piece, schema: pa.Schema) -> Piece:
    """The piece with exactly the source schema (readers may drop schema metadata)."""
    batch, problems = piece
    if batch.schema.equals(schema, check_metadata=True):
        return piece
    return pa.RecordBatch.from_arrays(batch.columns, schema=schema), problems


def _concat(pieces: list[Piece]) -> Piece:
    if len(pieces) == 1:
        return pieces[0]
    batch = pa.concat_batches([b for b, _ in pieces])
    if all(p is None for _, p in pieces):
        return batch, None
    problems = pa.concat_arrays([pa.nulls(b.num_rows, pa.string()) if p is None else p for b, p in pieces])
    return batch, problems


def _slice(piece: Piece, start: int, length: int) -> Piece:
    batch, problems = piece
    return batch.slice(start, length), None if problems is None else problems.slice(start, length)


def _rebatch(pieces: Iterable[Piece], batch_size: int) -> Iterator[Piece]:
    """Re-chunk a stream to exactly ``batch_size`` rows per batch, keeping row order.

    Readers produce pieces of their natural size (a CSV block, a parquet row group); the engine's
    memory use and the progress display depend on the batch size the caller asked for.
    """
    pending: list[Piece] = []
    pending_rows = 0
    for piece in pieces:
        if piece[0].num_rows == 0:
            continue
        pending.append(piece)
        pending_rows += piece[0].num_rows
        if pending_rows < batch_size:
            continue
        merged = _concat(pending)
        full = pending_rows - pending_rows % batch_size
        for start in range(0, full, batch_size):
            yield _slice(merged, start, batch_size)
        pending = [_slice(merged, full, pending_rows - full)] if full < pending_rows else []
        pending_rows -= full
    if pending_rows:
        yield _concat(pending)


def _add_problem(notes: list[str | None], row: int, message: str) -> None:
    notes[row] = message if notes[row] is None else f"{notes[row]}; {message}"


def repair_utf8(path: Path, batch: pa.RecordBatch, problems: pa.Array | None) -> Piece:
    """Replace invalid UTF-8 bytes in string columns (per value) and flag those rows.

    CSV is read without UTF-8 checks and parquet writers do not all validate, so a single bad byte
    would otherwise crash the engine halfway through a run. Full validation is a fast C++ pass; the
    per-value Python repair runs only for a column that fails it.
    """
    try:
        batch.validate(full=True)
        return batch, problems
    except pa.ArrowInvalid:
        pass
    columns = list(batch.columns)
    notes: list[str | None] = [None] * batch.num_rows if problems is None else problems.to_pylist()
    for i, (column_field, column) in enumerate(zip(batch.schema, columns, strict=True)):
        try:
            column.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        binary = {pa.string(): pa.binary(), pa.large_string(): pa.large_binary()}.get(column_field.type)
        if binary is None:
            raise InputError(
                f"{path}: column {column_field.name!r} (type {column_field.type}) holds invalid UTF-8 "
                "inside a nested value, which govflow cannot repair; fix the input"
            )
        message = f"invalid UTF-8 in column {column_field.name!r} (replaced)"
        repaired: list[str | None] = []
        for row, raw in enumerate(column.view(binary).to_pylist()):
            try:
                repaired.append(None if raw is None else raw.decode("utf-8"))
            except UnicodeDecodeError:
                repaired.append(raw.decode("utf-8", "replace"))
                _add_problem(notes, row, message)
        columns[i] = pa.array(repaired, column_field.type)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema), pa.array(notes, pa.string())


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- parquet --------------------------------------------------------------------------------------


def _open_parquet(path: Path, batch_size: int) -> InputSource:
    """A parquet file, or a directory of them (sorted by path, hive partition columns included).

    Every file's footer is read up front: a corrupt file or a file whose schema differs from the
    first is refused now rather than discovered after part of the output has been written.
    """
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in PARQUET_SUFFIXES
            and p.is_file()
            and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        )
        if not files:
            raise InputError(f"{path}: directory holds no .parquet files; {_FORMAT_HINT}")
        source: str | list[str] = [str(p) for p in files]
        options: dict[str, Any] = {"partitioning": "hive", "partition_base_dir": str(path)}
    else:
        source, options = str(path), {}
    try:
        dataset = ds.dataset(source, format="parquet", **options)
        fragments = list(dataset.get_fragments())
        first = fragments[0].physical_schema
        for fragment in fragments[1:]:
            if not fragment.physical_schema.equals(first):
                raise InputError(
                    f"{fragment.path}: columns differ from {fragments[0].path}; "
                    "all parquet files of one input must have the same schema"
                )
        num_rows = dataset.count_rows()
    except pa.ArrowException as exc:
        # Arrow's open/footer errors name the file and the defect (e.g. "magic bytes not found").
        raise InputError(f"{path}: not a readable parquet input ({exc})") from exc

    schema = dataset.schema  # the files' columns, then any hive partition columns
    partition_fields = list(schema)[len(first) :]

    def read() -> Iterator[Piece]:
        # Each file is read one row group at a time, only as the engine asks for rows, and with
        # pre_buffer off: pre-buffering (pyarrow's default, also in the dataset scanner) caches the raw
        # column chunks of every row group read and keeps them until the file is done, and the scanner
        # decodes batches ahead in background threads whatever its readahead settings. With an engine far
        # slower than the reader that held most of the file (~300 MiB per million rows of a 12-column
        # table), and forked workers inherited those pages too.
        for fragment in fragments:
            keys = ds.get_partition_keys(fragment.partition_expression)
            for batch in pq.ParquetFile(fragment.path, pre_buffer=False).iter_batches(batch_size=batch_size):
                if partition_fields:
                    constants = [_constant(keys.get(f.name), f.type, batch.num_rows) for f in partition_fields]
                    batch = pa.RecordBatch.from_arrays([*batch.columns, *constants], schema=schema)
                yield batch, None

    return InputSource(path, "parquet", schema, num_rows, read, batch_size)


def _constant(value: object, type_: pa.DataType, rows: int) -> pa.Array:
    """A partition column of one batch: the folder's value (null for a missing or null partition key)."""
    return pa.nulls(rows, type_) if value is None else pa.repeat(pa.scalar(value, type_), rows)


# --- CSV ------------------------------------------------------------------------------------------


def _csv_header(path: Path) -> tuple[list[str], int, list[str]]:
    """(header fields, byte offset where the data starts, warnings).

    The header is parsed with Python's csv module (which handles quoted newlines and any line ending)
    over a byte-exact decoding, so Arrow can then be started right after it with our column names:
    Arrow's own header handling cannot rename duplicates or give every column a string type up front.
    """
    warnings: list[str] = []
    with path.open("rb") as raw:
        offset = len(_UTF8_BOM) if raw.read(len(_UTF8_BOM)) == _UTF8_BOM else 0
        raw.seek(offset)
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")

        def lines() -> Iterator[str]:
            nonlocal offset
            for line in text:
                offset += len(line.encode("utf-8", "surrogateescape"))
                yield line

        try:
            header = next((row for row in csv.reader(lines()) if row), None)
        except csv.Error as exc:
            raise InputError(f"{path}: cannot parse the CSV header row ({exc})") from exc
    if header is None:
        raise InputError(f"{path}: no header row (the file holds only blank lines)")
    fields = []
    for position, name in enumerate(header, 1):
        fixed = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if fixed != name:
            warnings.append(f"CSV header: column {position} name has invalid UTF-8 (replaced)")
        fields.append(fixed)
    return fields, offset, warnings


def _column_names(header: Sequence[str]) -> tuple[list[str], list[str]]:
    """Unique, non-empty column names, renamed deterministically, and a warning per rename.

    Keeping every column (rather than letting a duplicate win) is what "nothing lost" means for a
    header; ``name__2`` never collides with a name that appears elsewhere in the header.
    """
    taken = {name for name in header if name.strip()}
    names: list[str] = []
    warnings: list[str] = []
    for position, name in enumerate(header, 1):
        base = name if name.strip() else f"column_{position}"
        candidate, suffix = base, 2
        while candidate in names or (candidate != name and candidate in taken):
            candidate, suffix = f"{base}__{suffix}", suffix + 1
        if not name.strip():
            warnings.append(f"CSV header: column {position} has no name; named {candidate!r}")
        elif candidate != name:
            warnings.append(f"CSV header: duplicate column name {name!r} (column {position}) renamed to {candidate!r}")
        names.append(candidate)
    return names, warnings


def _open_csv(path: Path, batch_size: int) -> InputSource:
    """A CSV with a header row; every column is a string, empty fields are null.

    Strings for everything: identifiers keep their leading zeros, and Arrow's type inference on the
    first block cannot be contradicted (and crash the run) by a later block.
    """
    header, offset, warnings = _csv_header(path)
    names, rename_warnings = _column_names(header)
    schema = pa.schema([pa.field(name, pa.string()) for name in names])
    has_data = offset < path.stat().st_size

    def read() -> Iterator[Piece]:
        return _csv_pieces(path, schema, offset) if has_data else iter(())

    return InputSource(path, "csv", schema, None, read, batch_size, warnings + rename_warnings)


def _csv_pieces(path: Path, schema: pa.Schema, offset: int) -> Iterator[Piece]:
    """The CSV records after the header, growing the block size when a record does not fit.

    Arrow needs every record to fit in about one block, and a long record may appear anywhere (a
    10 MB cell on row 4,000,000). On that error the file is re-read with a 4x larger block and the
    records already yielded are skipped, so nothing is yielded twice or lost.
    """
    emitted = 0
    block_size = _CSV_BLOCK_SIZE
    while True:
        skip = emitted
        try:
            for piece in _csv_attempt(path, schema, offset, block_size):
                rows = piece[0].num_rows
                if skip >= rows:
                    skip -= rows
                    continue
                if skip:
                    piece, skip = _slice(piece, skip, rows - skip), 0
                emitted += piece[0].num_rows
                yield piece
            return
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
            if block_size >= _CSV_MAX_BLOCK_SIZE:
                raise InputError(
                    f"{path}: a CSV record after data row {emitted:,} is longer than "
                    f"{_CSV_MAX_BLOCK_SIZE:,} bytes (or a quote is never closed)"
                ) from exc
            block_size *= 4


def _csv_attempt(path: Path, schema: pa.Schema, offset: int, block_size: int) -> Iterator[Piece]:
    """One pass of Arrow's streaming CSV reader, with ragged rows put back as all-null records.

    Arrow can only skip a ragged row; the handler records its number (data rows after the header,
    1-based, blank lines not counted) and the rows are re-inserted at their place. Arrow reads one
    block ahead, so a ragged row is matched to a batch by its number, not by when it was reported.
    Serial reading (``use_threads=False``) is what makes those numbers known.
    """
    ragged: list[tuple[int, int]] = []

    def on_invalid_row(row: Any) -> str:
        ragged.append((row.number, row.actual_columns))
        return "skip"

    read_options = pacsv.ReadOptions(use_threads=False, block_size=block_size, column_names=schema.names)
    parse_options = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row)
    convert_options = pacsv.ConvertOptions(
        column_types=dict(zip(schema.names, schema.types, strict=True)),
        check_utf8=False,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    with pa.OSFile(str(path)) as stream:
        stream.seek(offset)
        reader = pacsv.open_csv(
            stream, read_options=read_options, parse_options=parse_options, convert_options=convert_options
        )
        start = 1  # number of the first record not yet yielded
        for batch in reader:
            taken = 0
            while taken < len(ragged) and ragged[taken][0] <= start + batch.num_rows - 1 + taken:
                taken += 1
            yield _with_ragged(batch, start, ragged[:taken], schema)
            start += batch.num_rows + taken
            del ragged[:taken]
        # ragged records after the last valid one (or in a file with no valid record at all)
        yield _with_ragged(pa.RecordBatch.from_pylist([], schema=schema), start, ragged, schema)


def _with_ragged(batch: pa.RecordBatch, start: int, ragged: list[tuple[int, int]], schema: pa.Schema) -> Piece:
    """``batch`` (records numbered from ``start``) with the ragged records put back in place."""
    if not ragged:
        return batch, None
    total = batch.num_rows + len(ragged)
    positions = np.array([number - start for number, _ in ragged], dtype=np.int64)
    is_ragged = np.zeros(total, dtype=bool)
    is_ragged[positions] = True
    order = np.empty(total, dtype=np.int64)
    order[~is_ragged] = np.arange(batch.num_rows)
    order[is_ragged] = batch.num_rows + np.arange(len(ragged))
    filler = pa.RecordBatch.from_arrays([pa.nulls(len(ragged), f.type) for f in schema], schema=schema)
    merged = pa.concat_batches([batch, filler]).take(pa.array(order))
    notes: list[str | None] = [None] * total
    for position, (number, fields) in zip(positions.tolist(), ragged, strict=True):
        notes[position] = f"malformed CSV row {number} ({fields} fields, expected {len(schema)})"
    return merged, pa.array(notes, pa.string())


# --- JSON Lines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _JsonLine:
    number: int  # physical line number, 1-based
    record: dict[str, Any] | None  # None: not a JSON object
    problem: str | None


def _json_lines(path: Path) -> Iterator[_JsonLine]:
    """Every non-blank line, parsed; shared by the schema pass and the data pass so they agree."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if number == 1 and raw.startswith(_UTF8_BOM):
                raw = raw[len(_UTF8_BOM) :]
            if not raw.strip():
                continue
            problem = None
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "replace")
                problem = f"invalid UTF-8 on line {number} (replaced)"
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                yield _JsonLine(number, None, f"malformed JSON on line {number}")
                continue
            if not isinstance(value, dict):
                yield _JsonLine(number, None, f"malformed JSON on line {number} (not an object)")
                continue
            yield _JsonLine(number, value, problem)


def _parquet_storable(data_type: pa.DataType) -> bool:
    """False for types parquet cannot hold (a struct with no fields, from ``{}`` values)."""
    if pa.types.is_struct(data_type):
        return data_type.num_fields > 0 and all(_parquet_storable(f.type) for f in data_type)
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return _parquet_storable(data_type.value_type)
    return True


def _unify(known: pa.DataType, new: pa.DataType) -> pa.DataType:
    """The type that holds values of both types; raises when there is none (e.g. int and string)."""
    schemas = [pa.schema([("value", known)]), pa.schema([("value", new)])]
    return pa.unify_schemas(schemas, promote_options="permissive").field("value").type


class _JsonSchema:
    """The schema of a JSON Lines file, built chunk by chunk so the first pass streams too.

    Arrow infers each key's type per chunk; types are unified across chunks (int with float becomes
    float, null with anything becomes that thing, structs merge their fields). A key whose values
    cannot be unified becomes a string column holding the JSON text of its non-string values: that
    keeps every value, in a column the engine can still scan.
    """

    def __init__(self) -> None:
        self.types: dict[str, pa.DataType] = {}  # insertion order = first-seen order
        self.text_keys: set[str] = set()
        self.records = 0

    def add(self, lines: list[_JsonLine]) -> None:
        values: dict[str, list[Any]] = {}
        for line in lines:
            self.records += 1
            for key, value in (line.record or {}).items():
                values.setdefault(key, []).append(value)
        for key, key_values in values.items():
            known = self.types.setdefault(key, pa.null())
            if key in self.text_keys:
                continue
            try:
                unified = _unify(known, pa.array(key_values).type)
            except _CONVERT_ERRORS:
                self.text_keys.add(key)
                continue
            if _parquet_storable(unified):
                self.types[key] = unified
            else:
                self.text_keys.add(key)

    def schema(self) -> pa.Schema:
        """Keys never seen with a value (always null) become strings: a null-typed column is useless."""
        return pa.schema(
            pa.field(key, pa.string() if key in self.text_keys or pa.types.is_null(t) else t)
            for key, t in self.types.items()
        )

    def warnings(self) -> list[str]:
        return [
            f"JSONL key {key!r} has values of different or unsupported types; kept as JSON text (string)"
            for key in self.types
            if key in self.text_keys
        ]


def _open_jsonl(path: Path, batch_size: int) -> InputSource:
    """JSON Lines: a first streaming pass fixes the schema (every key seen anywhere), a second converts.

    A schema taken from the first chunk only would drop a key that appears only on the last line, or
    crash when a later line has another type; two passes cost a second parse and nothing else.
    """
    inferred = _JsonSchema()
    for chunk in _chunks(_json_lines(path), batch_size):
        inferred.add(chunk)
    schema = inferred.schema()
    if not len(schema):
        raise InputError(
            f"{path}: no line holds a JSON object with keys; expected one JSON object per line "
            "(a single JSON document or array is not JSON Lines)"
        )
    text_keys = [key for key in schema.names if key in inferred.text_keys]

    def read() -> Iterator[Piece]:
        for chunk in _chunks(_json_lines(path), batch_size):
            yield _json_batch(chunk, schema, text_keys)

    return InputSource(path, "jsonl", schema, inferred.records, read, batch_size, inferred.warnings())


def _json_batch(lines: list[_JsonLine], schema: pa.Schema, text_keys: list[str]) -> Piece:
    """One chunk of parsed lines as a batch of the fixed schema.

    The fast path converts the whole chunk at once. It can only fail where the unified type cannot
    hold a value exactly (an integer beyond 2**53 in a column that became float in a later chunk);
    then that column is converted value by value and only the cells that do not fit become null,
    with a problem that sends the record to quarantine.
    """
    rows: list[dict[str, Any]] = []
    notes: list[str | None] = []
    for line in lines:
        record = line.record or {}
        for key in text_keys:
            value = record.get(key)
            if value is not None and not isinstance(value, str):
                record[key] = json.dumps(value, ensure_ascii=False)
        rows.append(record)
        notes.append(line.problem)
    try:
        batch = pa.RecordBatch.from_pylist(rows, schema=schema)
    except _CONVERT_ERRORS:
        columns = []
        for column_field in schema:
            values = [row.get(column_field.name) for row in rows]
            try:
                columns.append(pa.array(values, column_field.type))
                continue
            except _CONVERT_ERRORS:
                pass
            for i, value in enumerate(values):
                try:
                    pa.array([value], column_field.type)
                except _CONVERT_ERRORS:
                    values[i] = None
                    _add_problem(
                        notes,
                        i,
                        f"value in column {column_field.name!r} on line {lines[i].number} does not fit "
                        f"the inferred type {column_field.type} (set to null)",
                    )
            columns.append(pa.array(values, column_field.type))
        batch = pa.RecordBatch.from_arrays(columns, schema=schema)
    return batch, pa.array(notes, pa.string()) if any(n is not None for n in notes) else None


# --- writing --------------------------------------------------------------------------------------

ZONES = ("sovereign", "external", "quarantine")
MANIFEST = "manifest.json"
AUDIT = "audit.parquet"
_STAGING_PREFIX = ".govflow-staging-"
# Route batches are often small (one route's share of an input batch); they are buffered up to this
# size so the parquet files get reasonably large row groups.
_ROW_GROUP_ROWS = 65_536
_ROW_GROUP_BYTES = 64 << 20


@dataclass(frozen=True)
class RouteTarget:
    name: str
    zone: str  # "sovereign" | "external" | "quarantine"


def _fsync(path: Path) -> None:
    """Flush a file's or a directory's data to disk, so a committed manifest never outlives its data."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _as_table(data: pa.RecordBatch | pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
    if not table.schema.equals(schema, check_metadata=False):
        expected = {f.name: f for f in schema}
        got = {f.name: f for f in table.schema}
        diff = sorted(name for name in expected.keys() | got.keys() if expected.get(name) != got.get(name))
        detail = f"columns differing: {diff}" if diff else "column order differs"
        raise ValueError(f"{what}: batch does not match the output schema ({detail})")
    return table


class _ParquetSink:
    """One output's parquet files: small writes buffered into row groups, rolled every N rows."""

    def __init__(self, path_for: Callable[[int], Path], schema: pa.Schema, rows_per_file: int | None) -> None:
        self._path_for = path_for
        self._schema = schema
        self._rows_per_file = rows_per_file
        self._writer: pq.ParquetWriter | None = None
        self._file_rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        self.rows = 0
        self.files: list[Path] = []

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self._pending_bytes += table.nbytes
        if self._pending_rows >= _ROW_GROUP_ROWS or self._pending_bytes >= _ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        table = pa.concat_tables(self._pending)
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
        while table.num_rows:
            writer = self._writer
            if writer is None or self._file_rows == self._rows_per_file:
                writer = self._next_file()
            room = table.num_rows if self._rows_per_file is None else self._rows_per_file - self._file_rows
            part = table.slice(0, room)
            table = table.slice(part.num_rows)
            writer.write_table(part)
            self._file_rows += part.num_rows
            self.rows += part.num_rows

    def _next_file(self) -> pq.ParquetWriter:
        self._close_file()
        path = self._path_for(len(self.files))
        self._writer = pq.ParquetWriter(path, self._schema, compression="zstd", write_statistics=True)
        self.files.append(path)
        self._file_rows = 0
        return self._writer

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            _fsync(self.files[-1])

    def close(self) -> None:
        """Write what is buffered; an output that got no rows still gets one file with the schema."""
        if self._pending:
            self._flush()
        if not self.files:
            self._next_file()
        self._close_file()

    def discard(self) -> None:
        """Close without caring about the result (the staging folder is about to be removed)."""
        with contextlib.suppress(Exception):
            if self._writer is not None:
                self._writer.close()
        self._writer = None


def _plain_name(name: object) -> bool:
    """A single path component that is safe to create, replace and delete inside the output folder."""
    return (
        isinstance(name, str)
        and bool(name.strip())
        and name not in (".", "..")
        and not name.startswith(".")
        and not any(c in name for c in "/\\\0")
    )


class RouteWriter:
    """Writes DIR/<route>/part-00000.parquet ..., DIR/audit.parquet and, last, DIR/manifest.json — atomically.

    Everything is written under ``DIR/.govflow-staging-<random>/`` and moved into place only in
    :meth:`commit`; a crashed or aborted run leaves no manifest and no partial route folders in DIR,
    and a failed re-run with ``overwrite=True`` leaves the previous complete output untouched.
    Use it as a context manager: leaving the block with an exception, or without committing, aborts.
    """

    def __init__(
        self,
        out_dir: str | Path,
        targets: Sequence[RouteTarget],
        schema: pa.Schema,
        audit_schema: pa.Schema,
        *,
        overwrite: bool = False,
        rows_per_file: int = 1_000_000,
    ) -> None:
        if rows_per_file < 1:
            raise ValueError(f"rows_per_file must be at least 1, got {rows_per_file}")
        names = [t.name for t in targets]
        if not names:
            raise ValueError("RouteWriter needs at least one route target")
        for target in targets:
            if not _plain_name(target.name) or target.name in (AUDIT, MANIFEST):
                raise ValueError(f"route name {target.name!r} cannot be used as a folder name in the output")
            if target.zone not in ZONES:
                raise ValueError(f"route {target.name!r}: unknown zone {target.zone!r}; zones are {ZONES}")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate route names: {duplicates}")
        self.out_dir = Path(out_dir)
        self._targets = {t.name: t for t in targets}
        self._schema = schema
        self._audit_schema = audit_schema
        self._replaced = self._check_out_dir(overwrite)
        self._created_out_dir = not self.out_dir.exists()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.out_dir))
        self._sinks: dict[str, _ParquetSink] = {}
        for name in self._targets:
            folder = self._staging / name
            folder.mkdir()
            self._sinks[name] = _ParquetSink(
                lambda i, folder=folder: folder / f"part-{i:05d}.parquet", schema, rows_per_file
            )
        self._audit = _ParquetSink(lambda _: self._staging / AUDIT, audit_schema, None)
        self._state = "open"  # -> "committed" | "aborted" | "swap-failed"

    def _check_out_dir(self, overwrite: bool) -> list[str]:
        """Refuse an output folder we must not write into; return the old entries to replace.

        Only what a previous govflow manifest names is ever replaced: user files are never deleted.
        Staging folders of crashed runs are ignored (not deleted: another run may own one).
        """
        out = self.out_dir
        if out.exists() and not out.is_dir():
            raise FileExistsError(f"{out}: exists and is not a directory")
        if not out.exists() or not any(not e.name.startswith(_STAGING_PREFIX) for e in out.iterdir()):
            return []
        if not (out / MANIFEST).is_file():
            raise FileExistsError(
                f"{out}: directory is not empty and holds no govflow output ({MANIFEST}); "
                "refusing to write into it; choose a new or empty directory"
            )
        if not overwrite:
            raise FileExistsError(
                f"{out}: holds a previous govflow output; pass overwrite=True (govflow run --overwrite) to replace it"
            )
        old = read_manifest(out)
        try:
            old_names = {entry["path"] for entry in old["routes"].values()} | {old["audit"]}
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{out / MANIFEST}: not a govflow manifest (no routes/audit paths)") from exc
        if not all(_plain_name(name) for name in old_names):
            raise ValueError(f"{out / MANIFEST}: names paths outside {out}; refusing to replace them")
        for name in [*self._targets, AUDIT]:
            if (out / name).exists() and name not in old_names:
                raise FileExistsError(f"{out / name}: exists and is not part of the previous govflow output")
        return sorted(name for name in old_names if (out / name).exists())

    def _require_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"RouteWriter for {self.out_dir} is {self._state}; it cannot be used any more")

    def write(self, route: str, batch: pa.RecordBatch | pa.Table) -> None:
        """Append rows of one route."""
        self._require_open()
        if route not in self._sinks:
            raise ValueError(f"unknown route {route!r}; routes are {list(self._sinks)}")
        self._sinks[route].write(_as_table(batch, self._schema, f"route {route!r}"))

    def write_audit(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Append audit rows."""
        self._require_open()
        self._audit.write(_as_table(batch, self._audit_schema, "audit"))

    def commit(self, manifest: dict[str, Any]) -> Path:
        """Close and fsync every file, move the output into place, write the manifest last; its path.

        ``manifest["routes"][name]`` is merged with ``{"zone", "rows", "path", "files"}`` for every
        route, and ``audit`` / ``audit_rows`` are set. The JSON has sorted keys and indent 2, so two
        identical runs produce identical bytes.
        """
        self._require_open()
        for sink in [*self._sinks.values(), self._audit]:
            sink.close()
        for name in self._sinks:
            _fsync(self._staging / name)  # the folder's entries, not just the files' data
        routes = dict(manifest.get("routes") or {})
        for name, sink in self._sinks.items():
            routes[name] = {
                **routes.get(name, {}),
                "zone": self._targets[name].zone,
                "rows": sink.rows,
                "path": name,
                "files": [f"{name}/{f.name}" for f in sink.files],
            }
        document = {**manifest, "routes": routes, "audit": AUDIT, "audit_rows": self._audit.rows}
        text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        staged_manifest = self._staging / MANIFEST
        with staged_manifest.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        _fsync(self._staging)
        self._state = "swap-failed"  # until the swap completes: abort() must not delete the staging folder
        try:
            self._swap(staged_manifest)
        except OSError as exc:
            raise OSError(
                f"{self.out_dir}: moving the new output into place failed; the new output and any "
                f"replaced files are kept in {self._staging}"
            ) from exc
        self._state = "committed"
        shutil.rmtree(self._staging, ignore_errors=True)
        return self.out_dir / MANIFEST

    def _swap(self, staged_manifest: Path) -> None:
        """Old output aside (manifest first, so DIR never shows a manifest over mixed content), new in."""
        out = self.out_dir
        if self._replaced:
            (out / MANIFEST).unlink()
            _fsync(out)
            replaced = self._staging / "replaced"
            replaced.mkdir()
            for name in self._replaced:
                os.rename(out / name, replaced / name)
        for name in [*self._sinks, AUDIT]:
            os.rename(self._staging / name, out / name)
        os.replace(staged_manifest, out / MANIFEST)
        _fsync(out)

    def abort(self) -> None:
        """Drop everything written so far; DIR is left as it was (idempotent, no-op after commit)."""
        if self._state != "open":
            return
        self._state = "aborted"
        for sink in [*self._sinks.values(), self._audit]:
            sink.discard()
        shutil.rmtree(self._staging, ignore_errors=True)
        if self._created_out_dir:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()  # only if still empty

    def __enter__(self) -> RouteWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.abort()


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest of a committed govflow output; FileNotFoundError if there is none (incomplete run)."""
    path = Path(out_dir) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: missing (not a govflow output, or an incomplete run)") from exc
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: not a govflow manifest (expected a JSON object)")
    return manifest


def read_route(out_dir: str | Path, route: str) -> pa.Table:
    """All rows of one route of a committed output, in the order they were written."""
    out = Path(out_dir)
    routes = read_manifest(out).get("routes", {})
    if route not in routes:
        raise ValueError(f"{out}: no route {route!r}; routes are {sorted(routes)}")
    return pa.concat_tables([pq.read_table(out / f) for f in routes[route]["files"]])
