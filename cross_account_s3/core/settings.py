"""Stack settings: which account holds the buckets, which holds the users, and how to reach each.

The settings come from the stack's config (`Pulumi.<stack>.yaml`, namespace `cross-account-s3`).
Pulumi hands the program each value as text (objects as JSON), so this module parses that text
itself and reports problems against the stack file's lines. The checks here exist because a wrong
account ID or profile is the one mistake that can touch the wrong account.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from . import naming
from .grantees import GranteeKind, entry_name
from .problems import InputProblems, Problem, raise_if_any
from .validation import Finding, Where, describe_value, reject, reject_all, to_problems, validate_with
from .yaml_source import YamlDocument

NAMESPACE = "cross-account-s3"
DEFAULT_GROUP_PREFIX = "cross-account-s3-"
GROUP_PATH = "/cross-account-s3/"
DEFAULT_GROUP_QUOTA = 300  # IAM quotas: groups per account, the adjustable default
ACCOUNT_KEYS = ("bucketAccount", "userAccount")
# Validation context: each unquoted account ID of the stack file, as written, by the number Pulumi hands over.
ACCOUNT_IDS_AS_WRITTEN = "account_ids_as_written"


class AccountSettings(BaseModel):
    """How to reach one AWS account. The provider built from this refuses any other account."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    accountId: str = Field(description="The 12-digit AWS account ID, quoted so YAML keeps leading zeros.")
    region: str = Field(description="The AWS region the provider uses, such as eu-west-1.")
    profile: str | None = Field(default=None, description="The AWS CLI profile whose credentials reach this account.")
    roleArn: str | None = Field(default=None, description="A role in this account to assume, if any.")

    @field_validator("accountId", mode="before")
    @classmethod
    def _account_id_is_twelve_digit_text(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return value
        if isinstance(value, int):
            context = info.context if isinstance(info.context, dict) else {}
            written = context.get(ACCOUNT_IDS_AS_WRITTEN, {}).get(value)
            if written is not None and not naming.ACCOUNT_ID.fullmatch(written):
                # No leading zeros were lost: quoting would keep a number that is no account ID.
                reject(
                    f"must be the 12-digit account ID in quotes, but it is written as the number {written}, which "
                    f"has {len(written.lstrip('+-'))} digits",
                    f"replace {written} with the 12-digit ID from the AWS console's account menu, in quotes "
                    '(accountId: "<12 digits>")',
                )
            reject(
                f"must be a quoted 12-digit string, but YAML read {describe_value(value)}; numbers lose leading "
                "zeros (and YAML reads some zero-led numbers as octal)",
                f"write the account ID in quotes: {_quoted_account_id(value, written)}",
            )
        if not naming.ACCOUNT_ID.fullmatch(value):
            reject(
                f"is {value!r}, which is not an AWS account ID: those are exactly 12 digits "
                f"({len(value)} characters here)",
                f"replace {value!r} with the 12-digit ID from the AWS console's account menu, including any "
                "leading zeros",
            )
        return value

    @field_validator("region")
    @classmethod
    def _region_is_well_formed(cls, value: str, info: ValidationInfo) -> str:
        if (other_partition := naming.other_partition_problem(value)) is not None:
            reject(*other_partition)
        if not naming.REGION.fullmatch(value):
            reject(f"is {value!r}, which is not an AWS region name", "use a region code such as eu-west-1")
        if (unknown := naming.unknown_region_problem(value, naming.known_regions_in(info.context))) is not None:
            reject(*unknown)
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

    @model_validator(mode="after")
    def _role_is_in_this_account(self) -> AccountSettings:
        match = naming.ROLE_ARN.fullmatch(self.roleArn or "")
        if match and match["account"] != self.accountId:
            reject_all(
                [
                    (
                        ("roleArn",),
                        f"roleArn is in account {match['account']}, not in {self.accountId}; assuming it would act "
                        "in the wrong account",
                        f"use a role in account {self.accountId}, or correct accountId",
                    )
                ],
                self,
                type(self).__name__,
            )
        return self


def _misspells_namespace(namespace: str) -> bool:
    """A namespace a letter or two from this program's (`cross-acount-s3`), not another program's own, longer
    one (`cross-account-s3-legacy`)."""
    return (
        namespace != NAMESPACE
        and abs(len(namespace) - len(NAMESPACE)) <= 2
        and bool(difflib.get_close_matches(namespace, [NAMESPACE], n=1, cutoff=0.8))
    )


def is_switch(text: Any) -> bool:
    """Whether a setting's text is a valid on/off switch ('true' or 'false', as Pulumi hands a YAML boolean over)."""
    return isinstance(text, str) and text.strip().lower() in ("true", "false")


def _quoted_account_id(value: int, written: str | None) -> str:
    """The user's own number, as the quoted text it was (or, unseen, most likely was) before YAML read it.

    Zeros are put back only where YAML can have dropped them: when the stack file shows the number written
    with them, or, when it does not show it (a value not from the stack file), as a guess the fix says is one.
    """
    if written is not None:
        return f'accountId: "{written}"'
    if 10**11 <= value < 10**12:
        return f'accountId: "{value}"'
    guesses = [f'accountId: "{value:012d}" if you wrote {value:012d}'] if 0 <= value < 10**11 else []
    octal = f"0{value:o}"
    if len(octal) == 12 and value >= 0 and octal != f"{value:012d}":
        guesses.append(f'accountId: "{octal}" if you wrote {octal}, which YAML reads as an octal number')
    return ", or ".join(guesses) or "the 12-digit ID from the AWS console's account menu"


def _decoded(text: Any) -> Any:
    """Pulumi hands objects over as JSON text."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, a number too long for Python, or nested too deep
        return text


def _count(text: Any, default: int, setting: str | None = None) -> Any:
    if not isinstance(text, str):
        return text
    try:
        count = int(text.strip())
    except ValueError:
        written = _decoded(text)
        if isinstance(written, dict | list):  # handed over as JSON, which the author never wrote: say what it is
            per_identity = next((row for row in PER_IDENTITY_SETTINGS if row.fallback_key == setting), None)
            fix = f"write one whole number, for example {default}"
            if isinstance(written, dict) and per_identity is not None:
                fix = f"to give each {per_identity.kind} its own number, rename it to {per_identity.key}"
            reject(f"must be a whole number, but is {describe_value(written)}", fix)
        reject(f"must be a whole number, but is {text!r}", f"write a whole number, for example {default}")
    if count < 0:
        reject(f"is {count}, but counts cannot be negative", "use 0 or more")
    return count


def _counts_by_name(text: Any, names: str, unit: str, example: str) -> Any:
    """A mapping of names to counts; a bad count is reported at its own entry, naming what YAML read there."""
    value = _decoded(text)
    if not isinstance(value, dict):
        reject(
            f"must map {names} to whole numbers of {unit} (0 or more)",
            f"write it as lines such as '{example}' indented under it",
        )
    typical = example.rpartition(" ")[2]
    findings: list[Finding] = []
    for name, count in value.items():
        found = _count_problem(str(name), count, unit, typical)
        if found is not None:
            findings.append(((str(name),), *found))
    reject_all(findings, value, "counts")
    return {str(name): count for name, count in value.items()}


def _count_problem(name: str, count: Any, unit: str, typical: str) -> tuple[str, str] | None:
    """(message, fix) when one entry's count is no whole number of 0 or more, or None when it is."""
    if isinstance(count, int) and not isinstance(count, bool):
        return None if count >= 0 else (f"is {count}, but counts cannot be negative", "use 0 or more")
    if isinstance(count, str) and count.strip().isascii() and count.strip().isdigit():
        return (
            f"must be a whole number of {unit}, but is the text {count!r} (in quotes)",
            f"write it without quotes: {name}: {count.strip()}",
        )
    return (
        f"must be a whole number of {unit}, but is {describe_value(count)}",
        f"write a whole number of {unit}, such as '{name}: {typical}'",
    )


@dataclass(frozen=True)
class PerIdentitySetting:
    """A setting that gives a number per user or per role, keyed by its name (or its ARN, as the grants file may
    name it), with the setting it falls back to for an identity it does not list, and where each one's checked
    value lives in `Settings`."""

    key: str  # in the stack file, such as otherGroupsByUser
    kind: GranteeKind
    fallback_key: str  # such as otherGroupsPerUser
    counts: Callable[[Settings], Mapping[str, int]]
    fallback: Callable[[Settings], int]


# The one place that says which settings are per identity: the key checks here and the unused-entry check of
# inputs.py both read it, so a third such setting is one more row.
PER_IDENTITY_SETTINGS: tuple[PerIdentitySetting, ...] = (
    PerIdentitySetting(
        "otherGroupsByUser",
        "user",
        "otherGroupsPerUser",
        counts=lambda settings: settings.other_groups_by_user,
        fallback=lambda settings: settings.other_groups_per_user,
    ),
    PerIdentitySetting(
        "otherRoleInlinePolicyCharsByRole",
        "role",
        "otherRoleInlinePolicyChars",
        counts=lambda settings: settings.other_role_inline_policy_chars_by_role,
        fallback=lambda settings: settings.other_role_inline_policy_chars,
    ),
)


def _identity_key_findings(raw: Mapping[str, Any], user_account: str | None) -> list[Finding]:
    """Each key of a per-identity setting that is no user (or role) name or ARN of the user account, or that
    names the same identity as an earlier key (IAM names are unique ignoring case)."""
    findings: list[Finding] = []
    for per_identity in PER_IDENTITY_SETTINGS:
        setting, kind = per_identity.key, per_identity.kind
        counts = _decoded(raw.get(setting))
        first: dict[str, str] = {}
        for key in counts if isinstance(counts, dict) else ():
            found = _identity_key_problem(str(key), kind, user_account)
            identity = entry_name(str(key), kind).lower()
            if found is None and identity in first:
                found = (
                    f"names the same {kind} as '{first[identity]}' (IAM {kind} names are unique ignoring case)",
                    "keep one of the two entries",
                )
            first.setdefault(identity, str(key))
            if found is not None:
                findings.append(((setting, str(key)), *found))
    return findings


def _identity_key_problem(key: str, kind: GranteeKind, user_account: str | None) -> tuple[str, str] | None:
    """Why a key names no user (or role) of the user account, which a grant could name, or None when it may."""
    example = "test.user" if kind == "user" else "deployer"
    if key.startswith("arn:"):
        match = (naming.USER_ARN if kind == "user" else naming.GRANTEE_ROLE_ARN).fullmatch(key)
        if match is None:
            return (
                f"is not an IAM {kind} ARN",
                f"write the {kind}'s name, such as '{example}', or its ARN, arn:aws:iam::<user account>:{kind}/<name>",
            )
        if user_account is not None and match["account"] != user_account:
            return (
                f"is a {kind} of account {match['account']}, but this stack's {kind}s are in account {user_account} "
                "(userAccount)",
                f"write the {kind}'s name alone, '{match['name']}', or its ARN in account {user_account}",
            )
        return None
    if not naming.IAM_USER_NAME.fullmatch(key):  # role names follow the same rules
        return (
            f"is not a valid IAM {kind} name: 1 to 64 characters of letters, digits and +=,.@_-",
            f"write the {kind}'s name as the grants file names it, such as '{example}'",
        )
    return None


_ACCOUNT_FIX = (
    "add '{namespace}:{field}' to {file} with accountId, region and optionally profile and roleArn (see README)"
)


class StackSettings(BaseModel):
    """The `cross-account-s3` settings of a stack, as Pulumi hands them over: each value as text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # How the generic wording of an error reads for a stack setting: (field or None, error type) -> text.
    problem_wording: ClassVar[Mapping[tuple[str | None, str], tuple[str, str]]] = {
        (None, "missing"): ("is required but not set", _ACCOUNT_FIX.replace("{namespace}", NAMESPACE)),
        (None, "extra_forbidden"): (
            "is not a setting this program knows",
            "{hint}the known settings are: {fields}",
        ),
    }
    hint_prefix: ClassVar[str] = f"{NAMESPACE}:"

    bucketAccount: AccountSettings
    userAccount: AccountSettings
    grantsFile: str | None = None
    groupPrefix: str = DEFAULT_GROUP_PREFIX
    otherGroupsPerUser: int = 0
    groupQuota: int = DEFAULT_GROUP_QUOTA
    otherGroupsInAccount: int = 0
    otherGroupsByUser: dict[str, int] = Field(default_factory=dict)
    otherRoleInlinePolicyChars: int = 0
    otherRoleInlinePolicyCharsByRole: dict[str, int] = Field(default_factory=dict)
    simulateAccess: bool = True

    @field_validator("grantsFile", mode="before")
    @classmethod
    def _grants_file_is_one_path(cls, text: Any) -> Any:
        if (problem := grants_file_problem(text)) is not None:
            reject(*problem)
        return text

    @field_validator("simulateAccess", mode="before")
    @classmethod
    def _switch(cls, text: Any) -> Any:
        """Pulumi hands a YAML boolean over as the text 'true' or 'false'."""
        if isinstance(text, bool):
            return text
        if is_switch(text):
            return text.strip().lower() == "true"
        reject(
            f"must be true or false, but is {describe_value(_decoded(text))}",
            "write 'true' to prove each grant with AWS's policy simulator during preview, or 'false' to skip it",
        )

    @field_validator("bucketAccount", "userAccount", mode="before")
    @classmethod
    def _account_is_an_object(cls, text: Any) -> Any:
        value = _decoded(text)
        if not isinstance(value, dict):
            reject(
                f"must be an object with accountId and region, but is {describe_value(value)}",
                "indent accountId:, region: and optionally profile: and roleArn: under it",
            )
        return value

    @field_validator("otherGroupsPerUser", "otherGroupsInAccount", "otherRoleInlinePolicyChars", mode="before")
    @classmethod
    def _count_of_other_groups(cls, text: Any, info: ValidationInfo) -> Any:
        return _count(text, 0, info.field_name)

    @field_validator("groupQuota", mode="before")
    @classmethod
    def _group_quota(cls, text: Any) -> Any:
        return _count(text, DEFAULT_GROUP_QUOTA)

    @field_validator("otherGroupsByUser", mode="before")
    @classmethod
    def _counts_by_user(cls, text: Any) -> Any:
        return _counts_by_name(text, "user names", "groups", "test.user: 3")

    @field_validator("otherRoleInlinePolicyCharsByRole", mode="before")
    @classmethod
    def _chars_by_role(cls, text: Any) -> Any:
        return _counts_by_name(text, "role names", "characters", "deployer: 2500")

    @field_validator("groupPrefix")
    @classmethod
    def _prefix_is_part_of_a_group_name(cls, prefix: str) -> str:
        if not naming.IAM_NAME_CHARS.fullmatch(prefix):
            reject(
                f"is {prefix!r}; IAM group names allow only letters, digits and +=,.@_-", "remove the other characters"
            )
        return prefix

    @model_validator(mode="wrap")
    @classmethod
    def _rules_across_settings(cls, value: Any, handler: Callable[[Any], StackSettings]) -> StackSettings:
        """Checked on the raw values, so they are reported even while another setting is wrong: two different
        accounts, and per-identity entries that each name one user or role of the user account."""
        raw = value if isinstance(value, dict) else {}
        bucket, user = (_decoded(raw.get(key)) for key in ("bucketAccount", "userAccount"))
        ids = [account.get("accountId") if isinstance(account, dict) else None for account in (bucket, user)]
        same = isinstance(ids[0], str) and naming.ACCOUNT_ID.fullmatch(ids[0]) and ids[0] == ids[1]
        user_account = ids[1] if isinstance(ids[1], str) and naming.ACCOUNT_ID.fullmatch(ids[1]) else None
        findings: list[Finding] = _identity_key_findings(raw, user_account)
        if same:
            findings.append(
                (
                    ("userAccount", "accountId"),
                    f"names the same account as bucketAccount ({ids[1]}); this program grants access across two "
                    "different accounts",
                    "set bucketAccount to the account that owns the buckets and userAccount to the one that owns "
                    "the users",
                )
            )
        checked: StackSettings = validate_with(handler, value, findings, cls.__name__)
        return checked


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
    # Characters (whitespace not counted) a role's inline policies not written by this program already use.
    other_role_inline_policy_chars: int = 0
    other_role_inline_policy_chars_by_role: Mapping[str, int] = field(default_factory=dict)
    simulate_access: bool = True  # prove the planned access with AWS's policy simulator during preview


KNOWN_KEYS = tuple(StackSettings.model_fields)


def by_identity(counts: Mapping[str, int], kind: GranteeKind) -> dict[str, int]:
    """A per-user or per-role setting keyed by lowercase IAM name, whether a key is written as a name or an ARN."""
    return {entry_name(key, kind).lower(): count for key, count in counts.items()}


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


GRANTS_FILE_KEY = "grantsFile"


def grants_file_problem(text: object) -> tuple[str, str] | None:
    """(message, fix) when the grantsFile setting's text names no file: a list or a mapping (which Pulumi hands
    over as JSON), or nothing, which would silently mean the default file."""
    if text is None:
        return None
    value = _decoded(text)
    if isinstance(value, (list, dict)):
        return (
            f"must be the path of one grants file or directory, but is {describe_value(value)}",
            "write one path, such as 'grants/nonprod.yaml', or 'grants/nonprod' for a directory of team files",
        )
    if isinstance(text, str) and not text.strip():
        return (
            "is empty, so the stack would silently read its default grants file, grants/<stack>.yaml",
            "write the path of the grants file (or directory), or remove the setting to use grants/<stack>.yaml",
        )
    return None


def grants_file_setting(raw: Mapping[str, str | None], stack_file: YamlDocument | None) -> str | None:
    """The grantsFile setting's text, as it must be judged: Pulumi's, unless the stack file's names no file.

    `plan` passes the program the file it plans (`--grants`, or the stack's), in place of the stack file's
    setting, so a stack file whose `grantsFile` is empty, a list or a mapping is read here: the program
    refuses it under `plan` as under `pulumi preview`, which would read the default file for an empty one.
    """
    config = stack_file.data.get("config") if stack_file is not None and isinstance(stack_file.data, dict) else None
    key = f"{NAMESPACE}:{GRANTS_FILE_KEY}"
    if isinstance(config, dict) and key in config:
        written = config[key]
        if isinstance(written, (list, dict)):
            return json.dumps(written, default=str)  # as Pulumi hands a list or an object over
        if written is None or (isinstance(written, str) and not written.strip()):
            return ""
    return raw.get(GRANTS_FILE_KEY)


def grants_file_of(stack: str, configured: str | None) -> str:
    """The grants file a stack reads: `grantsFile` from its config, or else `grants/<stack>.yaml`.

    The one place that default is written; the program, `plan` and the assumed world all ask here.
    """
    return configured or f"grants/{stack}.yaml"


def _account_ids_as_written(doc: YamlDocument) -> dict[int, str]:
    """Each account ID the stack file writes as an unquoted number, by the number Pulumi hands over (it reads
    the file as YAML 1.2: 012345678901 is 12345678901), so a fix can quote what was written."""
    found: dict[int, str] = {}
    for account in ACCOUNT_KEYS:
        written = doc.unquoted.get(("config", f"{NAMESPACE}:{account}", "accountId"))
        if written is not None and re.fullmatch(r"[-+]?[0-9]+", written):
            found[int(written, 10)] = written
    return found


def parse_settings(
    raw: Mapping[str, str | None],
    stack: str,
    stack_file: YamlDocument | None,
    *,
    known_regions: naming.KnownRegions | None = None,
) -> Settings:
    """Check the stack's config values and return them typed, or raise every problem at once.

    `raw` maps keys of the `cross-account-s3` namespace to the text Pulumi hands the program.
    `stack_file` is the parsed `Pulumi.<stack>.yaml` when it exists; it supplies line numbers and
    lets unknown keys (typos) be reported, since Pulumi only answers for keys we ask about.
    `known_regions`, when given, are the regions an account's region must be one of.
    """
    doc = stack_file or YamlDocument(file=stack_file_name(stack), data=None)
    values: dict[str, object] = {key: text for key, text in raw.items() if text is not None}
    if (grants_file := grants_file_setting(raw, stack_file)) is not None:
        values[GRANTS_FILE_KEY] = grants_file
    config_section = doc.data.get("config") if isinstance(doc.data, dict) else None
    misspelt: list[Problem] = []
    for full_key in config_section if isinstance(config_section, dict) else ():
        namespace, _, key = str(full_key).partition(":")
        if namespace == NAMESPACE and key not in KNOWN_KEYS:
            values[key] = None
        elif _misspells_namespace(namespace):
            misspelt.append(
                Where(doc, ("config", full_key), field_from=1).problem(
                    f"'{namespace}' is not this program's namespace, so Pulumi would never hand this "
                    "setting to it and it would be silently ignored",
                    f"write it as '{NAMESPACE}:{key}'",
                )
            )
    try:
        context = {ACCOUNT_IDS_AS_WRITTEN: _account_ids_as_written(doc), naming.KNOWN_REGIONS: known_regions}
        checked = StackSettings.model_validate(values, context=context)
    except ValidationError as error:
        where = Where(doc, ("config",), field_from=1)
        raise InputProblems(
            [*to_problems(error, model=StackSettings, where=where, key=lambda key: f"{NAMESPACE}:{key}"), *misspelt]
        ) from None
    raise_if_any(misspelt)
    return Settings(
        stack=stack,
        bucket_account=checked.bucketAccount,
        user_account=checked.userAccount,
        grants_file=grants_file_of(stack, checked.grantsFile),
        group_prefix=checked.groupPrefix,
        other_groups_per_user=checked.otherGroupsPerUser,
        other_groups_by_user=checked.otherGroupsByUser,
        group_quota=checked.groupQuota,
        other_groups_in_account=checked.otherGroupsInAccount,
        other_role_inline_policy_chars=checked.otherRoleInlinePolicyChars,
        other_role_inline_policy_chars_by_role=checked.otherRoleInlinePolicyCharsByRole,
        simulate_access=checked.simulateAccess,
    )
