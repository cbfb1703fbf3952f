"""Thin pulumi-policy wrappers around the rules in `guardrail_rules.py`, all at mandatory level.

Five rules look at one resource at a time, so each runs immediately before its resource is created or
updated and a violation halts `pulumi up`, with or without a preview. One more, a stack validation,
cross-checks that the `user-account` provider is pinned to the configured user account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import guardrail_rules as rules
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

PACK_NAME = "cross-account-s3-guardrails"
MANDATORY = EnforcementLevel.MANDATORY
USER_ACCOUNT_SETTING = "cross-account-s3:userAccount"


def read_stack_setting() -> str | None:
    """The stack's userAccount setting, when the CLI hands stack config to the pack; otherwise None.

    Older CLIs do not pass stack config to policy packs, so this source is optional by design.
    """
    try:
        import pulumi

        return pulumi.Config("cross-account-s3").get("userAccount")
    except Exception:  # noqa: BLE001 - no config available is a normal case, not a failure
        return None


def _explicit_provider(args: ResourceValidationArgs, report: ReportViolation) -> None:
    provider = args.provider.name if args.provider is not None else None
    for message in rules.provider_violations(args.resource_type, provider):
        report(message, None)


def _policy_version(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for message in rules.version_violations(args.resource_type, args.props):
        report(message, None)


def _data_actions_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for message in rules.action_violations(args.resource_type, args.props):
        report(message, None)


def _kms_grants_for_s3_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for message in rules.kms_grant_violations(args.resource_type, args.props):
        report(message, None)


def _user_account_from_config(config: Mapping[str, Any], stack_setting: str | None) -> tuple[str | None, list[str]]:
    pack_account = config.get("userAccountId")
    return rules.resolve_user_account(
        None if pack_account is None else str(pack_account), rules.stack_user_account(stack_setting), None
    )


def principal_policy(stack_setting: Callable[[], str | None] = read_stack_setting) -> ResourceValidationPolicy:
    """The principal rule, on each bucket policy before it is written; `stack_setting` is replaceable in tests.

    A resource validation runs immediately before the resource is created or updated, and during an
    update the first mandatory violation halts the deployment, so even `pulumi up --skip-preview` never
    writes a bucket policy that opens the bucket. The user account comes from the pack config (one file
    per stack, policy/config/<stack>.json) and, when the CLI passes it, the stack's own setting; with
    neither, or when they disagree, the rule fails closed.
    """

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != rules.BUCKET_POLICY:
            return
        config: dict[str, Any] = dict(args.get_config() or {})
        account, problems = _user_account_from_config(config, stack_setting())
        if account is None:
            for problem in problems:
                report(f"cannot check this bucket policy's principals: {problem}", None)
            return
        exempt = [str(sid) for sid in config.get("exemptStatementSids") or []]
        for message in rules.principal_violations(args.props, account, exempt):
            report(message, None)

    return ResourceValidationPolicy(
        name="bucket-policy-principals",
        description=(
            "Bucket policies allow only IAM users and roles of the configured user account: never '*', an "
            "account root, or anyone in another account."
        ),
        enforcement_level=MANDATORY,
        validate=validate,
        config_schema=PolicyConfigSchema(
            properties={
                "userAccountId": {
                    "type": "string",
                    "pattern": "^[0-9]{12}$",
                    "description": "The account that owns the IAM users and roles: the stack's "
                    "cross-account-s3:userAccount.",
                },
                "exemptStatementSids": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[A-Za-z0-9]+$"},
                    "description": "Exact Sids of Allow statements someone else owns (kept via extraStatements) "
                    "whose principals a reviewer accepted; the program's own CrossAccountS3 statements are always "
                    "checked.",
                },
            }
        ),
    )


def provider_policy(stack_setting: Callable[[], str | None] = read_stack_setting) -> StackValidationPolicy:
    """The user-account provider stays pinned to the configured user account (a cross-check at preview).

    It needs two things at once (the provider and the pack config), so it is a stack validation; the
    write itself is guarded by `bucket-policy-principals`, which does not depend on this provider.
    """

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        providers = [
            r
            for r in args.resources
            if r.resource_type == "pulumi:providers:aws" and r.name == rules.USER_ACCOUNT_PROVIDER
        ]
        if not providers:
            return
        config: dict[str, Any] = dict(args.get_config() or {})
        pack_account = config.get("userAccountId")
        provider_accounts = [account for r in providers for account in rules.provider_account_ids(r.props)]
        _, problems = rules.resolve_user_account(
            None if pack_account is None else str(pack_account),
            rules.stack_user_account(stack_setting()),
            provider_accounts,
        )
        for problem in problems:
            for provider in providers:
                report(problem, provider.urn)

    return StackValidationPolicy(
        name="user-account-provider-pinned",
        description="The user-account provider is pinned to exactly the configured user account.",
        enforcement_level=MANDATORY,
        validate=validate,
        config_schema=PolicyConfigSchema(
            properties={"userAccountId": {"type": "string", "pattern": "^[0-9]{12}$"}},
        ),
    )


def policies(stack_setting: Callable[[], str | None] = read_stack_setting) -> list[Any]:
    """Every policy of the pack."""
    return [
        principal_policy(stack_setting),
        provider_policy(stack_setting),
        ResourceValidationPolicy(
            name="s3-data-actions-only",
            description=(
                "Bucket and IAM policies grant only s3: data actions: no other service, no s3:*, no bucket "
                "or permission administration. The one exception: identity policies may allow kms:Decrypt and "
                "kms:GenerateDataKey on key ARNs, only via S3 (kms:ViaService)."
            ),
            enforcement_level=MANDATORY,
            validate=_data_actions_only,
        ),
        ResourceValidationPolicy(
            name="kms-grants-for-s3-only",
            description="KMS grants give an IAM user or role only Decrypt and GenerateDataKey.",
            enforcement_level=MANDATORY,
            validate=_kms_grants_for_s3_only,
        ),
        ResourceValidationPolicy(
            name="explicit-provider",
            description="Every IAM, S3 and KMS resource names its account's provider, never the default one.",
            enforcement_level=MANDATORY,
            validate=_explicit_provider,
        ),
        ResourceValidationPolicy(
            name="policy-version-2012-10-17",
            description=f"Every policy document says Version {rules.POLICY_VERSION}.",
            enforcement_level=MANDATORY,
            validate=_policy_version,
        ),
    ]
