"""govflow on real PySpark (local mode): identical to Pipeline.run, nothing lost, fail closed, no keys in the plan."""

from __future__ import annotations

import base64
import json
import os
import pickle
from functools import reduce
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'govflow[spark]'")

from pyspark.serializers import CloudPickleSerializer
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import govflow
from conftest import TEST_KEY_HEX
from govflow.datagen import generate_customers
from govflow.engine import AUDIT_SCHEMA, SchemaError
from govflow.io import read_manifest, read_route
from govflow.policy.loader import policy_to_text
from govflow.spark import (
    AUDIT_COLUMN,
    INDEX_BITS,
    KeyMismatchError,
    executor_pipeline,
    governor_for,
    local_session,
    split_audit,
    transform,
    write_routes,
)

pytestmark = pytest.mark.spark
ROWS = 300


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    """local[2], offline (loopback only), no UI; Python workers run this interpreter with this checkout."""
    session = local_session("local[2]", "govflow-tests")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def customers() -> pa.Table:
    return generate_customers(ROWS, seed=7)[0]


def in_partitions(spark: SparkSession, table: pa.Table, pieces: int) -> DataFrame:
    """`table` as a DataFrame whose partitions hold consecutive slices in order (no shuffle)."""
    size = -(-table.num_rows // pieces)
    frames = [spark.createDataFrame(table.slice(i, size)) for i in range(0, table.num_rows, size)]
    return reduce(DataFrame.union, frames)


def in_input_order(governed: pa.Table) -> pa.Table:
    return governed.take(pc.sort_indices(governed.column(AUDIT_COLUMN).combine_chunks().field("record_index")))


def test_identical_to_pandas_path_cell_by_cell(
    spark: SparkSession, customers: pa.Table, default_pipeline: govflow.Pipeline
) -> None:
    df = in_partitions(spark, customers, 3)
    assert df.rdd.getNumPartitions() >= 3
    # Small batches on Spark, one batch in pandas: batching must not change a single cell.
    governed = in_input_order(transform(df, default_pipeline, batch_size=64).toArrow())
    expected = default_pipeline.run(customers)

    assert governed.num_rows == expected.table.num_rows == ROWS
    assert governed.column_names == [*expected.table.column_names, AUDIT_COLUMN]
    for name in expected.table.column_names:
        got, want = governed.column(name).to_pylist(), expected.table.column(name).to_pylist()
        differing = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
        assert not differing, f"column {name!r} differs in records {differing[:10]}"
    assert set(governed.column("gov_route").to_pylist()) >= {"sovereign", "external"}
    assert governed.column("email") != customers.column("email")  # masking happened

    audit = pa.Table.from_batches([], AUDIT_SCHEMA).schema
    spark_audit = pa.Table.from_struct_array(governed.column(AUDIT_COLUMN))
    assert spark_audit.schema.names == audit.names
    for name in audit.names:
        if name != "record_index":
            assert spark_audit.column(name).to_pylist() == expected.audit.column(name).to_pylist(), name
    index = spark_audit.column("record_index").to_numpy()
    assert len(set(index.tolist())) == ROWS and (index[1:] > index[:-1]).all()
    assert {int(i) >> INDEX_BITS for i in index} == set(range(df.rdd.getNumPartitions()))


def test_write_routes_loses_nothing_and_mirrors_govflow_run(
    spark: SparkSession, customers: pa.Table, default_pipeline: govflow.Pipeline, tmp_path: Path
) -> None:
    df = in_partitions(spark, customers, 3)
    out = tmp_path / "out"
    manifest = write_routes(transform(df, default_pipeline), str(out), input_name="customers")

    assert read_manifest(out) == json.loads(json.dumps(manifest))
    routes = manifest["routes"]
    assert set(routes) == set(default_pipeline.policy.destinations)
    assert sum(r["rows"] for r in routes.values()) == manifest["input_rows"] == manifest["audit_rows"] == ROWS
    assert manifest["policy_version"] == default_pipeline.policy_version
    expected_counts = default_pipeline.run(customers).counts
    for name, route in routes.items():
        assert route["zone"] == default_pipeline.policy.zone_of(name)
        rows = read_route(out, name)  # the reader of `govflow run` output reads this one too
        assert rows.num_rows == route["rows"] == expected_counts[name]
        assert AUDIT_COLUMN not in rows.column_names
        assert set(rows.column("gov_route").to_pylist()) <= {name}
    audit = pq.read_table(out / manifest["audit"])
    assert audit.schema.names == AUDIT_SCHEMA.names
    assert len(set(audit.column("record_index").to_pylist())) == ROWS
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "staging folder left behind"

    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_routes(transform(df, default_pipeline), str(out))
    again = write_routes(transform(df.limit(10), default_pipeline), str(out), overwrite=True)
    assert again["input_rows"] == 10 == read_manifest(out)["input_rows"]


def test_a_batch_that_cannot_be_governed_goes_to_quarantine_not_the_job(
    spark: SparkSession, customers: pa.Table, default_pipeline: govflow.Pipeline, tmp_path: Path
) -> None:
    """Spark strings may hold invalid UTF-8 (a cast from binary). A bad top-level value sends its record to
    on_error; one inside a nested value cannot be repaired and fails its whole batch, which goes to on_error
    while the other partitions are governed as usual."""
    table = customers.slice(0, 60)
    bad_text, bad_nested = table["order_id"][5].as_py(), table["order_id"][45].as_py()
    invalid = F.expr("cast(unhex('C328') as string)")
    df = (
        in_partitions(spark, table, 2)
        .withColumn("notes", F.when(F.col("order_id") == bad_text, invalid).otherwise(F.col("notes")))
        .withColumn("tags", F.when(F.col("order_id") == bad_nested, F.array(invalid)).otherwise(F.array(F.lit("x"))))
    )
    governed = transform(df, default_pipeline)
    manifest = write_routes(governed, str(tmp_path / "out"))
    assert sum(r["rows"] for r in manifest["routes"].values()) == manifest["input_rows"] == 60

    rows = {r["order_id"]: r for r in governed.select("order_id", f"{AUDIT_COLUMN}.*").collect()}
    assert rows[bad_text]["route"] == "quarantine"
    assert rows[bad_text]["reason"] == "invalid UTF-8 in column 'notes' (replaced)"
    failed_partition = rows[bad_nested]["record_index"] >> INDEX_BITS
    failed = [r for r in rows.values() if r["record_index"] >> INDEX_BITS == failed_partition]
    assert len(failed) > 1
    assert all(r["route"] == "quarantine" and r["reason"].startswith("internal error") for r in failed)
    others = [r for o, r in rows.items() if o != bad_text and r["record_index"] >> INDEX_BITS != failed_partition]
    assert len(others) == 60 - len(failed) - 1
    assert all(r["reason"] is None for r in others)
    assert {r["route"] for r in others} >= {"sovereign", "external"}
    assert manifest["on_error_reasons"]["invalid UTF-8 in column 'notes' (replaced)"] == 1


def test_the_plan_holds_no_key(spark: SparkSession, default_pipeline: govflow.Pipeline) -> None:
    """What mapInArrow ships (the pickled function) holds the policy text and key ids, never key material."""
    material = bytes.fromhex(TEST_KEY_HEX)
    forms = [material, TEST_KEY_HEX.encode(), TEST_KEY_HEX.upper().encode(), base64.b64encode(material)]
    # The check can fail: the driver's pipeline does hold the key, and pickling it would ship it.
    assert material in pickle.dumps(default_pipeline.engine.keys)

    df = spark.createDataFrame(generate_customers(20, seed=1)[0])
    governor = governor_for(df, default_pipeline)
    shipped = CloudPickleSerializer().dumps(governor)
    assert policy_to_text(default_pipeline.policy).encode() in shipped
    assert not [form for form in forms if form in shipped]
    assert all(key.key_id.encode() in shipped for key in default_pipeline.engine.keys.values())


def test_executors_build_once_and_refuse_other_keys(default_pipeline: govflow.Pipeline) -> None:
    text, version = policy_to_text(default_pipeline.policy), default_pipeline.policy_version
    key_ids = tuple(sorted(k.key_id for k in default_pipeline.engine.keys.values()))
    first = executor_pipeline(text, version, key_ids)
    assert executor_pipeline(text, version, key_ids) is first
    with pytest.raises(KeyMismatchError, match="GOVFLOW_KEY"):
        executor_pipeline(text, version, ("default:000000000000",))


def test_input_columns_that_clash_are_refused_before_any_job(
    spark: SparkSession, default_pipeline: govflow.Pipeline
) -> None:
    df = spark.createDataFrame([("a", "b")], "name string, gov_route string")
    with pytest.raises(SchemaError, match="gov_route"):
        transform(df, default_pipeline)
    with pytest.raises(SchemaError, match=AUDIT_COLUMN):
        transform(df.withColumnRenamed("gov_route", AUDIT_COLUMN), default_pipeline)


def test_split_audit_and_writer_need_a_governed_frame(
    spark: SparkSession, default_pipeline: govflow.Pipeline, tmp_path: Path
) -> None:
    governed = transform(spark.createDataFrame(generate_customers(10, seed=3)[0]), default_pipeline)
    data, audit = split_audit(governed)
    assert AUDIT_COLUMN not in data.columns
    assert audit.columns == AUDIT_SCHEMA.names
    with pytest.raises(ValueError, match="not a governed DataFrame"):
        write_routes(data, str(tmp_path / "x"))


def test_each_worker_builds_one_pipeline_and_reuses_it_across_tasks(
    spark: SparkSession, default_pipeline: govflow.Pipeline
) -> None:
    """Governed tasks on the executors' Python workers share one cached Pipeline per worker process."""
    text, version = policy_to_text(default_pipeline.policy), default_pipeline.policy_version
    key_ids = tuple(sorted(k.key_id for k in default_pipeline.engine.keys.values()))

    def which_pipeline(batches):  # runs on the executors
        pipeline = executor_pipeline(text, version, key_ids)
        for _ in batches:
            pass
        yield pa.RecordBatch.from_pydict({"pid": [os.getpid()], "pipeline": [id(pipeline)]})

    tasks = 8
    seen = spark.range(tasks, numPartitions=tasks).mapInArrow(which_pipeline, "pid long, pipeline long").collect()
    assert len(seen) == tasks
    per_worker: dict[int, set[int]] = {}
    for row in seen:
        per_worker.setdefault(row["pid"], set()).add(row["pipeline"])
    assert all(len(ids) == 1 for ids in per_worker.values())
    assert len(per_worker) < tasks, "Python workers were not reused across tasks"
