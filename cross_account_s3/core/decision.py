"""The decision a preview makes once AWS has answered: the plan, or every reason there can be none.

The checks run in a fixed order. Users, roles, buckets and KMS keys that do not exist (or cannot be
used) come first, because a plan naming them means nothing. Then the plan is built, and the checks that
need it (two resources with one logical name, AWS's hard limits, room for the roles' inline policies,
and inline policies of our name that someone else wrote) run together with the statements someone else
wrote into a live bucket policy, also the policy of a bucket whose last grant was removed, which
`pulumi up` would delete.
Notes are what a reviewer must read but that does not stop the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import foreign_statements, limits, live, resource_names, retired_buckets, roles
from .loaded_grants import LoadedGrants
from .plan import Plan, build_plan, resolve_all
from .policies import PolicyDocument
from .problems import Problem
from .settings import Settings


@dataclass(frozen=True)
class Decision:
    """The plan with its notes, or (plan None) the problems that stop it."""

    plan: Plan | None
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()


def decide(loaded: LoadedGrants, settings: Settings, facts: live.LiveFacts) -> Decision:
    """The plan after every check that needs AWS's answers or the whole plan; every problem of a stage at once."""
    user_account, bucket_account = settings.user_account.accountId, settings.bucket_account.accountId
    bucket_region = settings.bucket_account.region
    missing = live.lookup_problems(loaded, facts, user_account, bucket_account, bucket_region)
    if missing:
        return Decision(plan=None, problems=tuple(missing))
    found = resolve_all(loaded, user_account, facts.found_arns)
    plan = build_plan(loaded, settings, found, facts.key_arns, facts.last_key_regions)
    problems = [
        *resource_names.duplicate_name_problems(plan, loaded),
        *foreign_statements.foreign_statement_problems(loaded, facts),
        *foreign_statements.replaced_statement_problems(loaded, facts),
        *retired_buckets.retired_bucket_problems(loaded, facts, bucket_account),
        *limits.limit_problems(plan, loaded, settings),
        *roles.role_policy_problems(plan, settings, facts),
    ]
    if problems:
        return Decision(plan=None, problems=tuple(problems))
    planned = _planned(plan)
    notes = [
        *live.stale_principal_notes(facts, plan.principals_by_bucket()),
        *foreign_statements.unwritten_own_statement_notes(loaded, facts, planned),
        *foreign_statements.redeclared_statement_notes(loaded, facts),
        *foreign_statements.restored_principal_notes(loaded, facts, planned),
        *roles.other_inline_policy_notes(plan, settings, facts),
    ]
    return Decision(plan=plan, notes=tuple(notes))


def _planned(plan: Plan) -> dict[str, PolicyDocument]:
    """Each bucket's planned policy, to recognise a live statement that `pulumi up` writes again as it is."""
    return {bucket.bucket: bucket.policy for bucket in plan.buckets}
