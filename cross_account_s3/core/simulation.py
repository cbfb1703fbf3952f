"""Proving the planned access with AWS's own policy simulator, before anything is applied.

The policies this program writes are exact, but what a user can really do also depends on things in
the user account that it does not write: a permissions boundary on the user, an explicit Deny in
another of the user's policies, an organisation's SCP. Any of them silently blocks a grant, and the
build finds out only at run time with AccessDenied. AWS's `SimulatePrincipalPolicy` evaluates the
user's existing policies, boundary and SCPs together with policies passed in, so preview asks it
about each user's planned group policies and each bucket's planned policy, before the first
registration.

This module is pure: it builds the simulations from the plan and judges the answers. The Pulumi
layer (`infra.lookups`) sends them and hands back each answer as the provider gave it.

What the simulator can and cannot say, from AWS's IAM API reference:
- A resource policy is simulated for IAM users only ("Simulation of resource-based policies isn't
  supported for IAM roles"). A role is therefore simulated on its identity side alone, and never
  reported as proven.
- It answers one result per action, whatever number of resources is passed, keeping the most
  restrictive decision. Bucket-level and object-level actions are therefore asked in separate
  calls, each on resources of its own type: how AWS scores `s3:ListBucket` against an object ARN is
  not documented.
- The pulumi-aws data source reads only that top-level result and drops the permissions-boundary
  and organisations details, so a boundary is named from `getUser`, never from the result. Which
  `sourcePolicyType` AWS reports for a policy passed in (this program's planned group policies) is
  not documented either: the types are shown as AWS sends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .actions import s3_actions_of
from .grant import Grant
from .grantees import Grantee, entry_key
from .live import Answer, Failure, LiveUser, provider_message
from .plan import GrantPlan, Plan
from .policies import PolicyDocument, bucket_arn
from .problems import Problem
from .s3_actions import Target
from .settings import NAMESPACE, Settings, stack_file_name

# The object the object-level actions are asked about: a key inside each of the grant's prefixes.
SIMULATED_KEY = "cross-account-s3-simulated-object"
PERMISSION = "iam:SimulatePrincipalPolicy"
SETTING = f"{NAMESPACE}:simulateAccess"

ALLOWED = "allowed"
EXPLICIT_DENY = "explicitDeny"
IMPLICIT_DENY = "implicitDeny"
NO_RESULT = "no result"  # the simulator answered nothing for the action: never taken as allowed

# AWS's documented `SourcePolicyType` values, in words (IAM API reference, "Statement").
_SOURCE_WORDS: Mapping[str, str] = {
    "user": "a policy of the user",
    "group": "a policy of one of the user's groups",
    "role": "a policy of the role",
    "aws-managed": "an AWS managed policy",
    "user-managed": "a customer managed policy",
    "resource": "the bucket policy",
    "none": "no policy",
}


@dataclass(frozen=True)
class ContextEntry:
    """A request value the planned policies' conditions read, which the simulator cannot know by itself."""

    key: str
    type: str  # AWS's ContextKeyType: "string", "stringList", ...
    values: tuple[str, ...]


@dataclass(frozen=True)
class Simulation:
    """One call to the simulator: one grantee's actions of one kind on one bucket.

    `resource_policy` is the bucket's planned policy for a user, and None for a role, which AWS
    cannot simulate with a resource policy.
    """

    grantee: Grantee
    bucket: str
    grants: tuple[Grant, ...]  # the grants that give these actions to this grantee on this bucket
    target: Target
    actions: tuple[str, ...]
    resource_arns: tuple[str, ...]
    identity_policies: tuple[PolicyDocument, ...]  # the grantee's planned group (or role) policies
    resource_policy: PolicyDocument | None
    resource_owner: str | None  # the bucket account; None when the identity side is simulated alone
    context: tuple[ContextEntry, ...]

    @property
    def with_bucket_policy(self) -> bool:
        return self.resource_policy is not None


def _grantee_simulated_with_bucket_policy(grantee: Grantee) -> bool:
    """AWS simulates a resource policy for IAM users only."""
    return grantee.kind == "user"


