"""Live lookups through the account providers, all done before any AWS resource is registered.

`pulumi up` creates resources as soon as they are registered, so a lookup that failed after some
registrations would leave half a change applied. Every invoke here is synchronous and finishes
before the program registers its first group or policy.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ..core.grants import Grant, LoadedGrants
from ..core.live import LiveBucket, LiveFacts, LiveUser
from .providers import AccountProviders

_NOT_FOUND_MARKERS = ("NoSuchEntity", "NoSuchBucket", "not found", "NotFound", "404")


def _is_not_found(error: Exception) -> bool:
    text = str(error)
    return any(marker in text for marker in _NOT_FOUND_MARKERS) and "NoSuchBucketPolicy" not in text


def _look_up_user(name: str, providers: AccountProviders) -> LiveUser | str | None:
    """The user, None when it does not exist, or the error text when the lookup itself failed."""
    try:
        found = aws.iam.get_user(user_name=name, opts=pulumi.InvokeOptions(provider=providers.user_account))
    except Exception as error:  # noqa: BLE001 - the engine reports every invoke failure as a plain Exception
        if _is_not_found(error):
            return None
        text = str(error)
        return text.splitlines()[0] if text else type(error).__name__
    return LiveUser(name=name, arn=found.arn, user_id=found.user_id)


def _look_up_bucket(name: str, providers: AccountProviders) -> LiveBucket:
    """One invoke tells all three cases apart: no such bucket, no policy (the normal case), or the policy."""
    try:
        found = aws.s3.get_bucket_policy(bucket=name, opts=pulumi.InvokeOptions(provider=providers.bucket_account))
    except Exception as error:  # noqa: BLE001 - the engine reports every invoke failure as a plain Exception
        text = str(error)
        if "NoSuchBucketPolicy" in text:
            return LiveBucket(name=name, exists=True, policy=None)
        if "NoSuchBucket" in text or _is_not_found(error):
            return LiveBucket(name=name, exists=False)
        return LiveBucket(name=name, exists=True, error=text.splitlines()[0] if text else type(error).__name__)
    policy: Any = json.loads(found.policy) if found.policy else None
    return LiveBucket(name=name, exists=True, policy=policy)


def look_up(loaded: LoadedGrants, providers: AccountProviders) -> LiveFacts:
    """Every user and bucket the grants name, as the two accounts report them."""
    user_names = sorted({Grant.user_name(user) for grant in loaded.grants for user in grant.users}, key=str.lower)
    buckets = loaded.managed_buckets
    users = {name.lower(): _look_up_user(name, providers) for name in user_names}
    return LiveFacts(
        users={key: user for key, user in users.items() if not isinstance(user, str)},
        buckets={bucket: _look_up_bucket(bucket, providers) for bucket in buckets},
        user_errors={key: user for key, user in users.items() if isinstance(user, str)},
    )
