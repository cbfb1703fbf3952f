"""The checks that only roles need: room for one more inline policy, and never replacing someone else's.

A role cannot join a group, so a grant's identity policy goes onto each of its roles as an inline
policy. Two facts about inline role policies decide what can go wrong at apply time:

- all inline policies of one role share 10,240 characters, whitespace not counted (IAM quotas,
  "Role policy size"); the program's policies must fit next to the ones the role already has,
  which the stack declares with `otherRoleInlinePolicyChars` (default 0) or, per role,
  `otherRoleInlinePolicyCharsByRole`;
- `PutRolePolicy` with a name the role already uses *replaces* that policy without a word. So an
  inline policy of the name this program would write, which this stack did not write itself, is a
  problem, never a silent overwrite.
"""

from __future__ import annotations

from collections import defaultdict

from . import naming
from .grant import Grant
from .grantees import entry_name
from .limits import inline_policy_chars
from .live import LiveFacts
from .plan import Plan
from .problems import Problem
from .settings import Settings, by_identity

ROLE_INLINE_POLICY_CHARS = 10_240  # all inline policies of a role, whitespace not counted; not adjustable


def _role_index(grant: Grant, role_name: str) -> int:
    """Where a role (as IAM spells it) stands in the grant's `roles` list, for the problem's field."""
    for index, entry in enumerate(grant.roles):
        if entry_name(entry, "role").lower() == role_name.lower():
            return index
    return 0


def role_policy_problems(plan: Plan, settings: Settings, facts: LiveFacts) -> list[Problem]:
    """Every role whose inline policies would not fit, or whose inline policy of our name belongs to someone else."""
    return [
        *_name_problems(plan),
        *_size_problems(plan, settings),
        *_collision_problems(plan, facts),
    ]


def _name_problems(plan: Plan) -> list[Problem]:
    problems: list[Problem] = []
    for grant_plan in plan.grants:
        attachment = grant_plan.role_policy
        if attachment is not None and len(attachment.policy_name) > naming.MAX_INLINE_POLICY_NAME:
            problems.append(
                grant_plan.grant.where.at("name").problem(
                    f"the inline role policy name {attachment.policy_name!r} is {len(attachment.policy_name)} "
                    f"characters; IAM allows {naming.MAX_INLINE_POLICY_NAME}",
                    "shorten the grant name or the stack's groupPrefix",
                )
            )
    return problems


def _size_problems(plan: Plan, settings: Settings) -> list[Problem]:
    """Per role, the program's inline policies (one per grant naming it) plus what the role already uses."""
    by_role: dict[str, list[tuple[Grant, str, int]]] = defaultdict(list)  # lowercase name -> (grant, name, size)
    for grant_plan in plan.grants:
        if grant_plan.role_policy is None:
            continue
        size = inline_policy_chars(grant_plan.identity_policy)
        for role in grant_plan.role_policy.roles:
            by_role[role.lower()].append((grant_plan.grant, role, size))
    declared = by_identity(settings.other_role_inline_policy_chars_by_role, "role")
    problems: list[Problem] = []
    for key, entries in sorted(by_role.items()):
        ours = sum(size for _, _, size in entries)
        others = declared.get(key, settings.other_role_inline_policy_chars)
        if ours + others <= ROLE_INLINE_POLICY_CHARS:
            continue
        grant, role, _ = entries[-1]
        parts = ", ".join(f"{size} for grant {g.name}" for g, _, size in entries)
        problems.append(
            grant.where.at("roles", _role_index(grant, role)).problem(
                f"role {role!r} would hold {ours + others} characters of inline policies (whitespace not "
                f"counted): {parts}, plus {others} declared for its other inline policies; AWS allows "
                f"{ROLE_INLINE_POLICY_CHARS} for all inline policies of one role",
                "split the grant into grants over fewer buckets, prefixes or actions, or set "
                "otherRoleInlinePolicyChars (or otherRoleInlinePolicyCharsByRole) to what the role really uses",
            )
        )
    return problems


def _collision_problems(plan: Plan, facts: LiveFacts) -> list[Problem]:
    problems: list[Problem] = []
    for grant_plan in plan.grants:
        attachment = grant_plan.role_policy
        if attachment is None:
            continue
        for role in attachment.roles:
            live = facts.roles.get(role.lower())
            existing = live.inline_policies if live is not None else None
            taken = [name for name in existing or () if name.lower() == attachment.policy_name.lower()]
            if not taken or (role.lower(), taken[0]) in facts.owned_role_policies:
                continue
            problems.append(
                grant_plan.grant.where.at("roles", _role_index(grant_plan.grant, role)).problem(
                    f"role {role!r} already has an inline policy named {taken[0]!r} that this stack did not write; "
                    "writing the grant's policy under that name would replace it (PutRolePolicy overwrites)",
                    "rename the grant, or read that policy in the IAM console and delete it if nobody needs it",
                )
            )
    return problems


def other_inline_policy_notes(plan: Plan, settings: Settings, facts: LiveFacts) -> list[str]:
    """Roles that hold inline policies of their own while the stack declares no room for them.

    IAM lists inline policy names but this program cannot read their sizes during preview, so it
    counts what the stack declares. When a role has others and nothing is declared, the reviewer is
    told: if they are large, `pulumi up` would fail on the role's 10,240-character limit.
    """
    declared = set(by_identity(settings.other_role_inline_policy_chars_by_role, "role"))
    ours = {
        (role.lower(), grant_plan.role_policy.policy_name)
        for grant_plan in plan.grants
        if grant_plan.role_policy is not None
        for role in grant_plan.role_policy.roles
    }
    notes: list[str] = []
    for key in sorted({role for role, _ in ours}):
        live = facts.roles.get(key)
        if live is None or settings.other_role_inline_policy_chars or key in declared:
            continue
        others = sorted(name for name in live.inline_policies or () if (key, name) not in ours)
        if others:
            notes.append(
                f"role {live.name} already has inline policies {', '.join(others)}; all inline policies of a role "
                f"share {ROLE_INLINE_POLICY_CHARS} characters, and the stack declares none used by them. If they "
                "are large, set otherRoleInlinePolicyCharsByRole for this role so preview can check the room"
            )
    return notes
