"""The `govflow` command: run, scan, validate, reveal, demo.

Exit codes a CI job can rely on: 0 success, 1 the policy or data has errors, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govflow import __version__
from govflow.policy.errors import PolicyError
from govflow.policy.loader import load_policy, policy_version, rule_files

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _pipeline(rules: str | None) -> Any:
    from govflow.pipeline import Pipeline

    return Pipeline(load_policy(rules))


def cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path)
    policy = load_policy(path)
    from govflow.engine import Engine

    Engine(policy)  # recognizers, validators and masking operators must build, too
    files = rule_files(path) if path.exists() else []
    print(f"OK {path}: {len(files)} file(s), policy {policy.name!r} version {policy_version(policy)[:12]}")
    print(
        f"  {len(policy.destinations)} destinations, {len(policy.routes.rules)} route rules "
        f"(default {policy.routes.default!r}, on_error {policy.routes.on_error!r}), "
        f"{len(policy.masking)} masking profiles"
    )
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
    from govflow.runner import head_and_stream

    pipeline = _pipeline(args.rules)
    source = open_input(args.input)
    head, _ = head_and_stream(source, args.rows)
    profile = pipeline.profile(head)
    result = pipeline.run(head, profile=profile)
    report = {
        "input": str(args.input),
        "rows_scanned": head.num_rows,
        "columns": [
            {
                "column": p.leaf,
                "mode": p.mode,
                "entity": p.entity or max(p.sample_entities, key=p.sample_entities.get, default=None),
                "confidence": round(p.confidence, 3),
                "entities": p.sample_entities,
                "why": p.reason,
            }
            for p in profile.leaves.values()
        ],
        "sensitivity": dict(Counter(result.table.column("gov_sensitivity").to_pylist()).most_common()),
        "jurisdictions": dict(
            Counter(j for js in result.table.column("gov_jurisdictions").to_pylist() for j in js).most_common()
        ),
        "routes": result.counts,
    }
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return EXIT_OK
    print(f"govflow scan: {report['rows_scanned']:,} rows of {args.input} (nothing written)")
    print(f"  {'column':<24} {'mode':<10} {'entity':<18} {'conf':>5}  other entities in sample")
    for c in report["columns"]:
        others = ", ".join(f"{e} {s:.0%}" for e, s in c["entities"].items() if e != c["entity"])
        print(f"  {c['column']:<24} {c['mode']:<10} {c['entity'] or '-':<18} {c['confidence']:>5.2f}  {others}")
    for key in ("sensitivity", "jurisdictions", "routes"):
        print(f"  {key}: " + ", ".join(f"{k} {v:,}" for k, v in report[key].items()))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govflow", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"govflow {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="govern a .parquet/.csv/.jsonl file into one folder per destination")
    run.add_argument("input")
    run.add_argument("--rules", help="rule file or directory (default: the bundled pack)")
    run.add_argument("--out", required=True, help="output directory")
    run.add_argument("--overwrite", action="store_true", help="replace a previous govflow output in --out")
    run.add_argument("--batch-size", type=int, default=65_536)
    run.set_defaults(func=cmd_run)

    scan = sub.add_parser("scan", help="show what is in the data (per column entities, routes); writes nothing")
    scan.add_argument("input")
    scan.add_argument("--rules")
    scan.add_argument("--rows", type=int, default=2000, help="rows to scan from the start of the input")
    scan.add_argument("--format", choices=["text", "json"], default="text")
    scan.set_defaults(func=cmd_scan)

    validate = sub.add_parser("validate", help="check rule files; exit 1 with file:line: field: hint on error")
    validate.add_argument("path")
    validate.set_defaults(func=cmd_validate)

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
