"""Per-bucket settings (`bucketSettings:` in the grants file), today just the bucket's region.

A bucket of the bucket account may live in any region, not only in the region its provider uses.
S3 answers a request sent to the wrong region with a redirect, so the lookups and the bucket policy
must name the bucket's own region. pulumi-aws 7 takes a `region` argument on each resource and
invoke, so one provider per account serves every region.

This module is self-contained (its own model and its own checks) so the grants file's models can
embed it as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import naming
from .problems import Problem
from .validation import describe_value, problem_at, reject, to_problems
from .yaml_source import YamlDocument

KEY = "bucketSettings"


class BucketSettings(BaseModel):
    """What the program needs to know about one bucket beyond its name."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    region: str | None = Field(
        default=None,
        description="The bucket's region, such as eu-west-1. Default: the bucket account's region.",
        json_schema_extra={"pattern": f"^{naming.REGION.pattern}$"},
    )

    @field_validator("region")
    @classmethod
    def _region_is_well_formed(cls, value: str | None) -> str | None:
        if value is not None and not naming.REGION.fullmatch(value):
            reject(
                f"is {value!r}, which is not an AWS region name",
                "use the region code the S3 console shows for the bucket, such as eu-west-1",
            )
        return value


def snippet(bucket: str, region: str) -> str:
    """The YAML a user adds to the grants file to give `bucket` its region."""
    text = yaml.safe_dump({KEY: {bucket: {"region": region}}}, sort_keys=False, default_flow_style=False)
    return "\n".join("      " + line for line in text.splitlines())


def validate_bucket_settings(
    doc: YamlDocument, raw: Any, managed_buckets: set[str]
) -> tuple[dict[str, BucketSettings], list[Problem]]:
    """The checked settings per bucket, and every problem with them (unknown keys, bad regions, unused entries)."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [
            problem_at(
                doc,
                (KEY,),
                grant=None,
                field=KEY,
                message=f"must map bucket names to their settings, but is {describe_value(raw)}",
                fix="write each bucket name as a key with 'region: ...' indented under it",
            )
        ]
    found: dict[str, BucketSettings] = {}
    problems: list[Problem] = []
    for bucket, entry in raw.items():
        field = f"{KEY}.{bucket}"
        reason = naming.bucket_name_problem(bucket) if isinstance(bucket, str) else "is not text"
        if reason:
            problems.append(
                problem_at(
                    doc,
                    (KEY, bucket),
                    grant=None,
                    field=field,
                    message=f"the bucket name {reason}",
                    fix="use the bucket's exact name",
                )
            )
            continue
        if bucket not in managed_buckets:
            problems.append(
                problem_at(
                    doc,
                    (KEY, bucket),
                    grant=None,
                    field=field,
                    message="names a bucket that no grant and no extraStatements entry uses, so it would do nothing",
                    fix="check the bucket name's spelling, or remove the entry",
                )
            )
        try:
            found[bucket] = BucketSettings.model_validate(entry)
        except ValidationError as error:
            problems.extend(
                to_problems(
                    error, doc=doc, base_path=(KEY, bucket), grant=None, model=BucketSettings, field_prefix=f"{field}."
                )
            )
    return found, problems


def regions_of(buckets: tuple[str, ...], settings: Mapping[str, BucketSettings], default: str) -> dict[str, str]:
    """Each bucket's region: its own setting, or the bucket account's region."""
    return {bucket: (settings.get(bucket) or BucketSettings()).region or default for bucket in buckets}
