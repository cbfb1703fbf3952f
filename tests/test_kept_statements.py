"""An Allow to everyone kept under `extraStatements`: who it lets in, and which the program keeps.

Whether a statement opens the bucket is judged by the independent IAM simulator, not by the program's
own rule. Each statement the program refuses is shown to let in a principal it never names (a stranger's
account, or any identity an account's administrators create); each statement it keeps is shown to keep
that stranger out. A kept one also leaves the grants' own access exactly as the access table says.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from cross_account_s3.core.grants_file import GRANTS_FILE
from cross_account_s3.core.loaded_grants import validate_grants
from cross_account_s3.core.problems import InputProblems
from cross_account_s3.core.yaml_source import parse_yaml
from tests.access_check import bucket_policy_of, mismatches
from tests.conftest import BUILD, NONPROD, THIRD, RunProgram, grants_yaml
from tests.iam_oracle.oracle import Request, evaluate
from tests.test_access import declared_for_stack

BUCKET = "reports-bucket"
OBJECT = f"arn:aws:s3:::{BUCKET}/file.txt"
GRANT = {"name": "readers", "users": ["u01"], "bucket": BUCKET, "access": "read"}
STRANGER = "arn:aws:iam::444455556666:user/stranger"  # an account nobody here knows
NEW_ROLE = f"arn:aws:iam::{THIRD}:role/made-by-its-admins-later"  # any identity that account may create
READER = f"arn:aws:iam::{THIRD}:role/reader"  # the one principal a kept statement names
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def asked_by(who: str, context: dict[str, str] | None = None) -> Request:
    """`who` (with every right in its own account) reads the bucket's object under the policy, as AWS asks it.

    AWS puts the caller's ARN and account (and an IAM user's name) into every signed request's context (IAM
    user guide, "AWS global condition context keys"); the simulator takes the context it is given.
    """
    account, kind_and_name = who.split(":")[4], who.split(":")[5]
    kind, _, name = kind_and_name.partition("/")
    signed = {"aws:PrincipalArn": who, "aws:PrincipalAccount": account}
    if kind == "user":
        signed["aws:username"] = name.rsplit("/", 1)[-1]
    return Request(who, "s3:GetObject", OBJECT, NONPROD, [ADMIN], {}, {**signed, **(context or {})})


@dataclass(frozen=True)
class Case:
    """An Allow to `*` behind `condition`, and a request by `who` (with its request `context`)."""

    condition: dict[str, Any]
    who: str = STRANGER
    context: dict[str, str] = field(default_factory=dict)
    reason: str = ""  # what the refusal says of the condition

    def statement(self) -> dict[str, Any]:
        return {
            "Sid": "Kept",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": self.condition,
        }

    def request(self) -> Request:
        policy = {"Version": "2012-10-17", "Statement": [self.statement()]}
        return replace(asked_by(self.who, self.context), resource_policy=policy)


# Conditions that do not fix who may use the statement, and someone the statement never names who gets in.
OPEN = {
    "public over TLS": Case(
        {"Bool": {"aws:SecureTransport": "true"}},
        context={"aws:SecureTransport": "true"},
        reason="aws:SecureTransport does not say who is asking",
    ),
    "a Like that matches any ARN": Case({"StringLike": {"aws:PrincipalArn": "?*"}}, reason="a pattern"),
    "an ArnLike that matches any ARN": Case({"ArnLike": {"aws:PrincipalArn": "arn:*:*:*:*:*"}}, reason="a pattern"),
    "a Null check": Case({"Null": {"aws:PrincipalArn": "false"}}, reason="only checks whether the request has"),
    "IfExists, passed by a request without the key": Case(
        {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        reason="passes any request that has no aws:SourceVpce",
    ),
    "every role of an account": Case(
        {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{THIRD}:role/*"}}, who=NEW_ROLE, reason="a pattern"
    ),
    "a whole account, as an account root": Case(
        {"StringEquals": {"aws:PrincipalAccount": THIRD}}, who=NEW_ROLE, reason="names whole accounts"
    ),
    "a whole organization": Case(
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        context={"aws:PrincipalOrgID": "o-abc123"},
        reason="names whole accounts or an organization",
    ),
    "everyone but one": Case(
        {"StringNotEquals": {"aws:PrincipalArn": READER}}, reason="matches every value but those listed"
    ),
    "a policy variable": Case({"StringEquals": {"aws:PrincipalArn": "${aws:PrincipalArn}"}}, reason="policy variable"),
    "a user name, which every account may have": Case(
        {"StringEquals": {"aws:username": "stranger"}}, reason="aws:username does not say who is asking"
    ),
    "an address range, which anyone behind it shares": Case(
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        context={"aws:SourceIp": "203.0.113.7"},
        reason="aws:SourceIp does not say who is asking",
    ),
}

# Conditions that fix who, and the stranger they keep out.
CLOSED = {
    "an exact principal ARN": Case({"StringEquals": {"aws:PrincipalArn": READER}}),
    "an exact principal ARN with ArnEquals": Case({"ArnEquals": {"aws:PrincipalArn": READER}}),
    "a Like without a wildcard": Case({"StringLike": {"aws:PrincipalArn": READER}}),
    "the key in another case": Case({"StringEquals": {"AWS:PrincipalArn": READER}}),
    "an exact VPC endpoint": Case(
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, context={"aws:SourceVpce": "vpce-99999999"}
    ),
    "an exact VPC": Case({"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}}, context={"aws:SourceVpc": "vpc-9999"}),
    "an exact source (CloudFront distribution)": Case(
        {"ArnEquals": {"aws:SourceArn": f"arn:aws:cloudfront::{NONPROD}:distribution/E1"}}
    ),
    "a wildcard ANDed with an exact endpoint": Case(
        {"StringLike": {"aws:PrincipalArn": "*"}, "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
    ),
}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, str]:
    """The simulator's verdict on each case's request, in one call."""
    names = [*OPEN, *CLOSED]
    answers = evaluate([{**OPEN, **CLOSED}[name].request() for name in names])
    return dict(zip(names, answers, strict=True))


def load(case: Case) -> InputProblems | None:
    """What the program says of a grants file keeping the case's statement: its refusal, or None when kept."""
    text = grants_yaml(GRANT, extraStatements={BUCKET: [case.statement()]})
    try:
        loaded = validate_grants(parse_yaml(text, "grants.yaml", rules=GRANTS_FILE), BUILD)
    except InputProblems as refused:
        return refused
    assert [statement["Sid"] for statement in loaded.extra_statements[BUCKET]] == ["Kept"]
    return None


