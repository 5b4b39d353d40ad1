"""`govflow scan --report`: the HTML report holds no data values, escapes every name, needs no network,
and renders in a real headless Chromium (Debian's `chromium` package) into a non-blank page."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import govflow
from conftest import run_cli
from govflow.datagen import GroundTruth, generate_customers
from govflow.report import (
    TOP_ITEMS,
    TOP_JURISDICTIONS,
    ZONE_COLOURS,
    ScanReport,
    render_html,
    render_text,
    scan_report,
)

ROWS = 300
SCRIPT_COLUMN = "<script>alert(1)</script>"
QUOTE_COLUMN = '" onmouseover="alert(2)'
HOSTILE_INPUT = "customers <b>&amp;</b>.parquet"
WINDOW = (1280, 2000)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def customers() -> tuple[pa.Table, GroundTruth]:
    table, truth = generate_customers(ROWS, seed=11)
    # Hostile column names (names come from the data), holding real PII so they show up with entity types.
    table = table.append_column(SCRIPT_COLUMN, table.column("email"))
    return table.append_column(QUOTE_COLUMN, table.column("phone")), truth


@pytest.fixture(scope="module")
def report(default_pipeline: govflow.Pipeline, customers: tuple[pa.Table, GroundTruth]) -> ScanReport:
    return scan_report(default_pipeline, customers[0], HOSTILE_INPUT)


@pytest.fixture(scope="module")
def page(report: ScanReport) -> str:
    return render_html(report)


def _bars(markup: str) -> int:
    return len(re.findall(r'<rect class="bar"', markup))


def _expected_bars(report: ScanReport) -> int:
    return (
        len(report.routes)
        + len(report.sensitivity)
        + min(len(report.jurisdictions), TOP_JURISDICTIONS)
        + sum(min(len(counts), TOP_ITEMS) for counts in (report.regulations, report.rules, report.held_reasons))
    )


def test_report_holds_no_value_from_the_data(customers: tuple[pa.Table, GroundTruth], page: str) -> None:
    table, truth = customers
    lowered = page.lower()
    pii = {v for row in range(ROWS) for v in truth.pii_values(table, row) if len(v) >= 4}
    cells = {
        v
        for column in table.columns
        if pa.types.is_string(column.type)
        for v in column.to_pylist()
        if v is not None and len(v) >= 4
    }
    assert len(pii) > 1000 and len(cells) > 3000  # the check below has something to find
    found = sorted(v for v in pii | cells if v.lower() in lowered or html.escape(v).lower() in lowered)
    assert found == [], f"{len(found)} data values in the report"


def test_every_name_is_escaped(report: ScanReport, page: str) -> None:
    assert {SCRIPT_COLUMN, QUOTE_COLUMN} <= {c.column for c in report.columns}  # they were profiled and shown
    assert "<script" not in page.lower()
    assert 'onmouseover="' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot; onmouseover=&quot;alert(2)" in page
    assert "customers &lt;b&gt;&amp;amp;&lt;/b&gt;.parquet" in page and "<b>&amp;</b>" not in page


def test_report_is_self_contained_and_deterministic(
    report: ScanReport, page: str, default_pipeline: govflow.Pipeline, customers: tuple[pa.Table, GroundTruth]
) -> None:
    """Nothing to fetch: no URL, no attribute or CSS that loads anything, and a CSP that forbids it anyway."""
    for needle in ("http:", "https:", "//", "src=", "href=", "url(", "@import", "<link", "<img", "<iframe"):
        assert needle not in page.lower(), needle
    assert "Content-Security-Policy\" content=\"default-src 'none'" in page
    assert render_html(scan_report(default_pipeline, customers[0], HOSTILE_INPUT)) == page  # a second scan
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", page)  # no date: the same scan gives the same bytes


def test_report_counts_match_the_run(report: ScanReport, page: str, default_pipeline: govflow.Pipeline) -> None:
    policy = default_pipeline.policy
    assert report.rows_scanned == ROWS
    assert list(report.sensitivity) == policy.sensitivity.levels
    for counts in (report.sensitivity, report.routes, report.rules):
        assert sum(counts.values()) == ROWS
    assert list(report.routes) == list(policy.destinations)
    assert report.jurisdictions and all(n > 0 for n in report.jurisdictions.values())
    assert report.policy_version == default_pipeline.policy_version and report.policy_version[:12] in page
    assert _bars(page) == _expected_bars(report)
    assert f"{ROWS:,} records scanned" in page
    for route, count in report.routes.items():
        assert f"{route}: {count:,} of {ROWS:,}" in page  # every bar is labelled in text, not by colour only
    text = render_text(report)
    assert f"{ROWS:,} rows of {HOSTILE_INPUT}" in text and "EMAIL_ADDRESS" in text
    assert json.loads(json.dumps(report.to_dict()))["routes"] == report.routes


def test_held_reasons_are_charted_escaped_and_cut_to_the_top(report: ScanReport) -> None:
    reasons = {f"<i>reason {i}</i> in 'notes'": 20 - i for i in range(TOP_ITEMS + 3)}
    page = render_html(dataclasses.replace(report, held_reasons=reasons))
    assert "&lt;i&gt;reason 0&lt;/i&gt; in &#x27;notes&#x27;" in page and "<i>" not in page
    assert "other (4 reasons)" in page
    chart = page.split('data-chart="reasons"')[1].split("</svg>")[0]
    assert _bars(chart) == TOP_ITEMS
    empty = render_html(dataclasses.replace(report, held_reasons={}))
    assert 'data-chart="reasons">None in this sample.' in empty


def test_cli_writes_the_report_and_keeps_json_on_stdout(tmp_path: Path) -> None:
    table, _ = generate_customers(120, seed=3)
    data = tmp_path / "customers.parquet"
    pq.write_table(table, data)
    out = tmp_path / "report.html"
    proc = run_cli("scan", str(data), "--format", "json", "--report", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows_scanned"] == 120
    assert f"report -> {out}" in proc.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    missing = run_cli("scan", str(data), "--report", str(tmp_path / "no" / "such" / "r.html"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


# --- headless Chromium ----------------------------------------------------------------------------------------


def _require_chromium() -> str:
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("GOVFLOW_REQUIRE_CHROMIUM") == "1":
        pytest.fail("GOVFLOW_REQUIRE_CHROMIUM=1 but no chromium on PATH (Debian: apt-get install chromium)")
    pytest.skip(
        "chromium is not installed (Debian: apt-get install chromium); GOVFLOW_REQUIRE_CHROMIUM=1 forbids skipping"
    )


def _chromium(page: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on a file:// page, with name resolution disabled and a net log of every request."""
    command = [
        _require_chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={work / 'profile'}",
        f"--log-net-log={work / 'netlog.json'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *args,
        page.as_uri(),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=work)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page asked for. Chromium's own background requests carry no origin; the page's do ("null")."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start and "url" in e.get("params", {}) and e["params"].get("initiator") != "not an origin"
    ]


