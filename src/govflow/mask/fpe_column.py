"""Format-preserving encryption of a column at once: values that share a layout are one character matrix.

A column of IBANs, card or phone numbers holds thousands of values with the same length and the same
positions of digits, letters and separators. `fpe_encrypt` takes each value apart in Python (positions,
checksum test, picking the digits, putting them back, recomputing check digits); here a group of values of
one layout is a matrix of characters, and each of those steps is a few numpy operations on its columns:
MOD 97-10 (IBAN) and Luhn (cards) are computed digit column by digit column. The results are those of
`fpe_encrypt` value by value (tests/test_ff3_1.py); values of rarer layouts are left to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from govflow.detect.financial import bban_structure_ok
from govflow.mask.ff3_1 import BATCH_MIN, FF31, char_matrix, matrix_rows

_ZERO, _NINE = ord("0"), ord("9")
_OTHER, _LETTER, _DIGIT = 0, 1, 2  # a layout is one of these per character
_SCHEMES = (None, "iban", "luhn")  # the checksums `fpe_encrypt` knows, and none
_MAX_LAYOUTS = 16


def encrypt_by_layout(values: Sequence[str], cipher: FF31, tweak: bytes, checksum: str | None) -> dict[int, str | None]:
    """{index: `fpe_encrypt`'s result, or None where it refuses the value} for the values of `values` in a
    group of at least `BATCH_MIN` ASCII values with one layout that the cipher takes in one pass. Decimal
    alphabet only; values of other groups are not in the result."""
    done: dict[int, str | None] = {}
    if checksum not in _SCHEMES or cipher.alphabet != "0123456789":
        return done
    by_length: dict[int, list[int]] = {}
    for i, value in enumerate(values):
        if value.isascii():
            by_length.setdefault(len(value), []).append(i)
    for length, indices in by_length.items():
        if len(indices) < BATCH_MIN:
            continue
        chars = char_matrix([values[i] for i in indices], length)
        for rows, layout in _groups(_layout(chars)):
            for row, text in _encrypt_group(chars[rows], layout, cipher, tweak, checksum).items():
                done[indices[rows[row]]] = text
    return done


def _groups(layouts: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, layout) for each layout at least `BATCH_MIN` rows share, taking the layout of the first row
    not yet placed each time; a column has a few. After `_MAX_LAYOUTS` tries the rest go value by value.
    (np.unique over rows sorts them: several times slower here.)"""
    groups = []
    left = np.arange(len(layouts))
    for _ in range(_MAX_LAYOUTS):
        if len(left) < BATCH_MIN:
            break
        same = (layouts[left] == layouts[left[0]]).all(axis=1)
        if same.sum() >= BATCH_MIN:
            groups.append((left[same], layouts[left[0]]))
        left = left[~same]
    return groups


def _layout(chars: np.ndarray) -> np.ndarray:
    """Per character: a digit, an ASCII letter, or anything else."""
    is_digit = (chars >= _ZERO) & (chars <= _NINE)
    upper = chars & 0xDF  # ASCII lower case to upper case (digits and others are not letters either way)
    is_letter = ~is_digit & (upper >= ord("A")) & (upper <= ord("Z"))
    return np.where(is_digit, _DIGIT, np.where(is_letter, _LETTER, _OTHER)).astype(np.int8)


def _encrypt_group(
    block: np.ndarray, layout: np.ndarray, cipher: FF31, tweak: bytes, checksum: str | None
) -> dict[int, str | None]:
    """{row: result} for one layout's rows, or {} where the layout is one `fpe_encrypt` refuses or the
    cipher cannot take in one pass (each value then goes its own way, to the same answer)."""
    digits = np.flatnonzero(layout == _DIGIT)
    if checksum == "iban":
        covered = np.flatnonzero(layout != _OTHER)
        slots = covered[2:4]
        if len(covered) < 5:  # iban_is_valid hands these to stdnum
            return {}
        valid = (_mod97(block, layout, [*covered[4:], *covered[:4]]) == 1) & _structure_ok(block, layout, covered)
    elif checksum == "luhn":
        covered, slots = digits, digits[-1:]
        valid = _luhn(block, covered) == 0 if len(covered) else np.zeros(len(block), dtype=bool)
    else:
        slots = digits[:0]
        valid = np.ones(len(block), dtype=bool)
    work = np.setdiff1d(digits, slots)
    if not cipher.batches(len(work)):
        return {}
    out = block.copy()
    rows = np.flatnonzero(valid)
    if len(rows):
        out[np.ix_(rows, work)] = cipher.encrypt_digits(out[np.ix_(rows, work)] - _ZERO, tweak) + _ZERO
        if checksum == "iban":
            check = 98 - _mod97(out[rows], layout, [*covered[4:], *covered[:2]], tail_zeros=2)
            out[rows, slots[0]] = check // 10 + _ZERO
            out[rows, slots[1]] = check % 10 + _ZERO
        elif checksum == "luhn":
            out[rows, slots[0]] = _ZERO
            out[rows, slots[0]] = (-_luhn(out[rows], covered)) % 10 + _ZERO
    return {
        row: text if ok else None for row, (text, ok) in enumerate(zip(matrix_rows(out), valid.tolist(), strict=True))
    }


def _mod97(block: np.ndarray, layout: np.ndarray, order: list[int], tail_zeros: int = 0) -> np.ndarray:
    """ISO 7064 MOD 97-10 of each row read at `order` (letters A-Z as 10-35, either case), then
    `tail_zeros` zeros: the remainder, digit column by digit column."""
    remainder = np.zeros(len(block), dtype=np.int64)
    for position in order:
        column = block[:, position].astype(np.int64)
        if layout[position] == _DIGIT:
            remainder = (remainder * 10 + column - _ZERO) % 97
        else:
            remainder = (remainder * 100 + (column & 0xDF) - ord("A") + 10) % 97
    for _ in range(tail_zeros):
        remainder = remainder * 10 % 97
    return remainder


def _luhn(block: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """stdnum's Luhn checksum of each row's digits at `covered` (0 for a valid number)."""
    total = np.zeros(len(block), dtype=np.int64)
    for from_right, position in enumerate(covered[::-1].tolist()):
        digit = block[:, position].astype(np.int64) - _ZERO
        total += digit if from_right % 2 == 0 else np.where(digit * 2 > 9, digit * 2 - 9, digit * 2)
    return total % 10


def _structure_ok(block: np.ndarray, layout: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """`iban_is_valid`'s registry test per row: its country (the first two covered characters) and the
    layout's BBAN shape (digits as 0, letters as A)."""
    shape = "".join("0" if layout[p] == _DIGIT else "A" for p in covered[4:].tolist())
    countries = np.char.upper(
        np.char.add(block[:, covered[0]].view("S1").astype("U1"), block[:, covered[1]].view("S1").astype("U1"))
    )
    known = {country: bban_structure_ok(country, shape) for country in set(countries.tolist())}
    return np.array([known[country] for country in countries.tolist()], dtype=bool)