def _object_arns(bucket: str, prefixes: Sequence[str]) -> tuple[str, ...]:
    """One object inside each of the grant's prefixes (or anywhere in the bucket without prefixes)."""
    return tuple(f"{bucket_arn(bucket)}/{prefix}{SIMULATED_KEY}" for prefix in (prefixes or [""]))


def _grant_plans_by_grantee(plan: Plan) -> dict[str, tuple[Grantee, list[GrantPlan]]]:
    """Each grantee (by key, in key order) with every grant plan naming it."""
    found: dict[str, tuple[Grantee, list[GrantPlan]]] = {}
    for grant_plan in plan.grants:
        for grantee in grant_plan.grantees:
            found.setdefault(grantee.key, (grantee, []))[1].append(grant_plan)
    return dict(sorted(found.items()))


def _calls_on_one_place(
    grantee: Grantee,
    bucket: str,
    prefixes: tuple[str, ...],
    grants: Sequence[Grant],
    identity: tuple[PolicyDocument, ...],
    bucket_policy: PolicyDocument,
    bucket_account: str,
) -> list[Simulation]:
    """The bucket-level call and the object-level call for grants sharing one bucket and one set of prefixes."""
    with_policy = _grantee_simulated_with_bucket_policy(grantee)
    actions = {action.name: action for grant in grants for action in s3_actions_of(grant)}
    calls: list[Simulation] = []
    for target in (Target.BUCKET, Target.OBJECT):
        names = tuple(sorted(name for name, action in actions.items() if action.target is target))
        if not names:
            continue
        context = [ContextEntry("s3:ResourceAccount", "string", (bucket_account,))]
        if target is Target.BUCKET and prefixes:
            # Listing is granted under `s3:prefix`; one prefix stands for the grant's listing.
            context.append(ContextEntry("s3:prefix", "string", (prefixes[0],)))
        calls.append(
            Simulation(
                grantee=grantee,
                bucket=bucket,
                grants=tuple(grants),
                target=target,
                actions=names,
                resource_arns=(bucket_arn(bucket),) if target is Target.BUCKET else _object_arns(bucket, prefixes),
                identity_policies=identity,
                resource_policy=bucket_policy if with_policy else None,
                resource_owner=bucket_account if with_policy else None,
                context=tuple(context),
            )
        )
    return calls


def plan_simulations(plan: Plan, settings: Settings) -> list[Simulation]:
    """The calls that prove a plan: per grantee and bucket, one for bucket-level and one for object-level actions.

    Grants of one grantee on one bucket that share their prefixes are asked together, so the number
    of calls stays at two per grantee and bucket unless a grantee has grants with different prefixes
    on the same bucket.
    """
    policies = {bucket_plan.bucket: bucket_plan.policy for bucket_plan in plan.buckets}
    simulations: list[Simulation] = []
    for grantee, grant_plans in _grant_plans_by_grantee(plan).values():
        identity = tuple(grant_plan.identity_policy for grant_plan in grant_plans)
        places: dict[tuple[str, tuple[str, ...]], list[Grant]] = {}
        for grant_plan in grant_plans:
            for bucket in grant_plan.grant.bucket_names:
                places.setdefault((bucket, tuple(grant_plan.grant.prefixes or ())), []).append(grant_plan.grant)
        for (bucket, prefixes), grants in sorted(places.items()):
            simulations += _calls_on_one_place(
                grantee, bucket, prefixes, grants, identity, policies[bucket], settings.bucket_account.accountId
            )
    return simulations


@dataclass(frozen=True)
class ActionResult:
    """The simulator's verdict on one action of one call, from every result it returned for that action."""

    action: str
    decision: str  # allowed, explicitDeny, implicitDeny, or NO_RESULT
    sources: tuple[tuple[str, str], ...]  # matched statements: (sourcePolicyType, sourcePolicyId)
    missing_context_keys: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


_RESTRICTIVENESS = {ALLOWED: 0, IMPLICIT_DENY: 1, EXPLICIT_DENY: 2}


