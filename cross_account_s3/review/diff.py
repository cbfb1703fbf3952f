"""What a grants change does, as a reviewer asks it: who gains or loses which access, and which resources change.

Pure functions over two `PlanSnapshot`s. Resources are matched by URN, as Pulumi matches them, so a
reordered grants file shows no change. Policy statements are matched by Sid: the program's Sids
depend on what a statement allows and not on who, so adding a user shows as a changed principal list
rather than a replaced statement. Access changes come from the grants themselves, per user and bucket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..core.grants import OWN_SID
from .snapshot import BUCKET_POLICY_TYPE, PlanSnapshot

ChangeKind = Literal["add", "remove", "change"]
_MARK = {"add": "+", "remove": "-", "change": "~"}
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")


@dataclass(frozen=True, order=True)
class AccessEntry:
    """One grant's access for a user on a bucket: the level (or action list) and the prefixes it is limited to."""

    access: str
    prefixes: tuple[str, ...]

    def describe(self, with_prefixes: bool) -> str:
        if not with_prefixes:
            return self.access
        where = f"prefixes: {', '.join(self.prefixes)}" if self.prefixes else "whole bucket"
        return f"{self.access} ({where})"


@dataclass(frozen=True)
class AccessChange:
    """A user's access to one bucket before and after the change; an empty side means no access."""

    user: str
    bucket: str
    before: tuple[AccessEntry, ...]
    after: tuple[AccessEntry, ...]

    @property
    def kind(self) -> ChangeKind:
        return "add" if not self.before else ("remove" if not self.after else "change")

    def describe(self) -> str:
        """One reviewer's sentence, such as "u05 gains read on reports-bucket"."""
        entries = {*self.before, *self.after}
        shared = {entry.prefixes for entry in entries}
        inline = len(shared) > 1  # prefixes differ somewhere: show them on each side
        suffix = f" (prefixes: {', '.join(next(iter(shared)))})" if not inline and next(iter(shared)) else ""

        def side(access: tuple[AccessEntry, ...]) -> str:
            return " + ".join(entry.describe(inline) for entry in access)

        if self.kind == "add":
            return f"{self.user} gains {side(self.after)} on {self.bucket}{suffix}"
        if self.kind == "remove":
            return f"{self.user} loses {side(self.before)} on {self.bucket}{suffix}"
        return f"{self.user}: {side(self.before)} -> {side(self.after)} on {self.bucket}{suffix}"

    def as_json(self) -> dict[str, Any]:
        def entries(side: tuple[AccessEntry, ...]) -> list[dict[str, Any]]:
            return [{"access": entry.access, "prefixes": list(entry.prefixes)} for entry in side]

        return {
            "user": self.user,
            "bucket": self.bucket,
            "kind": self.kind,
            "before": entries(self.before),
            "after": entries(self.after),
            "summary": self.describe(),
        }


@dataclass(frozen=True)
class ExtraStatementChange:
    """A bucket policy statement this program does not write (an `extraStatements` entry), added, removed or changed.

    These grant access outside the access levels, so they belong in the Access section a reviewer
    reads first, not only among the resource details.
    """

    bucket: str
    sid: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    @property
    def kind(self) -> ChangeKind:
        return "add" if self.before is None else ("remove" if self.after is None else "change")

    def describe(self) -> str:
        if self.after is not None and self.before is None:
            return f"{self.bucket} keeps a statement written elsewhere, {describe_statement(self.after)}"
        if self.before is not None and self.after is None:
            return f"{self.bucket} drops a statement written elsewhere, {describe_statement(self.before)}"
        assert self.before is not None and self.after is not None
        return (
            f"{self.bucket} changes a statement written elsewhere, {describe_statement(self.before)} -> "
            f"{describe_statement(self.after)}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "sid": self.sid,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "summary": self.describe(),
        }


@dataclass(frozen=True)
class StatementChange:
    """One policy statement added, removed or changed, matched by Sid."""

    kind: ChangeKind
    sid: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def lines(self) -> list[str]:
        if self.kind == "change" and self.before is not None and self.after is not None:
            return [f"~ statement {self.sid}:", *(f"    {line}" for line in field_changes(self.before, self.after))]
        statement = self.after if self.kind == "add" else self.before
        return [f"{_MARK[self.kind]} statement {describe_statement(statement or {})}"]

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "sid": self.sid, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class InputChange:
    """One input of a resource whose value changed (policy documents are shown as statement changes instead)."""

    key: str
    before: Any
    after: Any

    def lines(self) -> list[str]:
        return field_changes({self.key: self.before}, {self.key: self.after})

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ResourceChange:
    """A resource the change adds, removes or updates, with what differs inside it."""

    kind: ChangeKind
    urn: str
    type: str
    name: str
    inputs: tuple[InputChange, ...]
    statements: tuple[StatementChange, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "inputs": [change.as_json() for change in self.inputs],
            "statements": [change.as_json() for change in self.statements],
        }


