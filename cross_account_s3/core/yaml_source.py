"""YAML loading that remembers where every value came from.

Error messages must name the file and line of the offending value, and PyYAML drops that
information once it builds Python objects. We compose the node tree first, record the line of
every key and item by its path (the same shape as pydantic's error locations), and refuse
duplicate mapping keys, which PyYAML would otherwise resolve silently by keeping the last one. We
also note each unquoted value that YAML 1.1 reads differently from how it is written (an account ID
with a leading 0 is an octal number): where a value is copied verbatim, that is a problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    # Unquoted values YAML reads as something else than their text (012 as 10, yes as true), by path:
    # (what happened, what to do).
    rereads: dict[PathKey, tuple[str, str]] = field(default_factory=dict)
    # A grants file's problems as YAML (a key written twice, a key that is not text), found before it was
    # built: the document was mended to be built anyway, and its validation reports these with its own.
    problems: tuple[Problem, ...] = ()

    def line_of(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


# A grants file nests about six levels and holds a few thousand values. These bounds keep a malformed
# or hostile file (a YAML alias that refers to itself, "billion laughs" aliases, thousands of brackets)
# from ending in a RecursionError or running for hours, and they are far above any real file.
MAX_DEPTH = 64
MAX_VALUES = 100_000


class _Unreadable(Exception):
    """The document cannot be checked at all; carries the one problem to report."""

    def __init__(self, line: int | None, message: str, fix: str) -> None:
        super().__init__(message)
        self.line, self.message, self.fix = line, message, fix


def _is_text(value: object) -> bool:
    """False for text with a lone surrogate (YAML's "\\ud800" escape), which no AWS API or Pulumi message can carry."""
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# How YAML 1.1 (PyYAML's schema) reads some unquoted values differs from how they are written: 012345670123
# is the octal number 1402433619, 1_000 is 1000, 1:30 is 90, and yes/no/on/off are true/false. Where the
# program copies a value as it is (a statement kept under extraStatements), that would silently change
# it, so a number or a boolean is accepted unquoted only when it is written as JSON writes one (decimal
# digits, true or false): then YAML reads the value written (1.10 is 1.1, the same number).
_PLAIN_AS_WRITTEN = {
    "tag:yaml.org,2002:int": re.compile(r"[-+]?(?:0|[1-9][0-9]*)"),
    "tag:yaml.org,2002:float": re.compile(
        r"[-+]?(?:0|[1-9][0-9]*)?\.[0-9]*(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)"
    ),
    "tag:yaml.org,2002:bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
}


_NUMBER_READINGS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda text: text.startswith("0x"), "0x makes it hexadecimal"),
    (lambda text: text.startswith("0b"), "0b makes it binary"),
    (lambda text: ":" in text, "YAML 1.1 reads ':' as base 60, as in a time of day"),
    (lambda text: "_" in text, "YAML 1.1 ignores '_' in a number"),
    (lambda text: text.startswith("0"), "a leading 0 makes it octal"),
)


def _read_otherwise(node: yaml.Node) -> tuple[str, str] | None:
    """(message, fix) for an unquoted scalar that YAML reads as something other than what its text says."""
    pattern = _PLAIN_AS_WRITTEN.get(node.tag) if isinstance(node, yaml.ScalarNode) and not node.style else None
    if pattern is None or pattern.fullmatch(node.value):
        return None
    try:
        read = yaml.safe_load(node.value)
    except (ValueError, yaml.YAMLError):  # a number too long for Python: reported when the document is built
        return None
    if isinstance(read, bool):
        return (
            f"the unquoted value {node.value!r} is read by YAML as {str(read).lower()}, not as the text written",
            f"write {str(read).lower()} if you mean it, or put the text in quotes: '{node.value}'",
        )
    text = node.value.lstrip("+-").lower()
    why = next((reason for found, reason in _NUMBER_READINGS if found(text)), "YAML 1.1 reads it differently from JSON")
    return (
        f"the unquoted value {node.value} is read by YAML as the number {read}, not as written ({why})",
        f'put it in quotes ("{node.value}") to keep it as written, or write the number as {read}',
    )


