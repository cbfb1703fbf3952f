"""Capacity: 300 users on one bucket fit at every access level, and each still gets exactly its row.

The program runs under the mock runtime with 300 users per level, each level on its own bucket.
The run must succeed (no bucket policy over its budget), every user must be named in their bucket's
policy, and the independent IAM simulator must find the access table exact for a sample of them:
users from the first and last grants of each level, and users with no grant at all. No timing.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from cross_account_s3.core import limits
from cross_account_s3.core.loaded_grants import validate_grants
from cross_account_s3.core.plan import build_plan
from cross_account_s3.core.settings import parse_settings
from cross_account_s3.core.yaml_source import parse_yaml
from tests.access_check import Declared, bucket_policy_of, mismatches
from tests.conftest import BUILD, NONPROD, RunProgram, world_with

USERS_PER_LEVEL = 300
USERS_PER_GRANT = 20
LEVEL_BUCKETS = {
    "read": "capacity-read-bucket",
    "write": "capacity-write-bucket",
    "read-write": "capacity-read-write-bucket",
    "full": "capacity-full-bucket",
}
UNGRANTED = ("build-agent-no-grant-1", "build-agent-no-grant-2")


LEVEL_CODES = {"read": "rd", "write": "wr", "read-write": "rw", "full": "fu"}


def user_name(access: str, number: int) -> str:
    """As long as the names the capacity bench counts with (build-agent-0001): ARNs cost the same bytes."""
    return f"{LEVEL_CODES[access]}-builders-{number:04d}"


def grants_for(access: str, users: int) -> list[dict[str, Any]]:
    names = [user_name(access, n) for n in range(users)]
    return [
        {
            "name": f"{access}-team-{start // USERS_PER_GRANT:03d}",
            "users": names[start : start + USERS_PER_GRANT],
            "bucket": LEVEL_BUCKETS[access],
            "access": access,
        }
        for start in range(0, users, USERS_PER_GRANT)
    ]


def test_300_users_fit_on_one_bucket_at_every_level_and_the_access_table_holds(run: RunProgram, grants_file) -> None:
    grants = [grant for access in LEVEL_BUCKETS for grant in grants_for(access, USERS_PER_LEVEL)]
    users = {user: "/" for grant in grants for user in grant["users"]} | dict.fromkeys(UNGRANTED, "/")
    world = world_with(users={BUILD: users}, buckets={NONPROD: dict.fromkeys(LEVEL_BUCKETS.values())})
    config = {**grants_file(yaml.safe_dump({"grants": grants})), "cross-account-s3:groupQuota": "1000"}
    result = run("nonprod", config=config, world=world)
    assert result.error is None, result.error

    for access, bucket in LEVEL_BUCKETS.items():
        policy = bucket_policy_of(result, bucket)
        assert policy is not None
        named = {p for statement in policy["Statement"] for p in statement["Principal"]["AWS"]}
        assert named == {f"arn:aws:iam::{BUILD}:user/{user_name(access, n)}" for n in range(USERS_PER_LEVEL)}
        assert limits.provider_policy_bytes(policy) <= limits.BUCKET_POLICY_BUDGET

    sample = []
    for access in LEVEL_BUCKETS:
        level = grants_for(access, USERS_PER_LEVEL)
        sample += [{**grant, "users": [grant["users"][0], grant["users"][-1]]} for grant in (level[0], level[-1])]
    sampled_users = {user for grant in sample for user in grant["users"]} | set(UNGRANTED)
    declared = Declared(
        grants=sample, user_account=BUILD, bucket_account=NONPROD, user_paths=dict.fromkeys(sampled_users, "/")
    )
    assert mismatches(result, declared) == []


def test_past_the_physical_limit_the_program_refuses_and_says_what_to_do() -> None:
    """A bucket policy over its budget is refused before anything is created, naming the bucket."""
    grants = grants_for("read", 450)
    loaded = validate_grants(parse_yaml(yaml.safe_dump({"grants": grants}), "grants.yaml"), BUILD)
    stack = parse_settings(
        {
            "bucketAccount": json.dumps({"accountId": NONPROD, "region": "us-east-1"}),
            "userAccount": json.dumps({"accountId": BUILD, "region": "us-east-1"}),
        },
        "nonprod",
        None,
    )
    (problem,) = [p.render() for p in limits.limit_problems(build_plan(loaded, stack), loaded, stack)]
    assert LEVEL_BUCKETS["read"] in problem and "role" in problem and "second bucket" in problem
