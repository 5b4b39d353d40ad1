"""Load rule files: parse YAML keeping line numbers, merge files, validate, and hash the result.

Line numbers survive the merge because every value's origin is tracked by its path in the merged
document; a validation error's path then leads back to the file and line the steward wrote.
"""

from __future__ import annotations

import hashlib
import json
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from govflow.policy.errors import PolicyError, PolicyIssue, did_you_mean
from govflow.policy.models import Policy

Path_ = tuple[str | int, ...]
Location = tuple[str, int, int]

DEFAULT_PACK = "default"
# Lists in which an extending file's entries are tried before the base's (first match wins).
_PREPEND_WHEN_EXTENDING = {("routes", "rules")}


@dataclass
class LocatedDocument:
    """Plain data plus where each path came from."""

    data: dict[str, Any] = field(default_factory=dict)
    locations: dict[Path_, Location] = field(default_factory=dict)


def bundled_rules_dir() -> Path:
    """The default pack shipped inside the package (a copy of the repo's rules/)."""
    return Path(str(resources.files("govflow") / "rules"))


def bundled_packs() -> dict[str, Path]:
    """Packs shipped inside the package, by the name `--rules` and `extend:` accept: `default` (the repo's
    rules/) and one per file of the repo's packs/ (`prose`)."""
    packs = {DEFAULT_PACK: bundled_rules_dir()}
    packs.update((p.stem, p) for p in sorted(Path(str(resources.files("govflow") / "packs")).glob("*.yaml")))
    return packs


def resolve_rules(path: str | Path) -> Path:
    """A rule file or directory that exists, else the bundled pack of that name; else a PolicyError."""
    given = Path(path)
    if given.exists():
        return given
    packs = bundled_packs()
    if str(path) in packs:
        return packs[str(path)]
    names = ", ".join(packs)
    raise PolicyError(
        [
            PolicyIssue(
                str(path),
                None,
                None,
                "",
                f"no such file or directory, nor a bundled pack ({names}){did_you_mean(path, packs)}",
            )
        ]
    )


def rule_files(path: Path) -> list[Path]:
    """Policy files of a path: the file itself, or every *.yaml/*.yml below a directory, in name order.

    Steward tests (`*.test.yaml`, or anything under a `tests/` folder) are not policy.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise PolicyError([PolicyIssue(str(path), None, None, "", "no such file or directory")])
    files = [
        p
        for p in sorted(path.rglob("*"))
        if p.suffix in {".yaml", ".yml"}
        and not p.name.endswith((".test.yaml", ".test.yml"))
        and "tests" not in p.relative_to(path).parts[:-1]
    ]
    if not files:
        raise PolicyError([PolicyIssue(str(path), None, None, "", "no .yaml rule files in this directory")])
    return files


def _plain(node: Any, file: str, path: Path_, locations: dict[Path_, Location]) -> Any:
    """ruamel's round-trip nodes → plain Python, recording each key's and item's line and column."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            line, col = node.lc.key(key)
            locations[(*path, str(key))] = (file, line + 1, col + 1)
            out[str(key)] = _plain(value, file, (*path, str(key)), locations)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            locations[(*path, i)] = (file, line + 1, col + 1)
            items.append(_plain(value, file, (*path, i), locations))
        return items
    return node


