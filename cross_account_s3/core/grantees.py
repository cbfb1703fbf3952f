"""Who a grant is for: the one place that reads a grants-file entry or an ARN as an IAM identity.

Today every grantee is an IAM user of the user account. A grants-file entry is a user name or the
user's full ARN; AWS's answer to the lookup says how IAM really spells the name and which path the
user has, and the bucket policy must name exactly that ARN. `Grantee` carries all of it, resolved
once, so no other module splits ARNs or guesses names. Roles arrive as a second `kind`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from . import naming

GranteeKind = Literal["user"]


@dataclass(frozen=True, order=True)
class Grantee:
    """An IAM identity a grant gives access to, as AWS names it."""

    kind: GranteeKind
    name: str  # as IAM spells it, such as "test.user"
    path: str  # "/" or a path such as "/ci/"
    arn: str  # the principal a bucket policy names

    @property
    def key(self) -> str:
        """IAM names are unique ignoring case: one key per identity, however a file spells it."""
        return self.name.lower()

    @classmethod
    def from_arn(cls, arn: str) -> Grantee:
        """The grantee an IAM user ARN names (ValueError when it is not one)."""
        match = naming.USER_ARN.fullmatch(arn)
        if match is None:
            raise ValueError(f"{arn!r} is not an IAM user ARN")
        return cls(kind="user", name=match["name"], path=match["path"], arn=arn)


def entry_name(entry: str) -> str:
    """The IAM name a grants-file entry refers to, whether the entry is a name or an ARN."""
    match = naming.USER_ARN.fullmatch(entry)
    return match["name"] if match else entry


def entry_key(entry: str) -> str:
    """The entry's identity key (its name ignoring case), the same as `Grantee.key` of what it resolves to."""
    return entry_name(entry).lower()


def from_entry(entry: str, account_id: str) -> Grantee:
    """The grantee a grants-file entry names before AWS is asked: an ARN keeps its path, a name has none."""
    if naming.USER_ARN.fullmatch(entry):
        return Grantee.from_arn(entry)
    return Grantee(kind="user", name=entry, path="/", arn=f"arn:aws:iam::{account_id}:user/{entry}")


def resolve(entries: Iterable[str], account_id: str, found_arns: Mapping[str, str]) -> dict[str, Grantee]:
    """Each entry's grantee, keyed by entry: from the ARN AWS returned (by lowercase name) when there is one.

    Without a lookup (tests of the pure core, benchmarks) the entry itself is read, which is right for
    users without a path.
    """
    resolved: dict[str, Grantee] = {}
    for entry in entries:
        arn = found_arns.get(entry_key(entry))
        resolved[entry] = Grantee.from_arn(arn) if arn else from_entry(entry, account_id)
    return resolved
