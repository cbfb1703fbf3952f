"""The policy pack `pulumi preview --policy-pack policy` loads: every guardrail, at mandatory level.

The rules live in `guardrail_rules.py` and their pulumi-policy wrappers in `guardrail_policies.py`;
this file only starts the pack, which serves the engine until the preview ends.
"""

from guardrail_policies import PACK_NAME, policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(),
    description="Blocks what the cross-account-s3 program must never register, whoever edits the program.",
)
