"""The policy pack in policy/: each rule on arguments that pass and that fail, on a real mock run of the
program, on edited programs that break a promise, and the pack itself served over the analyzer protocol.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from cross_account_s3.core import s3_actions
from cross_account_s3.infra.offline_runner import ProgramRun, Registration, run_program
from tests.conftest import BUILD, NONPROD, PROJECT_ROOT, REPO_ROOT, THIRD, fixture_world
from tests.fake_aws import FakeKey

POLICY_DIR = REPO_ROOT / "policy"
sys.path.insert(0, str(POLICY_DIR))  # the pack imports its modules as top-level names, as its own venv does

import guardrail_policies  # noqa: E402
import guardrail_rules as rules  # noqa: E402

USER = f"arn:aws:iam::{BUILD}:user/test.user"  # nonprod stack: users live in the build account


def document(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body["Version"] = version
    return json.dumps(body)


def allow(action: Any = "s3:GetObject", principal: Any = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": "Test", "Effect": "Allow", "Action": action, "Resource": "arn:aws:s3:::b/*"}
    if principal is not None:
        statement["Principal"] = principal
    statement.update(extra)
    return statement


# --- Rule: policy documents say Version 2012-10-17 ---------------------------------------------------


@pytest.mark.parametrize("resource_type", [rules.BUCKET_POLICY, rules.GROUP_POLICY, "aws:iam/policy:Policy"])
def test_version_2012_10_17_passes(resource_type: str) -> None:
    assert rules.version_violations(resource_type, {"policy": document(allow())}) == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (document(allow(), version="2012-02-02"), "'2012-02-02'"),
        (document(allow(), version="2008-10-17"), "'2008-10-17'"),
        (document(allow(), version=None), "missing"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not an object"),
    ],
)
@pytest.mark.parametrize("resource_type", [rules.BUCKET_POLICY, rules.GROUP_POLICY])
def test_any_other_version_or_an_unreadable_document_fails(resource_type: str, policy: str, expected: str) -> None:
    (message,) = rules.version_violations(resource_type, {"policy": policy})
    assert expected in message


def test_a_role_trust_policy_is_checked_too_and_other_types_are_not() -> None:
    assert rules.version_violations("aws:iam/role:Role", {"assumeRolePolicy": document(allow(), version="x")})
    assert rules.version_violations("aws:iam/group:Group", {"policy": "whatever"}) == []


# --- Rule: only s3: data actions ---------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", [rules.BUCKET_POLICY, rules.GROUP_POLICY])
@pytest.mark.parametrize(
    "action",
    ["s3:GetObject", ["s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"], "s3:Get*"],
)
def test_s3_data_actions_pass(resource_type: str, action: Any) -> None:
    assert rules.action_violations(resource_type, {"policy": document(allow(action))}) == []


@pytest.mark.parametrize("resource_type", [rules.BUCKET_POLICY, rules.GROUP_POLICY, "aws:iam/userPolicy:UserPolicy"])
@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("*", "not an s3: action"),
        ("iam:PassRole", "not an s3: action"),
        ("s3:*", "every S3 action"),
        ("S3:*", "every S3 action"),
        ("s3:??*", "every S3 action"),
        ("s3:PutBucketPolicy", "administration"),
        ("s3:deletebucketpolicy", "administration"),
        ("s3:PutBucketAcl", "administration"),
        ("s3:DeleteBucket", "administration"),
        ("s3:Put*", "administration"),
        ("s3:Delete*", "administration"),
        ("s3:*Policy", "administration"),
        (["s3:GetObject", "s3:PutObjectAcl"], "administration"),
        (42, "not text"),
    ],
)
def test_other_services_s3_star_and_administration_fail(resource_type: str, action: Any, expected: str) -> None:
    (message,) = rules.action_violations(resource_type, {"policy": document(allow(action))})
    assert expected in message


def test_not_action_fails_and_a_deny_may_name_anything() -> None:
    not_action = allow()
    del not_action["Action"]
    not_action["NotAction"] = "s3:DeleteBucket"
    assert "NotAction" in rules.action_violations(rules.GROUP_POLICY, {"policy": document(not_action)})[0]
    deny = {**allow("*"), "Effect": "Deny"}
    assert rules.action_violations(rules.BUCKET_POLICY, {"policy": document(deny)}) == []


def test_the_pack_refuses_only_what_the_program_refuses_too() -> None:
    """The two lines of defence agree: every action the pack calls administration, the program refuses."""
    for action in rules.ADMIN_ACTIONS:
        expansion = s3_actions.expand(action)
        assert expansion.administrative and not expansion.grantable, action


# --- Rule: an explicit provider ----------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", ["aws:iam/group:Group", rules.BUCKET_POLICY, "aws:s3/bucket:Bucket"])
def test_an_explicit_provider_passes(resource_type: str) -> None:
    assert rules.provider_violations(resource_type, "user-account") == []


@pytest.mark.parametrize("provider", [None, "", "default", "default_7_51_1"])
@pytest.mark.parametrize("resource_type", ["aws:iam/groupMembership:GroupMembership", rules.BUCKET_POLICY])
def test_no_provider_or_the_default_provider_fails(resource_type: str, provider: str | None) -> None:
    (message,) = rules.provider_violations(resource_type, provider)
    assert "provider" in message


def test_other_resources_need_no_explicit_provider() -> None:
    assert rules.provider_violations("cross-account-s3:index:BucketGrant", None) == []
    assert rules.provider_violations("pulumi:providers:aws", None) == []


# --- Rule: bucket policy principals ------------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": USER},
        {"AWS": [USER, f"arn:aws:iam::{BUILD}:user/perf/perf-lab"]},
        USER,
        {"AWS": [USER, f"arn:aws:iam::{BUILD}:role/ci/deployer"]},
    ],
)
def test_users_of_the_user_account_pass(principal: Any) -> None:
    assert rules.principal_violations({"policy": document(allow(principal=principal))}, BUILD) == []


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", "everyone"),
        ({"AWS": "*"}, "everyone"),
        ({"AWS": [USER, "*"]}, "everyone"),
        ({"AWS": f"arn:aws:iam::{BUILD}:root"}, "account root"),
        ({"AWS": BUILD}, "account root"),
        ({"AWS": f"arn:aws:iam::{THIRD}:root"}, "account root"),
        ({"AWS": f"arn:aws:iam::{THIRD}:user/test.user"}, f"a user of account {THIRD}"),
        ({"AWS": f"arn:aws:iam::{NONPROD}:user/test.user"}, f"a user of account {NONPROD}"),
        ({"AWS": f"arn:aws:iam::{THIRD}:role/ci"}, f"a role of account {THIRD}"),
        ({"AWS": f"arn:aws:iam::{BUILD}:assumed-role/ci/session"}, "not an IAM user or role"),
        ({"AWS": "AIDAEXAMPLEUNIQUEID"}, "not an IAM user"),
        ({"Service": "logging.s3.amazonaws.com"}, "Service principal"),
        ({"CanonicalUser": "abc123"}, "CanonicalUser principal"),
    ],
)
def test_everyone_roots_and_other_accounts_fail(principal: Any, expected: str) -> None:
    (message,) = rules.principal_violations({"policy": document(allow(principal=principal))}, BUILD)
    assert expected in message


def test_not_principal_and_a_missing_principal_fail_while_a_deny_for_everyone_passes() -> None:
    assert (
        "NotPrincipal"
        in rules.principal_violations(
            {"policy": document(allow(principal={"AWS": USER}, NotPrincipal={"AWS": USER}))}, BUILD
        )[0]
    )
    assert "no principal" in rules.principal_violations({"policy": document(allow())}, BUILD)[0]
    tls_only = {
        "Sid": "DenyWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert rules.principal_violations({"policy": document(tls_only)}, BUILD) == []


@pytest.mark.parametrize(
    ("pack", "stack", "provider", "account", "problem"),
    [
        (None, None, [BUILD], BUILD, None),
        (BUILD, None, None, BUILD, None),
        (BUILD, BUILD, [BUILD], BUILD, None),
        (None, None, None, None, "cannot tell"),
        (NONPROD, None, [BUILD], None, "disagree"),
        (None, NONPROD, [BUILD], None, "disagree"),
        (None, None, [BUILD, NONPROD], None, "exactly one account"),
        (None, None, [], None, "exactly one account"),
        ("12345", None, [BUILD], None, "not a 12-digit"),
    ],
)
def test_the_user_account_comes_from_sources_that_must_agree(
    pack: str | None, stack: str | None, provider: list[str] | None, account: str | None, problem: str | None
) -> None:
    found, problems = rules.resolve_user_account(pack, stack, provider)
    assert found == account
    assert (problem is None and problems == []) or any(problem in p for p in problems if problem)


def test_the_stack_setting_is_read_only_when_it_holds_a_12_digit_id() -> None:
    assert rules.stack_user_account(json.dumps({"accountId": BUILD, "region": "us-east-1"})) == BUILD
    assert rules.stack_user_account({"accountId": BUILD}) == BUILD
    assert rules.stack_user_account(json.dumps({"accountId": 12345678901})) is None
    assert rules.stack_user_account("not json") is None
    assert rules.stack_user_account(None) is None


# --- The pulumi-policy wrappers, fed the resources of a real mock run ---------------------------------

NO_TIMEOUTS = PolicyCustomTimeouts(0, 0, 0)
OPTIONS = PolicyResourceOptions(False, [], None, [], NO_TIMEOUTS, [])


def _provider_urn(reference: str) -> str | None:
    """A provider reference is "<urn>::<id>"."""
    return reference.rsplit("::", 1)[0] if reference else None


def _policy_provider(run: ProgramRun, registration: Registration) -> PolicyProviderResource | None:
    urn = _provider_urn(registration.provider)
    if urn is None:
        return None
    (provider,) = [r for r in run.registrations if r.urn == urn]
    return PolicyProviderResource(provider.type, unknown_checking_proxy(dict(provider.inputs)), urn, provider.name)


def _resource(run: ProgramRun, registration: Registration) -> PolicyResource:
    return PolicyResource(
        registration.type,
        unknown_checking_proxy(json.loads(json.dumps(dict(registration.inputs)))),
        registration.urn,
        registration.name,
        OPTIONS,
        _policy_provider(run, registration),
        None,
        [],
        {},
    )


NONPROD_PACK_CONFIG = {"userAccountId": BUILD}  # the nonprod fixture stack's users live in the build account


def violations(
    run: ProgramRun, *, config: Mapping[str, Any] | None = NONPROD_PACK_CONFIG, stack_setting: str | None = None
) -> list[tuple[str, str, str]]:
    """(policy, resource name, message) for every violation the pack's policies report on a run.

    `config` is the pack config every policy receives; by default the nonprod stack's user account.
    """
    found: list[tuple[str, str, str]] = []
    resources = [_resource(run, r) for r in run.registrations]
    by_urn = {r.urn: r.name for r in resources}
    for policy in guardrail_policies.policies(lambda: stack_setting):

        def report(message: str, urn: str | None, policy_name: str = policy.name, default: str = "") -> None:
            found.append((policy_name, by_urn.get(urn or "", default), message))

        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(resources, config or {}), report)
            continue
        assert isinstance(policy, ResourceValidationPolicy)
        for resource in resources:
            args = ResourceValidationArgs(
                resource.resource_type, resource.props, resource.urn, resource.name, OPTIONS, resource.provider, config
            )
            policy.validate(args, functools.partial(_for_resource, report, resource.urn))
    return found


def _for_resource(report: Callable[[str, str | None], None], urn: str, message: str, _urn: str | None) -> None:
    """A resource policy's report always concerns the resource being validated."""
    report(message, urn)


