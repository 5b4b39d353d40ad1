"""`govflow diff`: what a policy change does to real records, before it ships.

Both policies govern the same sample with the real pipeline; every record is compared on its route,
rule, sensitivity, jurisdiction and regulation tags and each output cell. The report counts changes and
names example records by index only: the sample is personal data, and a diff is meant for review
threads and CI logs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from govflow.detect.profile import TableProfile
from govflow.policy.models import Policy
from govflow.steward.govern import govern_pieces

if TYPE_CHECKING:
    from govflow.pipeline import Pipeline

EXAMPLES = 5


@dataclass(frozen=True)
class Side:
    """One policy's run over the sample."""

    label: str  # what the steward passed (a path)
    pipeline: Pipeline


def _column_entities(profile: TableProfile) -> dict[str, set[str]]:
    """Entity types each top-level column holds, by its profile (hint and sample)."""
    out: dict[str, set[str]] = defaultdict(set)
    for leaf in profile.leaves.values():
        if leaf.entity:
            out[leaf.column].add(leaf.entity)
        out[leaf.column].update(leaf.sample_entities)
    return out


def _operator(policy: Policy, destination: str, entity: str) -> str:
    """How a destination masks an entity type: `operator {params}`, or `kept` when it does not mask."""
    profile_name = policy.destinations[destination].masking
    if profile_name is None:
        return "kept"
    profile = policy.masking[profile_name]
    spec = profile.entities.get(entity, profile.default)
    params = " " + ",".join(f"{k}={v}" for k, v in sorted(spec.params.items())) if spec.params else ""
    return f"{spec.operator}{params}"