@dataclass(frozen=True)
class PlanDiff:
    """Everything that differs between the base plan and the changed one."""

    base: str
    head: str
    stack: str
    access: tuple[AccessChange, ...]
    extra_statements: tuple[ExtraStatementChange, ...]
    resources: tuple[ResourceChange, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.access or self.extra_statements or self.resources)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.resources if change.kind == kind)


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _items(value: Any) -> list[str]:
    values = value if isinstance(value, list) else ([] if value is None else [value])
    return [_compact(item) for item in values]


def _principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        return [item for values in principal.values() for item in _items(values)]
    return _items(principal)


def describe_statement(statement: Mapping[str, Any]) -> str:
    """A statement on one line: "Sid: Allow s3:GetObject on arn:... to arn:... when {...}"."""
    sid = statement.get("Sid", "(no Sid)")
    actions = ", ".join(_items(statement.get("Action", statement.get("NotAction"))))
    resources = ", ".join(_items(statement.get("Resource", statement.get("NotResource"))))
    text = f"{sid}: {statement.get('Effect', '?')} {actions} on {resources}"
    principals = _principals(statement)
    if principals:
        text += f" to {', '.join(principals)}"
    if statement.get("Condition"):
        text += f" when {_compact(statement['Condition'])}"
    return text


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Per key, what changed: list members added and removed, or the old and new values."""
    lines: list[str] = []
    for key in sorted({*before, *after}):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "Principal" and isinstance(old, dict) and isinstance(new, dict):
            old_items, new_items = _principals(before), _principals(after)
        elif key in _LIST_KEYS or isinstance(old, list) or isinstance(new, list):
            old_items, new_items = _items(old), _items(new)
        else:
            lines.append(
                f"{key}: {_compact(old) if old is not None else '(none)'} -> "
                f"{_compact(new) if new is not None else '(none)'}"
            )
            continue
        added = [item for item in new_items if item not in old_items]
        removed = [item for item in old_items if item not in new_items]
        lines += [f"{key}: + {item}" for item in added] + [f"{key}: - {item}" for item in removed]
    return lines


def _statements_by_sid(policy: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    statements = (policy or {}).get("Statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    return {str(statement.get("Sid", f"#{index + 1}")): statement for index, statement in enumerate(statements)}


def statement_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[StatementChange]:
    """Statements added, removed and changed between two policy documents, matched by Sid."""
    old, new = _statements_by_sid(before), _statements_by_sid(after)
    changes = [StatementChange("remove", sid, old[sid], None) for sid in sorted(old.keys() - new.keys())]
    changes += [StatementChange("add", sid, None, new[sid]) for sid in sorted(new.keys() - old.keys())]
    changes += [
        StatementChange("change", sid, old[sid], new[sid])
        for sid in sorted(old.keys() & new.keys())
        if old[sid] != new[sid]
    ]
    return changes


def resource_changes(base: PlanSnapshot, head: PlanSnapshot) -> list[ResourceChange]:
    """Resources added, removed and changed, matched by URN, in the tree's reading order (each grant together)."""
    old = {resource.urn: resource for resource in base.resources}
    new = {resource.urn: resource for resource in head.resources}
    changes: list[ResourceChange] = []
    for urn, resource in new.items():
        previous = old.get(urn)
        if previous is None:
            changes.append(
                ResourceChange(
                    "add", urn, resource.type, resource.name, (), tuple(statement_changes(None, resource.policy))
                )
            )
            continue
        if previous.inputs == resource.inputs and previous.parent == resource.parent:
            continue
        policy_key = {"policy"} if resource.policy is not None or previous.policy is not None else set()
        inputs = tuple(
            InputChange(key, previous.inputs.get(key), resource.inputs.get(key))
            for key in sorted({*previous.inputs, *resource.inputs} - policy_key)
            if previous.inputs.get(key) != resource.inputs.get(key)
        )
        statements = tuple(statement_changes(previous.policy, resource.policy)) if policy_key else ()
        changes.append(ResourceChange("change", urn, resource.type, resource.name, inputs, statements))
    for urn, resource in old.items():
        if urn not in new:
            changes.append(
                ResourceChange(
                    "remove", urn, resource.type, resource.name, (), tuple(statement_changes(resource.policy, None))
                )
            )
    positions = {**base.tree_positions(), **head.tree_positions()}
    return sorted(changes, key=lambda change: positions[change.urn])