# What YAML 1.1 makes of an unquoted key that is not text. A key is a name (of a grant's field, a bucket,
# a policy element); JSON, and so every AWS policy, has no other kind, and pydantic would only say "Keys
# should be strings", at the wrong line. A tag not listed here (a custom `!tag`) is left to the constructor.
_KEY_READINGS = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean (true or false)",
    "tag:yaml.org,2002:null": "null (no value)",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:binary": "binary data",
}
_STANDARD_TAG = "tag:yaml.org,2002:"
_TEXT_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"  # `<<`
_VALUE_TAG = "tag:yaml.org,2002:value"  # `=`
# What each kind of node is built as untagged. A grants file needs no written tag but `!!str`: any other
# (`!foo`, `!!seq` on a mapping, `!!int abc`, `!!set`) would stop the building, or build something no
# field takes, so it is reported and dropped.
_PLAIN_TAGS = {
    yaml.ScalarNode: _TEXT_TAG,
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}
_RESOLVER = yaml.resolver.Resolver()  # the safe schema's implicit tags, to tell a tag written from one implied


def render_location(location: PathKey) -> str:
    """('users', 1) -> 'users[1]', the way a YAML author would point at the item."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def item_label(name: object, index: int) -> str:
    """How a problem names an item of a named list (a grant): its name, or its position when it has none."""
    return name if isinstance(name, str) and name else f"#{index + 1} (unnamed)"


def _built_value(node: yaml.MappingNode, key: str, memo: dict[int, yaml.Node | None]) -> yaml.Node | None:
    """The node PyYAML builds `key`'s value from: the mapping's own key, else what it merges in with `<<`,
    a later `<<` over an earlier one and, of a list of mappings, the first. `memo` keeps it linear in the
    mappings, however often aliases reuse them, and ends a mapping that merges itself."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = None
    own = [value for name, value in node.value if name.tag == _TEXT_TAG and name.value == key]
    found = own[-1] if own else None
    for name, value in reversed(node.value if found is None else []):
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources if name.tag == _MERGE_TAG else []:
            if found is None and isinstance(source, yaml.MappingNode):
                found = _built_value(source, key, memo)
    memo[id(node)] = found
    return found


def _name_of(item: yaml.Node) -> str | None:
    """The grant's `name` as building the (mended) document gives it, or None when that is not text."""
    name = _built_value(item, "name", {}) if isinstance(item, yaml.MappingNode) else None
    return name.value if isinstance(name, yaml.ScalarNode) and name.tag == _TEXT_TAG else None


def _key_reading(key_node: yaml.Node) -> str | None:
    """What YAML reads a mapping key as when that is not text, or None for a text key."""
    if isinstance(key_node, yaml.MappingNode):
        return "a mapping"
    if isinstance(key_node, yaml.SequenceNode):
        return "a list"
    return _KEY_READINGS.get(key_node.tag)


def _tag_written(node: yaml.Node) -> bool:
    """Whether a node's tag was written (`!!int '7'`, `!foo`) rather than implied. `!!int 7` is the same node
    as `7`, and counts as implied."""
    return node.tag != _implied_tag(node)


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_INT_TAG = "tag:yaml.org,2002:int"
_PYTHON_DIGITS = 4_300  # Python refuses to read a longer number (sys.get_int_max_str_digits)


def _unbuildable(node: yaml.ScalarNode) -> str | None:
    """Why YAML reads a plain value as a date or number it then cannot build (2001-99-99, 5,000 digits), if it does."""
    if node.tag == _INT_TAG and len(node.value) > _PYTHON_DIGITS:
        return f"the number here has {len(node.value):,} digits, more than Python will read"
    if node.tag == _TIMESTAMP_TAG:
        try:
            yaml.SafeLoader.construct_yaml_timestamp(yaml.SafeLoader(""), node)
        except (ValueError, TypeError, AttributeError, OverflowError) as error:  # as parse_yaml catches them
            return f"the value {node.value} is read by YAML as a date, but it is no date ({error})"
    return None


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_STANDARD_TAG) if tag.startswith(_STANDARD_TAG) else tag


def _implied_tag(node: yaml.Node) -> str:
    """The tag a node has when none is written: a plain scalar's as its text reads, else text, list or mapping."""
    if isinstance(node, yaml.ScalarNode):
        implied = _RESOLVER.resolve(yaml.ScalarNode, node.value, (not node.style, True))  # type: ignore[no-untyped-call]
        return str(implied)
    return _PLAIN_TAGS[type(node)]


