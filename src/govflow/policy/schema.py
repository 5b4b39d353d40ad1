"""The rule format, described from the models themselves: a JSON Schema for editors, a reference page for people.

Both are generated, never written by hand, so they cannot drift from what `load_policy` accepts; tests
compare the committed copies with fresh output.
"""

from __future__ import annotations

import copy
import json
import types
import typing
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from govflow.policy.models import OperatorName, Policy

SCHEMA_PATH = "schema/govflow-rules.schema.json"
REFERENCE_PATH = "docs/rules-reference.md"
EXTEND_DESCRIPTION = (
    "Start from another pack: a bundled one by name (`default`, `prose`) or a file or directory relative to this "
    "file. "
    "This pack's values are merged on top, and its route rules are tried before the base's."
)
REPLACE_DESCRIPTION = (
    "With `extend`: lists of the base pack (dotted paths, such as `recognizers.presidio`) that this pack's "
    "own lists replace instead of joining; a list named here and not set in this pack becomes empty."
)


def rule_file_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of one rule file.

    A policy directory is merged from several files, so each file is a partial document: every
    top-level key is optional, mappings may be partial, and `extend` names a base pack. The merged
    policy must still be complete, which `govflow validate` checks.
    """
    schema = copy.deepcopy(Policy.model_json_schema())
    schema.pop("required", None)
    # Mappings merge across files (and onto an extended base), so a file may hold part of one: only list
    # items, which are joined whole, must be complete.
    for model, used_at in documented_models():
        if not all(path.endswith("[]") for path in used_at):
            schema["$defs"].get(model.__name__, {}).pop("required", None)
    schema["properties"]["extend"] = {"type": "string", "description": EXTEND_DESCRIPTION, "examples": ["default"]}
    schema["properties"]["replace"] = {
        "type": "array",
        "items": {"type": "string"},
        "description": REPLACE_DESCRIPTION,
        "examples": [["recognizers.presidio", "recognizers.ignore_entities"]],
    }
    # `PERSON: token` is shorthand for `PERSON: {operator: token}` (see MaskingProfile._shorthand).
    entities = schema["$defs"]["MaskingProfile"]["properties"]["entities"]
    entities["additionalProperties"] = {
        "anyOf": [
            {"$ref": "#/$defs/OperatorSpec"},
            {"enum": list(typing.get_args(_flatten_literal(OperatorName)))},
        ]
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "govflow rule file",
        "description": (
            "One file of a govflow policy. Generated from govflow.policy.models by `govflow schema`; "
            "do not edit. Reference: docs/rules-reference.md."
        ),
        **{k: v for k, v in schema.items() if k not in {"title", "description"}},
    }


def render_schema() -> str:
    return json.dumps(rule_file_schema(), indent=2, ensure_ascii=False) + "\n"


def _flatten_literal(annotation: Any) -> Any:
    """Literal[Literal['a'], 'b'] → Literal['a', 'b'] (what `OperatorName` is made of)."""
    values: list[Any] = []
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            values.extend(typing.get_args(_flatten_literal(arg)))
        else:
            values.append(arg)
    return typing.Literal[tuple(values)]


# -- the reference page --------------------------------------------------------------------------------


def documented_models() -> list[tuple[type[BaseModel], list[str]]]:
    """Every model reachable from Policy, in order of first appearance, with the key paths that use it."""
    order: list[type[BaseModel]] = [Policy]
    used_at: dict[type[BaseModel], list[str]] = {Policy: ["(a rule file's top level)"]}
    queue: list[tuple[type[BaseModel], str]] = [(Policy, "")]
    while queue:
        model, prefix = queue.pop(0)
        for name, field in model.model_fields.items():
            path = f"{prefix}{name}"
            for child, suffix in _children(field.annotation):
                if child not in used_at:
                    order.append(child)
                    used_at[child] = []
                    queue.append((child, f"{path}{suffix}."))
                used_at[child].append(f"{path}{suffix}")
    return [(m, used_at[m]) for m in order]


def _children(annotation: Any, suffix: str = "") -> list[tuple[type[BaseModel], str]]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _children(arg, suffix)]
    if origin is list:
        return _children(typing.get_args(annotation)[0], f"{suffix}[]")
    if origin is dict:
        return _children(typing.get_args(annotation)[1], f"{suffix}.<name>")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, suffix)]
    return []


def _type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        text = " or ".join(_type(a) for a in args)
        return f"{text} or null" if len(args) < len(typing.get_args(annotation)) else text
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{v}`" for v in typing.get_args(_flatten_literal(annotation)))
    if origin is list:
        return f"list of {_type(typing.get_args(annotation)[0])}"
    if origin is dict:
        return f"map of name → {_type(typing.get_args(annotation)[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    return names.get(annotation, "any")


def _constraints(field: FieldInfo) -> str:
    words = [
        (Ge, "ge", "≥ {}"),
        (Gt, "gt", "> {}"),
        (Le, "le", "≤ {}"),
        (Lt, "lt", "< {}"),
        (MinLen, "min_length", "at least {} item(s)"),
        (MaxLen, "max_length", "at most {} item(s)"),
    ]
    return ", ".join(
        template.format(getattr(meta, attr))
        for meta in field.metadata
        for kind, attr, template in words
        if isinstance(meta, kind)
    )


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        try:
            if type(value)() == value:
                return "the defaults of its keys"
        except ValueError:
            pass  # a model with required keys: show the value
        value = value.model_dump(mode="json", exclude_none=True)
    if value is None:
        return "none"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference_markdown() -> str:
    """docs/rules-reference.md: every key of every model, with type, default and description."""
    lines = [
        "# Rule format reference",
        "",
        "<!-- Generated from src/govflow/policy/models.py by "
        f"`govflow schema --format markdown --out {REFERENCE_PATH}`; do not edit by hand. -->",
        "",
        "Every key a rule file may hold, generated from the models `govflow validate` checks against, so it is",
        "always the format the code accepts. For a guided tour with examples see [rules.md](rules.md); editors",
        f"complete and check rule files with the JSON Schema in [`{SCHEMA_PATH}`](../{SCHEMA_PATH}).",
        "",
        "A policy is one YAML file or a directory of them, merged in name order (mappings merge, lists",
        "concatenate, a scalar set differently in two files is an error). Unknown keys are errors.",
        "",
        "| key | type | default | description |",
        "|---|---|---|---|",
        f"| `extend` | string | none | {_cell(EXTEND_DESCRIPTION)} |",
        f"| `replace` | list of string | `[]` | {_cell(REPLACE_DESCRIPTION)} |",
    ]
    for model, used_at in documented_models():
        if model is not Policy:
            lines += ["", f"## {model.__name__}", ""]
            lines.append("Used at: " + ", ".join(f"`{p}`" for p in used_at) + ".")
            lines.append("")
            if model.__doc__:
                lines += [" ".join(model.__doc__.split()), ""]
            lines += ["| key | type | default | description |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            kind = _type(field.annotation)
            limits = _constraints(field)
            kind += f" ({limits})" if limits else ""
            description = field.description or ""
            lines.append(f"| `{name}` | {_cell(kind)} | {_cell(_default(field))} | {_cell(description)} |")
    return "\n".join(lines) + "\n"
