"""The stack's outputs: what `pulumi up` leaves for a reviewer, and what the next run reads back.

One typed model per output, written by the Pulumi program and read back by the review commands and
by the program's next run (`LastDeployment`), so they cannot drift apart and no reader guesses at key
names or types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from .documents import WrittenStatements
from .kms import KeyReference
from .plan import GrantPlan, Plan


class GrantOutput(BaseModel):
    """One grant in words: who (by name and principal), which buckets, which access, where.

    The role fields have defaults so an output written before roles existed still reads.
    """

    model_config = ConfigDict(frozen=True)

    group: str | None = None  # the IAM group the users join; None (or absent: nulls may be dropped) without users
    users: tuple[str, ...]
    rolePolicy: str | None = None  # the inline policy name each role gets; None for a grant without roles
    roles: tuple[str, ...] = ()  # role names as IAM spells them
    roleLabels: tuple[str, ...] = ()  # how a reviewer reads each role: "role ci/deployer"
    principals: tuple[str, ...]
    buckets: tuple[str, ...]
    access: str  # a level name, or "actions " and the action list
    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, grant_plan: GrantPlan) -> GrantOutput:
        group, role_policy = grant_plan.group, grant_plan.role_policy
        return cls(
            group=group.name if group else None,
            users=group.members if group else (),
            rolePolicy=role_policy.policy_name if role_policy else None,
            roles=role_policy.roles if role_policy else (),
            roleLabels=tuple(sorted(g.label for g in grant_plan.grantees if g.kind == "role")),
            principals=grant_plan.principals,
            buckets=tuple(sorted(grant_plan.grant.bucket_names)),  # sorted: the file's order means nothing
            access=grant_plan.grant.access_label(),
            prefixes=tuple(sorted(grant_plan.grant.prefixes or ())),
        )

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


GrantsOutput = Mapping[str, GrantOutput]
_GRANTS_OUTPUT: TypeAdapter[dict[str, GrantOutput]] = TypeAdapter(dict[str, GrantOutput])


def grants_output(plan: Plan) -> dict[str, dict[str, Any]]:
    """The `grants` output as plain data, by grant name, ready for `pulumi.export`."""
    return {grant_plan.grant.name: GrantOutput.of(grant_plan).as_json() for grant_plan in plan.grants}


def owned_role_policies(grants: GrantsOutput) -> frozenset[tuple[str, str]]:
    """The inline role policies a deployment with these grants wrote: (lowercase role name, policy name)."""
    return frozenset(
        (role.lower(), grant.rolePolicy) for grant in grants.values() if grant.rolePolicy for role in grant.roles
    )


def read_grants_output(value: Any) -> dict[str, GrantOutput]:
    """The `grants` output read back from a stack (a missing output is no grants)."""
    return _GRANTS_OUTPUT.validate_python(value or {})


def bucket_keys_output(plan: Plan) -> dict[str, dict[str, str]]:
    """The `bucketKeys` output: each encrypted bucket's KMS key, as the grants file names it and as its key ARN."""
    return {
        bucket.bucket: {"kmsKey": bucket.kms_key.configured, "keyArn": bucket.kms_key.arn}
        for bucket in plan.buckets
        if bucket.kms_key is not None
    }


def bucket_regions_output(plan: Plan) -> dict[str, str]:
    """The `bucketRegions` output: the region each bucket's policy was written in.

    The next run reads it back: a bucket whose last grant is removed no longer has `bucketSettings`,
    yet its policy must still be read, in its own region, before `pulumi up` deletes it.
    """
    return {bucket.bucket: bucket.region for bucket in sorted(plan.buckets, key=lambda b: b.bucket) if bucket.region}


_BUCKET_POLICIES: TypeAdapter[dict[str, dict[str, Any]]] = TypeAdapter(dict[str, dict[str, Any]])
_BUCKET_KEYS: TypeAdapter[dict[str, dict[str, str]]] = TypeAdapter(dict[str, dict[str, str]])


def key_regions(
    grants: GrantsOutput, bucket_keys: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, frozenset[str]]]:
    """Per grant, per key ID, the regions of the key ARNs its buckets used: which replicas of a multi-Region
    key the grant's KMS grants were made on (the `grants` output names each grant's buckets, `bucketKeys`
    each bucket's key ARN)."""
    found: dict[str, dict[str, set[str]]] = {}
    for name, grant in grants.items():
        for bucket in grant.buckets:
            key = KeyReference.parse(bucket_keys.get(bucket, {}).get("keyArn", ""))
            if key is not None and not key.is_alias:
                found.setdefault(name, {}).setdefault(key.resource.removeprefix("key/"), set()).add(key.region)
    return {name: {key: frozenset(regions) for key, regions in keys.items()} for name, keys in found.items()}


@dataclass(frozen=True)
class LastDeployment:
    """What this stack's last deployment wrote, as far as its outputs tell: nothing for a stack never deployed."""

    role_policies: frozenset[tuple[str, str]] = frozenset()  # (lowercase role name, inline policy name)
    bucket_regions: Mapping[str, str | None] = field(default_factory=dict)  # bucket -> region; None: not recorded
    # bucket -> its policy's statements as written: the grants' and the extraStatements' both, so a
    # statement taken out of the grants file is not mistaken for someone else's.
    bucket_statements: Mapping[str, WrittenStatements] = field(default_factory=dict)
    # grant name -> key ID -> regions of the key ARNs the grant's buckets used (`key_regions`)
    key_regions: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    unreadable: tuple[str, ...] = ()  # outputs this version could not read, by name


def read_last_deployment(outputs: Mapping[str, Any]) -> LastDeployment:
    """The last deployment's outputs, read back.

    An output this version cannot read (one written by another version) owns nothing: no role policy
    counts as this stack's, so none is overwritten. Its name is kept, so the run can say what it
    could not check.
    """
    unreadable: list[str] = []
    grants: dict[str, GrantOutput] = {}
    try:
        grants = read_grants_output(outputs.get("grants"))
    except ValidationError:
        unreadable.append("grants")
    role_policies = owned_role_policies(grants)
    try:
        bucket_keys = _BUCKET_KEYS.validate_python(outputs.get("bucketKeys") or {})
    except ValidationError:
        bucket_keys, unreadable = {}, [*unreadable, "bucketKeys"]
    try:
        buckets = _BUCKET_POLICIES.validate_python(outputs.get("bucketPolicies") or {})
    except ValidationError:
        buckets, unreadable = {}, [*unreadable, "bucketPolicies"]
    # Absent in a deployment made before regions were recorded: such a bucket is asked in the provider's region.
    regions = outputs.get("bucketRegions") or {}
    if not isinstance(regions, Mapping):
        regions, unreadable = {}, [*unreadable, "bucketRegions"]
    elif any(not isinstance(region, str) for region in regions.values()):
        unreadable.append("bucketRegions")
    return LastDeployment(
        role_policies=role_policies,
        bucket_regions={bucket: _text_or_none(regions.get(bucket)) for bucket in sorted(buckets)},
        bucket_statements={bucket: WrittenStatements.of(policy) for bucket, policy in buckets.items()},
        key_regions=key_regions(grants, bucket_keys),
        unreadable=tuple(unreadable),
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
