"""Live lookups through the account providers, all done before any AWS resource is registered.

`pulumi up` creates resources as soon as they are registered, so a lookup that failed after some
registrations would leave half a change applied. The program waits here, synchronously, until every
lookup has answered, and only then registers its first group or policy.

The lookups themselves run concurrently: each is an AWS API call, so a grants file naming hundreds
of users would otherwise make every preview wait for hundreds of round trips one after another.

Each lookup is a row of `LOOKUPS`: the invoke's token and how to build its request. What an answer
means is decided in the pure core (`core.live`), from the text the provider really sends. A later
phase (the policy simulator, after the plan is built) adds rows and calls `ask_all` the same way,
still before the first registration.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pulumi
from pulumi.runtime.sync_await import _sync_await

from ..core.bucket_settings import BucketSettings
from ..core.grantees import GranteeKind, entry_name
from ..core.kms import KeyReference
from ..core.live import (
    Answer,
    LiveBucket,
    LiveFacts,
    LiveKey,
    LiveRole,
    LiveUser,
    LookupFailure,
    bucket_from_answers,
    key_from_answer,
    needs_bucket_check,
    needs_role_policies,
    role_from_answers,
    user_from_answer,
)
from ..core.loaded_grants import LoadedGrants
from ..core.outputs import LastDeployment
from ..core.retired_buckets import retired_buckets, retired_from_answer
from ..core.simulation import Simulation
from .providers import AccountProviders

T = TypeVar("T")
U = TypeVar("U")
K = TypeVar("K")  # what a lookup is asked about: a name, or (for the simulator) a planned simulation


@dataclass(frozen=True)
class Lookup(Generic[K]):
    """One invoke: its token, and the request for what is asked (a name, or a simulation), with a region when set."""

    token: str
    request: Callable[[K, str | None], dict[str, Any]]


def _with_region(arguments: dict[str, Any], region: str | None) -> dict[str, Any]:
    return {**arguments, "region": region} if region else arguments


GET_USER = Lookup[str]("aws:iam/getUser:getUser", lambda name, _region: {"userName": name})  # aws.iam.get_user
GET_BUCKET_POLICY = Lookup[str](  # aws.s3.get_bucket_policy: the policy, or "couldn't find resource"
    "aws:s3/getBucketPolicy:getBucketPolicy", lambda bucket, region: _with_region({"bucket": bucket}, region)
)
GET_BUCKET = Lookup[str](  # aws.s3.get_bucket (HeadBucket): tells "no bucket" from "no policy"
    "aws:s3/getBucket:getBucket", lambda bucket, region: _with_region({"bucket": bucket}, region)
)
GET_KEY = Lookup[str](  # aws.kms.get_key (DescribeKey): a bucket's kmsKey, in the key's region; an alias resolves
    "aws:kms/getKey:getKey", lambda key, region: _with_region({"keyId": key}, region)
)
GET_ROLE = Lookup[str]("aws:iam/getRole:getRole", lambda name, _region: {"name": name})  # aws.iam.get_role: by name
GET_ROLE_POLICIES = Lookup[str](  # aws.iam.get_role_policies: the role's inline policy names
    "aws:iam/getRolePolicies:getRolePolicies", lambda name, _region: {"roleName": name}
)


def _compact(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def _simulation_request(simulation: Simulation, _region: str | None) -> dict[str, Any]:
    """aws.iam.get_principal_policy_simulation's arguments, as the Python SDK names them on the wire."""
    request: dict[str, Any] = {
        "policySourceArn": simulation.grantee.arn,
        "actionNames": list(simulation.actions),
        "resourceArns": list(simulation.resource_arns),
        "additionalPoliciesJsons": [_compact(document) for document in simulation.identity_policies],
        "contexts": [
            {"key": entry.key, "type": entry.type, "values": list(entry.values)} for entry in simulation.context
        ],
    }
    if simulation.resource_policy is not None:  # never for a role: AWS simulates resource policies for users only
        request["resourcePolicyJson"] = _compact(simulation.resource_policy)
    if simulation.resource_owner is not None:
        request["resourceOwnerAccountId"] = simulation.resource_owner
    return request


# The second phase, after the plan is built: AWS's policy simulator (SimulatePrincipalPolicy).
SIMULATE = Lookup[Simulation]("aws:iam/getPrincipalPolicySimulation:getPrincipalPolicySimulation", _simulation_request)
LOOKUPS = (GET_USER, GET_BUCKET_POLICY, GET_BUCKET, GET_KEY, GET_ROLE, GET_ROLE_POLICIES, SIMULATE)


async def ask(lookup: Lookup[K], name: K, region: str | None, provider: pulumi.ProviderResource) -> Answer:
    """Invoke one lookup; a failure becomes the answer's error text, for the core to classify."""
    try:
        payload = await pulumi.runtime.invoke_async(
            lookup.token, lookup.request(name, region), pulumi.InvokeOptions(provider=provider)
        )
    except Exception as error:  # noqa: BLE001 - the engine reports every invoke failure as a plain Exception
        return Answer(error=str(error) or type(error).__name__)
    return Answer(payload=dict(payload))


async def _look_up_bucket(name: str, region: str | None, provider: pulumi.ProviderResource) -> LiveBucket:
    policy = await ask(GET_BUCKET_POLICY, name, region, provider)
    bucket = await ask(GET_BUCKET, name, region, provider) if needs_bucket_check(policy) else None
    return bucket_from_answers(name, policy, bucket, region)


async def _look_up_retired_bucket(name: str, region: str | None, provider: pulumi.ProviderResource) -> LiveBucket:
    return retired_from_answer(name, await ask(GET_BUCKET_POLICY, name, region, provider), region)


