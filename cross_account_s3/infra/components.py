"""The resources a plan becomes: a `BucketGrant` component per grant, and one policy per bucket.

Logical names come from grant and bucket names only, never from positions in the file, so
reordering the grants file changes nothing and adding or removing a grant touches only its own
resources and the policies of its buckets.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..core.policies import BucketPlan, GrantPlan, render_policy

BUCKET_GRANT_TYPE = "cross-account-s3:index:BucketGrant"


class BucketGrant(pulumi.ComponentResource):
    """One grant's half in the user account: a group, its inline policy, and its members.

    The group exists so the users' permissions are reviewable in one place and removable by
    deleting one grant. `GroupMembership` owns the group's whole member list, which is right here
    because the group belongs to this grant alone.
    """

    group_name: pulumi.Output[str]
    group_arn: pulumi.Output[str]

    def __init__(
        self, name: str, plan: GrantPlan, provider: aws.Provider, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(BUCKET_GRANT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        group = aws.iam.Group(f"{name}-group", name=plan.group_name, path=plan.group_path, opts=child)
        aws.iam.GroupPolicy(
            f"{name}-policy",
            group=group.name,
            name=plan.group_name,
            policy=render_policy(plan.identity_policy),
            opts=child,
        )
        aws.iam.GroupMembership(
            f"{name}-members",
            group=group.name,
            name=f"{plan.group_name}-members",
            users=list(plan.user_names),
            opts=child,
        )
        self.group_name = group.name
        self.group_arn = group.arn
        self.register_outputs({"groupName": group.name, "groupArn": group.arn})


def bucket_policy(plan: BucketPlan, provider: aws.Provider, region: str | None) -> aws.s3.BucketPolicy:
    """The bucket's one policy. AWS keeps a single policy per bucket, so every grant on it shares this one.

    `region` is the bucket's own region when the grants file sets one (`bucketSettings`); otherwise the
    bucket account's provider region applies, and the input is left out so existing stacks see no change.
    """
    return aws.s3.BucketPolicy(
        f"bucket-policy-{plan.bucket}",
        bucket=plan.bucket,
        policy=render_policy(plan.policy),
        region=region,
        opts=pulumi.ResourceOptions(provider=provider),
    )
