"""Turning pydantic's validation errors into problems a platform engineer can act on.

Pydantic finds structural problems (missing fields, unknown keys, wrong types) and our validators
find semantic ones. Both end up here, where each becomes a `Problem` with its file, line, grant,
field and a concrete fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from .problems import Problem
from .yaml_source import PathKey, YamlDocument

CUSTOM_ERROR = "cross_account_s3"


def reject(message: str, fix: str, *, field: str | None = None) -> NoReturn:
    """Fail a validator with our own message and fix, which `to_problems` passes through.

    A model-level validator has no field of its own; `field` names the key the problem is about, so
    the report can point at its line.
    """
    context = {"message": message, "fix": fix}
    if field is not None:
        context["field"] = field
    raise PydanticCustomError(CUSTOM_ERROR, "{message}", context)


def describe_value(value: Any) -> str:
    """How YAML read a value, in the words a YAML author would use."""
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
    return repr(value)


def known_fields(model: type[BaseModel]) -> list[str]:
    return sorted(field.alias or name for name, field in model.model_fields.items())


def _message_and_fix(error: ErrorDetails, model: type[BaseModel] | None, field: str) -> tuple[str, str]:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == CUSTOM_ERROR:
        return str(ctx["message"]), str(ctx["fix"])
    if kind == "missing":
        return "is required but missing", f"add '{field}:' with a value"
    if kind == "extra_forbidden":
        allowed = known_fields(model) if model else []
        close = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return "is not a field this program knows", f"{hint}the known fields are: {', '.join(allowed)}"
    if kind == "string_type":
        return (
            f"must be text, but YAML read {describe_value(value)}",
            "put the value in quotes so YAML keeps it as text",
        )
    if kind in {"list_type", "tuple_type"}:
        return f"must be a list, but YAML read {describe_value(value)}", f"write it as a YAML list: '{field}: [ ... ]'"
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
        return f"is {describe_value(value)}, {error['msg'].lower()}", "use one of the listed values"
    return error["msg"], f"correct '{field}'"


def _render_location(location: tuple[str | int, ...]) -> str:
    """('users', 1) -> 'users[1]', the way a YAML author would point at the item."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def to_problems(
    error: ValidationError,
    *,
    doc: YamlDocument,
    base_path: PathKey,
    grant: str | None,
    model: type[BaseModel] | None = None,
    field_prefix: str = "",
) -> list[Problem]:
    """Convert a pydantic `ValidationError` raised for the data at `base_path` in `doc`.

    `model` is the model that was validated, so an unknown key can be compared with its fields for
    "did you mean" hints.
    """
    problems: list[Problem] = []
    for details in error.errors(include_url=False):
        location = tuple(part for part in details["loc"] if not (isinstance(part, str) and "[" in part))
        extra_field = (details.get("ctx") or {}).get("field")
        if extra_field:
            location = (*location, str(extra_field))
        named = [str(part) for part in location if isinstance(part, str)]
        field = field_prefix + _render_location(location) if location else (field_prefix.rstrip(".") or None)
        message, fix = _message_and_fix(details, model, named[-1] if named else (field or "value"))
        problems.append(
            Problem(
                file=doc.file,
                line=doc.line_of((*base_path, *location)),
                grant=grant,
                field=field,
                message=message,
                fix=fix,
            )
        )
    return problems


def problem_at(
    doc: YamlDocument, path: Iterable[str | int], *, grant: str | None, field: str | None, message: str, fix: str
) -> Problem:
    """A problem located at a path of a YAML document."""
    return Problem(file=doc.file, line=doc.line_of(tuple(path)), grant=grant, field=field, message=message, fix=fix)
