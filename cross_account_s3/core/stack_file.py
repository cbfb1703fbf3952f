"""Reading a stack file (`Pulumi.<stack>.yaml`) the way the Pulumi CLI hands its config to a program.

`plan` and the tests run the program without the Pulumi CLI, so they read the stack file here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .problems import InputProblems, Problem
from .yaml_source import not_utf8


class _DuplicateKey(Exception):
    """A key written twice in one mapping: go-yaml, which the Pulumi CLI reads stack files with, refuses it."""

    def __init__(self, key: str, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(key)
        self.key, self.first_line, self.line = key, first.line + 1, again.line + 1


class _Yaml12Loader(yaml.SafeLoader):
    """Reads plain digit strings as YAML 1.2 does, as the Pulumi CLI (go-yaml) does: `012345678901` is the
    decimal number 12345678901, not a string (PyYAML's YAML 1.1 reading, when it is no valid octal) and not
    an octal number. So an unquoted account ID reaches the program here exactly as it does under Pulumi."""


def _refuse_duplicate_keys(node: yaml.Node | None, seen: set[int]) -> None:
    """A key written twice in one mapping, as go-yaml refuses it, instead of PyYAML's keeping the last: a second
    `bucketAccount` block would otherwise silently re-point the stack at another account.

    Checked on the composed document, before anything is built: building a mapping with a merge key (`<<`)
    rewrites the merged mappings in place, after which merged and overriding keys would look written twice.
    """
    if node is None or id(node) in seen:  # an alias is the same node again
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in first:
                    raise _DuplicateKey(key_node.value, first[key_node.value], key_node.start_mark)
                first[key_node.value] = key_node.start_mark
            _refuse_duplicate_keys(value_node, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, seen)


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(str(loader.construct_scalar(node)).replace("_", ""), 10)


_DECIMAL_TAG = "tag:cross-account-s3:decimal"
_DECIMAL = re.compile(r"^[-+]?[0-9]+$")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# Checked before PyYAML's own int and float patterns for the same first characters. YAML 1.2 has no dates: an
# unquoted 2024-01-01 stays the text written (a date in an object could not even be handed over as JSON).
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        *([(_DECIMAL_TAG, _DECIMAL)] if first in "+-0123456789" else []),
        *(resolver for resolver in resolvers if resolver[0] != _TIMESTAMP_TAG),
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_constructor(_DECIMAL_TAG, _decimal)


def stack_config(project_root: Path, stack: str) -> dict[str, str]:
    """The stack file's config as Pulumi hands it to a program: every value as text, objects as JSON."""
    path = project_root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputProblems([not_utf8(path.name, error)]) from None
    except (OSError, ValueError) as error:
        raise InputProblems(
            [
                Problem.in_file(
                    path.name, f"the stack file cannot be read: {error}", "make it a readable UTF-8 text file"
                )
            ]
        ) from None
    return config_of(text, path.name)


def config_of(text: str, shown_as: str) -> dict[str, str]:
    """The config of a stack file's text (read from disk, or from git at a revision), as Pulumi hands it over."""
    try:
        loader = _Yaml12Loader(text)
        try:
            document = loader.get_single_node()
            _refuse_duplicate_keys(document, set())
            data = (loader.construct_document(document) if document is not None else None) or {}
        finally:
            loader.dispose()
    except _DuplicateKey as twice:
        raise InputProblems(
            [
                Problem.in_file(
                    shown_as,
                    f"the key '{twice.key}' appears twice in one mapping (first on line {twice.first_line}); "
                    "`pulumi preview` refuses such a stack file, and reading it would keep only the last one",
                    f"remove one of the two '{twice.key}' entries",
                    line=twice.line,
                )
            ]
        ) from None
    except RecursionError:
        raise InputProblems(
            [
                Problem.in_file(
                    shown_as, "the stack file nests too deeply to read", "correct its brackets and indentation"
                )
            ]
        ) from None
    except (yaml.YAMLError, ValueError) as error:
        mark = getattr(error, "problem_mark", None)
        raise InputProblems(
            [
                Problem.in_file(
                    shown_as,
                    f"the stack file is not valid YAML: {error}".splitlines()[0],
                    "correct its YAML syntax; `pulumi preview` cannot read it either",
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    config: dict[str, str] = {}
    for key, value in ((data.get("config") if isinstance(data, dict) else None) or {}).items():
        if isinstance(value, (dict, list)):
            config[key] = json.dumps(value)
        elif isinstance(value, bool):
            config[key] = str(value).lower()
        else:
            config[key] = str(value)
    return config
