"""Removing a bucket's last grant: `pulumi up` deletes its whole policy, so preview reads it first.

Each test deploys twice, as a user would: the first run's outputs become the stack's last deployment
(`FakeWorld.previous_outputs`, what the program's self `StackReference` reads) and its bucket policies
become what AWS holds; then someone edits a live policy by hand, and the grants file drops a bucket.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import pytest

from cross_account_s3 import provider_contract as contract
from cross_account_s3.infra.offline_runner import ProgramRun
from tests.conftest import BUILD, NONPROD, RunProgram, fixture_world, grants_yaml
from tests.fake_aws import FakeWorld
from tests.test_live_checks import FOREIGN

BOTH = (
    {"name": "reports-read", "users": ["u01"], "bucket": "reports-bucket", "access": "read"},
    {"name": "other-read", "users": ["u02"], "bucket": "other-bucket", "access": "read"},
)
HAND_ADDED = FOREIGN["Statement"][0]  # a CloudFront read, added in the console after the deployment
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def deployed(
    run: RunProgram,
    grants_file,
    world: FakeWorld | None = None,
    grants: Sequence[dict[str, Any]] = BOTH,
    **sections: Any,
) -> FakeWorld:
    """`pulumi up` of the grants (both, unless told): AWS now holds the policies it wrote, and the stack its outputs."""
    world = world or fixture_world()
    first = run("nonprod", world=world, config=grants_file(grants_yaml(*grants, **sections)))
    assert first.error is None, first.error
    for bucket, policy in first.outputs["bucketPolicies"].items():
        world.account(NONPROD).buckets[bucket] = json.loads(json.dumps(policy))
    world.previous_outputs = json.loads(json.dumps(first.outputs))
    return world


def add_by_hand(world: FakeWorld, bucket: str, statement: dict[str, Any]) -> None:
    live = world.account(NONPROD).buckets[bucket]
    assert live is not None
    live["Statement"] = [*live["Statement"], statement]


def assert_refused(result: ProgramRun, *fragments: str) -> str:
    """Preview stopped cleanly after the lookups: one problem list, and no AWS resource registered."""
    assert result.error is not None, "preview went on"
    assert [r.name for r in result.registrations if r.type.startswith("aws:")] == []
    assert "Traceback" not in result.error and "nothing was created or changed" in result.error
    for fragment in fragments:
        assert fragment in result.error, f"{fragment!r} not in:\n{result.error}"
    return result.error


def policies_registered(result: ProgramRun) -> list[str]:
    return sorted(r.name for r in result.of_type(BUCKET_POLICY))


def retire_reports(run: RunProgram, grants_file, world: FakeWorld, **sections: Any) -> ProgramRun:
    return run("nonprod", world=world, config=grants_file(grants_yaml(BOTH[1], **sections)))


def test_a_hand_added_statement_stops_the_deletion_and_the_fix_it_prints_keeps_it(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    add_by_hand(world, "reports-bucket", HAND_ADDED)
    refused = retire_reports(run, grants_file, world)
    error = assert_refused(
        refused,
        "the grants no longer name the bucket 'reports-bucket' (no grant, no extraStatements entry), so `pulumi up` "
        "would delete its whole policy",
        "statements this stack did not write (AllowCloudFrontRead)",
        "rewritten to just these statements",
        "Sid: AllowCloudFrontRead",
    )
    assert "extraStatements:" in error and "reports-bucket:" in error
    # The printed fix, followed: the bucket keeps a policy of just the hand-added statement.
    kept = retire_reports(run, grants_file, world, extraStatements={"reports-bucket": [HAND_ADDED]})
    assert kept.error is None, kept.error
    policy = json.loads(kept.by_name("bucket-policy-reports-bucket").inputs["policy"])
    assert policy["Statement"] == [HAND_ADDED]


def test_a_policy_that_is_all_this_programs_is_deleted_after_it_was_read(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    result = retire_reports(run, grants_file, world)
    assert result.error is None, result.error
    assert policies_registered(result) == ["bucket-policy-other-bucket"]  # reports-bucket's is deleted by `up`
    asked = [(i.args["bucket"], i.account) for i in result.invocations if i.token == contract.GET_BUCKET_POLICY]
    assert sorted(asked) == [("other-bucket", NONPROD), ("reports-bucket", NONPROD)]


def test_nothing_to_lose_when_the_policy_or_the_bucket_is_already_gone(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    world.account(NONPROD).buckets["reports-bucket"] = None  # its policy deleted by hand
    assert retire_reports(run, grants_file, world).error is None
    del world.account(NONPROD).buckets["reports-bucket"]  # the bucket itself deleted
    assert retire_reports(run, grants_file, world).error is None


def test_a_bucket_elsewhere_is_read_in_the_region_the_last_deployment_recorded(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(NONPROD).bucket_regions["reports-bucket"] = "eu-west-1"
    deployed(run, grants_file, world, bucketSettings={"reports-bucket": {"region": "eu-west-1"}})
    assert world.previous_outputs["bucketRegions"] == {"other-bucket": "us-east-1", "reports-bucket": "eu-west-1"}
    add_by_hand(world, "reports-bucket", HAND_ADDED)
    assert_refused(retire_reports(run, grants_file, world), "(AllowCloudFrontRead)")
    # A deployment made before the regions were recorded: the bucket is asked in the provider's region,
    # S3 answers with a redirect, and preview stops rather than delete what it could not read.
    del world.previous_outputs["bucketRegions"]
    assert_refused(
        retire_reports(run, grants_file, world),
        "the grants no longer name the bucket 'reports-bucket'",
        "could not be read first",
        "did not record the bucket's region",
        "PermanentRedirect",
    )


def _deny_the_read(world: FakeWorld) -> None:
    world.account(NONPROD).denied.add("reports-bucket")


def _move_the_bucket(world: FakeWorld) -> None:
    world.account(NONPROD).bucket_regions["reports-bucket"] = "eu-west-1"  # deleted, and created again there


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_deny_the_read, ("is not allowed s3:GetBucketPolicy",)),
        (
            _move_the_bucket,
            (
                "the bucket answers from elsewhere than us-east-1, where this stack wrote its policy",
                "undo the removal (the same grants, with the bucket's current region under bucketSettings)",
            ),
        ),
    ],
)
def test_a_policy_that_cannot_be_read_is_not_deleted_blind(
    run: RunProgram, grants_file, change: Callable[[FakeWorld], None], said: tuple[str, ...]
) -> None:
    world = deployed(run, grants_file)
    change(world)
    assert_refused(
        retire_reports(run, grants_file, world),
        "the grants no longer name the bucket 'reports-bucket'",
        "could not be read first",
        *said,
    )


def test_an_output_this_version_cannot_read_is_a_warning(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    add_by_hand(world, "reports-bucket", HAND_ADDED)
    world.previous_outputs["bucketPolicies"] = ["not", "a", "mapping"]
    result = retire_reports(run, grants_file, world)
    assert result.error is None, result.error
    assert any("'bucketPolicies' output this version cannot read" in w for w in result.warnings), result.warnings
    # One bad region drops only that region, and says so.
    world = deployed(run, grants_file)
    world.previous_outputs["bucketRegions"] = {"reports-bucket": 42, "other-bucket": "us-east-1"}
    warned = retire_reports(run, grants_file, world)
    assert any("'bucketRegions' output this version cannot read" in w for w in warned.warnings), warned.warnings


def test_a_stack_never_deployed_reads_only_the_buckets_it_names(run: RunProgram, grants_file) -> None:
    result = retire_reports(run, grants_file, fixture_world())
    assert result.error is None, result.error
    asked = [i.args["bucket"] for i in result.invocations if i.token == contract.GET_BUCKET_POLICY]
    assert asked == ["other-bucket"]


def test_statements_taken_out_of_the_grants_file_on_purpose_go_with_the_policy(run: RunProgram, grants_file) -> None:
    """A statement the last deployment wrote from extraStatements is this stack's, however AWS spells it back."""
    world = deployed(run, grants_file, extraStatements={"reports-bucket": [HAND_ADDED]})
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    for statement in live["Statement"]:  # AWS may hand a one-item list back as its item
        for key, value in statement.items():
            if isinstance(value, list) and len(value) == 1:
                statement[key] = value[0]
    retired = run("nonprod", world=world, config=grants_file(grants_yaml(BOTH[1])))
    assert retired.error is None, retired.error
    assert policies_registered(retired) == ["bucket-policy-other-bucket"]
    # With the grant still there, the entry alone is taken out: the policy is rewritten without it.
    dropped = run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH)))
    assert dropped.error is None, dropped.error
    policy = json.loads(dropped.by_name("bucket-policy-reports-bucket").inputs["policy"])
    assert [s for s in policy["Statement"] if s["Sid"] == HAND_ADDED["Sid"]] == []
    # Changed by hand since, it is someone else's again.
    live["Statement"] = [{**s, "Action": "s3:*"} if s.get("Sid") == HAND_ADDED["Sid"] else s for s in live["Statement"]]
    assert_refused(retire_reports(run, grants_file, world), "(AllowCloudFrontRead)")


