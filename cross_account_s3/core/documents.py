"""Reading IAM policy documents that anyone may have written: their statements and their principals.

Documents come from AWS (a bucket's live policy), from the grants file (`extraStatements`) and from
this program's own plans. AWS accepts shortcuts in them: one statement object in place of a list, one
principal string in place of a list, and `"Principal": "*"` for `{"AWS": "*"}`. Every reader here goes
through these functions, so each shortcut is understood the same way everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def statements(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The statements of a document, as a list even when AWS was given one object; non-objects are skipped."""
    if not document:
        return []
    found = document.get("Statement") or []
    return [dict(s) for s in (found if isinstance(found, list) else [found]) if isinstance(s, Mapping)]


def as_list(value: Any) -> list[Any]:
    """A value that AWS accepts alone in place of a list (an action, a resource, a condition's value), as a list.

    A missing value is the caller's to read: `None` comes back as `[None]`, like any other single value.
    """
    return value if isinstance(value, list) else [value]


def _as_texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else ([] if value is None else [value])
    return [item if isinstance(item, str) else json.dumps(item, sort_keys=True) for item in values]


def principals(statement: Mapping[str, Any], kind: str | None = None) -> list[str]:
    """The principals a statement names, as text, in the order written; only those of `kind` ("AWS", ...) if given.

    `"Principal": "*"` is AWS's shorthand for `{"AWS": "*"}`, so it counts as an AWS principal.
    """
    principal = statement.get("Principal")
    by_kind = principal if isinstance(principal, Mapping) else ({} if principal is None else {"AWS": principal})
    return [item for key, values in by_kind.items() if kind in (None, key) for item in _as_texts(values)]


def same_statement_key(statement: Mapping[str, Any]) -> str:
    """A text equal for two statements that say the same thing, however each was written.

    IAM reads a one-item list as its item, and the order of a list's items means nothing, so a
    statement this program wrote still matches itself as AWS hands it back, in either spelling. A
    whole number may come back as a float (Pulumi hands outputs over as protobuf doubles: 2 as 2.0).
    """
    return json.dumps(_same(statement), sort_keys=True)


def _same(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): _same(item) for key, item in value.items()}
    if isinstance(value, list):
        items = sorted((_same(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
        return items[0] if len(items) == 1 else items
    return value


UNIQUE_ID_PREFIXES = ("AIDA", "AROA")  # what AWS writes in a policy in place of a deleted user's or role's ARN


@dataclass(frozen=True)
class WrittenStatements:
    """The statements of a policy as one writer wrote them, to recognise each again as AWS hands it back.

    A statement is recognised when it says the same (`same_statement_key`), except that AWS may have
    put a unique ID (AIDA..., AROA...) in place of a principal it named: AWS does that when the user or
    role is deleted, and nobody can write such an ID into a policy. Any other principal added makes
    it another statement.
    """

    principals_by_shape: Mapping[str, tuple[frozenset[str], ...]] = field(default_factory=dict)
    sids: frozenset[str] = frozenset()  # the Sids written, as written

    @classmethod
    def of(cls, document: Mapping[str, Any] | None) -> WrittenStatements:
        found: dict[str, list[frozenset[str]]] = {}
        sids: set[str] = set()
        for statement in statements(document):
            shape, named = _shape_and_aws_principals(statement)
            found.setdefault(shape, []).append(named)
            if isinstance(statement.get("Sid"), str):
                sids.add(statement["Sid"])
        return cls({shape: tuple(named) for shape, named in found.items()}, frozenset(sids))

    @property
    def principals(self) -> frozenset[str]:
        """Every AWS principal these statements name."""
        return frozenset().union(*(named for written in self.principals_by_shape.values() for named in written))

    def holds(self, statement: Mapping[str, Any]) -> bool:
        shape, named = _shape_and_aws_principals(statement)
        return any(
            all(value.startswith(UNIQUE_ID_PREFIXES) for value in named - written)
            for written in self.principals_by_shape.get(shape, ())
        )

    def removed_from(self, statement: Mapping[str, Any]) -> frozenset[str]:
        """The AWS principals the written statement `statement` is (`holds`) named and it no longer names.

        Empty when it is not one of these statements, and when AWS put a unique ID in it: then a user or
        role was deleted, not taken out by hand (which one the ID stands for, nobody can tell). Of two
        written with its shape that name all it names, the smaller.
        """
        shape, named = _shape_and_aws_principals(statement)
        wider = [written for written in self.principals_by_shape.get(shape, ()) if named <= written]
        if not wider:
            return frozenset()
        return min(wider, key=lambda written: (len(written), sorted(written))) - named

    def principals_like(self, statement: Mapping[str, Any]) -> frozenset[str]:
        """Every AWS principal named by these statements of `statement`'s shape (the same but for its principals)."""
        shape, _ = _shape_and_aws_principals(statement)
        return frozenset().union(*self.principals_by_shape.get(shape, ()))

    def named_where_missing(self, live: WrittenStatements, planned: WrittenStatements) -> frozenset[str]:
        """The principals of each statement written here that `live` has no statement of its shape for, as far as
        `planned` names them under that shape again: a statement deleted since, that is written again."""
        found: set[str] = set()
        for shape, written in self.principals_by_shape.items():
            if shape not in live.principals_by_shape and shape in planned.principals_by_shape:
                found |= frozenset().union(*written) & frozenset().union(*planned.principals_by_shape[shape])
        return frozenset(found)

    def only(self, keep: Callable[[Mapping[str, Any]], bool]) -> WrittenStatements:
        """These statements, only those `keep` accepts (it sees each without its AWS principals)."""
        kept = {shape: named for shape, named in self.principals_by_shape.items() if keep(json.loads(shape))}
        return WrittenStatements(kept, frozenset(sid for sid in self.sids if keep({"Sid": sid})))


def _shape_and_aws_principals(statement: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    """The statement without its AWS principals (as `same_statement_key`), and those principals."""
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return same_statement_key(statement), frozenset()
    others = {kind: values for kind, values in principal.items() if kind != "AWS"}
    return same_statement_key({**statement, "Principal": others}), frozenset(principals(statement, "AWS"))
