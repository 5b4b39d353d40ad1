"""`govflow run`: stream a file through the pipeline into one folder per destination, atomically."""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa

from govflow import __version__
from govflow.engine import AUDIT_SCHEMA, EGRESS_GATE, output_schema
from govflow.io import InputSource, RouteTarget, RouteWriter, open_input, read_manifest
from govflow.parallel import govern_parallel, worker_count
from govflow.pipeline import DEFAULT_BATCH_SIZE, Pipeline

ROW_NUMBER = r"\b(line|row) \d+"
"""Reasons name the line or row they come from; the manifest counts reasons by kind, numbers replaced."""
_ROW_NUMBER = re.compile(ROW_NUMBER)


class Progress:
    """rows, rows/s and ETA on a terminal; silent when stderr is a pipe or a file."""

    def __init__(self, total: int | None, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.start = time.monotonic()
        self.done = 0

    def advance(self, rows: int) -> None:
        self.done += rows
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        line = f"\rgovflow: {self.done:,} rows  {rate:,.0f} rows/s"
        if self.total:
            eta = (self.total - self.done) / rate if rate else 0.0
            line += f"  {100 * self.done / self.total:5.1f}%  ETA {eta:,.0f}s"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


@dataclass(frozen=True)
class RunSummary:
    manifest: dict[str, Any]
    manifest_path: Path
    seconds: float


def head_and_stream(
    source: InputSource, rows: int
) -> tuple[pa.Table, Iterator[tuple[pa.RecordBatch, pa.Array | None]]]:
    """The first `rows` rows for profiling, and the full stream (the head batches are replayed)."""
    stream = source.batches()
    taken: list[tuple[pa.RecordBatch, pa.Array | None]] = []
    count = 0
    for item in stream:
        taken.append(item)
        count += item[0].num_rows
        if count >= rows:
            break
    head = pa.Table.from_batches([b for b, _ in taken], schema=source.schema).slice(0, rows)

    def replay() -> Iterator[tuple[pa.RecordBatch, pa.Array | None]]:
        # Popped as replayed, so the head batches are not held (in the parent) for the whole run.
        taken.reverse()
        while taken:
            yield taken.pop()
        yield from stream

    return head, replay()


def run_file(
    pipeline: Pipeline,
    input_path: str | Path,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    workers: int | None = None,
) -> RunSummary:
    """Govern one input file into `out_dir`; the manifest appears only when everything is written.

    `workers` processes govern slices of each batch side by side (None: `worker_count`); the output is the same,
    byte for byte, whatever the number.
    """
    started = time.monotonic()
    source = open_input(input_path, batch_size=batch_size)
    policy = pipeline.policy
    schema = output_schema(source.schema)
    targets = [RouteTarget(name, d.zone) for name, d in policy.destinations.items()]
    progress = progress or Progress(source.num_rows)
    head, batches = head_and_stream(source, policy.settings.profile_sample_size)
    profile = pipeline.profile(head, with_findings=False)
    del head  # a slice of the first batch: keeping it would keep that whole batch for the whole run
    rows_in = 0
    reasons: Counter[str] = Counter()
    workers = worker_count(source.num_rows) if workers is None else workers
    with RouteWriter(out_dir, targets, schema, AUDIT_SCHEMA, overwrite=overwrite) as writer:
        for governed in govern_parallel(pipeline, batches, profile, workers):
            rows_in += governed.batch.num_rows
            for name in policy.destinations:
                selected = governed.routes == name
                if selected.any():
                    writer.write(name, governed.batch.filter(pa.array(selected)))
            writer.write_audit(governed.audit)
            for reason in governed.audit.column("reason").drop_null().to_pylist():
                reasons[_ROW_NUMBER.sub(r"\1 N", reason)] += 1
            progress.advance(governed.batch.num_rows)
        progress.close()
        manifest: dict[str, Any] = {
            "govflow_version": __version__,
            "policy": policy.name,
            "policy_version": pipeline.policy_version,
            "input": Path(input_path).name,
            "input_rows": rows_in,
            "input_warnings": list(getattr(source, "warnings", [])),
            "on_error_reasons": dict(sorted(reasons.items())),
            "egress_gate_stopped": sum(n for r, n in reasons.items() if r.startswith(EGRESS_GATE)),
            "routes": {},
        }
        path = writer.commit(manifest)
    return RunSummary(read_manifest(out_dir), path, time.monotonic() - started)
