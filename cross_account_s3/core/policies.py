"""Turning grants into IAM policy documents: the one place where access is decided.

Cross-account S3 access needs two halves (IAM user guide, "Cross-account policy evaluation
logic"): the identity policy of the user's group in the user account, and the bucket policy in the
bucket account. A bucket encrypted with a customer managed KMS key adds the key's halves: a KMS grant
in the bucket account and a KMS statement in the identity policy. `statements_for` builds every half
from one grant, so they cannot disagree. Every other function here only merges and serialises what it
returns; `plan.py` arranges it into resources.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import kms
from .actions import kms_actions_of, s3_actions_of
from .grant import Grant
from .grantees import Grantee
from .s3_actions import S3Action, Target
from .statements import OWN_SID_PREFIX

POLICY_VERSION = "2012-10-17"

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arns(bucket: str, prefixes: Iterable[str] | None) -> list[str]:
    """Object ARNs covering the whole bucket, or only keys under the given prefixes."""
    return sorted(f"{bucket_arn(bucket)}/{prefix}*" for prefix in (prefixes or [""]))


@dataclass(frozen=True)
class GrantStatements:
    """Every side one grant needs: the identity statements, per bucket the bucket's statements, and per
    grantee and key the KMS grants of the encrypted buckets.
    """

    identity: tuple[Statement, ...]
    by_bucket: Mapping[str, tuple[Statement, ...]]
    kms_grants: tuple[kms.KmsGrant, ...] = ()


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


def statements_for(
    grant: Grant,
    grantees: Iterable[Grantee],
    bucket_account_id: str,
    keys: Mapping[str, kms.BucketKey] | None = None,
) -> GrantStatements:
    """The single choke point: one grant becomes its identity statements, bucket statements and KMS grants.

    Bucket statements carry their kind as a provisional Sid until `merge_by_permission` names them.
    A grant without prefixes gives each bucket one statement naming the bucket ARN and `bucket/*`
    (see `_whole_bucket_statement`). A grant with prefixes keeps separate statements: object actions
    on the prefixes' object ARNs, listing actions on the bucket ARN with an `s3:prefix` condition
    (which would deny object actions in the same statement, since object requests carry no
    `s3:prefix`), and other bucket-level reads on the bucket ARN.

    The identity side also pins `s3:ResourceAccount`, so the group's permissions cannot follow a
    bucket name to another account if the bucket is ever deleted and re-created there.
    `keys` maps each encrypted bucket to its key: the grant then also gets the key's KMS actions, through a
    KMS grant per grantee and key, and an identity statement narrowed to S3 and to the granted objects.
    """
    actions = s3_actions_of(grant)
    object_actions = [a for a in actions if a.target is Target.OBJECT]
    listing_actions = [a for a in actions if a.target is Target.BUCKET and a.supports_prefix_condition]
    other_bucket_actions = [a for a in actions if a.target is Target.BUCKET and not a.supports_prefix_condition]
    prefixes = grant.prefixes
    prefix_condition = {"StringLike": {"s3:prefix": sorted(f"{p}*" for p in prefixes)}} if prefixes else {}
    account_condition = {"StringEquals": {"s3:ResourceAccount": bucket_account_id}}
    buckets = grant.bucket_names
    principal_list = sorted({grantee.arn for grantee in grantees})

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
        if prefixes:
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
                statements.append(
                    _statement("Bucket", principal_list, other_bucket_actions, [bucket_arn(bucket)], None)
                )
            by_bucket[bucket] = tuple(statements)
        else:
            by_bucket[bucket] = (_whole_bucket_statement(bucket, principal_list, actions),)
    encrypted = {bucket: key for bucket, key in (keys or {}).items() if bucket in buckets}
    kms_actions = kms_actions_of(grant) if encrypted else ()
    identity += kms.identity_statements(
        kms_actions, encrypted, {bucket: object_arns(bucket, prefixes) for bucket in encrypted}
    )
    return GrantStatements(
        identity=tuple(identity),
        by_bucket=by_bucket,
        kms_grants=_kms_grants(grant, grantees, encrypted, kms_actions),
    )


def _kms_grants(
    grant: Grant, grantees: Iterable[Grantee], keys: Mapping[str, kms.BucketKey], actions: tuple[str, ...]
) -> tuple[kms.KmsGrant, ...]:
    """One KMS grant per grantee per key: buckets sharing a key share the grant."""
    if not actions:
        return ()
    by_key: dict[str, list[str]] = {}  # by key ARN: an alias and the key it names are one key
    for bucket in sorted(keys):
        by_key.setdefault(keys[bucket].arn, []).append(bucket)
    found = [
        kms.KmsGrant(
            key=keys[buckets[0]],
            grantee=grantee.arn,
            grantee_label=f"{grantee.kind}-{grantee.name}",
            operations=kms.grant_operations(actions),
            name=f"{kms.GRANT_NAME_PREFIX}{grant.name}",
            buckets=tuple(buckets),
        )
        for buckets in by_key.values()
        for grantee in sorted(set(grantees))
    ]
    return tuple(sorted(found, key=lambda kms_grant: kms_grant.resource_name))


def _whole_bucket_statement(bucket: str, principal_list: list[str], actions: Iterable[S3Action]) -> Statement:
    """One bucket statement for a grant without prefixes, as the AWS CDK's `grantRead` writes it.

    Each action names the resource it acts on only (IAM matches an action against the ARN of the
    request, and a ListBucket request always names the bucket, a GetObject request always an object),
    so listing on the bucket ARN and object actions on `bucket/*` can share a statement and stay
    exact. A user then costs one principal ARN per bucket policy instead of two. Only the resources
    some action acts on are named, so every action in the statement applies to one of them.
    """
    actions = tuple(actions)
    on_objects = any(action.target is Target.OBJECT for action in actions)
    on_bucket = any(action.target is Target.BUCKET for action in actions)
    resources = ([bucket_arn(bucket)] if on_bucket else []) + (object_arns(bucket, None) if on_objects else [])
    kind = "Data" if on_objects and on_bucket else "Objects" if on_objects else "Bucket"
    return _statement(kind, principal_list, actions, resources, None)


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
    kind ("Data", "Objects", "Listing", "Bucket") as a provisional Sid.
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
