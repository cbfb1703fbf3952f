"""The program's steps, each a small function so `__main__.py` can read like a table of contents."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pulumi

from ..core import inputs, live, simulation
from ..core.decision import decide
from ..core.loaded_grants import LoadedGrants
from ..core.outputs import bucket_keys_output, bucket_regions_output, grants_output
from ..core.plan import Plan
from ..core.problems import InputProblems, raise_if_any
from ..core.settings import KNOWN_KEYS, NAMESPACE, Settings, stack_file_name
from ..core.yaml_source import YamlDocument, read_yaml
from .components import bucket_grant, bucket_resources
from .lookups import simulate
from .providers import AccountProviders, aws_regions


@contextlib.contextmanager
def input_problems_end_the_run() -> Iterator[None]:
    """Bad input ends the run with one clean list of problems and no Python traceback."""
    try:
        yield
    except InputProblems as problems:
        raise pulumi.RunError(problems.render()) from None


def load_inputs(project_root: Path) -> tuple[Settings, LoadedGrants]:
    """The stack's settings (from Pulumi's config) and its grants file, checked together."""
    stack = pulumi.get_stack()
    raw = {key: pulumi.Config(NAMESPACE).get(key) for key in KNOWN_KEYS}
    stack_file: YamlDocument | None = None
    path = project_root / stack_file_name(stack)
    if path.is_file():
        with contextlib.suppress(InputProblems):  # only for line numbers; Pulumi has already read it
            stack_file = read_yaml(path, stack_file_name(stack))
    return inputs.load_inputs(project_root, raw, stack, stack_file, known_regions=aws_regions())


def plan_with_live_checks(loaded: LoadedGrants, settings: Settings, facts: live.LiveFacts) -> Plan:
    """The core's decision: its notes become preview warnings, its problems end the run with one clean list."""
    decision = decide(loaded, settings, facts)
    raise_if_any(list(decision.problems))
    assert decision.plan is not None
    for note in decision.notes:
        pulumi.log.warn(note)
    return decision.plan


def prove_access(plan: Plan, settings: Settings, facts: live.LiveFacts, providers: AccountProviders) -> None:
    """Ask AWS's policy simulator whether each planned grantee really gets each planned action, before registering.

    Two calls per grantee and bucket, all at once; a denied action ends the run with one clean list.
    Off when the stack sets `simulateAccess: false` (plan, which runs offline, always turns it off).
    """
    if not settings.simulate_access:
        return
    simulations = simulation.plan_simulations(plan, settings)
    if not simulations:
        return
    proof = simulation.judge(settings, simulations, simulate(simulations, providers), facts.users)
    raise_if_any(list(proof.problems))
    for note in proof.notes:
        pulumi.log.warn(note)
    pulumi.log.info(simulation.proven_line(proof, len(simulations)))


def register(plan: Plan, providers: AccountProviders) -> None:
    """Each grant's component (its identity side, and its KMS grants through the bucket account), then each
    bucket's policy in its region."""
    for grant_plan in plan.grants:
        bucket_grant(grant_plan.grant.name, grant_plan, providers.user_account, providers.bucket_account)
    for bucket_plan in plan.buckets:
        bucket_resources(bucket_plan, providers.bucket_account)


def export_outputs(plan: Plan, settings: Settings) -> None:
    """What a reviewer reads after `pulumi up`: each grant in words, each bucket's exact policy, KMS key and region.

    The next run reads them back too (`stack_history`).
    """
    pulumi.export(
        "accounts", {"bucketAccount": settings.bucket_account.accountId, "userAccount": settings.user_account.accountId}
    )
    pulumi.export("grants", grants_output(plan))
    pulumi.export("bucketPolicies", {bucket_plan.bucket: bucket_plan.policy for bucket_plan in plan.buckets})
    pulumi.export("bucketKeys", bucket_keys_output(plan))
    pulumi.export("bucketRegions", bucket_regions_output(plan))
