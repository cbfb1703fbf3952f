"""What `plan` assumes AWS would answer, since it runs without credentials and cannot look.

Every user and role exists (at the path its ARN in the grants file gives, else `/`), roles hold no
inline policies, every bucket exists in the region asked, with no policy yet, every KMS key is a
customer managed key that is enabled (an alias names a key whose ID is derived from the alias, since
`plan` cannot look it up), and the stack was never deployed. The answers are the real provider's,
taken from the contract table, so `plan` runs the program's lookup code on the very texts `pulumi
preview` gets: "no policy" is getBucketPolicy's "couldn't find resource" followed by getBucket's success.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import provider_contract as contract
from ..core import naming
from ..core.grants_directory import read_grants
from ..core.problems import InputProblems
from ..core.settings import GRANTS_FILE_KEY, NAMESPACE, grants_file_of
from .answers import InvokeFailed, stable_digits

_DEFAULT_REGION = "us-east-1"  # only if the stack file names no bucket account region: the run refuses it anyway


@dataclass(frozen=True)
class AssumedWorld:
    """Answers as if every user and bucket exists, unpolicied; user paths as the grants file's ARNs give them."""

    user_paths: Mapping[str, str] = field(default_factory=dict)  # user name -> path, such as "/ci/"
    role_paths: Mapping[str, str] = field(default_factory=dict)  # role name -> path
    bucket_region: str = _DEFAULT_REGION  # the bucket account's region, for buckets without bucketSettings

    def answer(self, token: str, args: Mapping[str, Any], account: str) -> dict[str, Any]:
        if token == contract.GET_USER:
            name = str(args["userName"])
            path = self.user_paths.get(name, "/")
            arn = f"arn:aws:iam::{account}:user{path}{name}"
            return contract.user_payload(account, name, path, "AIDA" + stable_digits(arn, 17))
        if token == contract.GET_ROLE:
            name = str(args["name"])
            path = self.role_paths.get(name, "/")
            arn = f"arn:aws:iam::{account}:role{path}{name}"
            return contract.role_payload(account, name, path, "AROA" + stable_digits(arn, 17))
        if token == contract.GET_ROLE_POLICIES:
            return contract.role_policies_payload(str(args["roleName"]), [])
        if token == contract.GET_BUCKET_POLICY:
            bucket = str(args["bucket"])
            raise InvokeFailed(contract.error_row(token, contract.NOT_FOUND).text(bucket))
        if token == contract.GET_BUCKET:
            region = str(args.get("region") or self.bucket_region)
            return contract.bucket_payload(str(args["bucket"]), region, region)
        if token == contract.GET_KEY:
            return _assumed_key(str(args["keyId"]))
        raise InvokeFailed(f"plan's assumed world does not answer {token}")

    def stack_outputs(self, stack: str) -> dict[str, Any]:
        return {}  # plan has no stack state


def _assumed_key(asked: str) -> dict[str, Any]:
    """A customer managed, enabled key; for an alias, a key of the alias's account and region."""
    _arn, _aws, _kms, region, account, resource = asked.split(":", 5)
    if resource.startswith("key/"):
        return contract.key_payload(asked, asked, region, key_manager="CUSTOMER", key_state="Enabled")
    digits = stable_digits(asked, 32)
    key_id = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:32]}"
    return contract.key_payload(asked, f"arn:aws:kms:{region}:{account}:key/{key_id}", region)


def assumed_world(project_root: Path, stack: str, config: Mapping[str, str]) -> AssumedWorld:
    """The world `plan` assumes for this stack's merged config (the stack file's plus overrides)."""
    grants_file = grants_file_of(stack, config.get(f"{NAMESPACE}:{GRANTS_FILE_KEY}"))
    paths: dict[str, str] = {}
    role_paths: dict[str, str] = {}
    try:
        loaded = read_grants(project_root / grants_file, grants_file, None)
    except InputProblems:
        loaded = None  # the program reports the file's problems itself
    if loaded is not None:
        arns = (naming.USER_ARN.fullmatch(user) for grant in loaded.grants for user in grant.users)
        paths = {match["name"]: match["path"] for match in arns if match}
        role_arns = (naming.GRANTEE_ROLE_ARN.fullmatch(role) for grant in loaded.grants for role in grant.roles)
        role_paths = {match["name"]: match["path"] for match in role_arns if match}
    try:
        bucket_account = json.loads(config.get(f"{NAMESPACE}:bucketAccount") or "{}")
    except ValueError:
        bucket_account = {}
    region = bucket_account.get("region") if isinstance(bucket_account, dict) else None
    return AssumedWorld(user_paths=paths, role_paths=role_paths, bucket_region=str(region or _DEFAULT_REGION))
