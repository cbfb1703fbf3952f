"""Preview proves the planned access with AWS's policy simulator, before anything is registered.

The fake AWS answers the simulator from the independent IAM simulator (iam-simulate), fed the user's
own policies and permissions boundary (knobs on the fake account) and what the program passes in, so
whether an action is allowed is never the program's own decision.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

import pytest

from cross_account_s3 import provider_contract as contract
from cross_account_s3.core import simulation
from cross_account_s3.core.grantees import Grantee
from cross_account_s3.core.live import Answer, LiveUser
from cross_account_s3.core.loaded_grants import LoadedGrants, validate_grants
from cross_account_s3.core.plan import build_plan
from cross_account_s3.core.settings import parse_settings
from cross_account_s3.core.yaml_source import parse_yaml
from cross_account_s3.infra.offline_runner import run_program
from tests.access_check import bucket_policy_of, identity_policies_of
from tests.conftest import BUILD, NONPROD, PROJECT_ROOT, RunProgram, assert_refused, fixture_world

SIMULATE = contract.SIMULATE_PRINCIPAL_POLICY
BOUNDARY_ARN = f"arn:aws:iam::{BUILD}:policy/ci-boundary"

READ_REPORTS = """
grants:
  - name: reports-read
    users: [u01]
    bucket: reports-bucket
    access: read
    prefixes: [daily/]
"""

TWO_USERS_TWO_BUCKETS = """
grants:
  - name: reports-rw
    users: [u01, u02]
    buckets: [reports-bucket, other-bucket]
    access: read-write
