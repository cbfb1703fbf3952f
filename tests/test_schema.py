"""The editor schema (grants/schema.json) is generated from the models that validate grants files, and agrees with them.

An editor that accepts a file the program refuses, or flags one it accepts, teaches people to ignore
it; these tests keep the committed schema, the committed files and the program's validation in step.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from cross_account_s3.cli import schema_text
from cross_account_s3.core.grants_file import SCHEMA_FILE, grants_json_schema
from cross_account_s3.core.loaded_grants import validate_grants
from cross_account_s3.core.problems import InputProblems
from cross_account_s3.core.yaml_source import parse_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
USER_ACCOUNT = "012345678901"
FIXTURE_GRANTS = sorted(path for path in (PROJECT_ROOT / "tests" / "fixtures" / "project" / "grants").glob("*.yaml"))


def schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((PROJECT_ROOT / SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_errors(text: str) -> list[str]:
    return [error.message for error in schema_validator().iter_errors(yaml.safe_load(textwrap.dedent(text)))]


def program_accepts(text: str) -> bool:
    try:
        validate_grants(parse_yaml(textwrap.dedent(text), "example.yaml"), USER_ACCOUNT)
    except InputProblems:
        return False
    return True


def test_committed_schema_is_the_generated_one() -> None:
    committed = (PROJECT_ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert json.loads(committed) == grants_json_schema(), (
        "regenerate: python -m cross_account_s3 schema > grants/schema.json"
    )
    assert committed == schema_text()


def test_schema_command_prints_the_committed_schema() -> None:
    from click.testing import CliRunner

    from cross_account_s3.cli import main

    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert result.output == (PROJECT_ROOT / SCHEMA_FILE).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", FIXTURE_GRANTS, ids=lambda path: path.name)
def test_committed_grants_files_validate_and_point_editors_at_the_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=./schema.json\n")
    assert schema_errors(text) == []


def test_there_are_committed_grants_files_to_check() -> None:
    assert {path.name for path in FIXTURE_GRANTS} >= {"nonprod.yaml", "build.yaml"}


GOOD_EXAMPLES: dict[str, str] = {
    "one bucket, a level": """
        grants:
          - name: readers
            users: [u01]
            bucket: reports-bucket
            access: read
        """,
    "several buckets, actions, prefixes, an ARN user": """
        grants:
          - name: uploaders
            description: CI uploads and reads back its own artifacts.
            users: [u01, "arn:aws:iam::012345678901:user/ci/deployer"]
            buckets: [reports-bucket, other-bucket]
            actions: [s3:PutObject, s3:GetObject*]
            prefixes: [ci/]
        """,
    "extra statements kept verbatim": """
        grants:
          - name: readers
            users: [u01]
            bucket: reports-bucket
            access: read-write
        extraStatements:
          reports-bucket:
            - Sid: DenyInsecureTransport
              Effect: Deny
              Principal: "*"
              Action: "s3:*"
              Resource: ["arn:aws:s3:::reports-bucket/*"]
              Condition: {Bool: {"aws:SecureTransport": "false"}}
        """,
    "an extra statement allowing one principal, written as text": """
        grants:
          - name: readers
            users: [u01]
            bucket: reports-bucket
            access: read
        extraStatements:
          reports-bucket:
            - Sid: AuditRoleReadsLocation
              Effect: Allow
              Principal: {AWS: "arn:aws:iam::123456789012:role/audit"}
              Action: s3:GetBucketLocation
              Resource: arn:aws:s3:::reports-bucket
        """,
}


@pytest.mark.parametrize("text", GOOD_EXAMPLES.values(), ids=GOOD_EXAMPLES.keys())
def test_good_examples_pass_both_the_schema_and_the_program(text: str) -> None:
    assert schema_errors(text) == []
    assert program_accepts(text)


def _grant(**fields: Any) -> str:
    base: dict[str, Any] = {"name": "readers", "users": ["u01"], "bucket": "reports-bucket", "access": "read"}
    base.update(fields)
    return yaml.safe_dump({"grants": [{key: value for key, value in base.items() if value is not None}]})


BAD_EXAMPLES: dict[str, str] = {
    "not a mapping": "- just a list\n",
    "no grants list": "grant: []\n",
    "unknown top-level key": _grant() + "owner: me\n",
    "unknown grant field (typo)": _grant(acess="read"),
    "no users": _grant(users=None),
    "empty users": _grant(users=[]),
    "upper-case grant name": _grant(name="Readers"),
    "grant name with spaces": _grant(name="my readers"),
    "both bucket and buckets": _grant(buckets=["other-bucket"]),
    "neither bucket nor buckets": _grant(bucket=None),
    "both access and actions": _grant(actions=["s3:GetObject"]),
    "neither access nor actions": _grant(access=None),
    "unknown access level": _grant(access="admin"),
    "bucket name with capitals": _grant(bucket="Reports_Bucket"),
    "bucket name shaped like an IP address": _grant(bucket="192.168.1.1"),
    "user name with a space": _grant(users=["test user"]),
    "every S3 action": _grant(access=None, actions=["s3:*"]),
    "not an S3 action": _grant(access=None, actions=["iam:PassRole"]),
    "prefix starting with a slash": _grant(prefixes=["/reports/"]),
    "prefix with a wildcard": _grant(prefixes=["reports/*"]),
    "prefix written as an S3 URL": _grant(prefixes=["s3://reports-bucket/uploads/"]),
    "prefix written as an ARN": _grant(prefixes=["arn:aws:s3:::reports-bucket/uploads/"]),
    "empty prefixes": _grant(prefixes=[]),
    "a bucket region of another partition": _grant() + "bucketSettings:\n  reports-bucket: {region: cn-north-1}\n",
    "a number where text belongs": _grant(users=[12345]),
    "extra statement with the program's own Sid": _grant()
    + "extraStatements:\n  reports-bucket:\n    - {Sid: CrossAccountS3Mine, Effect: Allow}\n",
    "extra statement with a bad Effect": _grant()
    + "extraStatements:\n  reports-bucket:\n    - {Sid: Theirs, Effect: Permit}\n",
    "no statements kept for a bucket": _grant() + "extraStatements:\n  reports-bucket: []\n",
    "extra statement open to everyone": _grant()
    + "extraStatements:\n  reports-bucket:\n    - {Sid: Open, Effect: Allow, Principal: {AWS: ['*']}, "
    "Action: 's3:GetObject', Resource: '*'}\n",
}


@pytest.mark.parametrize("text", BAD_EXAMPLES.values(), ids=BAD_EXAMPLES.keys())
def test_bad_examples_fail_both_the_schema_and_the_program(text: str) -> None:
    assert schema_errors(text), "the schema accepted a file the program must refuse"
    assert not program_accepts(text), "the program accepted a file the schema refuses"
