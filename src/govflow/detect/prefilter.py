"""Which values a pattern recognizer could match, decided for a whole column at once with RE2.

Testing each recognizer's regexes value by value in Python costs more than everything else on a
structured table. Arrow's `match_substring_regex` runs RE2 over a whole array in C++; a value it rejects
needs no Python at all. Where RE2 may accept too much, a value it accepts is confirmed with the
recognizer's own regex in Python, so the values passed on are exactly those Python alone would pass. For
that RE2 must never reject a value the recognizer's regex matches. Three things keep it so:

- lookarounds are removed from the pattern: assertions only narrow a match, so the pattern without them
  matches a superset (RE2 has no lookarounds); a backreference becomes a copy of its group's pattern,
  which matches whatever the group matched and more;
- only printable-ASCII values go through RE2, where RE2's ASCII `\\w`, `\\d`, `\\s` and `\\b` mean the same as
  Python's Unicode ones; every other value is tested with the original regex in Python;
- a pattern whose flags or syntax RE2 cannot take exactly as Python does (verbose mode, `regex`'s version-1
  set operations, `{,n}` quantifiers, fuzzy matching, inline flags after the start, anything RE2 refuses
  to compile) is tested in Python for every value.

The usual guards at a pattern's edges, negative lookbehinds and lookaheads of one-character items
(`(?<![\\w+(])`, `(?<!\\d[ ./-])`, `(?!\\w)`), are not dropped but rewritten as characters to consume, exactly
(`with_edge_guards`). A pattern left with no lookaround and no backreference is *exact* on printable
ASCII: there RE2 and Python accept the same strings, so RE2's hits need no Python confirmation. That
confirmation was the larger part of the cost on identifier columns, where one value is a candidate for
dozens of patterns.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

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


def _syntax_characters(pattern: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of `pattern` from `start` outside escapes and classes, which
    are skipped whole."""
    j = start
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
        elif c == "[":
            j = _class_end(pattern, j)
        else:
            yield j, c
            j += 1


def _group_end(pattern: str, start: int) -> int:
    """Index just past the group opening at `start`."""
    depth = 0
    for j, c in _syntax_characters(pattern, start):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
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


