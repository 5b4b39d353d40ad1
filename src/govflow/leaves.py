"""Arrow columns as scannable string leaves, and back.

Nested lists and structs are scanned like any other column: each string inside them becomes a leaf
value that remembers which record it belongs to, so findings aggregate per record and masked values go
back to the same place. Non-string scalars that can carry identifiers (integers, binary) are scanned as
text; when such a value must be masked it becomes null, because a masked token does not fit the type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LIST_MARK = "[]"


@dataclass(frozen=True)
class Leaf:
    """One scannable string array inside a column."""

    path: tuple[str, ...]  # field names and LIST_MARK below the top-level column
    name: str  # display path, e.g. "contacts[].email"
    values: pa.Array  # string values, one per leaf element
    rows: np.ndarray | None  # top-level record of each element; None when it is the record itself
    original_type: pa.DataType
    maskable: bool  # masked text can be written back in the original type


class UnsupportedColumn(Exception):
    """A column whose type govflow cannot scan; its records are sent to on_error (fail closed)."""


def _as_text(array: pa.Array) -> tuple[pa.Array, bool] | None:
    """(string array, maskable) for scannable scalar types, None for types that hold no identifiers."""
    t = array.type
    if pa.types.is_dictionary(t):
        return _as_text(array.dictionary_decode())
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return array.cast(pa.string()), True
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        decoded = [None if v is None else v.decode("utf-8", "replace") for v in array.to_pylist()]
        return pa.array(decoded, pa.string()), True
    if pa.types.is_integer(t):
        return array.cast(pa.string()), False
    return None


def _is_datelike(t: pa.DataType) -> bool:
    return pa.types.is_date(t) or pa.types.is_timestamp(t)


def leaves_of(column: pa.Array, name: str, *, include_dates: bool = False) -> list[Leaf]:
    """Every scannable leaf of a column. Dates are leaves only when a hint says they are PII."""

    def walk(array: pa.Array, path: tuple[str, ...], label: str, rows: np.ndarray | None) -> list[Leaf]:
        t = array.type
        if pa.types.is_struct(t):
            out = []
            for i in range(t.num_fields):
                field = t.field(i)
                child = array.field(i)
                if array.null_count:
                    child = pc.if_else(array.is_valid(), child, pa.nulls(len(child), child.type))
                out += walk(child, (*path, field.name), f"{label}.{field.name}", rows)
            return out
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            parents = pc.list_parent_indices(array).to_numpy()
            child_rows = parents if rows is None else rows[parents]
            return walk(pc.list_flatten(array), (*path, LIST_MARK), f"{label}{LIST_MARK}", child_rows)
        if _is_datelike(t):
            if not include_dates:
                return []
            return [Leaf(path, label, array.cast(pa.string()), rows, t, False)]
        text = _as_text(array)
        if text is None:
            if pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_null(t) or pa.types.is_decimal(t):
                return []
            if pa.types.is_time(t) or pa.types.is_duration(t) or pa.types.is_interval(t):
                return []
            raise UnsupportedColumn(f"column {name!r} has type {t}, which govflow cannot scan")
        values, maskable = text
        return [Leaf(path, label, values, rows, t, maskable)]

    return walk(column, (), name, None)


def _restore_type(masked: pa.Array, leaf_type: pa.DataType, changed: pa.Array, original: pa.Array) -> pa.Array:
    """Masked strings back in the leaf's type; changed cells of non-string types become null."""
    if pa.types.is_string(leaf_type):
        return masked
    if pa.types.is_large_string(leaf_type) or pa.types.is_string_view(leaf_type):
        return masked.cast(leaf_type)
    if pa.types.is_binary(leaf_type) or pa.types.is_large_binary(leaf_type):
        return masked.cast(leaf_type)
    if pa.types.is_dictionary(leaf_type):
        return masked.cast(leaf_type.value_type).dictionary_encode().cast(leaf_type)
    # integers, dates, fixed-size binary: a token does not fit, so a masked cell becomes null
    return pc.if_else(changed, pa.nulls(len(original), original.type), original)


def replace_leaves(column: pa.Array, replacements: dict[tuple[str, ...], tuple[pa.Array, pa.Array]]) -> pa.Array:
    """The column with masked leaves put back. replacements: path -> (masked strings, changed mask)."""

    def walk(array: pa.Array, path: tuple[str, ...]) -> pa.Array:
        t = array.type
        if pa.types.is_struct(t):
            children = [walk(array.field(i), (*path, t.field(i).name)) for i in range(t.num_fields)]
            validity = array.is_null() if array.null_count else None
            return pa.StructArray.from_arrays(children, fields=list(t), mask=validity)
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            values = walk(pc.list_flatten(array), (*path, LIST_MARK))
            lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy()
            offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(
                np.int64 if pa.types.is_large_list(t) else np.int32
            )
            cls = pa.LargeListArray if pa.types.is_large_list(t) else pa.ListArray
            mask = array.is_null() if array.null_count else None
            rebuilt = cls.from_arrays(pa.array(offsets), values, mask=mask)
            return rebuilt.cast(t)
        if path in replacements:
            masked, changed = replacements[path]
            return _restore_type(masked, t, changed, array)
        return array

    return walk(column, ())
