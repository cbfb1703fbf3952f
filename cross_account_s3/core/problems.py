"""Problems found in user input, collected and reported together.

A user who fixes one typo should not have to run `pulumi preview` again to learn about the next
one, so validation collects every problem first and raises once. Each problem says where it is
(file, line, grant, field), what is wrong, and what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows."""

    file: str
    line: int | None
    grant: str | None
    field: str | None
    message: str
    fix: str

    @classmethod
    def in_file(cls, file: str, message: str, fix: str, line: int | None = None) -> Problem:
        """A problem with a whole file (or one line of it) rather than with a grant's field."""
        return cls(file=file, line=line, grant=None, field=None, message=message, fix=fix)

    def render(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        subject = []
        if self.grant is not None:
            subject.append(f"grant '{self.grant}'")
        if self.field is not None:
            subject.append(f"field '{self.field}'")
        about = f" {', '.join(subject)}:" if subject else ""
        return f"{where}:{about} {self.message}\n    fix: {self.fix}"


class InputProblems(Exception):
    """Raised once with every problem found; nothing has been registered when it is raised."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        # Sorted into file order, so the report reads from the top of each file down. A problem found twice
        # (a mapping a YAML alias uses again is validated at each use, at the same line) is listed once.
        self.problems: tuple[Problem, ...] = tuple(
            sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.grant or "", p.field or "", p.message, p.fix))
        )
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"cross-account-s3 found {count} {noun} in its input; nothing was created or changed."]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)


def raise_if_any(problems: list[Problem]) -> None:
    """Raise `InputProblems` when the list is not empty."""
    if problems:
        raise InputProblems(problems)
