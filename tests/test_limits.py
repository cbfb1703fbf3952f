"""AWS hard limits, each tested exactly at the limit and one past it. Pure: no Pulumi involved."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from cross_account_s3.core import limits
from cross_account_s3.core.loaded_grants import validate_grants
from cross_account_s3.core.plan import Plan, build_plan
from cross_account_s3.core.policies import render_policy
from cross_account_s3.core.settings import Settings, parse_settings
from cross_account_s3.core.yaml_source import parse_yaml
from tests.conftest import grants_yaml

USER_ACCOUNT, BUCKET_ACCOUNT = "012345678901", "123456789012"


def settings(**raw: str) -> Settings:
    base = {
        "bucketAccount": json.dumps({"accountId": BUCKET_ACCOUNT, "region": "us-east-1"}),
        "userAccount": json.dumps({"accountId": USER_ACCOUNT, "region": "us-east-1"}),
    }
    return parse_settings({**base, **raw}, "nonprod", None)


def problems_for(grants: list[dict[str, Any]], stack: Settings | None = None, plan: Plan | None = None) -> list[str]:
    loaded = validate_grants(parse_yaml(grants_yaml(*grants), "grants.yaml"), USER_ACCOUNT)
    stack = stack or settings()
    return [p.render() for p in limits.limit_problems(plan or build_plan(loaded, stack), loaded, stack)]


def grants_for_user(count: int) -> list[dict[str, Any]]:
    return [
        {"name": f"g{i:02d}", "users": ["busy.user"], "bucket": "reports-bucket", "access": "read"}
        for i in range(count)
    ]


def test_a_user_may_be_in_ten_groups_but_not_eleven() -> None:
    assert problems_for(grants_for_user(10)) == []
    (problem,) = problems_for(grants_for_user(11))
    assert "'busy.user' would be in 11 IAM groups" in problem and "at most 10" in problem and "g10" in problem


def test_groups_outside_this_program_count() -> None:
    assert problems_for(grants_for_user(7), settings(otherGroupsPerUser="3")) == []
    assert problems_for(grants_for_user(7), settings(otherGroupsPerUser="4")) != []
    by_user = settings(otherGroupsByUser=json.dumps({"busy.user": 4}))
    (problem,) = problems_for(grants_for_user(7), by_user)
    assert "plus 4 outside this program" in problem


def with_identity_policy_of_size(plan: Plan, size: int) -> Plan:
    """The plan with its one group policy padded to exactly `size` non-whitespace characters."""
    grant_plan = plan.grants[0]
    document = dict(grant_plan.identity_policy)
    document["Statement"] = [{**document["Statement"][0], "Sid": "P"}]
    base = limits.non_whitespace_length(json.dumps(document))
    document["Statement"][0]["Sid"] = "P" * (size - base + 1)
    assert limits.non_whitespace_length(json.dumps(document)) == size
    return dataclasses.replace(plan, grants=(dataclasses.replace(grant_plan, identity_policy=document),))


def test_a_group_policy_may_have_5120_characters_but_not_5121() -> None:
    grants = [{"name": "big", "users": ["u01"], "bucket": "reports-bucket", "access": "read"}]
    loaded = validate_grants(parse_yaml(grants_yaml(*grants), "grants.yaml"), USER_ACCOUNT)
    plan = build_plan(loaded, settings())
    assert problems_for(grants, plan=with_identity_policy_of_size(plan, 5120)) == []
    (problem,) = problems_for(grants, plan=with_identity_policy_of_size(plan, 5121))
    assert "5121 characters" in problem and "5120" in problem and "grant 'big'" in problem


def test_a_real_grant_over_many_buckets_hits_the_group_policy_limit() -> None:
    grants = [
        {
            "name": "wide",
            "users": ["u01"],
            "buckets": [f"bucket-{i:03d}-with-a-long-name" for i in range(60)],
            "access": "full",
            "prefixes": ["incoming/", "outgoing/"],
        }
    ]
    (problem,) = problems_for(grants)
    assert "inline policy" in problem and "split the grant" in problem


def with_bucket_policy_of_size(plan: Plan, size: int) -> Plan:
    bucket_plan = plan.buckets[0]
    document = json.loads(json.dumps(bucket_plan.policy))
    document["Statement"][0]["Sid"] = "P"
    base = limits.provider_policy_bytes(document)
    document["Statement"][0]["Sid"] = "P" * (size - base + 1)
    assert limits.provider_policy_bytes(document) == size
    return dataclasses.replace(plan, buckets=(dataclasses.replace(bucket_plan, policy=document),))


def test_a_bucket_policy_may_use_its_budget_but_not_one_byte_more() -> None:
    grants = [{"name": "r", "users": ["u01"], "bucket": "reports-bucket", "access": "read"}]
    loaded = validate_grants(parse_yaml(grants_yaml(*grants), "grants.yaml"), USER_ACCOUNT)
    plan = build_plan(loaded, settings())
    budget = limits.BUCKET_POLICY_BUDGET
    # Below even the smaller reading of S3's "20 KB", with room to spare.
    assert 18_000 <= budget < 20_000
    assert problems_for(grants, plan=with_bucket_policy_of_size(plan, budget)) == []
    (problem,) = problems_for(grants, plan=with_bucket_policy_of_size(plan, budget + 1))
    assert f"{budget + 1} bytes" in problem and "reports-bucket" in problem and "20 KB" in problem
    assert "role" in problem and "second bucket" in problem


def test_the_size_is_that_of_the_text_the_provider_sends() -> None:
    """Go's json.Marshal, as terraform-plugin-sdk's NormalizeJsonString test expects it.

    helper/structure/normalize_json_test.go gives this pretty input and this compact output: no
    whitespace, sorted keys, non-ASCII kept as UTF-8, escapes as JSON writes them.
    """
    document = {"abc": {"xyz": [{"a": "ホリネズミ"}, {"b": "1\n2"}], "def": 123}}
    expected = '{"abc":{"def":123,"xyz":[{"a":"ホリネズミ"},{"b":"1\\n2"}]}}'
    assert limits.provider_policy_text(document) == expected
    assert limits.provider_policy_bytes(document) == len(expected.encode("utf-8"))


def test_html_characters_cost_what_go_escapes_them_to() -> None:
    """Go's encoder writes <, > and & as \\u003c, \\u003e and \\u0026: six bytes each, not one."""
    plain = {"Condition": {"StringLike": {"aws:UserAgent": "a-b-c-"}}}
    html = {"Condition": {"StringLike": {"aws:UserAgent": "a<b>c&"}}}
    assert limits.provider_policy_bytes(html) - limits.provider_policy_bytes(plain) == 3 * 5
    assert json.loads(limits.provider_policy_text(html)) == html
    assert "<" not in limits.provider_policy_text(html)


