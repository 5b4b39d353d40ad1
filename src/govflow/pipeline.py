"""The in-memory API: pandas DataFrames and Arrow tables or streams in, a governed result out."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Union

import pyarrow as pa
import pyarrow.compute as pc

from govflow.detect.findings import Finding
from govflow.detect.profile import TableProfile
from govflow.engine import AUDIT_SCHEMA, Engine, GovernedBatch, output_schema
from govflow.parallel import govern_parallel, worker_count
from govflow.policy.loader import load_policy
from govflow.policy.models import Policy

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 65_536
Tabular = Union["pd.DataFrame", pa.Table, pa.RecordBatch, pa.RecordBatchReader]


@dataclass(repr=False)
class Result:
    """Every input row, in input order, masked for its route, with gov_* columns; plus the audit."""

    table: pa.Table
    audit: pa.Table
    policy: Policy

    def __repr__(self) -> str:
        """Counts only: the table holds sovereign rows unmasked, which must not end up in a log or notebook."""
        return f"Result(rows={self.table.num_rows}, routes={self.counts}, policy={self.policy.name!r})"

    @cached_property
    def routes(self) -> dict[str, pa.Table]:
        """Rows per destination (every destination of the policy, empty ones included)."""
        route = self.table.column("gov_route")
        return {name: self.table.filter(pc.equal(route, name)) for name in self.policy.destinations}

    @property
    def counts(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.routes.items()}

    def to_pandas(self) -> pd.DataFrame:
        return self.table.to_pandas()


def unique_column_names(names: Iterable[object]) -> tuple[list[str], list[str]]:
    """Column names as distinct strings (`name`, `name__2`, ...) and a warning per rename.

    Duplicate or non-string names are legal in pandas but not in Parquet; renaming deterministically
    keeps every column instead of dropping or failing.
    """
    seen: set[str] = set()
    out, warnings = [], []
    for i, raw in enumerate(names):
        name = str(raw) if raw is not None and str(raw) != "" else f"column_{i}"
        base, k = name, 2
        while name in seen:
            name, k = f"{base}__{k}", k + 1
        if name != raw:
            warnings.append(f"column {i} ({raw!r}) is named {name!r} in the output")
        seen.add(name)
        out.append(name)
    return out, warnings


def to_arrow(data: Tabular) -> pa.Table | pa.RecordBatchReader:
    """Arrow form of the supported inputs; columns renamed to distinct strings where needed."""
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if not isinstance(data, pa.Table):
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"Pipeline.run takes a pandas DataFrame, pyarrow Table, RecordBatch or RecordBatchReader, "
                f"not {type(data).__name__}"
            )
        names, warnings = unique_column_names(data.columns)
        frame = data.copy(deep=False)
        frame.columns = names
        for warning in warnings:
            log.warning(warning)
        return pa.Table.from_pandas(frame, preserve_index=False)
    names, warnings = unique_column_names(data.column_names)
    for warning in warnings:
        log.warning(warning)
    return data.rename_columns(names) if warnings else data


class Pipeline:
    """A policy made runnable: engines are built once and reused for every batch and every run."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.engine = Engine(policy)

    @classmethod
    def from_rules(cls, path: str | Path) -> Pipeline:
        return cls(load_policy(path))

    @classmethod
    def default(cls) -> Pipeline:
        """The bundled default rule pack."""
        return cls(load_policy(None))

    @property
    def policy_version(self) -> str:
        return self.engine.version

    def profile(self, sample: pa.Table, *, with_findings: bool = True) -> TableProfile:
        """Column profile from the first rows of `sample` (what `govflow scan` shows). Without
        `with_findings`, the profile a run needs: the same decisions, no entity shares of the sample."""
        return self.engine.profile(sample, with_findings=with_findings)

    def scan_text(self, text: str) -> list[Finding]:
        """Findings in one free text, as the text scanner sees them."""
        return self.engine.stack.scan_text(text)

    def govern(
        self,
        batches: Iterable[tuple[pa.RecordBatch, pa.Array | None]],
        profile: TableProfile,
    ) -> Iterator[GovernedBatch]:
        """Govern a stream of (batch, per-row input problems) with a fixed profile."""
        offset = 0
        for batch, problems in batches:
            yield self.engine.process(batch, profile, row_offset=offset, problems=problems)
            offset += batch.num_rows

    def run(
        self,
        data: Tabular,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        profile: TableProfile | None = None,
        workers: int | None = None,
    ) -> Result:
        """Govern a whole table (or stream) in memory. For files of any size use `govflow run`.

        The column profile comes from the first rows unless one is given (e.g. shared with another run).
        `workers` forked processes share the work (None: one per core for tables of a few thousand rows
        or more, see `govflow.parallel.worker_count`; 1: stay in this process); the result is the same.
        """
        source = to_arrow(data)
        if isinstance(source, pa.RecordBatchReader):
            source = source.read_all()
        head = source.slice(0, self.policy.settings.profile_sample_size)
        batches = source.to_batches(max_chunksize=batch_size)
        schema = source.schema
        profile = profile or self.profile(head, with_findings=False)
        workers = worker_count(source.num_rows) if workers is None else workers
        governed = list(govern_parallel(self, ((b, None) for b in batches), profile, workers))
        out_schema = output_schema(schema)
        table = pa.Table.from_batches([g.batch for g in governed], schema=out_schema)
        audit = pa.Table.from_batches([g.audit for g in governed], schema=AUDIT_SCHEMA)
        return Result(table, audit, self.policy)