"""


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _simulations(result: Any) -> list[dict[str, Any]]:
    return [dict(invocation.args) for invocation in result.invocations if invocation.token == SIMULATE]


def _aws_registrations(result: Any) -> list[str]:
    return [r.name for r in result.registrations if r.type.startswith("aws:")]


def _stopped_before_any_aws_resource(result: Any, *fragments: str) -> str:
    """Preview refused with one clean problem list; only the providers (which the lookups need) exist."""
    assert result.error is not None and "Traceback" not in result.error
    assert result.error.startswith("cross-account-s3 found ") and "nothing was created or changed" in result.error
    assert _aws_registrations(result) == []
    for fragment in fragments:
        assert fragment in result.error, f"{fragment!r} not in:\n{result.error}"
    return str(result.error)


def test_a_clean_user_passes_and_the_simulator_sees_exactly_the_planned_policies(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    result = run("nonprod", config=grants_file(READ_REPORTS), world=world)
    assert result.error is None
    calls = _simulations(result)
    assert len(calls) == 2  # one for the bucket-level actions, one for the object-level ones
    for call in calls:
        assert call["policySourceArn"] == f"arn:aws:iam::{BUILD}:user/u01"
        assert call["resourceOwnerAccountId"] == NONPROD
        # What the simulator was given is what the run registered: the group policy and the bucket policy.
        assert [json.loads(text) for text in call["additionalPoliciesJsons"]] == identity_policies_of(result, "u01")
        assert json.loads(call["resourcePolicyJson"]) == bucket_policy_of(result, "reports-bucket")
    by_kind = {tuple(call["actionNames"]): call for call in calls}
    assert by_kind[("s3:ListBucket",)]["resourceArns"] == ["arn:aws:s3:::reports-bucket"]
    (object_arn,) = by_kind[("s3:GetObject",)]["resourceArns"]
    assert object_arn.startswith("arn:aws:s3:::reports-bucket/daily/")
    assert _aws_registrations(result) and result.warnings == []


def test_a_boundary_that_allows_only_another_bucket_is_a_problem_naming_the_boundary(
    run: RunProgram, grants_file
) -> None:
    world = fixture_world()
    only_other = _document(
        {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::other-bucket", "arn:aws:s3:::other-bucket/*"]}
    )
    world.account(BUILD).boundaries["u01"] = (BOUNDARY_ARN, only_other)
    result = run("nonprod", config=grants_file(READ_REPORTS), world=world)
    _stopped_before_any_aws_resource(
        result,
        "found 1 problem",
        "grant 'reports-read', field 'users[0]'",
        "the user 'u01' would still be denied on the bucket 'reports-bucket'",
        "s3:GetObject on arn:aws:s3:::reports-bucket/daily/",
        "s3:ListBucket on arn:aws:s3:::reports-bucket (implicitDeny)",
        f"the user has the permissions boundary {BOUNDARY_ARN}",
    )


def test_a_boundary_that_allows_the_bucket_passes(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(BUILD).boundaries["u01"] = (
        BOUNDARY_ARN,
        _document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )
    result = run("nonprod", config=grants_file(READ_REPORTS), world=world)
    assert result.error is None


def test_an_explicit_deny_in_another_policy_of_the_user_is_a_problem(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(BUILD).user_policies["u01"] = {
        "no-downloads": _document({"Sid": "NoGet", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"})
    }
    result = run("nonprod", config=grants_file(READ_REPORTS), world=world)
    error = _stopped_before_any_aws_resource(
        result,
        "s3:GetObject on arn:aws:s3:::reports-bucket/daily/",
        "explicitDeny; matched: a policy of the user (no-downloads)",
    )
    assert "s3:ListBucket" not in error  # listing is still allowed, so it is not reported
    assert "permissions boundary arn:" not in error  # the user has none


def test_the_setting_off_makes_no_simulation_calls(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(BUILD).simulator_denied = True  # would fail the run if it were asked
    config = {**grants_file(READ_REPORTS), "cross-account-s3:simulateAccess": "false"}
    result = run("nonprod", config=config, world=world)
    assert result.error is None
    assert _simulations(result) == [] and world.simulations == 0
    assert _aws_registrations(result)


def test_a_simulator_the_deployer_may_not_call_is_one_clean_problem(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    world.account(BUILD).simulator_denied = True
    result = run("nonprod", config=grants_file(TWO_USERS_TWO_BUCKETS), world=world)
    _stopped_before_any_aws_resource(
        result,
        "found 1 problem",  # one, however many calls were denied
        "Pulumi.nonprod.yaml: the user account's profile (or role) may not call iam:SimulatePrincipalPolicy",
        f"allow iam:SimulatePrincipalPolicy on arn:aws:iam::{BUILD}:user/*",
        "'cross-account-s3:simulateAccess: false'",
    )


def test_calls_are_two_per_user_and_bucket(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    result = run("nonprod", config=grants_file(TWO_USERS_TWO_BUCKETS), world=world)
    assert result.error is None
    calls = _simulations(result)
    assert len(calls) == 2 * 2 * 2
    pairs = {
        (call["policySourceArn"].rsplit("/", 1)[-1], call["resourceArns"][0].split(":::")[1].split("/")[0])
        for call in calls
    }
    assert pairs == {(u, b) for u in ("u01", "u02") for b in ("reports-bucket", "other-bucket")}


def test_grants_with_different_prefixes_on_one_bucket_are_each_proven_on_their_own_prefixes(
    run: RunProgram, grants_file
) -> None:
    """Reads under daily/ and writes under uploads/: asking about writes under daily/ would be a false alarm."""
    text = """
    grants:
      - name: reports-read
        users: [u01]
        bucket: reports-bucket
        access: read
        prefixes: [daily/]
      - name: reports-upload
        users: [u01]
        bucket: reports-bucket
        access: write
        prefixes: [uploads/]
    """
    world = fixture_world()
    result = run("nonprod", config=grants_file(text), world=world)
    assert result.error is None
    objects = {
        tuple(call["actionNames"]): call["resourceArns"]
        for call in _simulations(result)
        if call["resourceArns"][0].count("/")
    }
    assert [arn.split(":::")[1].split("/")[1] for arn in objects[("s3:GetObject",)]] == ["daily"]
    assert [arn.split(":::")[1].split("/")[1] for arn in objects[("s3:AbortMultipartUpload", "s3:PutObject")]] == [
        "uploads"
    ]


# The core alone: matching answers, and roles.


@pytest.fixture
def loaded_reports() -> LoadedGrants:
    return validate_grants(parse_yaml(READ_REPORTS, "grants.yaml"), BUILD)


def _settings() -> Any:
    raw = {
        "bucketAccount": json.dumps({"accountId": NONPROD, "region": "us-east-1"}),
        "userAccount": json.dumps({"accountId": BUILD, "region": "us-east-1"}),
    }
    return parse_settings(raw, "nonprod", None)


def test_results_are_matched_by_action_name_in_any_order_and_a_missing_result_is_never_allowed() -> None:
    actions = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject")
    results = [
        contract.simulation_result("s3:PutObject", "allowed"),
        contract.simulation_result("s3:GetObject", "explicitDeny", (("user", "no-downloads"),)),
    ]
    random.Random(7).shuffle(results)
    payload = contract.simulation_payload({"actionNames": list(actions)}, results)
    verdicts = {verdict.action: verdict for verdict in simulation.action_results(actions, payload)}
    assert verdicts["s3:PutObject"].allowed
    assert verdicts["s3:GetObject"].decision == "explicitDeny"
    assert verdicts["s3:GetObject"].sources == (("user", "no-downloads"),)
    assert not verdicts["s3:AbortMultipartUpload"].allowed  # the simulator said nothing about it
    empty = contract.simulation_payload({"actionNames": ["s3:GetObject"]}, [])
    assert empty["allAllowed"] is False
    assert not simulation.action_results(["s3:GetObject"], empty)[0].allowed


def test_a_role_only_grant_is_not_simulated_against_the_bucket_policy_and_preview_says_so(
    run: RunProgram, grants_file
) -> None:
    world = fixture_world()
    world.account(BUILD).roles["deployer"] = "/ci/"
    text = """
    grants:
      - name: role-reads
        roles: [deployer]
        bucket: reports-bucket
        access: read
    """
    result = run("nonprod", config=grants_file(text), world=world)
    assert result.error is None
    calls = _simulations(result)
    assert len(calls) == 2
    for call in calls:
        assert call["policySourceArn"] == f"arn:aws:iam::{BUILD}:role/ci/deployer"
        assert "resourcePolicyJson" not in call and "resourceOwnerAccountId" not in call
    assert result.warnings == [
        "deployer on reports-bucket: the role 'deployer' was simulated on its identity side only (AWS's simulator "
        "cannot evaluate a bucket policy for a role), so its access is not proven"
    ]


def test_a_role_is_never_simulated_with_the_bucket_policy_and_never_reported_as_proven(loaded_reports) -> None:
    """AWS simulates resource policies for IAM users only: a role's identity side alone, with a note saying so."""
    settings = _settings()
    plan = build_plan(loaded_reports, settings)
    role = Grantee(kind="role", name="ci-runner", path="/", arn=f"arn:aws:iam::{BUILD}:role/ci-runner")
    plan = replace(plan, grants=tuple(replace(grant_plan, grantees=(role,)) for grant_plan in plan.grants))
    calls = simulation.plan_simulations(plan, settings)
    assert calls and all(call.resource_policy is None and call.resource_owner is None for call in calls)
    allowed = [
        Answer(
            payload=contract.simulation_payload({}, [contract.simulation_result(a, "allowed") for a in call.actions])
        )
        for call in calls
    ]
    proof = simulation.judge(settings, calls, allowed, {})
    assert proof.problems == () and proof.proven == ()
    assert proof.notes == (
        "ci-runner on reports-bucket: the role 'ci-runner' was simulated on its identity side only (AWS's simulator "
        "cannot evaluate a bucket policy for a role), so its access is not proven",
    )


