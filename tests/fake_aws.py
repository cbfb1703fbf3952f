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
from tests.iam_oracle.oracle import analyse

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
    # What AWS's policy simulator sees in this account beyond what the program passes in:
    user_policies: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # user -> name -> document
    boundaries: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # user -> (policy ARN, document)
    simulator_denied: bool = False  # the profile may not call iam:SimulatePrincipalPolicy


@dataclass
class FakeWorld:
    """The accounts the lookups answer from, keyed by account ID."""

    accounts: dict[str, FakeAccount] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)  # ARN -> AIDA (or AROA) id; defaults are derived
    previous_outputs: dict[str, Any] = field(default_factory=dict)  # the stack's last deployment's outputs
    simulations: int = 0  # how many times the policy simulator was asked

    def account(self, account_id: str) -> FakeAccount:
        return self.accounts.setdefault(account_id, FakeAccount())

    def answer(self, token: str, args: Mapping[str, Any], account_id: str) -> dict[str, Any]:
        account = self.account(account_id)
        if token == contract.SIMULATE_PRINCIPAL_POLICY:
            self.simulations += 1
            return _simulate(account, account_id, args)
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
        boundary = account.boundaries.get(name, ("", {}))[0]
        return contract.user_payload(account_id, name, path, user_id, permissions_boundary=boundary)

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


# iam-simulate's results, as AWS's EvalDecision keywords (contract.DECISIONS).
_DECISIONS = {"Allowed": "allowed", "ImplicitlyDenied": "implicitDeny", "ExplicitlyDenied": "explicitDeny"}
_RESTRICTIVENESS = ("allowed", "implicitDeny", "explicitDeny")


def _simulate(account: FakeAccount, account_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """SimulatePrincipalPolicy, decided by the independent simulator (iam-simulate), never by this fake.

    The simulator is fed what AWS would feed it: the user's own policies and permissions boundary (the
    account's knobs), the policies passed in, the resource policy and the context entries. Matched
    statements are reported only with the documented source types AWS gives the user's own policies
    ("user") and the resource policy ("resource"); what AWS reports for passed-in policies is not
    documented, so the fake says nothing about them rather than guess.
    """
    principal = str(args["policySourceArn"])
    if account.simulator_denied:
        raise _failure(contract.SIMULATE_PRINCIPAL_POLICY, contract.SIMULATOR_DENIED, principal)
    kind, _, name = principal.split(":", 5)[5].partition("/")
    name = name.rsplit("/", 1)[-1]
    if kind == "user" and name not in account.users:
        raise _failure(contract.SIMULATE_PRINCIPAL_POLICY, contract.NO_SUCH_USER, name)
    if kind != "user" and args.get("resourcePolicyJson"):
        # What AWS does with a resource policy for a role (an error, or ignoring it) is not confirmed.
        raise InvokeFailed("the fake AWS does not simulate a resource policy for a role: AWS's behaviour is unknown")
    own = [
        {"name": f"user/{policy}", "policy": document}
        for policy, document in account.user_policies.get(name, {}).items()
    ]
    passed = [
        {"name": f"PolicyInputList.{index}", "policy": json.loads(text)}
        for index, text in enumerate(args.get("additionalPoliciesJsons") or [], start=1)
    ]
    context = {
        str(entry["key"]): entry["values"][0] if len(entry["values"]) == 1 else list(entry["values"])
        for entry in args.get("contexts") or []
    }
    owner = str(args.get("resourceOwnerAccountId") or principal.split(":")[4])
    resources = [str(arn) for arn in args.get("resourceArns") or ["*"]]
    base: dict[str, Any] = {
        "identityPolicies": own + passed,
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
    }
    if name in account.boundaries:
        arn, document = account.boundaries[name]
        base["permissionBoundaryPolicies"] = [{"name": arn, "policy": document}]
    if args.get("resourcePolicyJson"):
        base["resourcePolicy"] = json.loads(str(args["resourcePolicyJson"]))
    asked = [(str(action), resource) for action in args["actionNames"] for resource in resources]
    simulations = [
        {
            **base,
            "request": {
                "principal": principal,
                "action": action,
                "resource": {"resource": resource, "accountId": owner},
                "contextVariables": context,
            },
        }
        for action, resource in asked
    ]
    answers = analyse(simulations)
    refused = [answer for answer in answers if answer["result"] == "Error"]
    if refused:
        raise InvokeFailed(f"the fake AWS's simulator refused the request as invalid: {refused[0]['errors']}")
    by_action: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for (action, _resource), answer in zip(asked, answers, strict=True):
        by_action.setdefault(action, []).append((_DECISIONS[answer["result"]], answer))
    results = []
    for action, found in by_action.items():
        # One result per action, the most restrictive across the resources (boto3 v4 EvaluationResult docs).
        decision, answer = max(found, key=lambda pair: _RESTRICTIVENESS.index(pair[0]))
        effect = {"allowed": "Allow", "explicitDeny": "Deny"}.get(decision)
        matched: list[tuple[str, str]] = []
        if effect is not None:
            identity = answer["identityAllow" if effect == "Allow" else "identityDeny"]
            matched += [
                ("user", policy.removeprefix("user/")) for policy, _sid in identity if policy.startswith("user/")
            ]
            matched += [("resource", "") for _ in answer["resourceAllow" if effect == "Allow" else "resourceDeny"]][:1]
        results.append(
            contract.simulation_result(
                action, decision, tuple(sorted(set(matched))), (), resources[0] if len(resources) == 1 else None
            )
        )
    return contract.simulation_payload(args, results)
