"""govflow on Spark: the same per-batch core as `Pipeline.run`, run by `mapInArrow` on the executors.

What runs where:

* **Driver** (`transform`): checks the input columns, profiles the first `profile_sample_size` rows once
  (so every partition treats a column the same way), and declares the output schema up front. It ships
  only the policy's normalised text, its version, the profile, the schemas and the *key ids* (public
  fingerprints) to the executors: never a Pipeline, an Engine or a key.
* **Executors** (`_Governor`): each Python worker builds its Pipeline once, lazily, from the policy text
  (reading the keys from its own environment or key file, as the engine always does) and keeps it in a
  module-level cache for every later batch and task. A worker whose keys differ from the driver's
  refuses to run, because records masked with two keys would not join.
* **Writer** (`write_routes`): one folder per destination, the audit and, last, `manifest.json`, in the
  layout of `govflow run`.

The audit travels with its record as one struct column, `gov_audit` (fields of `engine.AUDIT_SCHEMA`), so a
filter, a repartition or a join cannot separate a record from its audit row; `write_routes` and
`split_audit` split it off. `gov_route`'s field metadata carries the policy's name, version and destinations,
so the governed DataFrame describes itself to the writer.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from govflow import __version__
from govflow.detect.profile import TableProfile
from govflow.engine import AUDIT_SCHEMA, EGRESS_GATE, SchemaError, output_schema
from govflow.io import AUDIT, MANIFEST, InputError, repair_utf8
from govflow.pipeline import DEFAULT_BATCH_SIZE, Pipeline
from govflow.policy.loader import policy_from_text, policy_to_text, policy_version
from govflow.runner import ROW_NUMBER

try:
    from pyspark import StorageLevel, TaskContext
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_type, to_arrow_schema
    from pyspark.sql.types import StructField, StructType
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("govflow.spark needs pyspark: pip install 'govflow[spark]'") from exc

if TYPE_CHECKING:
    from govflow.policy.models import Policy

log = logging.getLogger(__name__)

AUDIT_COLUMN = "gov_audit"
ROUTE_COLUMN = "gov_route"
METADATA_KEY = "govflow"
#: record_index = partition id << 33 | position in the partition, as Spark's monotonically_increasing_id.
INDEX_BITS = 33
_STAGING_PREFIX = ".govflow-staging-"


def local_session(
    master: str = "local[2]", app_name: str = "govflow", conf: dict[str, str] | None = None
) -> SparkSession:
    """A local-mode session for one machine (tests, benchmarks, trying govflow out) that needs no network.

    The driver binds to loopback only and has no UI; Python workers run this interpreter and import this
    govflow (its source folder is put first on the workers' PYTHONPATH), so driver and executors never run
    different code. On a cluster, build the session as the cluster requires instead (docs/spark.md).
    """
    source = str(Path(__file__).resolve().parents[1])
    os.environ["PYSPARK_PYTHON"] = sys.executable
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != source]
    os.environ["PYTHONPATH"] = os.pathsep.join([source, *paths])
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# -- executors -------------------------------------------------------------------------------------

_PIPELINES: dict[tuple[str, tuple[str, ...]], Pipeline] = {}
_PIPELINES_LOCK = threading.Lock()


class KeyMismatchError(RuntimeError):
    """An executor's keys are not the driver's: its records would be masked with other tokens."""


def _key_ids(pipeline: Pipeline) -> tuple[str, ...]:
    return tuple(sorted(key.key_id for key in pipeline.engine.keys.values()))


def executor_pipeline(policy_text: str, version: str, key_ids: tuple[str, ...]) -> Pipeline:
    """This worker's Pipeline for a policy, built on first use and reused by every later batch and task.

    Building loads spaCy, Presidio and the keys (seconds), so it must happen once per Python worker, not
    per batch. The cache is keyed by policy version and key ids: a job with another policy or a rotated
    key builds its own.
    """
    cache_key = (version, key_ids)
    with _PIPELINES_LOCK:
        pipeline = _PIPELINES.get(cache_key)
        if pipeline is None:
            policy = policy_from_text(policy_text)
            if policy_version(policy) != version:
                raise ValueError("the policy text shipped to this executor does not match its version")
            pipeline = Pipeline(policy)
            found = _key_ids(pipeline)
            if found != key_ids:
                raise KeyMismatchError(
                    f"this executor's keys {list(found)} are not the driver's {list(key_ids)}: set the same "
                    "GOVFLOW_KEY (or key files) on every node; see docs/spark.md"
                )
            _PIPELINES[cache_key] = pipeline
    return pipeline


def _rebatch(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """Spark's Arrow batches (10,000 rows by default) merged up to `size` rows: the engine's work is per
    distinct value, so larger batches repeat less of it."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        rows += batch.num_rows
        if rows >= size:
            yield pa.concat_batches(pending)
            pending, rows = [], 0
    if pending:
        yield pa.concat_batches(pending)


_NESTED_UTF8 = "invalid UTF-8 inside a nested value, which govflow cannot repair"


def _readable(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, pa.Array | None]:
    """(batch, per-row problems): invalid UTF-8 replaced per value and its records flagged, as for files.

    Spark strings can hold invalid UTF-8 (e.g. a cast from binary), which Arrow's string kernels reject.
    A top-level string value is repaired and its record goes to on_error with the reason; invalid UTF-8
    inside a nested value cannot be repaired, so every record of the batch is flagged and the engine's
    whole-batch fail-closed path sends them to on_error, unmasked, rather than failing the job.
    """
    try:
        return repair_utf8(Path("spark batch"), batch, None)
    except InputError:
        log.error("a batch holds invalid UTF-8 inside a nested value; its %d records go to on_error", batch.num_rows)
        return batch, pa.array([_NESTED_UTF8] * batch.num_rows, pa.string())


def _profile_sample(sample: pa.Table) -> pa.Table:
    """The driver's sample made readable like every batch; a nested column holding invalid UTF-8 is left
    out, so it is scanned as structured everywhere (TableProfile's fail-closed default for unseen leaves)."""
    keep = []
    for name, column in zip(sample.column_names, sample.columns, strict=True):
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            if pa.types.is_nested(column.type):
                log.warning("column %r: invalid UTF-8 in a nested value of the sample; profiled as structured", name)
                continue
        keep.append(name)
    sample = sample.select(keep)
    if sample.num_rows == 0:
        return sample
    return pa.Table.from_batches([_readable(pa.concat_batches(sample.to_batches()))[0]])


@dataclass(frozen=True)
class _Governor:
    """The function `mapInArrow` pickles into the plan. Holds no key and no engine: only what the
    executors need to build their own (see `executor_pipeline`)."""

    policy_text: str
    policy_version: str
    key_ids: tuple[str, ...]
    profile: TableProfile
    input_schema: pa.Schema
    output_schema: pa.Schema  # output_schema(input_schema) + the gov_audit struct
    batch_size: int

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        pipeline = executor_pipeline(self.policy_text, self.policy_version, self.key_ids)
        context = TaskContext.get()
        first_index = (context.partitionId() if context else 0) << INDEX_BITS
        stream = (_readable(self._conform(b)) for b in _rebatch(batches, self.batch_size))
        for governed in pipeline.govern(stream, self.profile):
            yield self._with_audit(governed.batch, governed.audit, first_index)

    def _conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The batch with exactly the driver's input schema (as the sample that made the profile had)."""
        if batch.schema.equals(self.input_schema):
            return batch
        return pa.RecordBatch.from_arrays(
            [column.cast(field.type) for column, field in zip(batch.columns, self.input_schema, strict=True)],
            schema=self.input_schema,
        )

    def _with_audit(self, data: pa.RecordBatch, audit: pa.RecordBatch, first_index: int) -> pa.RecordBatch:
        index = audit.column("record_index")
        audit = audit.set_column(0, "record_index", pc.add(index, pa.scalar(first_index, pa.int64())))
        struct = pa.StructArray.from_arrays(audit.columns, fields=list(AUDIT_SCHEMA))
        columns = [*data.columns, struct]
        return pa.RecordBatch.from_arrays(
            [c.cast(f.type) for c, f in zip(columns, self.output_schema, strict=True)], schema=self.output_schema
        )


# -- driver ----------------------------------------------------------------------------------------


def _arrow_schema(df: DataFrame) -> pa.Schema:
    session = df.sparkSession
    return to_arrow_schema(df.schema, timezone=session.conf.get("spark.sql.session.timeZone"))


def _route_metadata(policy: Policy, version: str) -> dict[str, Any]:
    return {
        METADATA_KEY: {
            "policy": policy.name,
            "policy_version": version,
            "destinations": {name: spec.zone for name, spec in policy.destinations.items()},
        }
    }


def _spark_schema(df: DataFrame, governed: pa.Schema, metadata: dict[str, Any]) -> StructType:
    """Input columns keep their Spark types (made nullable: a masked date or number becomes null);
    gov_* columns and gov_audit come from the engine's Arrow schema."""
    fields = [StructField(f.name, f.dataType, True, f.metadata) for f in df.schema.fields]
    for field in list(governed)[len(fields) :]:
        meta = metadata if field.name == ROUTE_COLUMN else None
        fields.append(StructField(field.name, from_arrow_type(field.type, prefer_timestamp_ntz=False), True, meta))
    return StructType(fields)


def governor_for(
    df: DataFrame,
    pipeline: Pipeline,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    profile: TableProfile | None = None,
) -> _Governor:
    """The function `transform` hands to mapInArrow (exposed so tests can inspect what a plan ships)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if AUDIT_COLUMN in df.columns:
        raise SchemaError(f"input column {AUDIT_COLUMN!r} collides with govflow's output columns; rename it")
    input_schema = _arrow_schema(df)
    governed_schema = output_schema(input_schema)  # raises SchemaError on gov_* clashes
    if profile is None:
        sample = df.limit(pipeline.policy.settings.profile_sample_size).toArrow()
        profile = pipeline.profile(_profile_sample(sample.cast(input_schema)))
    return _Governor(
        policy_text=policy_to_text(pipeline.policy),
        policy_version=pipeline.policy_version,
        key_ids=_key_ids(pipeline),
        profile=profile,
        input_schema=input_schema,
        output_schema=governed_schema.append(pa.field(AUDIT_COLUMN, pa.struct(list(AUDIT_SCHEMA)))),
        batch_size=batch_size,
    )


def transform(
    df: DataFrame,
    pipeline: Pipeline,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    profile: TableProfile | None = None,
) -> DataFrame:
    """`df` governed as `pipeline.run` would: input columns masked per route, gov_* columns, and `gov_audit`.

    Lazy like any Spark transformation, except for the profile: the first `profile_sample_size` rows are
    read now (a small Spark job) unless a `profile` is given. Each record's `gov_audit.record_index` is
    `partition id << 33 | position in its partition` (Spark's `monotonically_increasing_id` numbering):
    unique, ordered like the input, and stable for the same input partitioning, but not consecutive.
    """
    governor = governor_for(df, pipeline, batch_size=batch_size, profile=profile)
    metadata = _route_metadata(pipeline.policy, governor.policy_version)
    return df.mapInArrow(governor, _spark_schema(df, governor.output_schema, metadata))


def _govflow_metadata(governed: DataFrame) -> dict[str, Any]:
    if ROUTE_COLUMN not in governed.columns or AUDIT_COLUMN not in governed.columns:
        raise ValueError(f"not a governed DataFrame: it needs {ROUTE_COLUMN!r} and {AUDIT_COLUMN!r} (use transform)")
    meta = governed.schema[ROUTE_COLUMN].metadata.get(METADATA_KEY)
    if not meta:
        raise ValueError(f"{ROUTE_COLUMN!r} has lost govflow's metadata (policy, destinations); use transform's output")
    return meta


def split_audit(governed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(rows without gov_audit, the audit as a flat DataFrame of `AUDIT_SCHEMA` columns)."""
    return governed.drop(AUDIT_COLUMN), governed.select(f"{AUDIT_COLUMN}.*")


# -- writing ---------------------------------------------------------------------------------------


class _FileSystem:
    """The Hadoop FileSystem of the output path (local, s3a, abfss, dbfs...), through the driver's JVM."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        jvm = spark._jvm  # type: ignore[attr-defined]
        if jvm is None:
            raise RuntimeError("write_routes needs a classic Spark session (not Spark Connect) to commit files")
        self._path_class = jvm.org.apache.hadoop.fs.Path
        self._io = jvm.org.apache.commons.io.IOUtils
        self.root = self._path_class(root)
        conf = spark._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
        self.fs = self.root.getFileSystem(conf)
        self.root = self.fs.makeQualified(self.root)
        # The local file system adds a hidden .crc beside every file; the manifest is written without one.
        local = self.root.toUri().getScheme() == "file"
        self.plain = jvm.org.apache.hadoop.fs.FileSystem.getLocal(conf).getRawFileSystem() if local else self.fs

    def path(self, *parts: str) -> Any:
        path = self.root
        for part in parts:
            path = self._path_class(path, part)
        return path

    def names(self, path: Any) -> list[str]:
        return sorted(status.getPath().getName() for status in self.fs.listStatus(path))

    def write_text(self, path: Any, text: str) -> None:
        stream = self.plain.create(path, False)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def read_text(self, path: Any) -> str:
        stream = self.fs.open(path)
        try:
            return str(self._io.toString(stream, "UTF-8"))
        finally:
            stream.close()

    def rename(self, source: Any, target: Any, *, plain: bool = False) -> None:
        if not (self.plain if plain else self.fs).rename(source, target):
            raise OSError(f"cannot move {source.toString()} to {target.toString()}")


def _replaced_entries(fs: _FileSystem, names: list[str], overwrite: bool) -> list[str]:
    """What an earlier govflow output in the folder holds (to replace); refuse anything else, as RouteWriter."""
    root = fs.root
    if not fs.fs.exists(root):
        return []
    if not fs.fs.getFileStatus(root).isDirectory():
        raise FileExistsError(f"{root.toString()}: exists and is not a directory")
    entries = [n for n in fs.names(root) if not n.startswith(_STAGING_PREFIX)]
    if not entries:
        return []
    if MANIFEST not in entries:
        raise FileExistsError(
            f"{root.toString()}: directory is not empty and holds no govflow output ({MANIFEST}); "
            "refusing to write into it; choose a new or empty directory"
        )
    if not overwrite:
        raise FileExistsError(f"{root.toString()}: holds a previous govflow output; pass overwrite=True to replace it")
    old = json.loads(fs.read_text(fs.path(MANIFEST)))
    old_names = {entry["path"] for entry in old["routes"].values()} | {old["audit"]}
    for name in [*names, AUDIT]:
        if name in entries and name not in old_names:
            raise FileExistsError(f"{fs.path(name).toString()}: exists and is not part of the previous govflow output")
    return sorted(name for name in old_names if name in entries)


def write_routes(
    governed: DataFrame,
    path: str,
    *,
    overwrite: bool = False,
    input_name: str | None = None,
    compression: str = "zstd",
) -> dict[str, Any]:
    """Write PATH/<destination>/part-*.parquet, PATH/audit.parquet/ and, last, PATH/manifest.json; the manifest.

    The layout and manifest fields are those of `govflow run`, except that Spark writes the audit as a
    folder of part files (`audit_files`). Everything is written under a staging folder and moved into place
    only once every route is written and the row counts check out: the routes' rows add up to the audit's
    and to the input's, or nothing is committed. The governed DataFrame is cached for the duration so the
    records are governed once, not once per destination.
    """
    meta = _govflow_metadata(governed)
    destinations: dict[str, str] = meta["destinations"]
    spark = governed.sparkSession
    fs = _FileSystem(spark, path)
    replaced = _replaced_entries(fs, list(destinations), overwrite)
    staging_name = f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
    staging = fs.path(staging_name)
    persist_here = not governed.storageLevel.useMemory and not governed.storageLevel.useDisk
    if persist_here:
        governed = governed.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        data, audit = split_audit(governed)
        for name in destinations:
            rows = data.filter(F.col(ROUTE_COLUMN) == name)
            rows.write.option("compression", compression).parquet(fs.path(staging_name, name).toString())
        audit.write.option("compression", compression).parquet(fs.path(staging_name, AUDIT).toString())
        manifest = _manifest(spark, fs, staging_name, governed, meta, input_name)
        _commit(fs, staging_name, list(destinations), replaced, manifest)
    except BaseException:
        fs.fs.delete(staging, True)
        raise
    finally:
        if persist_here:
            governed.unpersist()
    return manifest


def _parts(fs: _FileSystem, *parts: str) -> list[str]:
    return [name for name in fs.names(fs.path(*parts)) if name.startswith("part-")]


def _manifest(
    spark: SparkSession,
    fs: _FileSystem,
    staging: str,
    governed: DataFrame,
    meta: dict[str, Any],
    input_name: str | None,
) -> dict[str, Any]:
    """Counts come from the written files (parquet footers), so the manifest describes what is on disk."""
    routes: dict[str, Any] = {}
    for name, zone in meta["destinations"].items():
        written = spark.read.parquet(fs.path(staging, name).toString()).count()
        files = [f"{name}/{part}" for part in _parts(fs, staging, name)]
        routes[name] = {"zone": zone, "rows": written, "path": name, "files": files}
    audit_rows = spark.read.parquet(fs.path(staging, AUDIT).toString()).count()
    reasons = (
        governed.select(F.regexp_replace(f"{AUDIT_COLUMN}.reason", ROW_NUMBER, "$1 N").alias("reason"))
        .where(F.col("reason").isNotNull())
        .groupBy("reason")
        .count()
        .collect()
    )
    on_error_reasons = dict(sorted((row["reason"], int(row["count"])) for row in reasons))
    input_rows = governed.count()
    routed = sum(route["rows"] for route in routes.values())
    if not input_rows == routed == audit_rows:
        raise RuntimeError(
            f"row counts do not add up (input {input_rows:,}, routes {routed:,}, audit {audit_rows:,}); "
            "nothing was committed"
        )
    return {
        "govflow_version": __version__,
        "engine": "spark",
        "policy": meta["policy"],
        "policy_version": meta["policy_version"],
        "input": input_name,
        "input_rows": input_rows,
        "input_warnings": [],
        "on_error_reasons": on_error_reasons,
        "egress_gate_stopped": sum(n for r, n in on_error_reasons.items() if r.startswith(EGRESS_GATE)),
        "routes": routes,
        "audit": AUDIT,
        "audit_files": [f"{AUDIT}/{part}" for part in _parts(fs, staging, AUDIT)],
        "audit_rows": audit_rows,
    }


def _commit(fs: _FileSystem, staging: str, names: list[str], replaced: list[str], manifest: dict[str, Any]) -> None:
    """Old output aside (its manifest first), new output in, the manifest last, staging removed."""
    if replaced:
        fs.fs.delete(fs.path(MANIFEST), False)
        fs.fs.mkdirs(fs.path(staging, "replaced"))
        for name in replaced:
            fs.rename(fs.path(name), fs.path(staging, "replaced", name))
    for name in [*names, AUDIT]:
        fs.rename(fs.path(staging, name), fs.path(name))
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    fs.write_text(fs.path(staging, MANIFEST), text)
    fs.rename(fs.path(staging, MANIFEST), fs.path(MANIFEST), plain=True)
    fs.fs.delete(fs.path(staging), True)
