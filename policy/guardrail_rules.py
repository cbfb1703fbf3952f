"""The policy pack's rules as plain functions: resource type and properties in, violation messages out.

This file is the second, independent line of defence. It imports nothing from the program (the pack
runs in its own virtualenv) and restates the program's safety promises as checks on what the program
actually registers, so a later edit of the program that breaks a promise is blocked at `pulumi preview`
even when the program's own validation was changed with it. Keeping the logic here, free of the
pulumi-policy SDK, lets the tests call every rule directly; `guardrail_policies.py` only wraps them.

Only `Allow` statements are judged by the principal and action rules: a `Deny` can only take access
away, and the common "deny everyone without TLS" statement (`Principal: "*"`, `Effect: Deny`) is a
safety net this pack must not block.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"

# Every resource property that holds an IAM policy document, by type. The Version rule covers all of
# them; the action rule covers the ones that grant (not the trust policy of a role).
POLICY_DOCUMENT_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    BUCKET_POLICY: ("policy",),
    GROUP_POLICY: ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:s3/accessPointPolicy:AccessPointPolicy": ("accessPointPolicy",),
}
# Grant-bearing documents: the issue names bucket and group policies; the other IAM inline and managed
# policies are included so that an edit moving the grant to, say, a managed policy cannot slip past.
GRANTING_TYPES = frozenset(
    {
        BUCKET_POLICY,
        GROUP_POLICY,
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
    }
)

# Bucket and permission administration: never granted across accounts. The first four are the issue's;
# the others also decide who can reach the data (ACLs, Block Public Access, Object Ownership). Each is
# refused by the program too (tests/test_policy_pack.py checks that), so the two lines agree.
ADMIN_ACTIONS = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:DeleteBucket",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketOwnershipControls",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
)

# Beyond reads (Get*, List*), the only S3 actions a cross-account grant may allow: writing, tagging,
# annotating and deleting object data. Everything else that writes (lifecycle rules, replication,
# CORS, access points, encryption, ...) changes the bucket or where its data goes, so it is blocked
# unless named here. An allowlist, so an action AWS adds later is blocked until someone reviews it.
DATA_WRITE_ACTIONS = frozenset(
    {
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:DeleteObjectAnnotation",
        "s3:DeleteObjectTagging",
        "s3:DeleteObjectVersionAnnotation",
        "s3:DeleteObjectVersionTagging",
        "s3:PutObject",
        "s3:PutObjectAnnotation",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionAnnotation",
        "s3:PutObjectVersionTagging",
        "s3:RestoreObject",
    }
)
_DATA_WRITES_LOWER = frozenset(action.lower() for action in DATA_WRITE_ACTIONS)

# A bucket encrypted with a customer managed KMS key: identity policies may allow exactly what S3 needs
# of the key (reading: Decrypt; uploading: GenerateDataKey and Decrypt), on key ARNs only, and only when S3
# calls KMS (kms:ViaService). Bucket policies never allow KMS actions. Every other non-S3 action stays blocked.
KMS_GRANT = "aws:kms/grant:Grant"
IDENTITY_TYPES = GRANTING_TYPES - {BUCKET_POLICY}
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
_KMS_ACTIONS_LOWER = frozenset(action.lower() for action in KMS_ACTIONS)
KMS_GRANT_OPERATIONS = frozenset(action.removeprefix("kms:") for action in KMS_ACTIONS)
KMS_KEY_ARN = re.compile(
    r"arn:aws:kms:[a-z]{2}(?:-[a-z]+)+-[0-9]+:[0-9]{12}:key/(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
    flags=re.ASCII,
)
S3_VIA_SERVICE = re.compile(r"s3\.[a-z]{2}(?:-[a-z]+)+-[0-9]+\.amazonaws\.com", flags=re.ASCII)
IAM_GRANTEE_ARN = re.compile(r"arn:aws:iam::[0-9]{12}:(?:user|role)/(?:[!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}", re.ASCII)

# The default provider's name is "default" or "default_<version>" (for example default_7_51_1).
DEFAULT_PROVIDER_PREFIX = "default"
PROVIDER_CHECKED_PREFIXES = ("aws:iam/", "aws:s3/", "aws:kms/")

USER_ACCOUNT_PROVIDER = "user-account"
ACCOUNT_ID = re.compile(r"[0-9]{12}", flags=re.ASCII)
USER_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):user/(?:[!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}",
    flags=re.ASCII,
)
ROLE_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):role/(?:[!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}",
    flags=re.ASCII,
)
ROOT_ARN = re.compile(r"arn:aws:iam::(?P<account>[0-9]{12}):root", flags=re.ASCII)
ANY_ARN_ACCOUNT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]*:[^:]*:(?P<account>[0-9]{12}):", flags=re.ASCII)


def _is_list(value: Any) -> bool:
    """A JSON array or a pulumi-policy list proxy; text is not a list here."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _as_list(value: Any) -> list[Any]:
    return list(value) if _is_list(value) else [value]