@dataclass
class _Index:
    """One walk over a composed document, before anything is built: the line of every path, what YAML reads
    differently from what is written, and what is wrong with the document as YAML.

    For a grants file (`grant_list`, the path of its grants, is given), every key must be text, and the
    document is mended so that it can still be built and validated, and every problem reported at once:
    a key that is not text becomes its text, an empty or list key is dropped, of a key written twice the
    first is kept (the one the lines point at), a tag the file cannot hold is dropped, and so is a `<<`
    that merges no mapping. Each problem names its grant as validation will, from the mended document.
    A node reached again through an alias or a merge (`<<`) is reported once, where it is first written.
    """

    file: str
    grant_list: PathKey | None
    lines: dict[PathKey, int] = field(default_factory=dict)
    rereads: dict[PathKey, tuple[str, str]] = field(default_factory=dict)
    findings: list[tuple[PathKey, int, str, str]] = field(default_factory=list)  # (path, line, message, fix)
    fatal: bool = False  # a finding the document cannot be built past (text that is not Unicode)
    grants: dict[PathKey, yaml.Node] = field(default_factory=dict)  # each grant's node, by its path
    checked: set[int] = field(default_factory=set)  # nodes already checked, by id: an alias is the same node
    values: int = 0

    @property
    def grants_file(self) -> bool:
        return self.grant_list is not None

    def note(self, path: PathKey, line: int, message: str, fix: str) -> None:
        self.findings.append((path, line, message, fix))

    def problems(self) -> list[Problem]:
        """The findings as problems, each inside a grant naming it (the document mended, as it is built)."""
        labels = {path: item_label(_name_of(node), int(path[-1])) for path, node in self.grants.items()}
        depth = len(self.grant_list or ()) + 1  # a grant's path: its list's, then its index
        problems = []
        for path, line, message, fix in self.findings:
            grant = labels.get(path[:depth])
            field_path = path[depth:] if grant is not None else path  # inside a grant, the rest names its field
            problems.append(
                Problem(
                    file=self.file,
                    line=line,
                    grant=grant,
                    field=render_location(field_path) or None,
                    message=message,
                    fix=fix,
                )
            )
        return problems

    def walk(self, node: yaml.Node, path: PathKey) -> None:
        line = node.start_mark.line + 1
        self.values += 1
        if len(path) > MAX_DEPTH:
            raise _Unreadable(
                line,
                f"the document nests more than {MAX_DEPTH} levels deep (or a YAML alias refers to itself); a "
                "grants file needs about six",
                "flatten the structure, and remove any alias (*name) that points at a value containing it",
            )
        if self.values > MAX_VALUES:
            raise _Unreadable(
                line,
                f"the document holds more than {MAX_VALUES:,} values, counting each use of a YAML alias",
                "split the grants, or write them out instead of repeating large aliases",
            )
        self.lines.setdefault(path, line)
        if "<<" not in path and (reread := _read_otherwise(node)) is not None:  # a merged value: at its anchor
            self.rereads[path] = reread
        first_time = id(node) not in self.checked
        self.checked.add(id(node))
        if first_time:
            self._check(node, path, line)
        if isinstance(node, yaml.MappingNode):
            self._walk_mapping(node, path, report=first_time)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                if path == self.grant_list:
                    self.grants.setdefault((*path, index), item)  # of a `grants:` written twice, the first
                self.walk(item, (*path, index))

    def _check(self, node: yaml.Node, path: PathKey, line: int) -> None:
        if isinstance(node, yaml.ScalarNode) and not _is_text(node.value):
            self.fatal = True
            self.note(
                path,
                line,
                f"the value {node.value!r} is not valid Unicode text (it holds a lone surrogate escape)",
                "remove the \\uD800-\\uDFFF escape; write the character itself",
            )
        if not self.grants_file:
            return
        if node.tag in (_MERGE_TAG, _VALUE_TAG):  # a plain `<<` or `=` where a value is
            message = f"the value '{node.value}' is read by YAML as a merge or value marker, not as text"
            self.note(path, line, message, f"put it in quotes ('{node.value}')")
            node.tag = _TEXT_TAG
        elif not _tag_written(node):
            if isinstance(node, yaml.ScalarNode) and (unbuildable := _unbuildable(node)) is not None:
                self.note(path, line, unbuildable, f'put it in quotes ("{node.value}") so YAML keeps it as text')
                node.tag = _TEXT_TAG
        elif node.tag != _TEXT_TAG:
            self.note(
                path,
                line,
                f"the YAML tag {_short_tag(node.tag)} is not one a grants file can hold",
                "remove the tag: write the value as text, a number, true or false, a list or a mapping",
            )
            node.tag = _implied_tag(node)  # mended: built as what it would be untagged, or else as text
            if isinstance(node, yaml.ScalarNode) and _unbuildable(node) is not None:
                node.tag = _TEXT_TAG

    def _walk_mapping(self, node: yaml.MappingNode, path: PathKey, *, report: bool) -> None:
        seen_keys: dict[str, int] = {}
        mended_keys: set[str] = set()  # keys that were not text: their collisions are no duplicates written
        kept: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            key_line = key_node.start_mark.line + 1
            if self.grants_file:
                mended = self._mend_key(key_node, value_node, path, key_line, report=report)
                if mended is None:
                    continue  # dropped
                if mended:
                    mended_keys.add(key)
            elif not _is_text(key):
                self.walk(key_node, path)
                continue
            if key_node.tag == _MERGE_TAG:
                kept.append((key_node, value_node))  # merged in when built; `<<` may be written more than once
                self.walk(value_node, (*path, key))
                continue
            if key in seen_keys:
                if report and key not in mended_keys:
                    self.note(
                        (*path, key),
                        key_line,
                        f"the key '{key}' appears twice in one mapping (first on line {seen_keys[key]}); "
                        "YAML would silently keep only the last one",
                        f"remove one of the two '{key}' entries",
                    )
                self.walk(value_node, (*path, key))  # dropped, the first being kept, but what is wrong in it is said
                continue
            seen_keys[key] = key_line
            kept.append((key_node, value_node))
            self.lines[(*path, key)] = key_line
            self.walk(value_node, (*path, key))
        if self.grants_file:
            node.value = kept

    def _mend_key(
        self, key_node: yaml.Node, value_node: yaml.Node, path: PathKey, line: int, *, report: bool
    ) -> bool | None:
        """A grants file's key made buildable: None to drop it, True when mended to its text, else False."""
        if key_node.tag == _MERGE_TAG:
            return self._mend_merge(value_node, path, line, report=report)
        reading = _key_reading(key_node)
        if not isinstance(key_node, yaml.ScalarNode) or (reading is not None and not key_node.value):
            if report:
                shown = reading or "not text"
                self.note(path, line, f"a key here is {shown}, not a name", "write the key as a name, or remove it")
            return None
        key, tag = str(key_node.value), _short_tag(key_node.tag)
        if key_node.tag in (_TEXT_TAG, _VALUE_TAG):  # `=` is built as the text "="
            return False
        if reading is None:  # a tag no key can have
            message = f"the key '{key}' has the YAML tag {tag}, which a grants file cannot hold"
            fix = "remove the tag"
        elif _tag_written(key_node):
            message, fix = (
                f"the key '{key}' is tagged {tag}, which makes it {reading}, not a name",
                f"remove the {tag} tag",
            )
        else:
            message = f"the key '{key}' is read by YAML as {reading}, not as a name"
            fix = f"put it in quotes ('{key}') if it is a name, or remove it"
        if report:
            self.note(path, line, message, f"{fix}: every key in a grants file is a name")
        key_node.tag = _TEXT_TAG  # mended: the text written, as quoting it would make it
        return True

    def _mend_merge(self, value_node: yaml.Node, path: PathKey, line: int, *, report: bool) -> bool | None:
        """`<<` merges a mapping or a list of mappings: anything else in it is reported and left out."""
        items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        mappings = [item for item in items if isinstance(item, yaml.MappingNode)]
        if len(mappings) < len(items) and report:
            self.note(
                path,
                line,
                "a merge key (<<) here merges something other than a mapping or a list of mappings",
                "merge a mapping (an alias such as *defaults that names one), or remove the <<",
            )
        if not mappings:
            return None
        if isinstance(value_node, yaml.SequenceNode):
            value_node.value = mappings
        return False


