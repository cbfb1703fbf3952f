"""One grant: these users and roles get this access to these buckets, and the check on each of its fields.

Everything after validation (policies, IAM groups, limits, the plan) works on one grant at a time and needs
only what a grant is, not how a file lists grants or how files are merged, so the grant's model lives apart
from the file's. Each field's check says what is wrong and how to fix it, and the same annotated types carry
the patterns of the JSON Schema that editors use, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, model_validator
from pydantic.config import JsonDict

from . import naming, s3_actions
from .grantees import GranteeKind, entry_key
from .validation import Finding, Where, describe_value, reject, reject_all, validate_with

AccessLevel = Literal["read", "write", "read-write", "full"]


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


def _check_role(value: str, info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    user_account = context.get("user_account")
    if value.startswith("arn:"):
        match = naming.GRANTEE_ROLE_ARN.fullmatch(value)
        if not match:
            reject(
                f"{value!r} is not an IAM role ARN",
                "write a role name such as 'deployer', or an ARN such as "
                "'arn:aws:iam::<user account>:role/ci/deployer'",
            )
        if not naming.IAM_ROLE_NAME.fullmatch(match["name"]) or len(match["path"]) > naming.MAX_IAM_PATH:
            reject(
                f"{value!r} has a malformed role name or path",
                "role names are 1-64 characters of letters, digits and +=,.@_-",
            )
        if user_account is not None and match["account"] != user_account:
            reject(
                f"{value!r} is a role in account {match['account']}, but this stack's grantees live in account "
                f"{user_account} (userAccount); a bucket policy naming another account's role would open the "
                "bucket to that account",
                f"use a role of account {user_account}, or its plain role name",
            )
        return value
    if not naming.IAM_ROLE_NAME.fullmatch(value):
        reject(
            f"{value!r} is not a valid IAM role name: 1 to 64 characters of letters, digits and +=,.@_- "
            "(a role with a path is written as its full ARN)",
            "copy the role name exactly as the IAM console shows it, or give the role's full ARN",
        )
    return value


# An S3 URL or an S3 ARN, where a bucket name or a key prefix belongs: copied from the console or the CLI.
_S3_URL = re.compile(r"(?i:s3://)(?P<bucket>[^/]*)/?(?P<key>.*)", re.DOTALL)
_S3_ARN = re.compile(r"arn:[^:]*:s3:::(?P<bucket>[^/]*)/?(?P<key>.*)", re.DOTALL)


def _s3_address(value: str) -> tuple[str, str, str] | None:
    """(what it is, bucket, key) for an S3 URL or ARN, whose bucket and key the fix can write apart."""
    for kind, pattern in (("an S3 URL", _S3_URL), ("an ARN", _S3_ARN)):
        if match := pattern.fullmatch(value):
            return kind, match["bucket"], match["key"]
    return ("an ARN", "", "") if value.startswith("arn:") else None


def _check_bucket(value: str) -> str:
    address = _s3_address(value)
    if address is not None:
        kind, bucket, key = address
        key = key.rstrip("*")
        prefix = f"; a grant limited to keys under '{key}' lists it under 'prefixes:'" if key else ""
        reject(
            f"{value!r} is {kind}, not a bucket name",
            f"write the bucket name alone: '{bucket}'{prefix}"
            if bucket
            else "write the bucket's name alone, as the S3 console shows it",
        )
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
    address = _s3_address(value)
    if address is not None:  # it would become arn:aws:s3:::bucket/s3://bucket/key*, matching no key
        kind, bucket, key = address
        key = key.rstrip("*")
        reject(
            f"the prefix {value!r} is {kind}; a prefix is the start of a key inside the grant's bucket, so this "
            "one would match only keys that begin with it, literally",
            (
                f"write the key prefix alone: '{key}'"
                if key
                else "remove this prefix; with none left, remove 'prefixes' to grant the whole bucket"
            )
            + (f" (and name the bucket under 'bucket:', as '{bucket}')" if bucket else ""),
        )
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
RoleRef = Annotated[
    str,
    AfterValidator(_check_role),
    Field(
        description="An IAM role name in the user account, or that role's full ARN (with its path).",
        json_schema_extra={
            "pattern": r"^(arn:aws:iam::[0-9]{12}:role/([!-~]*/)?[A-Za-z0-9+=,.@_-]"
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
    Field(
        description="A literal key prefix such as 'reports/' (not an s3:// URL or an ARN).",
        json_schema_extra={"pattern": r"^[^/*?$][^*?$]*$", "not": {"pattern": r"^([sS]3://|arn:)"}},
    ),
]

_EXACTLY_ONE: JsonDict = {
    "allOf": [
        {"oneOf": [{"required": ["bucket"]}, {"required": ["buckets"]}]},
        {"oneOf": [{"required": ["access"]}, {"required": ["actions"]}]},
        {
            "anyOf": [
                {"required": ["users"], "properties": {"users": {"minItems": 1}}},
                {"required": ["roles"], "properties": {"roles": {"minItems": 1}}},
            ]
        },
    ]
}
_LEVELS = "an access level (read, write, read-write, full) or an explicit list of s3: actions"


class Grant(BaseModel):
    """One entry of the grants file: these users and roles get this access to these buckets."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, json_schema_extra=_EXACTLY_ONE)

    # A field of one value whose list is another field: `bucket: [a, b]` is fixed by writing `buckets:`.
    plural_fields: ClassVar[Mapping[str, str]] = {"bucket": "buckets"}

    name: GrantName
    description: str | None = Field(default=None, description="Why these users or roles need this access.")
    users: list[UserRef] = Field(default_factory=list, description="IAM users in the user account.")
    roles: list[RoleRef] = Field(
        default_factory=list,
        description="IAM roles in the user account; each gets an inline policy (roles cannot join groups).",
    )
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

    # Where the grant was written: set by the loader, so checks after validation point at the file's lines.
    _origin: Where | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _rules_across_fields(cls, value: Any, handler: Callable[[Any], Grant]) -> Grant:
        """The pair and repeat rules run on the raw entry, so they are reported even when a field is invalid."""
        if not isinstance(value, dict):
            reject(
                f"each grant must be a mapping, but this is {describe_value(value)}",
                "write the grant as 'name:', 'users:', 'bucket:' and 'access:' lines",
            )
        present = {key: item for key, item in value.items() if item is not None}
        grant: Grant = validate_with(handler, value, pair_and_repeat_findings(present), cls.__name__)
        return grant

    @model_validator(mode="after")
    def _prefixes_narrow_every_action(self) -> Grant:
        if not (self.prefixes and self.actions):
            return self
        whole_bucket = sorted(
            {
                action.name
                for pattern in self.actions
                for action in s3_actions.expand(pattern).grantable
                if not action.narrows_to_prefixes
            }
        )
        shown = ", ".join(whole_bucket[:5]) + (f" and {len(whole_bucket) - 5} more" if len(whole_bucket) > 5 else "")
        message = (
            "with 'prefixes', these actions would still act on the whole bucket, because S3 cannot narrow them "
            f"to a prefix: {shown}"
        )
        fix = "remove them (for s3:Get*, write s3:GetObject*), or remove 'prefixes'"
        reject_all([(("actions",), message, fix)] if whole_bucket else [], self, type(self).__name__)
        return self

    @property
    def where(self) -> Where:
        """The grant's place in its file (file and YAML path), for problems found after validation."""
        if self._origin is None:
            raise ValueError(f"grant {self.name!r} was not read from a file")
        return self._origin

    @property
    def entries(self) -> tuple[tuple[GranteeKind, str, int], ...]:
        """Every grantee entry as (kind, entry, index in its list): users first, then roles."""
        return (
            *(("user", entry, index) for index, entry in enumerate(self.users)),
            *(("role", entry, index) for index, entry in enumerate(self.roles)),
        )

    @property
    def bucket_names(self) -> tuple[str, ...]:
        return tuple(self.buckets) if self.buckets is not None else ((self.bucket,) if self.bucket else ())

    def access_label(self) -> str:
        """How a reviewer reads this grant's access: a level name, or the action list."""
        return self.access if self.access is not None else "actions " + ", ".join(sorted(self.actions or []))