@pytest.fixture(scope="module")
def committed_runs() -> dict[str, ProgramRun]:
    runs = {stack: run_program(PROJECT_ROOT, stack, world=fixture_world()) for stack in ("nonprod", "build")}
    for run in runs.values():
        assert run.error is None, run.error
    return runs


@pytest.mark.parametrize("stack", ["nonprod", "build"])
def test_the_stacks_pass_every_policy_with_their_own_pack_config(
    committed_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = committed_runs[stack]
    user_account = run.outputs["accounts"]["userAccount"]
    assert run.of_type(rules.BUCKET_POLICY) and run.of_type(rules.GROUP_POLICY)
    assert violations(run, config={"userAccountId": user_account}) == []
    assert violations(run, config=None, stack_setting=json.dumps({"accountId": user_account})) == []


@pytest.mark.parametrize("stack", ["nonprod", "build"])
def test_without_a_user_account_every_bucket_policy_is_blocked(
    committed_runs: dict[str, ProgramRun], stack: str
) -> None:
    """Fail closed: with no pack config and no stack setting the principals cannot be judged, so nothing is written."""
    run = committed_runs[stack]
    found = violations(run, config=None)
    assert {(policy, name) for policy, name, _ in found} == {
        ("bucket-policy-principals", r.name) for r in run.of_type(rules.BUCKET_POLICY)
    }
    assert all("policy/config/<stack>.json" in message for _, _, message in found)


def test_the_other_stacks_pack_config_blocks_this_stacks_bucket_policies(committed_runs: dict[str, ProgramRun]) -> None:
    """Each stack needs its own pack config: the nonprod stack's users are not the build stack's."""
    run = committed_runs["build"]
    found = violations(run, config=NONPROD_PACK_CONFIG)
    assert found and {policy for policy, _, _ in found} == {"bucket-policy-principals", "user-account-provider-pinned"}


def _edited(run: ProgramRun, name: str, **inputs: Any) -> ProgramRun:
    """The run with one registration's inputs changed, as an edited program would have registered it."""
    registrations = [
        Registration(r.urn, r.type, r.name, r.custom, r.parent, r.provider, {**r.inputs, **inputs})
        if r.name == name
        else r
        for r in run.registrations
    ]
    return ProgramRun(registrations, run.invocations, run.outputs, run.error, run.warnings)


def _widened(run: ProgramRun, name: str, change: Any) -> ProgramRun:
    policy = json.loads(run.by_name(name).inputs["policy"])
    change(policy)
    return _edited(run, name, policy=json.dumps(policy))


BUCKET = "bucket-policy-my-shared-bucket-20932"
GROUP = "build-reads-shared-bucket-policy"


@pytest.mark.parametrize(
    ("name", "change", "policy_name", "expected"),
    [
        (BUCKET, lambda p: p["Statement"][0].update(Principal="*"), "bucket-policy-principals", "everyone"),
        (
            BUCKET,
            lambda p: p["Statement"][0]["Principal"]["AWS"].append(f"arn:aws:iam::{BUILD}:root"),
            "bucket-policy-principals",
            "account root",
        ),
        (
            BUCKET,
            lambda p: p["Statement"][0]["Principal"].update(AWS=f"arn:aws:iam::{THIRD}:user/test.user"),
            "bucket-policy-principals",
            THIRD,
        ),
        (BUCKET, lambda p: p["Statement"][0]["Action"].append("s3:*"), "s3-data-actions-only", "every S3 action"),
        (
            BUCKET,
            lambda p: p["Statement"][0]["Action"].append("s3:PutBucketPolicy"),
            "s3-data-actions-only",
            "administration",
        ),
        (GROUP, lambda p: p["Statement"][0]["Action"].append("iam:CreateUser"), "s3-data-actions-only", "not an s3"),
        (GROUP, lambda p: p["Statement"][0].update(Action="s3:Delete*"), "s3-data-actions-only", "administration"),
        (GROUP, lambda p: p.update(Version="2012-02-02"), "policy-version-2012-10-17", "2012-02-02"),
        (BUCKET, lambda p: p.pop("Version"), "policy-version-2012-10-17", "missing"),
    ],
)
def test_each_policy_blocks_an_edit_of_the_real_run(
    committed_runs: dict[str, ProgramRun], name: str, change: Any, policy_name: str, expected: str
) -> None:
    found = violations(_widened(committed_runs["nonprod"], name, change))
    assert [(policy, resource) for policy, resource, _ in found] == [(policy_name, name)], found
    assert expected in found[0][2]


def test_the_principal_rule_uses_the_pack_config_over_a_moved_provider(committed_runs: dict[str, ProgramRun]) -> None:
    """An edit that re-points the user-account provider to another account cannot carry the principals with it."""
    run = committed_runs["nonprod"]
    moved = _edited(run, "user-account", allowedAccountIds=json.dumps([THIRD]))
    found = violations(moved)
    assert [(policy, name) for policy, name, _ in found] == [("user-account-provider-pinned", "user-account")]
    assert "disagree" in found[0][2]
    assert violations(moved, config=None, stack_setting=json.dumps({"accountId": BUILD}))
    renamed = [dataclasses.replace(r, name="users") if r.name == "user-account" else r for r in run.registrations]
    without_provider = ProgramRun(renamed, [], run.outputs, None, [])
    assert any("cannot tell" in m for _, _, m in violations(without_provider, config=None))
    assert violations(without_provider) == []


def test_the_principal_rule_judges_each_bucket_policy_alone_before_it_is_written() -> None:
    """A resource validation: it sees only the bucket policy being written, and still blocks or passes it."""
    (policy,) = [p for p in guardrail_policies.policies(lambda: None) if p.name == "bucket-policy-principals"]
    assert isinstance(policy, ResourceValidationPolicy)

    def check(principal: Any) -> list[str]:
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CrossAccountS3X",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ],
        }
        args = ResourceValidationArgs(
            rules.BUCKET_POLICY,
            {"bucket": "b", "policy": json.dumps(document)},
            "urn:b",
            "b",
            OPTIONS,
            None,
            NONPROD_PACK_CONFIG,
        )
        found: list[str] = []
        policy.validate(args, lambda message, urn: found.append(message))
        return found

    assert check({"AWS": f"arn:aws:iam::{BUILD}:user/u01"}) == []
    assert check({"AWS": f"arn:aws:iam::{THIRD}:user/u01"})
    assert check("*")


