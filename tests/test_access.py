"""What the generated policies let users do, judged by an independent IAM simulator."""

from __future__ import annotations

import json

import yaml

from tests.access_check import Declared, bucket_policy_of, cases_for, identity_policies_of, mismatches
from tests.conftest import BUILD, NONPROD, PROJECT_ROOT, RunProgram, fixture_world, grants_yaml
from tests.iam_oracle.oracle import Request, evaluate

ALL_LEVELS = [
    {"name": "level-read", "users": ["u01"], "bucket": "reports-bucket", "access": "read"},
    {"name": "level-write", "users": ["u02"], "bucket": "reports-bucket", "access": "write"},
    {"name": "level-read-write", "users": ["u03"], "bucket": "reports-bucket", "access": "read-write"},
    {"name": "level-full", "users": ["test.user"], "buckets": ["reports-bucket", "other-bucket"], "access": "full"},
    {
        "name": "team-prefix",
        "users": ["u01", "u02"],
        "bucket": "other-bucket",
        "access": "read-write",
        "prefixes": ["team-a/", "shared/"],
    },
]


def declared_for_stack(stack: str, grants: list[dict] | None = None) -> Declared:
    """Expectations from the stack file's accounts and the test's own (or the committed) grants."""
    config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    user_account = config["cross-account-s3:userAccount"]["accountId"]
    bucket_account = config["cross-account-s3:bucketAccount"]["accountId"]
    if grants is None:
        grants = yaml.safe_load((PROJECT_ROOT / f"grants/{stack}.yaml").read_text())["grants"]
    paths = fixture_world().account(user_account).users
    return Declared(grants=grants, user_account=user_account, bucket_account=bucket_account, user_paths=paths)


def test_every_access_level_allows_exactly_its_row_of_the_table(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(grants_yaml(*ALL_LEVELS)))
    declared = declared_for_stack("nonprod", ALL_LEVELS)
    assert len(cases_for(result, declared)) > 100
    assert mismatches(result, declared) == []


def test_the_committed_nonprod_stack_gives_test_user_read_and_nothing_more(run: RunProgram) -> None:
    result = run("nonprod")
    assert mismatches(result, declared_for_stack("nonprod")) == []


def test_the_committed_build_stack_gives_exactly_what_its_grants_say(run: RunProgram) -> None:
    result = run("build")
    assert mismatches(result, declared_for_stack("build")) == []


def test_the_checker_catches_a_policy_that_grants_too_much(run: RunProgram) -> None:
    """The access check itself can fail: widen one generated bucket policy and it must notice."""
    result = run("nonprod")
    policy = result.by_name("bucket-policy-my-shared-bucket-20932")
    widened = json.loads(policy.inputs["policy"])
    widened["Statement"].append(
        {
            "Sid": "Oops",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{BUILD}:root"},
            "Action": "s3:*",
            "Resource": "*",
        }
    )
    object.__setattr__(policy, "inputs", {**policy.inputs, "policy": json.dumps(widened)})
    assert mismatches(result, declared_for_stack("nonprod")) != []


def verdicts(result, user: str, requests: list[tuple[str, str, dict[str, str]]], bucket: str) -> dict[str, bool]:
    principal = f"arn:aws:iam::{BUILD}:user/{user}"
    identity, policy = identity_policies_of(result, user), bucket_policy_of(result, bucket)
    asked = [
        Request(principal, action, resource, NONPROD, identity, policy, context)
        for action, resource, context in requests
    ]
    answers = evaluate(asked)
    return {f"{a} {r} {c}": answer == "Allowed" for (a, r, c), answer in zip(requests, answers, strict=True)}


def test_explicit_actions_give_exactly_those_actions(run: RunProgram, grants_file) -> None:
    """The guide's s3:Get*: every Get on objects and on the bucket, and nothing else (not even listing)."""
    grants = [{"name": "guide-gets", "users": ["u01"], "bucket": "reports-bucket", "actions": ["s3:Get*"]}]
    result = run("nonprod", config=grants_file(grants_yaml(*grants)))
    assert result.error is None, result.error
    obj, bucket = "arn:aws:s3:::reports-bucket/a/file.txt", "arn:aws:s3:::reports-bucket"
    expected = {
        ("s3:GetObject", obj): True,
        ("s3:GetObjectTagging", obj): True,
        ("s3:GetBucketLocation", bucket): True,
        ("s3:ListBucket", bucket): False,
        ("s3:PutObject", obj): False,
        ("s3:DeleteObject", obj): False,
        ("s3:PutBucketPolicy", bucket): False,
    }
    answers = verdicts(result, "u01", [(a, r, {}) for a, r in expected], "reports-bucket")
    assert answers == {f"{a} {r} {{}}": allowed for (a, r), allowed in expected.items()}


def test_explicit_actions_with_prefixes_stay_under_the_prefixes(run: RunProgram, grants_file) -> None:
    grants = [
        {
            "name": "inbox",
            "users": ["u02"],
            "bucket": "other-bucket",
            "actions": ["s3:GetObject*", "s3:ListBucket"],
            "prefixes": ["in/"],
        }
    ]
    result = run("nonprod", config=grants_file(grants_yaml(*grants)))
    assert result.error is None, result.error
    bucket = "arn:aws:s3:::other-bucket"
    requests = [
        ("s3:GetObject", f"{bucket}/in/file.txt", {}),
        ("s3:GetObjectVersion", f"{bucket}/in/file.txt", {}),
        ("s3:GetObject", f"{bucket}/out/file.txt", {}),
        ("s3:ListBucket", bucket, {"s3:prefix": "in/"}),
        ("s3:ListBucket", bucket, {"s3:prefix": "out/"}),
        ("s3:ListBucket", bucket, {}),
    ]
    answers = list(verdicts(result, "u02", requests, "other-bucket").values())
    assert answers == [True, True, False, True, False, False]
