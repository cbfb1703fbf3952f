"""The grants file: who gets which access to which buckets.

The pydantic models here are the single source of truth for the file's format. They validate it,
and `grants_json_schema()` turns the same models into the JSON Schema that editors use, so the
two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.config import JsonDict

from . import naming, s3_actions
from .bucket_settings import KEY as BUCKET_SETTINGS_KEY
from .bucket_settings import BucketSettings, unused_entry_findings
from .grantees import GranteeKind, entry_key
from .grants_yaml import GrantsFileRules
from .problems import Problem, raise_if_any
from .statements import PolicyStatement, bucket_statement_findings
from .validation import Finding, Where, describe_value, reject, reject_all, to_problems, validate_with
from .yaml_source import PathKey, YamlDocument, read_yaml

AccessLevel = Literal["read", "write", "read-write", "full"]

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


# The top-level keys that map bucket names to that bucket's settings; any file of a grants directory may set them.
PER_BUCKET_KEYS = ("extraStatements", "bucketSettings")
GRANT_LIST: PathKey = ("grants",)  # where a grants file lists its grants: problems inside one name it
GRANTS_FILE = GrantsFileRules(GRANT_LIST)  # what a grants file may hold as YAML

_GRANTS_FIX = "write 'grants:' followed by entries that each start with '- name: ...'"
_STATEMENTS_FIX = "list the statements, each starting with '- Sid: ...'"


class GrantsFile(BaseModel):
    """The whole grants file."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, json_schema_extra={"title": "cross-account-s3 grants file"}
    )

    # How the generic wording of an error reads at the top of the file: (field or None, error type) -> text.
    problem_wording: ClassVar[Mapping[tuple[str | None, str], tuple[str, str]]] = {
        (None, "extra_forbidden"): (
            "is not a top-level key this program knows",
            "the known top-level keys are: {known}",
        ),
        ("grants", "missing"): (
            "the 'grants:' list is missing",
            _GRANTS_FIX + " (a file of a grants directory that holds no grants writes 'grants: []')",
        ),
        ("grants", "list_type"): ("'grants' must be a list of grants, but it is {value}", _GRANTS_FIX),
        ("extraStatements", "dict_type"): (
            "must map bucket names to lists of statements, but is {value}",
            "write each bucket name as a key with its statements listed under it",
        ),
        ("extraStatements", "list_type"): ("must be a non-empty list of policy statements", _STATEMENTS_FIX),
        ("extraStatements", "too_short"): ("must be a non-empty list of policy statements", _STATEMENTS_FIX),
        (BUCKET_SETTINGS_KEY, "dict_type"): (
            "must map bucket names to their settings, but is {value}",
            "write each bucket name as a key with 'region: ...' indented under it",
        ),
    }

    grants: list[Grant] = Field(description="Who gets which access to which buckets.")
    extraStatements: dict[BucketName, Annotated[list[PolicyStatement], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Per bucket, statements written by someone else that must stay in its policy, verbatim.",
    )
    bucketSettings: dict[BucketName, BucketSettings] = Field(
        default_factory=dict,
        description="Per bucket, settings such as its region (default: the bucket account's region) and its KMS key.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _rules_across_statements(cls, value: Any, handler: Callable[[Any], GrantsFile]) -> GrantsFile:
        if not isinstance(value, dict):
            reject_all(
                [
                    (
                        ("grants",),
                        f"the file must be a mapping with a 'grants:' list, but it holds {describe_value(value)}",
                        "start the file with 'grants:' and list the grants under it",
                    )
                ],
                value,
                cls.__name__,
            )
        extra = value.get("extraStatements")
        findings = [
            (("extraStatements", bucket, *loc), message, fix)
            for bucket, statements in (extra.items() if isinstance(extra, dict) else ())
            if isinstance(bucket, str)
            for loc, message, fix in bucket_statement_findings(bucket, statements)
        ]
        validated: GrantsFile = validate_with(handler, value, findings, cls.__name__)
        return validated

    @model_validator(mode="after")
    def _grants_are_not_all_removed(self, info: ValidationInfo) -> GrantsFile:
        # In a grants directory one file may hold no grants; the directory as a whole is checked instead.
        if not self.grants and not _in_directory(info):
            reject_all(
                [
                    (
                        ("grants",),
                        "the 'grants' list is empty, which would remove every grant",
                        "add a grant; to remove all access on purpose, destroy the stack instead",
                    )
                ],
                self,
                type(self).__name__,
            )
        return self


IN_DIRECTORY = "in_directory"  # validation context: the file is one of a grants directory's files


def _in_directory(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get(IN_DIRECTORY))


def grants_json_schema() -> dict[str, Any]:
    """The JSON Schema of the grants file, generated from the models that validate it."""
    schema = GrantsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


@dataclass(frozen=True)
class CheckedFile:
    """One grants file after its own checks: the model when it is valid, and every problem found in it.

    `names` holds every grant name the file spells, valid or not, so the checks across files can run
    even while a file has other problems.
    """

    doc: YamlDocument
    model: GrantsFile | None
    problems: tuple[Problem, ...]
    names: tuple[tuple[str, Where], ...]


def check_grants_file(
    doc: YamlDocument,
    user_account: str | None,
    *,
    in_directory: bool = False,
    bucket_account: str | None = None,
    known_regions: naming.KnownRegions | None = None,
) -> CheckedFile:
    """Validate one parsed grants file with the models, in one pass, and give each grant its origin.

    A file of a grants directory may be empty or list no grants: other files hold them. The accounts come
    from the stack settings, when those are valid: users must be of the user account, KMS keys of the
    bucket account. `known_regions`, when given, are the regions a bucket's region must be one of.
    """
    root = Where(doc, grant_list=GRANT_LIST)
    data = {"grants": []} if in_directory and doc.data is None else doc.data
    raw = data.get("grants") if isinstance(data, dict) else None
    items = raw if isinstance(raw, list) else []
    repeats = _repeated_by_alias(items)
    names = tuple(
        (item["name"], root.at("grants", index, "name"))
        for index, item in enumerate(items)
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"] and index not in repeats
    )
    # A bucketSettings entry no grant uses is most likely a misspelt bucket. In a directory another file may
    # use it, so the directory checks that across its files.
    unused = [] if in_directory or not isinstance(data, dict) else unused_entry_findings(data)
    file_problems = doc.problems + tuple(root.at(*location).problem(message, fix) for location, message, fix in unused)
    file_problems += tuple(_repeat_problem(root, index, first) for index, first in repeats.items())
    # A kept statement is copied into the policy as YAML read it: a value read otherwise than written (an
    # account ID with a leading 0 read as an octal number) would silently change someone else's statement.
    file_problems += tuple(
        root.at(*path).problem(*reread) for path, reread in doc.rereads.items() if path[:1] == ("extraStatements",)
    )
    try:
        context = {
            "user_account": user_account,
            "bucket_account": bucket_account,
            IN_DIRECTORY: in_directory,
            naming.KNOWN_REGIONS: known_regions,
        }
        model = GrantsFile.model_validate(data, context=context)
    except ValidationError as error:
        return CheckedFile(doc, None, (*to_problems(error, model=GrantsFile, where=root), *file_problems), names)
    if file_problems:
        return CheckedFile(doc, None, file_problems, names)
    for index, grant in enumerate(model.grants):
        grant._origin = root.at("grants", index)
    return CheckedFile(doc, model, (), names)


def _repeated_by_alias(items: Sequence[object]) -> dict[int, int]:
    """Grants listed again whole through a YAML alias (`- *base`), by index, with the index of their first use.

    YAML builds an alias as the very mapping it names, so such an item is the same object as an earlier one.
    """
    first: dict[int, int] = {}
    repeats: dict[int, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if id(item) in first:
            repeats[index] = first[id(item)]
        else:
            first[id(item)] = index
    return repeats


def _repeat_problem(root: Where, index: int, first: int) -> Problem:
    """One problem at the grant as written, instead of a duplicate name whose two places are the same line."""
    return root.at("grants", first).problem(
        f"grant #{index + 1} of the list is this grant again, through a YAML alias (*name); each grant is written once",
        "remove the alias item; for a similar grant, write '- <<: *name' followed by its own name and the fields "
        "that differ",
    )


def _duplicate_names(files: Sequence[CheckedFile]) -> list[Problem]:
    """Grant names identify grants (and their IAM groups), so each is used once across all files."""
    problems: list[Problem] = []
    first: dict[str, Where] = {}
    for checked in files:
        for name, where in checked.names:
            if name not in first:
                first[name] = where
                continue
            earlier = first[name]
            place = f"line {earlier.line}" if earlier.doc is where.doc else f"{earlier.doc.file}:{earlier.line}"
            problems.append(
                where.problem(
                    f"the grant name is already used on {place}; names identify grants, so they must be unique",
                    "give this grant a different name, or merge the two grants",
                )
            )
    return problems


@dataclass(frozen=True)
class LoadedGrants:
    """The validated grants, each knowing the file and path it came from."""

    grants: tuple[Grant, ...]  # sorted by name, so the file's order never matters
    extra_statements: Mapping[str, tuple[dict[str, Any], ...]]
    doc: YamlDocument  # the (first) grants file
    bucket_settings: Mapping[str, BucketSettings] = dataclasses.field(default_factory=dict)
    # (top-level key, bucket) -> the file that sets that bucket's entry, when the grants are a directory of files
    bucket_entry_files: Mapping[tuple[str, str], YamlDocument] = dataclasses.field(default_factory=dict)

    @property
    def where(self) -> Where:
        """The top of the grants file, for problems about its top-level keys."""
        return Where(self.doc, grant_list=GRANT_LIST)

    def file_of(self, bucket: str, key: str | None = None) -> YamlDocument:
        """The file a problem about `bucket` points at: the one setting its `key` entry (such as
        extraStatements), else the one holding its first grant, so a team reads it in its own file."""
        found = self.bucket_entry_files.get((key, bucket)) if key else None
        if found is not None:
            return found
        return next((grant.where.doc for grant in self.grants if bucket in grant.bucket_names), self.doc)

    def bucket_entry(self, key: str, bucket: str) -> Where:
        """Where the bucket's entry under a top-level key is written, or where to add it."""
        return Where(self.file_of(bucket, key), grant_list=GRANT_LIST).at(key, bucket)

    @property
    def managed_buckets(self) -> tuple[str, ...]:
        """Every bucket whose policy this program writes: those with grants, and those with only extraStatements.

        A bucket whose last grant is removed can stay under `extraStatements`, so its policy is rewritten to
        just those statements instead of being deleted with them.
        """
        granted = {bucket for grant in self.grants for bucket in grant.bucket_names}
        return tuple(sorted(granted | set(self.extra_statements)))


def merge_grant_files(files: Sequence[CheckedFile], also: Sequence[Problem] = ()) -> LoadedGrants:
    """Merge checked grants files, then run the checks that span files; raise every problem at once.

    `also` adds problems the caller found across the files (a grants directory's own checks).
    """
    raise_if_any([*(problem for checked in files for problem in checked.problems), *_duplicate_names(files), *also])
    grants = [grant for checked in files if checked.model for grant in checked.model.grants]
    # The statements exactly as written (key order included), since they are copied into the policy verbatim.
    # Two files may set the same bucket's entry only with equal values (the directory checks that), so
    # which one is kept does not matter.
    extra: dict[str, tuple[dict[str, Any], ...]] = {}
    entry_files: dict[tuple[str, str], YamlDocument] = {}
    for checked in files:
        data = checked.doc.data if isinstance(checked.doc.data, dict) else {}
        for key, entries in data.items():
            for bucket in entries if key in PER_BUCKET_KEYS and isinstance(entries, dict) else ():
                entry_files.setdefault((str(key), str(bucket)), checked.doc)
        raw = data.get("extraStatements", {})
        extra.update({str(bucket): tuple(statements) for bucket, statements in raw.items()})
    # Key by key: two files of a directory may each set another of a bucket's settings.
    set_by_files: dict[str, dict[str, Any]] = {}
    for checked in files:
        for bucket, settings in checked.model.bucketSettings.items() if checked.model else ():
            set_by_files.setdefault(bucket, {}).update(settings.model_dump(exclude_unset=True))
    bucket_settings = {bucket: BucketSettings.model_validate(values) for bucket, values in set_by_files.items()}
    return LoadedGrants(
        grants=tuple(sorted(grants, key=lambda grant: grant.name)),
        extra_statements=extra,
        doc=files[0].doc,
        bucket_settings=bucket_settings,
        bucket_entry_files=entry_files,
    )


def validate_grants(
    doc: YamlDocument,
    user_account: str | None,
    *,
    bucket_account: str | None = None,
    known_regions: naming.KnownRegions | None = None,
) -> LoadedGrants:
    """Validate a parsed grants file, raising every problem at once."""
    checked = check_grants_file(doc, user_account, bucket_account=bucket_account, known_regions=known_regions)
    return merge_grant_files([checked])


def load_grants(
    path: Path,
    shown_as: str,
    user_account: str | None,
    *,
    bucket_account: str | None = None,
    known_regions: naming.KnownRegions | None = None,
) -> LoadedGrants:
    """Read and validate a grants file; every problem is raised at once as `InputProblems`."""
    doc = read_yaml(path, shown_as, rules=GRANTS_FILE)
    return validate_grants(doc, user_account, bucket_account=bucket_account, known_regions=known_regions)
