"""Buckets encrypted with a customer managed KMS key: what grantees can do with the key, judged on both sides.

The IAM simulator evaluates each KMS request with the identity policies the run generated and, as the
key's resource policy, a key policy equivalent to the KMS grants the run registered (a grant lets its
grantee do its operations, and nothing else; the key administrators' usual statement is there too). The
expectations are written out here, from the issue's table: readers decrypt, uploaders also generate data
keys, only through S3, only for the granted bucket, its objects and prefixes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cross_account_s3 import provider_contract as contract
from cross_account_s3.cli import main
from cross_account_s3.infra.offline_runner import ProgramRun, run_program
from cross_account_s3.review.snapshot import KMS_LOOKUPS_NOTE
from tests.access_check import identity_policies_of, mismatches
from tests.conftest import BUILD, NONPROD, PROJECT_ROOT, THIRD, RunProgram, fixture_world
from tests.fake_aws import FakeKey, FakeWorld
from tests.iam_oracle.oracle import SIMULATOR_CONTEXT_KEY, Request, evaluate
from tests.test_access import declared_for_stack

REGION = "us-east-1"  # the nonprod stack's bucket account region
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:{REGION}:{NONPROD}:key/{KEY_ID}"
OTHER_KEY = f"arn:aws:kms:{REGION}:{NONPROD}:key/0000aaaa-00aa-00aa-00aa-000000000000"
ALIAS = f"arn:aws:kms:{REGION}:{NONPROD}:alias/shared-data"
VIA_S3 = f"s3.{REGION}.amazonaws.com"
CONTEXT = "kms:EncryptionContext:aws:s3:arn"
KMS_GRANT = "aws:kms/grant:Grant"

GRANTS = [
    {"name": "readers", "users": ["u01"], "bucket": "reports-bucket", "access": "read"},
    {"name": "uploaders", "users": ["u02"], "bucket": "reports-bucket", "access": "write"},
    {"name": "team-a", "users": ["u03"], "bucket": "reports-bucket", "access": "read-write", "prefixes": ["team-a/"]},
]


def grants_text(grants: list[dict[str, Any]], key: str = KEY, **settings: Any) -> str:
    return yaml.safe_dump({"grants": grants, "bucketSettings": {"reports-bucket": {"kmsKey": key, **settings}}})


def kms_world(**keys: FakeKey) -> FakeWorld:
    """The fixture world, with KEY (or the given keys, by ARN) in the bucket account."""
    world = fixture_world()
    world.account(NONPROD).keys.update(keys or {KEY: FakeKey()})
    return world


def user(name: str) -> str:
    return f"arn:aws:iam::{BUILD}:user/{name}"


def key_policy_of(run: ProgramRun, key: str) -> dict[str, Any]:
    """A key policy equivalent to the key's KMS grants, next to the administrators' usual statement."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "KeyAdministrators",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{NONPROD}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for grant in run.of_type(KMS_GRANT):
        if grant.inputs["keyId"] == key:
            statements.append(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": grant.inputs["granteePrincipal"]},
                    "Action": [f"kms:{operation}" for operation in grant.inputs["operations"]],
                    "Resource": "*",
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}


def kms_request(
    run: ProgramRun, who: str, action: str, context: dict[str, str], key: str = KEY, identity: list[Any] | None = None
) -> Request:
    name = who.rsplit("/", 1)[-1]
    policies = identity_policies_of(run, name) if identity is None else identity
    return Request(who, action, key, NONPROD, policies, key_policy_of(run, key), context)


def via_s3(arn: str, region: str = REGION) -> dict[str, str]:
    return {"kms:ViaService": f"s3.{region}.amazonaws.com", CONTEXT: arn}


OBJECT = "arn:aws:s3:::reports-bucket/file.txt"
BUCKET = "arn:aws:s3:::reports-bucket"  # the context with S3 Bucket Keys
IN_PREFIX = "arn:aws:s3:::reports-bucket/team-a/file.txt"
OUTSIDE_PREFIX = "arn:aws:s3:::reports-bucket/team-b/file.txt"
DECRYPT, GENERATE = "kms:Decrypt", "kms:GenerateDataKey"

