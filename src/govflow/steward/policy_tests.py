"""`govflow test`: steward-written policy tests, run like unit tests.

A test file (`*.test.yaml`, kept in the pack's `tests/` folder, which the policy loader skips) lists
cases: input records and what the policy must do with them (sensitivity, jurisdictions, regulations,
route, rule, masked values). Each case is governed on its own with the real pipeline, so a case's
column profile comes from its own records: a one-record case is profiled by column names and that one
value, exactly as the first row of a real file would be.

Failures print expected against actual per field. Input values are never printed unless asked for:
they are the personal data the policy protects. Masked output values are printed (they left the
masker), unless they equal the input.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govflow.io import InputError
from govflow.policy.errors import PolicyError, PolicyIssue, did_you_mean
from govflow.policy.loader import dotted, location_of, parse_located
from govflow.steward.govern import govern_pieces, read_pieces

if TYPE_CHECKING:
    from govflow.pipeline import Pipeline

TEST_SUFFIXES = (".test.yaml", ".test.yml")
UNCHANGED_INPUT = "<the input, unchanged>"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SetSpec(_Spec):
    """A set of tags: `includes` must all be there, `excludes` none of them."""

    includes: list[str] = []
    excludes: list[str] = []

    @model_validator(mode="after")
    def _something(self) -> SetSpec:
        if not self.includes and not self.excludes:
            raise ValueError("give 'includes' and/or 'excludes', or a list for the exact set")
        return self


class CellSpec(_Spec):
    """What one masked output cell must be; exactly one of the keys."""

    equals: str | None = None
    changed: bool | None = Field(None, description="true: the output differs from the input (it was masked)")
    unchanged: bool | None = Field(None, description="true: the output is the input (not masked)")
    matches: str | None = Field(None, description="a regular expression the whole output must match")
    is_null: bool | None = Field(None, description="true: the output is null (a masked integer or date)")

    @model_validator(mode="after")
    def _exactly_one(self) -> CellSpec:
        given = [k for k in ("equals", "changed", "unchanged", "matches", "is_null") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of equals, changed, unchanged, matches, is_null (got {given or 'none'})"
            )
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches: invalid regular expression ({exc})") from None
        return self


TagSet = list[str] | SetSpec


class Expect(_Spec):
    route: str | None = None
    rule_id: str | None = None
    sensitivity: str | None = None
    jurisdictions: TagSet | None = None
    regulations: TagSet | None = None
    entities: TagSet | None = None
    categories: TagSet | None = None
    reason_contains: str | None = Field(None, description="text the audit reason must contain (on_error cases)")
    masked: dict[str, CellSpec] = {}

    @field_validator("masked", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """`column: literal` is shorthand for `column: {equals: "literal"}` (numbers compare as written)."""
        if isinstance(value, dict):
            scalar = (str, int, float)
            return {
                k: {"equals": str(v)} if isinstance(v, scalar) and not isinstance(v, bool) else v
                for k, v in value.items()
            }
        return value


class ProfileSpec(_Spec):
    """How a column must be profiled: scanned as free text or as structured values, and its main entity."""

    mode: Literal["text", "structured"] | None = None
    entity: str | None = Field(None, description="the hinted entity, or the most frequent one in the sample")


class Case(_Spec):
    name: str
    description: str = ""
    record: dict[str, Any] | None = None
    records: list[dict[str, Any]] | None = Field(None, min_length=1)
    file: str | None = Field(None, description="an input file (.jsonl/.csv/.parquet) relative to the test file")
    check_records: list[int] | None = Field(None, description="indexes of the records `expect` applies to")
    profile: dict[str, ProfileSpec] = Field(
        default_factory=dict, description="column (or leaf, e.g. contacts[].email) -> how it must be profiled"
    )
    expect: Expect

    @model_validator(mode="after")
    def _one_input(self) -> Case:
        given = [k for k in ("record", "records", "file") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of record, records, file (got {given or 'none'})")
        return self


class CaseFile(_Spec):
    cases: list[Case] = Field(min_length=1)


_KNOWN_KEYS = sorted({k for m in (SetSpec, CellSpec, Expect, ProfileSpec, Case, CaseFile) for k in m.model_fields})


@dataclass(frozen=True)
class LoadedCase:
    case: Case
    file: Path
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


def find_case_files(path: Path, tests: Path | None = None) -> list[Path]:
    """`--tests` (a file or directory) if given, else `tests/*.test.yaml` next to the rules."""
    base = tests if tests is not None else (path if path.is_dir() else path.parent) / "tests"
    if base.is_file():
        return [base]
    if not base.is_dir():
        raise PolicyError([PolicyIssue(str(base), None, None, "", "no test directory or file here")])
    files = sorted(p for p in base.rglob("*") if p.name.endswith(TEST_SUFFIXES))
    if not files:
        raise PolicyError([PolicyIssue(str(base), None, None, "", "no *.test.yaml files here")])
    return files


def load_cases(file: Path) -> list[LoadedCase]:
    """Cases of one test file; a bad file raises PolicyError with file:line: field: message."""
    doc = parse_located(file)
    try:
        parsed = CaseFile.model_validate(doc.data)
    except ValidationError as exc:
        raise PolicyError(_issues(exc, doc.locations, file)) from None
    lines = [doc.locations.get(("cases", i), (str(file), None, None))[1] for i in range(len(parsed.cases))]
    return [LoadedCase(case, file, line) for case, line in zip(parsed.cases, lines, strict=True)]


_TAG_SETS = {"jurisdictions", "regulations", "entities", "categories"}
_SHAPE_ERRORS = {"list_type", "model_type", "dict_type", "model_attributes_type"}


def _issues(exc: ValidationError, locations: dict[Any, Any], file: Path) -> list[PolicyIssue]:
    """pydantic's errors as file:line issues; a union (list or mapping) yields one message, not one per branch."""
    found: dict[tuple[object, ...], PolicyIssue] = {}
    for err in exc.errors():
        # union branches add labels such as 'list[str]' or 'function-after[...]' to the path: not data keys
        path = tuple(p for p in err["loc"] if isinstance(p, int) or ("[" not in p and p not in ("SetSpec", "CellSpec")))
        kind = err["type"]
        message = err["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            message = f"unknown key {path[-1]!r}{did_you_mean(path[-1], _KNOWN_KEYS)}"
        elif kind == "missing":
            message = "required key is missing"
        elif kind in _SHAPE_ERRORS and path and path[-1] in _TAG_SETS:
            message = (
                "expected a list such as [DE, EU] (the exact set) or {includes: [...], excludes: [...]}, "
                f"got {err['input']!r}"
            )
        elif kind in _SHAPE_ERRORS and len(path) >= 2 and path[-2] == "masked":
            message = "expected a value, or one of {equals|changed|unchanged|matches|is_null: ...}"
        loc = location_of(path, locations) or (str(file), None, None)
        issue = PolicyIssue(loc[0], loc[1], loc[2], dotted(path), message, code="bad-test-file")
        found.setdefault((issue.field, kind in _SHAPE_ERRORS), issue)
    # a shape complaint about a field that also has a precise complaint inside it is noise
    precise = [f for f, shape in found if not shape]
    return [
        issue
        for (field_, shape), issue in found.items()
        if not (shape and any(p.startswith(field_ + ".") or p == field_ for p in precise))
    ]


# -- running ---------------------------------------------------------------------------------------


@dataclass
class Mismatch:
    record: int  # -1: about the whole case (its column profile)
    field: str
    expected: str
    actual: str


@dataclass
class CaseResult:
    loaded: LoadedCase
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None  # the case could not be run (bad input file, unknown column...)
    notes: list[str] = field(default_factory=list)  # context for a failure, e.g. why a record went to on_error

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


def _table(case: Case, base: Path) -> tuple[pa.Schema, list[tuple[pa.RecordBatch, pa.Array | None]]]:
    if case.file is not None:
        return read_pieces(base / case.file)
    records = case.records if case.records is not None else [case.record or {}]
    table = pa.Table.from_pylist([dict(r) for r in records])
    return table.schema, [(b, None) for b in table.to_batches()]


def _text(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _check_set(name: str, spec: TagSet | None, have: Sequence[str], record: int) -> list[Mismatch]:
    if spec is None:
        return []
    actual = sorted(have)
    if isinstance(spec, list):
        if sorted(set(spec)) != sorted(set(actual)):
            return [Mismatch(record, name, str(sorted(set(spec))), str(actual))]
        return []
    out = []
    missing = [t for t in spec.includes if t not in actual]
    if missing:
        out.append(Mismatch(record, name, f"includes {spec.includes}", f"{actual} (missing {missing})"))
    extra = [t for t in spec.excludes if t in actual]
    if extra:
        out.append(Mismatch(record, name, f"excludes {spec.excludes}", f"{actual} (has {extra})"))
    return out


def _describe_output(before: object, after: object, show_values: bool) -> str:
    if after is None:
        return "null"
    if after == before:
        return f"{UNCHANGED_INPUT} {_text(before)!r}" if show_values else UNCHANGED_INPUT
    return repr(_text(after))


def _check_cell(
    column: str, spec: CellSpec, before: object, after: object, record: int, show_values: bool
) -> Mismatch | None:
    if spec.equals is not None:
        ok, expected = after is not None and _text(after) == spec.equals, repr(spec.equals)
    elif spec.changed is not None:
        ok, expected = (after != before) == spec.changed, "changed" if spec.changed else "unchanged"
    elif spec.unchanged is not None:
        ok, expected = (after == before) == spec.unchanged, "unchanged" if spec.unchanged else "changed"
    elif spec.is_null is not None:
        ok, expected = (after is None) == spec.is_null, "null" if spec.is_null else "not null"
    else:
        assert spec.matches is not None
        ok = after is not None and re.fullmatch(spec.matches, _text(after)) is not None
        expected = f"matches /{spec.matches}/"
    if ok:
        return None
    return Mismatch(record, f"masked.{column}", expected, _describe_output(before, after, show_values))


def run_case(pipeline: Pipeline, loaded: LoadedCase, *, show_values: bool = False) -> CaseResult:
    """Govern the case's records and compare every expected field; never raises for a bad case."""
    result = CaseResult(loaded)
    case = loaded.case
    try:
        schema, pieces = _table(case, loaded.file.parent)
        governed, profile = govern_pieces(pipeline, schema, pieces)
    except InputError as exc:  # names the file and line, never a value
        result.error = f"cannot read the case's input: {exc}"
        return result
    except Exception as exc:  # a case that cannot run is a failure the steward must see, not a crash
        # the message of a conversion error may quote a value: only its kind is shown
        result.error = (
            f"cannot govern the case's records ({type(exc).__name__}); "
            "check that each column holds one type of value in every record"
        )
        return result
    for column, spec in case.profile.items():
        leaf = profile.leaves.get(column)
        if leaf is None:
            known = sorted(profile.leaves)
            result.mismatches.append(
                Mismatch(-1, f"profile.{column}", "a scanned column", f"not scanned{did_you_mean(column, known)}")
            )
            continue
        main = leaf.entity or max(leaf.sample_entities, key=leaf.sample_entities.__getitem__, default=None)
        if spec.mode is not None and leaf.mode != spec.mode:
            result.mismatches.append(Mismatch(-1, f"profile.{column}.mode", spec.mode, f"{leaf.mode} ({leaf.reason})"))
        if spec.entity is not None and main != spec.entity:
            result.mismatches.append(Mismatch(-1, f"profile.{column}.entity", spec.entity, f"{main} ({leaf.reason})"))
    original = pa.Table.from_batches([b for b, _ in pieces], schema=schema).to_pylist()
    output = governed.table.to_pylist()
    audit = governed.audit.to_pylist()
    indexes = case.check_records if case.check_records is not None else list(range(len(audit)))
    expect = case.expect
    for i in indexes:
        if not 0 <= i < len(audit):
            result.error = f"check_records: no record {i} (the case has {len(audit)})"
            return result
        row = audit[i]
        if row["rule_id"] == "on_error" and expect.rule_id != "on_error" and expect.route != row["route"]:
            result.notes.append(f"record {i} went to on_error because: {row['reason']}")
        for name in ("route", "rule_id", "sensitivity"):
            wanted = getattr(expect, name)
            if wanted is not None and row[name] != wanted:
                result.mismatches.append(Mismatch(i, name, repr(wanted), repr(row[name])))
        if expect.reason_contains is not None and expect.reason_contains not in (row["reason"] or ""):
            result.mismatches.append(Mismatch(i, "reason", f"contains {expect.reason_contains!r}", repr(row["reason"])))
        tag_sets = [
            ("jurisdictions", expect.jurisdictions, row["jurisdictions"]),
            ("regulations", expect.regulations, row["regulations"]),
            ("entities", expect.entities, row["entities"]),
            ("categories", expect.categories, row["special_categories"]),
        ]
        for name, spec, have in tag_sets:
            result.mismatches += _check_set(name, spec, have, i)
        for column, spec in expect.masked.items():
            if column not in original[i]:
                result.mismatches.append(Mismatch(i, f"masked.{column}", "a column of the input", "no such column"))
                continue
            mismatch = _check_cell(column, spec, original[i][column], output[i][column], i, show_values)
            if mismatch:
                result.mismatches.append(mismatch)
    return result


@dataclass
class Report:
    policy_name: str
    policy_version: str
    files: list[Path]
    results: list[CaseResult]

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy_name,
            "policy_version": self.policy_version,
            "files": [str(f) for f in self.files],
            "passed": len(self.results) - self.failed,
            "failed": self.failed,
            "cases": [
                {
                    "name": r.loaded.case.name,
                    "where": r.loaded.where,
                    "passed": r.passed,
                    "error": r.error,
                    "notes": r.notes,
                    "mismatches": [m.__dict__ for m in r.mismatches],
                }
                for r in self.results
            ],
        }

    def render(self) -> str:
        lines = [
            f"govflow test: policy {self.policy_name!r} version {self.policy_version[:12]}, "
            f"{len(self.results)} case(s) in {len(self.files)} file(s)"
        ]
        current: Path | None = None
        for r in self.results:
            if r.loaded.file != current:
                current = r.loaded.file
                lines.append(str(current))
            lines.append(f"  {'PASS' if r.passed else 'FAIL'}  {r.loaded.case.name}")
            if r.passed:
                continue
            lines.append(f"        at {r.loaded.where}")
            if r.error:
                lines.append(f"        error: {r.error}")
            lines += [f"        note: {note}" for note in r.notes]
            many = len({m.record for m in r.mismatches if m.record >= 0}) > 1 or r.loaded.case.records is not None
            for m in r.mismatches:
                prefix = f"record {m.record}: " if many and m.record >= 0 else ""
                lines.append(f"        {prefix}{m.field}: expected {m.expected}, got {m.actual}")
        passed = len(self.results) - self.failed
        lines.append(f"{len(self.results)} cases: {passed} passed, {self.failed} failed")
        return "\n".join(lines)


def load_all(files: list[Path]) -> list[LoadedCase]:
    """Every case of every file; problems in any file are all reported at once, before anything runs."""
    loaded: list[LoadedCase] = []
    issues: list[PolicyIssue] = []
    for file in files:
        try:
            loaded += load_cases(file)
        except PolicyError as exc:
            issues += exc.issues
    if issues:
        raise PolicyError(issues)
    return loaded


def run_policy_tests(pipeline: Pipeline, cases: list[LoadedCase], *, show_values: bool = False) -> Report:
    files = list(dict.fromkeys(c.file for c in cases))
    results = [run_case(pipeline, c, show_values=show_values) for c in cases]
    return Report(pipeline.policy.name, pipeline.policy_version, files, results)
