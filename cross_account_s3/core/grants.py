"""The grants file: who gets which access to which buckets.

The pydantic models here are the single source of truth for the file's format. They validate it,
and `grants_json_schema()` turns the same models into the JSON Schema that editors use, so the
two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic.config import JsonDict

from . import naming, s3_actions
from .bucket_settings import KEY as BUCKET_SETTINGS_KEY
from .bucket_settings import BucketSettings, validate_bucket_settings
from .problems import Problem, raise_if_any
from .validation import describe_value, known_fields, problem_at, reject, to_problems
from .yaml_source import YamlDocument, read_yaml

AccessLevel = Literal["read", "write", "read-write", "full"]

# Every statement this program writes into a bucket policy has a Sid starting with this, which is
# how it tells its own statements from those someone else wrote.
OWN_SID_PREFIX = "CrossAccountS3"
# The exact shape of those Sids (see policies._stable_sid). A statement that only starts with the
# prefix was written by hand, and is treated like any other statement someone else wrote.
OWN_SID = re.compile(rf"{OWN_SID_PREFIX}(?:Objects|Listing|Bucket)[0-9a-f]{{10}}", re.ASCII)
SCHEMA_FILE = "grants/schema.json"


def _check_grant_name(value: str) -> str:
    if not naming.GRANT_NAME.fullmatch(value):
        suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:64] or "my-grant"
        reject(
            f"{value!r} is not a valid grant name: use 1 to 64 lowercase letters, digits and hyphens, starting "
            "and ending with a letter or digit (it becomes part of an IAM group name and of Pulumi's logical "
            "names)",
            f"rename it, for example to '{suggestion}'",
        )
    return value


def _check_user(value: str, info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    user_account = context.get("user_account")
    if value.startswith("arn:"):
        match = naming.USER_ARN.fullmatch(value)
        if not match:
            reject(
                f"{value!r} is not an IAM user ARN",
                "write a user name such as 'test.user', or an ARN such as 'arn:aws:iam::<user account>:user/ci/deploy'",
            )
        if not naming.IAM_USER_NAME.fullmatch(match["name"]) or len(match["path"]) > naming.MAX_IAM_PATH:
            reject(
                f"{value!r} has a malformed user name or path",
                "user names are 1-64 characters of letters, digits and +=,.@_-",
            )
        if user_account is not None and match["account"] != user_account:
            reject(
                f"{value!r} is a user in account {match['account']}, but this stack's users live in account "
                f"{user_account} (userAccount); a bucket policy naming another account's user would open the "
                "bucket to that account",
                f"use a user of account {user_account}, or its plain user name",
            )
        return value
    if not naming.IAM_USER_NAME.fullmatch(value):
        reject(
            f"{value!r} is not a valid IAM user name: 1 to 64 characters of letters, digits and +=,.@_- "
            "(no spaces, slashes or accented letters)",
            "copy the user name exactly as the IAM console shows it, or give the user's full ARN",
        )
    return value


def _check_bucket(value: str) -> str:
    reason = naming.bucket_name_problem(value)
    if reason:
        reject(f"the bucket name {value!r} {reason}", "use the bucket's exact name as the S3 console shows it")
    return value


def _check_action(value: str) -> str:
    service, _, name = value.partition(":")
    if value == "*" or (service.lower() == "s3" and name.strip("*?") == ""):
        reject(
            f"{value!r} grants every S3 action, including deleting the bucket and rewriting its policy",
            "use 'access: full' for full data access, or list the actions you need, such as s3:GetObject",
        )
    if service.lower() != "s3" or not name:
        reject(
            f"{value!r} is not an S3 action; this program grants only S3 access",
            "remove it, and grant other services' access elsewhere",
        )
    if not re.fullmatch(r"[A-Za-z0-9*?]+", name, flags=re.ASCII):
        reject(f"{value!r} is not a well-formed S3 action", "write it like s3:GetObject or s3:Get*")
    expansion = s3_actions.expand(value)
    if expansion.administrative:
        names = ", ".join(action.name for action in expansion.administrative[:5])
        more = len(expansion.administrative) - 5
        names += f" and {more} more" if more > 0 else ""
        reject(
            f"{value!r} includes actions this program never grants across accounts ({names}): bucket or "
            "permission administration, deleting object versions, retention locks or replication; it grants "
            "data access, never control of the bucket or of who else can reach it",
            "list only the data actions you need, for example s3:PutObject, or use an access level",
        )
    if not expansion.grantable:
        if expansion.elsewhere:
            reject(
                f"{value!r} acts on neither a bucket nor its objects (it is an account, access point or job "
                "action), so a bucket policy cannot grant it",
                "remove it",
            )
        close = s3_actions.suggest(value)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        reject(f"{value!r} matches no S3 action", f"{hint}check the spelling against the S3 actions list")
    return value


def _check_prefix(value: str) -> str:
    if value == "":
        reject("an empty prefix would cover the whole bucket", "remove 'prefixes' to grant the whole bucket")
    if value.startswith("/"):
        reject(
            f"the prefix {value!r} starts with '/'; S3 keys do not, so it would match nothing",
            f"write it as {value.lstrip('/')!r}",
        )
    if any(char in value for char in "*?$") or any(ord(char) < 0x20 for char in value):
        reject(
            f"the prefix {value!r} contains a wildcard, '$' or a control character, which would change what the "
            "policy matches",
            "write the literal key prefix, such as 'reports/'",
        )
    if len(value.encode()) > 1024:
        reject("the prefix is longer than S3's 1,024-byte key limit", "shorten it")
    return value


GrantName = Annotated[
    str,
    AfterValidator(_check_grant_name),
    Field(
        description="Unique grant name: lowercase letters, digits and hyphens.",
        json_schema_extra={"pattern": f"^{naming.GRANT_NAME.pattern}$"},
    ),
]
UserRef = Annotated[
    str,
    AfterValidator(_check_user),
    Field(
        description="An IAM user name in the user account, or that user's full ARN.",
        json_schema_extra={
            "pattern": r"^(arn:aws:iam::[0-9]{12}:user/([!-~]*/)?[A-Za-z0-9+=,.@_-]"
            r"{1,64}|[A-Za-z0-9+=,.@_-]{1,64})$"
        },
    ),
]
BucketName = Annotated[
    str,
    AfterValidator(_check_bucket),
    Field(
        description="An S3 bucket name in the bucket account.",
        json_schema_extra={
            "pattern": r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "not": {"pattern": r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$"},
        },
    ),
]
ActionPattern = Annotated[
    str,
    AfterValidator(_check_action),
    Field(
        description="An s3: action; * and ? wildcards are expanded against AWS's list.",
        json_schema_extra={"pattern": r"^[sS]3:[A-Za-z0-9?]*[A-Za-z0-9][A-Za-z0-9*?]*$"},
    ),
]
Prefix = Annotated[
    str,
    AfterValidator(_check_prefix),
    Field(description="A literal key prefix such as 'reports/'.", json_schema_extra={"pattern": r"^[^/*?$][^*?$]*$"}),
]

_EXACTLY_ONE: JsonDict = {
    "allOf": [
        {"oneOf": [{"required": ["bucket"]}, {"required": ["buckets"]}]},
        {"oneOf": [{"required": ["access"]}, {"required": ["actions"]}]},
    ]
}


class Grant(BaseModel):
    """One entry of the grants file: these users get this access to these buckets."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, json_schema_extra=_EXACTLY_ONE)

    name: GrantName
    description: str | None = Field(default=None, description="Why these users need this access.")
    users: list[UserRef] = Field(min_length=1, description="IAM users in the user account.")
    bucket: BucketName | None = Field(default=None, description="The bucket; or use 'buckets'.")
    buckets: list[BucketName] | None = Field(default=None, min_length=1, description="The buckets; or use 'bucket'.")
    access: AccessLevel | None = Field(
        default=None,
        description="read: get and list; write: upload only; read-write: both; full: also delete. Or use 'actions'.",
    )
    actions: list[ActionPattern] | None = Field(
        default=None, min_length=1, description="Explicit s3: actions instead of 'access'."
    )
    prefixes: list[Prefix] | None = Field(
        default=None, min_length=1, description="Limit object access and listing to these key prefixes."
    )

    @model_validator(mode="after")
    def _exactly_one_of_each_pair(self) -> Grant:
        for field, message, fix in pair_and_repeat_problems(self.model_dump(exclude_none=True)):
            reject(message, fix, field=field)
        if self.prefixes and self.actions:
            whole_bucket = sorted(
                {
                    action.name
                    for pattern in self.actions
                    for action in s3_actions.expand(pattern).grantable
                    if not action.narrows_to_prefixes
                }
            )
            if whole_bucket:
                shown = ", ".join(whole_bucket[:5]) + (
                    f" and {len(whole_bucket) - 5} more" if len(whole_bucket) > 5 else ""
                )
                reject(
                    f"with 'prefixes', these actions would still act on the whole bucket, because S3 cannot narrow "
                    f"them to a prefix: {shown}",
                    "remove them (for s3:Get*, write s3:GetObject*), or remove 'prefixes'",
                    field="actions",
                )
        return self

    @property
    def bucket_names(self) -> tuple[str, ...]:
        return tuple(self.buckets) if self.buckets is not None else ((self.bucket,) if self.bucket else ())

    @staticmethod
    def user_name(user: str) -> str:
        """The IAM user name of a user entry, whether it is a name or an ARN."""
        match = naming.USER_ARN.fullmatch(user)
        return match["name"] if match else user

    def access_label(self) -> str:
        """How a reviewer reads this grant's access: a level name, or the action list."""
        return self.access if self.access is not None else "actions " + ", ".join(sorted(self.actions or []))