PROGRAM_HEAD = (
    (PROJECT_ROOT / "__main__.py")
    .read_text(encoding="utf-8")
    .replace("PROJECT_ROOT = Path(__file__).resolve().parent", f"PROJECT_ROOT = Path({str(PROJECT_ROOT)!r})")
)


def _run_edited_program(tmp_path: Path, extra: str) -> ProgramRun:
    program = tmp_path / "__main__.py"
    program.write_text(PROGRAM_HEAD + "\n" + extra, encoding="utf-8")
    run = run_program(PROJECT_ROOT, "nonprod", world=fixture_world(), program=program)
    assert run.error is None, run.error
    return run


def test_a_program_edit_that_forgets_the_provider_is_blocked(tmp_path: Path) -> None:
    run = _run_edited_program(
        tmp_path,
        "import pulumi_aws as aws\n"
        "aws.iam.Group('forgot-provider', name='forgot-provider')\n"
        "aws.s3.BucketPolicy('forgot-too', bucket='my-shared-bucket-20932', policy=plan.buckets[0].policy and "
        "__import__('json').dumps(plan.buckets[0].policy))\n",
    )
    found = {(policy, resource) for policy, resource, _ in violations(run)}
    assert found == {("explicit-provider", "forgot-provider"), ("explicit-provider", "forgot-too")}


