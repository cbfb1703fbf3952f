"""One AWS provider per account, each pinned to its account ID.

`allowed_account_ids` makes a provider refuse to act when its credentials resolve to any other
account, so a profile pointing at the wrong account fails instead of changing it. The stacks also
set `pulumi:disable-default-providers`, so a resource that forgot its provider fails too, instead
of falling back to ambient credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

import pulumi_aws as aws

from ..core.naming import KnownRegions
from ..core.settings import AccountSettings, Settings


def aws_regions() -> KnownRegions:
    """AWS's regions as the pinned pulumi-aws lists them (its `Region` enum, generated with each release).

    A region of the right shape that is not on it (eu-wset-1) would otherwise pass every check and fail only
    at the first lookup in AWS. The list is pulumi-aws's because it is a runtime package already; the AWS
    SDKs' own list (botocore's endpoints data) is installed only for the tests.
    """
    return KnownRegions(frozenset(region.value for region in aws.Region), f"pulumi-aws {version('pulumi_aws')}")


def account_provider(name: str, account: AccountSettings) -> aws.Provider:
    assume_roles = (
        [aws.ProviderAssumeRoleArgs(role_arn=account.roleArn, session_name="cross-account-s3")]
        if account.roleArn
        else None
    )
    return aws.Provider(
        name,
        region=account.region,
        profile=account.profile,
        allowed_account_ids=[account.accountId],
        assume_roles=assume_roles,
    )


@dataclass(frozen=True)
class AccountProviders:
    """The provider for the account that owns the buckets, and the one for the account that owns the users."""

    bucket_account: aws.Provider
    user_account: aws.Provider

    @classmethod
    def for_settings(cls, settings: Settings) -> AccountProviders:
        return cls(
            bucket_account=account_provider("bucket-account", settings.bucket_account),
            user_account=account_provider("user-account", settings.user_account),
        )
