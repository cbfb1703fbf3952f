"""Checks against what already exists in AWS: users, buckets and the buckets' current policies.

The Pulumi layer looks these facts up through the account providers during preview; this module
decides what they mean. A missing user or bucket would otherwise fail only at apply time ("Invalid
principal in policy"), and a bucket policy statement someone else wrote would otherwise be wiped,
because PutBucketPolicy replaces the whole policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from .documents import principals, statements
from .grantees import GranteeKind, entry_name
from .grants import OWN_SID, OWN_SID_PREFIX, LoadedGrants
from .problems import Problem


@dataclass(frozen=True)
class LiveUser:
    """An IAM user as the user account reports it."""

    name: str
    arn: str
    user_id: str  # AIDA...; a bucket policy shows this instead of the ARN once the user is deleted


@dataclass(frozen=True)
class LiveRole:
    """An IAM role as the user account reports it, with the names of its inline policies."""

    name: str
    arn: str  # with the role's path
    role_id: str  # AROA...; a bucket policy shows this instead of the ARN once the role is deleted
    inline_policies: tuple[str, ...] | None = None  # None: the listing failed (see `policies_error`)
    policies_error: str | None = None  # why the inline policy names could not be listed, word for word


@dataclass(frozen=True)
class LiveBucket:
    """A bucket as the bucket account reports it."""

    name: str
    exists: bool
    policy: Mapping[str, Any] | None = None  # None: the bucket has no policy, the normal case
    error: str | None = None  # why the bucket could not be read, when it exists but is not readable


@dataclass(frozen=True)
class LiveFacts:
    users: Mapping[str, LiveUser | None]  # by lowercase user name; None: no such user
    buckets: Mapping[str, LiveBucket]
    user_errors: Mapping[str, str] = field(default_factory=dict)  # by lowercase name: why the lookup failed
    roles: Mapping[str, LiveRole | None] = field(default_factory=dict)  # by lowercase role name; None: no such role
    role_errors: Mapping[str, str] = field(default_factory=dict)  # by lowercase role name: why getRole failed
    # (lowercase role name, inline policy name) pairs this stack wrote in its last deployment: its own.
    owned_role_policies: frozenset[tuple[str, str]] = frozenset()

    @property
    def user_arns(self) -> dict[str, str]:
        return {key: user.arn for key, user in self.users.items() if user is not None}

    @property
    def found_arns(self) -> dict[GranteeKind, dict[str, str]]:
        """The ARN of every user and role found, by kind and lowercase name."""
        roles = {key: role.arn for key, role in self.roles.items() if role is not None}
        return {"user": self.user_arns, "role": roles}


def _body(statement: Mapping[str, Any]) -> str:
    """A statement without its Sid, so one declared with a new Sid still matches its Sid-less original."""
    return json.dumps({key: value for key, value in statement.items() if key != "Sid"}, sort_keys=True)


def _user_problem(user: str, facts: LiveFacts, user_account: str) -> tuple[str, str] | None:
    """(message, fix) when a grants-file user entry does not match a real user of the user account."""
    name = entry_name(user)
    failure = facts.user_errors.get(name.lower())
    live = facts.users.get(name.lower())
    if failure is not None:
        return (
            f"the user {name!r} could not be looked up in the user account {user_account}: {failure}",
            "make sure the user account's profile (or role) may call iam:GetUser, then preview again",
        )
    if live is None:
        return (
            f"the user {name!r} does not exist in the user account {user_account}; AWS would reject the bucket "
            "policy with 'Invalid principal in policy'",
            "check the spelling against the IAM console, or create the user before adding the grant",
        )
    if user.startswith("arn:") and user != live.arn:
        return (
            f"the ARN {user!r} does not match the user's real ARN {live.arn!r} (its path differs)",
            f"write {live.arn!r}, or just the user name",
        )
    return None


def _role_problem(role: str, facts: LiveFacts, user_account: str) -> tuple[str, str] | None:
    """(message, fix) when a grants-file role entry does not match a real role of the user account.

    Existence is decided by getRole alone, whose not-found answer the provider maps to "couldn't
    find resource"; a failed listing of the role's inline policies is shown word for word.
    """
    name = entry_name(role, "role")
    failure = facts.role_errors.get(name.lower())
    live = facts.roles.get(name.lower())
    if failure is not None:
        return (
            f"the role {name!r} could not be looked up in the user account {user_account}: {failure}",
            "make sure the user account's profile (or role) may call iam:GetRole, then preview again",
        )
    if live is None:
        return (
            f"the role {name!r} does not exist in the user account {user_account}; AWS would reject the bucket "
            "policy with 'Invalid principal in policy'",
            "check the spelling against the IAM console, or create the role before adding the grant",
        )
    if role.startswith("arn:") and role != live.arn:
        return (
            f"the ARN {role!r} does not match the role's real ARN {live.arn!r} (its path differs)",
            f"write {live.arn!r}, or just the role name",
        )
    if live.policies_error is not None:
        return (
            f"the inline policies of role {name!r} could not be listed, so this program cannot tell whether its "
            f"policy would replace someone else's: {live.policies_error}",
            "make sure the user account's profile (or role) may call iam:ListRolePolicies, then preview again",
        )
    return None


def _bucket_problem(bucket: str, facts: LiveFacts, bucket_account: str) -> tuple[str, str] | None:
    """(message, fix) when a bucket is missing from the bucket account or cannot be read there."""
    state = facts.buckets.get(bucket)
    if state is None or not state.exists:
        return (
            f"the bucket {bucket!r} does not exist in the bucket account {bucket_account}",
            "check the name, or create the bucket in that account first",
        )
    if state.error:
        return (
            f"the bucket {bucket!r} could not be read from the bucket account {bucket_account}: {state.error}",
            "make sure the bucket belongs to that account and the profile may read its policy",
        )
    return None


def lookup_problems(loaded: LoadedGrants, facts: LiveFacts, user_account: str, bucket_account: str) -> list[Problem]:
    """Users, roles and buckets that the grants name but AWS does not have, or has elsewhere."""
    problems: list[Problem] = []
    for grant in loaded.grants:
        for index, user in enumerate(grant.users):
            found = _user_problem(user, facts, user_account)
            if found:
                problems.append(grant.where.at("users", index).problem(*found))
        for index, role in enumerate(grant.roles):
            found = _role_problem(role, facts, user_account)
            if found:
                problems.append(grant.where.at("roles", index).problem(*found))
        field_name = "bucket" if grant.bucket else "buckets"
        for bucket in grant.bucket_names:
            found = _bucket_problem(bucket, facts, bucket_account)
            if found:
                problems.append(grant.where.at(field_name).problem(*found))
    granted = {bucket for grant in loaded.grants for bucket in grant.bucket_names}
    for bucket in loaded.managed_buckets:
        state = facts.buckets.get(bucket)
        if bucket not in granted and (state is None or not state.exists):
            problems.append(
                loaded.where.at("extraStatements", bucket).problem(
                    f"the bucket {bucket!r} does not exist in the bucket account {bucket_account}",
                    "check the name, or remove the entry",
                )
            )
    return problems


def _is_own(statement: Mapping[str, Any]) -> bool:
    return bool(OWN_SID.fullmatch(str(statement.get("Sid", ""))))


def _foreign_statements(loaded: LoadedGrants, facts: LiveFacts, bucket: str) -> list[dict[str, Any]]:
    state = facts.buckets.get(bucket)
    if state is None or not state.exists:
        return []
    return [s for s in statements(state.policy) if not _is_own(s)]


def foreign_statement_problems(loaded: LoadedGrants, facts: LiveFacts) -> list[Problem]:
    """Statements in a bucket's live policy that this program did not write and the file does not declare.

    Writing the policy would delete them, so preview stops and shows the YAML that keeps them. A
    statement counts as declared when the file has one with the same Sid, or with the same content
    under another Sid (one that had no Sid, or one named with this program's prefix by hand).
    """
    problems: list[Problem] = []
    for bucket in loaded.managed_buckets:
        declared = loaded.extra_statements.get(bucket, ())
        declared_sids = {str(s.get("Sid")) for s in declared}
        declared_bodies = {_body(s) for s in declared}
        undeclared = [
            s
            for s in _foreign_statements(loaded, facts, bucket)
            if str(s.get("Sid", "")) not in declared_sids and _body(s) not in declared_bodies
        ]
        if not undeclared:
            continue
        to_keep = []
        for number, statement in enumerate(undeclared, start=1):
            sid = str(statement.get("Sid", ""))
            if not sid or sid.startswith(OWN_SID_PREFIX):
                statement = {"Sid": f"Kept{number}", **{k: v for k, v in statement.items() if k != "Sid"}}
            to_keep.append(statement)
        sids = ", ".join(str(s.get("Sid") or "(no Sid)") for s in undeclared)
        snippet = yaml.safe_dump({"extraStatements": {bucket: to_keep}}, sort_keys=False, default_flow_style=False)
        problems.append(
            loaded.where.at("extraStatements", bucket).problem(
                f"the bucket's current policy has statements this program did not write ({sids}); writing the "
                "policy would delete them",
                "to keep them, add this to the grants file (statements without a Sid, or with this program's "
                "Sid prefix, get a new Sid):\n"
                + "\n".join("      " + line for line in snippet.splitlines())
                + "\n    or remove them from the bucket policy by hand if they are no longer wanted",
            )
        )
    return problems


def replaced_statement_notes(loaded: LoadedGrants, facts: LiveFacts) -> list[str]:
    """Declared statements whose live version, under the same Sid, says something else.

    The file wins (it is the reviewed copy), but a reviewer must see that `pulumi up` will change a
    statement someone else wrote, so preview says what will change.
    """
    notes: list[str] = []
    for bucket in loaded.managed_buckets:
        declared = {str(s.get("Sid")): s for s in loaded.extra_statements.get(bucket, ())}
        for live in _foreign_statements(loaded, facts, bucket):
            mine = declared.get(str(live.get("Sid", "")))
            if mine is not None and _body(mine) != _body(live):
                notes.append(
                    f"bucket {bucket}: statement {live.get('Sid')} in the live policy differs from the one in the "
                    f"grants file; `pulumi up` will replace the live version {_body(live)} with the declared "
                    f"version {_body(mine)}"
                )
    return notes


def stale_principal_notes(facts: LiveFacts, principals_by_bucket: Mapping[str, set[str]]) -> list[str]:
    """Users and roles whose ARN in a live bucket policy has turned into a unique ID (AIDA... or AROA...).

    AWS does that when a named user or role is deleted; a re-created one of the same name does not
    get access back until the policy is written again, which the next `pulumi up` does.
    """
    notes: list[str] = []
    current_ids = {user.user_id for user in facts.users.values() if user is not None}
    current_ids |= {role.role_id for role in facts.roles.values() if role is not None}
    for bucket, expected in sorted(principals_by_bucket.items()):
        state = facts.buckets.get(bucket)
        if state is None:
            continue
        named = {
            p for statement in statements(state.policy) if _is_own(statement) for p in principals(statement, "AWS")
        }
        stale = sorted(value for value in named if value.startswith(("AIDA", "AROA")) and value not in current_ids)
        missing = sorted(arn for arn in expected if arn not in named)
        if stale and missing:
            notes.append(
                f"bucket {bucket}: its live policy names {', '.join(stale)} where "
                f"{', '.join(missing)} should be. Those users or roles were deleted and re-created, and have had no access "
                "to this bucket since. `pulumi up` rewrites the policy with their current ARNs and restores it."
            )
    return notes
