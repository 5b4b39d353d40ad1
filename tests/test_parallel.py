"""Forked workers change how fast a table is governed, never what comes out."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import govflow
from govflow.datagen import generate_customers
from govflow.parallel import MIN_SLICE_ROWS, _slices, worker_count


@given(st.integers(0, 50 * MIN_SLICE_ROWS), st.integers(1, 8))
def test_slices_cover_the_batch_in_order(rows: int, workers: int) -> None:
    cuts = _slices(rows, workers)
    assert 1 <= len(cuts) <= workers
    assert [start for start, _ in cuts] == [sum(n for _, n in cuts[:i]) for i in range(len(cuts))]
    assert sum(n for _, n in cuts) == rows
    assert len(cuts) == 1 or min(n for _, n in cuts) >= MIN_SLICE_ROWS


def test_worker_count_follows_the_setting_and_the_table_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVFLOW_WORKERS", "3")
    assert worker_count(10) == 3
    monkeypatch.setenv("GOVFLOW_WORKERS", "two")
    with pytest.raises(ValueError, match="GOVFLOW_WORKERS must be a whole number"):
        worker_count(10)
    monkeypatch.delenv("GOVFLOW_WORKERS")
    assert worker_count(MIN_SLICE_ROWS - 1) == 1  # too small to be worth a fork


def test_in_memory_run_on_two_workers_equals_one(default_pipeline: govflow.Pipeline) -> None:
    table = generate_customers(2 * MIN_SLICE_ROWS + 7, seed=23)[0]
    one = default_pipeline.run(table, workers=1)
    two = default_pipeline.run(table, workers=2)
    assert two.table.equals(one.table)
    assert two.audit.equals(one.audit)
    assert pa.compute.sum(
        pa.compute.equal(two.audit.column("record_index"), pa.array(range(table.num_rows)))
    ).as_py() == (table.num_rows)


def test_prepare_builds_the_text_path_before_workers_fork_and_only_when_there_is_free_text() -> None:
    pipeline = govflow.Pipeline.default()
    table = generate_customers(50, seed=5)[0]
    structured = table.drop_columns(["notes"])
    pipeline.engine.prepare(pipeline.profile(structured, with_findings=False))
    assert pipeline.engine.stack._analyzer is None  # no free text: spaCy is not loaded
    pipeline.engine.prepare(pipeline.profile(table, with_findings=False))
    assert pipeline.engine.stack._analyzer is not None  # loaded in the parent, inherited by forked workers


def test_a_text_path_that_cannot_be_built_fails_closed_with_two_workers_as_with_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = govflow.load_policy(None)
    settings = policy.settings.model_copy(update={"spacy_model": "xx_missing_model"})
    pipeline = govflow.Pipeline(policy.model_copy(update={"settings": settings}))
    table = generate_customers(2 * MIN_SLICE_ROWS, seed=9)[0]
    one, two = pipeline.run(table, workers=1), pipeline.run(table, workers=2)
    assert two.audit.equals(one.audit) and two.table.equals(one.table)
    notes, rules = table.column("notes").to_pylist(), two.audit.column("rule_id").to_pylist()
    assert len(rules) == table.num_rows  # none lost; every record whose note could not be scanned is held back
    assert all(rule == "on_error" for note, rule in zip(notes, rules, strict=True) if note)
    assert "could not build the free-text path before starting workers (DetectionConfigError)" in caplog.text
