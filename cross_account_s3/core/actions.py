"""What each access level means, as exact actions per service, in the manner of the AWS CDK's `perms.ts`.

A level names the actions a grantee needs on each service it touches. Today that is S3 alone; a
bucket encrypted with a customer managed KMS key adds the key's actions as a second service, and the
statements for them then come from the same table, so a level cannot mean different things on the
two sides of a grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from . import s3_actions
from .grants import AccessLevel, Grant
from .s3_actions import S3Action

Service = Literal["s3"]
ActionSet = Mapping[Service, tuple[str, ...]]

# `read` needs ListBucket on the bucket ARN as well as GetObject on object ARNs: a grant on BUCKET/*
# alone cannot list (the original guide's mistake). Uploads need AbortMultipartUpload so a failed
# multipart upload can be cleaned up by the uploader.
S3_READ = ("s3:GetObject", "s3:ListBucket")
S3_PUT = ("s3:AbortMultipartUpload", "s3:PutObject")
# `full` stops at DeleteObject: deleting object versions, or anything on the bucket itself, is
# administration and never granted across accounts.
S3_DELETE = ("s3:DeleteObject",)

ACCESS_LEVELS: Mapping[AccessLevel, ActionSet] = {
    "read": {"s3": tuple(sorted(S3_READ))},
    "write": {"s3": tuple(sorted(S3_PUT))},
    "read-write": {"s3": tuple(sorted(S3_READ + S3_PUT))},
    "full": {"s3": tuple(sorted(S3_READ + S3_PUT + S3_DELETE))},
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
