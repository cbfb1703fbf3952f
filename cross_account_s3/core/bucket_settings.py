"""Per-bucket settings (`bucketSettings:` in the grants file): the bucket's region and its KMS key.

A bucket of the bucket account may live in any region, not only in the region its provider uses.
S3 answers a request sent to the wrong region with a redirect, so the lookups and the bucket policy
must name the bucket's own region. pulumi-aws 7 takes a `region` argument on each resource and
invoke, so one provider per account serves every region.

A bucket encrypted with a customer managed KMS key names that key (`kmsKey`), so each grant on the
bucket also gets the use of the key (see `kms.py`). The key must belong to the bucket account: the
program grants use of a key only through the account that owns it.

The grants file's model embeds `BucketSettings` per bucket. `unused_entry_findings` runs on each grants
file, or across all the files of a grants directory, where one file's entry may serve another's grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from . import kms, naming
from .validation import Finding, reject

KEY = "bucketSettings"


class BucketSettings(BaseModel):
    """What the program needs to know about one bucket beyond its name."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    region: str | None = Field(
        default=None,
        description="The bucket's region, such as eu-west-1. Default: the bucket account's region.",
        json_schema_extra={
            "pattern": f"^{naming.REGION.pattern}$",
            "not": {"type": "string", "pattern": f"^(?:{naming.OTHER_PARTITION_REGION})"},
        },
    )

    @field_validator("region")
    @classmethod
    def _region_is_well_formed(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A region of the aws partition that AWS has (when the program is given AWS's list): a typo would pass
        every other check and fail only at the first lookup, in AWS."""
        if value is None:
            return value
        if (other_partition := naming.other_partition_problem(value)) is not None:
            reject(*other_partition)
        if not naming.REGION.fullmatch(value):
            reject(
                f"is {value!r}, which is not an AWS region name",
                "use the region code the S3 console shows for the bucket, such as eu-west-1",
            )
        if (unknown := naming.unknown_region_problem(value, naming.known_regions_in(info.context))) is not None:
            reject(*unknown)
        return value

    kmsKey: str | None = Field(
        default=None,
        description="The bucket's customer managed KMS key (SSE-KMS), as a key ARN or an alias ARN in the bucket "
        "account. Each grant on the bucket then also gets the use of this key.",
        json_schema_extra={"pattern": r"^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$"},
    )

    @field_validator("kmsKey")
    @classmethod
    def _key_is_the_bucket_accounts(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The key's format and account, against the stack's bucket account (when it is valid).

        A field validator, so a key's problems are reported even when `region` is invalid too (a model
        validator would not run then). Its region is compared with the bucket's once every file is read
        (`key_region_problems`): in a grants directory, one file may set a bucket's region and another its key.
        """
        if value is None:
            return value
        context = info.context if isinstance(info.context, dict) else {}
        problems = kms.key_setting_problems(value, context.get("bucket_account"))
        if problems:
            reject("; and it ".join(message for message, _ in problems), "; and ".join(fix for _, fix in problems))
        return value


def snippet(bucket: str, region: str) -> str:
    """The YAML a user adds to the grants file to give `bucket` its region."""
    text = yaml.safe_dump({KEY: {bucket: {"region": region}}}, sort_keys=False, default_flow_style=False)
    return "\n".join("      " + line for line in text.splitlines())


def unused_entry_findings(grants_file: Mapping[str, Any]) -> list[Finding]:
    """An entry for a bucket that nothing in the file uses does nothing, and is most likely a misspelling."""
    entries = grants_file.get(KEY)
    if not isinstance(entries, dict):
        return []
    used: set[str] = set()
    for grant in grants_file.get("grants") or []:
        if isinstance(grant, dict):
            buckets = grant.get("buckets")
            used |= {str(bucket) for bucket in (buckets if isinstance(buckets, list) else [])}
            used.add(str(grant.get("bucket")))
    extra = grants_file.get("extraStatements")
    used |= {str(bucket) for bucket in (extra if isinstance(extra, dict) else {})}
    return [
        (
            (KEY, bucket),
            "names a bucket that no grant and no extraStatements entry uses, so it would do nothing",
            "check the bucket name's spelling, or remove the entry",
        )
        for bucket in entries
        if isinstance(bucket, str) and bucket not in used
    ]
