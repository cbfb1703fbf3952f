"""The resources a plan becomes: a `BucketGrant` component per grant, and one policy per bucket.

Logical names come from grant and bucket names only, never from positions in the file, so
reordering the grants file changes nothing and adding or removing a grant touches only its own
resources and the policies of its buckets.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..core.kms import KmsGrant
from ..core.plan import BucketPlan, GrantPlan, GroupAttachment, RolePolicyAttachment
from ..core.policies import render_policy

BUCKET_GRANT_TYPE = "cross-account-s3:index:BucketGrant"


class BucketGrant(pulumi.ComponentResource):
    """One grant: its identity side in the user account (a group for its users, an inline policy on
    each role), and, for buckets encrypted with a customer managed key, its KMS grants in the bucket account.

    The group exists so the users' permissions are reviewable in one place and removable by
    deleting one grant. `GroupMembership` owns the group's whole member list, which is right here
    because the group belongs to this grant alone. A role cannot join a group, so each role gets the
    same identity policy as an inline `RolePolicy`; the role itself is never created or changed. The
    KMS grants are children too, so removing the grant revokes them with it.
    """

    def __init__(
        self,
        name: str,
        plan: GrantPlan,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
        *,
        key_provider: aws.Provider | None = None,
    ) -> None:
        super().__init__(BUCKET_GRANT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        outputs: dict[str, pulumi.Output[str]] = {}
        if plan.group is not None:
            group = _group_with_policy(name, plan.group, render_policy(plan.identity_policy), child)
            outputs = {"groupName": group.name, "groupArn": group.arn}
        if plan.role_policy is not None:
            _role_policies(name, plan.role_policy, render_policy(plan.identity_policy), child)
        if plan.kms_grants:
            assert key_provider is not None, "KMS grants are made through the bucket account's provider"
            for kms_grant in plan.kms_grants:
                _kms_grant(kms_grant, pulumi.ResourceOptions(parent=self, provider=key_provider))
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


def _kms_grant(kms_grant: KmsGrant, opts: pulumi.ResourceOptions) -> aws.kms.Grant:
    """One grantee's use of one key, made by the key's own account; the key policy is never touched.

    `retire_on_delete=False` makes deleting the grant a RevokeGrant by the key's account, which needs no
    cooperation from the grantee. The grant is made in the bucket's region, which is the key's.
    """
    key = kms_grant.key
    return aws.kms.Grant(
        kms_grant.resource_name,
        name=kms_grant.name,
        key_id=key.arn,  # the key's own ARN: KMS needs it for a grantee in another account, never an alias
        grantee_principal=kms_grant.grantee,
        operations=list(kms_grant.operations),
        retire_on_delete=False,
        region=key.region,
        opts=opts,
    )


def bucket_resources(plan: BucketPlan, provider: aws.Provider) -> None:
    """Everything one bucket gets in the bucket account, on that bucket's provider and region.

    Today that is the bucket's one policy: AWS keeps a single policy per bucket, so every grant on it
    shares this one. A bucket outside the provider's region (its own `bucketSettings` region) names it.
    """
    aws.s3.BucketPolicy(
        f"bucket-policy-{plan.bucket}",
        bucket=plan.bucket,
        policy=render_policy(plan.policy),
        region=plan.own_region,
        opts=pulumi.ResourceOptions(provider=provider),
    )
