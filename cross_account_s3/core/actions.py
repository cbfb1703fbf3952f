"""What each access level means, as exact actions per service, in the manner of the AWS CDK's `perms.ts`.

A level names the actions a grantee needs on each service it touches: S3, and KMS for a bucket
encrypted with a customer managed key. The KMS grant in the bucket account and the identity statement
in the grantee's account both come from this one table, so a level cannot mean different things on the
two sides of a grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from . import s3_actions
from .grant import AccessLevel, Grant
from .s3_actions import S3Action

Service = Literal["s3", "kms"]
ActionSet = Mapping[Service, tuple[str, ...]]

# `read` needs ListBucket on the bucket ARN as well as GetObject on object ARNs: a grant on BUCKET/*
# alone cannot list (the original guide's mistake). Uploads need AbortMultipartUpload so a failed
# multipart upload can be cleaned up by the uploader.
S3_READ = ("s3:GetObject", "s3:ListBucket")
S3_PUT = ("s3:AbortMultipartUpload", "s3:PutObject")
# `full` stops at DeleteObject: deleting object versions, or anything on the bucket itself, is
# administration and never granted across accounts.
S3_DELETE = ("s3:DeleteObject",)

# On an SSE-KMS bucket, reading an object needs kms:Decrypt; uploading needs kms:GenerateDataKey, and a
# multipart upload also kms:Decrypt (S3 user guide, "Using server-side encryption with AWS KMS keys";
# AWS Knowledge Center "s3-large-file-encryption-kms-key"). Listing and deleting need no key.
KMS_READ = ("kms:Decrypt",)
KMS_UPLOAD = ("kms:Decrypt", "kms:GenerateDataKey")
# The same, per S3 action, for grants that list their actions instead of naming a level.
KMS_FOR_S3_ACTION: Mapping[str, tuple[str, ...]] = {
    "s3:GetObject": KMS_READ,
    "s3:GetObjectVersion": KMS_READ,
    "s3:PutObject": KMS_UPLOAD,
}

ACCESS_LEVELS: Mapping[AccessLevel, ActionSet] = {
    "read": {"s3": tuple(sorted(S3_READ)), "kms": KMS_READ},
    "write": {"s3": tuple(sorted(S3_PUT)), "kms": KMS_UPLOAD},
    "read-write": {"s3": tuple(sorted(S3_READ + S3_PUT)), "kms": KMS_UPLOAD},
    "full": {"s3": tuple(sorted(S3_READ + S3_PUT + S3_DELETE)), "kms": KMS_UPLOAD},
}


def s3_actions_of(grant: Grant) -> tuple[S3Action, ...]:
    """The exact S3 actions a grant gives, by level or by its expanded action patterns, each classified."""
    catalogue = s3_actions.catalogue()
    if grant.access is not None:
        return tuple(catalogue[name.lower()] for name in ACCESS_LEVELS[grant.access]["s3"])
    expanded = {
        action.name: action for pattern in grant.actions or [] for action in s3_actions.expand(pattern).grantable
    }
    return tuple(expanded[name] for name in sorted(expanded))


def kms_actions_of(grant: Grant) -> tuple[str, ...]:
    """The KMS actions a grant needs on an encrypted bucket's key: by level, or from its S3 actions."""
    if grant.access is not None:
        return ACCESS_LEVELS[grant.access]["kms"]
    needed = {kms for action in s3_actions_of(grant) for kms in KMS_FOR_S3_ACTION.get(action.name, ())}
    return tuple(sorted(needed))