def test_a_program_edit_that_opens_a_bucket_to_everyone_is_blocked(tmp_path: Path) -> None:
    run = _run_edited_program(
        tmp_path,
        "import json\nimport pulumi_aws as aws\nimport pulumi\n"
        "aws.s3.BucketPolicy('wide-open', bucket='other-bucket', policy=json.dumps({'Version': '2012-10-17', "
        "'Statement': [{'Effect': 'Allow', 'Principal': '*', 'Action': 's3:*', 'Resource': '*'}]}), "
        "opts=pulumi.ResourceOptions(provider=providers.bucket_account))\n",
    )
    found = {(policy, resource) for policy, resource, _ in violations(run)}
    assert found == {("bucket-policy-principals", "wide-open"), ("s3-data-actions-only", "wide-open")}


# --- The pack as the engine sees it -------------------------------------------------------------------


def test_the_pack_files_say_how_it_runs() -> None:
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    pins = (POLICY_DIR / "requirements.txt").read_text(encoding="utf-8").split()
    assert "pulumi-policy==1.21.0" in pins and "pulumi==3.272.0" in pins
    assert "cross_account_s3" not in "".join(p.read_text(encoding="utf-8") for p in POLICY_DIR.glob("*.py"))


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(value))
    return struct


@pytest.fixture(scope="module")
def served_pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack started as the CLI starts it: its own directory, without the program's package on the path."""
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PULUMI_CONFIG"}}
    process = subprocess.Popen(
        [sys.executable, "-u", "__main__.py"], cwd=POLICY_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().decode().strip()
        assert port.isdigit(), process.stderr.read().decode() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait()


def test_the_served_pack_lists_every_policy_as_mandatory(served_pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = served_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == guardrail_policies.PACK_NAME
    assert {p.name: p.enforcementLevel for p in info.policies} == {
        "bucket-policy-principals": analyzer_pb2.MANDATORY,
        "user-account-provider-pinned": analyzer_pb2.MANDATORY,
        "s3-data-actions-only": analyzer_pb2.MANDATORY,
        "explicit-provider": analyzer_pb2.MANDATORY,
        "policy-version-2012-10-17": analyzer_pb2.MANDATORY,
        "kms-grants-for-s3-only": analyzer_pb2.MANDATORY,
    }


def _analyzer_resource(run: ProgramRun, registration: Registration) -> analyzer_pb2.AnalyzerResource:
    provider = _policy_provider(run, registration)
    resource = analyzer_pb2.AnalyzerResource(
        type=registration.type,
        properties=_struct(json.loads(json.dumps(dict(registration.inputs)))),
        urn=registration.urn,
        name=registration.name,
    )
    if provider is not None:
        resource.provider.CopyFrom(
            analyzer_pb2.AnalyzerProviderResource(
                type=provider.resource_type,
                properties=_struct(dict(provider.props)),
                urn=provider.urn,
                name=provider.name,
            )
        )
    return resource


def _analyze(pack: analyzer_pb2_grpc.AnalyzerStub, resource: analyzer_pb2.AnalyzerResource) -> list[Any]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type, properties=resource.properties, urn=resource.urn, name=resource.name
    )
    if resource.HasField("provider"):
        request.provider.CopyFrom(resource.provider)
    return list(pack.Analyze(request).diagnostics)


def test_the_served_pack_passes_the_real_run_and_blocks_an_open_bucket_before_it_is_written(
    served_pack: analyzer_pb2_grpc.AnalyzerStub, committed_runs: dict[str, ProgramRun]
) -> None:
    run = committed_runs["build"]
    account = {"userAccountId": run.outputs["accounts"]["userAccount"]}
    served_pack.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct(account))
                for name in ("bucket-policy-principals", "user-account-provider-pinned")
            }
        )
    )
    resources = [_analyzer_resource(run, r) for r in run.registrations]
    assert list(served_pack.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)).diagnostics) == []
    for resource in resources:
        assert _analyze(served_pack, resource) == [], resource.name

    name = "bucket-policy-build-cache-012345678901"
    opened = _widened(run, name, lambda p: p["Statement"][0].update(Principal="*"))
    (opened_resource,) = [_analyzer_resource(opened, r) for r in opened.registrations if r.name == name]
    # Analyze is the per-resource call the engine makes before it creates or updates that resource.
    assert [(d.policyName, d.enforcementLevel) for d in _analyze(served_pack, opened_resource)] == [
        ("bucket-policy-principals", analyzer_pb2.MANDATORY)
    ]
    forgot = analyzer_pb2.AnalyzeRequest(
        type="aws:iam/group:Group", properties=_struct({"name": "x"}), urn="urn:x", name="x"
    )
    (diagnostic,) = served_pack.Analyze(forgot).diagnostics
    assert diagnostic.policyName == "explicit-provider" and diagnostic.enforcementLevel == analyzer_pb2.MANDATORY


