"""Everything the stack should contain: per grant, its identity side and how it attaches; per bucket, its policy.

Built from validated grants, the settings and the resolved grantees. The Pulumi layer turns each
piece into resources without deciding anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from . import grantees as grantee_lookup
from .bucket_settings import BucketSettings
from .grant import Grant
from .grantees import KINDS, Grantee, GranteeKind
from .kms import BucketKey, KmsGrant, keep_former_names
from .loaded_grants import LoadedGrants
from .policies import PolicyDocument, Statement, merge_by_permission, policy_document, statements_for
from .settings import GROUP_PATH, Settings


@dataclass(frozen=True)
class GroupAttachment:
    """How the users of a grant receive its identity policy: a group of their own, with them as its members."""

    name: str
    path: str
    members: tuple[str, ...]  # user names as IAM spells them


@dataclass(frozen=True)
class RolePolicyAttachment:
    """How the roles of a grant receive its identity policy: an inline policy of this name on each role.

    A role cannot join a group. The roles themselves belong to whoever made them; the program only
    puts (and later deletes) this one inline policy on each.
    """

    policy_name: str
    roles: tuple[str, ...]  # role names as IAM spells them


@dataclass(frozen=True)
class GrantPlan:
    """What one grant turns into: its identity side, and the KMS grants its encrypted buckets' keys need."""

    grant: Grant
    grantees: tuple[Grantee, ...]  # sorted, one per identity
    identity_policy: PolicyDocument
    group: GroupAttachment | None  # None for a grant that names roles only
    role_policy: RolePolicyAttachment | None = None  # None for a grant that names users only
    kms_grants: tuple[KmsGrant, ...] = ()  # made in the bucket account, one per grantee per key

    @property
    def principals(self) -> tuple[str, ...]:
        return tuple(sorted(grantee.arn for grantee in self.grantees))


@dataclass(frozen=True)
class BucketPlan:
    """The one policy of one bucket, holding every grant's statements and any declared foreign ones.

    `region` is where the bucket is: its `bucketSettings` region, else the bucket account's region. S3
    calls KMS from there (`kms:ViaService`). `own_region` is the setting alone: resources pass it on, so
    a bucket in the provider's own region keeps the provider's default.
    """

    bucket: str
    grant_names: tuple[str, ...]
    policy: PolicyDocument
    region: str = ""
    own_region: str | None = None
    kms_key: BucketKey | None = None  # the customer managed key the bucket is encrypted with


@dataclass(frozen=True)
class Plan:
    grants: tuple[GrantPlan, ...]
    buckets: tuple[BucketPlan, ...]

    def principals_by_bucket(self) -> dict[str, set[str]]:
        """The principals each bucket's policy should name, from the grants on it.

        One pass over the grants, then one per bucket over its own grants: linear in the grants, where
        scanning every grant for every bucket grew with their product.
        """
        principals_of = {g.grant.name: g.principals for g in self.grants}
        return {
            bucket.bucket: {p for name in bucket.grant_names for p in principals_of.get(name, ())}
            for bucket in self.buckets
        }


def group_name(settings: Settings, grant_name: str) -> str:
    return f"{settings.group_prefix}{grant_name}"


def role_policy_name(settings: Settings, grant_name: str) -> str:
    """The inline policy name a grant puts on its roles: the program's prefix and the grant name, like its group."""
    return f"{settings.group_prefix}{grant_name}"


ResolvedGrantees = Mapping[tuple[GranteeKind, str], Grantee]  # (kind, grants-file entry) -> grantee


def resolve_all(
    loaded: LoadedGrants, account_id: str, found_arns: Mapping[GranteeKind, Mapping[str, str]]
) -> dict[tuple[GranteeKind, str], Grantee]:
    """Every grantee entry of every grant, resolved from the ARNs a lookup found (by kind, by lowercase name)."""
    resolved: dict[tuple[GranteeKind, str], Grantee] = {}
    for kind in KINDS:
        entries = sorted({entry for grant in loaded.grants for k, entry, _ in grant.entries if k == kind})
        found = grantee_lookup.resolve(entries, account_id, found_arns.get(kind, {}), kind)
        resolved |= {(kind, entry): grantee for entry, grantee in found.items()}
    return resolved