def pair_and_repeat_problems(item: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(field, message, fix) for the rules that span fields: exactly one of 'bucket'/'buckets' and of
    'access'/'actions', and no repeated entries.

    These run on the raw mapping as well as in the model, so they are reported even when another field
    of the same grant is invalid.
    """
    found: list[tuple[str, str, str]] = []
    if ("bucket" in item) == ("buckets" in item):
        both = "bucket" in item
        found.append(
            (
                "buckets" if both else "bucket",
                "sets both 'bucket' and 'buckets'" if both else "names no bucket",
                "keep only one of 'bucket' (one bucket) and 'buckets' (a list)"
                if both
                else "add 'bucket: <name>' or 'buckets: [<name>, ...]'",
            )
        )
    if ("access" in item) == ("actions" in item):
        both = "access" in item
        found.append(
            (
                "actions" if both else "access",
                "sets both 'access' and 'actions'" if both else "sets neither 'access' nor 'actions'",
                "keep one: an access level (read, write, read-write, full) or an explicit list of s3: actions",
            )
        )
    for field in ("users", "buckets", "actions", "prefixes"):
        values = item.get(field)
        if not isinstance(values, list):
            continue
        keys = [
            Grant.user_name(v).lower() if field == "users" else (v.lower() if field == "actions" else v)
            for v in values
            if isinstance(v, str)
        ]
        repeated = sorted(value for value, count in Counter(keys).items() if count > 1)
        if repeated:
            found.append((field, f"lists {', '.join(repeated)} more than once", "remove the repeated entries"))
    return found


# An Allow to everyone needs a Condition (the program also refuses an empty one and NotPrincipal).
_NOT_OPEN_TO_EVERYONE: JsonDict = {
    "not": {
        "properties": {
            "Effect": {"const": "Allow"},
            "Principal": {
                "anyOf": [
                    {"const": "*"},
                    {
                        "properties": {"AWS": {"anyOf": [{"const": "*"}, {"contains": {"const": "*"}}]}},
                        "required": ["AWS"],
                    },
                ]
            },
        },
        "required": ["Effect", "Principal"],
        "not": {"required": ["Condition"]},
    }
}


class PolicyStatement(BaseModel):
    """A statement someone else owns, kept verbatim in a bucket's policy (see 'extraStatements')."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, json_schema_extra=_NOT_OPEN_TO_EVERYONE)

    Sid: str = Field(
        description="Letters and digits; must not start with the program's own prefix.",
        json_schema_extra={"pattern": f"^(?!{OWN_SID_PREFIX})[A-Za-z0-9]+$"},
    )
    Effect: Literal["Allow", "Deny"]


class GrantsFile(BaseModel):
    """The whole grants file."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, json_schema_extra={"title": "cross-account-s3 grants file"}
    )

    grants: list[Grant] = Field(description="Who gets which access to which buckets.")
    extraStatements: dict[BucketName, Annotated[list[PolicyStatement], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Per bucket, statements written by someone else that must stay in its policy, verbatim.",
    )
    bucketSettings: dict[BucketName, BucketSettings] = Field(
        default_factory=dict,
        description="Per bucket, settings such as its region (default: the bucket account's region).",
    )

    def extra_statements_as_dicts(self) -> Mapping[str, tuple[dict[str, Any], ...]]:
        return {
            bucket: tuple(statement.model_dump() for statement in statements)
            for bucket, statements in self.extraStatements.items()
        }


def grants_json_schema() -> dict[str, Any]:
    """The JSON Schema of the grants file, generated from the models that validate it."""
    schema = GrantsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


@dataclass(frozen=True)
class LoadedGrants:
    """A validated grants file, with the document it came from for locating later problems."""

    grants: tuple[Grant, ...]  # sorted by name, so the file's order never matters
    extra_statements: Mapping[str, tuple[dict[str, Any], ...]]
    doc: YamlDocument
    bucket_settings: Mapping[str, BucketSettings] = dataclasses.field(default_factory=dict)

    def path_of(self, grant_name: str) -> tuple[str | int, ...]:
        """Where a grant sits in the file, for locating problems found after validation."""
        data = self.doc.data if isinstance(self.doc.data, dict) else {}
        for index, item in enumerate(data.get("grants", [])):
            if isinstance(item, dict) and item.get("name") == grant_name:
                return ("grants", index)
        return ()

    @property
    def managed_buckets(self) -> tuple[str, ...]:
        """Every bucket whose policy this program writes: those with grants, and those with only extraStatements.

        A bucket whose last grant is removed can stay under `extraStatements`, so its policy is rewritten to
        just those statements instead of being deleted with them.
        """
        granted = {bucket for grant in self.grants for bucket in grant.bucket_names}
        return tuple(sorted(granted | set(self.extra_statements)))


def _grant_label(item: Any, index: int) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) and name else f"#{index + 1} (unnamed)"


def validate_grants(doc: YamlDocument, user_account: str | None) -> LoadedGrants:
    """Validate a parsed grants file, raising every problem at once."""
    problems: list[Problem] = []
    data = doc.data
    if not isinstance(data, dict):
        raise_if_any(
            [
                problem_at(
                    doc,
                    (),
                    grant=None,
                    field="grants",
                    message=f"the file must be a mapping with a 'grants:' list, but it holds {describe_value(data)}",
                    fix="start the file with 'grants:' and list the grants under it",
                )
            ]
        )
    allowed = known_fields(GrantsFile)
    for key in data:
        if key not in allowed:
            problems.append(
                problem_at(
                    doc,
                    (key,),
                    grant=None,
                    field=str(key),
                    message="is not a top-level key this program knows",
                    fix=f"the known top-level keys are: {', '.join(allowed)}",
                )
            )
    raw_grants = data.get("grants")
    if not isinstance(raw_grants, list):
        raise_if_any(
            [
                *problems,
                problem_at(
                    doc,
                    ("grants",),
                    grant=None,
                    field="grants",
                    message=f"'grants' must be a list of grants, but it is {describe_value(raw_grants)}"
                    if "grants" in data
                    else "the 'grants:' list is missing",
                    fix="write 'grants:' followed by entries that each start with '- name: ...'",
                ),
            ]
        )

    grants: list[Grant] = []
    first_line_of: dict[str, int | None] = {}
    for index, item in enumerate(raw_grants):
        label = _grant_label(item, index)
        if not isinstance(item, dict):
            problems.append(
                problem_at(
                    doc,
                    ("grants", index),
                    grant=label,
                    field=None,
                    message=f"each grant must be a mapping, but this is {describe_value(item)}",
                    fix="write the grant as 'name:', 'users:', 'bucket:' and 'access:' lines",
                )
            )
            continue
        name = item.get("name")
        if isinstance(name, str) and name:
            line = doc.line_of(("grants", index, "name"))
            if name in first_line_of:
                problems.append(
                    problem_at(
                        doc,
                        ("grants", index, "name"),
                        grant=name,
                        field="name",
                        message=f"the grant name is already used on line {first_line_of[name]}; "
                        "names identify grants, so they must be unique",
                        fix="give this grant a different name, or merge the two grants",
                    )
                )
            else:
                first_line_of[name] = line
        present = {key: value for key, value in item.items() if value is not None}
        for field, message, fix in pair_and_repeat_problems(present):
            problems.append(
                problem_at(doc, ("grants", index, field), grant=label, field=field, message=message, fix=fix)
            )
        try:
            grants.append(Grant.model_validate(item, context={"user_account": user_account}))
        except ValidationError as error:
            problems.extend(to_problems(error, doc=doc, base_path=("grants", index), grant=label, model=Grant))

    extra = data.get("extraStatements", {})
    extra_statements: dict[str, tuple[dict[str, Any], ...]] = {}
    if not isinstance(extra, dict):
        problems.append(
            problem_at(
                doc,
                ("extraStatements",),
                grant=None,
                field="extraStatements",
                message=f"must map bucket names to lists of statements, but is {describe_value(extra)}",
                fix="write each bucket name as a key with its statements listed under it",
            )
        )
    else:
        for bucket, statements in extra.items():
            if not isinstance(bucket, str):
                problems.append(
                    problem_at(
                        doc,
                        ("extraStatements",),
                        grant=None,
                        field="extraStatements",
                        message=f"the key {describe_value(bucket)} is not a bucket name",
                        fix="write each bucket name as text, in quotes if it looks like a number",
                    )
                )
                continue
            problems.extend(_check_extra_statements(doc, bucket, statements))
            if isinstance(statements, list):
                extra_statements[str(bucket)] = tuple(statements)

    managed = {bucket for grant in grants for bucket in grant.bucket_names} | set(extra_statements)
    bucket_settings, settings_problems = validate_bucket_settings(doc, data.get(BUCKET_SETTINGS_KEY), managed)
    problems.extend(settings_problems)

    if not raw_grants and not problems:
        problems.append(
            problem_at(
                doc,
                ("grants",),
                grant=None,
                field="grants",
                message="the 'grants' list is empty, which would remove every grant",
                fix="add a grant; to remove all access on purpose, destroy the stack instead",
            )
        )
    raise_if_any(problems)
    return LoadedGrants(
        grants=tuple(sorted(grants, key=lambda grant: grant.name)),
        extra_statements=extra_statements,
        doc=doc,
        bucket_settings=bucket_settings,
    )


def _check_extra_statements(doc: YamlDocument, bucket: str, statements: Any) -> list[Problem]:
    path = ("extraStatements", bucket)
    field = f"extraStatements.{bucket}"
    problems: list[Problem] = []
    reason = naming.bucket_name_problem(bucket)
    if reason:
        problems.append(
            problem_at(
                doc,
                path,
                grant=None,
                field=field,
                message=f"the bucket name {reason}",
                fix="use the bucket's exact name",
            )
        )
    if not isinstance(statements, list) or not statements:
        problems.append(
            problem_at(
                doc,
                path,
                grant=None,
                field=field,
                message="must be a non-empty list of policy statements",
                fix="list the statements, each starting with '- Sid: ...'",
            )
        )
        return problems
    seen: set[str] = set()
    for index, statement in enumerate(statements):
        where = (*path, index)
        try:
            parsed = PolicyStatement.model_validate(statement)
        except ValidationError as error:
            problems.extend(
                to_problems(
                    error,
                    doc=doc,
                    base_path=where,
                    grant=None,
                    field_prefix=f"{field}[{index}].",
                    model=PolicyStatement,
                )
            )
            continue
        sid = parsed.Sid
        if not naming.SID.fullmatch(sid) or sid.startswith(OWN_SID_PREFIX):
            problems.append(
                problem_at(
                    doc,
                    (*where, "Sid"),
                    grant=None,
                    field=f"{field}[{index}].Sid",
                    message=f"{sid!r} must be letters and digits only and must not start with "
                    f"'{OWN_SID_PREFIX}', which marks this program's own statements",
                    fix="rename the Sid",
                )
            )
        if sid.lower() in seen:
            problems.append(
                problem_at(
                    doc,
                    (*where, "Sid"),
                    grant=None,
                    field=f"{field}[{index}].Sid",
                    message=f"the Sid {sid!r} is used twice in this bucket's statements",
                    fix="give each statement its own Sid",
                )
            )
        seen.add(sid.lower())
        unrepresentable = _not_json(statement)
        if unrepresentable:
            problems.append(
                problem_at(
                    doc,
                    where,
                    grant=None,
                    field=f"{field}[{index}]",
                    message=f"holds {unrepresentable}, which a JSON policy document cannot hold",
                    fix="put dates, numbers used as keys and other special values in quotes",
                )
            )
        elif parsed.Effect == "Allow" and _allows_everyone(statement):
            problems.append(
                problem_at(
                    doc,
                    where,
                    grant=None,
                    field=f"{field}[{index}]",
                    message="allows everyone ('Principal: *', or 'NotPrincipal') with no condition, which makes "
                    "the bucket public; S3 Block Public Access then also blocks the cross-account access this "
                    "program grants",
                    fix="name the principals, or add the Condition that limits the statement",
                )
            )
        else:
            for key, message, fix in statement_shape_problems(statement, bucket, allow=parsed.Effect == "Allow"):
                problems.append(
                    problem_at(
                        doc,
                        (*where, key) if key in statement else where,
                        grant=None,
                        field=f"{field}[{index}].{key}",
                        message=message,
                        fix=fix,
                    )
                )
    return problems


_ROOT = re.compile(r"(?:arn:aws:iam::)?[0-9]{12}(?::root)?", re.ASCII)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statement_shape_problems(statement: Mapping[str, Any], bucket: str, *, allow: bool) -> list[tuple[str, str, str]]:
    """(key, message, fix) for what AWS would reject only at apply time, or what an Allow may not grant here.

    AWS rejects a bucket policy whose statement lacks an action, a resource or a principal, or names a
    resource outside the bucket, but only when `pulumi up` writes it, after the groups exist. And a
    statement kept through `extraStatements` may not give what this program itself never gives:
    bucket administration, actions outside S3, or an account root.
    """
    found: list[tuple[str, str, str]] = []
    for one_of in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
        present = [key for key in one_of if key in statement]
        if len(present) != 1:
            found.append(
                (
                    one_of[0],
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
                "Condition",
                "must map condition operators to non-empty key: value mappings; an empty condition limits nothing",
                "write it like {Bool: {'aws:SecureTransport': 'false'}}",
            )
        )
    for resource in _as_list(statement.get("Resource", statement.get("NotResource", []))):
        if not isinstance(resource, str) or not (
            resource == f"arn:aws:s3:::{bucket}" or resource.startswith(f"arn:aws:s3:::{bucket}/")
        ):
            found.append(
                (
                    "Resource",
                    f"names {resource!r}, which is not this bucket or its objects; AWS refuses such a bucket policy",
                    f"use arn:aws:s3:::{bucket} or arn:aws:s3:::{bucket}/...",
                )
            )
    if not allow:
        return found
    if "NotAction" in statement:
        found.append(
            (
                "NotAction",
                "an Allow with NotAction allows every action not listed, administration too",
                "list the actions under 'Action'",
            )
        )
    for action in _as_list(statement.get("Action", [])):
        text = str(action)
        service, _, name = text.partition(":")
        expansion = s3_actions.expand(text) if service.lower() == "s3" and name.strip("*?") else None
        if expansion is None or expansion.administrative or expansion.elsewhere:
            found.append(
                (
                    "Action",
                    f"allows {text!r}, which reaches beyond S3 object data (bucket or permission "
                    "administration, other services, or every action); this program never grants that "
                    "across accounts",
                    "name the data actions, such as s3:GetObject",
                )
            )
    principal = statement.get("Principal")
    values = principal.get("AWS") if isinstance(principal, dict) else None
    for value in _as_list(values) if values is not None else []:
        if isinstance(value, str) and _ROOT.fullmatch(value):
            found.append(
                (
                    "Principal",
                    f"names the account root {value!r}, which lets that account pass the access "
                    "to any of its identities",
                    "name the role or user that needs the access",
                )
            )
    return found


def _allows_everyone(statement: Mapping[str, Any]) -> bool:
    """An Allow to `*` (in any of its spellings) or to everyone but some (`NotPrincipal`), unconditioned."""
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    values = principal.get("AWS") if isinstance(principal, dict) else principal
    everyone = values == "*" or (isinstance(values, list) and "*" in values)
    return everyone and not statement.get("Condition")


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


def load_grants(path: Path, shown_as: str, user_account: str | None) -> LoadedGrants:
    """Read and validate a grants file; every problem is raised at once as `InputProblems`."""
    return validate_grants(read_yaml(path, shown_as), user_account)
