"""Checks against what already exists in AWS: users, roles, buckets, the buckets' current policies and KMS keys.

The Pulumi layer looks these facts up through the account providers during preview; this module
decides what they mean. A missing user or bucket would otherwise fail only at apply time ("Invalid
principal in policy"). What a bucket's live policy holds that someone else wrote is judged in
`foreign_statements`.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import kms
from .bucket_settings import KEY as BUCKET_SETTINGS_KEY
from .bucket_settings import snippet as region_snippet
from .documents import UNIQUE_ID_PREFIXES, WrittenStatements, principals, statements
from .grantees import GranteeKind, entry_name
from .loaded_grants import LoadedGrants
from .problems import Problem
from .statements import is_own


class Failure(enum.Enum):
    """What a failed invoke's text says happened, as far as the provider's text tells it."""

    NOT_FOUND = "not found"  # "couldn't find resource": upstream's NotFoundError, whatever AWS's code was
    EMPTY_RESULT = "empty result"  # getBucket: HeadBucket failed with anything but 404
    DENIED = "access denied"
    OTHER_REGION = "another region"  # S3 redirected, or the request was signed for the wrong region
    UNCLASSIFIED = "unclassified"


def provider_message(text: str) -> str:
    """The data source's own message inside the engine's and bridge's wrapping, or the whole text, on one line."""
    match = _ONE_ERROR.search(text)
    found = match["message"] if match else text
    return " ".join(found.split())


# go-multierror's one-item list, the innermost wrapping of an SDKv2 data source's error.
_ONE_ERROR = re.compile(r"1 error occurred:\n\t\* (?P<message>.*?)\n*\Z", re.DOTALL)
# How the AWS SDK for Go v2 prints an API error: "..., api error CODE: message".
_API_ERROR = re.compile(r"https response error StatusCode: [0-9]{3}, .*?api error (?P<code>[A-Za-z]+): ")


def failure_kind(text: str) -> Failure:
    """Classify an invoke's error text by what the provider really sends, never by codes it does not pass on.

    Upstream wraps NoSuchEntity, NoSuchBucket and NoSuchBucketPolicy in a NotFoundError whose text is
    only "couldn't find resource", so those codes never reach the program. Errors that are not
    "not found" keep the AWS SDK's text, including its "api error CODE:" part, which is what is
    read here. Anything else is unclassified, and is reported, never guessed at.
    """
    message = provider_message(text)
    if message.endswith(": couldn't find resource"):
        return Failure.NOT_FOUND
    if message.endswith(": empty result"):
        return Failure.EMPTY_RESULT
    api_error = _API_ERROR.search(message)
    code = api_error["code"] if api_error else ""
    if code in ("AccessDenied", "AccessDeniedException"):
        return Failure.DENIED
    if code in ("PermanentRedirect", "AuthorizationHeaderMalformed"):
        return Failure.OTHER_REGION
    return Failure.UNCLASSIFIED


@dataclass(frozen=True)
class Answer:
    """One invoke's answer: the payload it returned, or the text of the error it raised."""

    payload: Mapping[str, Any] | None = None
    error: str | None = None

    @property
    def failure(self) -> Failure | None:
        return None if self.error is None else failure_kind(self.error)


@dataclass(frozen=True)
class LookupFailure:
    """Why a user or bucket could not be looked up, with the permission it needs and the provider's words."""

    failure: Failure
    permission: str  # the IAM action the lookup needed, such as iam:GetUser
    text: str  # the provider's message

    @classmethod
    def of(cls, answer: Answer, permission: str) -> LookupFailure:
        assert answer.error is not None and answer.failure is not None
        return cls(answer.failure, permission, provider_message(answer.error))


@dataclass(frozen=True)
class LiveUser:
    """An IAM user as the user account reports it."""

    name: str
    arn: str
    user_id: str  # AIDA...; a bucket policy shows this instead of the ARN once the user is deleted
    permissions_boundary: str | None = None  # the boundary policy's ARN, when the user has one


@dataclass(frozen=True)
class LiveRole:
    """An IAM role as the user account reports it, with the names of its inline policies."""

    name: str
    arn: str  # with the role's path
    role_id: str  # AROA...; a bucket policy shows this instead of the ARN once the role is deleted
    inline_policies: tuple[str, ...] | None = None  # None: the listing failed (see `policies_error`)
    policies_error: str | None = None  # getRolePolicies' failure, word for word: its text is not classified


@dataclass(frozen=True)
class LiveBucket:
    """A bucket as the bucket account reports it."""

    name: str
    exists: bool
    policy: Mapping[str, Any] | None = None  # None: the bucket has no policy, the normal case
    failure: LookupFailure | None = None  # why the bucket could not be read, when it may exist but is not readable
    region: str | None = None  # the region asked, when the grants file sets one


