"""What the generated policies let users do, judged by an independent IAM simulator."""

from __future__ import annotations

from tests.access_check import cases_for, mismatches
from tests.conftest import RunProgram

ALL_LEVELS = """
grants:
  - name: level-read
    users: [u01]
    bucket: reports-bucket
    access: read
  - name: level-write
    users: [u02]
    bucket: reports-bucket
    access: write
  - name: level-read-write
    users: [u03]
    bucket: reports-bucket
    access: read-write
  - name: level-full
    users: [test.user]
    buckets: [reports-bucket, other-bucket]
    access: full
  - name: team-prefix
    users: [u01, u02]
    bucket: other-bucket
    access: read-write
    prefixes: [team-a/, shared/]
"""


def test_every_access_level_allows_exactly_its_row_of_the_table(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(ALL_LEVELS))
    assert result.error is None, result.error
    assert len(cases_for(result)) > 100
    assert mismatches(result) == []


def test_the_committed_nonprod_stack_gives_test_user_read_and_nothing_more(run: RunProgram) -> None:
    result = run("nonprod")
    assert result.error is None, result.error
    assert result.outputs["grants"]["build-reads-shared-bucket"]["users"] == ["test.user"]
    assert mismatches(result) == []


def test_the_committed_build_stack_gives_exactly_what_its_grants_say(run: RunProgram) -> None:
    result = run("build")
    assert result.error is None, result.error
    assert mismatches(result) == []


def test_the_checker_catches_a_policy_that_grants_too_much(run: RunProgram) -> None:
    """The access check itself can fail: widen one generated bucket policy and it must notice."""
    result = run("nonprod")
    policy = result.by_name("bucket-policy-my-shared-bucket-20932")
    import json

    widened = json.loads(policy.inputs["policy"])
    widened["Statement"].append(
        {
            "Sid": "Oops",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::012345678901:root"},
            "Action": "s3:*",
            "Resource": "*",
        }
    )
    object.__setattr__(policy, "inputs", {**policy.inputs, "policy": json.dumps(widened)})
    assert mismatches(result) != []
