"""Buckets encrypted with a customer managed KMS key: what a grantee needs on the key, on both sides.

On an SSE-KMS bucket S3 calls KMS for the requester: reading needs `kms:Decrypt`, uploading needs
`kms:GenerateDataKey`, and a multipart upload needs both. Cross-account use of a key needs the key's
account to allow it and the grantee's account to allow it in IAM, so a grant on such a bucket has two
more halves:

- in the bucket account, one KMS grant per grantee per key. The key policy is never touched: it is one
  document that always holds statements this program did not write (the key administrators'), no data
  source returns it, and rewriting it risks locking everyone out of the key;
- in the grantee's account, an identity statement allowing exactly those KMS actions on the key's ARN,
  only when S3 calls KMS (`kms:ViaService`) and only for the granted bucket, its objects, or the
  grant's prefixes (`kms:EncryptionContext:aws:s3:arn`).

A KMS grant cannot carry those narrowings: its only constraints are exact encryption-context pairs, with
no condition keys and no wildcards. So the grant carries none, and the identity statement narrows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import naming

SETTING = "kmsKey"

# The AWS managed key S3 uses by default. Its key policy cannot be changed and it cannot be used from
# another account, so objects encrypted with it cannot be shared across accounts at all.
AWS_MANAGED_ALIAS_PREFIX = "alias/aws/"
AWS_MANAGED = "AWS"  # DescribeKey's KeyManager for an AWS managed key; customer managed is "CUSTOMER"
ENABLED = "Enabled"  # DescribeKey's KeyState for a usable key

# S3 calls KMS with this encryption context key. Its value is the object's ARN, or the bucket's ARN when
# S3 Bucket Keys are enabled (S3 user guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys").
ENCRYPTION_CONTEXT_CONDITION = "kms:EncryptionContext:aws:s3:arn"
VIA_SERVICE_CONDITION = "kms:ViaService"

# A friendly name KMS shows for each grant, so `aws kms list-grants` says who made it and for which grant.
GRANT_NAME_PREFIX = "cross-account-s3-"

# KMS developer guide, "Key identifiers (KeyId)": the ID of a multi-Region key starts with "mrk-", and
# each of its replicas, one per region, has that same ID (see naming.KMS_KEY_ARN).
MULTI_REGION_PREFIX = "mrk-"


def via_service(region: str) -> str:
    """The `kms:ViaService` value of S3 in a region: KMS developer guide, "kms:ViaService"."""
    return f"s3.{region}.amazonaws.com"


@dataclass(frozen=True)
class KeyReference:
    """A `kmsKey` setting read apart: the account and region its ARN names, and whether it is an alias."""

    text: str
    account: str
    region: str
    resource: str  # "key/<id>" or "alias/<name>"

    @property
    def is_alias(self) -> bool:
        return self.resource.startswith("alias/")

    @classmethod
    def parse(cls, text: str) -> KeyReference | None:
        match = naming.KMS_KEY_ARN.fullmatch(text)
        if match is not None:
            return cls(text, match["account"], match["region"], f"key/{match['id']}")
        match = naming.KMS_ALIAS_ARN.fullmatch(text)
        if match is not None:
            return cls(text, match["account"], match["region"], match["id"])
        return None


def key_setting_problems(text: str, bucket_account: str | None) -> list[tuple[str, str]]:
    """(message, fix) for each reason `text` cannot name a key of the bucket account; empty when it can.

    `bucket_account` is None while the stack settings are themselves broken; the format is still checked.
    """
    reference = KeyReference.parse(text)
    if reference is None:
        return [
            (
                f"is {text!r}, which is neither a KMS key ARN nor a KMS alias ARN",
                "copy the key's ARN from the KMS console, such as "
                "'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', or an alias ARN "
                "such as 'arn:aws:kms:eu-west-1:111122223333:alias/shared-data'",
            )
        ]
    problems: list[tuple[str, str]] = []
    if reference.resource.startswith(AWS_MANAGED_ALIAS_PREFIX):
        problems.append(aws_managed_problem(text))
    if bucket_account is not None and reference.account != bucket_account:
        problems.append(
            (
                f"names a key in account {reference.account}, but the buckets live in account {bucket_account} "
                "(bucketAccount); this program can grant use of a key only through the account that owns it, "
                "and never changes another account's keys",
                f"name the bucket's key in account {bucket_account}; a key of another account must be shared by "
                "that account's own administrators",
            )
        )
    return problems


def region_problem(text: str, bucket_region: str) -> tuple[str, str] | None:
    """(message, fix) when the key named by `text` is not in the bucket's region; None when it is."""
    reference = KeyReference.parse(text)
    if reference is None or reference.region == bucket_region:
        return None
    return (
        f"names a key in {reference.region}, but the bucket is in {bucket_region}; S3 encrypts with a key of the "
        "bucket's own region, so this key cannot be the bucket's",
        "copy the key ARN shown in the bucket's default encryption settings, or set the bucket's region with "
        "'region:' if the bucket is not in the bucket account's region",
    )


