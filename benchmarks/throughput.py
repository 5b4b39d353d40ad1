"""Throughput: govflow against Presidio's batch engines on a mixed table and a structured-only table.

    GOVFLOW_KEY=... PYTHONPATH=src python benchmarks/throughput.py [--rows 10000] [--structured-rows 20000]
        [--repeats 3] [--presidio-rows 300] [--json PATH]

Mixed: the multi-country customer table (19 columns, free-text ``notes``) from ``govflow.datagen``.
Structured: the 12-column table of ``benchmarks/scale.py`` (no free text). Both tools are timed in the
same process, interleaved, median of ``--repeats`` runs after a warm-up (govflow both with its default
worker processes, one per core, and in one process); Presidio gets the first
``--presidio-rows`` rows (it is slow), so rows per second are compared. govflow's released rows are
checked for raw PII with ``datagen.count_leaks`` (the run fails if any leaks).

The free-text part is measured on its own: govflow's text scan over the unique notes against bare spaCy
NER (``nlp.pipe`` with only tok2vec + ner) over the same texts. The name check that lets texts skip NER,
and NER read only the sentences that may hold a name (with the words around them its model looks at), is
audited on every run against the generator's ground truth: a true person outside those sentences (or in
a skipped note) counts as a recall miss (there must be none); skipped notes where full NER tags a person
or place anyway are its false positives, which skipping removes, and are printed too.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

import govflow
from common import (
    PRESIDIO_MODEL,
    PresidioBaseline,
    environment,
    measure_memory,
    mib,
    print_environment,
    print_table,
    released_externally,
    text_columns,
    time_interleaved,
    timed,
    write_json,
)
from govflow.datagen import count_leaks, generate_customers
from govflow.detect.stack import NLP_BATCH_TEXTS
from govflow.parallel import worker_count
from scale import structured_table

PLACE_OR_PERSON = {"PERSON", "GPE", "LOC", "FAC"}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="mixed-table rows (default 10000)")
    parser.add_argument("--structured-rows", type=int, default=20_000, help="structured-table rows (default 20000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--presidio-rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, metavar="PATH")
    return parser.parse_args(argv)


def compare(name: str, table: pa.Table, presidio: PresidioBaseline, args: argparse.Namespace) -> dict[str, Any]:
    """govflow vs Presidio on one table: medians, rates, ratio, peak memory, and govflow's result."""
    subset = text_columns(table.slice(0, min(args.presidio_rows, table.num_rows)))
    pipe = govflow.Pipeline.default()
    with measure_memory() as memory:
        first_s, _ = timed(lambda: pipe.run(table))
    timings, last = time_interleaved(
        {
            "govflow": lambda: pipe.run(table),
            "govflow_one_process": lambda: pipe.run(table, workers=1),
            "presidio": lambda: presidio.run(subset),
        },
        args.repeats,
    )
    gov_rate = timings["govflow"].rate(table.num_rows)
    one_rate = timings["govflow_one_process"].rate(table.num_rows)
    presidio_rate = timings["presidio"].rate(len(next(iter(subset.values()))))
    return {
        "table": name,
        "rows": table.num_rows,
        "workers": worker_count(table.num_rows),
        "presidio_rows": len(next(iter(subset.values()))),
        "govflow_first_run_s": first_s,
        "govflow_run_s": list(timings["govflow"].samples),
        "govflow_one_process_run_s": list(timings["govflow_one_process"].samples),
        "presidio_run_s": list(timings["presidio"].samples),
        "govflow_rows_per_s": gov_rate,
        "govflow_one_process_rows_per_s": one_rate,
        "presidio_rows_per_s": presidio_rate,
        "ratio": gov_rate / presidio_rate,
        "ratio_one_process": one_rate / presidio_rate,
        "govflow_peak_rss_increase_bytes": memory.increase_bytes,
        "result": last["govflow"],
        "pipeline": pipe,
    }