def user_from_answer(name: str, answer: Answer) -> LiveUser | LookupFailure | None:
    """getUser's answer: the user, None when IAM has no such user, or why the lookup failed."""
    if answer.payload is not None:
        found = answer.payload
        return LiveUser(
            name=str(found.get("userName") or name),
            arn=str(found["arn"]),
            user_id=str(found["userId"]),
            permissions_boundary=str(found.get("permissionsBoundary") or "") or None,
        )
    if answer.failure is Failure.NOT_FOUND:
        return None
    return LookupFailure.of(answer, "iam:GetUser")


def needs_role_policies(role_answer: Answer) -> bool:
    """getRolePolicies is asked only for a role getRole found: existence is decided by getRole's confirmed text."""
    return role_answer.payload is not None


def role_from_answers(
    name: str, role_answer: Answer, policies_answer: Answer | None
) -> LiveRole | LookupFailure | None:
    """getRole's answer (and getRolePolicies' for a role that exists): the role, None, or why it failed.

    getRolePolicies is a Plugin Framework data source whose error text is not confirmed for the
    provider version in use, so nothing is decided from it: any failure is kept word for word and
    stops the preview, because without the list the program cannot know it would not overwrite.
    """
    if role_answer.payload is None:
        if role_answer.failure is Failure.NOT_FOUND:
            return None
        return LookupFailure.of(role_answer, "iam:GetRole")
    found = role_answer.payload
    role = LiveRole(
        name=str(found.get("name") or name), arn=str(found["arn"]), role_id=str(found.get("uniqueId") or "")
    )
    if policies_answer is None or policies_answer.error is not None:
        error = policies_answer.error if policies_answer is not None else None
        return LiveRole(role.name, role.arn, role.role_id, None, " ".join((error or "not asked").split()))
    names = policies_answer.payload.get("policyNames") if policies_answer.payload else None
    return LiveRole(role.name, role.arn, role.role_id, tuple(sorted(str(n) for n in names or ())))


def needs_bucket_check(policy_answer: Answer) -> bool:
    """getBucketPolicy says "couldn't find resource" alike for no bucket and no policy; only getBucket tells."""
    return policy_answer.failure is Failure.NOT_FOUND


def bucket_from_answers(
    name: str, policy_answer: Answer, bucket_answer: Answer | None, region: str | None = None
) -> LiveBucket:
    """The bucket, from getBucketPolicy's answer and, when that was "couldn't find resource", getBucket's."""
    if policy_answer.payload is not None:
        text = policy_answer.payload.get("policy")
        return LiveBucket(name=name, exists=True, policy=json.loads(str(text)) if text else None, region=region)
    if not needs_bucket_check(policy_answer):
        return LiveBucket(
            name, exists=True, failure=LookupFailure.of(policy_answer, "s3:GetBucketPolicy"), region=region
        )
    assert bucket_answer is not None, "getBucket must be asked when getBucketPolicy found nothing"
    if bucket_answer.payload is not None:
        return LiveBucket(name=name, exists=True, policy=None, region=region)
    if bucket_answer.failure is Failure.NOT_FOUND:
        return LiveBucket(name=name, exists=False, region=region)
    return LiveBucket(name, exists=True, failure=LookupFailure.of(bucket_answer, "s3:ListBucket"), region=region)


@dataclass(frozen=True)
class LiveKey:
    """A KMS key as the bucket account's KMS reports it (DescribeKey, through getKey)."""

    arn: str  # the key's own ARN, also when it was asked for by alias
    key_manager: str  # "CUSTOMER" or "AWS"
    key_state: str  # "Enabled", "Disabled", "PendingDeletion", ...


def key_from_answer(answer: Answer) -> LiveKey | LookupFailure | None:
    """getKey's answer: the key, None when KMS has no such key or alias, or why the lookup failed."""
    if answer.payload is not None:
        found = answer.payload
        return LiveKey(
            arn=str(found["arn"]),
            key_manager=str(found.get("keyManager", "")),
            key_state=str(found.get("keyState", "")),
        )
    if answer.failure is Failure.NOT_FOUND:
        return None
    return LookupFailure.of(answer, "kms:DescribeKey")