# (user, action, context, allowed): the table, written out independently of the program.
EXPECTED = [
    # Readers decrypt, with the object's ARN or (Bucket Keys) the bucket's; they cannot upload.
    ("u01", DECRYPT, via_s3(OBJECT), True),
    ("u01", DECRYPT, via_s3(BUCKET), True),
    ("u01", GENERATE, via_s3(OBJECT), False),
    ("u01", GENERATE, via_s3(BUCKET), False),
    # Uploaders generate data keys, and decrypt for multipart uploads.
    ("u02", GENERATE, via_s3(OBJECT), True),
    ("u02", GENERATE, via_s3(BUCKET), True),
    ("u02", DECRYPT, via_s3(OBJECT), True),
    ("u02", DECRYPT, via_s3(BUCKET), True),
    # A prefix grant: its prefix, or the bucket (Bucket Keys; S3's own prefix check limits it then).
    ("u03", DECRYPT, via_s3(IN_PREFIX), True),
    ("u03", GENERATE, via_s3(IN_PREFIX), True),
    ("u03", DECRYPT, via_s3(BUCKET), True),
    ("u03", DECRYPT, via_s3(OUTSIDE_PREFIX), False),
    ("u03", GENERATE, via_s3(OUTSIDE_PREFIX), False),
    ("u03", DECRYPT, via_s3(OBJECT), False),
]
for _who in ("u01", "u02", "u03"):
    EXPECTED += [
        # kms:Decrypt called directly, not through S3; through S3 in another region; through another service.
        (_who, DECRYPT, {}, False),
        (_who, DECRYPT, {CONTEXT: OBJECT}, False),
        (_who, DECRYPT, via_s3(OBJECT, "eu-west-1"), False),
        (_who, DECRYPT, {"kms:ViaService": f"ec2.{REGION}.amazonaws.com", CONTEXT: OBJECT}, False),
        # Another bucket's objects, even one encrypted with the same key.
        (_who, DECRYPT, via_s3("arn:aws:s3:::other-bucket/file.txt"), False),
        (_who, DECRYPT, via_s3("arn:aws:s3:::other-bucket"), False),
        # No other KMS action, even through S3.
        (_who, "kms:Encrypt", via_s3(OBJECT), False),
        (_who, "kms:ReEncryptFrom", via_s3(OBJECT), False),
        (_who, "kms:CreateGrant", via_s3(OBJECT), False),
    ]


@pytest.fixture(scope="module")
def kms_run(tmp_path_factory: pytest.TempPathFactory) -> ProgramRun:
    """One run of GRANTS on an SSE-KMS bucket, shared by the simulator tests."""
    path = tmp_path_factory.mktemp("kms") / "grants.yaml"
    path.write_text(grants_text(GRANTS), encoding="utf-8")
    result = run_program(PROJECT_ROOT, "nonprod", config={"cross-account-s3:grantsFile": str(path)}, world=kms_world())
    assert result.error is None, result.error
    return result


def test_readers_decrypt_uploaders_also_generate_data_keys_only_through_s3_and_for_their_objects(
    kms_run: ProgramRun,
) -> None:
    requests = [kms_request(kms_run, user(who), action, context) for who, action, context, _ in EXPECTED]
    verdicts = evaluate(requests)
    wrong = [
        f"{who} {action} {context}: expected {'allowed' if allowed else 'denied'}, simulator said {verdict}"
        for (who, action, context, allowed), verdict in zip(EXPECTED, verdicts, strict=True)
        if (verdict == "Allowed") != allowed
    ]
    assert wrong == []


def test_nobody_without_a_grant_can_use_the_key(kms_run: ProgramRun) -> None:
    """A user of the world with no grant; an administrator of the user account; a same-named user elsewhere."""
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    requests = [
        kms_request(kms_run, user("test.user"), DECRYPT, via_s3(OBJECT)),
        kms_request(kms_run, user("someone-else"), DECRYPT, via_s3(OBJECT), identity=[admin]),
        kms_request(kms_run, user("someone-else"), GENERATE, via_s3(BUCKET), identity=[admin]),
        kms_request(kms_run, f"arn:aws:iam::{THIRD}:user/u01", DECRYPT, via_s3(OBJECT), identity=[admin]),
        # A granted user, on a key of the same account that nobody granted.
        kms_request(kms_run, user("u01"), DECRYPT, via_s3(OBJECT), key=OTHER_KEY),
    ]
    assert evaluate(requests) == ["ImplicitlyDenied"] * len(requests)