def _tag_changes(old: list[list[str]], new: list[list[str]]) -> dict[str, dict[str, Any]]:
    added: dict[str, list[int]] = defaultdict(list)
    removed: dict[str, list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(zip(old, new, strict=True)):
        for tag in set(b) - set(a):
            added[tag].append(i)
        for tag in set(a) - set(b):
            removed[tag].append(i)
    out = {}
    for sign, table in (("+", added), ("-", removed)):
        for tag, rows in sorted(table.items()):
            out[f"{sign}{tag}"] = {"records": len(rows), "examples": rows[:EXAMPLES]}
    return out


def diff_sample(
    old: Side, new: Side, schema: pa.Schema, pieces: list[tuple[pa.RecordBatch, pa.Array | None]], sample: str
) -> dict[str, Any]:
    """The diff of two policies over one sample, as plain data (what `--format json` prints)."""
    runs = [govern_pieces(side.pipeline, schema, pieces) for side in (old, new)]
    results = [result for result, _ in runs]
    audits = [r.audit.to_pylist() for r in results]
    n = len(audits[0])
    columns = schema.names
    outputs = [[r.table.column(c).to_pylist() for c in columns] for r in results]
    entities = [_column_entities(profile) for _, profile in runs]
    policies = [side.pipeline.policy for side in (old, new)]

    routes: Counter[tuple[str, str]] = Counter()
    route_examples: dict[tuple[str, str], list[int]] = defaultdict(list)
    route_rules: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    rules: Counter[tuple[str, str]] = Counter()
    sensitivity: Counter[tuple[str, str]] = Counter()
    sensitivity_examples: dict[tuple[str, str], list[int]] = defaultdict(list)
    changed_records: set[int] = set()
    for i, (a, b) in enumerate(zip(*audits, strict=True)):
        pair = (a["route"], b["route"])
        routes[pair] += 1
        if a["route"] != b["route"]:
            route_rules[pair][(a["rule_id"], b["rule_id"])] += 1
            if len(route_examples[pair]) < EXAMPLES:
                route_examples[pair].append(i)
        if a["rule_id"] != b["rule_id"]:
            rules[(a["rule_id"], b["rule_id"])] += 1
        if a["sensitivity"] != b["sensitivity"]:
            key = (a["sensitivity"], b["sensitivity"])
            sensitivity[key] += 1
            if len(sensitivity_examples[key]) < EXAMPLES:
                sensitivity_examples[key].append(i)
        fields = ("route", "rule_id", "sensitivity", "jurisdictions", "regulations", "entities")
        if any(a[f] != b[f] for f in fields):
            changed_records.add(i)

    masking = []
    for c, column in enumerate(columns):
        old_cells, new_cells = outputs[0][c], outputs[1][c]
        cells = [i for i in range(n) if old_cells[i] != new_cells[i]]
        changed_records.update(cells)
        operators: Counter[tuple[str, str, str]] = Counter()
        for i in range(n):
            a, b = audits[0][i], audits[1][i]
            if column not in a["masked_columns"] and column not in b["masked_columns"]:
                continue
            # the record's entity types that this column can hold (per-cell findings are not in the audit)
            held = (entities[0][column] & set(a["entities"])) | (entities[1][column] & set(b["entities"]))
            for entity in sorted(held):
                before = f"{_operator(policies[0], a['route'], entity)} ({a['route']})"
                after = f"{_operator(policies[1], b['route'], entity)} ({b['route']})"
                if before.split(" (")[0] != after.split(" (")[0]:
                    operators[(entity, before, after)] += 1
        masked_before = sum(column in a["masked_columns"] for a in audits[0])
        masked_after = sum(column in b["masked_columns"] for b in audits[1])
        if cells or operators or masked_before != masked_after:
            masking.append(
                {
                    "column": column,
                    "cells_changed": len(cells),
                    "examples": cells[:EXAMPLES],
                    "masked_records": {"old": masked_before, "new": masked_after},
                    "operator_changes": [
                        {"entity": e, "old": o, "new": w, "records": k} for (e, o, w), k in sorted(operators.items())
                    ],
                }
            )

    destinations = list(dict.fromkeys([*policies[0].destinations, *policies[1].destinations]))
    return {
        "sample": sample,
        "records": n,
        "old": {"rules": old.label, "policy": policies[0].name, "policy_version": old.pipeline.policy_version},
        "new": {"rules": new.label, "policy": policies[1].name, "policy_version": new.pipeline.policy_version},
        "destinations": destinations,
        "routes": [{"old": o, "new": w, "records": k} for (o, w), k in sorted(routes.items())],
        "route_changes": [
            {
                "old": o,
                "new": w,
                "records": routes[(o, w)],
                "rules": [{"old": ro, "new": rn, "records": k} for (ro, rn), k in sorted(route_rules[(o, w)].items())],
                "examples": route_examples[(o, w)],
            }
            for (o, w) in sorted(route_examples)
        ],
        "rule_changes": [{"old": o, "new": w, "records": k} for (o, w), k in sorted(rules.items())],
        "sensitivity_changes": [
            {"old": o, "new": w, "records": k, "examples": sensitivity_examples[(o, w)]}
            for (o, w), k in sorted(sensitivity.items())
        ],
        "jurisdiction_changes": _tag_changes(
            [a["jurisdictions"] for a in audits[0]], [b["jurisdictions"] for b in audits[1]]
        ),
        "regulation_changes": _tag_changes(
            [a["regulations"] for a in audits[0]], [b["regulations"] for b in audits[1]]
        ),
        "masking_changes": masking,
        "records_changed": len(changed_records),
    }


def render(report: dict[str, Any]) -> str:
    """The diff as a reviewer reads it."""
    n = report["records"]
    out = [f"govflow diff: {n:,} records of {report['sample']}"]
    for side in ("old", "new"):
        s = report[side]
        out.append(f"  {side}: {s['rules']}  policy {s['policy']!r} version {s['policy_version'][:12]}")
    if report["old"]["policy_version"] == report["new"]["policy_version"]:
        out.append("  (the two policies are the same, once normalised)")
    names = report["destinations"]
    counts = {(r["old"], r["new"]): r["records"] for r in report["routes"]}
    width = max(12, *(len(d) + 2 for d in names))
    out.append("routes (rows: old, columns: new):")
    out.append("  " + " " * width + "".join(f"{d:>{width}}" for d in names))
    for o in names:
        out.append(f"  {o:<{width}}" + "".join(f"{counts.get((o, w), 0):>{width},}" for w in names))
    out.append("route changes:" + ("" if report["route_changes"] else " none"))
    for c in report["route_changes"]:
        rules = ", ".join(f"{r['old']} -> {r['new']} ({r['records']:,})" for r in c["rules"])
        examples = ", ".join(str(i) for i in c["examples"])
        out.append(f"  {c['old']} -> {c['new']}: {c['records']:,} records (rule {rules}); e.g. records {examples}")
    other_rules = [
        r
        for r in report["rule_changes"]
        if not any(r["old"] == x["old"] and r["new"] == x["new"] for c in report["route_changes"] for x in c["rules"])
    ]
    for r in other_rules:
        out.append(f"  same route, rule {r['old']} -> {r['new']}: {r['records']:,} records")
    out.append("sensitivity changes:" + ("" if report["sensitivity_changes"] else " none"))
    for s in report["sensitivity_changes"]:
        examples = ", ".join(str(i) for i in s["examples"])
        out.append(f"  {s['old']} -> {s['new']}: {s['records']:,} records; e.g. records {examples}")
    for key, title in (("jurisdiction_changes", "jurisdiction tags"), ("regulation_changes", "regulation tags")):
        changes = report[key]
        out.append(f"{title}:" + ("" if changes else " none"))
        for tag, c in changes.items():
            examples = ", ".join(str(i) for i in c["examples"])
            out.append(f"  {tag} on {c['records']:,} records; e.g. records {examples}")
    out.append("masking changes:" + ("" if report["masking_changes"] else " none"))
    for m in report["masking_changes"]:
        masked = m["masked_records"]
        out.append(
            f"  {m['column']}: {m['cells_changed']:,} output cells differ; masked in {masked['old']:,} -> "
            f"{masked['new']:,} records"
            + (f"; e.g. records {', '.join(map(str, m['examples']))}" if m["examples"] else "")
        )
        for op in m["operator_changes"]:
            out.append(f"    {op['entity']}: {op['old']} -> {op['new']} ({op['records']:,} records)")
    changed = report["records_changed"]
    share = f" ({changed / n:.1%})" if n else ""
    out.append(f"{changed:,} of {n:,} records change{share}" if changed else f"no changes on {n:,} records")
    return "\n".join(out)
