"""The logical name of every resource a plan becomes, and the check that no two of them are the same.

Pulumi tells resources apart by their URN: the stack, the types from the root down and the logical
name, but not the parent's name. So two children of different grants with the same type and name are
one resource to Pulumi: `pulumi preview` stops on a duplicate URN, and the offline plan would keep only
one of them. The names are built here, in the core, so the Pulumi layer only uses them and the check
sees exactly what will be registered. Every name comes from grant, bucket, role, key, region and
grantee names, never positions in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .loaded_grants import LoadedGrants
from .plan import GrantPlan, Plan
from .problems import Problem
from .validation import Where

# One kind per resource type and place in the tree: under one kind, one name is one URN.
COMPONENT = "BucketGrant component"
GROUP = "IAM group"
GROUP_POLICY = "group inline policy"
MEMBERS = "group membership"
ROLE_POLICY = "role inline policy"
KMS_GRANT = "KMS grant"
BUCKET_POLICY = "bucket policy"


def group(grant_name: str) -> str:
    return f"{grant_name}-group"


def group_policy(grant_name: str) -> str:
    return f"{grant_name}-policy"


def members(grant_name: str) -> str:
    return f"{grant_name}-members"


def role_policy(grant_name: str, role: str) -> str:
    """By the role's name ignoring case (IAM's own identity of a role), so another spelling never replaces it."""
    return f"{grant_name}-role-policy-{role.lower()}"


def bucket_policy(bucket: str) -> str:
    return f"bucket-policy-{bucket}"


@dataclass(frozen=True)
class PlannedName:
    """One logical name the plan claims: a resource's own, or a former name it keeps through an alias."""

    kind: str
    name: str
    owner: GrantPlan | str  # the grant whose resource it is, or the bucket whose policy it is
    alias: bool = False

    @property
    def owner_text(self) -> str:
        """Who a reader should look at: "grant 'x'" or "bucket 'y'"."""
        return f"bucket {self.owner!r}" if isinstance(self.owner, str) else f"grant {self.owner.grant.name!r}"

    def where(self, loaded: LoadedGrants) -> Where:
        """Where a problem with the name is reported: the grant's name, or the file of the bucket's first grant."""
        if isinstance(self.owner, str):
            return Where(loaded.file_of(self.owner), ("grants",), field_from=1, grant=None)
        return self.owner.grant.where.at("name")


def _grant_names(grant_plan: GrantPlan) -> Iterator[PlannedName]:
    grant = grant_plan.grant.name
    yield PlannedName(COMPONENT, grant, grant_plan)
    if grant_plan.group is not None:
        yield PlannedName(GROUP, group(grant), grant_plan)
        yield PlannedName(GROUP_POLICY, group_policy(grant), grant_plan)
        yield PlannedName(MEMBERS, members(grant), grant_plan)
    for role in grant_plan.role_policy.roles if grant_plan.role_policy is not None else ():
        yield PlannedName(ROLE_POLICY, role_policy(grant, role), grant_plan)
    for kms_grant in grant_plan.kms_grants:
        yield PlannedName(KMS_GRANT, kms_grant.resource_name, grant_plan)
        if kms_grant.former_name is not None:
            yield PlannedName(KMS_GRANT, kms_grant.former_name, grant_plan, alias=True)


def planned_names(plan: Plan) -> list[PlannedName]:
    """Every logical name the plan would register, with the aliases it keeps, in plan order."""
    found = [planned for grant_plan in plan.grants for planned in _grant_names(grant_plan)]
    found += [PlannedName(BUCKET_POLICY, bucket_policy(b.bucket), b.bucket) for b in plan.buckets]
    return found


def duplicate_name_problems(plan: Plan, loaded: LoadedGrants) -> list[Problem]:
    """A problem for each logical name claimed twice, instead of one resource silently taking the other's place.

    An alias is a claim too: Pulumi refuses two resources aliased to one name, and a name that is both
    one resource's and another's alias would make the engine take one for the other. Where a problem
    points is worked out only for a name claimed twice: every preview runs this check.
    """
    by_name: dict[tuple[str, str], list[PlannedName]] = {}
    for planned in planned_names(plan):
        by_name.setdefault((planned.kind, planned.name), []).append(planned)
    problems: list[Problem] = []
    for (_kind, name), claims in sorted(by_name.items()):
        if len(claims) < 2:
            continue
        for claim in claims:
            others = ", ".join(
                _claim_text(other, "another" if other.owner_text == claim.owner_text else "the")
                for other in claims
                if other is not claim
            )
            problems.append(
                claim.where(loaded).problem(
                    f"{_claim_text(claim, 'the')} would have the logical name {name!r}, and so would {others}; Pulumi "
                    "tells resources apart by type and logical name alone, so one would silently take the other's "
                    "place, or `pulumi preview` would stop on a duplicate URN",
                    "rename one of these grants so that their names no longer run into each other",
                )
            )
    return problems


def _claim_text(claim: PlannedName, article: str) -> str:
    return f"{article} {claim.kind} of {claim.owner_text}" + (" (as the former name it keeps)" if claim.alias else "")
