"""A cheap test of whether a text could hold a name or a place, so NER runs only where it can find one.

spaCy's English NER is the most expensive step of free-text detection. English writes names and places
with a capital letter, so a text that spaCy could tag with a person or place has one of:

- a capital letter, anywhere (first words included: the small English model tags a sentence-initial
  ``Box arrived damaged`` as a person, and skipping NER must not change what NER would find);
- a letter of a script without case (CJK, Arabic, Hebrew, Thai, ...): names there carry no capital;
- a digit or an address-like symbol (``@ / : # _ + ...``): the small model tags phone numbers, e-mail
  addresses and house numbers as people and places often enough.

A text with none of these (lower-case prose) skips NER. The test errs towards running NER; its recall
cost (skipped texts in which full NER finds a person or place) is measured by
``benchmarks/throughput.py`` on every run. It runs as one RE2 pass over all texts.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

MAY_HOLD_NAME = r"[\p{Lu}\p{Lt}\p{Lo}\p{Lm}\p{N}@/:#_~=+<>|\\]"


def may_hold_names(texts: Sequence[str]) -> list[bool]:
    """Per text: False only when spaCy's NER cannot find a person or place in it (see module doc)."""
    if not texts:
        return []
    array = pa.array(texts, pa.string())
    return pc.match_substring_regex(array, pattern=MAY_HOLD_NAME).to_pylist()  # type: ignore[no-any-return]
