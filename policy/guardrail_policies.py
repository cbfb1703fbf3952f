"""Thin pulumi-policy wrappers around the rules in `guardrail_rules.py`, all at mandatory level.

Three rules look at one resource at a time. The principal rule is a stack validation because it needs
another resource: the bucket policy is made through the bucket account's provider, while the account
its principals must belong to is pinned on the `user-account` provider.
"""

from __future__ import annotations

from collections.abc import Callable
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


def principal_policy(stack_setting: Callable[[], str | None] = read_stack_setting) -> StackValidationPolicy:
    """The principal rule; `stack_setting` reads the stack's userAccount setting (tests pass their own)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        bucket_policies = [r for r in args.resources if r.resource_type == rules.BUCKET_POLICY]
        if not bucket_policies:
            return
        config: dict[str, Any] = dict(args.get_config() or {})
        pack_account = config.get("userAccountId")
        providers = [
            r
            for r in args.resources
            if r.resource_type == "pulumi:providers:aws" and r.name == rules.USER_ACCOUNT_PROVIDER
        ]
        provider_accounts = (
            [account for r in providers for account in rules.provider_account_ids(r.props)] if providers else None
        )
        account, problems = rules.resolve_user_account(
            None if pack_account is None else str(pack_account),
            rules.stack_user_account(stack_setting()),
            provider_accounts,
        )
        exempt = [str(sid) for sid in config.get("exemptStatementSids") or []]
        for resource in bucket_policies:
            if account is None:
                for problem in problems:
                    report(f"cannot check this bucket policy's principals: {problem}", resource.urn)
                continue
            for message in rules.principal_violations(resource.props, account, exempt):
                report(message, resource.urn)

    return StackValidationPolicy(
        name="bucket-policy-principals",
        description=(
            "Bucket policies allow only IAM users of the configured user account: never '*', an account "
            "root, or anyone in another account."
        ),
        enforcement_level=MANDATORY,
        validate=validate,
        config_schema=PolicyConfigSchema(
            properties={
                "userAccountId": {
                    "type": "string",
                    "pattern": "^[0-9]{12}$",
                    "description": "The account that owns the IAM users; must match the stack's user-account provider.",
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


def policies(stack_setting: Callable[[], str | None] = read_stack_setting) -> list[Any]:
    """Every policy of the pack."""
    return [
        principal_policy(stack_setting),
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
