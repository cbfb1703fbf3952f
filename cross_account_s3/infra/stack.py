"""The program's steps, each a small function so `__main__.py` can read like a table of contents."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pulumi

from ..core import inputs, limits, live
from ..core.grants import LoadedGrants
from ..core.policies import Plan, build_plan
from ..core.problems import InputProblems, raise_if_any
from ..core.settings import KNOWN_KEYS, NAMESPACE, Settings, stack_file_name
from ..core.yaml_source import YamlDocument, read_yaml
from .components import BucketGrant, bucket_policy
from .providers import AccountProviders


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
    return inputs.load_inputs(project_root, raw, stack, stack_file)


def plan_with_live_checks(loaded: LoadedGrants, settings: Settings, facts: live.LiveFacts) -> Plan:
    """The plan, after every check that needs AWS's answers or the whole plan; raises every problem at once."""
    user_account, bucket_account = settings.user_account.accountId, settings.bucket_account.accountId
    bucket_region = settings.bucket_account.region
    raise_if_any(live.lookup_problems(loaded, facts, user_account, bucket_account, bucket_region))
    plan = build_plan(loaded, settings, facts.user_arns)
    raise_if_any([*live.foreign_statement_problems(loaded, facts), *limits.limit_problems(plan, loaded, settings)])
    principals = {
        bucket.bucket: {p for g in plan.grants if g.grant.name in bucket.grant_names for p in g.principals}
        for bucket in plan.buckets
    }
    for note in [*live.stale_principal_notes(facts, principals), *live.replaced_statement_notes(loaded, facts)]:
        pulumi.log.warn(note)
    return plan


def register(plan: Plan, providers: AccountProviders, loaded: LoadedGrants) -> None:
    for grant_plan in plan.grants:
        BucketGrant(grant_plan.grant.name, grant_plan, providers.user_account)
    for bucket_plan in plan.buckets:
        settings = loaded.bucket_settings.get(bucket_plan.bucket)
        bucket_policy(bucket_plan, providers.bucket_account, settings.region if settings else None)


def export_outputs(plan: Plan, settings: Settings) -> None:
    """What a reviewer reads after `pulumi up`: each grant in words, and each bucket's exact policy."""
    pulumi.export(
        "accounts", {"bucketAccount": settings.bucket_account.accountId, "userAccount": settings.user_account.accountId}
    )
    pulumi.export(
        "grants",
        {
            grant_plan.grant.name: {
                "group": grant_plan.group_name,
                "users": list(grant_plan.user_names),
                "principals": list(grant_plan.principals),
                "buckets": list(grant_plan.grant.bucket_names),
                "access": grant_plan.grant.access_label(),
                "prefixes": list(grant_plan.grant.prefixes or []),
            }
            for grant_plan in plan.grants
        },
    )
    pulumi.export("bucketPolicies", {bucket_plan.bucket: bucket_plan.policy for bucket_plan in plan.buckets})
