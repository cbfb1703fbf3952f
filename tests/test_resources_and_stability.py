"""The resources a run registers, and how they change (or do not) as the grants file changes."""

from __future__ import annotations

import json
from typing import Any

import yaml

from cross_account_s3.infra.offline_runner import ProgramRun, run_program
from tests.conftest import BUILD, NONPROD, PROJECT_ROOT, RunProgram, fixture_world, grants_yaml
from tests.fake_aws import FakeKey

GRANTS = [
    {"name": "alpha", "users": ["u01", "u02"], "bucket": "reports-bucket", "access": "read"},
    {"name": "beta", "users": ["u03"], "buckets": ["reports-bucket", "other-bucket"], "access": "write"},
    {"name": "gamma", "users": ["u01"], "bucket": "other-bucket", "access": "full", "prefixes": ["team/"]},
    {"name": "delta", "users": ["u03"], "bucket": "reports-bucket", "access": "read"},
]


def as_file(grants: list[dict[str, Any]]) -> str:
    return grants_yaml(*grants)


def snapshot(run: ProgramRun) -> dict[str, tuple[str, str]]:
    """URN -> (provider, inputs as canonical JSON): everything a preview diff compares."""
    assert run.error is None, run.error
    return {r.urn: (r.provider, json.dumps(dict(r.inputs), sort_keys=True)) for r in run.registrations}


def test_each_grant_is_a_component_with_group_policy_and_membership_in_the_user_account(
    run: RunProgram, grants_file
) -> None:
    result = run("nonprod", config=grants_file(as_file(GRANTS)))
    assert result.error is None, result.error
    components = result.of_type("cross-account-s3:index:BucketGrant")
    assert sorted(c.name for c in components) == ["alpha", "beta", "delta", "gamma"]
    user_provider = next(r for r in result.of_type("pulumi:providers:aws") if r.name == "user-account")
    for component in components:
        children = [r for r in result.registrations if r.parent == component.urn]
        assert sorted(r.type for r in children) == [
            "aws:iam/group:Group",
            "aws:iam/groupMembership:GroupMembership",
            "aws:iam/groupPolicy:GroupPolicy",
        ]
        assert all(r.provider.startswith(user_provider.urn) for r in children)
    membership = result.by_name("alpha-members").inputs
    assert membership["group"] == "cross-account-s3-alpha" and sorted(membership["users"]) == ["u01", "u02"]


def test_one_bucket_policy_per_bucket_holds_every_grant_on_it(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(as_file(GRANTS)))
    policies = result.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert sorted(p.inputs["bucket"] for p in policies) == ["other-bucket", "reports-bucket"]
    bucket_provider = next(r for r in result.of_type("pulumi:providers:aws") if r.name == "bucket-account")
    assert all(p.provider.startswith(bucket_provider.urn) for p in policies)
    reports = json.loads(result.by_name("bucket-policy-reports-bucket").inputs["policy"])
    principals = {arn for s in reports["Statement"] for arn in s["Principal"]["AWS"]}
    assert principals == {f"arn:aws:iam::{BUILD}:user/{u}" for u in ("u01", "u02", "u03")}
    # alpha and delta grant the same access, so their statements merged: one read statement (listing
    # and objects together, as they have no prefixes) and beta's write statement.
    assert len(reports["Statement"]) == 2


