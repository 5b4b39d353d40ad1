"""Govern a small input in memory the way `govflow run` would: same profile rows, same per-row input problems."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from govflow.detect.profile import TableProfile
from govflow.engine import AUDIT_SCHEMA, output_schema
from govflow.io import open_input
from govflow.pipeline import Pipeline, Result


def govern_pieces(
    pipeline: Pipeline, schema: pa.Schema, pieces: list[tuple[pa.RecordBatch, pa.Array | None]]
) -> tuple[Result, TableProfile]:
    """Every piece governed with one profile taken from the first rows, as `govflow run` does; and that profile.

    Unlike `Pipeline.run`, this keeps the reader's per-row problems (a malformed JSON line), so a
    steward's test or a policy diff sees the `on_error` route exactly as a real run would.
    """
    head = pa.Table.from_batches([b for b, _ in pieces], schema=schema).slice(
        0, pipeline.policy.settings.profile_sample_size
    )
    profile = pipeline.profile(head)
    governed = list(pipeline.govern(pieces, profile))
    table = pa.Table.from_batches([g.batch for g in governed], schema=output_schema(schema))
    audit = pa.Table.from_batches([g.audit for g in governed], schema=AUDIT_SCHEMA)
    return Result(table, audit, pipeline.policy), profile


def read_pieces(
    path: str | Path, rows: int | None = None
) -> tuple[pa.Schema, list[tuple[pa.RecordBatch, pa.Array | None]]]:
    """The first `rows` records of a .parquet/.csv/.jsonl file (all when None), with their read problems."""
    source = open_input(path)
    if rows is None:
        return source.schema, list(source.batches())
    pieces: list[tuple[pa.RecordBatch, pa.Array | None]] = []
    taken = 0
    for batch, problems in source.batches():
        keep = min(batch.num_rows, rows - taken)
        pieces.append((batch.slice(0, keep), None if problems is None else problems.slice(0, keep)))
        taken += keep
        if taken >= rows:
            break
    return source.schema, pieces
