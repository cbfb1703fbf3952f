"""Check what users can actually do with the policies a program run generated.

The expected outcomes come from the access table in the README (issue "The program"), written out
here independently of the program's own action lists. Whether a request is allowed is decided by an
independent IAM simulator evaluating the registered group policies and bucket policies together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cross_account_s3.core.grantees import Grantee
from cross_account_s3.infra.offline_runner import ProgramRun
from tests.iam_oracle.oracle import Request, evaluate

OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject")
BUCKET_ACTIONS = ("s3:ListBucket", "s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucket", "s3:DeleteBucketPolicy")
ADMIN = ("s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucket", "s3:DeleteBucketPolicy")

# The access table, as the issue states it.
TABLE: dict[str, dict[str, bool]] = {
    "read": {
        "s3:GetObject": True,
        "s3:ListBucket": True,
        "s3:PutObject": False,
        "s3:AbortMultipartUpload": False,
        "s3:DeleteObject": False,
    },
    "write": {
        "s3:GetObject": False,
        "s3:ListBucket": False,
        "s3:PutObject": True,
        "s3:AbortMultipartUpload": True,
        "s3:DeleteObject": False,
    },
    "read-write": {
        "s3:GetObject": True,
        "s3:ListBucket": True,
        "s3:PutObject": True,
        "s3:AbortMultipartUpload": True,
        "s3:DeleteObject": False,
    },
    "full": {
        "s3:GetObject": True,
        "s3:ListBucket": True,
        "s3:PutObject": True,
        "s3:AbortMultipartUpload": True,
        "s3:DeleteObject": True,
    },
}
for row in TABLE.values():
    row.update({action: False for action in ADMIN})


def identity_policies_of(run: ProgramRun, user_name: str) -> list[dict[str, Any]]:
    """The inline policies of every group the run made the user a member of."""
    groups = {
        m.inputs["group"]
        for m in run.of_type("aws:iam/groupMembership:GroupMembership")
        if user_name in m.inputs["users"]
    }
    return [
        json.loads(p.inputs["policy"])
        for p in run.of_type("aws:iam/groupPolicy:GroupPolicy")
        if p.inputs["group"] in groups
    ]


def bucket_policy_of(run: ProgramRun, bucket: str) -> dict[str, Any] | None:
    found = [
        json.loads(p.inputs["policy"])
        for p in run.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if p.inputs["bucket"] == bucket
    ]
    assert len(found) <= 1, f"bucket {bucket} has {len(found)} BucketPolicy resources; AWS keeps only one"
    return found[0] if found else None


@dataclass(frozen=True)
class Case:
    """One request and the outcome the access table demands."""

    description: str
    request: Request
    allowed: bool


@dataclass(frozen=True)
class Declared:
    """What the test itself declared: the grants it wrote and the accounts and user paths of its world.

    Expectations come from here, never from the program's outputs, so a bug that got the outputs
    wrong in the same way as the policies could not hide itself.
    """

    grants: list[dict[str, Any]]
    user_account: str
    bucket_account: str
    user_paths: dict[str, str]

    def principal(self, user: str) -> str:
        if user.startswith("arn:"):
            return user
        return f"arn:aws:iam::{self.user_account}:user{self.user_paths.get(user, '/')}{user}"


def cases_for(run: ProgramRun, declared: Declared, *, third_account: str = "999988887777") -> list[Case]:
    """Every request the access table speaks about, for every user and bucket the declared grants name."""
    user_account, bucket_account = declared.user_account, declared.bucket_account
    cases: list[Case] = []
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for grant in declared.grants:
        for user in grant["users"]:
            for bucket in grant.get("buckets") or [grant["bucket"]]:
                pairs.setdefault((declared.principal(user), bucket), []).append(grant)

    def expected(grants_here: list[dict[str, Any]], action: str, key: str | None, list_prefix: str | None) -> bool:
        for grant in grants_here:
            if not TABLE[grant["access"]][action]:
                continue
            prefixes = grant.get("prefixes") or []
            if not prefixes:
                return True
            probe = key if key is not None else list_prefix
            if probe is not None and any(probe.startswith(p) for p in prefixes):
                return True
        return False

    for (user, bucket), grants_here in sorted(pairs.items()):
        principal = user
        name = Grantee.from_arn(user).name
        identity = identity_policies_of(run, name)
        bucket_policy = bucket_policy_of(run, bucket)
        prefixes = sorted({p for g in grants_here for p in g.get("prefixes") or []})
        keys = [f"{p}file.txt" for p in prefixes] + ["outside-any-prefix/file.txt"] if prefixes else ["file.txt"]
        for action in OBJECT_ACTIONS:
            for key in keys:
                cases.append(
                    Case(
                        f"{user} {action} {bucket}/{key}",
                        Request(
                            principal, action, f"arn:aws:s3:::{bucket}/{key}", bucket_account, identity, bucket_policy
                        ),
                        expected(grants_here, action, key, None),
                    )
                )
        listings: list[str | None] = [*prefixes, "outside-any-prefix/"] if prefixes else [None, ""]
        if prefixes:
            listings.append(None)
        for action in BUCKET_ACTIONS:
            for list_prefix in listings if action == "s3:ListBucket" else [None]:
                context = {} if list_prefix is None else {"s3:prefix": list_prefix}
                cases.append(
                    Case(
                        f"{user} {action} {bucket} prefix={list_prefix!r}",
                        Request(
                            principal,
                            action,
                            f"arn:aws:s3:::{bucket}",
                            bucket_account,
                            identity,
                            bucket_policy,
                            context,
                        ),
                        expected(grants_here, action, None, list_prefix),
                    )
                )
        # Nobody else: an administrator of the user account who is not in the grant's group...
        admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        for action in ("s3:GetObject", "s3:PutObject"):
            cases.append(
                Case(
                    f"an admin of the user account, not granted, {action} {bucket}",
                    Request(
                        f"arn:aws:iam::{user_account}:user/someone-else-entirely",
                        action,
                        f"arn:aws:s3:::{bucket}/{keys[0]}",
                        bucket_account,
                        [admin],
                        bucket_policy,
                    ),
                    False,
                )
            )
            # ...a user of the same name in a third account, even with full rights there...
            cases.append(
                Case(
                    f"{name} of a third account {action} {bucket}",
                    Request(
                        f"arn:aws:iam::{third_account}:user/{name}",
                        action,
                        f"arn:aws:s3:::{bucket}/{keys[0]}",
                        bucket_account,
                        [admin],
                        bucket_policy,
                    ),
                    False,
                )
            )
            # ...and no other bucket, even one whose own policy welcomes the user (so only the identity
            # policy can refuse), including one of the same name in another account.
            impostor_policy = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:*", "Resource": "*"}],
            }
            cases.append(
                Case(
                    f"{user} {action} on a bucket nobody granted",
                    Request(
                        principal,
                        action,
                        f"arn:aws:s3:::not-granted-{bucket}"[:63] + "/" + keys[0],
                        bucket_account,
                        identity,
                        impostor_policy,
                    ),
                    False,
                )
            )
            cases.append(
                Case(
                    f"{user} {action} on a bucket of the same name in a third account",
                    Request(
                        principal, action, f"arn:aws:s3:::{bucket}/{keys[0]}", third_account, identity, impostor_policy
                    ),
                    False,
                )
            )
    cases += _known_users_without_a_grant(run, declared, pairs)
    return cases


def _known_users_without_a_grant(
    run: ProgramRun, declared: Declared, pairs: dict[tuple[str, str], list[dict[str, Any]]]
) -> list[Case]:
    """Every other user the world knows gets nothing on each bucket, with whatever groups the run gave them."""
    cases: list[Case] = []
    for bucket in sorted({bucket for _, bucket in pairs}):
        policy = bucket_policy_of(run, bucket)
        for name in sorted(declared.user_paths):
            principal = declared.principal(name)
            if (principal, bucket) in pairs:
                continue
            identity = identity_policies_of(run, name)
            for action, resource in (
                ("s3:GetObject", f"arn:aws:s3:::{bucket}/file.txt"),
                ("s3:PutObject", f"arn:aws:s3:::{bucket}/file.txt"),
                ("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
            ):
                request = Request(principal, action, resource, declared.bucket_account, identity, policy)
                cases.append(Case(f"{name} (no grant on {bucket}) {action}", request, False))
    return cases


def mismatches(run: ProgramRun, declared: Declared) -> list[str]:
    """Every case where the simulator's verdict differs from the access table; empty when all agree."""
    assert run.error is None, run.error
    cases = cases_for(run, declared)
    assert cases, "the grants grant nothing, so nothing was checked"
    verdicts = evaluate([case.request for case in cases])
    return [
        f"{case.description}: expected {'allowed' if case.allowed else 'denied'}, simulator said {verdict}"
        for case, verdict in zip(cases, verdicts, strict=True)
        if (verdict == "Allowed") != case.allowed
    ]
