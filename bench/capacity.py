"""Capacity: how many distinct users fit on one bucket's policy before the 20 KB limit.

Sizes are those of the text the AWS provider sends (`limits.provider_policy_bytes`). Compares this
program's layout (one statement per grant without prefixes, merged across grants that differ only
in principals, so each extra user costs one ARN) with two references:
- the physical limit of the format: the same single statement filling every byte of the largest
  reading of "20 KB" (20,480 bytes) with no margin; no layout can name more users, since each
  needs its ARN once;
- the naive layout: every grant's statements kept apart, never merged.
Users are spread over grants of the same access level, `USERS_PER_GRANT` to a grant. Pure: no
Pulumi involved.

Run: venv/bin/python -m bench.capacity
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from cross_account_s3.core import limits
from cross_account_s3.core.grantees import from_entry
from cross_account_s3.core.loaded_grants import validate_grants
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
    return limits.provider_policy_bytes(build_plan(loaded, SETTINGS).buckets[0].policy)


def naive_size(users: int, access: str) -> int:
    """Each grant's statements kept apart, never merged: what a BucketPolicy-per-grant design would need."""
    loaded = validate_grants(parse_yaml(grants_file(users, access), "bench.yaml"), USER_ACCOUNT)
    statements: list[dict[str, Any]] = []
    for grant in loaded.grants:
        grantees = [from_entry(u, USER_ACCOUNT) for u in grant.users]
        statements += merge_by_permission(statements_for(grant, grantees, BUCKET_ACCOUNT).by_bucket[BUCKET])
        for number, statement in enumerate(statements):
            statement["Sid"] = f"S{number}"
    return limits.provider_policy_bytes(policy_document(statements))


PHYSICAL_BYTES = 20 * 1024  # the larger reading of S3's "20 KB"


def most_users_that_fit(
    size_of: Callable[[int, str], int], access: str, budget: int = limits.BUCKET_POLICY_BUDGET
) -> int:
    low, high = 1, 2
    while size_of(high, access) <= budget:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if size_of(middle, access) <= budget else (low, middle)
    return low


def main() -> None:
    print(
        f"Users that fit on one bucket policy ({USERS_PER_GRANT} users per grant, user ARNs like "
        f"arn:aws:iam::{USER_ACCOUNT}:user/build-agent-0001, sizes as the AWS provider sends the policy)"
    )
    print(
        f"This program's budget: {limits.BUCKET_POLICY_BUDGET} bytes ({limits.BUCKET_POLICY_BYTES} less "
        f"{limits.BUCKET_POLICY_SAFETY_MARGIN} spare). Physical limit: {PHYSICAL_BYTES} bytes, no margin."
    )
    print()
    print("| access | this program | physical limit of the format | naive (grants never merged) |")
    print("|---|---|---|---|")
    for access in ("read", "write", "read-write", "full"):
        merged = most_users_that_fit(merged_size, access)
        physical = most_users_that_fit(merged_size_in_one_grant, access, PHYSICAL_BYTES)
        naive = most_users_that_fit(naive_size, access)
        print(f"| {access} | {merged} | {physical} | {naive} |")


def merged_size_in_one_grant(users: int, access: str) -> int:
    """All users in a single grant: the smallest policy that names them, one ARN each."""
    names = [f"build-agent-{i:04d}" for i in range(users)]
    text = yaml.safe_dump({"grants": [{"name": "everyone", "users": names, "bucket": BUCKET, "access": access}]})
    loaded = validate_grants(parse_yaml(text, "bench.yaml"), USER_ACCOUNT)
    return limits.provider_policy_bytes(build_plan(loaded, SETTINGS).buckets[0].policy)


if __name__ == "__main__":
    main()
