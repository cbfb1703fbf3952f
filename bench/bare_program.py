"""The baseline for bench.speed: a bare Pulumi program that registers the same resources with no logic of ours.

Two providers, a component with a group, group policy and membership per grant, and a bucket
policy per bucket, with fixed inputs: no YAML, no validation, no lookups, no policy building.

With `bench:componentClass` true, each component is an instance of a `ComponentResource` subclass, as
Pulumi's docs write components (and as this program's `BucketGrant` was until 2026-11-29). It registers
the same resources and costs more: the SDK records the creating call stack for a subclass (it looks for
a third `__init__` frame: Resource, ComponentResource, the subclass) and records none for a plain
`ComponentResource`, which has only two.

With `bench:freezeImports` true, it freezes what its imports made before registering anything, as this
program does (`infra.garbage_collection`): the like-for-like baseline for what the program itself costs.
"""

import gc

import pulumi
import pulumi_aws as aws

config = pulumi.Config("bench")
grants, buckets = int(config.require("grants")), int(config.require("buckets"))


class BucketGrant(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("cross-account-s3:index:BucketGrant", name)


component_class = bool(config.get_bool("componentClass"))
if config.get_bool("freezeImports"):
    gc.freeze()
users = aws.Provider("user-account", region="us-east-1", allowed_account_ids=["012345678901"])
owner = aws.Provider("bucket-account", region="us-east-1", allowed_account_ids=["123456789012"])
POLICY = '{"Version": "2012-10-17", "Statement": []}'
for index in range(grants):
    component = (
        BucketGrant(f"grant-{index}")
        if component_class
        else pulumi.ComponentResource("cross-account-s3:index:BucketGrant", f"grant-{index}")
    )
    child = pulumi.ResourceOptions(parent=component, provider=users)
    group = aws.iam.Group(f"grant-{index}-group", name=f"group-{index}", opts=child)
    aws.iam.GroupPolicy(f"grant-{index}-policy", group=group.name, policy=POLICY, opts=child)
    aws.iam.GroupMembership(f"grant-{index}-members", group=group.name, users=["u"], name=f"m-{index}", opts=child)
    component.register_outputs({})
for index in range(buckets):
    aws.s3.BucketPolicy(
        f"bucket-policy-{index}", bucket=f"bucket-{index}", policy=POLICY, opts=pulumi.ResourceOptions(provider=owner)
    )