def test_policies_follow_aws_rules(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(as_file(GRANTS)))
    documents = [json.loads(r.inputs["policy"]) for r in result.registrations if "policy" in r.inputs]
    assert len(documents) == 6
    for document in documents:
        assert document["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in document["Statement"]]
        assert all(sid.isalnum() and sid.isascii() for sid in sids) and len(set(sids)) == len(sids)
        for statement in document["Statement"]:
            for principal in statement.get("Principal", {}).get("AWS", []):
                assert principal.startswith(f"arn:aws:iam::{BUILD}:user/"), principal
            # Every action applies to one of the statement's resources, and every resource to one action
            # (parliament's RESOURCE_MISMATCH rule, and no ARN named for nothing).
            names_objects = ["/" in r.removeprefix("arn:aws:s3:::") for r in statement["Resource"]]
            acts_on_objects = [action != "s3:ListBucket" for action in statement["Action"]]
            assert set(acts_on_objects) == set(names_objects), statement
            # An s3:prefix condition would deny the object actions beside it (object requests carry none).
            if "s3:prefix" in json.dumps(statement.get("Condition", {})):
                assert not any(acts_on_objects), statement


def test_providers_are_pinned_to_their_accounts_and_profiles(run: RunProgram) -> None:
    result = run("nonprod")
    providers = {r.name: r.inputs for r in result.of_type("pulumi:providers:aws")}
    assert set(providers) == {"bucket-account", "user-account"}
    assert json.loads(providers["bucket-account"]["allowedAccountIds"]) == [NONPROD]
    assert json.loads(providers["user-account"]["allowedAccountIds"]) == [BUILD]
    assert providers["bucket-account"]["profile"] == "nonprod" and providers["user-account"]["profile"] == "build"


def test_the_same_input_gives_byte_identical_resources(run: RunProgram, grants_file) -> None:
    config = grants_file(as_file(GRANTS))
    assert snapshot(run("nonprod", config=config)) == snapshot(run("nonprod", config=config))


def test_reordering_grants_users_and_buckets_changes_nothing(run: RunProgram, grants_file) -> None:
    shuffled = [dict(g) for g in reversed(GRANTS)]
    shuffled[0]["users"] = list(reversed(shuffled[0]["users"]))
    shuffled[2]["buckets"] = list(reversed(shuffled[2]["buckets"]))
    before = snapshot(run("nonprod", config=grants_file(as_file(GRANTS), "a.yaml")))
    after = snapshot(run("nonprod", config=grants_file(as_file(shuffled), "b.yaml")))
    assert before == after


def test_reordering_buckets_and_prefixes_changes_no_output_either(run: RunProgram, grants_file) -> None:
    """A preview shows output changes beside resource changes: a reorder must show neither."""
    grant = {"name": "g", "users": ["u01"], "buckets": ["reports-bucket", "other-bucket"], "access": "read"}
    written = {**grant, "prefixes": ["team-z/", "team-a/"]}
    reordered = {**grant, "buckets": ["other-bucket", "reports-bucket"], "prefixes": ["team-a/", "team-z/"]}
    before = run("nonprod", config=grants_file(as_file([written]), "a.yaml"))
    after = run("nonprod", config=grants_file(as_file([reordered]), "b.yaml"))
    assert snapshot(before) == snapshot(after)
    assert json.dumps(before.outputs, sort_keys=True) == json.dumps(after.outputs, sort_keys=True)


def test_adding_a_grant_adds_its_resources_and_updates_only_its_buckets_policies(run: RunProgram, grants_file) -> None:
    before = snapshot(run("nonprod", config=grants_file(as_file(GRANTS[:3]), "a.yaml")))
    after = snapshot(run("nonprod", config=grants_file(as_file(GRANTS), "b.yaml")))
    added = sorted(urn.rsplit("::", 1)[1] for urn in set(after) - set(before))
    changed = sorted(urn.rsplit("::", 1)[1] for urn in set(after) & set(before) if after[urn] != before[urn])
    assert added == ["delta", "delta-group", "delta-members", "delta-policy"]
    assert changed == ["bucket-policy-reports-bucket"]
    assert set(before) - set(after) == set()


def test_removing_a_grant_removes_only_its_resources(run: RunProgram, grants_file) -> None:
    before = snapshot(run("nonprod", config=grants_file(as_file(GRANTS), "a.yaml")))
    after = snapshot(run("nonprod", config=grants_file(as_file([g for g in GRANTS if g["name"] != "gamma"]), "b.yaml")))
    removed = sorted(urn.rsplit("::", 1)[1] for urn in set(before) - set(after))
    changed = sorted(urn.rsplit("::", 1)[1] for urn in set(after) & set(before) if after[urn] != before[urn])
    assert removed == ["gamma", "gamma-group", "gamma-members", "gamma-policy"]
    assert changed == ["bucket-policy-other-bucket"]


def test_logical_names_come_from_grant_and_bucket_names_not_positions(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(as_file(GRANTS)))
    grant_names = {g["name"] for g in GRANTS}
    buckets = {b for g in GRANTS for b in (g.get("buckets") or [g["bucket"]])}
    expected = (
        {"bucket-account", "user-account"}
        | grant_names
        | {f"{g}-{part}" for g in grant_names for part in ("group", "policy", "members")}
        | {f"bucket-policy-{b}" for b in buckets}
    )
    assert {r.name for r in result.registrations} == expected


def test_outputs_tell_a_reviewer_who_gets_what(run: RunProgram) -> None:
    result = run("build")
    grant = result.outputs["grants"]["perf-lab-cache"]
    assert grant == {
        "group": "cross-account-s3-perf-lab-cache",
        "users": ["perf-lab"],
        "rolePolicy": None,
        "roles": [],
        "roleLabels": [],
        "principals": [f"arn:aws:iam::{NONPROD}:user/perf/perf-lab"],
        "buckets": ["build-cache-012345678901"],
        "access": "full",
        "prefixes": ["perf/"],
    }
    assert set(result.outputs["bucketPolicies"]) == {
        "build-artifacts-012345678901",
        "build-test-reports-012345678901",
        "build-cache-012345678901",
    }


def test_both_stack_files_disable_default_providers() -> None:
    from tests.conftest import PROJECT_ROOT

    for stack in ("nonprod", "build"):
        config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert config["pulumi:disable-default-providers"] == ["aws"]


def test_every_aws_resource_goes_through_its_accounts_pinned_provider(run: RunProgram, grants_file) -> None:
    """Users, roles and an SSE-KMS bucket together: nothing falls back to a default provider, and each
    resource goes to the account that owns what it changes (IAM in the user account; bucket policies and
    KMS grants in the bucket account, which owns the key)."""
    key = f"arn:aws:kms:us-east-1:{NONPROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    world = fixture_world()
    world.account(NONPROD).keys[key] = FakeKey()
    world.account(BUILD).roles["build-runner"] = "/"
    grants = grants_yaml(
        {"name": "readers", "users": ["u01"], "roles": ["build-runner"], "bucket": "reports-bucket", "access": "read"},
        bucketSettings={"reports-bucket": {"kmsKey": key}},
    )
    result = run("nonprod", world=world, config=grants_file(grants))
    assert result.error is None, result.error
    providers = {r.urn: r.name for r in result.of_type("pulumi:providers:aws")}
    assert sorted(providers.values()) == ["bucket-account", "user-account"]
    expected = {
        "aws:iam/group:Group": "user-account",
        "aws:iam/groupPolicy:GroupPolicy": "user-account",
        "aws:iam/groupMembership:GroupMembership": "user-account",
        "aws:iam/rolePolicy:RolePolicy": "user-account",
        "aws:s3/bucketPolicy:BucketPolicy": "bucket-account",
        "aws:kms/grant:Grant": "bucket-account",
    }
    aws_resources = [r for r in result.registrations if r.type.startswith("aws:")]
    assert {r.type for r in aws_resources} == set(expected)
    for resource in aws_resources:
        owner = next((name for urn, name in providers.items() if resource.provider.startswith(urn)), None)
        assert owner == expected[resource.type], (resource.name, resource.provider)


def test_two_resources_with_one_logical_name_are_refused_never_one_dropped(run: RunProgram, grants_file) -> None:
    """Grant 'a' on role 'b-role-policy-c' and grant 'a-role-policy-b' on role 'c' would both put an inline policy
    named 'a-role-policy-b-role-policy-c': one URN for two resources, of which a run would keep only one."""
    world = fixture_world()
    world.account(BUILD).roles.update({"b-role-policy-c": "/", "c": "/"})
    grants = [
        {"name": "a", "roles": ["b-role-policy-c"], "bucket": "reports-bucket", "access": "read"},
        {"name": "a-role-policy-b", "roles": ["c"], "bucket": "reports-bucket", "access": "read"},
    ]
    refused = run("nonprod", config=grants_file(as_file(grants)), world=world)
    assert refused.error is not None and "Traceback" not in refused.error
    assert refused.error.startswith("cross-account-s3 found 2 problems in its input; nothing was created or changed.")
    for fragment in (
        "grant 'a', field 'name'",
        "grant 'a-role-policy-b', field 'name'",
        "would have the logical name 'a-role-policy-b-role-policy-c', and so would the role inline policy of grant 'a'",
        "duplicate URN",
        "rename one of these grants",
    ):
        assert fragment in refused.error, refused.error
    assert [r.name for r in refused.registrations if r.type.startswith("aws:")] == []  # the providers only
    # Either grant alone is fine: the problem is the clash, not the names.
    for grant in grants:
        assert run("nonprod", config=grants_file(as_file([grant]), f"{grant['name']}.yaml"), world=world).error is None


def test_a_run_that_registers_one_urn_twice_fails_as_the_engine_would(tmp_path) -> None:
    """The offline run stands in for `pulumi preview`: a duplicate URN stops it instead of reading as one resource."""
    program = tmp_path / "twice.py"
    program.write_text(
        "import pulumi_aws as aws\n"
        "for region in ('us-east-1', 'us-west-2'):\n"
        "    aws.s3.BucketPolicy('same-name', bucket='b', policy='{}', region=region)\n",
        encoding="utf-8",
    )
    result = run_program(PROJECT_ROOT, "nonprod", program=program, world=fixture_world())
    urn = "urn:pulumi:nonprod::cross-account-s3::aws:s3/bucketPolicy:BucketPolicy::same-name"
    assert result.error == f"Duplicate resource URN '{urn}'; try giving it a unique name"
