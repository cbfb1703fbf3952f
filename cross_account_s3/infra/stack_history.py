"""What this stack wrote in its last deployment, read back from its own outputs.

Three things the live AWS accounts cannot say are known only from the stack itself:
- whose an inline role policy is. `PutRolePolicy` replaces a policy of the same name without a word,
  and IAM cannot say who wrote it; the `grants` output names every role policy this stack wrote.
- which buckets it wrote a policy on. When the grants stop naming a bucket, `pulumi up` deletes the
  bucket's whole policy; the `bucketPolicies` and `bucketRegions` outputs name those buckets and
  their regions, so the policy is read before it goes (see `core.retired_buckets`).
- which replica of a multi-Region KMS key a grant's KMS grant was made on, when it was named without
  the region: the `grants` and `bucketKeys` outputs say (see `core.kms.keep_former_names`).

A stack reads its own last outputs through a `StackReference` to itself, as Pulumi's own
integration test does (pulumi/pulumi tests/integration/stack_reference/python/step1/__main__.py).
A stack that was never deployed has no outputs, and so wrote nothing.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from ..core.outputs import LastDeployment, read_last_deployment

SELF_REFERENCE = "this-stack-last-deployment"

_WITHOUT = {  # what an output this version cannot read costs: never a silent change, always said
    "grants": "no inline role policy counts as written by this stack, and none of them is replaced; and "
    "a grant that now uses two replicas of one multi-Region KMS key keeps neither under its former name: check "
    "the preview for a deleted aws:kms/grant:Grant (docs/kms.md)",
    "bucketPolicies": "a bucket whose last grant was removed since is not read before `pulumi up` deletes its "
    "policy: check the preview for deleted bucket policies",
    "bucketRegions": "a bucket whose last grant was removed since is read in the bucket account's region, where a "
    "bucket elsewhere cannot be read",
    "bucketKeys": "a grant that now uses two replicas of one multi-Region KMS key keeps neither under its former "
    "name: check the preview for a deleted aws:kms/grant:Grant (docs/kms.md)",
}


def last_deployment() -> LastDeployment:
    """The last deployment's outputs, read before any lookup.

    An output this version cannot read is a warning that says what goes unchecked; outputs that are not
    known at all stop the run, since "unknown" must never pass for "never deployed".
    """
    this_stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    reference = pulumi.StackReference(SELF_REFERENCE, stack_name=this_stack)
    # Waited for here, like the lookups, so every check is done before the first registration.
    outputs: dict[str, Any] | None = _sync_await(reference.outputs.future())
    if not _sync_await(reference.outputs.is_known()):  # a read is known in preview; never take "unknown" for "none"
        raise pulumi.RunError(
            "cross-account-s3: this stack's last outputs are not known in this preview, so it cannot tell which "
            "bucket policies `pulumi up` would delete or which inline role policies are its own; nothing was "
            "created or changed. Run the preview again; if this persists, report it with `pulumi about`."
        )
    last = read_last_deployment(outputs or {})
    for name in last.unreadable:
        unread = f"this stack's last deployment has a {name!r} output this version cannot read"
        pulumi.log.warn(f"{unread}, so {_WITHOUT[name]}")
    return last
