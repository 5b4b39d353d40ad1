"""What `govflow scan` found, as one data structure rendered three ways: text, JSON and a self-contained HTML page.

The HTML report is for data stewards: charts instead of tables of numbers. It is one file with inline CSS and
inline SVG (no script, font, stylesheet or image is fetched, and a Content-Security-Policy forbids it), holds
no date (the same input and policy give the same bytes) and no value from the data: only column names, entity
types, tags, rule ids, reasons and counts. Every string is HTML-escaped, since column names come from the data.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from govflow import __version__
from govflow.route.decide import ERROR_RULE

if TYPE_CHECKING:
    from govflow.detect.profile import LeafProfile
    from govflow.pipeline import Pipeline

Number = TypeVar("Number", int, float)

TOP_JURISDICTIONS = 12  # the rest are summed into one "other" bar
TOP_ITEMS = 10  # rules, regulations, reasons
TOP_COLUMN_ENTITIES = 4  # entity types shown per column (the rest are counted)
ZONE_COLOURS = {"sovereign": "#1d5fa6", "external": "#a8570a", "quarantine": "#b42318"}
# Low to high sensitivity; a policy's levels are spread over this ramp.
SENSITIVITY_RAMP = ["#3b7a28", "#1d5fa6", "#6b46b5", "#a8570a", "#b42318"]
BAR_COLOUR = "#3f51a3"
CHAR_WIDTH = 6.9  # average width of a 13px label character, to size the label column of a chart
LABEL_WIDTH = 240  # widest label column; longer labels are cut (the bar's tooltip has them whole)
LABEL_CHARS = round((LABEL_WIDTH - 16) / CHAR_WIDTH)


@dataclass(frozen=True)
class ColumnSummary:
    """One profiled column (leaf): what govflow will scan it for, and why."""

    column: str
    mode: str
    entity: str | None
    confidence: float
    entities: dict[str, float]  # entity type -> share of sampled values holding it
    why: str


@dataclass(frozen=True)
class ScanReport:
    """Counts and names only, never a value from the data, so every rendering is safe to share."""

    input: str
    rows_scanned: int
    policy_name: str
    policy_version: str
    columns: list[ColumnSummary]
    sensitivity: dict[str, int]  # every level of the policy, lowest first, zero counts included
    jurisdictions: dict[str, int]  # most common first; a record can have several
    regulations: dict[str, int]
    routes: dict[str, int]  # every destination, in policy order
    zones: dict[str, str]  # destination -> zone
    rules: dict[str, int]  # route rule id (or default / on_error) -> records it decided
    held_reasons: dict[str, int]  # why records went to quarantine or on_error
    special_category_records: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ranked(counts: Iterable[tuple[str, Number]]) -> dict[str, Number]:
    """Most common first, ties by name, so the report does not depend on input order."""
    return dict(sorted(counts, key=lambda kv: (-kv[1], kv[0])))


def _column_summary(leaf: LeafProfile) -> ColumnSummary:
    """The hinted entity, else the one most sampled values hold."""
    entities = _ranked((e, round(share, 4)) for e, share in leaf.sample_entities.items())
    return ColumnSummary(
        column=leaf.leaf,
        mode=leaf.mode,
        entity=leaf.entity or next(iter(entities), None),
        confidence=round(leaf.confidence, 3),
        entities=entities,
        why=leaf.reason,
    )


def scan_report(pipeline: Pipeline, head: pa.Table, input_name: str) -> ScanReport:
    """Profile and govern `head` in memory (nothing is written) and summarise what happened."""
    profile = pipeline.profile(head)
    result = pipeline.run(head, profile=profile)
    policy = pipeline.policy
    audit = result.audit.to_pydict()
    zones = {name: d.zone for name, d in policy.destinations.items()}
    sensitivity = Counter(audit["sensitivity"])
    held = Counter(
        reason or f"route rule {rule_id!r}"
        for reason, rule_id, zone in zip(audit["reason"], audit["rule_id"], audit["zone"], strict=True)
        if zone == "quarantine" or rule_id == ERROR_RULE
    )
    return ScanReport(
        input=input_name,
        rows_scanned=head.num_rows,
        policy_name=policy.name,
        policy_version=pipeline.policy_version,
        columns=[_column_summary(leaf) for leaf in profile.leaves.values()],
        sensitivity={level: sensitivity.get(level, 0) for level in policy.sensitivity.levels},
        jurisdictions=_ranked(Counter(j for js in audit["jurisdictions"] for j in js).items()),
        regulations=_ranked(Counter(r for rs in audit["regulations"] for r in rs).items()),
        routes=result.counts,
        zones=zones,
        rules=_ranked(Counter(audit["rule_id"]).items()),
        held_reasons=_ranked(held.items()),
        special_category_records=sum(1 for cats in audit["special_categories"] if cats),
    )


def render_text(report: ScanReport) -> str:
    """The terminal view: one line per column, one line per distribution."""
    lines = [f"govflow scan: {report.rows_scanned:,} rows of {report.input} (governed in memory, no data written)"]
    lines.append(f"  {'column':<24} {'mode':<10} {'entity':<18} {'conf':>5}  other entities in sample")
    for c in report.columns:
        others = ", ".join(f"{e} {s:.0%}" for e, s in c.entities.items() if e != c.entity)
        lines.append(f"  {c.column:<24} {c.mode:<10} {c.entity or '-':<18} {c.confidence:>5.2f}  {others}")
    for key in ("sensitivity", "jurisdictions", "routes", "rules", "held_reasons"):
        counts: dict[str, int] = getattr(report, key)
        lines.append(f"  {key}: " + (", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"))
    return "\n".join(lines)


# --- HTML -------------------------------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _share(count: int, total: int) -> str:
    return f"{count / total:.1%}" if total else "0.0%"


def _percent(share: float) -> str:
    """Whole percent, but a rare entity type never reads as 0%."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def _bar_chart(
    chart: str, title: str, note: str, items: list[tuple[str, int, str]], total: int, *, long_labels: bool = False
) -> str:
    """Horizontal bars with the label, count and share written next to each bar (readable without colour).

    `long_labels` puts each label above its bar, for sentences such as quarantine reasons.
    """
    if not items:
        return f'<p class="empty" data-chart="{_e(chart)}">None in this sample.</p>'
    width, value_width = 520, 118
    longest = max(len(label) for label, _, _ in items)
    label_width = 0 if long_labels else min(LABEL_WIDTH, max(64, round(CHAR_WIDTH * longest) + 16))
    row = 44 if long_labels else 26
    bar_x = label_width
    bar_span = width - label_width - value_width
    peak = max(count for _, count, _ in items) or 1
    desc = "; ".join(f"{label}: {count:,} ({_share(count, total)})" for label, count, _ in items)
    out = [
        f'<svg class="chart" data-chart="{_e(chart)}" role="img" viewBox="0 0 {width} {row * len(items) + 4}" '
        f'aria-labelledby="{chart}-t {chart}-d"><title id="{chart}-t">{_e(title)}</title>'
        f'<desc id="{chart}-d">{_e(note)} {_e(desc)}</desc>'
    ]
    for i, (label, count, colour) in enumerate(items):
        y = i * row + (20 if long_labels else 3)
        length = max(2.0, bar_span * count / peak) if count else 0.0
        tip = f"{label}: {count:,} of {total:,} ({_share(count, total)})"
        if long_labels:
            out.append(f'<text class="label" x="0" y="{y - 6}">{_e(_clip(label, 78))}</text>')
        else:
            out.append(
                f'<text class="label" x="{label_width - 8}" y="{y + 14}" text-anchor="end">'
                f"{_e(_clip(label, LABEL_CHARS))}</text>"
            )
        out.append(
            f'<rect class="bar" x="{bar_x}" y="{y}" width="{length:.1f}" height="18" rx="3" fill="{colour}">'
            f"<title>{_e(tip)}</title></rect>"
        )
        out.append(
            f'<text class="value" x="{bar_x + length + 6:.1f}" y="{y + 14}">{count:,} · {_share(count, total)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _route_strip(report: ScanReport) -> str:
    """One 100% bar split by route, coloured by zone: where the scanned records would go."""
    total = report.rows_scanned
    width, x, least = 1000.0, 0.0, 6.0
    # A route with a single record still gets a visible sliver; the others give up the difference.
    raw = {r: width * n / total for r, n in report.routes.items() if n} if total else {}
    spans = {r: max(least, s) for r, s in raw.items()}
    scale = (width - sum(s for s in spans.values() if s == least)) / (sum(s for s in spans.values() if s > least) or 1)
    spans = {r: s if s == least else s * scale for r, s in spans.items()}
    parts = [
        f'<svg class="chart strip" data-chart="route-share" role="img" viewBox="0 0 {width:.0f} 44" '
        'aria-labelledby="route-share-t"><title id="route-share-t">Share of records per route: '
        + _e(", ".join(f"{r} {_share(n, total)}" for r, n in report.routes.items()))
        + "</title>"
    ]
    for route, span in spans.items():
        count = report.routes[route]
        zone = report.zones.get(route, "quarantine")
        parts.append(
            f'<rect class="segment" x="{x:.1f}" y="0" width="{span:.1f}" height="44" fill="{ZONE_COLOURS[zone]}">'
            f"<title>{_e(route)} ({_e(zone)}): {count:,} records, {_share(count, total)}</title></rect>"
        )
        if span > 150:
            parts.append(
                f'<text class="inbar" x="{x + 10:.1f}" y="28">{_e(_clip(route, int(span // 9) - 8))} '
                f"{_share(count, total)}</text>"
            )
        x += span
    parts.append("</svg>")
    return "".join(parts)


def _confidence_bar(entity: str, share: float, main: bool) -> str:
    width = 120
    fill = BAR_COLOUR if main else "#8a94c7"
    return (
        f'<div class="ent"><span class="ent-name{" main" if main else ""}">{_e(entity)}</span>'
        f'<svg class="conf" role="img" viewBox="0 0 {width} 10" width="{width}" height="10">'
        f"<title>{_e(entity)}: {_e(_percent(share))}</title>"
        f'<rect x="0" y="0" width="{width}" height="10" rx="2" fill="#e6e8f0"/>'
        f'<rect class="confbar" x="0" y="0" width="{max(1.0, width * share):.1f}" height="10" rx="2" fill="{fill}"/>'
        f'</svg><span class="pct">{_e(_percent(share))}</span></div>'
    )


def _column_rows(report: ScanReport) -> str:
    rows = []
    for c in report.columns:
        shown: list[tuple[str, float]] = []
        if c.entity:
            shown.append((c.entity, c.confidence))
        shown += [(e, s) for e, s in c.entities.items() if e != c.entity]
        top, rest = shown[:TOP_COLUMN_ENTITIES], shown[TOP_COLUMN_ENTITIES:]
        cells = "".join(_confidence_bar(e, s, i == 0 and c.entity is not None) for i, (e, s) in enumerate(top))
        if rest:
            listed = ", ".join(f"{e} {_percent(s)}" for e, s in rest)
            cells += f'<div class="more" title="{_e(listed)}">+ {len(rest)} more entity types</div>'
        mode = "free text (NER)" if c.mode == "text" else "structured"
        rows.append(
            f'<tr><th scope="row" class="col">{_e(c.column)}</th>'
            f'<td><span class="mode mode-{_e(c.mode)}">{_e(mode)}</span></td>'
            f"<td>{cells or '<span class=muted>no personal data found</span>'}</td>"
            f'<td class="why">{_e(c.why)}</td></tr>'
        )
    return "".join(rows)


def _level_colour(index: int, levels: int) -> str:
    return SENSITIVITY_RAMP[round(index * (len(SENSITIVITY_RAMP) - 1) / max(levels - 1, 1))]


def _top(counts: dict[str, int], n: int, what: str) -> list[tuple[str, int]]:
    items = list(counts.items())
    if len(items) <= n:
        return items
    rest = items[n - 1 :]
    return [*items[: n - 1], (f"other ({len(rest)} {what})", sum(v for _, v in rest))]


def _records(n: int) -> str:
    return f"{n:,} record" if n == 1 else f"{n:,} records"


def _legend_item(route: str, zone: str, count: int, total: int) -> str:
    zone_note = "" if route == zone else f' <span class="muted">({_e(zone)} zone)</span>'
    return (
        f'<li><span class="sw" style="background:{ZONE_COLOURS[zone]}"></span><b>{_e(route)}</b>{zone_note} '
        f"{_records(count)} · {_share(count, total)}</li>"
    )


def _card(value: str, label: str, colour: str | None = None) -> str:
    style = f' style="border-top-color:{colour}"' if colour else ""
    return f'<div class="card"{style}><div class="num">{_e(value)}</div><div class="lbl">{_e(label)}</div></div>'


def render_html(report: ScanReport) -> str:
    """The whole report as one HTML document (deterministic, offline, escaped)."""
    total = report.rows_scanned
    pii_columns = sum(1 for c in report.columns if c.entity)
    zone_totals: Counter[str] = Counter()
    for route, count in report.routes.items():
        zone_totals[report.zones.get(route, "quarantine")] += count
    cards = [
        _card(f"{total:,}", "records scanned"),
        _card(f"{pii_columns} of {len(report.columns)}", "columns hold personal data"),
        *(
            _card(_share(zone_totals[z], total), f"{z} ({_records(zone_totals[z])})", ZONE_COLOURS[z])
            for z in ("sovereign", "external", "quarantine")
        ),
        _card(f"{report.special_category_records:,}", "records with special-category data"),
    ]
    legend = "".join(_legend_item(r, report.zones.get(r, "quarantine"), n, total) for r, n in report.routes.items())
    levels = list(report.sensitivity)
    charts = {
        "routes": _bar_chart(
            "routes",
            "Records per route",
            "Bars are coloured by the zone of the destination.",
            [(r, n, ZONE_COLOURS[report.zones.get(r, "quarantine")]) for r, n in report.routes.items()],
            total,
        ),
        "sensitivity": _bar_chart(
            "sensitivity",
            "Records per sensitivity level",
            "Lowest level first.",
            [(lv, report.sensitivity[lv], _level_colour(i, len(levels))) for i, lv in enumerate(levels)],
            total,
        ),
        "jurisdictions": _bar_chart(
            "jurisdictions",
            "Records per jurisdiction",
            "A record can belong to several jurisdictions.",
            [(j, n, BAR_COLOUR) for j, n in _top(report.jurisdictions, TOP_JURISDICTIONS, "jurisdictions")],
            total,
        ),
        "regulations": _bar_chart(
            "regulations",
            "Records per regulation",
            "A record can fall under several regulations.",
            [(r, n, BAR_COLOUR) for r, n in _top(report.regulations, TOP_ITEMS, "regulations")],
            total,
        ),
        "rules": _bar_chart(
            "rules",
            "Route rules matched",
            "The first matching rule decides a record's route.",
            [(r, n, BAR_COLOUR) for r, n in _top(report.rules, TOP_ITEMS, "rules")],
            total,
        ),
        "reasons": _bar_chart(
            "reasons",
            "Why records were held back",
            "Records routed to quarantine or on_error, by reason.",
            [(r, n, ZONE_COLOURS["quarantine"]) for r, n in _top(report.held_reasons, TOP_ITEMS, "reasons")],
            total,
            long_labels=True,
        ),
    }
    title = f"govflow scan report: {report.input}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="govflow {_e(__version__)}">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<p class="kicker">govflow scan report</p>
<h1>{_e(report.input)}</h1>
<p class="meta">{total:,} records scanned with policy <b>{_e(report.policy_name)}</b>
 version <code title="{_e(report.policy_version)}">{_e(report.policy_version[:12])}</code>.
 No data was written: this report holds names and counts only, no value from the data.</p>
</header>
<main>
<section class="cards" aria-label="Summary">{"".join(cards)}</section>
<section id="routes">
<h2>Where the records would go</h2>
{_route_strip(report)}
<ul class="legend">{legend}</ul>
</section>
<section id="columns">
<h2>What each column holds</h2>
<p class="note">Entity types found in a sample of each column, with the share of sampled values holding them.
A column name hint makes govflow treat every value as that type (100%).</p>
<table>
<thead><tr><th scope="col">Column</th><th scope="col">Scanned as</th>
<th scope="col">Entity types and confidence</th><th scope="col">Why</th></tr></thead>
<tbody>{_column_rows(report)}</tbody>
</table>
</section>
<div class="grid">
<section id="sensitivity"><h2>Sensitivity</h2>{charts["sensitivity"]}</section>
<section id="route-bars"><h2>Records per route</h2>{charts["routes"]}</section>
<section id="rules"><h2>Route rules matched</h2>{charts["rules"]}</section>
<section id="reasons"><h2>Why records were held back</h2>{charts["reasons"]}</section>
<section id="jurisdictions"><h2>Jurisdictions</h2>{charts["jurisdictions"]}</section>
<section id="regulations"><h2>Regulations</h2>{charts["regulations"]}</section>
</div>
</main>
<footer>govflow {_e(__version__)} · policy {_e(report.policy_name)} {_e(report.policy_version)}</footer>
</body>
</html>
"""


_CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d8dee4; --panel: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 15px/1.45 "Liberation Sans", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
header, main, footer { max-width: 1160px; margin: 0 auto; padding: 0 28px; }
header { padding-top: 26px; padding-bottom: 6px; }
.kicker { margin: 0; font-size: 13px; font-weight: 700; letter-spacing: .08em; text-transform: uppercase;
  color: #3f51a3; }
h1 { margin: 4px 0 6px; font-size: 26px; overflow-wrap: anywhere; }
h2 { margin: 0 0 10px; font-size: 17px; }
.meta, .note, .muted { color: var(--muted); }
.meta { margin: 0; }
code { font: 13px "DejaVu Sans Mono", "Liberation Mono", monospace; background: var(--panel); padding: 1px 4px;
  border-radius: 4px; }
section { margin: 18px 0; padding: 16px 18px; border: 1px solid var(--line); border-radius: 8px;
  break-inside: avoid; }
.cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; border: 0; padding: 0; }
.card { border: 1px solid var(--line); border-top: 4px solid #3f51a3; border-radius: 8px; padding: 10px 12px; }
.card .num { font-size: 24px; font-weight: 700; }
.card .lbl { color: var(--muted); font-size: 13px; }
.chart { display: block; width: 100%; height: auto; }
.chart text { font: 13px "Liberation Sans", Arial, "DejaVu Sans", sans-serif; fill: var(--ink); }
.chart text.inbar { fill: #fff; font-weight: 700; font-size: 16px; }
.strip { border-radius: 6px; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 8px 26px; margin: 10px 0 0; padding: 0; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
  vertical-align: -1px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-top: 1px solid var(--line); }
thead th { border-top: 0; color: var(--muted); font-weight: 600; font-size: 13px; }
th.col { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; font-weight: 600;
  overflow-wrap: anywhere; max-width: 220px; }
td.why { color: var(--muted); overflow-wrap: anywhere; }
.mode { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eef0f8;
  white-space: nowrap; }
.mode-text { background: #fff1de; color: #7a3e00; }
.ent { display: flex; align-items: center; gap: 8px; line-height: 20px; }
.ent-name { width: 150px; font-size: 13px; overflow-wrap: anywhere; }
.ent-name.main { font-weight: 700; }
.pct { font-size: 12px; color: var(--muted); width: 40px; }
.more { font-size: 12px; color: var(--muted); }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; margin: 18px 0; }
.grid section { margin: 0; }
.empty { color: var(--muted); margin: 0; }
footer { color: var(--muted); font-size: 12px; padding-bottom: 24px; overflow-wrap: anywhere; }
@media (max-width: 900px) {
  .cards { grid-template-columns: repeat(2, 1fr); }
  .grid { display: block; }
  .grid section { margin: 18px 0; }
}
@media print {
  body { font-size: 12px; }
  header, main, footer { max-width: none; padding: 0; }
  .cards { grid-template-columns: repeat(3, 1fr); }
  section { page-break-inside: avoid; }
}
@page { margin: 14mm; }
"""