@dataclass(frozen=True)
class LiveFacts:
    users: Mapping[str, LiveUser | None]  # by lowercase user name; None: no such user
    buckets: Mapping[str, LiveBucket]
    user_failures: Mapping[str, LookupFailure] = field(default_factory=dict)  # by lowercase name
    roles: Mapping[str, LiveRole | None] = field(default_factory=dict)  # by lowercase role name; None: no such role
    role_failures: Mapping[str, LookupFailure] = field(default_factory=dict)  # by lowercase role name
    # (lowercase role name, inline policy name) pairs this stack wrote in its last deployment: its own.
    owned_role_policies: frozenset[tuple[str, str]] = frozenset()
    keys: Mapping[str, LiveKey | LookupFailure | None] = field(default_factory=dict)  # by `kmsKey` setting
    # Buckets whose policy the last deployment wrote and the grants no longer name: `pulumi up` deletes it.
    retired_buckets: Mapping[str, LiveBucket] = field(default_factory=dict)
    # bucket -> the statements the last deployment wrote into its policy.
    last_written: Mapping[str, WrittenStatements] = field(default_factory=dict)
    # grant name -> key ID -> regions where the last deployment used the key (`LastDeployment.key_regions`).
    last_key_regions: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)

    @property
    def key_arns(self) -> dict[str, str]:
        """Each `kmsKey` setting's key ARN, as KMS resolved it (an alias to its key)."""
        return {key: found.arn for key, found in self.keys.items() if isinstance(found, LiveKey)}

    @property
    def user_arns(self) -> dict[str, str]:
        return {key: user.arn for key, user in self.users.items() if user is not None}

    @property
    def found_arns(self) -> dict[GranteeKind, dict[str, str]]:
        """The ARN of every user and role found, by kind and lowercase name."""
        roles = {key: role.arn for key, role in self.roles.items() if role is not None}
        return {"user": self.user_arns, "role": roles}


def _grantee_problem(kind: GranteeKind, entry: str, facts: LiveFacts, user_account: str) -> tuple[str, str] | None:
    """(message, fix) when a grants-file user or role entry does not match a real one of the user account."""
    name = entry_name(entry, kind)
    failures, found = (facts.user_failures, facts.users) if kind == "user" else (facts.role_failures, facts.roles)
    failure = failures.get(name.lower())
    live = found.get(name.lower())
    if failure is not None:
        return failure_problem(f"the {kind} {name!r}", f"user account {user_account}", failure, None, bucket=None)
    if live is None:
        return (
            f"the {kind} {name!r} does not exist in the user account {user_account}; AWS would reject the bucket "
            "policy with 'Invalid principal in policy'",
            f"check the spelling against the IAM console, or create the {kind} before adding the grant",
        )
    if entry.startswith("arn:") and entry != live.arn:
        return (
            f"the ARN {entry!r} does not match the {kind}'s real ARN {live.arn!r} (its path differs)",
            f"write {live.arn!r}, or just the {kind} name",
        )
    policies_error = live.policies_error if isinstance(live, LiveRole) else None  # a role's inline policy names
    if policies_error is not None:
        return (
            f"the inline policies of role {name!r} could not be listed, so this program cannot tell whether its "
            f"policy would replace one someone else wrote; the provider said: {policies_error}",
            "make sure the user account's profile (or role) may call iam:ListRolePolicies, then preview again "
            "(see docs/roles.md)",
        )
    return None


def _bucket_problem(bucket: str, facts: LiveFacts, bucket_account: str, region: str) -> tuple[str, str] | None:
    """(message, fix) when a bucket is missing from the bucket account or cannot be read there."""
    state = facts.buckets.get(bucket)
    if state is None or not state.exists:
        return (
            f"the bucket {bucket!r} does not exist in the bucket account {bucket_account}",
            "check the name, or create the bucket in that account first",
        )
    if state.failure is not None:
        where = f"bucket account {bucket_account}"
        return failure_problem(f"the bucket {bucket!r}", where, state.failure, state.region or region, bucket=bucket)
    return None


_EXPECTED_REGION = re.compile(r"expecting '(?P<region>[a-z0-9-]+)'")


def failure_problem(
    what: str, where: str, failure: LookupFailure, asked_region: str | None, *, bucket: str | None
) -> tuple[str, str]:
    """(message, fix) for a lookup that failed: each kind says what to change, and every one quotes the provider."""
    said = f"the provider said: {failure.text}"
    if bucket is not None and failure.failure in (Failure.OTHER_REGION, Failure.EMPTY_RESULT):
        expected = _EXPECTED_REGION.search(failure.text)
        region = expected["region"] if expected else "<the bucket's region>"
        if failure.failure is Failure.EMPTY_RESULT:
            unreadable = f", or the profile (or role) may not call {failure.permission} on it"
            otherwise = f"otherwise allow {failure.permission} on it to the bucket account's profile (or role)"
        else:
            unreadable = ""
            otherwise = "otherwise check that the bucket belongs to the bucket account"
        return (
            f"{what} could not be read from the {where} in {asked_region}: it may be in another region, or "
            f"unreadable{unreadable}; {said}",
            "if the bucket is in another region, add this to the grants file (the S3 console shows the region):\n"
            + region_snippet(bucket, region)
            + f"\n    {otherwise} (see docs/aws-permissions.md)",
        )
    if failure.failure is Failure.DENIED:
        return (
            f"{what} could not be looked up in the {where}: the profile (or role) is not allowed "
            f"{failure.permission}; {said}",
            f"allow {failure.permission} to the {where.split(' ')[0]} account's profile (or role), then preview "
            "again (see docs/aws-permissions.md)",
        )
    return (
        f"{what} could not be looked up in the {where}, and the answer is not one this program knows, so it "
        f"assumes nothing; {said}",
        "fix what the provider's message says (credentials, network, permissions), then preview again",
    )