def parse_document(value: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(document, None), or (None, why) when the value is not a JSON policy document.

    pulumi-aws takes policies as JSON text; a mapping is accepted too, because the engine may hand a
    policy over already decoded.
    """
    if isinstance(value, Mapping):
        return json.loads(json.dumps(dict(value), default=_plain)), None
    if not isinstance(value, str):
        return None, f"is not a JSON policy document but {type(value).__name__}"
    try:
        document = json.loads(value)
    except ValueError as error:
        return None, f"is not valid JSON ({error})"
    if not isinstance(document, dict):
        return None, "is JSON but not an object with 'Version' and 'Statement'"
    return document, None


def _plain(value: Any) -> Any:
    """JSON encoding for pulumi-policy's read-only proxies."""
    if isinstance(value, Mapping):
        return dict(value)
    if _is_list(value):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def statements(document: Mapping[str, Any]) -> list[Any]:
    """The statements of a document; AWS accepts one statement object in place of a list."""
    return _as_list(document.get("Statement", []))


def _allow_statements(document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for index, statement in enumerate(statements(document)):
        if not isinstance(statement, Mapping):
            continue
        if statement.get("Effect") == "Deny":
            continue  # a Deny only narrows access
        yield str(statement.get("Sid") or f"#{index + 1}"), statement


def version_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every policy document must say Version 2012-10-17; anything else is rejected or means the old 2008 rules."""
    found: list[str] = []
    for prop in POLICY_DOCUMENT_PROPERTIES.get(resource_type, ()):
        if prop not in props or props[prop] is None:
            continue
        document, why = parse_document(props[prop])
        if document is None:
            found.append(f"'{prop}' {why}; a policy must be a JSON document with Version {POLICY_VERSION}")
            continue
        version = document.get("Version")
        if version != POLICY_VERSION:
            shown = "missing (AWS then applies the 2008-10-17 rules)" if version is None else repr(version)
            found.append(f"'{prop}' has Version {shown}; it must be {POLICY_VERSION!r}")
    return found


def _action_problem(action: Any) -> str | None:
    if not isinstance(action, str):
        return f"the action {action!r} is not text"
    service, _, name = action.partition(":")
    if service.lower() != "s3" or not name:
        return f"{action!r} is not an s3: action; these policies grant S3 data access only"
    if name.strip("*?") == "":
        return f"{action!r} grants every S3 action, including deleting the bucket and rewriting its policy"
    matched = [admin for admin in ADMIN_ACTIONS if fnmatch.fnmatchcase(admin.lower(), action.lower())]
    if matched:
        return f"{action!r} grants bucket or permission administration ({', '.join(matched)})"
    if name.lower().startswith(("get", "list")):
        return None
    if "*" in name or "?" in name:
        return (
            f"{action!r} is a wildcard over S3 write actions, which reaches bucket configuration; name the data actions"
        )
    if action.lower() not in _DATA_WRITES_LOWER:
        return (
            f"{action!r} is not reading, writing or deleting object data (it changes the bucket, its settings or where "
            "its data goes); cross-account grants may not allow it"
        )
    return None


def action_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Allow statements of granting policies may name only s3: data actions: no '*', 's3:*' or administration."""
    if resource_type not in GRANTING_TYPES:
        return []
    document, _ = parse_document(props.get("policy"))
    if document is None:
        return []  # the Version rule reports a document it cannot read
    found: list[str] = []
    for sid, statement in _allow_statements(document):
        if resource_type in IDENTITY_TYPES and _names_kms(statement):
            found += [f"statement {sid}: {problem}" for problem in _kms_statement_problems(statement)]
            continue
        if "NotAction" in statement:
            found.append(f"statement {sid} allows NotAction, which grants every action not listed, in every service")
        for action in _as_list(statement.get("Action", [])):
            problem = _action_problem(action)
            if problem:
                found.append(f"statement {sid}: {problem}")
        if "NotResource" in statement:
            found.append(f"statement {sid} allows NotResource, which reaches every resource not listed")
        for resource in _as_list(statement.get("Resource", [])):
            if not isinstance(resource, str) or resource == "*" or resource.startswith("arn:aws:s3:::*"):
                found.append(f"statement {sid} allows on {resource!r}, every bucket; name the buckets")
    return found


def _names_kms(statement: Mapping[str, Any]) -> bool:
    actions = _as_list(statement.get("Action", []))
    return any(isinstance(action, str) and action.lower().startswith("kms:") for action in actions)


def _kms_statement_problems(statement: Mapping[str, Any]) -> list[str]:
    """A KMS statement of an identity policy: only S3's KMS actions, on key ARNs, only through S3."""
    problems: list[str] = []
    if "NotAction" in statement or "NotResource" in statement:
        problems.append("a KMS statement may not use NotAction or NotResource")
    for action in _as_list(statement.get("Action", [])):
        if not isinstance(action, str) or action.lower() not in _KMS_ACTIONS_LOWER:
            problems.append(
                f"{action!r} is not one of {', '.join(KMS_ACTIONS)}, the only KMS actions S3 needs for a grantee; "
                "KMS actions go in a statement of their own"
            )
    for resource in _as_list(statement.get("Resource", [])):
        if not isinstance(resource, str) or not KMS_KEY_ARN.fullmatch(resource):
            problems.append(f"allows KMS actions on {resource!r}; name each key by its key ARN (no alias, no wildcard)")
    condition = statement.get("Condition")
    equals = condition.get("StringEquals") if isinstance(condition, Mapping) else None
    via = equals.get("kms:ViaService") if isinstance(equals, Mapping) else None
    values = _as_list(via) if via is not None else []
    if not values or not all(isinstance(value, str) and S3_VIA_SERVICE.fullmatch(value) for value in values):
        problems.append(
            "allows KMS actions without the condition StringEquals kms:ViaService s3.<region>.amazonaws.com, so the "
            "key would be usable outside S3"
        )
    return problems


def kms_grant_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A KMS grant gives an IAM user or role exactly S3's KMS operations, and lets nobody else retire it."""
    if resource_type != KMS_GRANT:
        return []
    found: list[str] = []
    operations = [str(operation) for operation in _as_list(props.get("operations") or [])]
    extra = sorted(set(operations) - KMS_GRANT_OPERATIONS)
    if extra:
        found.append(
            f"the grant allows {', '.join(extra)}; a grant for S3 access allows only "
            f"{', '.join(sorted(KMS_GRANT_OPERATIONS))}"
        )
    grantee = props.get("granteePrincipal")
    if not isinstance(grantee, str) or not IAM_GRANTEE_ARN.fullmatch(grantee):
        found.append(f"the grantee {grantee!r} is not an IAM user or role ARN (never an account root or a service)")
    if props.get("retiringPrincipal"):
        found.append("the grant names a retiring principal; only the key's account revokes these grants")
    return found


def provider_violations(resource_type: str, provider_name: str | None) -> list[str]:
    """IAM and S3 resources must name their account's provider; the default one uses whatever credentials are about."""
    if not resource_type.startswith(PROVIDER_CHECKED_PREFIXES):
        return []
    if not provider_name:
        return [f"{resource_type} has no provider; it would use the default provider and ambient credentials"]
    if provider_name.startswith(DEFAULT_PROVIDER_PREFIX):
        return [
            f"{resource_type} uses the default provider {provider_name!r}, which acts in whatever account the "
            "ambient credentials reach; pass the account's explicit provider"
        ]
    return []


def _principal_problem(principal: Any, user_account: str) -> str | None:
    if principal == "*":
        return "allows '*', which is everyone, in every account"
    if not isinstance(principal, str):
        return f"names {principal!r}, which is not an ARN"
    if ACCOUNT_ID.fullmatch(principal) or ROOT_ARN.fullmatch(principal):
        return (
            f"names the account root {principal!r}, which lets that account hand the access to any of its "
            "identities; name IAM users or roles instead"
        )
    for kind, pattern in (("user", USER_ARN), ("role", ROLE_ARN)):
        found = pattern.fullmatch(principal)
        if found and found["account"] == user_account:
            return None
        if found:
            return (
                f"names {principal!r}, a {kind} of account {found['account']}, not of the user account {user_account}"
            )
    other = ANY_ARN_ACCOUNT.match(principal)
    where = f"in account {other['account']}" if other else "with no account"
    return f"names {principal!r} ({where}), which is not an IAM user or role of the user account {user_account}"


# The program's own statements carry this Sid prefix; a pack-config exemption can never cover them.
PROGRAM_SID_PREFIX = "CrossAccountS3"


def principal_violations(props: Mapping[str, Any], user_account: str, exempt_sids: Sequence[str] = ()) -> list[str]:
    """Every Allow statement of a bucket policy names only IAM users or roles of the user account: no '*', no root.

    `exempt_sids` come from the pack's own config, never from the program: a reviewer may exempt a
    statement someone else owns and the grants file keeps verbatim (such as a CloudFront read), by its
    exact Sid. Statements the program writes (Sid prefix `CrossAccountS3`) are always checked.
    """
    document, _ = parse_document(props.get("policy"))
    if document is None:
        return []
    exempt = {sid for sid in exempt_sids if not sid.startswith(PROGRAM_SID_PREFIX)}
    found: list[str] = []
    for sid, statement in _allow_statements(document):
        if statement.get("Sid") in exempt:
            continue
        if "NotPrincipal" in statement:
            found.append(f"statement {sid} allows NotPrincipal, which grants everyone not listed")
        if "Principal" not in statement:
            found.append(f"statement {sid} names no principal")
            continue
        principal = statement["Principal"]
        if not isinstance(principal, Mapping):
            principal = {"AWS": principal}
        for kind, values in principal.items():
            for value in _as_list(values):
                problem = (
                    _principal_problem(value, user_account)
                    if kind == "AWS"
                    else f"names a {kind} principal {value!r}, which is not an IAM user or role of the user account"
                )
                if problem:
                    found.append(f"statement {sid} {problem}")
    return found


def provider_account_ids(props: Mapping[str, Any]) -> list[str]:
    """A provider's `allowedAccountIds`, whether the engine passes a list or (for providers) JSON text."""
    value = props.get("allowedAccountIds")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    return [str(item) for item in _as_list(value)] if value is not None else []


def stack_user_account(config_value: Any) -> str | None:
    """The accountId of the stack's `cross-account-s3:userAccount` setting, when it is a 12-digit ID."""
    if isinstance(config_value, str):
        try:
            config_value = json.loads(config_value)
        except ValueError:
            return None
    if isinstance(config_value, Mapping):
        account = config_value.get("accountId")
        if isinstance(account, str) and ACCOUNT_ID.fullmatch(account):
            return account
    return None


def resolve_user_account(
    pack_config: str | None, stack_config: str | None, provider_accounts: list[str] | None
) -> tuple[str | None, list[str]]:
    """The user account, and why it cannot be trusted when the sources disagree.

    Three sources, each independent of the program's code: the pack's own config `userAccountId`
    (set by whoever runs the pack), the stack's reviewed `cross-account-s3:userAccount` setting (when
    the CLI hands stack config to the pack), and the `allowedAccountIds` of the program's `user-account`
    provider, which AWS itself enforces. Every source present must agree. With none present the rule
    fails closed, because it cannot tell a user of the user account from anyone else.
    """
    problems: list[str] = []
    sources: dict[str, str] = {}
    if pack_config is not None:
        if ACCOUNT_ID.fullmatch(pack_config):
            sources["policy pack config userAccountId"] = pack_config
        else:
            problems.append(f"the policy pack config userAccountId {pack_config!r} is not a 12-digit account ID")
    if stack_config is not None:
        sources["stack setting cross-account-s3:userAccount"] = stack_config
    if provider_accounts is not None:
        if len(provider_accounts) == 1 and ACCOUNT_ID.fullmatch(provider_accounts[0]):
            sources[f"allowedAccountIds of provider '{USER_ACCOUNT_PROVIDER}'"] = provider_accounts[0]
        else:
            problems.append(
                f"provider '{USER_ACCOUNT_PROVIDER}' must be pinned to exactly one account with allowedAccountIds, "
                f"but allows {provider_accounts!r}"
            )
    accounts = set(sources.values())
    if len(accounts) > 1:
        listed = "; ".join(f"{source} says {account}" for source, account in sources.items())
        problems.append(f"the sources of the user account disagree: {listed}")
    if problems:
        return None, problems
    if not accounts:
        return None, [
            "cannot tell which account owns the users: run the pack with the stack's config, "
            "--policy-pack-config policy/config/<stack>.json, whose userAccountId names the user account"
        ]
    return accounts.pop(), []
