"""Every policy the program generates passes parliament, for both stacks and a spread of grants files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cross_account_s3.core import s3_actions
from cross_account_s3.infra.offline_runner import run_program
from tests.conftest import BUILD, NONPROD, PROJECT_ROOT, fixture_world
from tests.fake_aws import FakeKey, FakeWorld
from tests.iam_oracle.oracle import ORACLE_DIR
from tests.policy_lint import (
    ACTIONS_NEWER_THAN_PARLIAMENT,
    GET_OBJECT_ATTRIBUTES_MISMATCH,
    KNOWN_WRONG,
    findings,
    lint_run,
    policy_documents,
    raw_findings,
    without_key_colons,
)

# Per stack: two plain users, a user with a path (as an ARN), and three buckets of the right account.
STACKS: dict[str, dict[str, str]] = {
    "nonprod": {
        "u1": "test.user",
        "u2": "u01",
        "arn_user": f"arn:aws:iam::{BUILD}:user/ci/deployer",
        "b1": "my-shared-bucket-20932",
        "b2": "reports-bucket",
        "b3": "other-bucket",
        "key": f"arn:aws:kms:us-east-1:{NONPROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    },
    "build": {
        "u1": "qa-runner",
        "u2": "ua-runner",
        "arn_user": f"arn:aws:iam::{NONPROD}:user/perf/perf-lab",
        "b1": "build-artifacts-012345678901",
        "b2": "build-test-reports-012345678901",
        "b3": "build-cache-012345678901",
        "key": f"arn:aws:kms:us-east-1:{BUILD}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    },
}

GRANTABLE = s3_actions.grantable()
GRANTABLE_UNDER_PREFIXES = s3_actions.grantable(under_prefixes=True)

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::{b2}", "arn:aws:s3:::{b2}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _grants(**grants: dict[str, Any]) -> dict[str, Any]:
    return {"grants": [{"name": name.replace("_", "-"), **grant} for name, grant in grants.items()]}


SPREAD: dict[str, dict[str, Any]] = {
    "every-level": _grants(
        read={"users": ["{u1}"], "bucket": "{b1}", "access": "read"},
        write={"users": ["{u2}"], "bucket": "{b1}", "access": "write"},
        rw={"users": ["{u1}", "{u2}"], "bucket": "{b2}", "access": "read-write"},
        full={"users": ["{arn_user}"], "buckets": ["{b2}", "{b3}"], "access": "full"},
    ),
    "prefixes": _grants(
        team={"users": ["{u1}", "{u2}"], "bucket": "{b1}", "access": "read-write", "prefixes": ["team-a/", "shared/"]},
        odd={"users": ["{u1}"], "bucket": "{b2}", "access": "read", "prefixes": ["with space/", "données/", "a=b,c"]},
        deep={"users": ["{arn_user}"], "buckets": ["{b1}", "{b3}"], "access": "full", "prefixes": ["a/b/c/d/"]},
    ),
    "every-grantable-action": _grants(
        everything={"users": ["{u1}"], "bucket": "{b1}", "actions": GRANTABLE},
        everything_prefixed={
            "users": ["{u2}"],
            "bucket": "{b2}",
            "actions": GRANTABLE_UNDER_PREFIXES,
            "prefixes": ["logs/"],
        },
    ),
    "wildcards": _grants(
        gets={"users": ["{u1}"], "bucket": "{b1}", "actions": ["s3:Get*", "s3:List*"]},
        objects={
            "users": ["{u2}"],
            "bucket": "{b1}",
            "actions": ["s3:GetObject*", "s3:?utObject"],
            "prefixes": ["in/"],
        },
        one={"users": ["{arn_user}"], "bucket": "{b3}", "actions": ["s3:GetObjectVersion", "s3:GetBucketLocation"]},
    ),
    "kms-encrypted": {
        **_grants(
            read={"users": ["{u1}"], "bucket": "{b1}", "access": "read"},
            team={"users": ["{u1}", "{u2}"], "buckets": ["{b1}", "{b2}"], "access": "full", "prefixes": ["team-a/"]},
            gets={"users": ["{arn_user}"], "bucket": "{b2}", "actions": ["s3:GetObject*", "s3:ListBucket"]},
        ),
        "bucketSettings": {"{b1}": {"kmsKey": "{key}"}, "{b2}": {"kmsKey": "{key}"}},
    },
    "foreign-statements-kept": {
        **_grants(read={"users": ["{u1}"], "bucket": "{b2}", "access": "read"}),
        "extraStatements": {"{b2}": [TLS_ONLY]},
    },
}


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, dict):
        return {_fill(key, names): _fill(item, names) for key, item in value.items()}
    return value


def _world(stack: str, names: dict[str, str], *, foreign: bool) -> FakeWorld:
    """The committed world, plus a user with a path and, when asked, b2's live policy holding TLS_ONLY."""
    world = fixture_world()
    world.account(BUILD).users["deployer"] = "/ci/"
    world.account(NONPROD if stack == "nonprod" else BUILD).keys[names["key"]] = FakeKey()
    if foreign:
        bucket_account = NONPROD if stack == "nonprod" else BUILD
        tls_only = _fill(TLS_ONLY, names)
        world.account(bucket_account).buckets[names["b2"]] = {"Version": "2012-10-17", "Statement": [tls_only]}
    return world