def test_either_side_alone_is_not_enough(kms_run: ProgramRun) -> None:
    """The checker can fail: without the KMS grant, or without the identity statement, a reader cannot decrypt."""
    no_grants = {"Version": "2012-10-17", "Statement": key_policy_of(kms_run, KEY)["Statement"][:1]}
    identity = identity_policies_of(kms_run, "u01")
    without_kms = [
        {**policy, "Statement": [s for s in policy["Statement"] if not str(s["Action"]).count("kms:")]}
        for policy in identity
    ]
    requests = [
        Request(user("u01"), DECRYPT, KEY, NONPROD, identity, no_grants, via_s3(OBJECT)),
        Request(user("u01"), DECRYPT, KEY, NONPROD, without_kms, key_policy_of(kms_run, KEY), via_s3(OBJECT)),
        Request(user("u01"), DECRYPT, KEY, NONPROD, identity, key_policy_of(kms_run, KEY), via_s3(OBJECT)),
    ]
    assert evaluate(requests) == ["ImplicitlyDenied", "ImplicitlyDenied", "Allowed"]


def test_s3_access_on_an_encrypted_bucket_is_unchanged(kms_run: ProgramRun) -> None:
    assert mismatches(kms_run, declared_for_stack("nonprod", GRANTS)) == []


# The simulator workaround: the encryption context key is renamed identically in policy and request.
def _context_policy(operator: str, values: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": DECRYPT, "Resource": KEY, "Condition": {operator: {CONTEXT: values}}}
        ],
    }


@pytest.mark.parametrize(
    ("operator", "values", "context", "allowed"),
    [
        ("StringLike", ["arn:aws:s3:::b/team-a/*"], "arn:aws:s3:::b/team-a/x", True),
        ("StringLike", ["arn:aws:s3:::b/team-a/*"], "arn:aws:s3:::b/team-b/x", False),
        ("StringLike", ["arn:aws:s3:::b/team-a/*"], "arn:aws:s3:::B/team-a/x", False),  # values keep their case
        ("StringEquals", ["arn:aws:s3:::b"], "arn:aws:s3:::b", True),
        ("StringEquals", ["arn:aws:s3:::b"], "arn:aws:s3:::b/x", False),  # no wildcard in StringEquals
        ("StringNotLike", ["arn:aws:s3:::b/*"], "arn:aws:s3:::c/x", True),
        ("StringNotLike", ["arn:aws:s3:::b/*"], "arn:aws:s3:::b/x", False),
    ],
)
def test_the_simulator_keeps_string_semantics_for_the_renamed_context_key(
    operator: str, values: list[str], context: str, allowed: bool
) -> None:
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": user("u")}, "Action": DECRYPT, "Resource": "*"}],
    }
    request = Request(
        user("u"), DECRYPT, KEY, NONPROD, [_context_policy(operator, values)], key_policy, {CONTEXT: context}
    )
    assert (evaluate([request])[0] == "Allowed") is allowed


def test_the_rename_is_applied_to_copies_only_and_refuses_to_merge_two_context_keys() -> None:
    policy = _context_policy("StringLike", ["arn:aws:s3:::b/*"])
    request = Request(user("u"), DECRYPT, KEY, NONPROD, [policy], None, {CONTEXT: "arn:aws:s3:::b/x"})
    simulation = request.simulation()
    assert SIMULATOR_CONTEXT_KEY in json.dumps(simulation) and CONTEXT not in json.dumps(simulation)
    assert CONTEXT in json.dumps(policy)  # the policy under test is untouched
    two_keys = Request(user("u"), DECRYPT, KEY, NONPROD, [policy], None, {"kms:EncryptionContext:other": "x"})
    with pytest.raises(ValueError, match="only one encryption context key"):
        two_keys.simulation()


