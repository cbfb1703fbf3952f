"""The lookups decide from what pulumi-aws really sends: each contract row's exact text, fed in, gives its outcome.

The rows come from `cross_account_s3.provider_contract`, copied from upstream with citations; the
lookup code never reads that table. So a lookup that keyed on a text the provider does not send
(an AWS error code such as NoSuchBucket, or a 404) fails here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from cross_account_s3 import provider_contract as contract
from cross_account_s3.core.live import (
    Answer,
    Failure,
    LiveKey,
    LiveUser,
    LookupFailure,
    bucket_from_answers,
    failure_kind,
    key_from_answer,
    needs_bucket_check,
    user_from_answer,
)
from tests.conftest import BUILD, NONPROD, RunProgram, fixture_world
from tests.fake_aws import FakeWorld

PACKAGE = Path(__file__).resolve().parent.parent / "cross_account_s3"
EXPECTED = {
    (contract.GET_USER, contract.NOT_FOUND): Failure.NOT_FOUND,
    (contract.GET_USER, contract.ACCESS_DENIED): Failure.DENIED,
    (contract.GET_BUCKET_POLICY, contract.NOT_FOUND): Failure.NOT_FOUND,
    (contract.GET_BUCKET_POLICY, contract.ACCESS_DENIED): Failure.DENIED,
    (contract.GET_BUCKET_POLICY, contract.REDIRECT): Failure.OTHER_REGION,
    (contract.GET_BUCKET_POLICY, contract.WRONG_REGION_SIGNATURE): Failure.OTHER_REGION,
    (contract.GET_BUCKET_POLICY, contract.THROTTLED): Failure.UNCLASSIFIED,  # quoted, never guessed at
    (contract.GET_BUCKET, contract.NOT_FOUND): Failure.NOT_FOUND,
    (contract.GET_BUCKET, contract.EMPTY_RESULT): Failure.EMPTY_RESULT,
    (contract.GET_ROLE, contract.NOT_FOUND): Failure.NOT_FOUND,
    (contract.GET_ROLE, contract.ACCESS_DENIED): Failure.DENIED,
    # getRolePolicies' text is unconfirmed, so the program never classifies it (tests/test_roles.py);
    # these only record what the generic reader would make of the rows.
    (contract.GET_ROLE_POLICIES, contract.NOT_FOUND): Failure.UNCLASSIFIED,
    (contract.GET_ROLE_POLICIES, contract.ACCESS_DENIED): Failure.DENIED,
    (contract.GET_KEY, contract.NOT_FOUND): Failure.NOT_FOUND,
    (contract.GET_KEY, contract.ACCESS_DENIED): Failure.DENIED,
    (contract.SIMULATE_PRINCIPAL_POLICY, contract.SIMULATOR_DENIED): Failure.DENIED,
    # Not wrapped in NotFoundError, so no "couldn't find resource": the program must not read it as "not found".
    (contract.SIMULATE_PRINCIPAL_POLICY, contract.NO_SUCH_USER): Failure.UNCLASSIFIED,
}
ROW_IDS = [f"{row.token.split(':')[-1]}-{row.case}" for row in contract.ERRORS]


def test_every_contract_row_has_an_expected_outcome_and_a_source() -> None:
    assert {(row.token, row.case) for row in contract.ERRORS} == set(EXPECTED)
    for row in [*contract.ERRORS, *contract.PAYLOADS]:
        assert row.sources and all(source.repository and source.path and source.version for source in row.sources)


@pytest.mark.parametrize("row", contract.ERRORS, ids=ROW_IDS)
def test_each_exact_error_text_is_classified_as_the_contract_says(row: contract.ErrorRow) -> None:
    text = row.text("my-bucket.example")
    assert text.startswith(f"invoke of {row.token} failed: invocation of {row.token} returned an error: ")
    if not row.plugin_framework:  # SDKv2: the bridge's go-multierror list
        assert text.endswith("\n\n") and "\n\t* " in text
    assert failure_kind(text) is EXPECTED[(row.token, row.case)]


def _fail(token: str, case: str, name: str) -> Answer:
    return Answer(error=contract.error_row(token, case).text(name))


def test_get_user_outcomes() -> None:
    payload = contract.user_payload(BUILD, "Test.User", "/ci/", "AIDAEXAMPLE")
    assert set(payload) <= set(contract.payload_row(contract.GET_USER).keys)
    assert user_from_answer("test.user", Answer(payload=payload)) == LiveUser(
        "Test.User", f"arn:aws:iam::{BUILD}:user/ci/Test.User", "AIDAEXAMPLE"
    )
    assert user_from_answer("ghost", _fail(contract.GET_USER, contract.NOT_FOUND, "ghost")) is None
    denied = user_from_answer("ghost", _fail(contract.GET_USER, contract.ACCESS_DENIED, "ghost"))
    assert isinstance(denied, LookupFailure)
    assert (denied.failure, denied.permission) == (Failure.DENIED, "iam:GetUser")
    assert "is not authorized to perform: iam:GetUser" in denied.text


KEY_ARN = f"arn:aws:kms:us-east-1:{NONPROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS_ARN = f"arn:aws:kms:us-east-1:{NONPROD}:alias/shared-data"


def test_get_key_outcomes() -> None:
    """getKey: the key (an alias answers with its key's ARN), None for no such key or alias, or why not."""
    payload = contract.key_payload(ALIAS_ARN, KEY_ARN, "us-east-1", key_state="PendingDeletion")
    assert set(payload) <= set(contract.payload_row(contract.GET_KEY).keys)
    assert key_from_answer(Answer(payload=payload)) == LiveKey(KEY_ARN, "CUSTOMER", "PendingDeletion")
    assert key_from_answer(_fail(contract.GET_KEY, contract.NOT_FOUND, ALIAS_ARN)) is None
    denied = key_from_answer(_fail(contract.GET_KEY, contract.ACCESS_DENIED, KEY_ARN))
    assert isinstance(denied, LookupFailure)
    assert (denied.failure, denied.permission) == (Failure.DENIED, "kms:DescribeKey")
    assert "is not authorized to perform: kms:DescribeKey" in denied.text


def test_a_bucket_with_a_policy_needs_no_second_call() -> None:
    policy = {"Version": "2012-10-17", "Statement": []}
    payload = contract.bucket_policy_payload("b", json.dumps(policy), "us-east-1")
    assert set(payload) <= set(contract.payload_row(contract.GET_BUCKET_POLICY).keys)
    answer = Answer(payload=payload)
    assert not needs_bucket_check(answer)
    found = bucket_from_answers("b", answer, None)
    assert found.exists and found.policy == policy and found.failure is None


def test_no_policy_and_no_bucket_are_told_apart_by_get_bucket() -> None:
    """getBucketPolicy says the same for both, byte for byte; getBucket (HeadBucket) decides."""
    not_found = _fail(contract.GET_BUCKET_POLICY, contract.NOT_FOUND, "b")
    assert needs_bucket_check(not_found)
    head = contract.bucket_payload("b", "us-east-1", "us-east-1")
    assert set(head) <= set(contract.payload_row(contract.GET_BUCKET).keys)
    no_policy = bucket_from_answers("b", not_found, Answer(payload=head))
    assert no_policy.exists and no_policy.policy is None and no_policy.failure is None
    missing = bucket_from_answers("b", not_found, _fail(contract.GET_BUCKET, contract.NOT_FOUND, "b"))
    assert not missing.exists and missing.failure is None
    unreadable = bucket_from_answers("b", not_found, _fail(contract.GET_BUCKET, contract.EMPTY_RESULT, "b"))
    assert unreadable.failure is not None
    assert (unreadable.failure.failure, unreadable.failure.permission) == (Failure.EMPTY_RESULT, "s3:ListBucket")


@pytest.mark.parametrize(
    ("case", "outcome", "permission"),
    [
        (contract.ACCESS_DENIED, Failure.DENIED, "s3:GetBucketPolicy"),
        (contract.REDIRECT, Failure.OTHER_REGION, "s3:GetBucketPolicy"),
        (contract.WRONG_REGION_SIGNATURE, Failure.OTHER_REGION, "s3:GetBucketPolicy"),
    ],
)
def test_get_bucket_policy_failures_need_no_second_call(case: str, outcome: Failure, permission: str) -> None:
    answer = _fail(contract.GET_BUCKET_POLICY, case, "b")
    assert not needs_bucket_check(answer)
    found = bucket_from_answers("b", answer, None)
    assert found.failure is not None and (found.failure.failure, found.failure.permission) == (outcome, permission)


# AWS error codes and statuses that upstream hides behind "couldn't find resource": the provider never
# passes them on, so a text that only carries them is not a "not found".
HIDDEN_CODES = ("NoSuchBucket", "NoSuchBucketPolicy", "NoSuchEntity", "StatusCode: 404", "404", "Not Found")


@pytest.mark.parametrize("code", HIDDEN_CODES)
@pytest.mark.parametrize(
    "token", [contract.GET_USER, contract.GET_BUCKET_POLICY, contract.GET_BUCKET, contract.GET_KEY]
)
def test_an_aws_code_the_provider_does_not_pass_on_decides_nothing(token: str, code: str) -> None:
    text = contract.invoke_failure(token, f"reading thing (b): operation error: {code}: something unexpected")
    assert failure_kind(text) is Failure.UNCLASSIFIED
    answer = Answer(error=text)
    if token == contract.GET_USER:
        assert isinstance(user_from_answer("u", answer), LookupFailure)
    elif token == contract.GET_KEY:
        assert isinstance(key_from_answer(answer), LookupFailure)
    else:
        state = bucket_from_answers("b", answer, answer if token == contract.GET_BUCKET else None)
        assert state.exists and state.failure is not None and state.failure.failure is Failure.UNCLASSIFIED
        assert state.policy is None


def test_the_lookup_code_and_the_contract_table_do_not_import_each_other() -> None:
    def imports(path: Path) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                found.add(("." * node.level) + (node.module or ""))
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        return found

    lookup_modules = ("infra/lookups.py", "core/live.py", "core/simulation.py")
    for lookup_module in (PACKAGE / path for path in lookup_modules):
        assert not any("provider_contract" in name for name in imports(lookup_module)), lookup_module
    table_imports = imports(PACKAGE / "provider_contract.py")
    assert not any("cross_account_s3" in name or name.startswith(".") for name in table_imports), table_imports


# End to end: the real program, under the fake AWS built from the table.
NO_POLICY_GRANTS = """
grants:
  - name: reads-shared
    users: [test.user]
    bucket: my-shared-bucket-20932
    access: read
"""


def _world() -> FakeWorld:
    return fixture_world()


def test_a_bucket_without_a_policy_previews_end_to_end(run: RunProgram, grants_file) -> None:
    result = run("nonprod", world=_world(), config=grants_file(NO_POLICY_GRANTS))
    assert result.error is None, result.error
    tokens = [(i.token, i.args.get("bucket")) for i in result.invocations if i.token.startswith("aws:s3")]
    assert tokens == [
        (contract.GET_BUCKET_POLICY, "my-shared-bucket-20932"),
        (contract.GET_BUCKET, "my-shared-bucket-20932"),
    ]
    assert [r.name for r in result.of_type("aws:s3/bucketPolicy:BucketPolicy")] == [
        "bucket-policy-my-shared-bucket-20932"
    ]


EU_GRANTS = (
    NO_POLICY_GRANTS
    + """
bucketSettings:
  my-shared-bucket-20932:
    region: eu-west-1
"""
)


def test_a_bucket_in_eu_west_1_is_read_and_written_in_its_region(run: RunProgram, grants_file) -> None:
    world = _world()
    world.account(NONPROD).bucket_regions["my-shared-bucket-20932"] = "eu-west-1"
    result = run("nonprod", world=world, config=grants_file(EU_GRANTS))
    assert result.error is None, result.error
    s3_calls = [i for i in result.invocations if i.token.startswith("aws:s3")]
    assert {i.token for i in s3_calls} == {contract.GET_BUCKET_POLICY, contract.GET_BUCKET}
    assert all(i.args.get("region") == "eu-west-1" and i.account == NONPROD for i in s3_calls)
    assert result.by_name("bucket-policy-my-shared-bucket-20932").inputs["region"] == "eu-west-1"
    assert len({r.provider for r in result.registrations if r.type.startswith("aws:s3")}) == 1


@pytest.mark.parametrize("signed_for_wrong_region", [False, True])
def test_a_bucket_in_another_region_without_settings_names_the_yaml_to_add(
    run: RunProgram, grants_file, signed_for_wrong_region: bool
) -> None:
    world = _world()
    world.account(NONPROD).bucket_regions["my-shared-bucket-20932"] = "eu-west-1"
    world.account(NONPROD).signed_for_wrong_region = signed_for_wrong_region
    result = run("nonprod", world=world, config=grants_file(NO_POLICY_GRANTS))
    assert result.error is not None
    assert (
        f"the bucket 'my-shared-bucket-20932' could not be read from the bucket account {NONPROD} in us-east-1: "
        "it may be in another region, or unreadable" in result.error
    )
    assert "bucketSettings:\n        my-shared-bucket-20932:\n          region:" in result.error
    if signed_for_wrong_region:
        assert "region: eu-west-1" in result.error  # S3 said which region it expects
    assert [r for r in result.registrations if r.type.startswith("aws:")] == []


def test_head_bucket_empty_result_says_region_or_list_bucket(run: RunProgram, grants_file) -> None:
    world = _world()
    world.account(NONPROD).list_denied.add("my-shared-bucket-20932")
    result = run("nonprod", world=world, config=grants_file(NO_POLICY_GRANTS))
    assert result.error is not None
    assert "may be in another region, or unreadable" in result.error and "s3:ListBucket" in result.error
    assert "empty result" in result.error


@pytest.mark.parametrize(
    ("account", "name", "permission"),
    [(BUILD, "test.user", "iam:GetUser"), (NONPROD, "my-shared-bucket-20932", "s3:GetBucketPolicy")],
)
def test_access_denied_names_the_missing_permission(
    run: RunProgram, grants_file, account: str, name: str, permission: str
) -> None:
    world = _world()
    world.account(account).denied.add(name)
    result = run("nonprod", world=world, config=grants_file(NO_POLICY_GRANTS))
    assert result.error is not None
    assert f"{name!r} could not be looked up" in result.error
    assert f"is not allowed {permission}" in result.error and f"allow {permission}" in result.error
    assert [r for r in result.registrations if r.type.startswith("aws:")] == []


def test_an_unclassifiable_error_registers_nothing_and_quotes_the_provider(run: RunProgram, grants_file) -> None:
    row = contract.error_row(contract.GET_BUCKET_POLICY, contract.THROTTLED)
    world = _world()
    world.account(NONPROD).raw_failures["my-shared-bucket-20932"] = row.text("my-shared-bucket-20932")
    strange = row.message.format(
        name="my-shared-bucket-20932", request_id=contract.EXAMPLE_REQUEST_ID, host_id=contract.EXAMPLE_HOST_ID
    )
    result = run("nonprod", world=world, config=grants_file(NO_POLICY_GRANTS))
    assert result.error is not None
    assert strange in result.error
    assert "assumes nothing" in result.error
    assert [r for r in result.registrations if r.type.startswith("aws:")] == []


def test_a_missing_bucket_is_missing_not_unpolicied(run: RunProgram, grants_file) -> None:
    world = _world()
    del world.account(NONPROD).buckets["my-shared-bucket-20932"]
    result = run("nonprod", world=world, config=grants_file(NO_POLICY_GRANTS))
    assert result.error is not None
    assert f"the bucket 'my-shared-bucket-20932' does not exist in the bucket account {NONPROD}" in result.error


def test_a_bucket_kept_only_for_its_statements_is_never_rewritten_on_an_unreadable_policy(
    run: RunProgram, grants_file
) -> None:
    """Its policy would become just the kept statements: an unread live policy stops preview, never assumed empty."""
    kept = """
extraStatements:
  reports-bucket:
    - Sid: DenyInsecureTransport
      Effect: Deny
      Principal: "*"
      Action: "s3:*"
      Resource: ["arn:aws:s3:::reports-bucket", "arn:aws:s3:::reports-bucket/*"]
      Condition: {Bool: {"aws:SecureTransport": "false"}}
"""
    world = _world()
    world.account(NONPROD).denied.add("reports-bucket")
    result = run("nonprod", world=world, config=grants_file(NO_POLICY_GRANTS + kept))
    assert result.error is not None
    assert "field 'extraStatements.reports-bucket'" in result.error
    assert "is not allowed s3:GetBucketPolicy" in result.error
    assert [r for r in result.registrations if r.type.startswith("aws:")] == []
