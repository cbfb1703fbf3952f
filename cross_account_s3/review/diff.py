"""What a grants change does, as a reviewer asks it: who gains or loses which access, and which resources change.

Pure functions over two `PlanSnapshot`s. Resources are matched by URN, as Pulumi matches them, so a
reordered grants file shows no change. Policy statements are matched by Sid: the program's Sids
depend on what a statement allows and not on who, so adding a user shows as a changed principal list
rather than a replaced statement. Access changes come from the grants themselves, per user and bucket
(and per account, when the change moves the users or the buckets to another one). Stack settings are
compared too, key by key, since one of them can change every resource at once. `render.py` turns the
result into text and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..core.documents import statements
from ..core.outputs import GrantsOutput
from ..core.settings import GRANTS_FILE_KEY, NAMESPACE
from ..core.statements import OWN_SID
from .snapshot import BUCKET_POLICY_TYPE, KMS_GRANT_TYPE, PlanSnapshot, decode_input

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
    # Set only when the change moves the stack's users (or buckets) to another account: the account this
    # user (or bucket) is in, since the same name there is another principal (or another bucket owner).
    userAccount: str | None = None
    bucketAccount: str | None = None

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
class SettingChange:
    """A stack setting (a key of the stack file's config; an object field by field) set, removed or changed.

    Listed in words because a setting can change every resource at once (the user account re-points every
    bucket policy, `groupPrefix` renames every group), and the reviewer should read the cause, not only its
    effects.
    """

    key: str  # such as "cross-account-s3:userAccount.accountId"
    kind: ChangeKind = field(init=False)
    before: str | None
    after: str | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind(self.before is not None, self.after is not None))


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
    settings: tuple[SettingChange, ...] = ()
    base_stack_file: str = ""  # the stack file each side was planned with, as the reader knows it
    head_stack_file: str = ""
    stack_file_note: str | None = None  # when both sides share one stack file, or the base has none
    base_problems: str = ""  # the base cannot be planned by this program (so it is compared as empty): why

    @property
    def has_changes(self) -> bool:
        return bool(self.access or self.extra_statements or self.resources or self.keys or self.settings)

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


AccessKey = tuple[str, str | None, str, str | None]  # user, their account if shown, bucket, its account if shown


def _access_by_user_and_bucket(
    grants: GrantsOutput, user_account: str | None = None, bucket_account: str | None = None
) -> dict[AccessKey, set[AccessEntry]]:
    access: dict[AccessKey, set[AccessEntry]] = {}
    for grant in grants.values():
        entry = AccessEntry(grant.access, grant.prefixes)
        for user in (*grant.users, *grant.roleLabels):  # a role reads as "role ci/deployer"
            for bucket in grant.buckets:
                access.setdefault((user, user_account, bucket, bucket_account), set()).add(entry)
    return access


def _moved(base: Mapping[str, str], head: Mapping[str, str], account: str) -> bool:
    """Whether the change moves the stack's users (or buckets) to another account (both sides name one)."""
    return bool(base.get(account)) and bool(head.get(account)) and base.get(account) != head.get(account)


def access_changes(
    base: GrantsOutput,
    head: GrantsOutput,
    base_accounts: Mapping[str, str] | None = None,
    head_accounts: Mapping[str, str] | None = None,
) -> list[AccessChange]:
    """Per user and bucket, the access before and after, from the stack's "grants" exports.

    Entries compare by level and prefixes only, so renaming or splitting a grant without changing
    what anyone can do shows no access change. When the change moves the stack's users to another
    account (each side's "accounts" export), a name stands for another principal: each side's users are
    named with their account, so everyone in the old account loses their access and everyone in the new
    one gains it. The same goes for the bucket account, which every grant's policies check
    (s3:ResourceAccount).
    """
    old_accounts, new_accounts = base_accounts or {}, head_accounts or {}
    users_moved = _moved(old_accounts, new_accounts, "userAccount")
    buckets_moved = _moved(old_accounts, new_accounts, "bucketAccount")

    def access(grants: GrantsOutput, accounts: Mapping[str, str]) -> dict[AccessKey, set[AccessEntry]]:
        return _access_by_user_and_bucket(
            grants,
            accounts["userAccount"] if users_moved else None,
            accounts["bucketAccount"] if buckets_moved else None,
        )

    old, new = access(base, old_accounts), access(head, new_accounts)
    changes: list[AccessChange] = []
    for key in old.keys() | new.keys():
        before, after = old.get(key, set()), new.get(key, set())
        if before != after:
            user, user_account, bucket, bucket_account = key
            changes.append(
                AccessChange(user, bucket, tuple(sorted(before)), tuple(sorted(after)), user_account, bucket_account)
            )
    return sorted(
        changes,
        key=lambda change: (change.user.lower(), change.bucket, change.userAccount or "", change.bucketAccount or ""),
    )


def flat_settings(config: Mapping[str, str]) -> dict[str, str]:
    """A stack file's config by setting, each field of an object on its own ("cross-account-s3:userAccount.accountId"),
    so that a change reads as the one value that changed."""
    flat: dict[str, str] = {}

    def add(key: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for field_name, field_value in value.items():
                add(f"{key}.{field_name}", field_value)
        else:
            flat[key] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)

    for key, text in config.items():
        add(key, decode_input(text))
    return flat


# Not listed: the grants it names are compared themselves, and the diff's first line names both sides' files,
# so a pull request that only moves the grants into a directory still reads as no change.
_GRANTS_FILE_SETTING = f"{NAMESPACE}:{GRANTS_FILE_KEY}"


def setting_changes(base: PlanSnapshot, head: PlanSnapshot) -> list[SettingChange]:
    """The stack settings the change sets, removes or changes, by key; all of them for a stack that is new."""
    old, new = flat_settings(base.stack_settings), flat_settings(head.stack_settings)
    old.pop(_GRANTS_FILE_SETTING, None)
    new.pop(_GRANTS_FILE_SETTING, None)
    return [
        SettingChange(key, old.get(key), new.get(key))
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def stack_file_note(base: PlanSnapshot, head: PlanSnapshot) -> str | None:
    """What a reviewer must know about the stack files compared: none at the base, or one shared by both sides."""
    if not base.stack_file_found:
        return f"{base.stack_file} does not exist: the stack is new there, so everything it would create shows as added"
    if head.stack_file and base.stack_file == head.stack_file:
        return (
            f"{head.stack_file} on both sides, as it is now: a grants file as the base compares the grants only; "
            "give --diff a git revision to compare the stack file too"
        )
    return None


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
    """What changing the stack (its grants and its stack file) from `base` to `head` would do."""
    return PlanDiff(
        base=base.grants_file,
        head=head.grants_file,
        stack=head.stack,
        access=tuple(access_changes(base.grants, head.grants, base.accounts, head.accounts)),
        extra_statements=tuple(extra_statement_changes(base, head)),
        resources=tuple(resource_changes(base, head)),
        keys=tuple(key_changes(base, head)),
        settings=tuple(setting_changes(base, head)),
        base_stack_file=base.stack_file,
        head_stack_file=head.stack_file,
        stack_file_note=stack_file_note(base, head),
        base_problems=base.problems,
    )