def bucket_keys(
    loaded: LoadedGrants, settings: Settings, key_arns: Mapping[str, str] | None = None
) -> dict[str, BucketKey]:
    """Each encrypted bucket's key. `key_arns` maps a `kmsKey` setting to the key ARN getKey returned, which
    is how an alias is resolved; without a lookup (tests of the pure core) a key ARN stands for itself.
    """
    found = dict(key_arns or {})
    keys: dict[str, BucketKey] = {}
    for bucket in loaded.managed_buckets:
        entry = loaded.bucket_settings.get(bucket) or BucketSettings()
        if entry.kmsKey is None:
            continue
        arn = found.get(entry.kmsKey, entry.kmsKey)
        if ":alias/" in arn:
            raise ValueError(f"the alias {entry.kmsKey} of bucket {bucket} was not resolved to its key")
        keys[bucket] = BucketKey(
            configured=entry.kmsKey, arn=arn, region=entry.region or settings.bucket_account.region
        )
    return keys


KeyRegions = Mapping[str, Mapping[str, frozenset[str]]]  # grant name -> key ID -> regions of the key's ARNs


def build_plan(
    loaded: LoadedGrants,
    settings: Settings,
    resolved: ResolvedGrantees | None = None,
    key_arns: Mapping[str, str] | None = None,
    last_key_regions: KeyRegions | None = None,
) -> Plan:
    """Everything the stack should contain, from validated grants and settings.

    `resolved` maps (kind, grants-file entry) to the grantees a live lookup found (`resolve_all`);
    entries missing from it are read from the file itself. `key_arns` maps `kmsKey` settings to the key
    ARNs getKey returned (see `bucket_keys`). `last_key_regions` is where the last deployment used each
    grant's keys (`LastDeployment.key_regions`): it says which replica of a multi-Region key keeps its
    KMS grant's former name (`kms.keep_former_names`).
    """
    account = settings.bucket_account.accountId
    keys = bucket_keys(loaded, settings, key_arns)
    found = {**resolve_all(loaded, settings.user_account.accountId, {}), **(resolved or {})}
    grant_plans: list[GrantPlan] = []
    bucket_statements: dict[str, list[Statement]] = {}
    bucket_grants: dict[str, list[str]] = {}
    for grant in loaded.grants:
        # One grantee per identity: a name and an ARN of the same user (or role) are one principal.
        by_key = {found[kind, entry].key: found[kind, entry] for kind, entry, _ in grant.entries}
        grantees = tuple(sorted(by_key.values(), key=lambda grantee: grantee.arn))
        users = sorted({grantee.name for grantee in grantees if grantee.kind == "user"})
        roles = sorted({grantee.name for grantee in grantees if grantee.kind == "role"})
        halves = statements_for(grant, grantees, account, keys)
        grant_plans.append(
            GrantPlan(
                grant=grant,
                grantees=grantees,
                identity_policy=policy_document(halves.identity),
                group=GroupAttachment(name=group_name(settings, grant.name), path=GROUP_PATH, members=tuple(users))
                if users
                else None,
                role_policy=RolePolicyAttachment(policy_name=role_policy_name(settings, grant.name), roles=tuple(roles))
                if roles
                else None,
                kms_grants=tuple(keep_former_names(halves.kms_grants, (last_key_regions or {}).get(grant.name, {}))),
            )
        )
        for bucket, statements in halves.by_bucket.items():
            bucket_statements.setdefault(bucket, []).extend(statements)
            bucket_grants.setdefault(bucket, []).append(grant.name)
    bucket_plans = tuple(
        BucketPlan(
            bucket=bucket,
            grant_names=tuple(sorted(bucket_grants.get(bucket, []))),
            policy=policy_document(
                [*merge_by_permission(bucket_statements.get(bucket, [])), *loaded.extra_statements.get(bucket, ())]
            ),
            region=_region(loaded, settings, bucket),
            own_region=_own_region(loaded, bucket),
            kms_key=keys.get(bucket),
        )
        for bucket in loaded.managed_buckets
    )
    return Plan(grants=tuple(grant_plans), buckets=bucket_plans)


def _own_region(loaded: LoadedGrants, bucket: str) -> str | None:
    entry = loaded.bucket_settings.get(bucket)
    return entry.region if entry else None


def _region(loaded: LoadedGrants, settings: Settings, bucket: str) -> str:
    return _own_region(loaded, bucket) or settings.bucket_account.region