def _png_rgb(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB(A) PNG without a dependency (Chromium uses all five row filters)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IHDR":
            header = data[pos + 8 : pos + 8 + length]
        elif kind == b"IDAT":
            idat.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, line = int(raw[y, 0]), raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:
            row = (np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint32) % 256).astype(np.uint8).ravel()
        elif kind == 2:
            row = line + prev
        else:  # average or Paeth: depend on the pixel just decoded
            built, f, p = bytearray(stride), line.tobytes(), prev.tobytes()
            for i in range(stride):
                a = built[i - bpp] if i >= bpp else 0
                b = p[i]
                if kind == 3:
                    built[i] = (f[i] + ((a + b) >> 1)) & 255
                else:
                    c = p[i - bpp] if i >= bpp else 0
                    pa_, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    built[i] = (f[i] + (a if pa_ <= pb and pa_ <= pc else b if pb <= pc else c)) & 255
            row = np.frombuffer(bytes(built), np.uint8)
        out[y] = row
        prev = out[y]
    return out.reshape(height, width, bpp)[:, :, :3]


def _pixels_of(image: np.ndarray, hex_colour: str) -> int:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], np.uint8)
    return int((image == rgb).all(axis=2).sum())


def test_report_renders_in_headless_chromium(report: ScanReport, page: str, tmp_path: Path) -> None:
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    _chromium(html_file, tmp_path, f"--screenshot={shot}")
    assert _page_requests(tmp_path / "netlog.json") == []

    image = _png_rgb(shot.read_bytes())
    assert image.shape == (WINDOW[1], WINDOW[0], 3)
    inked = float((image < 250).any(axis=2).mean())
    assert 0.03 < inked < 0.6, f"{inked:.1%} of the page is not white"
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 100  # text, antialiasing, charts
    zones = set(report.zones.values())
    for zone in zones:
        if sum(n for r, n in report.routes.items() if report.zones[r] == zone):
            assert _pixels_of(image, ZONE_COLOURS[zone]) > 200, f"no {zone} bar drawn"

    dom = _chromium(html_file, tmp_path, "--dump-dom").stdout
    assert _bars(dom) == _expected_bars(report)  # Chromium parsed every chart bar
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # the hostile column name is text, not an element


def test_net_log_check_catches_a_page_that_fetches(tmp_path: Path) -> None:
    """The no-request assertion above can fail: a page that loads an image and a stylesheet is caught."""
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><p>control</p><img src="http://198.51.100.7/pixel.png">'
        '<link rel="stylesheet" href="https://fonts.example.invalid/a.css">',
        encoding="utf-8",
    )
    _chromium(control, tmp_path, f"--screenshot={tmp_path / 'control.png'}")
    assert sorted(_page_requests(tmp_path / "netlog.json")) == [
        "http://198.51.100.7/pixel.png",
        "https://fonts.example.invalid/a.css",
    ]
