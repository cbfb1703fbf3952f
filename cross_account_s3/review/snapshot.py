"""What one mock run of the program registered, as plain data that rendering and diffing can read.

The snapshot holds no Pulumi objects, so the review code that reads it is pure and testable with
plain dictionaries. JSON-valued inputs (policy documents, account lists) are decoded once here, so
comparisons see documents rather than their formatting.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.outputs import GrantsOutput

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_TYPE = "pulumi:providers:aws"
COMPONENT_TYPE = "cross-account-s3:index:BucketGrant"
GROUP_POLICY_TYPE = "aws:iam/groupPolicy:GroupPolicy"
GROUP_MEMBERSHIP_TYPE = "aws:iam/groupMembership:GroupMembership"
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
KMS_GRANT_TYPE = "aws:kms/grant:Grant"
POLICY_TYPES = (GROUP_POLICY_TYPE, BUCKET_POLICY_TYPE, ROLE_POLICY_TYPE)

# The tree's reading order: providers, then each grant's component with its children, then bucket policies.
_TOP_LEVEL_ORDER = {PROVIDER_TYPE: 0, COMPONENT_TYPE: 1, BUCKET_POLICY_TYPE: 2}
# A grant's children in the order the component creates them: the group, its policy, its members,
# then the inline policy on each role.
_CHILD_ORDER = {
    "aws:iam/group:Group": 0,
    "aws:iam/groupPolicy:GroupPolicy": 1,
    "aws:iam/groupMembership:GroupMembership": 2,
    ROLE_POLICY_TYPE: 3,
    KMS_GRANT_TYPE: 4,
}

LOOKUPS_NOTE = (
    "lookups assumed: plan does not contact AWS; every user and bucket is taken to exist, with no bucket policy yet"
)
SIMULATION_NOTE = (
    "access not simulated: AWS's policy simulator (permissions boundaries, SCPs, other denies) runs in "
    "`pulumi preview`, which contacts AWS; plan cannot"
)
KMS_LOOKUPS_NOTE = (
    "KMS keys assumed: every kmsKey is taken to be a customer managed key that is enabled; an alias stands for a "
    "key whose ID plan makes up"
)


def decode_input(value: Any) -> Any:
    """An input as a document when it is JSON text (policies, account lists), otherwise unchanged."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def name_in_urn(urn: str) -> str:
    """The logical name at the end of a URN, such as a provider's name in its provider reference."""
    return urn.split("::")[-1] if urn else ""


@dataclass(frozen=True)
class PlannedResource:
    """One registration: where it sits in the tree, which provider (so which account) it goes through."""

    urn: str
    type: str
    name: str
    parent: str  # the parent's URN; the stack's URN for top-level resources
    provider: str  # the provider's logical name, "" for providers and components
    inputs: Mapping[str, Any]  # JSON text already decoded

    @property
    def policy(self) -> dict[str, Any] | None:
        """The policy document of a group or bucket policy, otherwise None."""
        document = self.inputs.get("policy") if self.type in POLICY_TYPES else None
        return document if isinstance(document, dict) else None

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": dict(self.inputs),
        }


@dataclass(frozen=True)
class ProviderPin:
    """The account a provider refuses to leave, and the credentials it uses to reach it."""

    name: str
    account_id: str
    region: str
    profile: str | None
    role_arn: str | None

    @classmethod
    def of(cls, provider: PlannedResource) -> ProviderPin:
        allowed = provider.inputs.get("allowedAccountIds") or []
        roles = provider.inputs.get("assumeRoles") or []
        role = roles[0].get("roleArn") if isinstance(roles, list) and roles and isinstance(roles[0], dict) else None
        return cls(
            name=provider.name,
            account_id=str(allowed[0]) if isinstance(allowed, list) and allowed else "(not pinned)",
            region=str(provider.inputs.get("region") or ""),
            profile=provider.inputs.get("profile"),
            role_arn=role,
        )

    def describe(self) -> str:
        parts = [f"pinned to account {self.account_id}", f"profile {self.profile or '(default credentials)'}"]
        if self.role_arn:
            parts.append(f"assumes {self.role_arn}")
        parts.append(self.region)
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "accountId": self.account_id,
            "region": self.region,
            "profile": self.profile,
            "roleArn": self.role_arn,
        }


@dataclass(frozen=True)
class PlanSnapshot:
    """Everything `plan` shows about one stack and grants file: resources in registration order, and outputs."""

    stack: str
    grants_file: str  # as the reader knows it, such as "grants/nonprod.yaml" or "origin/main:grants/nonprod.yaml"
    stack_urn: str
    resources: tuple[PlannedResource, ...]
    accounts: Mapping[str, str] = field(default_factory=dict)  # bucketAccount, userAccount
    grants: GrantsOutput = field(default_factory=dict)  # the stack's "grants" output
    bucket_keys: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # the "bucketKeys" output
    warnings: tuple[str, ...] = ()
    stack_file: str = ""  # as the reader knows it, such as "Pulumi.nonprod.yaml" or "origin/main:Pulumi.nonprod.yaml"
    stack_settings: Mapping[str, str] = field(default_factory=dict)  # its config, as Pulumi hands it to the program
    stack_file_found: bool = True  # False: the base revision has no such stack file, so no such stack then
    problems: str = ""  # the base revision's stack cannot be planned by this program: why (and it is empty)

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type == type_token]

    def children_of(self, urn: str) -> list[PlannedResource]:
        """A resource's children in a fixed order: registration order varies from run to run."""
        positions = self.tree_positions()
        return sorted((r for r in self.resources if r.parent == urn), key=lambda r: positions[r.urn])

    def providers(self) -> dict[str, ProviderPin]:
        return {provider.name: ProviderPin.of(provider) for provider in self.of_type(PROVIDER_TYPE)}

    def user_names(self) -> list[str]:
        names = {user.lower(): user for grant in self.grants.values() for user in grant.users}
        return sorted(names.values(), key=str.lower)

    def role_labels(self) -> list[str]:
        """Every role the grants name, as a reviewer reads it ("role ci/deployer")."""
        labels = {label.lower(): label for grant in self.grants.values() for label in grant.roleLabels}
        return sorted(labels.values(), key=str.lower)

    def bucket_names(self) -> list[str]:
        return sorted({bucket for grant in self.grants.values() for bucket in grant.buckets})

    def is_top_level(self, resource: PlannedResource) -> bool:
        return resource.parent in (self.stack_urn, "")

    def tree_positions(self) -> dict[str, tuple[Any, ...]]:
        """A sort key per URN that puts resources in the tree's reading order, each child under its parent."""
        return self._tree_positions

    @functools.cached_property
    def _tree_positions(self) -> dict[str, tuple[Any, ...]]:
        by_urn = {resource.urn: resource for resource in self.resources}

        def position(resource: PlannedResource) -> tuple[Any, ...]:
            parent = by_urn.get(resource.parent)
            if parent is None or self.is_top_level(resource):
                return (_TOP_LEVEL_ORDER.get(resource.type, 3), resource.name)
            return (*position(parent), _CHILD_ORDER.get(resource.type, len(_CHILD_ORDER)), resource.name)

        return {resource.urn: position(resource) for resource in self.resources}
