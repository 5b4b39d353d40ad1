"""Column profiling: decide once, from names and a sample, what to run on each column.

The profile is computed from the first rows of the input (the same rows whatever the engine), then
fixed for the whole run, so every batch and every partition treats a column the same way.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from govflow.detect.stack import DetectionStack
from govflow.leaves import Leaf, UnsupportedColumn, leaves_of
from govflow.policy.models import ColumnHint, Policy

Mode = Literal["text", "structured"]
PROFILE_VALUE_CHARS = 10_000


@dataclass(frozen=True)
class LeafProfile:
    """What govflow will do with one scannable leaf of a column."""

    column: str
    leaf: str
    mode: Mode
    entity: str | None = None  # hinted entity type
    whole_value: bool = False  # every non-empty value is `entity` (unless a recognizer names it more precisely)
    assume_context: bool = False  # format-only identifiers count in this column
    declared: bool = False  # the value names the record's jurisdiction
    sample_rows: int = 0
    sample_entities: dict[str, float] = field(default_factory=dict)  # entity -> share of sampled values
    reason: str = ""  # why this mode and entity

    @property
    def confidence(self) -> float:
        """How sure the profile is of the column's main entity (1.0 when a name hint says so)."""
        if self.whole_value:
            return 1.0
        return max(self.sample_entities.values(), default=0.0)


@dataclass(frozen=True)
class TableProfile:
    leaves: dict[str, LeafProfile]  # keyed by leaf display name

    def for_leaf(self, leaf: Leaf, column: str) -> LeafProfile:
        """The profile of a leaf; a leaf the sample never showed is scanned as structured (fail closed)."""
        return self.leaves.get(leaf.name) or LeafProfile(column, leaf.name, "structured", reason="not in sample")


def _hints_for(name: str, hints: list[ColumnHint]) -> list[ColumnHint]:
    lowered = name.lower()
    return [h for h in hints if any(fnmatch.fnmatchcase(lowered, g.lower()) for g in h.columns)]


def hinted_date_columns(policy: Policy, schema: pa.Schema) -> set[str]:
    """Date columns that a whole-value hint marks as PII (dates are otherwise not scanned)."""
    return {f.name for f in schema if any(h.whole_value for h in _hints_for(f.name, policy.recognizers.column_hints))}


def _mean_words(values: pa.Array) -> float:
    non_null = values.drop_null()
    if len(non_null) == 0:
        return 0.0
    words = pc.count_substring_regex(pc.utf8_trim_whitespace(non_null), r"\s+")
    return float(pc.mean(words).as_py() or 0.0) + 1.0


def profile_leaf(
    policy: Policy, stack: DetectionStack, column: str, leaf: Leaf, *, with_findings: bool = True
) -> LeafProfile:
    leaf_name = leaf.name.rsplit(".", 1)[-1].removesuffix("[]")
    hints = _hints_for(column, policy.recognizers.column_hints) or _hints_for(
        leaf_name, policy.recognizers.column_hints
    )
    declared = column.lower() in {c.lower() for c in policy.jurisdictions.declared_columns}
    entity_hint = next((h for h in hints if h.entity), None)
    sample = leaf.values.drop_null()
    if any(h.free_text for h in hints):
        mode: Mode = "text"
        reason = "column name hints free text"
    elif entity_hint is not None:
        mode, reason = "structured", f"column name hints {entity_hint.entity}"
    elif _mean_words(sample) >= policy.settings.free_text_min_words:
        mode, reason = "text", f"sample averages {_mean_words(sample):.1f} words per value"
    else:
        mode, reason = "structured", "short values"
    assume_context = any(h.assume_context for h in hints)
    hits: Counter[str] = Counter()
    if with_findings:
        # The profile only needs a taste of each value; whole long texts are the engine's job.
        sample = pc.utf8_slice_codeunits(sample, 0, PROFILE_VALUE_CHARS)
        uniques = pc.unique(sample).to_pylist()
        counts = Counter(sample.to_pylist())
        if mode == "text":
            found = stack.scan_texts(uniques)
        else:
            found = stack.scan_values(uniques, column, assume_context=assume_context)
        for value, findings in zip(uniques, found, strict=True):
            for entity in {f.entity_type for f in findings}:
                hits[entity] += counts[value]
    total = max(len(sample), 1)
    return LeafProfile(
        column=column,
        leaf=leaf.name,
        mode=mode,
        entity=entity_hint.entity if entity_hint else None,
        whole_value=bool(entity_hint and entity_hint.whole_value) and mode == "structured",
        declared=declared,
        assume_context=assume_context,
        sample_rows=len(sample),
        sample_entities={e: round(n / total, 4) for e, n in sorted(hits.items())},
        reason=reason,
    )


def profile_table(
    policy: Policy, stack: DetectionStack, sample: pa.Table, *, with_findings: bool = True
) -> TableProfile:
    """Profile every leaf of every column from a sample (the first rows of the input).

    Mode, entity and the rest are decided from column names and value shapes; `with_findings` also runs
    detection over the sample to report which entities it holds (`sample_entities`, shown by `govflow
    scan` and read by policy tests). Governing never reads them, so a run leaves them out: that pass
    would cost a serial NER pass over the sample before any worker starts.
    """
    dates = hinted_date_columns(policy, sample.schema)
    leaves: dict[str, LeafProfile] = {}
    for i, name in enumerate(sample.column_names):
        column = sample.column(i).combine_chunks()
        try:
            column_leaves = leaves_of(column, name, include_dates=name in dates)
        except UnsupportedColumn:
            continue
        for leaf in column_leaves:
            leaves[leaf.name] = profile_leaf(policy, stack, name, leaf, with_findings=with_findings)
    return TableProfile(leaves)