def _line_of_first(text: str, character: str | int) -> int | None:
    """The line of a character's first use: where the reader stopped (libyaml counts its position in bytes)."""
    at = text.find(character if isinstance(character, str) else chr(character))
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _codepoint(character: str | int) -> str:
    """U+0007 for a character PyYAML names as text or (libyaml) as a number."""
    return f"U+{character if isinstance(character, int) else ord(character):04X}"


def _value_problem(error: Exception) -> str:
    """What went wrong when PyYAML turned a scalar into a value (a date, a number, a tagged value)."""
    text = str(error)
    if "integer string conversion" in text:
        return "a number in the file has more than 4,300 digits, more than Python will read"
    return f"a value cannot be read: {text or type(error).__name__}"


# libyaml's C parser when PyYAML was built with it (the wheels are): the same safe schema and marks,
# about ten times faster on a large grants file. The pure-Python loader is the fallback.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# libyaml's composer recurses in C once per level of nesting, with no check: some 30,000 levels (a line of
# '[') end the process with a segmentation fault, no message. A file nested deeper than this is refused
# before it is composed; the walk refuses anything past MAX_DEPTH anyway.
MAX_PARSE_DEPTH = 1_000
_OPENING = "[{:?-"  # every list or mapping starts at one of these (a mapping's first ':' or '?')


