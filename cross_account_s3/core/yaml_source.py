"""YAML loading that remembers where every value came from.

Error messages must name the file and line of the offending value, and PyYAML drops that
information once it builds Python objects. We compose the node tree first, record the line of
every key and item by its path (the same shape as pydantic's error locations), and refuse
duplicate mapping keys, which PyYAML would otherwise resolve silently by keeping the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import InputProblems, Problem

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document with the line (1-based) of every path in it."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def _index_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], problems: list[Problem], file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            key_line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        file=file,
                        line=key_line,
                        grant=None,
                        field=key,
                        message=f"the key '{key}' appears twice in one mapping (first on line {seen[key]}); "
                        "YAML would silently keep only the last one",
                        fix=f"remove one of the two '{key}' entries",
                    )
                )
                continue
            seen[key] = key_line
            lines[(*path, key)] = key_line
            _index_lines(value_node, (*path, key), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, problems, file)


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document, raising `InputProblems` on syntax errors or duplicate keys."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return YamlDocument(file=file, data=None)
            problems: list[Problem] = []
            lines: dict[PathKey, int] = {}
            _index_lines(node, (), lines, problems, file)
            if problems:
                raise InputProblems(problems)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise InputProblems(
            [
                Problem(
                    file=file,
                    line=mark.line + 1 if mark else None,
                    grant=None,
                    field=None,
                    message=f"this is not valid YAML: {reason}",
                    fix="correct the YAML syntax at that line (indentation, a missing ':' or an unclosed quote "
                    "are the usual causes)",
                )
            ]
        ) from None
    except yaml.YAMLError as error:
        raise InputProblems(
            [
                Problem(
                    file=file,
                    line=None,
                    grant=None,
                    field=None,
                    message=f"this is not valid YAML: {error}",
                    fix="correct the YAML syntax",
                )
            ]
        ) from None
    return YamlDocument(file=file, data=data, lines=lines)


def read_yaml(path: Path, shown_as: str) -> YamlDocument:
    """Read and parse a YAML file; a missing or unreadable file is a reported problem, not a traceback."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputProblems(
            [
                Problem(
                    file=shown_as,
                    line=None,
                    grant=None,
                    field=None,
                    message="the file does not exist",
                    fix="create it, or point the stack setting 'grantsFile' at the right file",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputProblems(
            [
                Problem(
                    file=shown_as,
                    line=None,
                    grant=None,
                    field=None,
                    message=f"the file cannot be read: {error}",
                    fix="make it a readable UTF-8 text file",
                )
            ]
        ) from None
    return parse_yaml(text, shown_as)
