"""`bucketSettings:` in the grants file: validated with file and line, in the schema, and shown by `plan`."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from cross_account_s3.core.grants_file import grants_json_schema
from cross_account_s3.core.loaded_grants import validate_grants
from cross_account_s3.core.problems import InputProblems
from cross_account_s3.core.yaml_source import parse_yaml
from cross_account_s3.review.render import plan_as_json, render_plan_text
from cross_account_s3.review.runner import plan_stack
from tests.conftest import PROJECT_ROOT

GRANTS = """grants:
  - name: reads-shared
    users: [test.user]
    bucket: shared-bucket
    access: read
bucketSettings:
"""


def _problems(settings: str) -> str:
    with pytest.raises(InputProblems) as refused:
        validate_grants(parse_yaml(GRANTS + settings, "grants.yaml"), None)
    return refused.value.render()


def test_a_region_is_accepted() -> None:
    loaded = validate_grants(parse_yaml(GRANTS + "  shared-bucket:\n    region: eu-west-1\n", "g.yaml"), None)
    assert loaded.bucket_settings["shared-bucket"].region == "eu-west-1"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            "  shared-bucket:\n    region: Europe\n",
            "grants.yaml:8: field 'bucketSettings.shared-bucket.region': is 'Europe', which is not an AWS region name",
        ),
        (
            "  shared-bucket:\n    regoin: eu-west-1\n",
            "grants.yaml:8: field 'bucketSettings.shared-bucket.regoin': is not a field this program knows\n"
            "    fix: did you mean 'region'?",
        ),
        (
            "  other-bucket:\n    region: eu-west-1\n",
            "grants.yaml:7: field 'bucketSettings.other-bucket': names a bucket that no grant",
        ),
        ("  Bad_Bucket:\n    region: eu-west-1\n", "grants.yaml:7: field 'bucketSettings.Bad_Bucket': the bucket name"),
        ("  - shared-bucket\n", "grants.yaml:6: field 'bucketSettings': must map bucket names to their settings"),
    ],
)
def test_bad_settings_are_located_and_explained(settings: str, expected: str) -> None:
    assert expected in _problems(settings)


def test_a_bad_region_does_not_hide_a_bad_key_in_the_same_entry() -> None:
    """Every problem at once: the key's check must not depend on the region being valid."""
    problems = _problems("  shared-bucket:\n    region: Europe\n    kmsKey: alias/aws/s3\n")
    assert "grants.yaml:8: field 'bucketSettings.shared-bucket.region': is 'Europe'" in problems
    assert "grants.yaml:9: field 'bucketSettings.shared-bucket.kmsKey': is 'alias/aws/s3'" in problems
    assert problems.count("\n  - ") == 2


def test_the_schema_knows_bucket_settings() -> None:
    validator = Draft202012Validator(grants_json_schema())
    base = {"grants": [{"name": "g", "users": ["u"], "bucket": "shared-bucket", "access": "read"}]}
    assert validator.is_valid({**base, "bucketSettings": {"shared-bucket": {"region": "eu-west-1"}}})
    assert not validator.is_valid({**base, "bucketSettings": {"shared-bucket": {"region": "Europe"}}})
    assert not validator.is_valid({**base, "bucketSettings": {"shared-bucket": {"regoin": "eu-west-1"}}})


def test_plan_shows_each_buckets_region(tmp_path) -> None:
    grants = tmp_path / "grants.yaml"
    grants.write_text(
        GRANTS.replace("bucket: shared-bucket", "buckets: [shared-bucket, home-bucket]")
        + "  shared-bucket:\n    region: eu-west-1\n",
        encoding="utf-8",
    )
    snapshot = plan_stack(PROJECT_ROOT, "nonprod", str(grants))
    text = render_plan_text(snapshot)
    assert "  shared-bucket in account 123456789012, region eu-west-1:" in text
    assert "  home-bucket in account 123456789012, region us-east-1:" in text
    policies = json.loads(json.dumps(plan_as_json(snapshot)))["bucketPolicies"]
    assert {bucket: entry["region"] for bucket, entry in policies.items()} == {
        "home-bucket": "us-east-1",
        "shared-bucket": "eu-west-1",
    }
