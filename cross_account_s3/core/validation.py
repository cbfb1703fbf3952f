"""Turning pydantic's validation errors into problems a platform engineer can act on.

The models are the only validator of the inputs. Pydantic finds structural problems (missing fields,
unknown keys, wrong types) and the models' own validators find semantic ones; `to_problems` turns
every one of them into a `Problem` with its file, line, grant, field and a concrete fix, through a
`Where` that knows how a YAML path reads to the person who wrote the file.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NoReturn, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from .problems import Problem
from .yaml_source import PathKey, YamlDocument, item_label, render_location

CUSTOM_ERROR = "cross_account_s3"

# (location inside the validated value, message, fix): a problem a validator found, before it has a line.
Finding = tuple[PathKey, str, str]


def reject(message: str, fix: str) -> NoReturn:
    """Fail a validator with our own message and fix, which `to_problems` passes through."""
    raise PydanticCustomError(CUSTOM_ERROR, "{message}", {"message": message, "fix": fix})


def _custom(loc: PathKey, message: str, fix: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(CUSTOM_ERROR, "{message}", {"message": message, "fix": fix}), loc=loc, input=value
    )


def reject_all(findings: Sequence[Finding], value: Any, title: str) -> None:
    """Fail a validator with several problems at once, each at its own location inside the value."""
    if findings:
        raise ValidationError.from_exception_data(title, [_custom(loc, msg, fix, value) for loc, msg, fix in findings])


def validate_with(handler: Callable[[Any], Any], value: Any, findings: Sequence[Finding], title: str) -> Any:
    """Run the model's own validation and add `findings`, so rules that span fields are reported even when
    a field is invalid, and each problem is reported once."""
    try:
        validated = handler(value)
    except ValidationError as error:
        details = [_reraisable(found) for found in error.errors(include_url=False)]
        raise ValidationError.from_exception_data(
            title, [*details, *(_custom(loc, msg, fix, value) for loc, msg, fix in findings)]
        ) from None
    reject_all(findings, value, title)
    return validated


def _reraisable(found: ErrorDetails) -> InitErrorDetails:
    ctx = found.get("ctx") or {}
    kind: str | PydanticCustomError = found["type"]
    if kind == CUSTOM_ERROR:
        kind = PydanticCustomError(CUSTOM_ERROR, "{message}", ctx)
    return InitErrorDetails(type=kind, loc=found["loc"], input=found["input"], ctx=ctx)


def describe_value(value: Any) -> str:
    """How YAML read a value, in the words a YAML author would use: never a Python repr such as
    `datetime.date(2024, 1, 1)`, which an unquoted 2024-01-01 becomes."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.datetime):  # before date: a datetime is a date too
        return f"the date and time {value.isoformat(sep=' ')}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return repr(value)
    return "a value that is not text"


def known_fields(model: type[BaseModel]) -> list[str]:
    return sorted(field.alias or name for name, field in model.model_fields.items())


def _item(data: Any, path: PathKey) -> Any:
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


@dataclass(frozen=True)
class Where:
    """A place in a YAML document, and how a problem there is named: its line, its grant and its field.

    `path[:field_from]` locates the subject (a grant, the stack's config section) and the rest names
    the field, so `where.at("users", 2)` inside a grant reads as field 'users[2]' of that grant. In a
    grants file, stepping into an item of the `grants` list makes that item the grant named.
    """

    doc: YamlDocument
    path: PathKey = ()
    field_from: int = 0
    grant: str | None = None
    grant_list: PathKey | None = None

    def at(self, *keys: str | int) -> Where:
        path = (*self.path, *keys)
        items = self.grant_list
        if self.grant is None and items is not None and len(path) > len(items) and path[: len(items)] == items:
            index = path[len(items)]
            if isinstance(index, int):
                item = _item(self.doc.data, path[: len(items) + 1])
                name = item.get("name") if isinstance(item, dict) else None
                return replace(self, path=path, field_from=len(items) + 1, grant=item_label(name, index))
        return replace(self, path=path)

    @property
    def field(self) -> str | None:
        return render_location(self.path[self.field_from :]) or None

    @property
    def line(self) -> int | None:
        return self.doc.line_of(self.path)

    def problem(self, message: str, fix: str) -> Problem:
        return Problem(file=self.doc.file, line=self.line, grant=self.grant, field=self.field, message=message, fix=fix)


