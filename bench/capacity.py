"""Capacity: how many distinct users fit on one bucket's policy before the 20 KB limit.

Compares this program's layout (statements that differ only in principals are merged, so each
extra user costs one ARN) with the naive layout of one statement pair per grant. Users are spread
over grants of the same access level, `USERS_PER_GRANT` to a grant. Pure: no Pulumi involved.

Run: venv/bin/python -m bench.capacity
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from cross_account_s3.core import limits
from cross_account_s3.core.grantees import from_entry
from cross_account_s3.core.grants import validate_grants
from cross_account_s3.core.plan import build_plan
from cross_account_s3.core.policies import merge_by_permission, policy_document, statements_for
from cross_account_s3.core.settings import parse_settings
from cross_account_s3.core.yaml_source import parse_yaml

USER_ACCOUNT, BUCKET_ACCOUNT = "012345678901", "123456789012"
BUCKET = "shared-artifacts-bucket"
USERS_PER_GRANT = 5
SETTINGS = parse_settings(
    {
        "bucketAccount": json.dumps({"accountId": BUCKET_ACCOUNT, "region": "us-east-1"}),
        "userAccount": json.dumps({"accountId": USER_ACCOUNT, "region": "us-east-1"}),
    },
    "bench",
    None,
)


def grants_file(users: int, access: str) -> str:
    names = [f"build-agent-{i:04d}" for i in range(users)]
    grants = [
        {
            "name": f"team-{g:03d}",
            "users": names[g * USERS_PER_GRANT : (g + 1) * USERS_PER_GRANT],
            "bucket": BUCKET,
            "access": access,
        }
        for g in range((users + USERS_PER_GRANT - 1) // USERS_PER_GRANT)
    ]
    return yaml.safe_dump({"grants": grants})


def merged_size(users: int, access: str) -> int:
    loaded = validate_grants(parse_yaml(grants_file(users, access), "bench.yaml"), USER_ACCOUNT)
    return limits.compact_size(build_plan(loaded, SETTINGS).buckets[0].policy)


def naive_size(users: int, access: str) -> int:
    """One statement pair per grant, never merged: what a BucketPolicy-per-grant design would need in one policy."""
    loaded = validate_grants(parse_yaml(grants_file(users, access), "bench.yaml"), USER_ACCOUNT)
    statements: list[dict[str, Any]] = []
    for grant in loaded.grants:
        grantees = [from_entry(u, USER_ACCOUNT) for u in grant.users]
        statements += merge_by_permission(statements_for(grant, grantees, BUCKET_ACCOUNT).by_bucket[BUCKET])
        for number, statement in enumerate(statements):
            statement["Sid"] = f"S{number}"
    return limits.compact_size(policy_document(statements))


def most_users_that_fit(size_of: Callable[[int, str], int], access: str) -> int:
    low, high = 1, 2
    while size_of(high, access) <= limits.BUCKET_POLICY_BUDGET:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if size_of(middle, access) <= limits.BUCKET_POLICY_BUDGET else (low, middle)
    return low


def main() -> None:
    print(
        f"Users that fit on one bucket policy (budget {limits.BUCKET_POLICY_BUDGET} bytes of compact JSON, "
        f"{USERS_PER_GRANT} users per grant, user ARNs like arn:aws:iam::{USER_ACCOUNT}:user/build-agent-0001)"
    )
    print()
    print("| access | merged (this program) | naive (a statement pair per grant) | ratio |")
    print("|---|---|---|---|")
    for access in ("read", "write", "read-write", "full"):
        merged, naive = most_users_that_fit(merged_size, access), most_users_that_fit(naive_size, access)
        print(f"| {access} | {merged} | {naive} | {merged / naive:.2f}x |")


if __name__ == "__main__":
    main()
