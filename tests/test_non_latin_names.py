"""Names in scripts without letter case (CJK, Hangul, kana) and in Cyrillic: the English NER model cannot
see them, so a column profiled as names must mask every value whole, whatever its script."""

from __future__ import annotations

import pyarrow as pa
import pytest

import govflow
from govflow.detect.record_context import echo_needles, record_findings

NAMES = ["王秀英", "김민준", "佐藤 花子", "Иван Петров", "Nguyễn Văn An", "李娜"]


@pytest.mark.parametrize("column", ["customer_name", "full_name", "surname", "holder_name"])
def test_name_columns_in_any_script_are_profiled_and_masked_whole(
    default_pipeline: govflow.Pipeline, column: str
) -> None:
    table = pa.table({column: NAMES, "order_id": [f"ORD-{i:04d}" for i in range(len(NAMES))]})
    leaf = default_pipeline.profile(table).leaves[column]
    assert leaf.entity == "PERSON" and leaf.whole_value
    result = default_pipeline.run(table)
    assert all("PERSON" in entities for entities in result.table.column("gov_entities").to_pylist())
    released = [
        v
        for v, route in zip(
            result.table.column(column).to_pylist(), result.table.column("gov_route").to_pylist(), strict=True
        )
        if route == "external"
    ]
    assert released, "rows with no jurisdiction evidence go external, masked"
    assert not set(released) & set(NAMES)


def test_non_latin_names_in_notes_are_caught_through_the_record(default_pipeline: govflow.Pipeline) -> None:
    """A CJK name in free text is found by echoing the record's name column into the text scan."""
    table = pa.table({"customer_name": ["王秀英", "김민준"], "notes": ["请联系王秀英。", "김민준 고객님께 전화"]})
    result = default_pipeline.run(table)
    for note, route in zip(
        result.table.column("notes").to_pylist(), result.table.column("gov_route").to_pylist(), strict=True
    ):
        if route == "external":
            assert "王秀英" not in note and "김민준" not in note


def test_echo_needles_match_unspaced_scripts_without_word_boundaries() -> None:
    needles = echo_needles([("PERSON", "李娜"), ("PERSON", "김민준"), ("PERSON", "Ann Lee")])
    assert {n.text for n in needles} >= {"李娜", "김민준", "Ann Lee"}
    text = "李娜说김민준님 and Annabel met Ann Lee"
    found = record_findings(text, needles, None)
    assert {text[f.start : f.end] for f in found} == {"李娜", "김민준", "Ann Lee", "Ann", "Lee"}
    annabel = text.index("Annabel")
    assert not any(annabel <= f.start < annabel + len("Annabel") for f in found), "Latin names keep word boundaries"


def test_two_character_latin_values_are_still_too_short_to_echo() -> None:
    assert echo_needles([("PERSON", "Li"), ("PERSON", "Bo")]) == []
