"""What preview catches by looking at AWS first: missing users and buckets, foreign statements, AIDA principals."""

from __future__ import annotations

import json

import pytest

from tests.conftest import BUILD, NONPROD, RunProgram, fixture_world, world_with

READ_REPORTS = """
grants:
  - name: reports-read
    users: [u01, ghost]
    buckets: [reports-bucket, missing-bucket]
    access: read
"""

FOREIGN = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowCloudFrontRead",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::reports-bucket/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{NONPROD}:distribution/E1"}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::reports-bucket", "arn:aws:s3:::reports-bucket/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ],
}


def aws_registrations(result):
    return [r.name for r in result.registrations if r.type.startswith("aws:")]


def test_missing_users_and_buckets_fail_preview_before_anything_is_registered(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(READ_REPORTS))
    assert result.error is not None
    assert (
        "grant 'reports-read', field 'users[1]': the user 'ghost' does not exist in the user account " + BUILD
        in result.error
    )
    assert "the bucket 'missing-bucket' does not exist in the bucket account " + NONPROD in result.error
    assert "Invalid principal" in result.error
    assert aws_registrations(result) == []


def test_lookups_go_through_the_provider_of_the_right_account(run: RunProgram) -> None:
    result = run("nonprod")
    accounts = {(i.token, i.account) for i in result.invocations}
    assert accounts == {
        ("aws:iam/getUser:getUser", BUILD),
        ("aws:s3/getBucketPolicy:getBucketPolicy", NONPROD),
        ("aws:s3/getBucket:getBucket", NONPROD),  # the buckets have no policy: HeadBucket tells they exist
        # AWS's policy simulator evaluates the user's own policies, so it is asked in the user account
        ("aws:iam/getPrincipalPolicySimulation:getPrincipalPolicySimulation", BUILD),
    }


def test_a_user_in_the_wrong_account_is_missing(run: RunProgram) -> None:
    """test.user exists only in the bucket account: the lookup through the user account must not find it."""
    world = fixture_world()
    del world.account(BUILD).users["test.user"]
    world.account(NONPROD).users["test.user"] = "/"
    result = run("nonprod", world=world)
    assert result.error is not None and "'test.user' does not exist in the user account" in result.error


