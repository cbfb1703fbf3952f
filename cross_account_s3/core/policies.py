"""Turning grants into IAM policy documents: the one place where access is decided.

Cross-account S3 access needs two halves (IAM user guide, "Cross-account policy evaluation
logic"): the identity policy of the user's group in the user account, and the bucket policy in the
bucket account. `statements_for` builds both halves from one grant, so they cannot disagree. Every
other function here only arranges, merges and serialises what it returns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import s3_actions
from .grants import OWN_SID_PREFIX, AccessLevel, Grant, LoadedGrants
from .s3_actions import S3Action, Target
from .settings import GROUP_PATH, Settings

POLICY_VERSION = "2012-10-17"

# What each access level means, as exact actions. `read` needs ListBucket on the bucket ARN as well
# as GetObject on object ARNs: a grant on BUCKET/* alone cannot list (the original guide's mistake).
# `full` stops at DeleteObject: deleting object versions, or anything on the bucket itself, is
# administration and never granted across accounts.
ACCESS_LEVEL_ACTIONS: Mapping[AccessLevel, tuple[str, ...]] = {
    "read": ("s3:GetObject", "s3:ListBucket"),
    "write": ("s3:AbortMultipartUpload", "s3:PutObject"),
    "read-write": ("s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:PutObject"),
    "full": ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"),
}

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arns(bucket: str, prefixes: Iterable[str] | None) -> list[str]:
    """Object ARNs covering the whole bucket, or only keys under the given prefixes."""
    return sorted(f"{bucket_arn(bucket)}/{prefix}*" for prefix in (prefixes or [""]))


def user_arn(account_id: str, user: str) -> str:
    """The principal ARN of a grants-file user entry; an ARN entry keeps its path."""
    return user if user.startswith("arn:") else f"arn:aws:iam::{account_id}:user/{user}"


def granted_actions(grant: Grant) -> tuple[S3Action, ...]:
    """The exact S3 actions a grant gives, each classified by what it acts on."""
    catalogue = s3_actions.catalogue()
    if grant.access is not None:
        return tuple(catalogue[name.lower()] for name in ACCESS_LEVEL_ACTIONS[grant.access])
    expanded = {
        action.name: action for pattern in grant.actions or [] for action in s3_actions.expand(pattern).grantable
    }
    return tuple(expanded[name] for name in sorted(expanded))


@dataclass(frozen=True)
class GrantStatements:
    """Both halves of one grant: the group's identity statements and, per bucket, the bucket's."""

    identity: tuple[Statement, ...]
    by_bucket: Mapping[str, tuple[Statement, ...]]


def _statement(
    sid: str | None,
    principals: Iterable[str] | None,
    actions: Iterable[S3Action],
    resources: Iterable[str],
    condition: Mapping[str, Mapping[str, Any]] | None,
) -> Statement:
    statement: Statement = {}
    if sid is not None:
        statement["Sid"] = sid
    statement["Effect"] = "Allow"
    if principals is not None:
        statement["Principal"] = {"AWS": sorted(set(principals))}
    statement["Action"] = sorted({action.name for action in actions})
    statement["Resource"] = sorted(set(resources))
    if condition:
        statement["Condition"] = {operator: dict(sorted(keys.items())) for operator, keys in sorted(condition.items())}
    return statement


def statements_for(grant: Grant, principals: Iterable[str], bucket_account_id: str) -> GrantStatements:
    """The single choke point: one grant becomes its identity statements and its bucket statements.

    Bucket statements carry their kind as a provisional Sid until `merge_by_permission` names them.
    Object actions go on object ARNs (narrowed to the grant's prefixes); listing actions go on the
    bucket ARN with an `s3:prefix` condition when the grant has prefixes; other bucket-level reads go
    on the bucket ARN. The identity side also pins `s3:ResourceAccount`, so the group's permissions
    cannot follow a bucket name to another account if the bucket is ever deleted and re-created there.
    """
    actions = granted_actions(grant)
    object_actions = [a for a in actions if a.target is Target.OBJECT]
    listing_actions = [a for a in actions if a.target is Target.BUCKET and a.supports_prefix_condition]
    other_bucket_actions = [a for a in actions if a.target is Target.BUCKET and not a.supports_prefix_condition]
    prefixes = grant.prefixes
    prefix_condition = {"StringLike": {"s3:prefix": sorted(f"{p}*" for p in prefixes)}} if prefixes else {}
    account_condition = {"StringEquals": {"s3:ResourceAccount": bucket_account_id}}
    buckets = grant.bucket_names
    principal_list = sorted(set(principals))

    identity: list[Statement] = []
    if object_actions:
        identity.append(
            _statement(
                "ObjectAccess",
                None,
                object_actions,
                [arn for b in buckets for arn in object_arns(b, prefixes)],
                account_condition,
            )
        )
    if listing_actions:
        identity.append(
            _statement(
                "BucketListing",
                None,
                listing_actions,
                [bucket_arn(b) for b in buckets],
                {**account_condition, **prefix_condition},
            )
        )
    if other_bucket_actions:
        identity.append(
            _statement("BucketRead", None, other_bucket_actions, [bucket_arn(b) for b in buckets], account_condition)
        )

    by_bucket: dict[str, tuple[Statement, ...]] = {}
    for bucket in buckets:
        statements: list[Statement] = []
        if object_actions:
            statements.append(
                _statement("Objects", principal_list, object_actions, object_arns(bucket, prefixes), None)
            )
        if listing_actions:
            statements.append(
                _statement("Listing", principal_list, listing_actions, [bucket_arn(bucket)], prefix_condition)
            )
        if other_bucket_actions:
            statements.append(_statement("Bucket", principal_list, other_bucket_actions, [bucket_arn(bucket)], None))
        by_bucket[bucket] = tuple(statements)
    return GrantStatements(identity=tuple(identity), by_bucket=by_bucket)


def _stable_sid(kind: str, statement: Statement) -> str:
    """A Sid that depends on what a statement allows, not on who: adding a user keeps the Sid.

    The kind word keeps it readable in the console; the digest keeps it unique and stable.
    """
    body = {key: value for key, value in statement.items() if key not in {"Sid", "Principal"}}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:10]
    return f"{OWN_SID_PREFIX}{kind}{digest}"


def merge_by_permission(statements: Iterable[Statement]) -> list[Statement]:
    """Merge bucket statements that differ only in principals, and give each its final Sid.

    A bucket's policy then grows by user ARNs, not by statements, which is what lets hundreds of
    users share one bucket within the 20 KB bucket policy limit. Incoming statements carry their
    kind ("Objects", "Listing", "Bucket") as a provisional Sid.
    """
    merged: dict[str, Statement] = {}
    for statement in statements:
        body = {key: value for key, value in statement.items() if key != "Principal"}
        key = json.dumps(body, sort_keys=True)
        principals = set(statement["Principal"]["AWS"])
        if key in merged:
            principals |= set(merged[key]["Principal"]["AWS"])
        merged[key] = {**statement, "Principal": {"AWS": sorted(principals)}}
    named = [{**statement, "Sid": _stable_sid(statement["Sid"], statement)} for statement in merged.values()]
    return sorted(named, key=lambda statement: statement["Sid"])


def policy_document(statements: Iterable[Statement]) -> PolicyDocument:
    return {"Version": POLICY_VERSION, "Statement": sorted(statements, key=lambda s: str(s.get("Sid", "")))}


def render_policy(document: PolicyDocument) -> str:
    """The exact JSON text given to AWS: stable key order and indentation, so previews show only real changes."""
    return json.dumps(document, indent=2, ensure_ascii=True)


@dataclass(frozen=True)
class GrantPlan:
    """What one grant turns into in the user account."""

    grant: Grant
    group_name: str
    group_path: str
    user_names: tuple[str, ...]
    principals: tuple[str, ...]
    identity_policy: PolicyDocument


@dataclass(frozen=True)
class BucketPlan:
    """The one policy of one bucket, holding every grant's statements and any declared foreign ones."""

    bucket: str
    grant_names: tuple[str, ...]
    policy: PolicyDocument


@dataclass(frozen=True)
class Plan:
    grants: tuple[GrantPlan, ...]
    buckets: tuple[BucketPlan, ...]


def group_name(settings: Settings, grant_name: str) -> str:
    return f"{settings.group_prefix}{grant_name}"


def build_plan(loaded: LoadedGrants, settings: Settings, resolved_arns: Mapping[str, str] | None = None) -> Plan:
    """Everything the stack should contain, from validated grants and settings.

    `resolved_arns` maps lowercase user names to the ARNs that a live lookup returned; without it
    the ARN is derived from the grants file, which is right for users without a path.
    """
    account = settings.bucket_account.accountId
    grant_plans: list[GrantPlan] = []
    bucket_statements: dict[str, list[Statement]] = {}
    bucket_grants: dict[str, list[str]] = {}
    for grant in loaded.grants:
        principals = sorted(
            {
                (resolved_arns or {}).get(Grant.user_name(user).lower())
                or user_arn(settings.user_account.accountId, user)
                for user in grant.users
            }
        )
        # The names as IAM spells them (from the looked-up ARN) when known, so one user is one member.
        names = sorted({principal.rsplit("/", 1)[-1] for principal in principals})
        halves = statements_for(grant, principals, account)
        grant_plans.append(
            GrantPlan(
                grant=grant,
                group_name=group_name(settings, grant.name),
                group_path=GROUP_PATH,
                user_names=tuple(names),
                principals=tuple(principals),
                identity_policy=policy_document(halves.identity),
            )
        )
        for bucket, statements in halves.by_bucket.items():
            bucket_statements.setdefault(bucket, []).extend(statements)
            bucket_grants.setdefault(bucket, []).append(grant.name)
    bucket_plans = tuple(
        BucketPlan(
            bucket=bucket,
            grant_names=tuple(sorted(bucket_grants.get(bucket, []))),
            policy=policy_document(
                [*merge_by_permission(bucket_statements.get(bucket, [])), *loaded.extra_statements.get(bucket, ())]
            ),
        )
        for bucket in loaded.managed_buckets
    )
    return Plan(grants=tuple(grant_plans), buckets=bucket_plans)
