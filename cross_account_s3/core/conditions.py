"""A kept statement's Condition: which operators IAM has, and whether it fixes who may use an Allow to everyone.

An operator IAM does not have makes S3 refuse the whole bucket policy (MalformedPolicy), but only when `pulumi up`
writes it. An Allow to `*` behind a condition that does not fix who may use it makes the bucket public, and S3 Block
Public Access then also blocks the cross-account access this program grants. Both are judged here, each rule beside
the IAM or S3 page it follows, so that `statements` can refuse such a statement while its grants file is read.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from .documents import as_list, principals
from .principal_shapes import PRINCIPAL_KINDS
from .validation import Finding, describe_value

# IAM's condition operators, as the IAM user guide spells them ("IAM JSON policy elements: Condition operators").
# The policy grammar takes a condition type from that list, and each such string "can have ... specific allowed
# values" ("Grammar of the IAM JSON policy language"); S3 answers a bucket policy with another one with
# MalformedPolicy, but only when `pulumi up` writes it. "You can add IfExists to the end of any condition operator
# name except the Null condition". ForAllValues: and ForAnyValue: qualify an operator for keys with several values
# ("Creating a condition with multiple keys or values"); the user guide names no operator they cannot qualify, so
# they are accepted before any, rather than refuse what AWS may accept.
_BASE_OPERATORS = (
    *(
        f"String{test}"
        for test in ("Equals", "NotEquals", "EqualsIgnoreCase", "NotEqualsIgnoreCase", "Like", "NotLike")
    ),
    *(
        f"{kind}{test}"
        for kind in ("Numeric", "Date")
        for test in ("Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")
    ),
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)
_OPERATORS = frozenset(
    f"{qualifier}{base}{suffix}"
    for qualifier in ("", "ForAllValues:", "ForAnyValue:")
    for base in _BASE_OPERATORS
    for suffix in ("", "IfExists")
    if not (base == "Null" and suffix)
)
_OPERATOR_SPELLING = {operator.lower(): operator for operator in _OPERATORS}


def operator_findings(statement: Mapping[str, Any]) -> list[Finding]:
    """Condition operators IAM does not have (`Bol`, `NullIfExists`), with a "did you mean".

    An operator IAM has, written in another case, is refused too: the IAM user guide does not say whether
    IAM reads it, and this program's own checks of who a condition lets in read operators as IAM spells them.
    """
    condition = statement.get("Condition")
    found: list[Finding] = []
    for operator in condition if isinstance(condition, dict) else ():
        if not isinstance(operator, str) or operator in _OPERATORS:
            continue  # a key that is not text is reported where the YAML is read
        spelt = _OPERATOR_SPELLING.get(operator.lower())
        if spelt is not None:
            found.append(
                (
                    ("Condition", operator),
                    f"'{operator}' is IAM's condition operator '{spelt}' written in another case; the IAM user guide "
                    "spells it one way, and this program reads operators only as spelt there",
                    f"write '{spelt}'",
                )
            )
            continue
        if operator.lower().endswith("nullifexists"):
            message = (
                f"'{operator}' adds IfExists to Null, which IAM allows on every condition operator but Null, and AWS "
                "refuses the policy"
            )
            hint = f"did you mean '{operator[: -len('IfExists')]}'? Null already tests whether the key is present; "
        else:
            message = f"'{operator}' is not one of IAM's condition operators, and AWS refuses the policy"
            close = difflib.get_close_matches(operator.lower(), list(_OPERATOR_SPELLING), n=1, cutoff=0.75)
            hint = f"did you mean '{_OPERATOR_SPELLING[close[0]]}'? " if close else ""
        found.append(
            (
                ("Condition", operator),
                message + " (MalformedPolicy) when `pulumi up` writes it",
                f"{hint}use one of IAM's condition operators (String..., Numeric..., Date..., Bool, BinaryEquals, "
                "IpAddress, NotIpAddress, Arn..., Null), with IfExists after it or ForAllValues: or ForAnyValue: "
                "before it where needed",
            )
        )
    return found


_ANY = {"Service": "service acting for any account", "Federated": "identity provider", "CanonicalUser": "S3 user"}


def opens_to_anyone(statement: Mapping[str, Any]) -> str | None:
    """How an Allow reaches principals nobody named ("but those 'NotPrincipal' lists", ...), or None.

    An Allow to `*` is kept only behind a condition that fixes who may use it. "If your policy has multiple
    condition operators or multiple keys attached to a single condition operator, the conditions are
    evaluated using a logical AND" (IAM user guide, "IAM JSON policy elements: Condition"), so one such
    clause limits the whole statement; every other clause is named with why it does not.
    """
    if "NotPrincipal" in statement:
        return "but the principals 'NotPrincipal' lists"
    anyone = next((kind for kind in PRINCIPAL_KINDS if "*" in principals(statement, kind)), None)
    if anyone is None:
        return None
    # A wildcard service (or federated, or canonical user) principal is no narrower: any account's use of any
    # service. S3 calls a policy public unless it grants only to fixed principals (see `_FIXES_WHO` below).
    written = "'Principal: *'" if anyone == "AWS" else f"'Principal: {{{anyone}: *}}', any {_ANY[anyone]}"
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or not condition:
        return f"({written}) with no condition"
    reasons: list[str] = []
    for operator, keys in condition.items():
        for key, values in keys.items() if isinstance(keys, dict) else ():
            reason = _why_it_does_not_fix_who(str(operator), str(key), values)
            if reason is None:
                return None
            reasons.append(reason)
    return f"({written}) and its Condition does not limit who ({'; '.join(reasons) or 'it holds no clause'})"


# Which conditions fix who may use an Allow to `*`. S3 calls a bucket policy public unless it grants only to
# "A fixed AWS principal, user, role, or service principal", or a fixed aws:SourceArn, aws:SourceVpc,
# aws:SourceVpce, aws:SourceOwner, aws:SourceAccount or aws:userid, or limits access to CIDRs in aws:SourceIp
# (S3 API reference, PublicAccessBlockConfiguration). This program is stricter. It never grants to an account
# root (an account principal "delegate[s] permissions to the account", whose administrators pass it on: IAM
# user guide, "AWS JSON policy elements: Principal"), so a key naming whole accounts or an organization is
# the same grant and is refused too. An address range or a user name says nothing about which account asks.
# A value is fixed when it holds no wildcard and no policy variable.
_FIXES_WHO = frozenset({"aws:principalarn", "aws:sourcearn", "aws:sourcevpce", "aws:sourcevpc"})
_WHOLE_ACCOUNTS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
    }
)
# Operators that match a fixed value as written. A Like operator is an exact match when its value has no
# wildcard; ArnEquals takes wildcards as ArnLike does (IAM user guide, "Condition operators": "Each of the
# six colon-delimited components of the ARN is checked separately and each can include ... wildcards").
_EXACT = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})


def _why_it_does_not_fix_who(operator: str, key: str, values: Any) -> str | None:
    """Why one condition clause leaves an Allow to `*` open to principals nobody named, or None when it fixes who.

    The IAM user guide ("Condition operators") says why each is refused: with ...IfExists, "If the key is
    not present, evaluate the condition element as true"; Null only checks whether a key is present;
    ForAllValues is true when the request has no such key; a negated operator matches every value but
    those listed. Context key names are not case-sensitive ("IAM JSON policy elements: Condition").
    """
    if operator.endswith("IfExists"):
        return f"{operator} on {key} passes any request that has no {key}"
    if operator.startswith(("ForAnyValue:", "ForAllValues:")):
        return f"{operator} is for keys with several values, and ForAllValues passes a request without the key"
    if operator == "Null":
        return f"Null on {key} only checks whether the request has the key"
    if key.lower() in _WHOLE_ACCOUNTS:
        return (
            f"{key} names whole accounts or an organization, which, like an account root, lets their "
            "administrators pass the access to any of their identities"
        )
    if key.lower() not in _FIXES_WHO:
        return (
            f"{key} does not say who is asking (aws:PrincipalArn, aws:SourceArn, aws:SourceVpce and aws:SourceVpc do)"
        )
    if operator not in _EXACT:
        if "Not" in operator:
            return f"{operator} on {key} matches every value but those listed"
        return f"{operator} on {key} is not an exact match (StringEquals or ArnEquals is)"
    listed = as_list(values)
    if not listed:
        return f"{operator} on {key} has no value"
    for value in listed:
        if not isinstance(value, str) or not value:
            return f"{operator} on {key} has the value {describe_value(value)}, which is no ARN or ID"
        if "${" in value:
            return f"{operator} on {key} has the value {value!r}, a policy variable that takes each request's own value"
        if "*" in value or "?" in value:
            return f"{operator} on {key} has the value {value!r}, a pattern that matches more than one"
    return None
