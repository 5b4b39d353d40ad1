"""Which values a pattern recognizer could match, decided for a whole column at once with RE2.

Testing each recognizer's regexes value by value in Python costs more than everything else on a
structured table. Arrow's `match_substring_regex` runs RE2 over a whole array in C++; a value it rejects
needs no Python at all. RE2 only narrows: a value it accepts is confirmed with the recognizer's own
regex in Python, so the values passed on are exactly those Python alone would pass. For that RE2 may
accept too much but must never reject a value the recognizer's regex matches. Three things keep it so:

- lookarounds are removed from the pattern: assertions only narrow a match, so the pattern without them
  matches a superset (RE2 has no lookarounds); a backreference becomes a copy of its group's pattern,
  which matches whatever the group matched and more;
- only printable-ASCII values go through RE2, where RE2's ASCII `\\w`, `\\d`, `\\s` and `\\b` mean the same as
  Python's Unicode ones; every other value is tested with the original regex in Python;
- a pattern whose flags or syntax RE2 cannot take exactly as Python does (verbose mode, `regex`'s version-1
  set operations, `{,n}` quantifiers, anything RE2 refuses to compile) is tested in Python for every value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

# Python (re / regex) flag bits RE2 can take as inline flags; any other flag bit keeps the pattern in Python.
_INLINE = {regex.IGNORECASE: "i", regex.MULTILINE: "m", regex.DOTALL: "s"}
_HARMLESS = regex.ASCII | regex.UNICODE | regex.VERSION0  # ASCII values only reach RE2
_NOT_PRINTABLE_ASCII = r"[^\x20-\x7e]"
_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")


class _Unsupported(ValueError):
    pass


def _class_end(pattern: str, start: int) -> int:
    """Index just past the character class opening at `start`."""
    j = start + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        if pattern[j] == "[" and pattern.startswith("[:", j):
            close = pattern.find(":]", j + 2)
            j = close + 2 if close > 0 else j + 1
            continue
        j += 2 if pattern[j] == "\\" else 1
    if j >= len(pattern):
        raise _Unsupported("unterminated character class")
    return j + 1


def _group_end(pattern: str, start: int) -> int:
    """Index just past the group opening at `start`."""
    depth, j = 0, start
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _class_end(pattern, j)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise _Unsupported("unbalanced parentheses")


def _capturing_groups(pattern: str) -> list[str]:
    """The text inside each capturing group, in group-number order."""
    groups: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
        elif c == "[":
            i = _class_end(pattern, i)
        elif c == "(":
            named = pattern.startswith(("(?P<", "(?<"), i) and not pattern.startswith(("(?<=", "(?<!"), i)
            if named or not pattern.startswith("(?", i):
                end = _group_end(pattern, i)
                body_start = pattern.index(">", i) + 1 if named else i + 1
                groups.append(pattern[body_start : end - 1])
            i += 1
        else:
            i += 1
    return groups


def without_backreferences(pattern: str) -> str:
    """Each `\\N` replaced by a copy of group N's pattern: it matches any text the group could, not only
    what the group matched, so the result matches wherever the original does."""
    groups = _capturing_groups(pattern)
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "123456789":
            if i + 2 < len(pattern) and pattern[i + 2].isdigit():
                raise _Unsupported("backreference over 9")
            number = int(pattern[i + 1])
            if number > len(groups):
                raise _Unsupported("backreference to a missing group")
            out.append(f"(?:{without_backreferences(groups[number - 1])})")
            i += 2
        elif c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif c == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def without_lookarounds(pattern: str) -> str:
    """The pattern with every lookahead and lookbehind removed: it matches wherever the original does."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif c == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif pattern.startswith(_LOOKAROUNDS, i):
            i = _group_end(pattern, i)
            if i < len(pattern) and pattern[i] in "?*+{":
                raise _Unsupported("quantified lookaround")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def re2_pattern(pattern: str, flags: int) -> str | None:
    """An RE2 pattern matching at least every printable-ASCII string `pattern` matches, or None."""
    if flags & ~(_HARMLESS | sum(_INLINE)) or "{," in pattern:
        return None
    try:
        stripped = without_lookarounds(without_backreferences(pattern))
    except _Unsupported:
        return None
    inline = "".join(letter for bit, letter in _INLINE.items() if flags & bit)
    candidate = f"(?{inline}){stripped}" if inline else stripped
    try:
        pc.match_substring_regex(pa.array(["a"]), pattern=candidate)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return candidate


class Prefilter:
    """One recognizer's regexes, run on a whole array of values: RE2 narrows, Python confirms."""

    def __init__(self, patterns: Sequence[regex.Pattern[str]]) -> None:
        self.patterns = list(patterns)
        translated = [re2_pattern(p.pattern, p.flags) for p in self.patterns]
        # One pattern RE2 cannot take means every value needs Python anyway.
        self.re2 = [t for t in translated if t is not None] if None not in translated else []

    def candidates(self, values: Sequence[str], array: pa.Array, needs_python: np.ndarray) -> np.ndarray:
        """Indices of the values the recognizer's own regexes match, exactly as testing each value in
        Python would find them. `array` is `values` as Arrow strings and `needs_python` flags the values
        that are not printable ASCII (see `python_mask`)."""
        if self.re2:
            maybe = needs_python.copy()
            for pattern in self.re2:
                maybe |= pc.match_substring_regex(array, pattern=pattern).to_numpy(zero_copy_only=False)
            check = np.flatnonzero(maybe).tolist()
        else:
            check = range(len(values))
        return np.array([i for i in check if any(p.search(values[i]) for p in self.patterns)], dtype=np.int64)


def python_mask(array: pa.Array) -> np.ndarray:
    """True for values RE2 must not decide alone (anything outside printable ASCII)."""
    if len(array) == 0:
        return np.zeros(0, dtype=bool)
    return pc.match_substring_regex(array, pattern=_NOT_PRINTABLE_ASCII).to_numpy(zero_copy_only=False)