def test_the_arn_that_the_lookup_returns_is_the_principal(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(BUILD).users["deployer"] = "/ci/"
    result = run(
        "nonprod",
        world=world,
        config=grants_file(
            "grants:\n  - name: deploy\n    users: [deployer]\n    bucket: reports-bucket\n    access: write\n"
        ),
    )
    policy = json.loads(result.by_name("bucket-policy-reports-bucket").inputs["policy"])
    assert {p for s in policy["Statement"] for p in s["Principal"]["AWS"]} == {f"arn:aws:iam::{BUILD}:user/ci/deployer"}


def test_a_bucket_with_no_policy_is_normal(run: RunProgram) -> None:
    assert run("nonprod").error is None


def test_undeclared_foreign_statements_stop_preview_with_yaml_to_keep_them(run: RunProgram) -> None:
    world = fixture_world()
    world.account(NONPROD).buckets["my-shared-bucket-20932"] = json.loads(
        json.dumps(FOREIGN).replace("reports-bucket", "my-shared-bucket-20932")
    )
    result = run("nonprod", world=world)
    assert result.error is not None
    assert "statements this program did not write (AllowCloudFrontRead, (no Sid))" in result.error
    assert "to keep them, add this" in result.error and "cannot hold" not in result.error
    assert "extraStatements:" in result.error and "Sid: Kept1" in result.error
    assert aws_registrations(result) == []


def test_the_yaml_offered_is_only_what_the_grants_file_would_accept(run: RunProgram) -> None:
    """A statement for another bucket cannot be kept in this one's policy: it is named, with why, not offered."""
    world = fixture_world()
    world.account(NONPROD).buckets["my-shared-bucket-20932"] = json.loads(
        json.dumps(FOREIGN).replace("reports-bucket/*", "my-shared-bucket-20932/*")
    )
    error = run("nonprod", world=world).error or ""
    assert "to keep those that can be kept, add this" in error and "Sid: AllowCloudFrontRead" in error
    assert "Kept1" not in error  # the Sid-less Deny would be Kept1, but it is not offered
    assert "a policy this program writes cannot hold (no Sid): names 'arn:aws:s3:::reports-bucket'" in error
    assert "let this program go of the bucket: remove its grants and its extraStatements entry" in error


def test_declared_foreign_statements_are_kept_verbatim(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(NONPROD).buckets["reports-bucket"] = FOREIGN
    declared = {**FOREIGN["Statement"][1], "Sid": "DenyInsecureTransport"}
    text = json.dumps(
        {
            "grants": [{"name": "r", "users": ["u01"], "bucket": "reports-bucket", "access": "read"}],
            "extraStatements": {"reports-bucket": [FOREIGN["Statement"][0], declared]},
        }
    )
    result = run("nonprod", world=world, config=grants_file(text))
    assert result.error is None, result.error
    policy = json.loads(result.by_name("bucket-policy-reports-bucket").inputs["policy"])
    assert FOREIGN["Statement"][0] in policy["Statement"] and declared in policy["Statement"]


def test_our_own_statements_in_the_live_policy_are_not_foreign(run: RunProgram) -> None:
    first = run("nonprod")
    world = fixture_world()
    world.account(NONPROD).buckets["my-shared-bucket-20932"] = first.outputs["bucketPolicies"]["my-shared-bucket-20932"]
    assert run("nonprod", world=world).error is None


def test_an_aida_principal_is_reported_and_the_policy_is_rewritten_with_the_arn(run: RunProgram) -> None:
    first = run("nonprod")
    live = json.loads(json.dumps(first.outputs["bucketPolicies"]["my-shared-bucket-20932"]))
    for statement in live["Statement"]:
        statement["Principal"]["AWS"] = ["AIDAOLDUSERID1234567"]
    world = fixture_world()
    world.account(NONPROD).buckets["my-shared-bucket-20932"] = live
    result = run("nonprod", world=world)
    assert result.error is None
    assert any(
        "AIDAOLDUSERID1234567" in w and f"arn:aws:iam::{BUILD}:user/test.user" in w and "pulumi up" in w
        for w in result.warnings
    ), result.warnings
    written = json.loads(result.by_name("bucket-policy-my-shared-bucket-20932").inputs["policy"])
    assert all(s["Principal"]["AWS"] == [f"arn:aws:iam::{BUILD}:user/test.user"] for s in written["Statement"])


def test_no_warning_when_the_live_policy_is_healthy(run: RunProgram) -> None:
    world = world_with(users={BUILD: {"test.user": "/"}}, buckets={NONPROD: {"my-shared-bucket-20932": None}})
    assert run("nonprod", world=world).warnings == []


def test_a_lookup_the_account_refuses_is_a_clean_problem_not_a_crash(run: RunProgram) -> None:
    world = fixture_world()
    world.account(BUILD).denied.add("test.user")
    world.account(NONPROD).denied.add("my-shared-bucket-20932")
    result = run("nonprod", world=world)
    assert result.error is not None and "Traceback" not in result.error
    assert "'test.user' could not be looked up in the user account 012345678901" in result.error
    assert "iam:GetUser" in result.error
    assert (
        "'my-shared-bucket-20932' could not be looked up in the bucket account 123456789012: the profile (or role) "
        "is not allowed s3:GetBucketPolicy" in result.error
    )
    assert aws_registrations(result) == []


def test_a_bucket_kept_only_for_its_extra_statements_keeps_just_those(run: RunProgram, grants_file) -> None:
    """Removing the last grant on a bucket must not delete statements someone else owns along with ours."""
    world = fixture_world()
    world.account(NONPROD).buckets["reports-bucket"] = FOREIGN
    declared = {**FOREIGN["Statement"][1], "Sid": "DenyInsecureTransport"}
    text = json.dumps(
        {
            "grants": [{"name": "r", "users": ["u01"], "bucket": "other-bucket", "access": "read"}],
            "extraStatements": {"reports-bucket": [FOREIGN["Statement"][0], declared]},
        }
    )
    result = run("nonprod", world=world, config=grants_file(text))
    assert result.error is None, result.error
    policy = json.loads(result.by_name("bucket-policy-reports-bucket").inputs["policy"])
    assert sorted(s["Sid"] for s in policy["Statement"]) == ["AllowCloudFrontRead", "DenyInsecureTransport"]


DENY_OUTSIDE_VPC = {
    "Sid": "DenyOutsideVpc",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::reports-bucket", "arn:aws:s3:::reports-bucket/*"],
    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
}
DENY_INSECURE_TRANSPORT = {**FOREIGN["Statement"][1], "Sid": "DenyInsecureTransport"}


def _declaring(*statements: dict) -> str:
    return json.dumps(
        {
            "grants": [{"name": "r", "users": ["u01"], "bucket": "reports-bucket", "access": "read"}],
            "extraStatements": {"reports-bucket": list(statements)},
        }
    )


@pytest.mark.parametrize(
    "declared",
    [
        {**DENY_OUTSIDE_VPC, "Action": "s3:DeleteObject"},  # a weaker Deny: every other action from anywhere
        {**FOREIGN["Statement"][0], "Sid": "DenyOutsideVpc", "Action": ["s3:GetObject", "s3:GetObjectVersion"]},
    ],
)
def test_a_declared_statement_that_says_something_else_than_someone_elses_live_one_stops_preview(
    run: RunProgram, grants_file, declared: dict
) -> None:
    """The reviewed diff compares grants files: only preview sees that `up` would overwrite the owner's statement."""
    world = fixture_world()
    world.account(NONPROD).buckets["reports-bucket"] = {"Version": "2012-10-17", "Statement": [DENY_OUTSIDE_VPC]}
    result = run("nonprod", world=world, config=grants_file(_declaring(declared)))
    assert result.error is not None and "Traceback" not in result.error
    assert "statement DenyOutsideVpc that this program did not write" in result.error
    assert "Sid: DenyOutsideVpc" in result.error and "vpce-1a2b3c4d" in result.error  # the live one, to paste
    assert aws_registrations(result) == []


def test_a_declared_statement_spelled_otherwise_but_saying_the_same_is_kept(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(NONPROD).buckets["reports-bucket"] = {"Version": "2012-10-17", "Statement": [DENY_INSECURE_TRANSPORT]}
    resources = list(reversed(DENY_INSECURE_TRANSPORT["Resource"]))
    respelled = {**DENY_INSECURE_TRANSPORT, "Action": ["s3:*"], "Resource": resources}
    result = run("nonprod", world=world, config=grants_file(_declaring(respelled)))
    assert result.error is None, result.error
    assert not [warning for warning in result.warnings if "DenyInsecureTransport" in warning]


def test_once_this_stack_has_written_a_declared_statement_a_change_to_it_goes_ahead(
    run: RunProgram, grants_file
) -> None:
    """Adopt first (declare it as it is, `up`), then change it in a pull request whose diff shows the change."""
    world = fixture_world()
    world.account(NONPROD).buckets["reports-bucket"] = {"Version": "2012-10-17", "Statement": [DENY_INSECURE_TRANSPORT]}
    adopted = run("nonprod", world=world, config=grants_file(_declaring(DENY_INSECURE_TRANSPORT)))
    assert adopted.error is None, adopted.error
    world.account(NONPROD).buckets["reports-bucket"] = json.loads(
        json.dumps(adopted.outputs["bucketPolicies"]["reports-bucket"])
    )
    world.previous_outputs = json.loads(json.dumps(adopted.outputs))
    changed = {**DENY_INSECURE_TRANSPORT, "Action": ["s3:GetObject", "s3:PutObject"]}
    result = run("nonprod", world=world, config=grants_file(_declaring(changed)))
    assert result.error is None, result.error
    policy = json.loads(result.by_name("bucket-policy-reports-bucket").inputs["policy"])
    assert changed in policy["Statement"]


def test_a_declared_statement_s3_stored_in_another_form_is_a_note_not_a_stop(run: RunProgram, grants_file) -> None:
    """S3 stores an account ID as the account's root ARN: the statement this stack wrote is still its own."""
    world = fixture_world()
    deny_partner = {**DENY_INSECURE_TRANSPORT, "Sid": "DenyPartner", "Principal": {"AWS": "999988887777"}}
    first = run("nonprod", world=world, config=grants_file(_declaring(deny_partner)))
    assert first.error is None, first.error
    stored = json.loads(json.dumps(first.outputs["bucketPolicies"]["reports-bucket"]))
    for statement in stored["Statement"]:
        if statement.get("Sid") == "DenyPartner":
            statement["Principal"] = {"AWS": "arn:aws:iam::999988887777:root"}
    world.account(NONPROD).buckets["reports-bucket"] = stored
    world.previous_outputs = json.loads(json.dumps(first.outputs))
    again = run("nonprod", world=world, config=grants_file(_declaring(deny_partner)))
    assert again.error is None, again.error
    assert any("DenyPartner" in w and "write it in that form" in w for w in again.warnings), again.warnings
    assert not [w for w in again.warnings if "by hand" in w and "999988887777" in w]  # stored, not taken out


def test_a_live_statement_the_file_cannot_keep_gets_a_fix_that_works(run: RunProgram, grants_file) -> None:
    """The printed fix must not be one the next preview refuses: an Allow to an account root cannot be kept."""
    legacy = {
        "Sid": "ElbLogs",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::reports-bucket/*",
    }
    world = fixture_world()
    world.account(NONPROD).buckets["reports-bucket"] = {"Version": "2012-10-17", "Statement": [legacy]}
    replacement = {**legacy, "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}}
    result = run("nonprod", world=world, config=grants_file(_declaring(replacement)))
    assert result.error is not None and "statement ElbLogs that this program did not write" in result.error
    assert "it cannot be declared as it is" in result.error and "declare it as it is live" not in result.error


def test_a_hand_written_statement_with_our_sid_prefix_is_still_foreign(run: RunProgram) -> None:
    world = fixture_world()
    hand_written = {
        "Sid": "CrossAccountS3HandAdded",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{BUILD}:user/u01"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::my-shared-bucket-20932/*",
    }
    world.account(NONPROD).buckets["my-shared-bucket-20932"] = {"Version": "2012-10-17", "Statement": [hand_written]}
    result = run("nonprod", world=world)
    assert result.error is not None
    assert "did not write (CrossAccountS3HandAdded)" in result.error and "Sid: Kept1" in result.error


def test_one_user_spelled_two_ways_is_one_member_spelled_as_iam_spells_it(run: RunProgram, grants_file) -> None:
    text = (
        "grants:\n  - name: a\n    users: [TEST.USER]\n    bucket: my-shared-bucket-20932\n    access: read\n"
        "  - name: b\n    users: [test.User]\n    bucket: my-shared-bucket-20932\n    access: write\n"
    )
    result = run("nonprod", config=grants_file(text))
    assert result.error is None, result.error
    assert [r.inputs["users"] for r in result.of_type("aws:iam/groupMembership:GroupMembership")] == [["test.user"]] * 2
    policy = json.loads(result.by_name("bucket-policy-my-shared-bucket-20932").inputs["policy"])
    assert {p for s in policy["Statement"] for p in s["Principal"]["AWS"]} == {f"arn:aws:iam::{BUILD}:user/test.user"}
    assert [i.args["userName"] for i in result.invocations if i.token == "aws:iam/getUser:getUser"] == ["TEST.USER"]


def test_a_live_policy_with_one_statement_object_is_read_like_a_list(run: RunProgram) -> None:
    """AWS accepts `Statement` as one object; a statement written that way is still someone else's to keep."""
    world = fixture_world()
    (cloudfront, _) = FOREIGN["Statement"]
    world.account(NONPROD).buckets["my-shared-bucket-20932"] = {
        "Version": "2012-10-17",
        "Statement": {**cloudfront, "Resource": "arn:aws:s3:::my-shared-bucket-20932/*"},
    }
    result = run("nonprod", world=world)
    assert result.error is not None
    assert "statements this program did not write (AllowCloudFrontRead)" in result.error
    assert aws_registrations(result) == []