def _top_level_items(pattern: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level piece of `pattern`: an escape, a character class, a group (a
    lookaround included) or one other character, in order."""
    items: list[tuple[int, int]] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            end = i + 2
        elif c == "[":
            end = _class_end(pattern, i)
        elif c == "(":
            end = _group_end(pattern, i)
        else:
            end = i + 1
        items.append((i, min(end, len(pattern))))
        i = end
    return items


_PRINTABLE = [chr(code) for code in range(0x20, 0x7F)]
_NOT_ONE_CHARACTER = set("()|*+?{}^$")
_CLASS_ESCAPES = set("dDwWsS")  # one character each; other letter escapes may be anchors (`\b`, `\m`, `\K`)


def _one_character(item: str, flags: int) -> frozenset[str] | None:
    """The printable-ASCII characters that `item` (a class, an escape or a literal: one character of text)
    matches under `flags`; None for anything else (a group, an anchor, a quantifier, an escape other than
    a class shorthand or a punctuation mark), and None where RE2's case folding would add characters."""
    if item.startswith("["):
        pass
    elif item.startswith("\\"):
        if len(item) != 2 or not (item[1] in _CLASS_ESCAPES or not item[1].isalnum()):
            return None
    elif len(item) != 1 or item in _NOT_ONE_CHARACTER:
        return None
    try:
        compiled = regex.compile(item, flags)
    except regex.error:
        return None
    chars = frozenset(c for c in _PRINTABLE if compiled.fullmatch(c))
    if flags & regex.IGNORECASE and any(c.swapcase() not in chars for c in chars):
        return None  # RE2's (?i) would close the class under ASCII case (Python's `ı` matches `I` only)
    return chars


def _guard(pattern: str, start: int, end: int, opening: str, flags: int) -> list[frozenset[str]] | None:
    """The character sets of a negative lookaround whose body is a run of one-character items, in the
    body's order; None for any other lookaround."""
    if not pattern.startswith(opening, start):
        return None
    body = pattern[start + len(opening) : end - 1]
    sets = [_one_character(body[a:b], flags) for a, b in _top_level_items(body)]
    if not sets or any(s is None for s in sets):
        return None
    return [s for s in sets if s is not None]


def _class(chars: list[str]) -> str:
    """An RE2 character class of exactly `chars` (printable ASCII), as ranges of consecutive code points."""

    def literal(code: int) -> str:
        return chr(code) if chr(code).isalnum() else f"\\x{code:02x}"

    codes = sorted(ord(c) for c in chars)
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "[" + "".join(literal(a) if a == b else f"{literal(a)}-{literal(b)}" for a, b in runs) + "]"


def _edge_or(context: str, edge: str) -> str:
    return f"(?:{edge}|{context})" if context else edge


def _allowed_context(guards: list[list[frozenset[str]]], before: bool) -> str:
    """RE2 text for the characters beside a position where no guard matches (each guard: its character
    sets, nearest the position first); empty when no character is allowed, only the text's edge. One
    character is consumed per level; the edge (`^` before, `$` after) leaves a guard unmet."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for c in _PRINTABLE:
        groups.setdefault(tuple(k for k, sets in enumerate(guards) if c in sets[0]), []).append(c)
    alternatives = []
    for met, chars in groups.items():
        if any(len(guards[k]) == 1 for k in met):
            continue  # a whole guard matches here: not allowed
        rest = [guards[k][1:] for k in met]
        further = _edge_or(_allowed_context(rest, before), "^" if before else "$") if rest else ""
        alternatives.append(further + _class(chars) if before else _class(chars) + further)
    return "|".join(alternatives)


def with_edge_guards(pattern: str, flags: int = 0) -> str:
    """The leading negative lookbehinds and trailing negative lookaheads made of one-character items (the
    usual "not inside a longer word or number" guards, such as `(?<![\\w+(])` or `(?<!\\d[ ./-])`) rewritten
    as characters to consume or a text edge: `(?<!\\d)` becomes `(?:^|[...])` with every printable-ASCII
    character but the digits. A pattern has a match in a printable-ASCII text exactly when its rewritten
    form has one, so RE2 can test these guards instead of dropping them (RE2 decides only such texts).

    Only the edges of a pattern without top-level alternation are touched, where consuming characters
    cannot interfere with repetition or another branch. Other lookarounds stay where they were (for
    `without_lookarounds`): they test the same position as before.
    """
    items = _top_level_items(pattern)
    if any(pattern[a:b] == "|" for a, b in items):
        return pattern
    first = 0  # items[:first]: the run of lookarounds the pattern starts with
    while first < len(items) and pattern.startswith(_LOOKAROUNDS, items[first][0]):
        first += 1
    last = len(items)  # items[last:]: the run of lookaheads it ends with
    while last > first and pattern.startswith(("(?=", "(?!"), items[last - 1][0]):
        last -= 1
    body_start = items[first - 1][1] if first else 0
    body_end = items[last][0] if last < len(items) else len(pattern)
    if body_end <= body_start or pattern[body_start] in "?*+{":
        return pattern  # nothing between the guards, or a quantified lookbehind
    before = [(a, b, _guard(pattern, a, b, "(?<!", flags)) for a, b in items[:first]]
    after = [(a, b, _guard(pattern, a, b, "(?!", flags)) for a, b in items[last:]]
    behind = [sets[::-1] for _, _, sets in before if sets is not None]
    ahead = [sets for _, _, sets in after if sets is not None]
    if not behind and not ahead:
        return pattern
    return "".join(
        [
            _edge_or(_allowed_context(behind, True), "^") if behind else "",
            *(pattern[a:b] for a, b, sets in before if sets is None),
            pattern[body_start:body_end],
            *(pattern[a:b] for a, b, sets in after if sets is None),
            _edge_or(_allowed_context(ahead, False), "$") if ahead else "",
        ]
    )


def re2_pattern(pattern: str, flags: int) -> str | None:
    """An RE2 pattern matching at least every printable-ASCII string `pattern` matches, or None."""
    translated = _re2_translation(pattern, flags)
    return None if translated is None else translated[0]


_QUANTIFIER = regex.compile(r"\{\d+(?:,\d*)?\}")
_INLINE_FLAGS = regex.compile(r"\(\?(?:[aiLmsux]+(?:-[aiLmsux]+)?|-[aiLmsux]+)[:)]")


def _python_only_syntax(pattern: str) -> bool:
    """Whether `pattern` holds syntax RE2 reads differently: inline flags after the start (the `regex`
    module reports them in `flags`, which would then cover the whole RE2 pattern) and braces that are no
    `{n}`, `{n,}` or `{n,m}` quantifier (`regex`'s fuzzy matching, `{e<=1}`, is literal text to RE2)."""
    for i, c in _syntax_characters(pattern):
        if c == "{" and not _QUANTIFIER.match(pattern, i):
            return True
        if c == "(" and (found := _INLINE_FLAGS.match(pattern, i)) and (i > 0 or found.group().endswith(":")):
            return True  # (at the start, flags scoped to a group: RE2 takes them, but `flags` may hold them too)
    return False


def _re2_translation(pattern: str, flags: int) -> tuple[str, bool] | None:
    """`re2_pattern` and whether it is exact (matches the same printable-ASCII strings as `pattern`)."""
    if flags & ~(_HARMLESS | sum(_INLINE)) or "{," in pattern:
        return None
    try:
        if _python_only_syntax(pattern):
            return None
    except _Unsupported:
        return None
    try:
        guarded = with_edge_guards(without_backreferences(pattern), flags)
        stripped = without_lookarounds(guarded)
    except _Unsupported:
        return None
    inline = "".join(letter for bit, letter in _INLINE.items() if flags & bit)
    candidate = f"(?{inline}){stripped}" if inline else stripped
    if not _compiles(candidate):
        return None
    return candidate, stripped == guarded and without_backreferences(pattern) == pattern


class Prefilter:
    """One recognizer's regexes, run on a whole array of values: RE2 decides or narrows, Python confirms."""

    def __init__(self, patterns: Sequence[regex.Pattern[str]]) -> None:
        self.patterns = list(patterns)
        translated = [_re2_translation(p.pattern, p.flags) for p in self.patterns]
        # One pattern RE2 cannot take means every value needs Python anyway.
        self.re2: list[tuple[str, bool]] = [t for t in translated if t is not None] if None not in translated else []

    def candidates(
        self,
        values: Sequence[str],
        array: pa.Array,
        needs_python: np.ndarray,
        *,
        confirm: bool = True,
        hits: PatternHits | None = None,
    ) -> np.ndarray:
        """Indices of the values the recognizer's own regexes match, exactly as testing each value in
        Python would find them. `array` is `values` as Arrow strings and `needs_python` flags the values
        that are not printable ASCII (see `python_mask`); `hits` answers the RE2 passes over `array`
        (shared by every recognizer of a scan, see `PatternUnions`), else each pattern runs alone.

        Without `confirm`, values RE2 cannot decide alone are passed on untested (a superset), for a caller
        whose next step runs the same regexes anyway: testing them first would only repeat that work.
        """
        if not self.re2:
            return np.array([i for i in range(len(values)) if self._python_match(values[i])], dtype=np.int64)
        match = hits or PatternHits(array)
        sure = np.zeros(len(values), dtype=bool)
        maybe = needs_python.copy()
        for pattern, exact in self.re2:
            hits_of_pattern = match(pattern)
            if exact:
                sure |= hits_of_pattern
            else:
                maybe |= hits_of_pattern
        sure &= ~needs_python
        if not confirm:
            return np.flatnonzero(sure | maybe).astype(np.int64)
        confirmed = [i for i in np.flatnonzero(maybe & ~sure).tolist() if self._python_match(values[i])]
        return np.union1d(np.flatnonzero(sure), np.array(confirmed, dtype=np.int64)).astype(np.int64)

    def may_span_whole(self, array: pa.Array, needs_python: np.ndarray) -> np.ndarray:
        """Per value, False where no match of these regexes can run from the value's first character to
        its last (RE2 finds no full match of the superset pattern); True wherever that is not certain."""
        if not self.re2:
            return np.ones(len(array), dtype=bool)
        whole = needs_python.copy()
        for pattern, _ in self.re2:
            whole |= _matches(array, f"\\A(?:{pattern})\\z")
        return whole

    def _python_match(self, value: str) -> bool:
        return any(p.search(value) for p in self.patterns)


UNION_SIZE = 8
"""Patterns per union. Measured on 40,000-value identifier columns and on free-text notes: one union of
eight costs about what one of its patterns does, so a column none of them matches takes an eighth of the
passes; unions of sixteen made RE2's DFA run out of states and fall back to its slow matcher."""

ALONE_CHARS = 1_000
"""A pattern longer than this (the URL recognizer's lists of top-level domains) stays out of the unions: in
one it swells the DFA past its memory budget, slowing the union down more than it saves. Such patterns
are grouped with each other instead, behind a union of their `coarse` forms (the four URL patterns: one
pass of a small automaton rejects the values none can match, which were four passes of a large one)."""


_LITERAL_BRANCH = regex.compile(r"\(\?:([A-Za-z0-9-]+)\)|([A-Za-z0-9-]+)")  # (?:com) or com
_LONG_COUNT = regex.compile(r"\{(\d+),\d{3,}\}")


def _literal_alternation(pattern: str, start: int, end: int) -> str | None:
    """`[chars]{shortest,longest}` for the group `pattern[start:end]` when it is a non-capturing
    alternation of plain words (``(?:(?:com)|(?:edu)|...)``): it matches every branch and more."""
    if not pattern.startswith("(?:", start):
        return None
    body = pattern[start + 3 : end - 1]
    items = _top_level_items(body)
    cuts = [a for a, b in items if body[a:b] == "|"]
    branches = [body[a + 1 : b] for a, b in itertools.pairwise([-1, *cuts, len(body)])]
    found = [_LITERAL_BRANCH.fullmatch(b) for b in branches]
    if len(found) < 2 or None in found:
        return None
    words = [m.group(1) or m.group(2) for m in found if m]
    lengths = [len(w) for w in words]
    return f"(?:{_class(sorted(set(''.join(words))))}{{{min(lengths)},{max(lengths)}}})"


def coarse(pattern: str) -> str:
    """A pattern matching wherever the RE2 `pattern` does, with a far smaller automaton: each alternation
    of plain words becomes a run of their characters (the URL recognizer's ~1,500 top-level domains:
    `[a-z0-9-]{2,24}`) and each repetition bounded at 100 or more loses its bound. Every rewritten piece
    matches all that the original piece did, so the whole does too; it serves as a cheap first pass."""
    out: list[str] = []
    last = 0
    skip_to = 0
    for i, c in _syntax_characters(pattern):
        if i < skip_to:
            continue
        if c == "(":
            end = _group_end(pattern, i)
            run = _literal_alternation(pattern, i, end)
            if run is not None:
                out += [pattern[last:i], run]
                last = skip_to = end
        elif c == "{" and (count := _LONG_COUNT.match(pattern, i)):
            out += [pattern[last:i], f"{{{count.group(1)},}}"]
            last = skip_to = count.end()
    return "".join([*out, pattern[last:]])


def _batches(patterns: list[str]) -> list[list[str]]:
    return [patterns[i : i + UNION_SIZE] for i in range(0, len(patterns), UNION_SIZE)]


def _union(patterns: Sequence[str]) -> str:
    """One RE2 pattern matching where any of `patterns` does. A group scopes its inline flags (RE2, as
    Perl), so a leading `(?i)` still covers only its own pattern."""
    return "|".join(f"(?:{p})" for p in patterns)


def _compiles(pattern: str) -> bool:
    try:
        pc.match_substring_regex(pa.array(["a"]), pattern=pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


class PatternUnions:
    """Every recognizer's RE2 patterns, in unions of a few: one pass over a column with a union rejects,
    for all of its patterns at once, the values none of them can match; each pattern then runs only on
    the values its union accepted. A union matches wherever one of its patterns does (exactly there, or
    more for the long patterns' union of `coarse` forms), so the answer per pattern is the one a pass of
    that pattern alone gives. Patterns whose union RE2 will not compile (it caps a program's size) run
    alone."""

    def __init__(self, patterns: Sequence[str]) -> None:
        unique = list(dict.fromkeys(patterns))
        gates = {p: coarse(p) for p in unique if len(p) > ALONE_CHARS}
        gated = [p for p, gate in gates.items() if len(gate) <= ALONE_CHARS]
        planned: list[tuple[list[str], str | None]] = [
            *((g, _union(g) if len(g) > 1 else None) for g in _batches([p for p in unique if p not in gates])),
            *((g, _union([gates[p] for p in g])) for g in _batches(gated)),
            *(([p], None) for p, gate in gates.items() if len(gate) > ALONE_CHARS),
        ]
        groups: list[tuple[list[str], str | None]] = []
        for group, union in planned:
            if union is None or _compiles(union):
                groups.append((group, union))
            else:  # patterns that compile alone may not together (RE2 caps a program's size): alone, then
                groups.extend(([p], None) for p in group)
        self.unions = [union for _, union in groups]
        self.group_of = {pattern: k for k, (group, _) in enumerate(groups) for pattern in group}

    def hits(self, array: pa.Array) -> PatternHits:
        """The pattern passes over `array`, each union run once and only when one of its patterns is asked."""
        return PatternHits(array, self)


class PatternHits:
    """Per pattern, which values of one array it matches (a boolean per value), unions run first."""

    def __init__(self, array: pa.Array, unions: PatternUnions | None = None) -> None:
        self.array = array
        self.unions = unions
        self._accepted: dict[int, np.ndarray] = {}  # group -> indices of the values its union matched

    def __call__(self, pattern: str) -> np.ndarray:
        group = None if self.unions is None else self.unions.group_of.get(pattern)
        union = None if group is None or self.unions is None else self.unions.unions[group]
        if group is None or union is None:
            return _matches(self.array, pattern)
        if group not in self._accepted:
            self._accepted[group] = np.flatnonzero(_matches(self.array, union))
        accepted = self._accepted[group]
        out = np.zeros(len(self.array), dtype=bool)
        if len(accepted):
            out[accepted] = _matches(self.array.take(accepted), pattern)
        return out


def _matches(array: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(array, pattern=pattern).to_numpy(zero_copy_only=False)


def python_mask(array: pa.Array) -> np.ndarray:
    """True for values RE2 must not decide alone (anything outside printable ASCII)."""
    if len(array) == 0:
        return np.zeros(0, dtype=bool)
    return _matches(array, _NOT_PRINTABLE_ASCII)