CLOUDFRONT_READ = {
    "Sid": "AllowCloudFrontRead",
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::reports-bucket/*",
}


def test_a_reviewer_can_exempt_a_declared_foreign_statement_by_its_exact_sid(tmp_path: Path) -> None:
    """extraStatements are kept verbatim; the pack blocks a foreign Allow until its Sid is exempted in pack config."""
    world = fixture_world()
    world.account(NONPROD).buckets["reports-bucket"] = {"Version": "2012-10-17", "Statement": [CLOUDFRONT_READ]}
    grants = tmp_path / "grants.yaml"
    grants.write_text(
        json.dumps(
            {
                "grants": [{"name": "r", "users": ["u01"], "bucket": "reports-bucket", "access": "read"}],
                "extraStatements": {"reports-bucket": [CLOUDFRONT_READ]},
            }
        ),
        encoding="utf-8",
    )
    run = run_program(PROJECT_ROOT, "nonprod", config={"cross-account-s3:grantsFile": str(grants)}, world=world)
    assert run.error is None, run.error
    (blocked,) = violations(run)
    assert blocked[:2] == ("bucket-policy-principals", "bucket-policy-reports-bucket") and "Service" in blocked[2]
    assert violations(run, config={**NONPROD_PACK_CONFIG, "exemptStatementSids": ["AllowCloudFrontRead"]}) == []
    assert violations(run, config={**NONPROD_PACK_CONFIG, "exemptStatementSids": ["AllowCloudFront"]}) == [blocked]


def test_the_programs_own_statements_cannot_be_exempted(committed_runs: dict[str, ProgramRun]) -> None:
    opened = _widened(committed_runs["nonprod"], BUCKET, lambda p: p["Statement"][0].update(Principal="*"))
    sid = json.loads(opened.by_name(BUCKET).inputs["policy"])["Statement"][0]["Sid"]
    assert sid.startswith(rules.PROGRAM_SID_PREFIX)
    assert violations(opened, config={**NONPROD_PACK_CONFIG, "exemptStatementSids": [sid]})


def test_every_action_the_program_can_grant_passes_the_pack_and_every_other_is_blocked() -> None:
    """The converse agreement: the pack's data-action allowlist and the program's catalogue say the same."""
    for action in s3_actions.catalogue().values():
        if action.target is None:
            continue
        verdict = rules._action_problem(action.name)
        if action.administrative:
            assert verdict is not None, f"the program refuses {action.name} but the pack would let it through"
        else:
            assert verdict is None, f"the program grants {action.name} but the pack blocks it: {verdict}"


@pytest.mark.parametrize(
    "action",
    [
        "s3:PutLifecycleConfiguration",
        "s3:PutReplicationConfiguration",
        "s3:PutBucketCORS",
        "s3:PutAccessPointPolicy",
        "s3:Put*",
        "s3:*Object",
        "s3:InitiateReplication",
    ],
)
def test_the_pack_blocks_writes_that_are_not_object_data(action: str) -> None:
    assert rules._action_problem(action) is not None


@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::*", "arn:aws:s3:::*/*"])
def test_the_pack_blocks_data_actions_on_every_bucket(resource: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Wide", "Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}],
    }
    (message,) = rules.action_violations(rules.GROUP_POLICY, {"policy": json.dumps(policy)})
    assert "every bucket" in message


