"""Who a grant is for: the one place that reads a grants-file entry or an ARN as an IAM identity.

A grantee is an IAM user or an IAM role of the user account. A grants-file entry is a name or the
identity's full ARN; AWS's answer to the lookup says how IAM really spells the name and which path
the identity has, and the bucket policy must name exactly that ARN. `Grantee` carries all of it,
resolved once, so no other module splits ARNs or guesses names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from . import naming

GranteeKind = Literal["user", "role"]
KINDS: tuple[GranteeKind, ...] = ("user", "role")

_ARN_OF: Mapping[GranteeKind, re.Pattern[str]] = {"user": naming.USER_ARN, "role": naming.GRANTEE_ROLE_ARN}


@dataclass(frozen=True, order=True)
class Grantee:
    """An IAM identity a grant gives access to, as AWS names it."""

    kind: GranteeKind
    name: str  # as IAM spells it, such as "test.user" or "deployer"
    path: str  # "/" or a path such as "/ci/"
    arn: str  # the principal a bucket policy names

    @property
    def key(self) -> str:
        """IAM names are unique per kind ignoring case: one key per identity, however a file spells it.

        A user and a role may share a name; they are still two identities.
        """
        return f"{self.kind}:{self.name.lower()}"

    @property
    def label(self) -> str:
        """How a reviewer reads the identity: a user by name, a role as "role ci/deployer" (path kept)."""
        return self.name if self.kind == "user" else f"role {self.path.lstrip('/')}{self.name}"

    @classmethod
    def from_arn(cls, arn: str) -> Grantee:
        """The grantee an IAM user or role ARN names (ValueError when it is neither)."""
        for kind in KINDS:
            match = _ARN_OF[kind].fullmatch(arn)
            if match is not None:
                return cls(kind=kind, name=match["name"], path=match["path"], arn=arn)
        raise ValueError(f"{arn!r} is not an IAM user or role ARN")


def entry_name(entry: str, kind: GranteeKind = "user") -> str:
    """The IAM name a grants-file entry refers to, whether the entry is a name or an ARN."""
    match = _ARN_OF[kind].fullmatch(entry)
    return match["name"] if match else entry


def entry_key(entry: str, kind: GranteeKind = "user") -> str:
    """The entry's identity key, the same as `Grantee.key` of what it resolves to."""
    return f"{kind}:{entry_name(entry, kind).lower()}"


def from_entry(entry: str, account_id: str, kind: GranteeKind = "user") -> Grantee:
    """The grantee a grants-file entry names before AWS is asked: an ARN keeps its path, a name has none."""
    if _ARN_OF[kind].fullmatch(entry):
        return Grantee.from_arn(entry)
    return Grantee(kind=kind, name=entry, path="/", arn=f"arn:aws:iam::{account_id}:{kind}/{entry}")


def resolve(
    entries: Iterable[str], account_id: str, found_arns: Mapping[str, str], kind: GranteeKind = "user"
) -> dict[str, Grantee]:
    """Each entry's grantee, keyed by entry: from the ARN AWS returned (by lowercase name) when there is one.

    Without a lookup (tests of the pure core, benchmarks) the entry itself is read, which is right for
    identities without a path.
    """
    resolved: dict[str, Grantee] = {}
    for entry in entries:
        arn = found_arns.get(entry_name(entry, kind).lower())
        resolved[entry] = Grantee.from_arn(arn) if arn else from_entry(entry, account_id, kind)
    return resolved