def _too_deep_at(text: str) -> int | None:
    """The line where the document first nests more than MAX_PARSE_DEPTH levels deep, or None.

    A document holding fewer characters that can open a list or mapping cannot nest that deep, which
    spares most files the second parse; the others are measured on libyaml's parser events, which it
    makes without recursing.
    """
    if sum(text.count(character) for character in _OPENING) <= MAX_PARSE_DEPTH:
        return None
    depth = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_PARSE_DEPTH:
                return event.start_mark.line + 1 if event.start_mark is not None else 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _too_deep(file: str, line: int | None = None) -> Problem:
    return Problem.in_file(
        file,
        "the document nests too deeply to read (a grants file needs about six levels; "
        "this one has hundreds of unclosed '[' or '{' or indents)",
        "correct the brackets and indentation",
        line=line,
    )


def parse_yaml(text: str, file: str, *, grant_list: PathKey | None = None) -> YamlDocument:
    """Parse one YAML document, raising `InputProblems` when it cannot be read at all, or has duplicate keys.

    For a grants file, `grant_list` is the path of its grants: every key must then be text, a problem
    inside a grant names it, and the problems found here do not stop the reading: they travel with the
    document (`YamlDocument.problems`), to be reported with the validation's, all at once. A stack file
    is read as it is, for its lines only: Pulumi reads it as YAML 1.2, where `on:` is text.
    """
    try:
        if (deep := _too_deep_at(text)) is not None:
            raise InputProblems([_too_deep(file, deep)])
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return YamlDocument(file=file, data=None)
            index = _Index(file, grant_list)
            index.walk(node, ())
            if index.findings and (grant_list is None or index.fatal):
                raise InputProblems(index.problems())
            try:
                data = loader.construct_document(node)
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
                # PyYAML raises these, not YAMLError, for a date such as 2020-13-45, a huge number, or a
                # bad !!int, !!bool or !!timestamp value.
                raise _Unreadable(
                    None,
                    _value_problem(error),
                    "put dates, long numbers and tagged (!!) values in quotes so YAML keeps them as text",
                ) from None
        finally:
            loader.dispose()
    except _Unreadable as unreadable:
        raise InputProblems([Problem.in_file(file, unreadable.message, unreadable.fix, line=unreadable.line)]) from None
    except RecursionError:  # PyYAML's pure-Python parser recurses once per level of nesting
        raise InputProblems([_too_deep(file)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise InputProblems(
            [
                Problem.in_file(
                    file,
                    f"this is not valid YAML: {reason}",
                    "correct the YAML syntax at that line (indentation, a missing ':' or an unclosed quote "
                    "are the usual causes)",
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, found before any parsing
        raise InputProblems(
            [
                Problem.in_file(
                    file,
                    f"the file holds the character {_codepoint(error.character)}, which YAML does not allow "
                    f"({error.reason})",
                    "remove it (control characters are often pasted in by accident), or write it as an escape "
                    "such as \\x07 inside double quotes",
                    line=_line_of_first(text, error.character),
                )
            ]
        ) from None
    except yaml.YAMLError as error:
        raise InputProblems(
            [Problem.in_file(file, f"this is not valid YAML: {error}", "correct the YAML syntax")]
        ) from None
    return YamlDocument(
        file=file, data=data, lines=index.lines, rereads=index.rereads, problems=tuple(index.problems())
    )


def read_yaml(path: Path, shown_as: str, *, grant_list: PathKey | None = None) -> YamlDocument:
    """Read and parse a YAML file; a missing or unreadable file is a reported problem, not a traceback."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputProblems(
            [
                Problem.in_file(
                    shown_as,
                    "the file does not exist",
                    "create it, or point the stack setting 'grantsFile' at the right file",
                )
            ]
        ) from None
    except (OSError, ValueError) as error:  # ValueError: undecodable bytes, or a NUL in the path
        raise InputProblems(
            [Problem.in_file(shown_as, f"the file cannot be read: {error}", "make it a readable UTF-8 text file")]
        ) from None
    return parse_yaml(text, shown_as, grant_list=grant_list)