def _access_by_user_and_bucket(grants: Mapping[str, Mapping[str, Any]]) -> dict[tuple[str, str], set[AccessEntry]]:
    access: dict[tuple[str, str], set[AccessEntry]] = {}
    for grant in grants.values():
        entry = AccessEntry(str(grant.get("access", "")), tuple(str(prefix) for prefix in grant.get("prefixes") or []))
        for user in grant.get("users") or []:
            for bucket in grant.get("buckets") or []:
                access.setdefault((str(user), str(bucket)), set()).add(entry)
    return access


def access_changes(base: Mapping[str, Mapping[str, Any]], head: Mapping[str, Mapping[str, Any]]) -> list[AccessChange]:
    """Per user and bucket, the access before and after, from the stack's "grants" exports.

    Entries compare by level and prefixes only, so renaming or splitting a grant without changing
    what anyone can do shows no access change.
    """
    old, new = _access_by_user_and_bucket(base), _access_by_user_and_bucket(head)
    changes = [
        AccessChange(
            user, bucket, tuple(sorted(old.get((user, bucket), ()))), tuple(sorted(new.get((user, bucket), ())))
        )
        for user, bucket in old.keys() | new.keys()
        if old.get((user, bucket), set()) != new.get((user, bucket), set())
    ]
    return sorted(changes, key=lambda change: (change.user.lower(), change.bucket))


def _extra_statements(snapshot: PlanSnapshot) -> dict[tuple[str, str], Mapping[str, Any]]:
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for resource in snapshot.of_type(BUCKET_POLICY_TYPE):
        for sid, statement in _statements_by_sid(resource.policy).items():
            if not OWN_SID.fullmatch(sid):
                found[(str(resource.inputs.get("bucket")), sid)] = statement
    return found


def extra_statement_changes(base: PlanSnapshot, head: PlanSnapshot) -> list[ExtraStatementChange]:
    """Statements written elsewhere that the change adds to, removes from or changes in a bucket's policy."""
    old, new = _extra_statements(base), _extra_statements(head)
    return [
        ExtraStatementChange(bucket, sid, old.get((bucket, sid)), new.get((bucket, sid)))
        for bucket, sid in sorted(old.keys() | new.keys())
        if old.get((bucket, sid)) != new.get((bucket, sid))
    ]


def diff_plans(base: PlanSnapshot, head: PlanSnapshot) -> PlanDiff:
    """What changing the grants from `base` to `head` would do."""
    return PlanDiff(
        base=base.grants_file,
        head=head.grants_file,
        stack=head.stack,
        access=tuple(access_changes(base.grants, head.grants)),
        extra_statements=tuple(extra_statement_changes(base, head)),
        resources=tuple(resource_changes(base, head)),
    )


def _resource_lines(changes: Iterable[ResourceChange]) -> list[str]:
    changes = list(changes)
    if not changes:
        return []
    type_width = max(len(change.type) for change in changes)
    lines: list[str] = []
    for change in changes:
        lines.append(f"  {_MARK[change.kind]} {change.type:<{type_width}}  {change.name}")
        for input_change in change.inputs:
            lines += [f"        {line}" for line in input_change.lines()]
        for statement in change.statements:
            lines += [f"        {line}" for line in statement.lines()]
    return lines


def render_diff_text(diff: PlanDiff) -> str:
    """The diff as a reviewer reads it: access changes first, then each resource with its statement changes."""
    lines = [f"Plan diff for stack {diff.stack}: {diff.base} -> {diff.head}"]
    if not diff.has_changes:
        return "\n".join([*lines, "no changes"]) + "\n"
    if diff.access or diff.extra_statements:
        lines += ["", "Access:"]
        lines += [f"  {_MARK[change.kind]} {change.describe()}" for change in diff.access]
        lines += [f"  {_MARK[change.kind]} {change.describe()}" for change in diff.extra_statements]
    if diff.resources:
        lines += ["", "Resources:", *_resource_lines(diff.resources)]
    lines += ["", summary_line(diff)]
    return "\n".join(lines) + "\n"


def summary_line(diff: PlanDiff) -> str:
    access = len(diff.access) + len(diff.extra_statements)
    return (
        f"Changes: {diff.count('add')} to add, {diff.count('change')} to change, {diff.count('remove')} to remove; "
        f"{access} access {'change' if access == 1 else 'changes'}"
    )


def diff_as_json(diff: PlanDiff) -> dict[str, Any]:
    """The same content as the text, for CI and tooling."""
    return {
        "stack": diff.stack,
        "base": diff.base,
        "head": diff.head,
        "changes": diff.has_changes,
        "access": [change.as_json() for change in diff.access],
        "extraStatements": [change.as_json() for change in diff.extra_statements],
        "resources": [change.as_json() for change in diff.resources],
        "summary": {
            "add": diff.count("add"),
            "change": diff.count("change"),
            "remove": diff.count("remove"),
            "access": len(diff.access) + len(diff.extra_statements),
        },
    }