def test_an_undecidable_answer_is_a_note_not_proof(loaded_reports) -> None:
    """implicitDeny with missing context keys: a policy of the user's reads request details nobody gave it."""
    settings = _settings()
    calls = simulation.plan_simulations(build_plan(loaded_reports, settings), settings)
    answers = [
        Answer(
            payload=contract.simulation_payload(
                {}, [contract.simulation_result(a, "implicitDeny", (), ("aws:SourceVpce",)) for a in call.actions]
            )
        )
        for call in calls
    ]
    user = LiveUser("u01", f"arn:aws:iam::{BUILD}:user/u01", "AIDAEXAMPLE")
    proof = simulation.judge(settings, calls, answers, {"u01": user})
    assert proof.problems == () and proof.proven == ()
    assert any("could not decide" in note and "aws:SourceVpce" in note for note in proof.notes)


def test_plan_cannot_simulate_and_says_that_preview_does() -> None:
    from click.testing import CliRunner

    from cross_account_s3.cli import main

    text = CliRunner().invoke(main, ["plan"])
    assert text.exit_code == 0, text.output
    assert "AWS's policy simulator" in text.stdout and "runs in `pulumi preview`" in text.stdout
    as_json = CliRunner().invoke(main, ["plan", "--format", "json"])
    assert "runs in `pulumi preview`" in json.loads(as_json.stdout)["simulation"]


