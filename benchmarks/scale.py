"""Scale benchmark: `govflow run` on a structured-only Parquet table of 1,000,000 and 5,000,000 rows.

    GOVFLOW_KEY=... PYTHONPATH=src python benchmarks/scale.py [--rows 1000000 5000000] [--json PATH]

Each size is generated into a temporary directory, then governed by ``python -m govflow run`` in a
subprocess; the figures are its wall time and its peak memory, polled every 0.5 s: the largest single
process's RSS, and the whole process tree's PSS. PSS is the honest tree figure: the forked workers share
the parent's pages (models, code) copy-on-write, and summed RSS counts each shared page once per process
(summed RSS is reported too, for comparison with older runs). Streaming means the peak must not grow with
the input: 5M rows must peak where 1M rows does.

How the data is made (no Faker, no tiled rows): every column is drawn with vectorised numpy in chunks of
100,000 rows and streamed to one Parquet file, so generating 5M rows needs a few hundred MB at most.
High-cardinality PII columns are mostly unique per row: e-mail addresses (name parts × a per-row number
× domains), phone numbers (country prefix + as many random subscriber digits as the country's mobile
numbers have; ~85% are valid numbers), IBANs (random German and British bank details with correct ISO
7064 check digits, computed digit-column by digit-column), US social security numbers (valid
area/group/serial ranges). Look-alike non-PII is as unique: order ids, SKUs, parcel tracking numbers,
timestamps, amounts, quantities. Country and status are low-cardinality.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK_ROWS = 100_000
_FIRST = np.array(["anna", "ben", "chloe", "david", "emma", "felix", "grace", "hugo", "isla", "jon", "kira", "liam"])
_LAST = np.array(["smith", "muller", "rossi", "garcia", "martin", "jones", "weber", "dubois", "kowalski", "silva"])
_DOMAINS = np.array(["example.com", "mail.de", "post.co.uk", "inbox.fr", "web.es", "corp.example.org"])
_COUNTRIES = np.array(["DE", "GB", "US", "FR", "ES", "IT"])
_PHONE_PREFIX = {"DE": "+49 15", "GB": "+44 7", "US": "+1 ", "FR": "+33 6", "ES": "+34 6", "IT": "+39 3"}
_STATUS = np.array(["paid", "shipped", "delivered", "returned", "cancelled"])
_ALNUM = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))

STRUCTURED_SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("customer_email", pa.string()),
        ("phone", pa.string()),
        ("iban", pa.string()),
        ("national_id", pa.string()),
        ("country", pa.string()),
        ("status", pa.string()),
        ("sku", pa.string()),
        ("tracking_number", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("amount", pa.float64()),
        ("quantity", pa.int64()),
    ]
)


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """n strings of `width` random decimal digits."""
    return np.char.zfill(rng.integers(0, 10**width, n).astype(str), width)


def _alnum(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    chars = _ALNUM[rng.integers(0, len(_ALNUM), (n, width))]
    return chars.view(f"<U{width}").reshape(n)


def _iban(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    """German (DE, 18-digit BBAN) and British (GB, bank code + 14 digits) IBANs with valid check digits."""
    n = len(countries)
    german = rng.random(n) < 0.6
    bban = np.where(german, _digits(rng, n, 18), np.char.add("NWBK", _digits(rng, n, 14)))
    country = np.where(german, "DE", "GB")
    # ISO 7064 mod 97-10 over BBAN + country letters as numbers + "00", one digit column at a time.
    numeric = np.char.add(np.char.add(bban, np.where(german, "1314", "1611")), "00")
    numeric = np.char.replace(numeric, "NWBK", "23321120")  # N=23 W=32 B=11 K=20
    width = int(np.char.str_len(numeric).max()) if n else 0
    numeric = np.char.rjust(numeric, width, "0")
    digit_matrix = numeric.view("<U1").reshape(n, -1).astype(np.int64)
    remainder = np.zeros(n, dtype=np.int64)
    for column in range(digit_matrix.shape[1]):
        remainder = (remainder * 10 + digit_matrix[:, column]) % 97
    check = np.char.zfill((98 - remainder).astype(str), 2)
    return np.char.add(np.char.add(country, check), bban)


def _ssn(rng: np.random.Generator, n: int) -> np.ndarray:
    area = rng.integers(1, 899, n)
    area = np.where(area == 666, 667, area)
    group = rng.integers(1, 100, n)
    serial = rng.integers(1, 10000, n)
    parts = [
        np.char.zfill(area.astype(str), 3),
        np.char.zfill(group.astype(str), 2),
        np.char.zfill(serial.astype(str), 4),
    ]
    return np.char.add(np.char.add(np.char.add(parts[0], "-"), np.char.add(parts[1], "-")), parts[2])


def _subscriber(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    """The digits after each country's `_PHONE_PREFIX`, as many as its mobile numbers have: 8 for France
    and Spain, 9 for the others, and for the US a 10-digit number with area code and exchange 200-999."""
    nine = _digits(rng, len(countries), 9)
    eight = np.char.zfill((nine.astype(np.int64) // 10).astype(str), 8)
    us = np.char.add(
        np.char.add(
            rng.integers(200, 1000, len(countries)).astype(str), rng.integers(200, 1000, len(countries)).astype(str)
        ),
        _digits(rng, len(countries), 4),
    )
    return np.where(countries == "US", us, np.where(np.isin(countries, ["FR", "ES"]), eight, nine))


def structured_chunk(rows: int, start: int, seed: int) -> pa.RecordBatch:
    """Rows `start` .. `start + rows` of the structured table (each chunk seeded from its position)."""
    rng = np.random.default_rng([seed, start])
    countries = _COUNTRIES[rng.integers(0, len(_COUNTRIES), rows)]
    row_ids = np.arange(start, start + rows)
    email = np.char.add(
        np.char.add(
            np.char.add(_FIRST[rng.integers(0, len(_FIRST), rows)], "."), _LAST[rng.integers(0, len(_LAST), rows)]
        ),
        np.char.add(
            rng.integers(1, 10**6, rows).astype(str), np.char.add("@", _DOMAINS[rng.integers(0, len(_DOMAINS), rows)])
        ),
    )
    prefix = np.vectorize(_PHONE_PREFIX.__getitem__, otypes=[object])(countries).astype(str)
    phone = np.char.add(prefix, _subscriber(rng, countries))
    created = np.datetime64("2024-01-01T00:00:00", "us") + rng.integers(0, 365 * 86_400, rows).astype("timedelta64[s]")
    columns = [
        np.char.add("ORD-", np.char.zfill(row_ids.astype(str), 10)),
        email,
        phone,
        _iban(rng, countries),
        _ssn(rng, rows),
        countries,
        _STATUS[rng.integers(0, len(_STATUS), rows)],
        np.char.add("SKU-", _alnum(rng, rows, 8)),
        np.char.add("1Z", _alnum(rng, rows, 16)),
        created,
        np.round(rng.gamma(2.0, 40.0, rows), 2),
        rng.integers(1, 10, rows),
    ]
    arrays = [pa.array(c, type=f.type) for c, f in zip(columns, STRUCTURED_SCHEMA, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=STRUCTURED_SCHEMA)


def structured_table(rows: int, seed: int = 0) -> pa.Table:
    """An in-memory structured table (for benchmarks that need it whole)."""
    chunks = [structured_chunk(min(CHUNK_ROWS, rows - s), s, seed) for s in range(0, rows, CHUNK_ROWS)]
    return pa.Table.from_batches(chunks, schema=STRUCTURED_SCHEMA)


def write_structured(path: Path, rows: int, seed: int = 0) -> None:
    """Stream `rows` generated rows into one Parquet file, one chunk in memory at a time."""
    with pq.ParquetWriter(path, STRUCTURED_SCHEMA) as writer:
        for start in range(0, rows, CHUNK_ROWS):
            writer.write_batch(structured_chunk(min(CHUNK_ROWS, rows - start), start, seed), row_group_size=CHUNK_ROWS)


def _tree_memory(process: psutil.Process) -> tuple[int, int, int]:
    """(summed RSS, summed PSS, largest RSS) of a process and its descendants."""
    rss = pss = largest = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            info = p.memory_full_info()
            rss, pss, largest = rss + info.rss, pss + info.pss, max(largest, info.rss)
    return rss, pss, largest


def run_govflow(input_path: Path, out_dir: Path, extra: Sequence[str] = ()) -> dict[str, Any]:
    """Wall time and peak memory (tree RSS and PSS, largest process RSS; polled) of `govflow run`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "govflow", "run", str(input_path), "--out", str(out_dir), "--overwrite", *extra]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = [0, 0, 0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            try:
                peak[:] = map(max, peak, _tree_memory(watched))
            except psutil.Error:
                return
            time.sleep(0.5)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    poller.join()
    if process.returncode != 0:
        raise RuntimeError(f"govflow run failed ({process.returncode}):\n{stderr[-2000:]}")
    return {
        "seconds": seconds,
        "peak_rss_tree_bytes": peak[0],
        "peak_pss_tree_bytes": peak[1],
        "peak_rss_largest_process_bytes": peak[2],
        # The kernel's high-water mark over every child this benchmark has waited for so far (all sizes).
        "max_child_maxrss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "stdout_tail": stdout[-500:],
    }


def main(argv: Sequence[str] | None = None) -> int:
    from common import environment, mib, print_environment, print_table, write_json

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, metavar="PATH")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate into DIR and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    env = environment()
    print_environment(env)
    figures: dict[str, Any] = {"environment": env, "runs": []}
    rows_out = []
    with tempfile.TemporaryDirectory(prefix="govflow-scale-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for rows in args.rows:
            data = root / f"structured-{rows}.parquet"
            generated = time.perf_counter()
            if not data.exists():
                write_structured(data, rows, args.seed)
            generated = time.perf_counter() - generated
            load = os.getloadavg()
            run = run_govflow(data, root / f"out-{rows}")
            figures["runs"].append({"rows": rows, "generate_s": generated, "load_avg": load, **run})
            rows_out.append(
                [
                    f"{rows:,}",
                    f"{run['seconds']:.1f}",
                    f"{rows / run['seconds']:,.0f}",
                    mib(run["peak_rss_largest_process_bytes"]),
                    mib(run["peak_pss_tree_bytes"]),
                    mib(run["peak_rss_tree_bytes"]),
                    f"{generated:.1f}",
                    f"{load[0]:.1f}",
                ]
            )
            (root / f"out-{rows}").exists() and subprocess.run(["rm", "-rf", str(root / f"out-{rows}")], check=False)
    print()
    headers = ["rows", "govflow run, s", "rows/s", "peak RSS (largest process)", "peak PSS (tree)", "peak RSS (tree)"]
    print_table([*headers, "generate, s", "load avg"], rows_out)
    if args.json:
        write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
