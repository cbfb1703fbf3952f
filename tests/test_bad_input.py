"""Bad input: one clean message listing every problem with file, line, grant, field and fix; nothing registered."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import RunProgram, assert_refused
from tests.test_grants_validation import CASES

# The validation rules themselves are tested without running the program, in test_grants_validation.py;
# these few prove that the program refuses a bad file cleanly, with nothing registered.
END_TO_END = ("yaml syntax", "unknown key typo", "duplicate names", "public extra statement", "grants not a list")


@pytest.mark.parametrize("name", END_TO_END)
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
