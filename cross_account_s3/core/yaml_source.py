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
from typing import Any, Protocol

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
    # The text of each unquoted value YAML does not read as text (a number, a date, true, null), or that a
    # stack file's YAML 1.2 reads as a number (012345678901), by path: a fix that says to quote a value
    # quotes what was written (0123, not the 83 YAML read), and can tell 012345678901 from 12345678901.
    unquoted: dict[PathKey, str] = field(default_factory=dict)
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


def is_text(value: object) -> bool:
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


# A number with an exponent as JSON writes one (RFC 8259, section 6). YAML 1.1 reads such a number only with a
# '.' and a signed exponent (1.0e+3), so JSON's 1e3 and 1.0e3 are text to it: the opposite surprise. (JSON's
# numbers without an exponent are numbers to YAML too, and _PLAIN_AS_WRITTEN checks how they are written.)
_JSON_EXPONENT_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?[eE][-+]?[0-9]+")


def _read_as_text(node: yaml.ScalarNode) -> tuple[str, str]:
    """(message, fix) for an unquoted value JSON would read as a number, which YAML 1.1 reads as text."""
    mantissa, _, exponent = re.split(r"([eE])", node.value, maxsplit=1)
    as_yaml = (
        f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent if exponent[:1] in '+-' else '+' + exponent}"
    )
    number = float(node.value)
    whole = f" or {int(number)}" if number.is_integer() and abs(number) < 1e15 else ""
    return (
        f"the unquoted value {node.value} is read by YAML as the text '{node.value}', not as the number JSON reads "
        "(YAML 1.1 reads an exponent only after a '.' and with a sign)",
        f'write the number as YAML reads one ({as_yaml}{whole}), or put it in quotes ("{node.value}") to keep it '
        "as text",
    )


def _read_otherwise(node: yaml.Node) -> tuple[str, str] | None:
    """(message, fix) for an unquoted scalar that YAML reads as something other than what its text says."""
    if (
        isinstance(node, yaml.ScalarNode)
        and not node.style
        and node.tag == TEXT_TAG
        and _JSON_EXPONENT_NUMBER.fullmatch(node.value)
    ):
        return _read_as_text(node)
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


TEXT_TAG = "tag:yaml.org,2002:str"
# Digits that YAML 1.2 (Pulumi's reading of a stack file) reads as a decimal number, and YAML 1.1 (this
# reading) as text when they start with 0 and hold an 8 or a 9.
_YAML12_NUMBER = re.compile(r"[-+]?[0-9]+")
MERGE_TAG = "tag:yaml.org,2002:merge"  # `<<`


class FileRules(Protocol):
    """What a kind of file asks of the walk beyond YAML itself (a grants file's: `grants_yaml.GrantsFileRules`)."""

    @property
    def grant_list(self) -> PathKey: ...

    def name_of(self, item: yaml.Node) -> str | None: ...

    def check_value(self, node: yaml.Node, note: Callable[[str, str], None]) -> None: ...

    def mend_key(
        self, key_node: yaml.Node, value_node: yaml.Node, note: Callable[[str, str], None] | None
    ) -> bool | None: ...