def test_a_setting_that_is_not_true_or_false_is_a_clean_problem(run: RunProgram) -> None:
    result = run("nonprod", config={"cross-account-s3:simulateAccess": "sometimes"})
    assert_refused(result, "field 'cross-account-s3:simulateAccess': must be true or false")


def test_plan_refuses_a_bad_setting_as_preview_does_though_it_never_simulates() -> None:
    """plan turns the simulator off, since it cannot reach AWS; it must not turn a typo into a valid 'false'."""
    result = run_program(PROJECT_ROOT, "nonprod", config={"cross-account-s3:simulateAccess": "flase"})
    assert_refused(result, "field 'cross-account-s3:simulateAccess': must be true or false, but is 'flase'")


def test_what_the_program_sends_and_the_fake_answers_are_the_contract_s_keys(run: RunProgram, grants_file) -> None:
    world = fixture_world()
    result = run("nonprod", config=grants_file(READ_REPORTS), world=world)
    row = contract.payload_row(SIMULATE)
    for call in _simulations(result):
        assert set(call) <= set(row.arguments)
        assert all(set(entry) == set(contract.CONTEXT_ENTRY_KEYS) for entry in call["contexts"])
        payload = world.answer(SIMULATE, call, BUILD)
        assert set(payload) <= set(row.keys)
        for entry in payload["results"]:
            assert set(entry) <= set(contract.SIMULATION_RESULT_KEYS)
            assert entry["decision"] in contract.DECISIONS
            for statement in entry["matchedStatements"]:
                assert set(statement) == set(contract.MATCHED_STATEMENT_KEYS)
                assert statement["sourcePolicyType"] in contract.SOURCE_POLICY_TYPES


def test_an_answer_the_program_does_not_know_is_a_problem_quoting_the_provider(loaded_reports) -> None:
    """NoSuchEntity is not wrapped as "couldn't find resource": it is reported as it is, never read as allowed."""
    settings = _settings()
    calls = simulation.plan_simulations(build_plan(loaded_reports, settings), settings)
    text = contract.error_row(SIMULATE, contract.NO_SUCH_USER).text("u01")
    proof = simulation.judge(settings, calls, [Answer(error=text)] * len(calls), {})
    assert proof.proven == ()
    assert len(proof.problems) == 1  # both calls for u01 failed alike: one problem
    assert all("assumes nothing" in p.message for p in proof.problems)
    assert all("api error NoSuchEntity: The user with name u01 cannot be found." in p.message for p in proof.problems)