@pytest.mark.parametrize(("others", "allowed"), [(297, True), (298, False)])
def test_the_account_group_quota_counts_groups_outside_this_program(others: int, allowed: bool) -> None:
    grants = [{"name": f"g{i}", "users": [f"u{i}"], "bucket": "reports-bucket", "access": "read"} for i in range(3)]
    found = problems_for(grants, settings(otherGroupsInAccount=str(others)))
    assert (found == []) is allowed
    if not allowed:
        assert "301 IAM groups" in found[0] and "quota is 300" in found[0]


def test_a_raised_group_quota_is_respected() -> None:
    grants = [{"name": "g", "users": ["u"], "bucket": "reports-bucket", "access": "read"}]
    assert problems_for(grants, settings(otherGroupsInAccount="400", groupQuota="401")) == []


@pytest.mark.parametrize(("length", "allowed"), [(128, True), (129, False)])
def test_group_names_may_have_128_characters_with_the_prefix(length: int, allowed: bool) -> None:
    prefix = "p" * (length - 64)
    grants = [{"name": "n" * 64, "users": ["u01"], "bucket": "reports-bucket", "access": "read"}]
    found = problems_for(grants, settings(groupPrefix=prefix))
    assert (found == []) is allowed
    if not allowed:
        assert "129 characters" in found[0]


def test_group_names_that_differ_only_in_case_are_refused() -> None:
    grants = [{"name": n, "users": ["u01"], "bucket": "reports-bucket", "access": "read"} for n in ("team", "other")]
    loaded = validate_grants(parse_yaml(grants_yaml(*grants), "grants.yaml"), USER_ACCOUNT)
    plan = build_plan(loaded, settings())
    first, second = plan.grants
    assert first.group is not None and second.group is not None
    shouting = dataclasses.replace(second.group, name=first.group.name.upper())
    clashing = (first, dataclasses.replace(second, group=shouting))
    (problem,) = [
        p.render() for p in limits.limit_problems(dataclasses.replace(plan, grants=clashing), loaded, settings())
    ]
    assert "unique ignoring case" in problem


def test_a_group_policy_is_measured_as_aws_counts_the_text_it_is_sent() -> None:
    """AWS counts a group's inline policy without whitespace; the count must match the text the group gets."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/a b\tc/é<&>*"]}
        ],
    }
    sent = render_policy(document)
    assert limits.non_whitespace_length(limits.compact_policy_text(document)) == limits.non_whitespace_length(sent)
