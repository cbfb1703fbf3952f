"""Bad input: one clean message listing every problem with file, line, grant, field and fix; nothing registered."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import RunProgram, assert_refused

GOOD_GRANT = """
  - name: ok-grant
    users: [u01]
    bucket: reports-bucket
    access: read
"""


CASES = {
    "yaml syntax": ("grants:\n  - name: a\n    users: [u01\n", ["grants.yaml:", "not valid YAML"]),
    "unknown key typo": (
        "grants:\n  - name: typo\n    users: [u01]\n    bucekt: reports-bucket\n    access: read\n",
        ["grants.yaml:4:", "grant 'typo'", "field 'bucekt'", "did you mean 'bucket'"],
    ),
    "missing users": (
        "grants:\n  - name: no-users\n    bucket: reports-bucket\n    access: read\n",
        ["grant 'no-users'", "field 'users'", "required"],
    ),
    "empty users": (
        "grants:\n  - name: empty-users\n    users: []\n    bucket: reports-bucket\n    access: read\n",
        ["grants.yaml:3:", "field 'users'", "must not be empty"],
    ),
    "empty name": (
        "grants:\n  - name: ''\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n",
        ["field 'name'", "not a valid grant name"],
    ),
    "duplicate names": ("grants:" + GOOD_GRANT + GOOD_GRANT, ["grants.yaml:7:", "already used on line 2"]),
    "invalid grant name": (
        "grants:\n  - name: Build_Read\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n",
        ["grant 'Build_Read'", "field 'name'", "'build-read'"],
    ),
    "ip-shaped bucket": (
        "grants:\n  - name: ip\n    users: [u01]\n    bucket: 192.168.5.4\n    access: read\n",
        ["grants.yaml:4:", "field 'bucket'", "IP address"],
    ),
    "bad bucket chars": (
        "grants:\n  - name: caps\n    users: [u01]\n    buckets: [ok-bucket, My_Bucket]\n    access: read\n",
        ["field 'buckets[1]'", "lowercase"],
    ),
    "reserved bucket suffix": (
        "grants:\n  - name: alias\n    users: [u01]\n    bucket: data-s3alias\n    access: read\n",
        ["-s3alias"],
    ),
    "malformed user": (
        "grants:\n  - name: spaces\n    users: ['test user', 'jörg']\n    bucket: reports-bucket\n    access: read\n",
        ["field 'users[0]'", "field 'users[1]'", "not a valid IAM user name"],
    ),
    "user arn from another account": (
        "grants:\n  - name: foreign\n    users: ['arn:aws:iam::999988887777:user/u01']\n    bucket: reports-bucket\n"
        "    access: read\n",
        ["field 'users[0]'", "999988887777", "012345678901"],
    ),
    "access and actions": (
        "grants:\n  - name: both\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    actions: [s3:GetObject]\n",
        ["grants.yaml:6:", "both 'access' and 'actions'"],
    ),
    "neither access nor actions": (
        "grants:\n  - name: neither\n    users: [u01]\n    bucket: reports-bucket\n",
        ["neither 'access' nor 'actions'"],
    ),
    "unknown level": (
        "grants:\n  - name: lvl\n    users: [u01]\n    bucket: reports-bucket\n    access: admin\n",
        ["field 'access'", "'read', 'write', 'read-write' or 'full'"],
    ),
    "non-s3 action": (
        "grants:\n  - name: ec2\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['ec2:RunInstances']\n",
        ["field 'actions[0]'", "not an S3 action"],
    ),
    "bare star": (
        "grants:\n  - name: star\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['*']\n",
        ["field 'actions[0]'", "every S3 action"],
    ),
    "s3 star": (
        "grants:\n  - name: star\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:*']\n",
        ["every S3 action"],
    ),
    "admin wildcard": (
        "grants:\n  - name: puts\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:Put*']\n",
        ["s3:PutBucketAcl", "administration"],
    ),
    "bucket-wide actions under prefixes": (
        "grants:\n  - name: gets\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:Get*']\n"
        "    prefixes: [team/]\n",
        ["field 'actions'", "whole bucket", "s3:GetBucketAcl", "s3:GetObject*"],
    ),
    "version deletion": (
        "grants:\n  - name: del\n    users: [u01]\n    bucket: reports-bucket\n    actions: ['s3:DeleteObject*']\n",
        ["field 'actions[0]'", "s3:DeleteObjectVersion", "never grants"],
    ),
    "retention lock": (
        "grants:\n  - name: lock\n    users: [u01]\n    bucket: reports-bucket\n"
        "    actions: [s3:PutObjectRetention, s3:ReplicateDelete]\n",
        ["field 'actions[0]'", "field 'actions[1]'"],
    ),
    "public extra statement": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Open\n      Effect: Allow\n"
        "      Principal: {AWS: ['*']}\n      Action: s3:GetObject\n      Resource: '*'\n      Condition: {}\n",
        ["field 'extraStatements.reports-bucket[0]'", "makes the bucket public"],
    ),
    "extra statement with a date": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Until\n      Effect: Deny\n      Principal: '*'\n"
        "      Action: s3:*\n      Resource: '*'\n"
        "      Condition: {DateGreaterThan: {'aws:CurrentTime': 2025-12-31}}\n",
        ["grants.yaml:8:", "cannot hold", "quotes"],
    ),
    "extra statement that AWS would refuse at apply": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Broken\n      Effect: Deny\n      Principal: '*'\n"
        "      Resource: 'arn:aws:s3:::another-bucket/*'\n      Condition: {}\n",
        [
            "field 'extraStatements.reports-bucket[0].Action'",
            "neither",
            "field 'extraStatements.reports-bucket[0].Resource'",
            "not this bucket",
            "field 'extraStatements.reports-bucket[0].Condition'",
            "limits nothing",
        ],
    ),
    "extra statement granting administration or a root": (
        "grants:\n  - name: ok\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "extraStatements:\n  reports-bucket:\n    - Sid: Partner\n      Effect: Allow\n"
        "      Principal: {AWS: 'arn:aws:iam::999988887777:root'}\n      Action: [s3:GetObject, s3:PutBucketPolicy]\n"
        "      Resource: 'arn:aws:s3:::reports-bucket/*'\n",
        ["s3:PutBucketPolicy", "account root 'arn:aws:iam::999988887777:root'"],
    ),
    "grants not a list": ("grants:\n  name: x\n", ["field 'grants'", "must be a list"]),
    "empty file": ("", ["must be a mapping with a 'grants:' list"]),
    "bad prefix": (
        "grants:\n  - name: pre\n    users: [u01]\n    bucket: reports-bucket\n    access: read\n"
        "    prefixes: ['/abs', 'a*']\n",
        ["field 'prefixes[0]'", "field 'prefixes[1]'"],
    ),
    "duplicate key": (
        "grants:\n  - name: dup\n    users: [u01]\n    users: [u02]\n    bucket: reports-bucket\n    access: read\n",
        ["grants.yaml:4:", "appears twice"],
    ),
    "number as user": (
        "grants:\n  - name: num\n    users: [12345]\n    bucket: reports-bucket\n    access: read\n",
        ["field 'users[0]'", "the number 12345", "quotes"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_grants_file_is_refused_cleanly(run: RunProgram, grants_file, name: str) -> None:
    text, fragments = CASES[name]
    assert_refused(run("nonprod", config=grants_file(text)), *fragments)


def test_every_problem_is_reported_at_once_in_file_order(run: RunProgram, grants_file) -> None:
    text = (
        "grants:\n  - name: one\n    users: [u01]\n    bucekt: reports-bucket\n    access: read\n"
        "  - name: Two\n    users: []\n    bucket: 10.0.0.1\n    access: everything\n"
    )
    message = assert_refused(run("nonprod", config=grants_file(text)))
    lines = [int(n) for n in re.findall(r"grants\.yaml:(\d+):", message)]
    assert len(lines) >= 5
    assert lines == sorted(lines)


def test_missing_grants_file(run: RunProgram) -> None:
    assert_refused(
        run("nonprod", config={"cross-account-s3:grantsFile": "grants/does-not-exist.yaml"}),
        "grants/does-not-exist.yaml",
        "does not exist",
        "grantsFile",
    )


def account(account_id: object, region: str = "us-east-1", **extra: object) -> str:
    return json.dumps({"accountId": account_id, "region": region, **extra})


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1234567890", "exactly 12 digits"),  # the original guide's 10-digit ID
        (12345678901, "the number 12345678901"),  # what YAML makes of an unquoted 012345678901
        (1402433619, "leading zeros"),  # PyYAML's octal reading of 012345670123
        ("12345678901a", "exactly 12 digits"),
    ],
)
def test_account_ids_must_be_twelve_digit_strings(run: RunProgram, value: object, fragment: str) -> None:
    message = assert_refused(run("nonprod", config={"cross-account-s3:bucketAccount": account(value)}), fragment)
    assert "cross-account-s3:bucketAccount.accountId" in message
    assert "Pulumi.nonprod.yaml" in message


def test_the_same_account_on_both_sides_is_refused(run: RunProgram) -> None:
    assert_refused(
        run("nonprod", config={"cross-account-s3:bucketAccount": account("012345678901")}),
        "same account",
        "userAccount",
    )


def test_a_role_in_another_account_is_refused(run: RunProgram) -> None:
    assert_refused(
        run(
            "nonprod",
            config={
                "cross-account-s3:bucketAccount": account(
                    "123456789012", roleArn="arn:aws:iam::999988887777:role/deployer"
                )
            },
        ),
        "roleArn is in account 999988887777",
    )


def test_missing_account_settings_are_refused(run: RunProgram) -> None:
    assert_refused(
        run("nonprod", config={"cross-account-s3:userAccount": ""}), "cross-account-s3:userAccount", "required"
    )


def test_settings_and_grants_problems_are_reported_together(run: RunProgram, grants_file) -> None:
    config = {"cross-account-s3:userAccount": account("12"), **grants_file("grants:\n  - name: Bad Name\n")}
    message = assert_refused(run("nonprod", config=config))
    assert "userAccount.accountId" in message
    assert "grant 'Bad Name', field 'name'" in message and "field 'users'" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cross-account-s3:bucketAccount", '{"accountId": ' + "1" * 5000 + ', "region": "us-east-1"}'),
        ("cross-account-s3:bucketAccount", "[" * 5000 + "]" * 5000),
        ("cross-account-s3:otherGroupsByUser", '{"u01": ' + "9" * 5000 + "}"),
        ("cross-account-s3:grantsFile", "grants/no\x00such.yaml"),
    ],
    ids=["huge-number", "deep-nesting", "huge-count", "nul-in-path"],
)
def test_config_values_python_cannot_read_are_clean_problems(run: RunProgram, key: str, value: str) -> None:
    assert_refused(run("nonprod", config={key: value}))