# What gets created.
def test_one_kms_grant_per_grantee_per_key_in_the_bucket_account(run: RunProgram, grants_file) -> None:
    grants = [
        {"name": "pair", "users": ["u01", "u02"], "buckets": ["reports-bucket", "other-bucket"], "access": "read"},
        {"name": "solo", "users": ["u03"], "bucket": "my-shared-bucket-20932", "access": "write"},
    ]
    text = yaml.safe_dump(
        {
            "grants": grants,
            "bucketSettings": {
                "reports-bucket": {"kmsKey": KEY},
                "other-bucket": {"kmsKey": KEY},  # the same key: one KMS grant per user, not per bucket
                "my-shared-bucket-20932": {"kmsKey": OTHER_KEY},
            },
        }
    )
    result = run("nonprod", config=grants_file(text), world=kms_world(**{KEY: FakeKey(), OTHER_KEY: FakeKey()}))
    assert result.error is None, result.error
    found = {(g.inputs["granteePrincipal"], g.inputs["keyId"]): g for g in result.of_type(KMS_GRANT)}
    assert sorted(found) == sorted([(user("u01"), KEY), (user("u02"), KEY), (user("u03"), OTHER_KEY)])
    components = {r.name: r.urn for r in result.of_type("cross-account-s3:index:BucketGrant")}
    bucket_provider = result.by_name("bucket-policy-reports-bucket").provider
    for (principal, _key), grant in found.items():
        owner = "solo" if principal == user("u03") else "pair"
        assert grant.parent == components[owner]
        assert grant.provider == bucket_provider and "bucket-account" in grant.provider
        assert grant.inputs["retireOnDelete"] is False
        assert grant.inputs["region"] == REGION
        assert grant.inputs["name"] == f"cross-account-s3-{owner}"
        assert grant.inputs["operations"] == (["Decrypt", "GenerateDataKey"] if owner == "solo" else ["Decrypt"])
        assert "constraints" not in grant.inputs  # a grant constraint cannot say "this prefix" or "via S3"
    assert len(result.of_type(KMS_GRANT)) == 3
    # Nothing is ever done to a key policy.
    assert not [r for r in result.registrations if r.type.startswith("aws:kms/") and r.type != KMS_GRANT]


def test_a_grant_that_needs_no_key_gets_no_kms_grant(run: RunProgram, grants_file) -> None:
    grants = [
        {"name": "lists", "users": ["u01"], "bucket": "reports-bucket", "actions": ["s3:ListBucket"]},
        {"name": "gets", "users": ["u02"], "bucket": "reports-bucket", "actions": ["s3:GetObject"]},
    ]
    result = run("nonprod", config=grants_file(grants_text(grants)), world=kms_world())
    assert result.error is None, result.error
    assert [(g.inputs["granteePrincipal"], g.inputs["operations"]) for g in result.of_type(KMS_GRANT)] == [
        (user("u02"), ["Decrypt"])
    ]
    assert "kms:" not in json.dumps(identity_policies_of(result, "u01"))


def test_an_alias_is_resolved_to_its_key_for_the_identity_policy_and_the_grant(run: RunProgram, grants_file) -> None:
    world = kms_world()
    world.account(NONPROD).aliases[ALIAS] = KEY
    result = run("nonprod", config=grants_file(grants_text(GRANTS[:1], key=ALIAS)), world=world)
    assert result.error is None, result.error
    (lookup,) = [i for i in result.invocations if i.token == contract.GET_KEY]
    assert (lookup.args["keyId"], lookup.args["region"], lookup.account) == (ALIAS, REGION, NONPROD)
    (grant,) = result.of_type(KMS_GRANT)
    assert grant.inputs["keyId"] == KEY
    statements = [
        s for p in identity_policies_of(result, "u01") for s in p["Statement"] if "kms:Decrypt" in s["Action"]
    ]
    assert [s["Resource"] for s in statements] == [[KEY]]
    assert result.outputs["bucketKeys"] == {"reports-bucket": {"kmsKey": ALIAS, "keyArn": KEY}}


def test_a_bucket_in_another_region_uses_that_regions_key_and_s3(run: RunProgram, grants_file) -> None:
    key = f"arn:aws:kms:eu-west-1:{NONPROD}:key/{KEY_ID}"
    world = kms_world(**{key: FakeKey()})
    world.account(NONPROD).bucket_regions["reports-bucket"] = "eu-west-1"
    result = run("nonprod", config=grants_file(grants_text(GRANTS[:1], key=key, region="eu-west-1")), world=world)
    assert result.error is None, result.error
    (grant,) = result.of_type(KMS_GRANT)
    assert grant.inputs["region"] == "eu-west-1"
    request = kms_request(result, user("u01"), DECRYPT, via_s3(OBJECT, "eu-west-1"), key=key)
    wrong_region = kms_request(result, user("u01"), DECRYPT, via_s3(OBJECT), key=key)
    assert evaluate([request, wrong_region]) == ["Allowed", "ImplicitlyDenied"]


# Checks at preview, and at validation.
def _refused(result: ProgramRun, *fragments: str) -> str:
    assert result.error is not None, "the program accepted a key it cannot use"
    assert [r.name for r in result.registrations if r.type.startswith("aws:")] == []
    assert "Traceback" not in result.error
    for fragment in fragments:
        assert fragment in result.error, f"{fragment!r} not in:\n{result.error}"
    return result.error


