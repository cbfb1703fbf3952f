"""The core's decision after the lookups, without Pulumi: which checks stop the plan, and whom the plan names."""

from __future__ import annotations

from typing import Any

import yaml

from cross_account_s3.core.decision import decide
from cross_account_s3.core.live import LiveBucket, LiveFacts, LiveKey, LiveUser
from cross_account_s3.core.loaded_grants import validate_grants
from cross_account_s3.core.yaml_source import parse_yaml
from tests.test_limits import BUCKET_ACCOUNT, USER_ACCOUNT, settings

BUCKET = "reports-bucket"


def loaded(grants: list[dict[str, Any]]) -> Any:
    return validate_grants(parse_yaml(yaml.safe_dump({"grants": grants}), "grants.yaml"), USER_ACCOUNT)


def facts(users: dict[str, str], policy: dict[str, Any] | None = None) -> LiveFacts:
    """Users as IAM reports them (name -> ARN) and one existing bucket."""
    found = {name.lower(): LiveUser(name=name, arn=arn, user_id=f"AIDA{name.upper()}") for name, arn in users.items()}
    return LiveFacts(users=found, buckets={BUCKET: LiveBucket(name=BUCKET, exists=True, policy=policy)})


def test_a_missing_user_stops_the_plan_before_the_limits_are_counted() -> None:
    # Eleven grants for one user would also break the groups-per-user limit; the missing user comes first.
    grants = loaded([{"name": f"g{n}", "users": ["ghost"], "bucket": BUCKET, "access": "read"} for n in range(11)])
    decision = decide(grants, settings(), facts({}))
    assert decision.plan is None
    rendered = [problem.render() for problem in decision.problems]
    assert rendered and all("the user 'ghost' does not exist" in text for text in rendered)


def test_the_plan_names_each_user_as_iam_reports_it() -> None:
    """A name written in another case, and a user with a path, become the ARN and spelling IAM returned."""
    arn = f"arn:aws:iam::{USER_ACCOUNT}:user/ci/Deployer"
    decision = decide(
        loaded([{"name": "deploy", "users": ["deployer"], "bucket": BUCKET, "access": "read"}]),
        settings(),
        facts({"Deployer": arn}),
    )
    assert decision.plan is not None and decision.problems == ()
    (grant_plan,) = decision.plan.grants
    assert grant_plan.group is not None and grant_plan.group.members == ("Deployer",)
    (bucket_plan,) = decision.plan.buckets
    assert {p for s in bucket_plan.policy["Statement"] for p in s["Principal"]["AWS"]} == {arn}


def test_a_deleted_and_recreated_user_is_a_note_not_a_problem() -> None:
    arn = f"arn:aws:iam::{USER_ACCOUNT}:user/u01"
    live_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CrossAccountS3Objects0123456789",
                "Effect": "Allow",
                "Principal": {"AWS": "AIDAOLDUSERID1234567"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
    decision = decide(
        loaded([{"name": "readers", "users": ["u01"], "bucket": BUCKET, "access": "read"}]),
        settings(),
        facts({"u01": arn}, live_policy),
    )
    assert decision.plan is not None and decision.problems == ()
    # (This stack has no record of writing that statement, and its Sid is not the plan's: a second note says so.)
    (note,) = [note for note in decision.notes if "AIDAOLDUSERID1234567" in note]
    assert arn in note and "deleted and re-created" in note


def test_a_bucket_key_that_cannot_be_used_stops_the_plan_with_every_other_missing_thing() -> None:
    """Key problems come in the same first stage as missing users: one list, before the plan is built."""
    key = f"arn:aws:kms:us-east-1:{BUCKET_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    text = yaml.safe_dump(
        {
            "grants": [{"name": "g", "users": ["ghost"], "bucket": BUCKET, "access": "read"}],
            "bucketSettings": {BUCKET: {"kmsKey": key}},
        }
    )
    grants = validate_grants(parse_yaml(text, "grants.yaml"), USER_ACCOUNT)
    found = facts({})
    with_key = LiveFacts(found.users, found.buckets, keys={key: LiveKey(key, "CUSTOMER", "Disabled")})
    decision = decide(grants, settings(), with_key)
    assert decision.plan is None
    rendered = sorted(problem.render() for problem in decision.problems)
    assert len(rendered) == 2
    assert any("is in the state Disabled" in text for text in rendered)
    assert any("the user 'ghost' does not exist" in text for text in rendered)


def test_the_plan_uses_the_key_arn_kms_resolved_an_alias_to() -> None:
    alias = f"arn:aws:kms:us-east-1:{BUCKET_ACCOUNT}:alias/shared"
    key = f"arn:aws:kms:us-east-1:{BUCKET_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    arn = f"arn:aws:iam::{USER_ACCOUNT}:user/u01"
    text = yaml.safe_dump(
        {
            "grants": [{"name": "g", "users": ["u01"], "bucket": BUCKET, "access": "write"}],
            "bucketSettings": {BUCKET: {"kmsKey": alias}},
        }
    )
    grants = validate_grants(parse_yaml(text, "grants.yaml"), USER_ACCOUNT)
    found = facts({"u01": arn})
    with_key = LiveFacts(found.users, found.buckets, keys={alias: LiveKey(key, "CUSTOMER", "Enabled")})
    decision = decide(grants, settings(), with_key)
    assert decision.plan is not None, [p.render() for p in decision.problems]
    (grant_plan,) = decision.plan.grants
    (kms_grant,) = grant_plan.kms_grants
    assert (kms_grant.key.arn, kms_grant.grantee, kms_grant.operations) == (key, arn, ("Decrypt", "GenerateDataKey"))
    (bucket_plan,) = decision.plan.buckets
    assert bucket_plan.kms_key is not None and bucket_plan.kms_key.configured == alias
    assert bucket_plan.region == "us-east-1"