def action_results(actions: Iterable[str], payload: Mapping[str, Any]) -> list[ActionResult]:
    """Each asked action's verdict. The results are an unordered set, so they are matched by action name.

    An action with several results (one per resource, should AWS ever send them so) gets the most
    restrictive decision; an action with none is not allowed. A decision outside AWS's three
    keywords counts as more restrictive than any of them, so it can never pass as allowed.
    """
    by_action: dict[str, list[Mapping[str, Any]]] = {}
    for result in payload.get("results") or ():
        by_action.setdefault(str(result.get("actionName", "")).lower(), []).append(result)
    verdicts: list[ActionResult] = []
    for action in actions:
        results = by_action.get(action.lower(), [])
        if not results:
            verdicts.append(ActionResult(action, NO_RESULT, (), ()))
            continue
        decision = max((str(r.get("decision", "")) for r in results), key=lambda d: _RESTRICTIVENESS.get(d, 3))
        sources = sorted(
            {
                (str(statement.get("sourcePolicyType", "")), str(statement.get("sourcePolicyId", "")))
                for r in results
                if str(r.get("decision", "")) == decision
                for statement in r.get("matchedStatements") or ()
            }
        )
        missing = sorted({str(key) for r in results for key in r.get("missingContextKeys") or () if key})
        verdicts.append(ActionResult(action, decision, tuple(sources), tuple(missing)))
    return verdicts


@dataclass(frozen=True)
class Proof:
    """What the simulator said about a whole plan: problems stop the change, notes are shown, proven is counted."""

    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    proven: tuple[str, ...] = ()  # "user on bucket", for each pair whose every action was allowed


def _source_words(sources: Sequence[tuple[str, str]]) -> str:
    shown = []
    for kind, policy_id in sources:
        words = _SOURCE_WORDS.get(kind, f"sourcePolicyType {kind!r}")
        shown.append(f"{words} ({policy_id})" if policy_id else words)
    return "; matched: " + ", ".join(shown) if shown else ""


def _verdict_words(result: ActionResult, resources: Sequence[str]) -> str:
    missing = ""
    if result.missing_context_keys:
        missing = f"; the simulator lacked the context keys {', '.join(result.missing_context_keys)}"
    return f"{result.action} on {', '.join(resources)} ({result.decision}{_source_words(result.sources)}{missing})"


def _entry_where(simulation: Simulation) -> list[tuple[Grant, str, int]]:
    """Each grant of the simulation, with the list and index of the entry naming the grantee (for the line)."""
    kind = simulation.grantee.kind
    found = []
    for grant in simulation.grants:
        index = next(
            (i for k, entry, i in grant.entries if k == kind and entry_key(entry, kind) == simulation.grantee.key), 0
        )
        found.append((grant, "users" if kind == "user" else "roles", index))
    return found


Denial = tuple[Simulation, ActionResult]


def _denial_problems(denials: Sequence[Denial], user: LiveUser | None) -> list[Problem]:
    """One problem per grant and grantee on a bucket, naming every action the simulator denied there."""
    simulation = denials[0][0]
    kind = simulation.grantee.kind
    boundary = user.permissions_boundary if user is not None else None
    message = (
        f"AWS's policy simulator says the {kind} {simulation.grantee.name!r} would still be "
        f"denied on the bucket {simulation.bucket!r} with this program's planned policies in place: "
        + "; ".join(_verdict_words(result, denied_on.resource_arns) for denied_on, result in denials)
    )
    if boundary:
        message += f"; the user has the permissions boundary {boundary}, which must also allow these actions"
    others = "policies or groups" if kind == "user" else "policies"
    blockers = (
        f"the permissions boundary {boundary}, " if boundary else f"a permissions boundary on the {kind}, "
    ) + f"a Deny in another of the {kind}'s {others}, or an organisation's SCP"
    fix = (
        f"find what blocks it in the user account ({blockers}) and change it, or remove the {kind} from the grant; "
        "nothing was applied. If the access depends on request details the simulator cannot know, set "
        f"'{SETTING}: false' in the stack file to skip this check (see docs/access-simulation.md)"
    )
    where = {(g.name, field, i): (g, field, i) for denied_on, _ in denials for g, field, i in _entry_where(denied_on)}
    return [
        grant.where.at(field, index).problem(message, fix) for grant, field, index in (where[k] for k in sorted(where))
    ]


