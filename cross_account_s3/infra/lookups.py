"""Live lookups through the account providers, all done before any AWS resource is registered.

`pulumi up` creates resources as soon as they are registered, so a lookup that failed after some
registrations would leave half a change applied. The program waits here, synchronously, until every
lookup has answered, and only then registers its first group or policy.

The lookups themselves run concurrently: each is an AWS API call, so a grants file naming hundreds
of users would otherwise make every preview wait for hundreds of round trips one after another.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, TypeVar

import pulumi
from pulumi.runtime.sync_await import _sync_await

from ..core.grantees import entry_name
from ..core.grants import LoadedGrants
from ..core.live import LiveBucket, LiveFacts, LiveUser
from .providers import AccountProviders

GET_USER = "aws:iam/getUser:getUser"  # what aws.iam.get_user invokes
GET_BUCKET_POLICY = "aws:s3/getBucketPolicy:getBucketPolicy"  # what aws.s3.get_bucket_policy invokes
# AWS's error codes for a missing user or bucket, and the HTTP status the provider prints with them;
# never a bare "404", which also turns up inside request IDs.
_NOT_FOUND_MARKERS = ("NoSuchEntity", "NoSuchBucket", "StatusCode: 404")
T = TypeVar("T")


def _is_not_found(error: Exception) -> bool:
    text = str(error)
    return any(marker in text for marker in _NOT_FOUND_MARKERS) and "NoSuchBucketPolicy" not in text


def _first_line(error: Exception) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


async def _look_up_user(name: str, provider: pulumi.ProviderResource) -> LiveUser | str | None:
    """The user, None when it does not exist, or the error text when the lookup itself failed."""
    try:
        found = await pulumi.runtime.invoke_async(GET_USER, {"userName": name}, pulumi.InvokeOptions(provider=provider))
    except Exception as error:  # noqa: BLE001 - the engine reports every invoke failure as a plain Exception
        return None if _is_not_found(error) else _first_line(error)
    return LiveUser(name=str(found.get("userName") or name), arn=str(found["arn"]), user_id=str(found["userId"]))


async def _look_up_bucket(name: str, provider: pulumi.ProviderResource) -> LiveBucket:
    """One invoke tells all three cases apart: no such bucket, no policy (the normal case), or the policy."""
    try:
        found = await pulumi.runtime.invoke_async(
            GET_BUCKET_POLICY, {"bucket": name}, pulumi.InvokeOptions(provider=provider)
        )
    except Exception as error:  # noqa: BLE001 - the engine reports every invoke failure as a plain Exception
        if "NoSuchBucketPolicy" in str(error):
            return LiveBucket(name=name, exists=True, policy=None)
        if "NoSuchBucket" in str(error) or _is_not_found(error):
            return LiveBucket(name=name, exists=False)
        return LiveBucket(name=name, exists=True, error=_first_line(error))
    policy: Any = json.loads(found["policy"]) if found.get("policy") else None
    return LiveBucket(name=name, exists=True, policy=policy)


async def _all(awaitables: list[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*awaitables))


def look_up(loaded: LoadedGrants, providers: AccountProviders) -> LiveFacts:
    """Every user and bucket the grants name, as the two accounts report them, looked up concurrently."""
    # IAM user names are unique ignoring case: look each user up once, by one spelling chosen the same
    # way every run, and let IAM's answer say how the name is really spelled.
    spellings: dict[str, str] = {}
    for name in sorted({entry_name(user) for grant in loaded.grants for user in grant.users}):
        spellings.setdefault(name.lower(), name)
    user_names = [spellings[key] for key in sorted(spellings)]
    buckets = loaded.managed_buckets
    # The SDK's own synchronous invokes wait the same way; gathering first lets the lookups overlap.
    users = _sync_await(_all([_look_up_user(name, providers.user_account) for name in user_names]))
    states = _sync_await(_all([_look_up_bucket(bucket, providers.bucket_account) for bucket in buckets]))
    by_name = {name.lower(): user for name, user in zip(user_names, users, strict=True)}
    return LiveFacts(
        users={key: user for key, user in by_name.items() if not isinstance(user, str)},
        buckets=dict(zip(buckets, states, strict=True)),
        user_errors={key: user for key, user in by_name.items() if isinstance(user, str)},
    )
