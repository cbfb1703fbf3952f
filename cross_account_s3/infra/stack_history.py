"""What this stack wrote in its last deployment, read back from its own `grants` output.

`PutRolePolicy` replaces an inline policy of the same name without a word, so before putting a
grant's policy on a role the program must know whether a policy of that name on the role is its
own (written by an earlier `pulumi up` of this stack) or someone else's. IAM cannot say who wrote
an inline policy; the stack's state can, and its `grants` output names every role policy it wrote.

A stack reads its own last outputs through a `StackReference` to itself, as Pulumi's own
integration test does (pulumi/pulumi tests/integration/stack_reference/python/step1/__main__.py).
A stack that was never deployed has no outputs, and so owns nothing.
"""

from __future__ import annotations

import pulumi
from pulumi.runtime.sync_await import _sync_await
from pydantic import ValidationError

from ..core.grants import LoadedGrants
from ..core.outputs import owned_role_policies, read_grants_output

SELF_REFERENCE = "this-stack-last-deployment"


def previously_written_role_policies(loaded: LoadedGrants) -> frozenset[tuple[str, str]]:
    """(lowercase role name, policy name) for every inline role policy this stack's last deployment wrote.

    Asked only when a grant names roles: only then can the answer matter.
    """
    if not any(grant.roles for grant in loaded.grants):
        return frozenset()
    this_stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    reference = pulumi.StackReference(SELF_REFERENCE, stack_name=this_stack)
    # Waited for here, like the lookups, so every check is done before the first registration.
    grants = _sync_await(reference.get_output("grants").future())
    try:
        return owned_role_policies(read_grants_output(grants))
    except ValidationError:  # an output this version cannot read: own nothing, so nothing is overwritten
        return frozenset()