def aws_managed_problem(key: str) -> tuple[str, str]:
    """Why an AWS managed key (aws/s3) cannot be used, and what to do instead."""
    return (
        f"{key} is an AWS managed key (such as aws/s3): its key policy cannot be changed and it accepts no "
        "grants for other accounts, so objects encrypted with it cannot be read or written from another account",
        "re-encrypt the bucket with a customer managed key: make that key the bucket's default encryption, "
        "copy the existing objects onto themselves so they are encrypted with it, then name it here",
    )


@dataclass(frozen=True)
class BucketKey:
    """The key a bucket is encrypted with, as the plan uses it."""

    configured: str  # as the grants file names it: a key ARN or an alias ARN
    arn: str  # the key's own ARN: an alias is resolved through getKey, since IAM and KMS grants need the key
    region: str  # the bucket's region, where S3 calls KMS from and where the grant is made

    @property
    def key_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def key_region(self) -> str:
        """The region the key's own ARN names: the replica's region, for a multi-Region key."""
        return self.arn.split(":")[3]

    @property
    def is_multi_region(self) -> bool:
        """A multi-Region key: its replicas share one key ID, so the ID alone does not say which replica."""
        return self.key_id.startswith(MULTI_REGION_PREFIX)


@dataclass(frozen=True)
class KmsGrant:
    """One KMS grant: one grantee may use one key for these operations, whatever the key policy says."""

    key: BucketKey
    grantee: str  # the grantee's ARN, exactly as the bucket policy names it
    grantee_label: str  # "<kind>-<name>", for a logical name that is stable and readable
    operations: tuple[str, ...]  # as CreateGrant spells them: "Decrypt", "GenerateDataKey"
    name: str  # the friendly name KMS shows
    buckets: tuple[str, ...]  # the buckets of the grant that use this key
    # The logical name this KMS grant had before replicas were told apart, kept as a Pulumi alias; see
    # `keep_former_names`. None for an ordinary key, whose name never changed.
    former_name: str | None = None

    @property
    def resource_name(self) -> str:
        """The logical name: from the grant, key, region and grantee names only, never positions in the file.

        A multi-Region key's replicas share one key ID, so a grant on buckets in two regions holds two
        KMS grants that only the region tells apart; without it the second would take the first's
        logical name and one of them would be lost. An ordinary key's ID is unique on its own, and its
        name stays as it always was, so no existing stack sees its KMS grants renamed.
        """
        if self.key.is_multi_region:
            return f"{self._name_prefix}-{self.key.key_region}-{self.grantee_label}"
        return f"{self._name_prefix}-{self.grantee_label}"

    @property
    def name_without_region(self) -> str:
        """The logical name a multi-Region key's KMS grant had when names did not include the region."""
        return f"{self._name_prefix}-{self.grantee_label}"

    @property
    def _name_prefix(self) -> str:
        return f"{self.name.removeprefix(GRANT_NAME_PREFIX)}-kms-{self.key.key_id}"