def test_a_missing_key_names_the_bucket_and_the_key(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(grants_text(GRANTS)), world=kms_world(**{OTHER_KEY: FakeKey()}))
    _refused(
        result,
        "bucketSettings.reports-bucket.kmsKey",
        f"the KMS key {KEY} of bucket 'reports-bucket'",
        "does not exist",
    )


def test_an_aws_managed_key_says_why_and_what_to_do(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(grants_text(GRANTS)), world=kms_world(**{KEY: FakeKey(manager="AWS")}))
    _refused(result, "AWS managed key", "cannot be read or written from another account", "re-encrypt the bucket")


@pytest.mark.parametrize("state", ["Disabled", "PendingDeletion", "PendingImport"])
def test_a_key_that_is_not_enabled_names_its_state(run: RunProgram, grants_file, state: str) -> None:
    result = run("nonprod", config=grants_file(grants_text(GRANTS)), world=kms_world(**{KEY: FakeKey(state=state)}))
    _refused(result, f"is in the state {state}, not Enabled", "reports-bucket")


def test_a_key_the_profile_may_not_describe_says_which_permission(run: RunProgram, grants_file) -> None:
    world = kms_world()
    world.account(NONPROD).denied.add(KEY)
    result = run("nonprod", config=grants_file(grants_text(GRANTS)), world=world)
    _refused(result, "kms:DescribeKey", "is not authorized to perform: kms:DescribeKey")


def test_a_key_in_a_third_account_is_refused_before_any_lookup(run: RunProgram, grants_file) -> None:
    third = f"arn:aws:kms:{REGION}:{THIRD}:key/{KEY_ID}"
    result = run("nonprod", config=grants_file(grants_text(GRANTS, key=third)), world=kms_world())
    _refused(result, f"names a key in account {THIRD}", f"the buckets live in account {NONPROD}", "never changes")
    assert result.invocations == []


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        (f"arn:aws:kms:{REGION}:{NONPROD}:alias/aws/s3", "AWS managed key"),
        (KEY_ID, "neither a KMS key ARN nor a KMS alias ARN"),
        (f"arn:aws:kms:eu-west-1:{NONPROD}:key/{KEY_ID}", "names a key in eu-west-1, but the bucket is in us-east-1"),
        (f"arn:aws:kms:{REGION}:{NONPROD}:key/not-a-key-id", "neither a KMS key ARN"),
    ],
)
def test_a_key_setting_that_cannot_be_the_buckets_key_is_a_validation_problem(
    run: RunProgram, grants_file, key: str, fragment: str
) -> None:
    result = run("nonprod", config=grants_file(grants_text(GRANTS, key=key)), world=kms_world())
    _refused(result, "bucketSettings.reports-bucket.kmsKey", fragment)
    assert result.invocations == []