def lookup_problems(
    loaded: LoadedGrants, facts: LiveFacts, user_account: str, bucket_account: str, bucket_region: str
) -> list[Problem]:
    """Users, roles and buckets that the grants name but AWS does not have, has elsewhere, or would not show.

    `bucket_region` is the bucket account's region, where buckets without `bucketSettings` are looked up.
    """
    problems: list[Problem] = []
    for grant in loaded.grants:
        for index, user in enumerate(grant.users):
            found = _grantee_problem("user", user, facts, user_account)
            if found:
                problems.append(grant.where.at("users", index).problem(*found))
        for index, role in enumerate(grant.roles):
            found = _grantee_problem("role", role, facts, user_account)
            if found:
                problems.append(grant.where.at("roles", index).problem(*found))
        field_name = "bucket" if grant.bucket else "buckets"
        for bucket in grant.bucket_names:
            found = _bucket_problem(bucket, facts, bucket_account, bucket_region)
            if found:
                problems.append(grant.where.at(field_name).problem(*found))
    problems += key_problems(loaded, facts, bucket_account)
    granted = {bucket for grant in loaded.grants for bucket in grant.bucket_names}
    for bucket in loaded.managed_buckets:
        state = facts.buckets.get(bucket)
        if bucket in granted:
            continue
        if state is None or not state.exists:
            problems.append(
                loaded.bucket_entry("extraStatements", bucket).problem(
                    f"the bucket {bucket!r} does not exist in the bucket account {bucket_account}",
                    "check the name, or remove the entry",
                )
            )
        elif found := _bucket_problem(bucket, facts, bucket_account, bucket_region):
            # Its policy is rewritten to just the kept statements: never on a guess about what it holds now.
            problems.append(loaded.bucket_entry("extraStatements", bucket).problem(*found))
    return problems


def _key_problem(bucket: str, key: str, facts: LiveFacts, bucket_account: str) -> tuple[str, str] | None:
    """(message, fix) when a bucket's `kmsKey` is missing, AWS managed, not enabled, or could not be read."""
    found = facts.keys.get(key)
    if isinstance(found, LookupFailure):
        return failure_problem(
            f"the KMS key {key} of bucket {bucket!r}", f"bucket account {bucket_account}", found, None, bucket=None
        )
    if found is None:
        return (
            f"the KMS key {key} of bucket {bucket!r} does not exist in the bucket account {bucket_account}: KMS "
            "has no such key or alias",
            "copy the key ARN from the bucket's default encryption settings (S3 console, Properties), and check "
            "that the key was not deleted",
        )
    if found.key_manager == kms.AWS_MANAGED:
        message, fix = kms.aws_managed_problem(f"the KMS key {key} of bucket {bucket!r}")
        return message, fix
    if found.key_state != kms.ENABLED:
        return (
            f"the KMS key {key} of bucket {bucket!r} is in the state {found.key_state}, not Enabled, so S3 "
            "cannot use it to read or write the bucket's objects for anyone",
            "enable the key (or cancel its deletion) in the KMS console, or name the key the bucket is "
            "encrypted with now",
        )
    return None


def key_problems(loaded: LoadedGrants, facts: LiveFacts, bucket_account: str) -> list[Problem]:
    """Every bucket whose `kmsKey` KMS does not have, will not show, or S3 cannot use across accounts."""
    problems: list[Problem] = []
    for bucket, entry in sorted(loaded.bucket_settings.items()):
        if entry.kmsKey is None:
            continue
        found = _key_problem(bucket, entry.kmsKey, facts, bucket_account)
        if found:
            problems.append(loaded.bucket_entry(BUCKET_SETTINGS_KEY, bucket).at(kms.SETTING).problem(*found))
    return problems


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
        named = {p for statement in statements(state.policy) if is_own(statement) for p in principals(statement, "AWS")}
        stale = sorted(value for value in named if value.startswith(UNIQUE_ID_PREFIXES) and value not in current_ids)
        missing = sorted(arn for arn in expected if arn not in named)
        if stale and missing:
            notes.append(
                f"bucket {bucket}: its live policy names {', '.join(stale)} where "
                f"{', '.join(missing)} should be. Those users or roles were deleted and re-created, and have had "
                "no access to this bucket since. `pulumi up` rewrites the policy with their current ARNs and "
                "restores it."
            )
    return notes