def keep_former_names(kms_grants: Iterable[KmsGrant], last_regions: Mapping[str, frozenset[str]]) -> list[KmsGrant]:
    """One grant's KMS grants, each multi-Region one with the logical name it had before, when only it can have had it.

    Names once left the region out, so a stack deployed then holds a multi-Region key's KMS grant under
    `name_without_region`. Renaming it without an alias would not be a harmless replacement: CreateGrant
    with the same key, grantee, operations and name returns the existing grant's ID instead of making a
    new grant (KMS API reference, CreateGrant, `Name`), so the "new" resource would hold the very grant
    that deleting the old one then revokes (the provider's delete is RevokeGrant by grant ID:
    terraform-provider-aws `internal/service/kms/grant.go`). The grantee would lose the key until the
    next `pulumi up`. An alias keeps the resource instead, and nothing in AWS changes.

    Only one resource may carry an alias (Pulumi refuses two resources aliased to the same URN), so
    the former name goes to:
    - the only KMS grant of this grant on the key for that grantee, when there is one: an old stack could
      hold just that one, whatever its region (a different region is then a replacement, on another key);
    - otherwise, the one in the region where the last deployment used the key (`last_regions`, by key
      ID), when it used it in exactly one: names without the region could never hold two replicas;
    - otherwise none: the stack never held one under the former name, or cannot say which.
    """
    found = list(kms_grants)
    claims: dict[str, list[KmsGrant]] = {}
    for kms_grant in found:
        if kms_grant.key.is_multi_region:
            claims.setdefault(kms_grant.name_without_region, []).append(kms_grant)
    keep: set[KmsGrant] = set()
    for candidates in claims.values():
        if len(candidates) == 1:
            keep.add(candidates[0])
            continue
        regions = last_regions.get(candidates[0].key.key_id, frozenset())
        keep.update(c for c in candidates if len(regions) == 1 and c.key.key_region in regions)
    return [replace(g, former_name=g.name_without_region) if g in keep else g for g in found]


def grant_operations(actions: Iterable[str]) -> tuple[str, ...]:
    """IAM's `kms:Decrypt` is CreateGrant's `Decrypt`."""
    return tuple(sorted({action.removeprefix("kms:") for action in actions}))


def _context_values(bucket_arn: str, object_arns: Iterable[str]) -> list[str]:
    """The bucket's ARN (the context with Bucket Keys) and its object ARNs (the context without)."""
    return sorted({bucket_arn, *object_arns})


def identity_statements(
    actions: tuple[str, ...], keys: Mapping[str, BucketKey], object_arns: Mapping[str, list[str]]
) -> list[dict[str, Any]]:
    """Per key, one statement allowing `actions` on the key only through S3, for these buckets' objects.

    `keys` maps each bucket of the grant that is encrypted to its key; `object_arns` maps each bucket to
    the object ARNs the grant covers (its prefixes, or the whole bucket). Buckets sharing a key share its
    statement, since the encryption context already says which bucket a request is for.
    """
    if not actions:
        return []
    by_key: dict[str, list[str]] = {}
    for bucket in sorted(keys):
        by_key.setdefault(keys[bucket].arn, []).append(bucket)
    statements: list[dict[str, Any]] = []
    for key_arn, buckets in sorted(by_key.items()):
        regions = sorted({keys[bucket].region for bucket in buckets})
        contexts = sorted(
            {value for b in buckets for value in _context_values(f"arn:aws:s3:::{b}", object_arns.get(b, []))}
        )
        digest = hashlib.sha256(key_arn.encode()).hexdigest()[:10]
        statements.append(
            {
                "Sid": f"KmsKeyViaS3{digest}",
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": [key_arn],
                "Condition": {
                    "StringEquals": {VIA_SERVICE_CONDITION: [via_service(region) for region in regions]},
                    "StringLike": {ENCRYPTION_CONTEXT_CONDITION: contexts},
                },
            }
        )
    return statements