def free_text_part(
    pipe: govflow.Pipeline, texts: list[str], repeats: int, persons: dict[str, list[tuple[int, int]]]
) -> dict[str, Any]:
    """govflow's text scan of unique texts vs bare spaCy NER over them, and the name check's audit against
    the generator's ground truth (`persons`: where each note holds a true person)."""
    stack = pipe.engine.stack
    nlp = stack.analyzer.nlp_engine.nlp[stack.language]
    bare_disabled = [n for n in nlp.pipe_names if n not in ("tok2vec", "ner")]
    # spaCy's ner carries its own tok2vec; bare NER is tok2vec + ner as the issue defines it.

    def govflow_scan() -> None:
        stack.forget()
        stack.scan_texts(texts)

    def bare_ner() -> None:  # in batches of govflow's size, so the floor is not slowed by a smaller batch
        for _ in nlp.pipe(texts, disable=bare_disabled, batch_size=NLP_BATCH_TEXTS):
            pass

    timed(govflow_scan)
    timed(bare_ner)
    timings, _ = time_interleaved({"govflow": govflow_scan, "bare_ner": bare_ner}, repeats)
    array = pa.array(texts, pa.string())
    plan, regions = stack._component_plan(texts, array, stack._candidates(texts, array))
    skipped = [t for t, r in zip(texts, regions, strict=True) if not r]
    # A true person outside the sentences NER's findings count in (all of a skipped text) is a recall miss.
    misses = [
        (t, s, e)
        for t, spans in zip(texts, regions, strict=True)
        for s, e in persons.get(t, [])
        if not any(a <= s and e <= b for a, b in spans)
    ]
    stretches = stack._ner_stretches(nlp, texts, regions)
    read = [t for t, r in zip(texts, regions, strict=True) if r]
    read_chars = sum(b - a for w in stretches for a, b, _ in w) + sum(
        len(t) for t, r, w in zip(texts, regions, stretches, strict=True) if r and not w
    )
    # What full NER tags as a person or place in skipped texts: its false positives ("Box arrived") that
    # skipping removes, since the true names are counted above.
    spacy_tags = [
        doc.text for doc in nlp.pipe(skipped, batch_size=64) if any(e.label_ in PLACE_OR_PERSON for e in doc.ents)
    ]
    return {
        "unique_texts": len(texts),
        "govflow_scan_s": timings["govflow"].median,
        "bare_ner_s": timings["bare_ner"].median,
        "ratio_govflow_over_bare_ner": timings["govflow"].median / timings["bare_ner"].median,
        "name_check_skipped": len(skipped),
        "name_check_recall_misses": len(misses),
        "texts_read_in_stretches": sum(1 for w in stretches if w),
        "ner_chars_read_share": read_chars / max(1, sum(len(t) for t in read)),
        "name_check_skipped_where_spacy_tags_person_or_place": len(spacy_tags),
        "texts_without_tagger_lemmatizer": sum(1 for p in plan if "tagger" in p),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment()
    env["load_average_start"] = os.getloadavg()
    print_environment(env)
    presidio = PresidioBaseline()
    mixed, truth = generate_customers(args.rows, seed=args.seed)
    structured = structured_table(args.structured_rows, seed=args.seed)

    figures: dict[str, Any] = {"environment": env, "parameters": vars(args) | {"json": str(args.json)}}
    runs = [compare("mixed", mixed, presidio, args), compare("structured", structured, presidio, args)]
    released = released_externally(runs[0]["result"])
    leaks = count_leaks(mixed, truth, released.table, released.row_index)
    notes = sorted({t for t in mixed.column("notes").to_pylist() if t})
    persons = {
        t: [(start, end) for start, end, entity in spans if entity == "PERSON"]
        for t, spans in zip(mixed.column("notes").to_pylist(), truth.text_spans, strict=True)
        if t
    }
    text = free_text_part(runs[0]["pipeline"], notes, args.repeats, persons)
    env["load_average_end"] = os.getloadavg()

    print()
    print_table(
        [
            "table",
            "rows",
            "govflow rows/s (workers)",
            "Presidio rows/s",
            "ratio",
            "govflow 1 process",
            "ratio",
            "govflow peak RSS +",
            "released PII leaks",
        ],
        [
            [
                r["table"],
                f"{r['rows']:,}",
                f"{r['govflow_rows_per_s']:,.0f} ({r['workers']})",
                f"{r['presidio_rows_per_s']:,.1f} ({r['presidio_rows']} rows)",
                f"{r['ratio']:.1f}x",
                f"{r['govflow_one_process_rows_per_s']:,.0f}",
                f"{r['ratio_one_process']:.1f}x",
                mib(r["govflow_peak_rss_increase_bytes"]),
                f"{leaks.leaked_values}/{leaks.pii_values_checked}" if r["table"] == "mixed" else "n/a",
            ]
            for r in runs
        ],
    )
    print()
    print(
        f"free text: {text['unique_texts']:,} unique notes; govflow scan {text['govflow_scan_s']:.2f}s vs bare spaCy "
        f"NER {text['bare_ner_s']:.2f}s = {text['ratio_govflow_over_bare_ner']:.2f}x; "
        f"{text['texts_without_tagger_lemmatizer']:,} texts without tagger/lemmatizer"
    )
    print(
        f"name check: {text['name_check_skipped']:,} texts skip NER, {text['texts_read_in_stretches']:,} are read in "
        f"stretches (NER reads {text['ner_chars_read_share']:.0%} of the characters of the texts it reads); recall "
        f"misses (true persons outside the sentences NER's findings count in): {text['name_check_recall_misses']}; "
        f"skipped texts where full NER tags a person or place (its false positives): "
        f"{text['name_check_skipped_where_spacy_tags_person_or_place']}"
    )
    print(
        f"Presidio: {presidio.recognizers} default recognizers, model {PRESIDIO_MODEL}; load {env['load_average_end']}"
    )
    for r in runs:
        del r["result"], r["pipeline"]
    figures.update(
        runs=runs, free_text=text, leaks={"checked": leaks.pii_values_checked, "leaked": leaks.leaked_values}
    )
    if args.json:
        write_json(args.json, figures)
    if leaks.leaked_values or text["name_check_recall_misses"]:
        print("FAIL: govflow leaked PII or the name check left out a true person")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