async def _look_up_role(name: str, provider: pulumi.ProviderResource) -> LiveRole | LookupFailure | None:
    """getRole proves the role exists; only then are its inline policy names listed, by IAM's spelling."""
    role = await ask(GET_ROLE, name, None, provider)
    if not needs_role_policies(role):
        return role_from_answers(name, role, None)
    spelled = str((role.payload or {}).get("name") or name)
    return role_from_answers(name, role, await ask(GET_ROLE_POLICIES, spelled, None, provider))


async def _all(awaitables: Sequence[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*awaitables))


async def _pair(first: Sequence[Awaitable[T]], second: Sequence[Awaitable[U]]) -> tuple[list[T], list[U]]:
    found_first, found_second = await asyncio.gather(_all(first), _all(second))
    return found_first, found_second


def ask_all(first: Sequence[Awaitable[T]], second: Sequence[Awaitable[U]]) -> tuple[list[T], list[U]]:
    """Wait, here and now, for every lookup of a phase (two kinds of them); they all run concurrently."""
    # The SDK's own synchronous invokes wait the same way; gathering first lets the lookups overlap.
    return _sync_await(_pair(first, second))


async def _buckets_and_keys(
    buckets: Sequence[Awaitable[LiveBucket]], keys: Sequence[Awaitable[Answer]]
) -> tuple[list[LiveBucket], list[Answer]]:
    return await _pair(buckets, keys)


def _key_region(key: str) -> str | None:
    """The region a key ARN or alias ARN names: KMS answers for a key only in its own region."""
    reference = KeyReference.parse(key)
    return reference.region if reference else None


def _region(bucket: str, settings: Mapping[str, BucketSettings]) -> str | None:
    entry = settings.get(bucket)
    return entry.region if entry else None


def _names(loaded: LoadedGrants, kind: GranteeKind) -> list[str]:
    """IAM names are unique per kind ignoring case: each identity once, by one spelling chosen the same
    way every run; IAM's answer then says how the name is really spelled."""
    spellings: dict[str, str] = {}
    entries = {entry_name(entry, kind) for grant in loaded.grants for k, entry, _ in grant.entries if k == kind}
    for name in sorted(entries):
        spellings.setdefault(name.lower(), name)
    return [spellings[key] for key in sorted(spellings)]


async def _identities(
    user_names: Sequence[str], role_names: Sequence[str], provider: pulumi.ProviderResource
) -> tuple[list[Answer], list[LiveRole | LookupFailure | None]]:
    users = [ask(GET_USER, name, None, provider) for name in user_names]
    return await _pair(users, [_look_up_role(name, provider) for name in role_names])


def look_up(loaded: LoadedGrants, providers: AccountProviders, last: LastDeployment | None = None) -> LiveFacts:
    """Every user, role and bucket the grants name, as the two accounts report them, looked up concurrently.

    `last` is what this stack's last deployment wrote (see `stack_history`): the inline role policies
    that are its own, and the buckets whose policy it wrote. Those the grants no longer name are read
    too, because `pulumi up` deletes their policy.
    """
    last = last or LastDeployment()
    user_names, role_names = _names(loaded, "user"), _names(loaded, "role")
    buckets = loaded.managed_buckets
    retired = retired_buckets(loaded, last)
    bucket_lookups = [
        _look_up_bucket(bucket, _region(bucket, loaded.bucket_settings), providers.bucket_account) for bucket in buckets
    ] + [_look_up_retired_bucket(bucket, region, providers.bucket_account) for bucket, region in retired.items()]
    keys = sorted({entry.kmsKey for entry in loaded.bucket_settings.values() if entry.kmsKey})
    key_lookups = [ask(GET_KEY, key, _key_region(key), providers.bucket_account) for key in keys]
    identities, [(states, key_answers)] = ask_all(
        [_identities(user_names, role_names, providers.user_account)], [_buckets_and_keys(bucket_lookups, key_lookups)]
    )
    answers, roles = identities[0]
    users = [user_from_answer(name, answer) for name, answer in zip(user_names, answers, strict=True)]
    by_name = {name.lower(): user for name, user in zip(user_names, users, strict=True)}
    by_role = {name.lower(): role for name, role in zip(role_names, roles, strict=True)}
    found_keys: dict[str, LiveKey | LookupFailure | None] = {
        key: key_from_answer(answer) for key, answer in zip(keys, key_answers, strict=True)
    }
    return LiveFacts(
        users={key: user for key, user in by_name.items() if not isinstance(user, LookupFailure)},
        buckets=dict(zip(buckets, states[: len(buckets)], strict=True)),
        retired_buckets=dict(zip(retired, states[len(buckets) :], strict=True)),
        user_failures={key: user for key, user in by_name.items() if isinstance(user, LookupFailure)},
        roles={key: role for key, role in by_role.items() if not isinstance(role, LookupFailure)},
        role_failures={key: role for key, role in by_role.items() if isinstance(role, LookupFailure)},
        owned_role_policies=last.role_policies,
        last_written=last.bucket_statements,
        last_key_regions=last.key_regions,
        keys=found_keys,
    )


def simulate(simulations: Sequence[Simulation], providers: AccountProviders) -> list[Answer]:
    """Ask the simulator about every planned call at once, through the user account, and wait for all answers."""
    answers, _ = ask_all([ask(SIMULATE, simulation, None, providers.user_account) for simulation in simulations], [])
    return answers


__all__ = ["LOOKUPS", "LiveUser", "ask", "ask_all", "look_up", "simulate"]