def _failure_problem(simulation: Simulation, answer: Answer) -> Problem:
    assert answer.error is not None
    (grant, field, index), *_ = _entry_where(simulation)
    return grant.where.at(field, index).problem(
        f"AWS's policy simulator could not be asked about {simulation.grantee.name!r} on {simulation.bucket!r}, "
        f"and the answer is not one this program knows, so it assumes nothing; the provider said: "
        f"{provider_message(answer.error)}",
        "fix what the provider's message says, then preview again; or set "
        f"'{SETTING}: false' in the stack file to skip this check",
    )


def denied_simulator_problem(settings: Settings, text: str) -> Problem:
    """The deployer of the user account may not call the simulator: say how to allow it, or turn the check off."""
    account = settings.user_account.accountId
    return Problem.in_file(
        stack_file_name(settings.stack),
        f"the user account's profile (or role) may not call {PERMISSION}, so preview cannot prove the planned "
        f"access with AWS's policy simulator; the provider said: {provider_message(text)}",
        f"allow {PERMISSION} on arn:aws:iam::{account}:user/* (and role/* when roles are granted) to the user "
        "account's profile (or role), or turn "
        f"the check off with '{SETTING}: false' under 'config:' (see docs/access-simulation.md)",
    )


def judge(
    settings: Settings,
    simulations: Sequence[Simulation],
    answers: Sequence[Answer],
    users: Mapping[str, LiveUser | None],
) -> Proof:
    """What the simulator's answers mean: each denied action a problem, each unproven role a note.

    A denial for which the simulator names missing context keys is a note: it depends on request
    values only the real request carries, so it is neither proof nor a certain failure.

    `users` are the live users by lowercase name (as `LiveFacts` keeps them), for the permissions
    boundary `getUser` reported.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    proven: dict[str, bool] = {}
    denials: dict[tuple[str, str], list[Denial]] = {}
    denied_text: str | None = None
    for simulation, answer in zip(simulations, answers, strict=True):
        pair = f"{simulation.grantee.name} on {simulation.bucket}"
        if answer.payload is None:
            proven[pair] = False
            if answer.failure is Failure.DENIED:
                denied_text = denied_text or answer.error
            else:
                problems.append(_failure_problem(simulation, answer))
            continue
        results = action_results(simulation.actions, answer.payload)
        # A denial that hangs on request values the simulator was not given (a boundary's aws:SourceVpce, a
        # bucket policy's aws:PrincipalOrgID guard) may not happen at run time: a warning, never proof.
        undecided = [r for r in results if not r.allowed and r.missing_context_keys]
        denied = [r for r in results if not r.allowed and r not in undecided]
        denials.setdefault((simulation.grantee.key, simulation.bucket), []).extend((simulation, r) for r in denied)
        if undecided:
            notes.append(
                f"{pair}: AWS's policy simulator could not decide "
                + ", ".join(_verdict_words(r, simulation.resource_arns) for r in undecided)
                + "; a policy reads request details it was not given, so this access is not proven"
            )
        if not simulation.with_bucket_policy:
            notes.append(
                f"{pair}: the {simulation.grantee.kind} {simulation.grantee.name!r} was simulated on its identity "
                "side only (AWS's simulator cannot evaluate a bucket policy for a role), so its access is not proven"
            )
        proven[pair] = proven.get(pair, True) and not denied and not undecided and simulation.with_bucket_policy
    for _, found in sorted(denials.items()):
        if found:
            grantee = found[0][0].grantee
            live = users.get(grantee.name.lower()) if grantee.kind == "user" else None
            problems += _denial_problems(found, live)
    if denied_text is not None:
        problems.append(denied_simulator_problem(settings, denied_text))
    return Proof(
        problems=tuple(dict.fromkeys(problems)),  # both calls of a pair may fail alike: say it once
        notes=tuple(dict.fromkeys(notes)),
        proven=tuple(pair for pair, ok in sorted(proven.items()) if ok),
    )


def proven_line(proof: Proof, calls: int) -> str:
    """One line for the preview log: what was proven, and what it cost."""
    return (
        f"AWS's policy simulator allows every planned action for {len(proof.proven)} user and bucket pair(s) "
        f"({calls} call(s) to {PERMISSION})"
    )
