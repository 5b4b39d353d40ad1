"""The core benchmark: govflow against Presidio's batch engines on the multi-country customer table.

One run answers the questions the project exists for, on the same generated rows: how much faster
govflow governs a table than Presidio anonymizes it, whether any raw PII value reaches an external
destination (it must not), and how much non-PII data each tool damages on the way.

    PYTHONPATH=src python benchmarks/core.py [--rows 2000] [--repeats 3] [--presidio-rows 300] [--json PATH]

Presidio is timed on the first ``--presidio-rows`` rows only (it is slow); rows per second are
comparable because both sides handle rows of the same shape and mix of countries.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import govflow
from common import (
    PRESIDIO_BATCH_SIZE,
    AlteredCells,
    MemoryProbe,
    PresidioBaseline,
    Timing,
    altered_cells,
    breakdown,
    environment,
    measure_memory,
    mib,
    non_pii_columns,
    percent,
    print_environment,
    print_table,
    released_externally,
    text_columns,
    text_table,
    time_interleaved,
    timed,
    write_json,
)
from govflow.datagen import LeakReport, count_leaks, generate_customers


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="generated rows governed by govflow (default 2000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per tool, after one warm-up (default 3)")
    parser.add_argument(
        "--presidio-rows", type=int, default=300, help="first rows given to Presidio, which is slow (default 300)"
    )
    parser.add_argument(
        "--presidio-batch-size",
        type=int,
        default=PRESIDIO_BATCH_SIZE,
        help=f"spaCy batch size of Presidio's BatchAnalyzerEngine (default {PRESIDIO_BATCH_SIZE})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated table (default 0)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)
    for name in ("rows", "repeats", "presidio_rows", "presidio_batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    args.presidio_rows = min(args.presidio_rows, args.rows)
    return args


def side_figures(
    rows: int,
    construction_s: float,
    first_run_s: float,
    timing: Timing,
    memory: MemoryProbe,
    leaks: LeakReport,
    altered: AlteredCells,
) -> dict[str, Any]:
    """One tool's figures in the JSON layout every benchmark uses."""
    return {
        "rows": rows,
        "construction_s": construction_s,
        "first_run_s": first_run_s,
        "run_s": list(timing.samples),
        "median_run_s": timing.median,
        "rows_per_s": timing.rate(rows),
        "peak_rss_increase_bytes": memory.increase_bytes,
        "peak_rss_scoped_to_phase": memory.scoped,
        "pii_values_checked": leaks.pii_values_checked,
        "pii_values_leaked": leaks.leaked_values,
        "pii_leaked_by_column": leaks.by_column,
        "non_pii_cells": altered.cells,
        "non_pii_cells_altered": altered.altered,
        "non_pii_altered_share": altered.share,
        "non_pii_altered_by_column": altered.by_column,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment()
    print_environment(env)

    table, truth = generate_customers(args.rows, seed=args.seed)
    subset = table.slice(0, args.presidio_rows)
    presidio_input = text_columns(subset)

    # Construction and the first run are measured apart from the timed runs: govflow loads its spaCy
    # model on first use, Presidio when its engines are built. Peak memory is taken over this phase.
    with measure_memory() as gov_memory:
        gov_build_s, pipe = timed(govflow.Pipeline.default)
        gov_first_s, _ = timed(lambda: pipe.run(table))
    with measure_memory() as presidio_memory:
        presidio_build_s, presidio = timed(lambda: PresidioBaseline(batch_size=args.presidio_batch_size))
        presidio_first_s, _ = timed(lambda: presidio.run(presidio_input))

    timings, last = time_interleaved(
        {"govflow": lambda: pipe.run(table), "presidio": lambda: presidio.run(presidio_input)}, args.repeats
    )
    result: govflow.Result = last["govflow"]
    anonymized = text_table(last["presidio"])

    columns = non_pii_columns(truth)
    released = released_externally(result)
    gov_leaks = count_leaks(table, truth, released.table, released.row_index)
    gov_altered = altered_cells(table.take(released.row_index), released.table, columns)
    presidio_leaks = count_leaks(subset, truth, anonymized, range(subset.num_rows))
    presidio_altered = altered_cells(text_table(presidio_input), anonymized, columns)

    gov_rate, presidio_rate = timings["govflow"].rate(args.rows), timings["presidio"].rate(args.presidio_rows)
    memory_label = "peak RSS increase, construction + first run"
    if not (gov_memory.scoped and presidio_memory.scoped):
        memory_label += " (process peak: not resettable here)"
    n = args.repeats
    print()
    print_table(
        ["figure", "govflow (Pipeline.default)", "Presidio BatchAnalyzer + BatchAnonymizer"],
        [
            ["rows timed", args.rows, f"{args.presidio_rows} (first rows; --presidio-rows)"],
            [
                "engine construction, s (1 run)",
                f"{gov_build_s:.2f} (spaCy loads on first run)",
                f"{presidio_build_s:.2f}",
            ],
            ["first run, s (warm-up, not in median)", f"{gov_first_s:.2f}", f"{presidio_first_s:.2f}"],
            [
                f"run, s (median of {n}, interleaved)",
                f"{timings['govflow'].median:.2f}",
                f"{timings['presidio'].median:.2f}",
            ],
            [f"rows/s (median of {n})", f"{gov_rate:.0f}", f"{presidio_rate:.1f}"],
            ["rows/s ratio govflow / Presidio", f"{gov_rate / presidio_rate:.1f}x", "1.0x"],
            [memory_label, mib(gov_memory.increase_bytes), mib(presidio_memory.increase_bytes)],
            ["rows per route", breakdown(result.counts), "no routing: every row anonymized in place"],
            [
                "raw PII values in released rows",
                f"{percent(gov_leaks.leaked_values, gov_leaks.pii_values_checked)} (external rows)",
                f"{percent(presidio_leaks.leaked_values, presidio_leaks.pii_values_checked)} (all rows)",
            ],
            [
                f"non-PII cells altered ({len(columns)} columns)",
                f"{percent(gov_altered.altered, gov_altered.cells)} (external rows)",
                f"{percent(presidio_altered.altered, presidio_altered.cells)} (all rows)",
            ],
        ],
    )
    print()
    print(f"non-PII columns: {', '.join(columns)}")
    print(f"PII values released, by column: govflow {breakdown(gov_leaks.by_column)}")
    print(f"                                Presidio {breakdown(presidio_leaks.by_column)}")
    print(f"non-PII cells altered, by column: govflow {breakdown(gov_altered.by_column)}")
    print(f"                                  Presidio {breakdown(presidio_altered.by_column)}")
    print(f"Presidio: {presidio.recognizers} default recognizers, spaCy batch size {args.presidio_batch_size}")

    if args.json:
        write_json(
            args.json,
            {
                "environment": env,
                "parameters": {k: v for k, v in vars(args).items() if k != "json"},
                "non_pii_columns": columns,
                "govflow": side_figures(
                    args.rows, gov_build_s, gov_first_s, timings["govflow"], gov_memory, gov_leaks, gov_altered
                )
                | {"rows_per_route": result.counts},
                "presidio": side_figures(
                    args.presidio_rows,
                    presidio_build_s,
                    presidio_first_s,
                    timings["presidio"],
                    presidio_memory,
                    presidio_leaks,
                    presidio_altered,
                )
                | {"recognizers": presidio.recognizers, "batch_size": args.presidio_batch_size},
                "rows_per_s_ratio_govflow_over_presidio": gov_rate / presidio_rate,
            },
        )
        print(f"figures written to {args.json}")
    if gov_leaks.leaked_values:
        print(f"FAIL: govflow released {gov_leaks.leaked_values} raw PII values to external destinations")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
