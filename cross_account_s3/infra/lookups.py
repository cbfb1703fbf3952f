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
from ..core.grantees import entry_name
from ..core.grants import LoadedGrants
from ..core.kms import KeyReference
from ..core.live import (
    Answer,
    LiveBucket,
    LiveFacts,
    LiveKey,
    LiveUser,
    LookupFailure,
    bucket_from_answers,
    key_from_answer,
    needs_bucket_check,
    user_from_answer,
)
from ..core.simulation import Simulation
from .providers import AccountProviders

T = TypeVar("T")
U = TypeVar("U")
K = TypeVar("K")


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
LOOKUPS = (GET_USER, GET_BUCKET_POLICY, GET_BUCKET, GET_KEY, SIMULATE)


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


def look_up(loaded: LoadedGrants, providers: AccountProviders) -> LiveFacts:
    """Every user, bucket and KMS key the grants name, as the two accounts report them, looked up concurrently."""
    # IAM user names are unique ignoring case: look each user up once, by one spelling chosen the same
    # way every run, and let IAM's answer say how the name is really spelled.
    spellings: dict[str, str] = {}
    for name in sorted({entry_name(user) for grant in loaded.grants for user in grant.users}):
        spellings.setdefault(name.lower(), name)
    user_names = [spellings[key] for key in sorted(spellings)]
    buckets = loaded.managed_buckets
    user_lookups = [ask(GET_USER, name, None, providers.user_account) for name in user_names]
    bucket_lookups = [
        _look_up_bucket(bucket, _region(bucket, loaded.bucket_settings), providers.bucket_account) for bucket in buckets
    ]
    keys = sorted({entry.kmsKey for entry in loaded.bucket_settings.values() if entry.kmsKey})
    key_lookups = [ask(GET_KEY, key, _key_region(key), providers.bucket_account) for key in keys]
    answers, [(states, key_answers)] = ask_all(user_lookups, [_buckets_and_keys(bucket_lookups, key_lookups)])
    users = [user_from_answer(name, answer) for name, answer in zip(user_names, answers, strict=True)]
    by_name = {name.lower(): user for name, user in zip(user_names, users, strict=True)}
    found_keys: dict[str, LiveKey | LookupFailure | None] = {
        key: key_from_answer(answer) for key, answer in zip(keys, key_answers, strict=True)
    }
    return LiveFacts(
        users={key: user for key, user in by_name.items() if not isinstance(user, LookupFailure)},
        buckets=dict(zip(buckets, states, strict=True)),
        user_failures={key: user for key, user in by_name.items() if isinstance(user, LookupFailure)},
        keys=found_keys,
    )


def simulate(simulations: Sequence[Simulation], providers: AccountProviders) -> list[Answer]:
    """Ask the simulator about every planned call at once, through the user account, and wait for all answers."""
    answers, _ = ask_all([ask(SIMULATE, simulation, None, providers.user_account) for simulation in simulations], [])
    return answers


__all__ = ["LOOKUPS", "LiveUser", "ask", "ask_all", "look_up", "simulate"]
