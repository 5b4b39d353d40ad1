"""Errors a data steward can act on: file, line, field, what is wrong and what to write instead."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix when a close choice exists, else ''."""
    matches = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


@dataclass(frozen=True)
class PolicyIssue:
    """One problem in a rule file. `field` is the dotted path inside the merged policy.

    `code` is stable (tools and CI filters key on it); `hint` says what to write instead, when the message
    does not already.
    """

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    severity: str = "error"
    code: str = ""
    hint: str = ""

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class PolicyError(ValueError):
    """A policy that cannot be loaded. Nothing of it is used: no partial loads."""

    def __init__(self, issues: list[PolicyIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(issue.render() for issue in issues))