def pair_and_repeat_findings(item: Mapping[str, Any]) -> list[Finding]:
    """The rules that span fields: exactly one of 'bucket'/'buckets' and of 'access'/'actions', at least one
    user or role, and no repeated entries."""
    found: list[Finding] = []
    if ("bucket" in item) == ("buckets" in item):
        both = "bucket" in item
        found.append(
            (
                ("buckets" if both else "bucket",),
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
                ("actions" if both else "access",),
                "sets both 'access' and 'actions'" if both else "sets neither 'access' nor 'actions'",
                f"keep one: {_LEVELS}" if both else f"add one: {_LEVELS}",
            )
        )
    # A field that is set but is not a list (`roles: deployer`) is refused on its own with the list to
    # write; it does name someone, so it does not also count as naming nobody.
    if not any(item.get(field) not in (None, [], "") for field in ("users", "roles")):
        found.append(
            (
                ("users",),
                "names nobody: 'users' and 'roles' are both missing or empty",
                "add 'users: [<IAM user>, ...]' or 'roles: [<IAM role>, ...]' (or both)",
            )
        )
    for field in ("users", "roles", "buckets", "actions", "prefixes"):
        values = item.get(field)
        if not isinstance(values, list):
            continue
        keys = [
            entry_key(v, "user" if field == "users" else "role").partition(":")[2]
            if field in ("users", "roles")
            else (v.lower() if field == "actions" else v)
            for v in values
            if isinstance(v, str)
        ]
        repeated = sorted(value for value, count in Counter(keys).items() if count > 1)
        if repeated:
            found.append(((field,), f"lists {', '.join(repeated)} more than once", "remove the repeated entries"))
    return found