def render_location(location: PathKey) -> str:
    """('users', 1) -> 'users[1]', the way a YAML author would point at the item."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def item_label(name: object, index: int) -> str:
    """How a problem names an item of a named list (a grant): its name, or its position when it has none."""
    return name if isinstance(name, str) and name else f"#{index + 1} (unnamed)"


@dataclass
class _Index:
    """One walk over a composed document, before anything is built: the line of every path, what YAML reads
    differently from what is written, and what is wrong with the document as YAML.

    A key written twice is a problem for every file. A grants file (`rules`) is also held to its own
    rules (`grants_yaml`), which mend what they find; then of a duplicate the first is kept (the one the
    lines point at), what is wrong inside the dropped value is still said, and each problem names its
    grant as validation will, from the mended document. A node reached again through an alias or a merge
    (`<<`) is reported once, where it is first written.
    """

    file: str
    rules: FileRules | None
    lines: dict[PathKey, int] = field(default_factory=dict)
    rereads: dict[PathKey, tuple[str, str]] = field(default_factory=dict)
    unquoted: dict[PathKey, str] = field(default_factory=dict)
    findings: list[tuple[PathKey, int, str, str]] = field(default_factory=list)  # (path, line, message, fix)
    fatal: bool = False  # a finding the document cannot be built past (text that is not Unicode)
    grants: dict[PathKey, yaml.Node] = field(default_factory=dict)  # each grant's node, by its path
    checked: set[int] = field(default_factory=set)  # nodes already checked, by id: an alias is the same node
    values: int = 0

    def note_at(self, path: PathKey, line: int) -> Callable[[str, str], None]:
        def note(message: str, fix: str) -> None:
            self.findings.append((path, line, message, fix))

        return note

    def problems(self) -> list[Problem]:
        """The findings as problems, each inside a grant naming it (the document mended, as it is built)."""
        rules = self.rules
        labels = (
            {path: item_label(rules.name_of(node), int(path[-1])) for path, node in self.grants.items()}
            if rules
            else {}
        )
        depth = len(rules.grant_list) + 1 if rules else 0  # a grant's path: its list's, then its index
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
        if (
            isinstance(node, yaml.ScalarNode)
            and not node.style
            and (node.tag != TEXT_TAG or _YAML12_NUMBER.fullmatch(node.value))
        ):
            self.unquoted.setdefault(path, node.value)  # before a grants file's rules mend its tag
        first_time = id(node) not in self.checked
        self.checked.add(id(node))
        if first_time and isinstance(node, yaml.ScalarNode) and not is_text(node.value):
            self.fatal = True
            self.note_at(path, line)(
                f"the value {node.value!r} is not valid Unicode text (it holds a lone surrogate escape)",
                "remove the \\uD800-\\uDFFF escape; write the character itself",
            )
        if first_time and self.rules:
            self.rules.check_value(node, self.note_at(path, line))
        if isinstance(node, yaml.MappingNode):
            self._walk_mapping(node, path, report=first_time)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                if self.rules and path == self.rules.grant_list:
                    self.grants.setdefault((*path, index), item)  # of a `grants:` written twice, the first
                self.walk(item, (*path, index))

    def _walk_mapping(self, node: yaml.MappingNode, path: PathKey, *, report: bool) -> None:
        seen_keys: dict[str, int] = {}
        mended_keys: set[str] = set()  # keys that were not text: their collisions are no duplicates written
        kept: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            key_line = key_node.start_mark.line + 1
            if not is_text(key):  # the document is not built
                self.fatal = True
                if report:
                    self.note_at(path, key_line)(
                        f"the key {key!r} is not valid Unicode text (it holds a lone surrogate escape)",
                        "remove the \\uD800-\\uDFFF escape; write the character itself",
                    )
                continue
            if self.rules:
                mended = self.rules.mend_key(key_node, value_node, self.note_at(path, key_line) if report else None)
                if mended is None:
                    continue  # dropped
                if mended:
                    mended_keys.add(key)
            if key_node.tag == MERGE_TAG:
                kept.append((key_node, value_node))  # merged in when built; `<<` may be written more than once
                self.walk(value_node, (*path, key))
                continue
            if key in seen_keys:
                if report and key not in mended_keys:
                    self.note_at((*path, key), key_line)(
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
        if self.rules:
            node.value = kept


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


def parse_yaml(text: str, file: str, *, rules: FileRules | None = None) -> YamlDocument:
    """Parse one YAML document, raising `InputProblems` when it cannot be read at all, or has duplicate keys.

    A grants file is read with its `rules` (`grants_file.GRANTS_FILE`): a problem inside a grant names it,
    and the problems found here do not stop the reading: they travel with the document
    (`YamlDocument.problems`), to be reported with the validation's, all at once. A stack file is read
    without, for its lines only: Pulumi reads it as YAML 1.2, where `on:` is text.
    """
    try:
        if (deep := _too_deep_at(text)) is not None:
            raise InputProblems([_too_deep(file, deep)])
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return YamlDocument(file=file, data=None)
            index = _Index(file, rules)
            index.walk(node, ())
            if index.findings and (rules is None or index.fatal):
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
        file=file,
        data=data,
        lines=index.lines,
        rereads=index.rereads,
        unquoted=index.unquoted,
        problems=tuple(index.problems()),
    )


def not_utf8(file: str, error: UnicodeDecodeError) -> Problem:
    """The line and column of the first byte that is not UTF-8, where an editor can find it.

    Python's own message gives the byte's offset in the file ("position 33"), which no editor shows.
    """
    data = bytes(error.object)
    line = data.count(b"\n", 0, error.start) + 1
    line_start = data.rfind(b"\n", 0, error.start) + 1
    column = len(data[line_start : error.start].decode("utf-8", "replace")) + 1
    return Problem.in_file(
        file,
        f"the file is not UTF-8 text: the byte 0x{data[error.start]:02X} at line {line}, column {column} is not "
        "valid UTF-8 (the file was most likely saved in another encoding, such as Windows-1252, Latin-1 or UTF-16)",
        "save the file as UTF-8 (editors offer it as 'Save with Encoding' or 'File Encoding'), or type the "
        "character at that place again",
        line=line,
    )


def read_yaml(path: Path, shown_as: str, *, rules: FileRules | None = None) -> YamlDocument:
    """Read and parse a YAML file; a missing or unreadable file is a reported problem, not a traceback."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputProblems([not_utf8(shown_as, error)]) from None
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
    return parse_yaml(text, shown_as, rules=rules)