def test_a_statement_that_cannot_be_kept_is_named_with_the_reason_and_a_way_out(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    partner = {
        "Sid": "PartnerRoot",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::reports-bucket/*",
    }
    add_by_hand(world, "reports-bucket", partner)
    add_by_hand(world, "reports-bucket", HAND_ADDED)
    error = assert_refused(
        retire_reports(run, grants_file, world),
        "(PartnerRoot, AllowCloudFrontRead)",
        "to keep those that can be kept (the policy is then rewritten to just these statements)",
        "a policy this program writes cannot hold PartnerRoot: ",
        "root",
        "or let this program go of the bucket: copy the statements it did not write, remove them from the policy by "
        "hand, run `pulumi up`",
    )
    assert "Sid: AllowCloudFrontRead" in error and "Sid: PartnerRoot" not in error


def as_protobuf_numbers(value: Any) -> Any:
    """Outputs as a StackReference hands them back: every number a protobuf double."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {key: as_protobuf_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_protobuf_numbers(item) for item in value]
    return value


def test_a_number_handed_back_as_a_float_is_the_same_statement(run: RunProgram, grants_file) -> None:
    numeric = {
        "Sid": "DenyBigListings",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::reports-bucket",
        "Condition": {"NumericGreaterThan": {"s3:max-keys": 1000}},
    }
    world = deployed(run, grants_file, extraStatements={"reports-bucket": [numeric]})
    world.previous_outputs = as_protobuf_numbers(world.previous_outputs)
    result = retire_reports(run, grants_file, world)
    assert result.error is None, result.error


def test_the_sids_offered_are_ones_the_grants_file_accepts(run: RunProgram, grants_file) -> None:
    """No Sid, a console Sid with a hyphen, and a Sid the bucket already declares in another case: each renamed."""
    declared = {**HAND_ADDED, "Sid": "Kept1"}
    world = deployed(run, grants_file, extraStatements={"reports-bucket": [declared]})
    console = {**HAND_ADDED, "Sid": "AWSConsoleStmt-1591", "Action": "s3:GetObjectVersion"}
    clash = {**HAND_ADDED, "Sid": "kept1", "Action": "s3:GetObjectTagging"}
    unnamed = {key: value for key, value in HAND_ADDED.items() if key != "Sid"} | {"Action": "s3:GetObjectAcl"}
    for statement in (console, clash, unnamed):
        add_by_hand(world, "reports-bucket", statement)
    kept = {"extraStatements": {"reports-bucket": [declared]}}
    error = assert_refused(
        run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH, **kept))),
        "(AWSConsoleStmt-1591, kept1, (no Sid))",
        "Sid: Kept2",
        "Sid: Kept3",
        "Sid: Kept4",
    )
    assert "cannot hold" not in error
    # The fix, pasted beside what the file already declares, is accepted.
    offered = [{**s, "Sid": f"Kept{n}"} for n, s in enumerate((console, clash, unnamed), start=2)]
    pasted = {"extraStatements": {"reports-bucket": [declared, *offered]}}
    assert run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH, **pasted))).error is None


def test_outputs_that_are_not_known_stop_the_run_rather_than_pass_for_none(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    world.stack_outputs = lambda _stack: pulumi.runtime.rpc.UNKNOWN  # type: ignore[method-assign]
    result = retire_reports(run, grants_file, world)
    assert result.error is not None and "Traceback" not in result.error
    assert "this stack's last outputs are not known in this preview" in result.error
    assert [r.name for r in result.registrations if r.type.startswith("aws:")] == []


def unwritten_notes(result: ProgramRun) -> list[str]:
    return [w for w in result.warnings if "that this stack's last deployment did not write" in w]


def test_another_stacks_statements_on_the_same_bucket_are_shown_before_they_are_replaced(
    run: RunProgram, grants_file
) -> None:
    """Two grants repositories granting on one bucket would take each other's access away at every `up`."""
    world = deployed(run, grants_file)
    assert unwritten_notes(retire_reports(run, grants_file, world)) == []  # what it wrote itself: no note
    other_team = run("nonprod", world=fixture_world(), config=grants_file(grants_yaml({**BOTH[0], "users": ["u03"]})))
    assert other_team.error is None, other_team.error
    world.account(NONPROD).buckets["reports-bucket"] = json.loads(
        json.dumps(other_team.outputs["bucketPolicies"]["reports-bucket"])
    )
    result = run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH)))
    assert result.error is None, result.error
    (note,) = unwritten_notes(result)
    assert note.startswith("bucket reports-bucket: its live policy has statements with this program's Sids")
    assert "another stack of this program writes this bucket's policy too" in note


def test_a_hand_edit_of_this_stacks_statement_is_shown_before_it_is_undone(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    ours = live["Statement"][0]
    ours["Principal"]["AWS"] = [*ours["Principal"]["AWS"], "arn:aws:iam::111122223333:root"]  # a sneaked-in account
    (note,) = unwritten_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH))))
    assert "someone edited them by hand" in note and ours["Sid"] in note


def restored_notes(result: ProgramRun) -> list[str]:
    assert result.error is None, result.error
    return [w for w in result.warnings if "someone took them out by hand" in w]


def test_a_principal_taken_out_by_hand_is_shown_before_up_grants_it_again(run: RunProgram, grants_file) -> None:
    """Cutting a user off in the console is undone by the next `up` while the grants file still grants it."""
    two_readers = ({**BOTH[0], "users": ["u01", "u03"]}, BOTH[1])
    world = deployed(run, grants_file, grants=two_readers)
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    ours = live["Statement"][0]
    u03 = f"arn:aws:iam::{BUILD}:user/u03"
    ours["Principal"]["AWS"] = [arn for arn in ours["Principal"]["AWS"] if arn != u03]
    (note,) = restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*two_readers))))
    assert note.startswith(f"bucket reports-bucket: the live policy no longer names {u03} where this stack's last")
    assert "take them out of the grants file" in note
    # Taken out of the grants file too: `up` grants nothing again, so there is nothing to warn about.
    assert restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH)))) == []


def test_a_statement_taken_out_by_hand_is_shown_before_up_puts_it_back(run: RunProgram, grants_file) -> None:
    """The only way to cut off a one-user grant by hand is to delete its statement."""
    world = deployed(run, grants_file)
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    live["Statement"] = []
    (note,) = restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH))))
    assert f"no longer names arn:aws:iam::{BUILD}:user/u01" in note


def test_a_principal_taken_out_by_hand_is_shown_even_when_the_change_edits_its_grant(
    run: RunProgram, grants_file
) -> None:
    """The change gives the grant another Sid (another level): the removal must not hide behind it."""
    two_readers = ({**BOTH[0], "users": ["u01", "u03"]}, BOTH[1])
    world = deployed(run, grants_file, grants=two_readers)
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    u03 = f"arn:aws:iam::{BUILD}:user/u03"
    for statement in live["Statement"]:
        statement["Principal"]["AWS"] = [arn for arn in statement["Principal"]["AWS"] if arn != u03]
    widened = ({**two_readers[0], "access": "read-write"}, BOTH[1])
    (note,) = restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*widened))))
    assert f"no longer names {u03}" in note


READ_AND_WRITE = (
    {"name": "readers", "users": ["u01", "u02"], "bucket": "reports-bucket", "access": "read"},
    {"name": "writers", "users": ["u01", "u03"], "bucket": "reports-bucket", "access": "write"},
)


def _statement_of(world: FakeWorld, user: str, *, writes: bool) -> dict[str, Any]:
    """The live statement of the read (or write) grant on reports-bucket."""
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    arn = f"arn:aws:iam::{BUILD}:user/{user}"
    (found,) = [
        s
        for s in live["Statement"]
        if arn in s["Principal"]["AWS"] and ("s3:PutObject" in json.dumps(s["Action"])) == writes
    ]
    return found


def test_a_user_the_change_also_takes_out_is_no_warning(run: RunProgram, grants_file) -> None:
    """Cut off by hand and in the grants file too: `up` grants nothing back, whatever else the user keeps."""
    world = deployed(run, grants_file, grants=READ_AND_WRITE)
    writes = _statement_of(world, "u01", writes=True)
    writes["Principal"]["AWS"] = [arn for arn in writes["Principal"]["AWS"] if not arn.endswith("user/u01")]
    changed = (READ_AND_WRITE[0], {**READ_AND_WRITE[1], "users": ["u03"]})
    assert restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*changed)))) == []


def test_a_statement_deleted_by_hand_is_shown_though_its_users_keep_another(run: RunProgram, grants_file) -> None:
    """u01 still reads: deleting the write statement cut off its writing, which `up` would give back."""
    world = deployed(run, grants_file, grants=READ_AND_WRITE)
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    writes = _statement_of(world, "u01", writes=True)
    live["Statement"] = [s for s in live["Statement"] if s is not writes]
    (note,) = restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*READ_AND_WRITE))))
    assert f"arn:aws:iam::{BUILD}:user/u01" in note and f"arn:aws:iam::{BUILD}:user/u03" in note


def test_a_statement_deleted_by_hand_is_shown_beside_a_deleted_users_unique_id(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file, grants=READ_AND_WRITE)
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    writes = _statement_of(world, "u01", writes=True)
    reads = _statement_of(world, "u01", writes=False)
    reads["Principal"]["AWS"] = [
        "AIDAOLDUSERID1234567" if arn.endswith("user/u02") else arn for arn in reads["Principal"]["AWS"]
    ]
    live["Statement"] = [s for s in live["Statement"] if s is not writes]
    (note,) = restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*READ_AND_WRITE))))
    assert f"arn:aws:iam::{BUILD}:user/u03" in note


def in_aws_spelling(policy: dict[str, Any]) -> dict[str, Any]:
    """A policy as AWS may hand it back: every one-item list as its item."""
    if isinstance(policy, dict):
        return {key: in_aws_spelling(value) for key, value in policy.items()}
    if isinstance(policy, list):
        return in_aws_spelling(policy[0]) if len(policy) == 1 else [in_aws_spelling(item) for item in policy]
    return policy


def test_a_healthy_stack_previews_without_a_note(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    for bucket, policy in list(world.account(NONPROD).buckets.items()):
        if policy is not None:
            world.account(NONPROD).buckets[bucket] = in_aws_spelling(policy)
    world.previous_outputs = as_protobuf_numbers(world.previous_outputs)
    again = run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH)))
    assert again.error is None and again.warnings == [], again.warnings
    # Never deployed (no outputs), yet the live policy already is what the plan writes: nothing is lost.
    world.previous_outputs = {}
    assert unwritten_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH)))) == []


def test_another_stacks_statements_stop_the_deletion_of_a_bucket_this_stack_lets_go(
    run: RunProgram, grants_file
) -> None:
    world = deployed(run, grants_file)
    other_team = run("nonprod", world=fixture_world(), config=grants_file(grants_yaml({**BOTH[0], "users": ["u03"]})))
    assert other_team.error is None, other_team.error
    # The other stack's `up` wrote the bucket's one policy last: its statements, with this program's Sids.
    world.account(NONPROD).buckets["reports-bucket"] = json.loads(
        json.dumps(other_team.outputs["bucketPolicies"]["reports-bucket"])
    )
    assert_refused(retire_reports(run, grants_file, world), "statements this stack did not write (CrossAccountS3")


def test_a_deleted_users_unique_id_is_not_someone_elses_but_an_added_principal_is(run: RunProgram, grants_file) -> None:
    world = deployed(run, grants_file)
    live = world.account(NONPROD).buckets["reports-bucket"]
    assert live is not None
    ours = live["Statement"][0]
    ours["Principal"]["AWS"] = ["AIDAOLDUSERID1234567"]  # u01 deleted: AWS put its unique ID in place of its ARN
    assert unwritten_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH)))) == []
    assert restored_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH)))) == []  # not by hand
    assert retire_reports(run, grants_file, world).error is None
    ours["Principal"]["AWS"] = ["AIDAOLDUSERID1234567", "arn:aws:iam::111122223333:role/sneaked-in"]
    (note,) = unwritten_notes(run("nonprod", world=world, config=grants_file(grants_yaml(*BOTH))))
    assert ours["Sid"] in note
    assert_refused(retire_reports(run, grants_file, world), f"statements this stack did not write ({ours['Sid']})")