def _field_model(annotation: Any, depth: int = 0) -> tuple[type[BaseModel], int] | None:
    """The model a field's values are validated by, and how many list indexes or mapping keys lead to it."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, depth
    origin = get_origin(annotation)
    nested = depth + 1 if origin in (list, dict) else depth
    for arg in get_args(annotation)[-1:] if origin is dict else get_args(annotation):
        found = _field_model(arg, nested)
        if found:
            return found
    return None


def _owner(model: type[BaseModel], location: PathKey) -> tuple[type[BaseModel], str | None]:
    """The model that holds the value at `location`, and the name of its field the value belongs to."""
    name = location[0] if location else None
    if not isinstance(name, str) or name not in model.model_fields:
        return model, None
    inner = _field_model(model.model_fields[name].annotation)
    rest = location[1:]
    if inner is None or len(rest) <= inner[1]:
        return model, name
    return _owner(inner[0], rest[inner[1] :])


def _close(value: Any, options: Sequence[str], prefix: str = "") -> str:
    """'did you mean ...? ' for a close misspelling (in any case) of one of the options, else ''."""
    if not isinstance(value, str):
        return ""
    by_lower = {option.lower(): option for option in options}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"did you mean '{prefix}{by_lower[close[0]]}'? " if close else ""


def _flow(values: list[Any]) -> str:
    """A list's items as a YAML flow list's inside (`a, b`), or '...' when an item is not a plain value."""
    if not values or not all(isinstance(item, (str, int, float, datetime.date)) for item in values):
        return "..."
    return ", ".join(str(item) for item in values)


def _not_text(value: Any, field: str, in_list: bool, plural: str | None, written: str | None) -> tuple[str, str]:
    """(message, fix) for a value that must be text: the fix depends on what YAML read instead, since
    quoting mends a date or a number, but a list in quotes is no name either."""
    message = f"must be text, but YAML read {describe_value(value)}"
    if isinstance(value, list) and in_list:
        return (
            f"must be text, but YAML read a list inside the list '{field}'",
            f"write '{field}' as one flat list, such as '{field}: [{_flow(value)}]' (brackets inside brackets, or a "
            "'- ' item under another '- ', make a list inside the list)",
        )
    if isinstance(value, list):
        one = f"'{field}: {value[0]}'" if len(value) == 1 and _flow(value) != "..." else f"'{field}: <one value>'"
        if plural:
            return message, f"write it as '{plural}: [{_flow(value)}]' ('{plural}' takes a list), or as {one} for one"
        return message, f"write one value, not a list: {one}"
    if isinstance(value, dict):
        return message, "write it as text, in quotes when it holds ': ' or starts with '{' (YAML reads a mapping then)"
    if value is None and not written:
        if in_list:
            return message, "remove the empty item from the list, or write its value"
        return message, f"write the value after '{field}:'"
    shown = written or (value.isoformat() if isinstance(value, datetime.date) else str(value).lower())
    return message, f'put it in quotes ("{shown}") to keep it as text'


def _message_and_fix(error: ErrorDetails, model: type[BaseModel], location: PathKey, place: Where) -> tuple[str, str]:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == CUSTOM_ERROR:
        return str(ctx["message"]), str(ctx["fix"])
    owner, owner_field = _owner(model, location)
    named = [str(part) for part in location if isinstance(part, str)]
    field = named[-1] if named else "value"
    wording: Mapping[tuple[str | None, str], tuple[str, str]] = getattr(owner, "problem_wording", {})
    known = known_fields(owner)
    template = wording.get((owner_field, kind)) or wording.get((None, kind))
    if template:
        values = {
            "value": describe_value(value),
            "field": field,
            "file": place.doc.file,
            "known": ", ".join(known),
            "fields": ", ".join(owner.model_fields),
            "hint": _close(field, known, getattr(owner, "hint_prefix", "")),
        }
        return template[0].format(**values), template[1].format(**values)
    if kind == "missing":
        return "is required but missing", f"add '{field}:' with a value"
    if kind == "extra_forbidden":
        return "is not a field this program knows", f"{_close(field, known)}the known fields are: {', '.join(known)}"
    if kind == "string_type":
        plural = getattr(owner, "plural_fields", {}).get(owner_field) if location[-1:] == (owner_field,) else None
        in_list = bool(location) and isinstance(location[-1], int)
        return _not_text(value, field, in_list, plural, place.doc.unquoted.get(place.path))
    if kind in {"list_type", "tuple_type"}:
        scalar = isinstance(value, (str, int, float, datetime.date)) and not isinstance(value, bool)
        example = place.doc.unquoted.get(place.path) or (value if scalar else " ... ")
        return (
            f"must be a list, but YAML read {describe_value(value)}",
            f"write it as a YAML list: '{field}: [{example}]'",
        )
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return (
            f"must be a mapping of keys to values, but YAML read {describe_value(value)}",
            "write it as 'key: value' lines indented under it",
        )
    if kind in {"too_short", "string_too_short"}:
        return "must not be empty", f"give '{field}' at least one value, or remove it if it is optional"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, but YAML read {describe_value(value)}", "write a whole number such as 0"
    if kind in {"greater_than_equal", "less_than_equal"}:
        return f"is {value}, outside the allowed range ({error['msg']})", "use a value in that range"
    if kind == "literal_error":
        hint = _close(value, re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return (
            f"is {describe_value(value)}, {error['msg'][:1].lower()}{error['msg'][1:]}",
            f"{hint}use one of the listed values",
        )
    return error["msg"], f"correct '{field}'"


# How pydantic names a union member or a validator in an error's location (`function-after[_check(), str]`,
# `list[str]`, `literal['read','write']`), and a mapping's key (`[key]`): no key of the file, unless the
# file really has a key so spelt.
_SCHEMA_STEP = re.compile(r"(?:[a-z][a-z-]*)?\[.*\]", re.DOTALL)


def _file_location(loc: Sequence[str | int], where: Where, key: Callable[[str | int], str | int]) -> PathKey:
    """An error's location as keys and indexes of the file: pydantic's, less its schema steps.

    A key of the file is kept whatever its spelling (`bu[cket`, `users[0]`), so a mistyped field is
    reported as itself, at its own line.
    """
    kept: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and _SCHEMA_STEP.fullmatch(part):
            in_file = (key(kept[0]), *kept[1:]) if kept else ()
            node = _item(where.doc.data, (*where.path, *in_file))
            spelt = part if kept else key(part)  # as the file spells it: `key` renames the first step
            if not (isinstance(node, Mapping) and spelt in node):
                continue
        kept.append(part)
    return tuple(kept)


def to_problems(
    error: ValidationError, *, model: type[BaseModel], where: Where, key: Callable[[str | int], str | int] = lambda k: k
) -> list[Problem]:
    """Convert a pydantic `ValidationError` raised by validating `model` with the data at `where`.

    `key` renames the first part of each location, for inputs whose keys the file spells differently
    (the stack file prefixes every setting with its namespace).
    """
    problems: list[Problem] = []
    for details in error.errors(include_url=False):
        location = _file_location(details["loc"], where, key)
        place = where.at(key(location[0]), *location[1:]) if location else where
        message, fix = _message_and_fix(details, model, location, place)
        problems.append(place.problem(message, fix))
    return problems