def parse_located(file: Path) -> LocatedDocument:
    """One YAML file as plain data plus the file:line:column of every key, so any later check (policy
    models, steward test files) can point at the line a person must edit."""
    yaml = YAML(typ="rt")
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        raise PolicyError(
            [
                PolicyIssue(
                    str(file),
                    line,
                    col,
                    "",
                    f"YAML syntax: {problem} (check indentation and quoting)",
                    code="yaml-syntax",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([PolicyIssue(str(file), None, None, "", f"cannot read: {exc}")]) from None
    if raw is None:
        return LocatedDocument()
    if not isinstance(raw, CommentedMap):
        raise PolicyError(
            [
                PolicyIssue(
                    str(file),
                    1,
                    1,
                    "",
                    "a rule file must be a mapping of keys such as routes:, destinations:",
                )
            ]
        )
    doc = LocatedDocument()
    doc.data = _plain(raw, str(file), (), doc.locations)
    return doc


def _shift(locations: dict[Path_, Location], prefix: Path_, offset: int) -> dict[Path_, Location]:
    """Renumber list items under `prefix` by `offset` (their new index after concatenation)."""
    depth = len(prefix)
    out: dict[Path_, Location] = {}
    for path, loc in locations.items():
        if path[:depth] == prefix and len(path) > depth and isinstance(path[depth], int):
            path = (*prefix, path[depth] + offset, *path[depth + 1 :])
        out[path] = loc
    return out


def _merge(base: LocatedDocument, new: LocatedDocument, *, override: bool) -> LocatedDocument:
    """Merge `new` into `base`. Mappings merge, lists concatenate, scalars must agree unless `override`."""
    issues: list[PolicyIssue] = []
    locations = dict(base.locations)
    new_locations = dict(new.locations)

    def merge(a: Any, b: Any, path: Path_) -> Any:
        nonlocal new_locations
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            for key, value in b.items():
                out[key] = merge(a[key], value, (*path, key)) if key in a else value
            return out
        if isinstance(a, list) and isinstance(b, list):
            if override and path in _PREPEND_WHEN_EXTENDING:
                for p in [p for p in locations if p[: len(path)] == path]:
                    loc = locations.pop(p)
                    shifted = _shift({p: loc}, path, len(b))
                    locations.update(shifted)
                return b + a
            new_locations = _shift(new_locations, path, len(a))
            return a + b
        if a != b and not override:
            file_a = locations.get(path, ("?", 0, 0))
            file_b = new_locations.get(path, ("?", None, None))
            issues.append(
                PolicyIssue(
                    file_b[0],
                    file_b[1],
                    file_b[2],
                    dotted(path),
                    f"conflicts with {file_a[0]}:{file_a[1]} which sets it differently; set it in one file only",
                    code="merge-conflict",
                )
            )
            return a
        return b

    merged = merge(base.data, new.data, ())
    if issues:
        raise PolicyError(issues)
    locations.update(new_locations)
    return LocatedDocument(merged, locations)


def dotted(path: Path_) -> str:
    """`routes.rules[2].when`: the spelling of a path that error messages and docs use."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read_pack(path: Path, seen: frozenset[Path] = frozenset()) -> LocatedDocument:
    """All files of a pack merged, with `extend:` resolved (the base first, this pack on top) and the
    base's lists named in `replace:` dropped first, so this pack's own lists stand alone."""
    files = rule_files(path)
    docs = [parse_located(f) for f in files]
    extends = {(doc.data.pop("extend"), f) for doc, f in zip(docs, files, strict=True) if "extend" in doc.data}
    replaces = [_replace_request(doc, f) for doc, f in zip(docs, files, strict=True) if REPLACE in doc.data]
    merged = LocatedDocument()
    for doc in docs:
        merged = _merge(merged, doc, override=False)
    if not extends:
        if replaces:
            raise PolicyError(
                [
                    PolicyIssue(file, line, col, REPLACE, "replace: only applies to a pack that extends another")
                    for (file, line, col), _ in replaces
                ]
            )
        return merged
    targets = {target for target, _ in extends}
    if len(targets) > 1:
        raise PolicyError(
            [
                PolicyIssue(str(f), None, None, "extend", "all files of a pack must extend the same base")
                for _, f in extends
            ]
        )
    target, file = next(iter(extends))
    # A base is a path relative to the extending file; a bundled pack's name where no such path exists.
    relative, packs = file.parent / str(target), bundled_packs()
    named = target == DEFAULT_PACK or (str(target) in packs and not relative.exists())
    base_path = (packs[str(target)] if named else relative).resolve()
    if base_path in seen or base_path == path.resolve():
        raise PolicyError([PolicyIssue(str(file), None, None, "extend", f"circular extend of {target!r}")])
    base = _read_pack(base_path, seen | {path.resolve()})
    _drop_lists(base, replaces)
    return _merge(base, merged, override=True)


REPLACE = "replace"
_Where = tuple[str, int | None, int | None]
_ReplaceItem = tuple[_Where, object]


def _replace_request(doc: LocatedDocument, file: Path) -> tuple[_Where, list[_ReplaceItem]]:
    """Take `replace:` out of a file: where it was written, and each entry with its own location."""
    value = doc.data.pop(REPLACE)
    here: _Where = doc.locations.get((REPLACE,), (str(file), None, None))
    entries = value if isinstance(value, list) else [value]
    items = [(doc.locations.get((REPLACE, i), here), entry) for i, entry in enumerate(entries)]
    for key in [k for k in doc.locations if k[0] == REPLACE]:
        del doc.locations[key]
    return (str(file), here[1], here[2]), items


def _drop_lists(base: LocatedDocument, replaces: list[tuple[_Where, list[_ReplaceItem]]]) -> None:
    """Remove from `base` each list a `replace:` entry names, with the locations of its items."""
    lists = dict(_list_paths(base.data, ()))
    issues = []
    for _, items in replaces:
        for (file, line, col), entry in items:
            path = lists.get(entry) if isinstance(entry, str) else None
            if path is None:
                issues.append(
                    PolicyIssue(
                        file,
                        line,
                        col,
                        REPLACE,
                        f"{entry!r} names no list of the base pack{did_you_mean(entry, lists)}",
                        hint="write the dotted path of a list, such as recognizers.presidio",
                    )
                )
                continue
            parent = base.data
            for key in path[:-1]:
                parent = parent[key]
            parent.pop(path[-1], None)
            for key in [k for k in base.locations if k[: len(path)] == path]:
                del base.locations[key]
    if issues:
        raise PolicyError(issues)


def _list_paths(data: dict[str, Any], prefix: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(dotted path, path) of every list reachable through mappings only."""
    for key, value in data.items():
        path = (*prefix, key)
        if isinstance(value, list):
            yield ".".join(path), path
        elif isinstance(value, dict):
            yield from _list_paths(value, path)


def location_of(path: Path_, locations: dict[Path_, Location]) -> Location | None:
    """The location of the longest prefix of `path` that some file wrote."""
    for end in range(len(path), 0, -1):
        if path[:end] in locations:
            return locations[path[:end]]
    return None


def _unwrap(annotation: Any) -> Iterator[Any]:
    """Concrete classes inside Optional/Union/list/dict annotations."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _unwrap(arg)
    elif origin in (list, dict):
        yield from _unwrap(typing.get_args(annotation)[-1])
    elif isinstance(annotation, type):
        yield annotation


def _model_at(path: Path_) -> type[BaseModel] | None:
    """The model class that validates the mapping at `path` (to list its allowed keys)."""
    model: type[BaseModel] = Policy
    for part in path:
        if isinstance(part, int):
            continue
        if part not in model.model_fields:
            # a dict key (destination name, entity type, ...): stay on the dict's value model
            continue
        candidates = [c for c in _unwrap(model.model_fields[part].annotation) if issubclass(c, BaseModel)]
        if not candidates:
            return None
        model = candidates[0]
    return model


_PATH_PREFIX = re.compile(r"^(?P<path>[A-Za-z_][\w.\[\]-]*): (?P<rest>.*)$", re.S)


def _parse_dotted(dotted: str) -> Path_:
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", dotted):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(parts)


# pydantic error kinds → the stable codes `govflow validate` reports; other kinds are type or range errors.
_CODES = {"extra_forbidden": "unknown-key", "literal_error": "invalid-choice", "missing": "missing-key"}


def _issues_from(exc: ValidationError, locations: dict[Path_, Location], default_file: str) -> list[PolicyIssue]:
    issues = []
    for err in exc.errors():
        path: Path_ = tuple(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        code = _CODES.get(kind) or getattr(err.get("ctx", {}).get("error"), "code", None) or "invalid-value"
        if kind not in _CODES and kind != "value_error" and isinstance(err.get("input"), (str, int, float, bool)):
            message += f" (got {err['input']!r})"
        if kind == "extra_forbidden":
            model = _model_at(path[:-1])
            allowed = sorted(model.model_fields) if model else []
            message = f"unknown key {path[-1]!r}{did_you_mean(path[-1], allowed)}; allowed keys: {', '.join(allowed)}"
        elif kind == "literal_error":
            expected = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
            message = f"{err['input']!r} is not one of {expected}{did_you_mean(err['input'], expected)}"
        elif kind == "missing":
            message = "required key is missing"
        match = _PATH_PREFIX.match(message)
        if match and kind == "value_error":
            path = (*path, *_parse_dotted(match["path"]))
            message = match["rest"]
        loc = location_of(path, locations) or (default_file, None, None)
        issues.append(PolicyIssue(loc[0], loc[1], loc[2], dotted(path), message, code=code))
    return issues


@dataclass(frozen=True)
class LocatedPolicy:
    """A loaded policy and where each of its keys and items was written (for checks that point at a line)."""

    policy: Policy
    root: Path
    locations: dict[Path_, Location]

    def where(self, path: Path_) -> tuple[str, int | None, int | None]:
        """file, line, column of `path` (or of its nearest written parent; the root when nothing is)."""
        return location_of(path, self.locations) or (str(self.root), None, None)


def load_policy_located(path: str | Path | None = None) -> LocatedPolicy:
    """`load_policy`, keeping the line of every key and list item."""
    root = bundled_rules_dir() if path is None else resolve_rules(path)
    doc = _read_pack(root)
    try:
        return LocatedPolicy(Policy.model_validate(doc.data), root, doc.locations)
    except ValidationError as exc:
        raise PolicyError(_issues_from(exc, doc.locations, str(root))) from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a rule file or a directory of them; `None` loads the bundled default pack.

    Raises `PolicyError` listing every problem with file:line:column, field and a hint.
    """
    return load_policy_located(path).policy


def policy_version(policy: Policy) -> str:
    """sha256 of the normalised policy: equal for equal meaning, whatever the file layout or comments."""
    return hashlib.sha256(policy_to_text(policy).encode("utf-8")).hexdigest()


def policy_from_text(text: str) -> Policy:
    """Rebuild a policy from its normalised JSON (how it travels to Spark executors)."""
    return Policy.model_validate_json(text)


def policy_to_text(policy: Policy) -> str:
    return json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
