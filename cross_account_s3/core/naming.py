"""AWS naming rules, in one place, with the reason each rule exists.

Every pattern uses `re.ASCII`: Python's `\\w` otherwise matches letters such as `ö`, which AWS rejects
only at apply time, after part of a change has been made.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+", re.ASCII)
# Regions of AWS's other partitions, as the AWS SDKs' endpoint data tells them apart (botocore's endpoints.json,
# each partition's `regionRegex`): China, GovCloud, the ISO partitions and the European Sovereign Cloud. This
# program writes `arn:aws:` ARNs and reaches only the `aws` partition, where those regions do not exist.
OTHER_PARTITION_REGIONS = (
    (re.compile(r"cn-", re.ASCII), "aws-cn (China)"),
    (re.compile(r"us-gov-", re.ASCII), "aws-us-gov (GovCloud)"),
    (re.compile(r"[a-z]{2}-iso[a-z]?-", re.ASCII), "an ISO partition (aws-iso, aws-iso-b, aws-iso-e, aws-iso-f)"),
    (re.compile(r"eusc-", re.ASCII), "aws-eusc (European Sovereign Cloud)"),
)
OTHER_PARTITION_REGION = "|".join(pattern.pattern for pattern, _ in OTHER_PARTITION_REGIONS)  # for the schema
GRANT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?", re.ASCII)
IAM_USER_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}", re.ASCII)
IAM_NAME_CHARS = re.compile(r"[A-Za-z0-9+=,.@_-]*", re.ASCII)
USER_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):user(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[A-Za-z0-9+=,.@_-]+)", re.ASCII
)
ROLE_ARN = re.compile(r"arn:aws:iam::(?P<account>[0-9]{12}):role/[\x21-\x7e]+", re.ASCII)
# A role a grant names: like USER_ARN, its path and name apart. Role names follow the user-name rules.
GRANTEE_ROLE_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):role(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[A-Za-z0-9+=,.@_-]+)", re.ASCII
)
IAM_ROLE_NAME = IAM_USER_NAME
BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
IP_SHAPED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", re.ASCII)
SID = re.compile(r"[A-Za-z0-9]+", re.ASCII)
# KMS developer guide, "Key identifiers (KeyId)": a key ID is a UUID, or "mrk-" and 32 hex digits for a
# multi-Region key; an alias name is "alias/" and letters, digits, '/', '_' and '-'.
KMS_KEY_ARN = re.compile(
    r"arn:aws:kms:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):(?P<account>[0-9]{12}):key/"
    r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
    re.ASCII,
)
KMS_ALIAS_ARN = re.compile(
    r"arn:aws:kms:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):(?P<account>[0-9]{12}):(?P<id>alias/[A-Za-z0-9/_-]{1,250})",
    re.ASCII,
)

KNOWN_REGIONS = "known_regions"  # validation context: the `KnownRegions` to check regions against, if any

MAX_GROUP_NAME = 128
MAX_INLINE_POLICY_NAME = 128  # IAM PutRolePolicy: PolicyName is 1-128 characters of [\w+=,.@-]
MAX_IAM_PATH = 512

# S3 user guide, "General purpose bucket naming rules".
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid general purpose S3 bucket name, or None when it is."""
    if not 3 <= len(name) <= 63:
        return f"is {len(name)} characters long; S3 bucket names are 3 to 63 characters"
    if not BUCKET_CHARS.fullmatch(name):
        return "may use only lowercase letters, digits, '.' and '-', and must start and end with a letter or digit"
    if ".." in name:
        return "contains '..'; S3 bucket names may not have two adjacent periods"
    if IP_SHAPED.fullmatch(name):
        return "is shaped like an IP address, which S3 forbids for bucket names"
    for prefix in _BUCKET_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"starts with '{prefix}', a prefix S3 reserves"
    for suffix in _BUCKET_RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"ends with '{suffix}', a suffix S3 reserves"
    return None


@dataclass(frozen=True)
class KnownRegions:
    """AWS's regions as a package the program runs with lists them, and which package (for the fix to name).

    The shell hands the core pulumi-aws's list (its `Region` enum), since the core imports nothing from Pulumi;
    a region of the right shape that is not on it is a typo, or a region opened after that release.
    """

    names: frozenset[str]
    source: str


def known_regions_in(context: object) -> KnownRegions | None:
    """The regions a validation context (a dict, under KNOWN_REGIONS) gives to check against, if any."""
    known = context.get(KNOWN_REGIONS) if isinstance(context, dict) else None
    return known if isinstance(known, KnownRegions) else None


def other_partition_problem(region: str) -> tuple[str, str] | None:
    """(message, fix) when `region` is a region of another partition than `aws`, else None."""
    partition = next((name for pattern, name in OTHER_PARTITION_REGIONS if pattern.match(region)), None)
    if partition is None:
        return None
    return (
        f"is {region!r}, a region of the {partition} partition; this program works only in the aws partition "
        "(its policies name arn:aws: ARNs, and its accounts and credentials are of that partition)",
        "use a region of the aws partition, such as eu-west-1; a stack in another partition is not supported",
    )


def unknown_region_problem(region: str, known: KnownRegions | None) -> tuple[str, str] | None:
    """(message, fix) when `region`, shaped like a region, is not on the `known` list, else None.

    Without `known` (the core's own tests, the editor schema) nothing is checked.
    """
    if known is None or region in known.names:
        return None
    close = difflib.get_close_matches(region, sorted(known.names), n=1, cutoff=0.8)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (
        f"is {region!r}, which is not an AWS region: {known.source}, which lists AWS's regions, does not list it",
        f"{hint}use the region code the AWS console shows, such as eu-west-1; if AWS opened this region after "
        f"{known.source} was released, upgrade to a release that lists it",
    )
