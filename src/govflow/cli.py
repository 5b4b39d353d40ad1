"""The `govflow` command: run, scan, validate, schema, test, explain, diff, reveal, demo.

Exit codes a CI job can rely on: 0 success, 1 the policy or data has errors, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govflow import __version__
from govflow.policy.errors import PolicyError
from govflow.policy.loader import load_policy, policy_version, resolve_rules

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
RULES_HELP = "rule file or directory, or a bundled pack: default (the default), prose"


def _pipeline(rules: str | None) -> Any:
    from govflow.pipeline import Pipeline

    return Pipeline(load_policy(rules))


def cmd_validate(args: argparse.Namespace) -> int:
    """Schema errors and semantic checks; exit 1 on errors (or on warnings with --strict)."""
    from govflow.policy.checks import validate_path

    try:
        path = resolve_rules(args.path)
    except PolicyError as exc:
        print(f"govflow validate: {exc.issues[0].file}: {exc.issues[0].message}", file=sys.stderr)
        return EXIT_USAGE
    report = validate_path(path)
    failed = bool(report.errors) or (args.strict and bool(report.warnings))
    if args.format == "json":
        print(report.to_json_text())
        return EXIT_INVALID if failed else EXIT_OK
    for issue in report.issues:
        where = ":".join(str(part) for part in (issue.file, issue.line, issue.column) if part is not None)
        field = f" {issue.field}:" if issue.field else ""
        print(f"{where}: {issue.severity}[{issue.code or 'invalid'}]:{field} {issue.message}", file=sys.stderr)
        if issue.hint:
            print(f"    hint: {issue.hint}", file=sys.stderr)
    counts = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    policy = report.policy
    if failed or policy is None:
        strict = " (--strict: warnings fail)" if not report.errors else ""
        print(f"FAILED {path}: {counts}{strict}", file=sys.stderr)
        return EXIT_INVALID
    version = policy_version(policy)[:12]
    print(f"OK {path}: {len(report.files)} file(s), policy {policy.name!r} version {version}; {counts}")
    print(
        f"  {len(policy.destinations)} destinations, {len(policy.routes.rules)} route rules "
        f"(default {policy.routes.default!r}, on_error {policy.routes.on_error!r}), "
        f"{len(policy.masking)} masking profiles"
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """The rule format from the models: JSON Schema for editors, or the markdown reference page."""
    from govflow.policy.schema import reference_markdown, render_schema

    text = render_schema() if args.format == "json" else reference_markdown()
    if args.out is None:
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"govflow schema: wrote {args.out}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from govflow.runner import run_file

    summary = run_file(
        _pipeline(args.rules), args.input, args.out, overwrite=args.overwrite, batch_size=args.batch_size
    )
    _print_run(summary.manifest, summary.seconds, Path(args.out))
    return EXIT_OK


def _print_run(manifest: dict[str, Any], seconds: float, out: Path) -> None:
    rows = manifest["input_rows"]
    print(f"govflow run: {rows:,} rows in {seconds:.1f}s, policy version {manifest['policy_version'][:12]}")
    for name, route in manifest["routes"].items():
        print(f"  {name:<12} {route['zone']:<11} {route['rows']:>10,} rows  -> {out / route['path']}")
    print(f"  egress gate stopped {manifest.get('egress_gate_stopped', 0):,} rows")
    for reason, count in manifest.get("on_error_reasons", {}).items():
        print(f"  on_error: {count:,} x {reason}")
    print(f"  audit -> {out / manifest['audit']}; manifest -> {out / 'manifest.json'}")


def cmd_scan(args: argparse.Namespace) -> int:
    from govflow.io import open_input
    from govflow.report import render_html, render_text, scan_report
    from govflow.runner import head_and_stream

    report_path = Path(args.report) if args.report else None
    if report_path is not None and not report_path.parent.is_dir():
        raise ValueError(f"--report {report_path}: folder {report_path.parent} does not exist")
    pipeline = _pipeline(args.rules)
    head, _ = head_and_stream(open_input(args.input), args.rows)
    report = scan_report(pipeline, head, str(args.input))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render_text(report))
    if report_path is not None:
        report_path.write_text(render_html(report), encoding="utf-8")
        # stderr keeps stdout parseable with --format json
        print(f"govflow scan: report -> {report_path}", file=sys.stderr if args.format == "json" else sys.stdout)
    return EXIT_OK


def cmd_reveal(args: argparse.Namespace) -> int:
    from govflow.reveal import reveal_route

    pipeline = _pipeline(args.rules)
    summary = reveal_route(pipeline.engine, args.dir, args.route, args.out, allow_external=args.allow_external)
    done = ", ".join(f"{n:,} {op}" for op, n in sorted(summary.revealed.items())) or "nothing reversible"
    print(f"govflow reveal: {summary.rows:,} rows of route {args.route!r}: revealed {done} -> {summary.output}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from govflow.datagen import count_leaks, generate_customers
    from govflow.io import read_route
    from govflow.pipeline import Pipeline
    from govflow.runner import run_file

    if not os.environ.get("GOVFLOW_KEY"):
        from govflow.mask.keys import DEMO_KEY_HEX

        os.environ["GOVFLOW_KEY"] = DEMO_KEY_HEX
        print("govflow demo: GOVFLOW_KEY is not set, so the public demo key is used (never for real data)")
    out = Path(args.out)
    data_dir = out / "input"
    data_dir.mkdir(parents=True, exist_ok=True)
    table, truth = generate_customers(args.rows, seed=args.seed)
    input_path = data_dir / "customers.parquet"
    pq.write_table(table, input_path)
    print(f"govflow demo: generated {args.rows:,} synthetic customers from 20 countries -> {input_path}")
    pipeline = Pipeline.default()
    summary = run_file(pipeline, input_path, out / "governed", overwrite=True)
    _print_run(summary.manifest, summary.seconds, out / "governed")
    import pyarrow.compute as pc

    audit = pq.read_table(out / "governed" / summary.manifest["audit"])
    external = [n for n, d in pipeline.policy.destinations.items() if d.zone == "external"]
    leaked = 0
    for name in external:
        released = read_route(out / "governed", name)
        indices = audit.filter(pc.equal(audit.column("route"), name)).column("record_index").to_pylist()
        leaked += count_leaks(table, truth, released, indices).leaked_values
    print(f"  raw PII values found in external outputs: {leaked}")
    return EXIT_OK if leaked == 0 else EXIT_INVALID


def _print_issues(header: str, exc: PolicyError) -> None:
    print(f"govflow: {header} ({len(exc.issues)} problem(s)):", file=sys.stderr)
    for issue in exc.issues:
        print(f"  {issue.render()}", file=sys.stderr)


def cmd_test(args: argparse.Namespace) -> int:
    from govflow.steward.policy_tests import find_case_files, load_all, run_policy_tests

    try:
        cases = load_all(find_case_files(resolve_rules(args.path), Path(args.tests) if args.tests else None))
    except PolicyError as exc:
        _print_issues("bad policy test file", exc)
        return EXIT_USAGE
    report = run_policy_tests(_pipeline(args.path), cases, show_values=args.show_values)
    print(json.dumps(report.to_json(), indent=2) if args.format == "json" else report.render())
    return EXIT_OK if report.failed == 0 else EXIT_INVALID


def cmd_explain(args: argparse.Namespace) -> int:
    from govflow.steward.explain import explain_record, read_record, render

    record = read_record(args.record)
    report = explain_record(_pipeline(args.rules), record, show_values=args.show_values)
    print(json.dumps(report, indent=2, default=str) if args.format == "json" else render(report))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    """Exit 0 when the new policy changes nothing on the sample, 1 when it does (CI gates on it), 2 on bad usage."""
    from govflow.steward.diff import Side, diff_sample, render
    from govflow.steward.govern import read_pieces

    try:
        old, new = Side(args.old, _pipeline(args.old)), Side(args.new, _pipeline(args.new))
    except PolicyError as exc:
        _print_issues("invalid policy, nothing to compare", exc)
        return EXIT_USAGE
    schema, pieces = read_pieces(args.sample, args.rows)
    report = diff_sample(old, new, schema, pieces, str(args.sample))
    print(json.dumps(report, indent=2) if args.format == "json" else render(report))
    return EXIT_INVALID if report["records_changed"] else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govflow", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"govflow {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="govern a .parquet/.csv/.jsonl file into one folder per destination")
    run.add_argument("input")
    run.add_argument("--rules", help=RULES_HELP)
    run.add_argument("--out", required=True, help="output directory")
    run.add_argument("--overwrite", action="store_true", help="replace a previous govflow output in --out")
    run.add_argument("--batch-size", type=int, default=65_536)
    run.set_defaults(func=cmd_run)

    scan = sub.add_parser("scan", help="show what is in the data (per column entities, routes); writes no data")
    scan.add_argument("input")
    scan.add_argument("--rules", help=RULES_HELP)
    scan.add_argument("--rows", type=int, default=2000, help="rows to scan from the start of the input")
    scan.add_argument("--format", choices=["text", "json"], default="text")
    scan.add_argument("--report", metavar="PATH", help="also write a self-contained HTML report (charts, no values)")
    scan.set_defaults(func=cmd_scan)

    validate = sub.add_parser(
        "validate", help="check rule files: schema and semantic checks; exit 1 on errors, file:line: field: hint"
    )
    validate.add_argument("path", help="rule file or directory, or a bundled pack: default, prose")
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    validate.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of rule files (or, as markdown, the reference)")
    schema.add_argument("--out", help="write to this file instead of stdout")
    schema.add_argument("--format", choices=["json", "markdown"], default="json")
    schema.set_defaults(func=cmd_schema)

    reveal = sub.add_parser("reveal", help="undo reversible masking (fpe, encrypt_deterministic) of one route")
    reveal.add_argument("dir", help="a `govflow run` output directory")
    reveal.add_argument("--route", required=True)
    reveal.add_argument("--out", required=True, help="Parquet file to write (keep it at home)")
    reveal.add_argument("--rules", help="the rules the output was governed with (default: the bundled pack)")
    reveal.add_argument("--allow-external", action="store_true", help="also reveal an external-zone route")
    reveal.set_defaults(func=cmd_reveal)

    demo = sub.add_parser("demo", help="generate demo data, govern it with the default pack, print a summary")
    demo.add_argument("--out", default="govflow-demo")
    demo.add_argument("--rows", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=cmd_demo)

    test = sub.add_parser("test", help="run the policy tests (tests/*.test.yaml) of a rule pack; exit 1 on a failure")
    test.add_argument(
        "path", help="rule file or directory, or a bundled pack; its tests are in tests/*.test.yaml beside it"
    )
    test.add_argument("--tests", help="a test file or directory instead of PATH/tests")
    test.add_argument("--show-values", action="store_true", help="print input values in failure diffs")
    test.add_argument("--format", choices=["text", "json"], default="text")
    test.set_defaults(func=cmd_test)

    explain = sub.add_parser("explain", help="why one record is tagged, routed and masked as it is")
    explain.add_argument("record", help="a JSON file holding one object (or a one-line .jsonl)")
    explain.add_argument("--rules", help=RULES_HELP)
    explain.add_argument("--show-values", action="store_true", help="show the text of each finding")
    explain.add_argument("--format", choices=["text", "json"], default="text")
    explain.set_defaults(func=cmd_explain)

    diff = sub.add_parser("diff", help="how routes, tags and masking change on a sample between two policies")
    diff.add_argument("sample", help=".parquet, .csv or .jsonl sample to govern with both policies")
    diff.add_argument("--old", required=True, help="the current rule file or directory")
    diff.add_argument("--new", required=True, help="the proposed rule file or directory")
    diff.add_argument("--rows", type=int, default=10_000, help="records from the start of the sample (default 10,000)")
    diff.add_argument("--format", choices=["text", "json"], default="text")
    diff.set_defaults(func=cmd_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="govflow: %(message)s")
    from govflow.io import InputError

    try:
        return int(args.func(args))
    except PolicyError as exc:
        print(f"govflow: invalid policy ({len(exc.issues)} problem(s)):", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue.render()}", file=sys.stderr)
        return EXIT_INVALID
    except (InputError, FileExistsError, ValueError) as exc:
        print(f"govflow: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
