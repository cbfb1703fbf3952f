"""The resources a plan becomes: a `BucketGrant` component per grant, and one policy per bucket.

Logical names come from grant and bucket names only, never from positions in the file, so
reordering the grants file changes nothing and adding or removing a grant touches only its own
resources and the policies of its buckets. The core builds them (`core.resource_names`) and has
checked that no two are the same; this layer only uses them.

The resource classes are imported by name, so `pulumi_aws` loads their modules with this one, not
lazily at the first registration: the program freezes what its imports made before it registers
anything (`garbage_collection`).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
from pulumi_aws.iam import Group, GroupMembership, GroupPolicy, RolePolicy
from pulumi_aws.kms import Grant as KmsKeyGrant
from pulumi_aws.s3 import BucketPolicy

from ..core import resource_names as names
from ..core.plan import BucketPlan, GrantPlan
from ..core.policies import render_policy

BUCKET_GRANT_TYPE = "cross-account-s3:index:BucketGrant"


def bucket_grant(
    name: str,
    plan: GrantPlan,
    user_account: aws.Provider,
    bucket_account: aws.Provider,
) -> None:
    """One grant's `BucketGrant` component: its identity side in the user account (a group for its users,
    an inline policy on each role), and, for buckets encrypted with a customer managed key, its KMS
    grants in the bucket account.

    The group exists so the users' permissions are reviewable in one place and removable by
    deleting one grant. `GroupMembership` owns the group's whole member list, which is right here
    because the group belongs to this grant alone. A role cannot join a group, so each role gets the
    same identity policy as an inline `RolePolicy`, under one name derived from the grant; the role
    itself is never created or changed. The KMS grants are children too, so removing the grant revokes
    them with it.

    The component is a plain `ComponentResource` of type `cross-account-s3:index:BucketGrant`, not a
    subclass: same type, URN, children and preview. For every registration Pulumi records the program's
    call stack, frame by frame, and that bookkeeping is the largest cost of a preview with many grants
    (docs/benchmarks.md). For a subclass the SDK also records the component's own stack, whose position
    would be the one line in `stack.register` that makes every grant, so it tells a reader nothing
    (Pulumi keeps a source position for display only, never for diffs: pulumi/pulumi#18579); the
    children, which are what AWS can refuse, keep theirs. The children are made here, not in helper
    functions, for the same reason: each function between the program and a resource is one more frame
    recorded for it. The component registers no outputs of its own: the stack's `grants` output already
    names each grant's group, and `register_outputs({})` still marks the component complete.
    """
    component = pulumi.ComponentResource(BUCKET_GRANT_TYPE, name)
    child = pulumi.ResourceOptions(parent=component, provider=user_account)
    policy = render_policy(plan.identity_policy)
    if (users := plan.group) is not None:
        group = Group(names.group(name), name=users.name, path=users.path, opts=child)
        GroupPolicy(names.group_policy(name), group=group.name, name=users.name, policy=policy, opts=child)
        GroupMembership(
            names.members(name),
            group=group.name,
            name=f"{users.name}-members",
            users=list(users.members),
            opts=child,
        )
    if (roles := plan.role_policy) is not None:
        for role in roles.roles:
            RolePolicy(
                names.role_policy(name, role),
                role=role,
                name=roles.policy_name,
                policy=policy,
                opts=child,
            )
    if plan.kms_grants:
        in_key_account = pulumi.ResourceOptions(parent=component, provider=bucket_account)
        for kms_grant in plan.kms_grants:
            # Made by the key's own account; the key policy is never touched. `retire_on_delete=False`
            # makes deleting the grant a RevokeGrant by the key's account, which needs no cooperation
            # from the grantee. The grant is made in the bucket's region, which is the key's. A
            # multi-Region key's KMS grant named before names held the region keeps that name as an
            # alias, so it is not renamed into a revoked grant (`core.kms.keep_former_names`).
            former = kms_grant.former_name
            KmsKeyGrant(
                kms_grant.resource_name,
                name=kms_grant.name,
                key_id=kms_grant.key.arn,  # the key's own ARN: KMS needs it for another account's grantee
                grantee_principal=kms_grant.grantee,
                operations=list(kms_grant.operations),
                retire_on_delete=False,
                region=kms_grant.key.region,
                opts=in_key_account
                if former is None
                else pulumi.ResourceOptions(
                    parent=component, provider=bucket_account, aliases=[pulumi.Alias(name=former)]
                ),
            )
    component.register_outputs({})


def bucket_resources(plan: BucketPlan, provider: aws.Provider) -> None:
    """Everything one bucket gets in the bucket account, on that bucket's provider and region.

    Today that is the bucket's one policy: AWS keeps a single policy per bucket, so every grant on it
    shares this one. A bucket outside the provider's region (its own `bucketSettings` region) names it.
    """
    BucketPolicy(
        names.bucket_policy(plan.bucket),
        bucket=plan.bucket,
        policy=render_policy(plan.policy),
        region=plan.own_region,
        opts=pulumi.ResourceOptions(provider=provider),
    )
