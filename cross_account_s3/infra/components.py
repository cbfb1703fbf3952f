"""The resources a plan becomes: a `BucketGrant` component per grant, and one policy per bucket.

Logical names come from grant and bucket names only, never from positions in the file, so
reordering the grants file changes nothing and adding or removing a grant touches only its own
resources and the policies of its buckets.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..core.plan import BucketPlan, GrantPlan, GroupAttachment, RolePolicyAttachment
from ..core.policies import render_policy

BUCKET_GRANT_TYPE = "cross-account-s3:index:BucketGrant"


class BucketGrant(pulumi.ComponentResource):
    """One grant's identity side in the user account: a group for its users, an inline policy on each role.

    The group exists so the users' permissions are reviewable in one place and removable by
    deleting one grant. `GroupMembership` owns the group's whole member list, which is right here
    because the group belongs to this grant alone. A role cannot join a group, so each role gets the
    same identity policy as an inline `RolePolicy`; the role itself is never created or changed.
    """

    def __init__(
        self, name: str, plan: GrantPlan, provider: aws.Provider, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(BUCKET_GRANT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        outputs: dict[str, pulumi.Output[str]] = {}
        if plan.group is not None:
            group = _group_with_policy(name, plan.group, render_policy(plan.identity_policy), child)
            outputs = {"groupName": group.name, "groupArn": group.arn}
        if plan.role_policy is not None:
            _role_policies(name, plan.role_policy, render_policy(plan.identity_policy), child)
        self.register_outputs(outputs)


def _group_with_policy(
    name: str, attachment: GroupAttachment, policy: str, opts: pulumi.ResourceOptions
) -> aws.iam.Group:
    """The group that carries a grant's identity policy to its users."""
    group = aws.iam.Group(f"{name}-group", name=attachment.name, path=attachment.path, opts=opts)
    aws.iam.GroupPolicy(f"{name}-policy", group=group.name, name=attachment.name, policy=policy, opts=opts)
    aws.iam.GroupMembership(
        f"{name}-members",
        group=group.name,
        name=f"{attachment.name}-members",
        users=list(attachment.members),
        opts=opts,
    )
    return group


def _role_policies(name: str, attachment: RolePolicyAttachment, policy: str, opts: pulumi.ResourceOptions) -> None:
    """The grant's identity policy, inline on each of its roles, under one name derived from the grant.

    Logical names use the role's name ignoring case (IAM's own identity of a role), so a different
    spelling in the grants file never replaces the policy.
    """
    for role in attachment.roles:
        aws.iam.RolePolicy(
            f"{name}-role-policy-{role.lower()}", role=role, name=attachment.policy_name, policy=policy, opts=opts
        )


def bucket_resources(plan: BucketPlan, provider: aws.Provider, region: str | None = None) -> None:
    """Everything one bucket gets in the bucket account, on that bucket's provider and region.

    Today that is the bucket's one policy: AWS keeps a single policy per bucket, so every grant on it
    shares this one. `region` is for a bucket outside the provider's region; None keeps the provider's.
    """
    aws.s3.BucketPolicy(
        f"bucket-policy-{plan.bucket}",
        bucket=plan.bucket,
        policy=render_policy(plan.policy),
        region=region,
        opts=pulumi.ResourceOptions(provider=provider),
    )
