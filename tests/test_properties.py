"""Invariants over generated records: one route each, determinism, no raw PII leaving or in the audit."""

from __future__ import annotations

from functools import cache

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import govflow
from govflow.datagen import generate_customers
from govflow.engine import GOV_COLUMNS

PERSONAL = ["customer_name", "email", "phone", "national_id", "iban", "card_number"]
FILLER = ["the", "parcel", "was", "late", "refund", "requested", "please", "deliver", "before", "noon", "asked"]


@cache
def pool() -> list[dict[str, object]]:
    """Synthetic customers of 20 countries to draw records from (generated, checksum-valid)."""
    table, _ = generate_customers(120, seed=11)
    return table.select([*PERSONAL, "country", "order_id"]).to_pylist()


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, object]]:
    """Records built from pool customers: fields dropped at random, notes that mention the record's
    own name, e-mail or phone among filler words, and the declared country sometimes missing."""
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        base = dict(pool()[draw(st.integers(min_value=0, max_value=len(pool()) - 1))])
        for key in [*PERSONAL, "country"]:
            if draw(st.booleans()) and draw(st.booleans()):
                base[key] = None
        words = draw(st.lists(st.sampled_from(FILLER), min_size=0, max_size=8))
        mention = draw(st.sampled_from(["customer_name", "email", "phone", None]))
        if mention and base[mention]:
            words.insert(draw(st.integers(min_value=0, max_value=len(words))), str(base[mention]))
        base["notes"] = " ".join(words) if words else None
        rows.append(base)
    return rows


def raw_values(rows: list[dict[str, object]]) -> set[str]:
    return {str(r[k]) for r in rows for k in PERSONAL if r.get(k) and len(str(r[k])) >= 4}


def as_table(rows: list[dict[str, object]]) -> pa.Table:
    schema = pa.schema([(k, pa.string()) for k in [*PERSONAL, "country", "order_id", "notes"]])
    return pa.Table.from_pylist(rows, schema=schema)


PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(rows=records())
def test_every_record_leaves_in_exactly_one_route(default_pipeline: govflow.Pipeline, rows: list[dict]) -> None:
    result = default_pipeline.run(as_table(rows))
    assert result.table.num_rows == len(rows) == result.audit.num_rows
    assert sum(result.counts.values()) == len(rows)
    assert result.audit.column("record_index").to_pylist() == list(range(len(rows)))
    assert set(result.table.column("gov_route").to_pylist()) <= set(default_pipeline.policy.destinations)
    assert result.table.column("order_id").to_pylist() == [r["order_id"] for r in rows]


@PROPERTY
@given(rows=records())
def test_same_input_same_output(default_pipeline: govflow.Pipeline, rows: list[dict]) -> None:
    first, second = default_pipeline.run(as_table(rows)), default_pipeline.run(as_table(rows))
    assert first.table.equals(second.table)
    assert first.audit.equals(second.audit)


@PROPERTY
@given(rows=records())
def test_no_raw_pii_in_external_outputs_or_audit(default_pipeline: govflow.Pipeline, rows: list[dict]) -> None:
    result = default_pipeline.run(as_table(rows))
    external = [n for n, d in default_pipeline.policy.destinations.items() if d.zone == "external"]
    released = " ".join(
        str(result.routes[name].drop_columns(list(GOV_COLUMNS)).to_pylist()) for name in external
    ).lower()
    audit = str(result.audit.to_pylist()).lower()
    for value in raw_values(rows):
        assert value.lower() not in released
        assert value.lower() not in audit