# plan and plan --diff.
def test_plan_shows_each_buckets_key_and_the_kms_grants(tmp_path) -> None:
    path = tmp_path / "grants.yaml"
    path.write_text(grants_text(GRANTS[:2]), encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", "--grants", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert KMS_LOOKUPS_NOTE in out
    assert f"reports-bucket in account {NONPROD}, region {REGION}, encrypted with KMS key {KEY}:" in out
    assert "KMS grants (bucket account; the key policies are not changed):" in out
    assert f"{user('u01')} may Decrypt with {KEY} in account {NONPROD}, region {REGION} (grant readers;" in out
    assert f"{user('u02')} may Decrypt, GenerateDataKey with {KEY}" in out
    assert "aws:kms/grant:Grant" in out
    data = json.loads(CliRunner().invoke(main, ["plan", "--grants", str(path), "--format", "json"]).stdout)
    assert data["bucketKeys"] == {"reports-bucket": {"kmsKey": KEY, "keyArn": KEY}}
    assert data["kmsLookups"] == KMS_LOOKUPS_NOTE
    assert sorted(entry["granteePrincipal"] for entry in data["kmsGrants"].values()) == [user("u01"), user("u02")]


def test_plan_without_keys_says_nothing_about_kms() -> None:
    result = CliRunner().invoke(main, ["plan"])
    assert result.exit_code == 0, result.output
    assert KMS_LOOKUPS_NOTE not in result.stdout and "KMS" not in result.stdout


def test_plan_diff_shows_a_bucket_gaining_a_key_and_its_kms_grants(tmp_path) -> None:
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(yaml.safe_dump({"grants": GRANTS[:1]}), encoding="utf-8")
    head.write_text(grants_text(GRANTS[:1]), encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", "--grants", str(head), "--diff", str(base)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "KMS keys:" in out
    assert f"+ reports-bucket uses KMS key {KEY}: its grants get KMS grants on it" in out
    assert f"+ {KMS_GRANT}" in out and f"granteePrincipal: (none) -> {user('u01')}" in out
    assert "~ aws:iam/groupPolicy:GroupPolicy" in out and "kms:Decrypt" in out
    back = CliRunner().invoke(main, ["plan", "--grants", str(base), "--diff", str(head)])
    assert f"- reports-bucket no longer uses KMS key {KEY}: its KMS grants are revoked" in back.stdout
    assert f"- {KMS_GRANT}" in back.stdout


def test_the_same_grants_give_byte_identical_kms_resources(run: RunProgram, grants_file) -> None:
    config = grants_file(grants_text(GRANTS))
    first, second = (run("nonprod", config=config, world=kms_world()) for _ in range(2))
    assert first.error is None and second.error is None
    shapes = [
        sorted((r.urn, json.dumps(dict(r.inputs), sort_keys=True)) for r in result.registrations)
        for result in (first, second)
    ]
    assert shapes[0] == shapes[1]
    assert len(first.of_type(KMS_GRANT)) == 3


def test_in_a_grants_directory_a_buckets_region_and_key_may_be_set_in_two_files(run: RunProgram, tmp_path) -> None:
    """The key's region is compared with the bucket's region as the merged directory sets it."""
    key = f"arn:aws:kms:eu-west-1:{NONPROD}:key/{KEY_ID}"
    directory = tmp_path / "grants"
    directory.mkdir()
    (directory / "team.yaml").write_text(
        yaml.safe_dump({"grants": GRANTS[:1], "bucketSettings": {"reports-bucket": {"kmsKey": key}}}), encoding="utf-8"
    )
    (directory / "platform.yaml").write_text(
        yaml.safe_dump({"grants": [], "bucketSettings": {"reports-bucket": {"region": "eu-west-1"}}}), encoding="utf-8"
    )
    world = kms_world(**{key: FakeKey()})
    world.account(NONPROD).bucket_regions["reports-bucket"] = "eu-west-1"
    config = {"cross-account-s3:grantsFile": str(directory)}
    result = run("nonprod", config=config, world=world)
    assert result.error is None, result.error
    assert [g.inputs["region"] for g in result.of_type(KMS_GRANT)] == ["eu-west-1"]
    (directory / "platform.yaml").unlink()
    _refused(run("nonprod", config=config, world=world), "names a key in eu-west-1, but the bucket is in us-east-1")


# Multi-Region keys: two replicas of one key share its ID, one per region.
MRK_ID = "mrk-0123456789abcdef0123456789abcdef"
EAST, WEST = "us-east-1", "us-west-2"
MRK_EAST = f"arn:aws:kms:{EAST}:{NONPROD}:key/{MRK_ID}"
MRK_WEST = f"arn:aws:kms:{WEST}:{NONPROD}:key/{MRK_ID}"
EAST_OBJECT, WEST_OBJECT = OBJECT, "arn:aws:s3:::other-bucket/file.txt"
# Written out as the names must read, not built with the code under test.
EAST_NAME = f"replicated-kms-{MRK_ID}-{EAST}-user-u01"
WEST_NAME = f"replicated-kms-{MRK_ID}-{WEST}-user-u01"
FORMER_NAME = f"replicated-kms-{MRK_ID}-user-u01"  # the name before names held the region
KMS_GRANT_URN = f"urn:pulumi:nonprod::cross-account-s3::cross-account-s3:index:BucketGrant${KMS_GRANT}::"


def replicas_text(buckets: list[str], grant_name: str = "replicated") -> str:
    """A read grant on reports-bucket (us-east-1, the east replica) and other-bucket (us-west-2, the west one)."""
    settings = {
        "reports-bucket": {"kmsKey": MRK_EAST},
        "other-bucket": {"kmsKey": MRK_WEST, "region": WEST},
    }
    return yaml.safe_dump(
        {
            "grants": [{"name": grant_name, "users": ["u01"], "buckets": buckets, "access": "read"}],
            "bucketSettings": {bucket: settings[bucket] for bucket in buckets},
        },
        sort_keys=False,
    )


def replicas_world() -> FakeWorld:
    world = kms_world(**{MRK_EAST: FakeKey(), MRK_WEST: FakeKey()})
    world.account(NONPROD).bucket_regions["other-bucket"] = WEST
    return world


def kms_shape(run: ProgramRun) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every registration as a preview compares it: URN, inputs as canonical JSON, and the aliases it keeps."""
    assert run.error is None, run.error
    return sorted((r.urn, json.dumps(dict(r.inputs), sort_keys=True), r.aliases) for r in run.registrations)


def test_two_replicas_of_a_multi_region_key_give_one_kms_grant_per_region(run: RunProgram, grants_file) -> None:
    world = replicas_world()
    result = run("nonprod", config=grants_file(replicas_text(["reports-bucket", "other-bucket"])), world=world)
    assert result.error is None, result.error
    grants = {g.name: g for g in result.of_type(KMS_GRANT)}
    assert sorted(grants) == [EAST_NAME, WEST_NAME]
    assert [g.urn for g in result.registrations].count(KMS_GRANT_URN + EAST_NAME) == 1
    assert (grants[EAST_NAME].inputs["region"], grants[EAST_NAME].inputs["keyId"]) == (EAST, MRK_EAST)
    assert (grants[WEST_NAME].inputs["region"], grants[WEST_NAME].inputs["keyId"]) == (WEST, MRK_WEST)
    (component,) = result.of_type("cross-account-s3:index:BucketGrant")
    for grant in grants.values():
        assert grant.parent == component.urn and "bucket-account" in grant.provider
        assert grant.inputs["granteePrincipal"] == user("u01") and grant.inputs["operations"] == ["Decrypt"]
    # Each replica is usable through S3 in its own region, for its own bucket only.
    requests = [
        kms_request(result, user("u01"), DECRYPT, via_s3(EAST_OBJECT, EAST), key=MRK_EAST),
        kms_request(result, user("u01"), DECRYPT, via_s3(WEST_OBJECT, WEST), key=MRK_WEST),
        kms_request(result, user("u01"), DECRYPT, via_s3(WEST_OBJECT, EAST), key=MRK_WEST),
        kms_request(result, user("u01"), DECRYPT, via_s3(EAST_OBJECT, WEST), key=MRK_EAST),
    ]
    assert evaluate(requests) == ["Allowed", "Allowed", "ImplicitlyDenied", "ImplicitlyDenied"]


def test_plan_shows_and_counts_both_replicas_kms_grants(tmp_path) -> None:
    path = tmp_path / "grants.yaml"
    path.write_text(replicas_text(["reports-bucket", "other-bucket"]), encoding="utf-8")
    text = CliRunner().invoke(main, ["plan", "--grants", str(path)])
    assert text.exit_code == 0, text.output
    assert f"{user('u01')} may Decrypt with {MRK_EAST} in account {NONPROD}, region {EAST}" in text.stdout
    assert f"{user('u01')} may Decrypt with {MRK_WEST} in account {NONPROD}, region {WEST}" in text.stdout
    data = json.loads(CliRunner().invoke(main, ["plan", "--grants", str(path), "--format", "json"]).stdout)
    assert sorted(data["kmsGrants"]) == [EAST_NAME, WEST_NAME]
    assert sorted((g["region"], g["keyId"]) for g in data["kmsGrants"].values()) == [(EAST, MRK_EAST), (WEST, MRK_WEST)]
    kms_resources = [r for r in data["resources"] if r["type"] == KMS_GRANT]
    assert len(kms_resources) == 2 and len({r["urn"] for r in data["resources"]}) == len(data["resources"])
    assert data["summary"]["resources"] == len(data["resources"])


def test_replicas_give_byte_identical_resources_across_runs_and_bucket_orders(run: RunProgram, grants_file) -> None:
    world = replicas_world()
    shapes = [
        kms_shape(run("nonprod", config=grants_file(replicas_text(buckets), name), world=world))
        for buckets, name in (
            (["reports-bucket", "other-bucket"], "a.yaml"),
            (["reports-bucket", "other-bucket"], "a.yaml"),
            (["other-bucket", "reports-bucket"], "b.yaml"),
        )
    ]
    assert shapes[0] == shapes[1] == shapes[2]
    assert sum(1 for urn, _inputs, _aliases in shapes[0] if urn.startswith(KMS_GRANT_URN)) == 2


def test_an_ordinary_keys_kms_grant_keeps_its_name_and_needs_no_alias(run: RunProgram, grants_file) -> None:
    result = run("nonprod", config=grants_file(grants_text(GRANTS[:1])), world=kms_world())
    (grant,) = result.of_type(KMS_GRANT)
    assert (grant.urn, grant.aliases) == (f"{KMS_GRANT_URN}readers-kms-{KEY_ID}-user-u01", ())


def test_a_single_replicas_kms_grant_keeps_its_former_name_as_an_alias(run: RunProgram, grants_file) -> None:
    """A stack deployed when names left the region out keeps its KMS grant: renamed, never revoked."""
    result = run("nonprod", config=grants_file(replicas_text(["other-bucket"])), world=replicas_world())
    assert result.error is None, result.error
    (grant,) = result.of_type(KMS_GRANT)
    assert (grant.name, grant.inputs["region"]) == (WEST_NAME, WEST)
    assert grant.aliases == (KMS_GRANT_URN + FORMER_NAME,)


def test_with_two_replicas_the_one_the_last_deployment_used_keeps_the_former_name(run: RunProgram, grants_file) -> None:
    world = replicas_world()
    both = grants_file(replicas_text(["reports-bucket", "other-bucket"]), "both.yaml")

    def aliases() -> dict[str, tuple[str, ...]]:
        result = run("nonprod", config=both, world=world)
        assert result.error is None, result.error
        return {g.name: g.aliases for g in result.of_type(KMS_GRANT)}

    # Never deployed: no replica can hold the former name, and none claims it.
    assert aliases() == {EAST_NAME: (), WEST_NAME: ()}
    # Deployed with the west bucket alone: its KMS grant is the one the former name held.
    west_only = run("nonprod", config=grants_file(replicas_text(["other-bucket"]), "west.yaml"), world=world)
    world.previous_outputs = json.loads(json.dumps(west_only.outputs))
    assert aliases() == {EAST_NAME: (), WEST_NAME: (KMS_GRANT_URN + FORMER_NAME,)}
    # Deployed with both: each already has its own name.
    world.previous_outputs = json.loads(json.dumps(run("nonprod", config=both, world=world).outputs))
    assert aliases() == {EAST_NAME: (), WEST_NAME: ()}


def test_a_former_name_kept_as_an_alias_counts_as_a_claim_on_that_name(run: RunProgram, grants_file) -> None:
    """Pulumi refuses two resources aliased to one name, or an alias that is another resource's name: refused here.

    Grant 'a' on the west replica for user 'z-kms-KEY_ID-user-q' keeps the former name
    'a-kms-MRK-user-z-kms-KEY_ID-user-q', which is also the ordinary-key KMS grant of grant 'a-kms-MRK-user-z'
    for user 'q'. Only names this contrived can meet, but none may meet silently.
    """
    odd_user, other = f"z-kms-{KEY_ID}-user-q", f"a-kms-{MRK_ID}-user-z"
    world = replicas_world()
    world.account(NONPROD).keys[KEY] = FakeKey()
    world.account(BUILD).users.update({odd_user: "/", "q": "/"})
    text = yaml.safe_dump(
        {
            "grants": [
                {"name": "a", "users": [odd_user], "bucket": "other-bucket", "access": "read"},
                {"name": other, "users": ["q"], "bucket": "reports-bucket", "access": "read"},
            ],
            "bucketSettings": {"other-bucket": {"kmsKey": MRK_WEST, "region": WEST}, "reports-bucket": {"kmsKey": KEY}},
        }
    )
    error = _refused(
        run("nonprod", config=grants_file(text), world=world),
        f"the KMS grant of grant 'a' (as the former name it keeps) would have the logical name '{other}-kms-{KEY_ID}"
        "-user-q', and so would the KMS grant of grant",
        "rename one of these grants",
    )
    assert error.startswith("cross-account-s3 found 2 problems")


def test_an_unreadable_bucket_keys_output_is_said_and_aliases_no_replica(run: RunProgram, grants_file) -> None:
    world = replicas_world()
    west_only = run("nonprod", config=grants_file(replicas_text(["other-bucket"]), "west.yaml"), world=world)
    world.previous_outputs = {**json.loads(json.dumps(west_only.outputs)), "bucketKeys": {"other-bucket": ["x"]}}
    result = run("nonprod", config=grants_file(replicas_text(["reports-bucket", "other-bucket"])), world=world)
    assert result.error is None, result.error
    assert {g.name: g.aliases for g in result.of_type(KMS_GRANT)} == {EAST_NAME: (), WEST_NAME: ()}
    (warning,) = [w for w in result.warnings if "'bucketKeys' output this version cannot read" in w]
    assert "keeps neither under its former name" in warning and "deleted aws:kms/grant:Grant" in warning