@pytest.mark.parametrize("name", sorted(OPEN))
def test_an_allow_to_everyone_that_lets_in_someone_it_never_names_is_refused(
    name: str, verdicts: dict[str, str]
) -> None:
    case = OPEN[name]
    assert verdicts[name] == "Allowed", f"the simulator keeps {case.who} out: the case shows nothing"
    refused = load(case)
    assert refused is not None, f"kept a statement that lets {case.who} read the bucket"
    (problem,) = refused.problems
    assert problem.field == f"extraStatements.{BUCKET}[0]"
    for fragment in ("the statement 'Kept' allows everyone", case.reason, "makes the bucket public"):
        assert fragment in problem.message, f"{fragment!r} not in {problem.message!r}"
    assert "aws:PrincipalArn" in problem.fix


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_an_allow_to_everyone_behind_a_condition_that_fixes_who_is_kept(name: str, verdicts: dict[str, str]) -> None:
    assert verdicts[name] == "ImplicitlyDenied", "the simulator lets the stranger in: the case is not closed"
    refused = load(CLOSED[name])
    assert refused is None, refused.render()


def test_a_kept_allow_to_one_role_adds_that_role_and_nobody_else(run: RunProgram, grants_file) -> None:
    """Through the whole program: the bucket policy it writes lets the named role read, keeps the stranger
    and any other role of that account out, and the grant's own users get exactly their row of the table."""
    kept = CLOSED["an exact principal ARN"]
    result = run("nonprod", config=grants_file(grants_yaml(GRANT, extraStatements={BUCKET: [kept.statement()]})))
    assert mismatches(result, declared_for_stack("nonprod", [GRANT])) == []
    policy = bucket_policy_of(result, BUCKET)
    assert policy is not None
    asked = [replace(asked_by(who), resource_policy=policy) for who in (READER, NEW_ROLE, STRANGER)]
    assert evaluate(asked) == ["Allowed", "ImplicitlyDenied", "ImplicitlyDenied"]
