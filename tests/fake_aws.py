"""A fake AWS for the tests: accounts holding users and buckets, answering exactly as pulumi-aws does.

Every answer, success or failure, is built from the contract table (`cross_account_s3.provider_contract`),
whose rows cite the upstream source they were copied from. The knobs (denied names, buckets in
another region, raw failure texts) exist only here, for the tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cross_account_s3 import provider_contract as contract
from cross_account_s3.infra.answers import InvokeFailed, stable_digits

PROVIDER_REGION = "us-east-1"  # the region the committed stacks' providers use


@dataclass(frozen=True)
class FakeKey:
    """A KMS key as DescribeKey reports it: who manages it, and whether it can be used."""

    manager: str = "CUSTOMER"  # or "AWS", for an AWS managed key such as aws/s3
    state: str = "Enabled"  # or "Disabled", "PendingDeletion", ...


@dataclass
class FakeAccount:
    """What one AWS account holds, as far as this program's lookups can see."""

    users: dict[str, str] = field(default_factory=dict)  # name -> path, such as "/" or "/ci/"
    roles: dict[str, str] = field(default_factory=dict)  # role name -> path
    role_policies: dict[str, list[str]] = field(default_factory=dict)  # role name -> its inline policy names
    role_policies_denied: set[str] = field(default_factory=set)  # roles whose inline policies may not be listed
    buckets: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # name -> current policy, or None
    region: str = PROVIDER_REGION  # the provider's region: where an invoke without `region` goes
    bucket_regions: dict[str, str] = field(default_factory=dict)  # buckets outside `region`
    denied: set[str] = field(default_factory=set)  # users and buckets whose reads the profile may not do
    list_denied: set[str] = field(default_factory=set)  # buckets the profile may not HeadBucket (s3:ListBucket)
    signed_for_wrong_region: bool = False  # other-region buckets answer AuthorizationHeaderMalformed, not a 301
    raw_failures: dict[str, str] = field(default_factory=dict)  # name -> an exact error text to raise instead
    keys: dict[str, FakeKey] = field(default_factory=dict)  # key ARN -> the key
    aliases: dict[str, str] = field(default_factory=dict)  # alias ARN -> the key ARN it names


@dataclass
class FakeWorld:
    """The accounts the lookups answer from, keyed by account ID."""

    accounts: dict[str, FakeAccount] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)  # ARN -> AIDA (or AROA) id; defaults are derived
    previous_outputs: dict[str, Any] = field(default_factory=dict)  # the stack's last deployment's outputs

    def account(self, account_id: str) -> FakeAccount:
        return self.accounts.setdefault(account_id, FakeAccount())

    def answer(self, token: str, args: Mapping[str, Any], account_id: str) -> dict[str, Any]:
        account = self.account(account_id)
        name = str(
            args.get("userName") or args.get("bucket") or args.get("keyId") or args.get("name") or args.get("roleName")
        )
        if name in account.raw_failures:
            raise InvokeFailed(account.raw_failures[name])
        if token == contract.GET_USER:
            return self._user(account, account_id, name)
        if token == contract.GET_ROLE:
            return self._role(account, account_id, name)
        if token == contract.GET_ROLE_POLICIES:
            return self._role_policies(account, name)
        if token in (contract.GET_BUCKET_POLICY, contract.GET_BUCKET):
            return self._bucket(account, token, name, str(args.get("region") or account.region))
        if token == contract.GET_KEY:
            return self._key(account, name, str(args.get("region") or account.region))
        raise InvokeFailed(f"the fake AWS does not answer {token}")

    def _key(self, account: FakeAccount, asked: str, asked_region: str) -> dict[str, Any]:
        arn = account.aliases.get(asked, asked)
        key = account.keys.get(arn)
        if asked in account.denied:
            raise _failure(contract.GET_KEY, contract.ACCESS_DENIED, asked, key_arn=arn)
        if key is None or arn.split(":")[3] != asked_region:  # KMS finds a key only in its own region
            raise _failure(contract.GET_KEY, contract.NOT_FOUND, asked)
        return contract.key_payload(asked, arn, asked_region, key_manager=key.manager, key_state=key.state)

    def _user(self, account: FakeAccount, account_id: str, asked: str) -> dict[str, Any]:
        if asked in account.denied:
            raise _failure(contract.GET_USER, contract.ACCESS_DENIED, asked)
        # IAM finds a user whatever the case of the name asked for, and answers with its own spelling.
        # (The exact spelling first: scanning every user for each lookup would make large worlds quadratic.)
        name = (
            asked
            if asked in account.users
            else next((known for known in account.users if known.lower() == asked.lower()), asked)
        )
        path = account.users.get(name)
        if path is None:
            raise _failure(contract.GET_USER, contract.NOT_FOUND, asked)
        arn = f"arn:aws:iam::{account_id}:user{path}{name}"
        user_id = self.user_ids.get(arn, "AIDA" + stable_digits(arn, 17))
        return contract.user_payload(account_id, name, path, user_id)

    def stack_outputs(self, stack: str) -> dict[str, Any]:
        return dict(self.previous_outputs)

    def _role(self, account: FakeAccount, account_id: str, asked: str) -> dict[str, Any]:
        if asked in account.denied:
            raise _failure(contract.GET_ROLE, contract.ACCESS_DENIED, asked)
        # Like users: IAM finds a role whatever the case asked, and answers with its own spelling.
        name = next((known for known in account.roles if known.lower() == asked.lower()), asked)
        path = account.roles.get(name)
        if path is None:
            raise _failure(contract.GET_ROLE, contract.NOT_FOUND, asked)
        arn = f"arn:aws:iam::{account_id}:role{path}{name}"
        return contract.role_payload(account_id, name, path, self.user_ids.get(arn, "AROA" + stable_digits(arn, 17)))

    def _role_policies(self, account: FakeAccount, asked: str) -> dict[str, Any]:
        if asked in account.role_policies_denied:
            raise _failure(contract.GET_ROLE_POLICIES, contract.ACCESS_DENIED, asked)
        name = next((known for known in account.roles if known.lower() == asked.lower()), None)
        if name is None:
            raise _failure(contract.GET_ROLE_POLICIES, contract.NOT_FOUND, asked)
        return contract.role_policies_payload(asked, account.role_policies.get(name, []))

    def _bucket(self, account: FakeAccount, token: str, bucket: str, asked_region: str) -> dict[str, Any]:
        exists = bucket in account.buckets
        home = account.bucket_regions.get(bucket, account.region)
        if token == contract.GET_BUCKET_POLICY:
            if exists and bucket in account.denied:
                raise _failure(token, contract.ACCESS_DENIED, bucket)
            if exists and home != asked_region:
                case = contract.WRONG_REGION_SIGNATURE if account.signed_for_wrong_region else contract.REDIRECT
                raise _failure(token, case, bucket, asked_region=asked_region, bucket_region=home)
            policy = account.buckets.get(bucket)
            if policy is None:  # no such bucket, or no policy: the provider says the same
                raise _failure(token, contract.NOT_FOUND, bucket)
            return contract.bucket_policy_payload(bucket, json.dumps(policy, separators=(",", ":")), asked_region)
        if not exists:
            raise _failure(token, contract.NOT_FOUND, bucket)
        if bucket in account.list_denied or home != asked_region:  # HeadBucket 403 or 301: findBucket drops it
            raise _failure(token, contract.EMPTY_RESULT, bucket)
        return contract.bucket_payload(bucket, home, asked_region)


def _failure(token: str, case: str, name: str, **details: str) -> InvokeFailed:
    return InvokeFailed(contract.error_row(token, case).text(name, **details))
