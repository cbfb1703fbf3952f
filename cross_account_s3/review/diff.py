"""What a grants change does, as a reviewer asks it: who gains or loses which access, and which resources change.

Pure functions over two `PlanSnapshot`s. Resources are matched by URN, as Pulumi matches them, so a
reordered grants file shows no change. Policy statements are matched by Sid: the program's Sids
depend on what a statement allows and not on who, so adding a user shows as a changed principal list
rather than a replaced statement. Access changes come from the grants themselves, per user and bucket.
`render.py` turns the result into text and JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..core.documents import statements
from ..core.grants import OWN_SID
from ..core.outputs import GrantsOutput
from .snapshot import BUCKET_POLICY_TYPE, KMS_GRANT_TYPE, PlanSnapshot

ChangeKind = Literal["add", "remove", "change"]
# What a change does to anyone's access: opens some ("gain"), only closes some ("loss"), or both.
AccessEffect = Literal["gain", "loss", "change"]


def _kind(before: object | None, after: object | None) -> ChangeKind:
    return "add" if not before else ("remove" if not after else "change")


@dataclass(frozen=True, order=True)
class AccessEntry:
    """One grant's access for a user on a bucket: the level (or action list) and the prefixes it is limited to."""

    access: str
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class AccessChange:
    """A user's or role's access to one bucket before and after the change; an empty side means no access."""

    user: str  # a user name, or a role as "role ci/deployer"
    bucket: str
    kind: ChangeKind = field(init=False)
    before: tuple[AccessEntry, ...]
    after: tuple[AccessEntry, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind(self.before, self.after))


@dataclass(frozen=True)
class ExtraStatementChange:
    """A bucket policy statement this program does not write (an `extraStatements` entry), added, removed or changed.

    These change access outside the access levels, so they belong in the Access section a reviewer
    reads first, not only among the resource details.
    """

    bucket: str
    sid: str
    kind: ChangeKind = field(init=False)
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind(self.before is not None, self.after is not None))

    @property
    def effect(self) -> AccessEffect:
        """A Deny only ever narrows access: keeping one is no gain, and dropping one may open what it denied."""
        if self.kind == "change":
            return "change"
        statement = self.after if self.kind == "add" else self.before
        denies = statement is not None and statement.get("Effect") == "Deny"
        return "gain" if (self.kind == "add") != denies else "loss"


@dataclass(frozen=True)
class StatementChange:
    """One policy statement added, removed or changed, matched by Sid."""

    kind: ChangeKind
    sid: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class InputChange:
    """One input of a resource whose value changed (policy documents are shown as statement changes instead)."""

    key: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceChange:
    """A resource the change adds, removes or updates, with what differs inside it."""

    kind: ChangeKind
    urn: str
    type: str
    name: str
    inputs: tuple[InputChange, ...]
    statements: tuple[StatementChange, ...]


@dataclass(frozen=True)
class KeyChange:
    """A bucket's KMS key (its `kmsKey` setting and key ARN) before and after; None means not encrypted with one."""

    bucket: str
    kind: ChangeKind = field(init=False)
    before: Mapping[str, str] | None
    after: Mapping[str, str] | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind(self.before, self.after))


@dataclass(frozen=True)
class PlanDiff:
    """Everything that differs between the base plan and the changed one."""

    base: str
    head: str
    stack: str
    access: tuple[AccessChange, ...]
    extra_statements: tuple[ExtraStatementChange, ...]
    resources: tuple[ResourceChange, ...]
    keys: tuple[KeyChange, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.access or self.extra_statements or self.resources or self.keys)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.resources if change.kind == kind)


def _statements_by_sid(policy: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {str(statement.get("Sid", f"#{index + 1}")): statement for index, statement in enumerate(statements(policy))}


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
                    "add",
                    urn,
                    resource.type,
                    resource.name,
                    _shown_inputs(resource.inputs, adding=True) if resource.type == KMS_GRANT_TYPE else (),
                    tuple(statement_changes(None, resource.policy)),
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
                    "remove",
                    urn,
                    resource.type,
                    resource.name,
                    _shown_inputs(resource.inputs, adding=False) if resource.type == KMS_GRANT_TYPE else (),
                    tuple(statement_changes(resource.policy, None)),
                )
            )
    positions = {**base.tree_positions(), **head.tree_positions()}
    return sorted(changes, key=lambda change: positions[change.urn])


# What a reviewer checks on a KMS grant that comes or goes: which key, for whom, to do what, where.
_KMS_GRANT_INPUTS = ("keyId", "granteePrincipal", "operations", "region")


def _shown_inputs(inputs: Mapping[str, Any], *, adding: bool) -> tuple[InputChange, ...]:
    """A KMS grant's inputs, as changes from nothing (added) or to nothing (removed)."""
    return tuple(
        InputChange(key, None, inputs[key]) if adding else InputChange(key, inputs[key], None)
        for key in _KMS_GRANT_INPUTS
        if key in inputs
    )


def key_changes(base: PlanSnapshot, head: PlanSnapshot) -> list[KeyChange]:
    """Buckets whose KMS key the change sets, removes or replaces, from the stacks' "bucketKeys" outputs."""
    old, new = base.bucket_keys, head.bucket_keys
    return [
        KeyChange(bucket, old.get(bucket), new.get(bucket))
        for bucket in sorted(old.keys() | new.keys())
        if old.get(bucket) != new.get(bucket)
    ]


def _access_by_user_and_bucket(grants: GrantsOutput) -> dict[tuple[str, str], set[AccessEntry]]:
    access: dict[tuple[str, str], set[AccessEntry]] = {}
    for grant in grants.values():
        entry = AccessEntry(grant.access, grant.prefixes)
        for user in (*grant.users, *grant.roleLabels):  # a role reads as "role ci/deployer"
            for bucket in grant.buckets:
                access.setdefault((user, bucket), set()).add(entry)
    return access


def access_changes(base: GrantsOutput, head: GrantsOutput) -> list[AccessChange]:
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
        keys=tuple(key_changes(base, head)),
    )