# --- KMS: only what S3 needs of a customer managed key, only through S3 --------------------------------

KEY = f"arn:aws:kms:us-east-1:{NONPROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
IDENTITY_TYPES = [rules.GROUP_POLICY, "aws:iam/userPolicy:UserPolicy", "aws:iam/rolePolicy:RolePolicy"]


def kms_statement(**changes: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "KmsKeyViaS3",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": [KEY],
        "Condition": {
            "StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com"]},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
        },
    }
    statement.update(changes)
    return statement


@pytest.mark.parametrize("resource_type", IDENTITY_TYPES)
@pytest.mark.parametrize(
    "statement",
    [
        kms_statement(),
        kms_statement(Action="kms:Decrypt"),
        kms_statement(Action=["KMS:decrypt"]),  # IAM action names ignore case
        kms_statement(Condition={"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}),
    ],
)
def test_s3s_kms_actions_on_a_key_via_s3_pass_in_identity_policies(resource_type: str, statement: Any) -> None:
    assert rules.action_violations(resource_type, {"policy": document(statement, allow())}) == []


@pytest.mark.parametrize("resource_type", IDENTITY_TYPES)
@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (kms_statement(Action=["kms:Decrypt", "kms:Encrypt"]), "'kms:Encrypt' is not one of"),
        (kms_statement(Action="kms:*"), "'kms:*' is not one of"),
        (kms_statement(Action="kms:CreateGrant"), "'kms:CreateGrant' is not one of"),
        (kms_statement(Action=["kms:Decrypt", "s3:GetObject"]), "'s3:GetObject' is not one of"),
        (kms_statement(Resource="*"), "name each key by its key ARN"),
        (kms_statement(Resource=KEY.replace("key/1234abcd-12ab-34cd-56ef-1234567890ab", "alias/x")), "key ARN"),
        (kms_statement(Resource=KEY[:-3] + "*"), "key ARN"),
        (kms_statement(Condition=None), "without the condition StringEquals kms:ViaService"),
        (kms_statement(Condition={"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}), "kms:ViaService"),
        (kms_statement(Condition={"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}}), "outside S3"),
        (kms_statement(NotResource=KEY), "NotAction or NotResource"),
    ],
)
def test_any_other_kms_statement_fails(resource_type: str, statement: dict[str, Any], expected: str) -> None:
    found = rules.action_violations(resource_type, {"policy": document({k: v for k, v in statement.items() if v})})
    assert found and any(expected in message for message in found), found


def test_a_bucket_policy_never_allows_kms_and_other_services_stay_blocked() -> None:
    (message,) = [
        m for m in rules.action_violations(rules.BUCKET_POLICY, {"policy": document(kms_statement())}) if "kms:" in m
    ][:1]
    assert "not an s3: action" in message
    for action in ("iam:PassRole", "ec2:RunInstances", "sts:AssumeRole", "*"):
        (found,) = rules.action_violations(rules.GROUP_POLICY, {"policy": document(allow(action))})
        assert "not an s3: action" in found


def test_kms_grants_give_only_s3s_operations_to_an_iam_user_or_role() -> None:
    good = {"operations": ["Decrypt", "GenerateDataKey"], "granteePrincipal": USER, "keyId": KEY}
    assert rules.kms_grant_violations(rules.KMS_GRANT, good) == []
    role = {**good, "granteePrincipal": f"arn:aws:iam::{BUILD}:role/ci/deployer"}
    assert rules.kms_grant_violations(rules.KMS_GRANT, role) == []
    for changes, expected in (
        ({"operations": ["Decrypt", "Encrypt"]}, "allows Encrypt"),
        ({"operations": ["CreateGrant"]}, "allows CreateGrant"),
        ({"granteePrincipal": f"arn:aws:iam::{BUILD}:root"}, "not an IAM user or role"),
        ({"granteePrincipal": "s3.amazonaws.com"}, "not an IAM user or role"),
        ({"retiringPrincipal": USER}, "retiring principal"),
    ):
        (message,) = rules.kms_grant_violations(rules.KMS_GRANT, {**good, **changes})
        assert expected in message
    assert rules.kms_grant_violations(rules.GROUP_POLICY, {"operations": ["Encrypt"]}) == []
    assert "provider" in rules.provider_violations(rules.KMS_GRANT, None)[0]


KMS_GRANTS = """
grants:
  - name: reads-shared
    users: [test.user]
    bucket: my-shared-bucket-20932
    access: read-write
bucketSettings:
  my-shared-bucket-20932:
    kmsKey: KEY
"""


@pytest.fixture(scope="module")
def kms_run(tmp_path_factory: pytest.TempPathFactory) -> ProgramRun:
    path = tmp_path_factory.mktemp("kms") / "grants.yaml"
    path.write_text(KMS_GRANTS.replace("KEY", KEY), encoding="utf-8")
    world = fixture_world()
    world.account(NONPROD).keys[KEY] = FakeKey()
    run = run_program(PROJECT_ROOT, "nonprod", config={"cross-account-s3:grantsFile": str(path)}, world=world)
    assert run.error is None, run.error
    assert run.of_type(rules.KMS_GRANT)
    return run


def _kms_statement_of(policy: dict[str, Any]) -> dict[str, Any]:
    (statement,) = [s for s in policy["Statement"] if "kms:Decrypt" in s["Action"]]
    return statement


@pytest.mark.parametrize(
    ("change", "policy_name", "expected"),
    [
        (lambda p: _kms_statement_of(p)["Action"].append("kms:Encrypt"), "s3-data-actions-only", "kms:Encrypt"),
        (lambda p: _kms_statement_of(p).update(Resource="*"), "s3-data-actions-only", "key ARN"),
        (lambda p: _kms_statement_of(p).pop("Condition"), "s3-data-actions-only", "kms:ViaService"),
    ],
)
def test_a_run_with_an_encrypted_bucket_passes_and_each_widening_is_blocked(
    kms_run: ProgramRun, change: Any, policy_name: str, expected: str
) -> None:
    assert violations(kms_run) == []
    name = "reads-shared-policy"
    found = violations(_widened(kms_run, name, change))
    assert [(policy, resource) for policy, resource, _ in found] == [(policy_name, name)], found
    assert expected in found[0][2]
    (grant,) = kms_run.of_type(rules.KMS_GRANT)
    widened = _edited(kms_run, grant.name, operations=["Decrypt", "GenerateDataKey", "ReEncryptFrom"])
    assert [(policy, resource) for policy, resource, _ in violations(widened)] == [
        ("kms-grants-for-s3-only", grant.name)
    ]
