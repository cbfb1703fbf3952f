"""Stack settings: which account holds the buckets, which holds the users, and how to reach each.

The settings come from the stack's config (`Pulumi.<stack>.yaml`, namespace `cross-account-s3`).
Pulumi hands the program each value as text (objects as JSON), so this module parses that text
itself and reports problems against the stack file's lines. The checks here exist because a wrong
account ID or profile is the one mistake that can touch the wrong account.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import naming
from .problems import Problem, raise_if_any
from .validation import describe_value, reject, to_problems
from .yaml_source import YamlDocument

NAMESPACE = "cross-account-s3"
DEFAULT_GROUP_PREFIX = "cross-account-s3-"
GROUP_PATH = "/cross-account-s3/"
DEFAULT_GROUP_QUOTA = 300  # IAM quotas: groups per account, the adjustable default


class AccountSettings(BaseModel):
    """How to reach one AWS account. The provider built from this refuses any other account."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    accountId: str = Field(description="The 12-digit AWS account ID, quoted so YAML keeps leading zeros.")
    region: str = Field(description="The AWS region the provider uses, such as eu-west-1.")
    profile: str | None = Field(default=None, description="The AWS CLI profile whose credentials reach this account.")
    roleArn: str | None = Field(default=None, description="A role in this account to assume, if any.")

    @field_validator("accountId", mode="before")
    @classmethod
    def _account_id_is_twelve_digit_text(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return value
        if isinstance(value, int):
            reject(
                f"must be a quoted 12-digit string, but YAML read {describe_value(value)}; numbers lose leading "
                "zeros (and YAML reads some zero-led numbers as octal)",
                'write the account ID in quotes, for example accountId: "012345678901"',
            )
        if not naming.ACCOUNT_ID.fullmatch(value):
            reject(
                f"is {value!r}, which is not an AWS account ID: those are exactly 12 digits "
                f"({len(value)} characters here)",
                "copy the 12-digit ID from the AWS console's account menu, including any leading zeros",
            )
        return value

    @field_validator("region")
    @classmethod
    def _region_is_well_formed(cls, value: str) -> str:
        if not naming.REGION.fullmatch(value):
            reject(f"is {value!r}, which is not an AWS region name", "use a region code such as eu-west-1")
        return value

    @field_validator("profile")
    @classmethod
    def _profile_is_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            reject("is empty", "name an AWS CLI profile, or remove 'profile' to use the default credential chain")
        return value

    @field_validator("roleArn")
    @classmethod
    def _role_is_a_role_arn(cls, value: str | None) -> str | None:
        if value is not None and not naming.ROLE_ARN.fullmatch(value):
            reject(
                f"is {value!r}, which is not an IAM role ARN",
                "use the form arn:aws:iam::<12-digit account>:role/<name>",
            )
        return value


@dataclass(frozen=True)
class Settings:
    """Everything the program needs from the stack's config, checked."""

    stack: str
    bucket_account: AccountSettings
    user_account: AccountSettings
    grants_file: str
    group_prefix: str
    other_groups_per_user: int
    other_groups_by_user: Mapping[str, int]
    group_quota: int
    other_groups_in_account: int


_ACCOUNT_KEYS = ("bucketAccount", "userAccount")
_TEXT_KEYS = ("grantsFile", "groupPrefix")
_COUNT_KEYS = ("otherGroupsPerUser", "groupQuota", "otherGroupsInAccount")
_OBJECT_KEYS = ("otherGroupsByUser",)
KNOWN_KEYS = (*_ACCOUNT_KEYS, *_TEXT_KEYS, *_COUNT_KEYS, *_OBJECT_KEYS)


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


GRANTS_FILE_KEY = "grantsFile"


def grants_file_of(stack: str, configured: str | None) -> str:
    """The grants file a stack reads: `grantsFile` from its config, or else `grants/<stack>.yaml`.

    The one place that default is written; the program, `plan` and the assumed world all ask here.
    """
    return configured or f"grants/{stack}.yaml"


def parse_settings(raw: Mapping[str, str | None], stack: str, stack_file: YamlDocument | None) -> Settings:
    """Check the stack's config values and return them typed, or raise every problem at once.

    `raw` maps keys of the `cross-account-s3` namespace to the text Pulumi hands the program.
    `stack_file` is the parsed `Pulumi.<stack>.yaml` when it exists; it supplies line numbers and
    lets unknown keys (typos) be reported, since Pulumi only answers for keys we ask about.
    """
    file_name = stack_file_name(stack)
    doc = stack_file or YamlDocument(file=file_name, data=None)
    problems: list[Problem] = []

    def path(key: str) -> tuple[str, ...]:
        return ("config", f"{NAMESPACE}:{key}")

    def problem(key: str, message: str, fix: str, field: str | None = None) -> None:
        problems.append(
            Problem(
                file=doc.file,
                line=doc.line_of(path(key)),
                grant=None,
                field=field or f"{NAMESPACE}:{key}",
                message=message,
                fix=fix,
            )
        )

    config_section = doc.data.get("config") if isinstance(doc.data, dict) else None
    if isinstance(config_section, dict):
        for full_key in config_section:
            namespace, _, key = str(full_key).partition(":")
            if namespace == NAMESPACE and key not in KNOWN_KEYS:
                close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.6)
                hint = f"did you mean '{NAMESPACE}:{close[0]}'? " if close else ""
                problem(
                    key, "is not a setting this program knows", f"{hint}the known settings are: {', '.join(KNOWN_KEYS)}"
                )

    accounts: dict[str, AccountSettings] = {}
    for key in _ACCOUNT_KEYS:
        text = raw.get(key)
        if text is None:
            problem(
                key,
                "is required but not set",
                f"add '{NAMESPACE}:{key}' to {file_name} with accountId, region and optionally profile "
                "and roleArn (see README)",
            )
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, a number too long for Python, or nested too deep
            value = text
        if not isinstance(value, dict):
            problem(
                key,
                f"must be an object with accountId and region, but is {describe_value(value)}",
                "indent accountId:, region: and optionally profile: and roleArn: under it",
            )
            continue
        try:
            accounts[key] = AccountSettings.model_validate(value)
        except ValidationError as error:
            problems.extend(
                to_problems(
                    error,
                    doc=doc,
                    base_path=path(key),
                    grant=None,
                    model=AccountSettings,
                    field_prefix=f"{NAMESPACE}:{key}.",
                )
            )

    counts: dict[str, int] = {}
    for key, default in (("otherGroupsPerUser", 0), ("groupQuota", DEFAULT_GROUP_QUOTA), ("otherGroupsInAccount", 0)):
        text = raw.get(key)
        if text is None:
            counts[key] = default
            continue
        try:
            counts[key] = int(text.strip())
        except ValueError:
            problem(key, f"must be a whole number, but is {text!r}", f"write a whole number, for example {default}")
            continue
        if counts[key] < 0:
            problem(key, f"is {counts[key]}, but counts cannot be negative", "use 0 or more")

    other_groups_by_user: dict[str, int] = {}
    text = raw.get("otherGroupsByUser")
    if text is not None:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, a number too long for Python, or nested too deep
            value = text
        if not isinstance(value, dict) or not all(
            isinstance(count, int) and not isinstance(count, bool) and count >= 0 for count in value.values()
        ):
            problem(
                "otherGroupsByUser",
                "must map user names to whole numbers of groups (0 or more)",
                "write it as lines such as 'test.user: 3' indented under it",
            )
        else:
            other_groups_by_user = {str(user): int(count) for user, count in value.items()}

    group_prefix = raw.get("groupPrefix")
    if group_prefix is None:
        group_prefix = DEFAULT_GROUP_PREFIX
    elif not naming.IAM_NAME_CHARS.fullmatch(group_prefix):
        problem(
            "groupPrefix",
            f"is {group_prefix!r}; IAM group names allow only letters, digits and +=,.@_-",
            "remove the other characters",
        )

    grants_file = grants_file_of(stack, raw.get(GRANTS_FILE_KEY))

    bucket_account, user_account = accounts.get("bucketAccount"), accounts.get("userAccount")
    if bucket_account and user_account and bucket_account.accountId == user_account.accountId:
        problem(
            "userAccount",
            f"names the same account as bucketAccount ({user_account.accountId}); this "
            "program grants access across two different accounts",
            "set bucketAccount to the account that owns the buckets and userAccount to the one that owns the users",
            field=f"{NAMESPACE}:userAccount.accountId",
        )
    for key, account in accounts.items():
        if account.roleArn:
            match = naming.ROLE_ARN.fullmatch(account.roleArn)
            if match and match["account"] != account.accountId:
                problem(
                    key,
                    f"roleArn is in account {match['account']}, not in {account.accountId}; assuming it "
                    "would act in the wrong account",
                    f"use a role in account {account.accountId}, or correct accountId",
                    field=f"{NAMESPACE}:{key}.roleArn",
                )

    raise_if_any(problems)
    assert bucket_account is not None and user_account is not None
    return Settings(
        stack=stack,
        bucket_account=bucket_account,
        user_account=user_account,
        grants_file=grants_file,
        group_prefix=group_prefix,
        other_groups_per_user=counts["otherGroupsPerUser"],
        other_groups_by_user=other_groups_by_user,
        group_quota=counts["groupQuota"],
        other_groups_in_account=counts["otherGroupsInAccount"],
    )