@pytest.mark.parametrize("stack", ["nonprod", "build"])
def test_the_committed_stacks_lint_clean(stack: str) -> None:
    run = run_program(PROJECT_ROOT, stack, world=fixture_world())
    assert run.error is None, run.error
    assert len(policy_documents(run)) >= 2
    assert lint_run(run) == []


@pytest.mark.parametrize("stack", ["nonprod", "build"])
@pytest.mark.parametrize("spread", sorted(SPREAD))
def test_a_spread_of_grants_files_lints_clean(stack: str, spread: str, tmp_path: Path) -> None:
    names = STACKS[stack]
    grants = tmp_path / "grants.yaml"
    grants.write_text(json.dumps(_fill(SPREAD[spread], names)), encoding="utf-8")
    run = run_program(
        PROJECT_ROOT,
        stack,
        config={"cross-account-s3:grantsFile": str(grants)},
        world=_world(stack, names, foreign="extraStatements" in SPREAD[spread]),
    )
    assert run.error is None, run.error
    documents = policy_documents(run)
    assert any("Principal" in text for text in documents.values()) and len(documents) >= 2
    assert lint_run(run) == []


def test_the_linter_does_fail_a_bad_policy() -> None:
    bad_version = {
        "Version": "2012-02-02",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
    }
    assert {"INVALID_VERSION", "UNKNOWN_ACTION"} <= {f.issue for f in findings(json.dumps(bad_version))}
    wrong_resource = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}],
    }
    assert {f.issue for f in findings(json.dumps(wrong_resource))} == {"RESOURCE_MISMATCH"}


def _one_statement(action: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": [action], "Resource": ["arn:aws:s3:::b/k*", "arn:aws:s3:::b"]}],
        }
    )


def _aws_reference_s3() -> dict[str, Any]:
    path = ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-data" / "data" / "actions" / "s3.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("action", ACTIONS_NEWER_THAN_PARLIAMENT)
def test_each_unknown_action_exception_is_still_needed_and_really_wrong(action: str) -> None:
    """parliament still calls it unknown, yet AWS's current reference (two independent copies) lists it."""
    assert ("UNKNOWN_ACTION", f"Unknown action {action}") in {
        (f.issue, f.detail) for f in raw_findings(_one_statement(action))
    }
    assert action.split(":")[1].lower() in _aws_reference_s3()
    assert action.lower() in s3_actions.catalogue()


def test_the_get_object_attributes_exception_is_still_needed_and_really_wrong() -> None:
    key = ("RESOURCE_MISMATCH", json.dumps(GET_OBJECT_ATTRIBUTES_MISMATCH, sort_keys=True))
    assert key in {(f.issue, f.detail) for f in raw_findings(_one_statement("s3:GetObjectAttributes"))}
    resource_types = {r["name"] for r in _aws_reference_s3()["getobjectattributes"]["resourceTypes"]}
    assert "object" in resource_types


def test_an_exception_covers_only_its_own_action() -> None:
    """A second, real mismatch in the same statement as an excepted one still fails."""
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObjectAttributes", "s3:ListBucket"],
                    "Resource": "arn:aws:s3:::b/*",
                }
            ],
        }
    )
    assert [f.detail for f in findings(text)] == [
        json.dumps({"action": "s3:ListBucket", "required_format": "arn:*:s3:::*"}, sort_keys=True)
    ]
    assert len(KNOWN_WRONG) == len(ACTIONS_NEWER_THAN_PARLIAMENT) + 1


def _object_policy(action: str, key: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": [action], "Resource": [f"arn:aws:s3:::bkt/{key}*"]}],
        },
        indent=2,
    )


def test_colons_in_object_keys_are_hidden_from_parliament_only_because_it_misreads_them() -> None:
    """Found by the property tests: a prefix such as 'a:b/' is a legal S3 key, yet parliament reports a mismatch."""
    assert [f.issue for f in raw_findings(_object_policy("s3:GetObject", "a:b/"))] == ["RESOURCE_MISMATCH"]
    assert findings(_object_policy("s3:GetObject", "a:b/")) == []
    assert [f.issue for f in findings(_object_policy("s3:ListBucket", "a:b/"))] == ["RESOURCE_MISMATCH"]
    assert (
        without_key_colons('"arn:aws:s3:::bkt/a:b*", "arn:aws:s3:::bkt"')
        == '"arn:aws:s3:::bkt/a_b*", "arn:aws:s3:::bkt"'
    )
