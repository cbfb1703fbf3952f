"""The plan as a reviewer reads it: a `pulumi preview`-shaped tree, every policy in full, and a summary.

Pure functions from a `PlanSnapshot` to text or JSON-ready data, so the `plan` command, its JSON
output and the tests all see one rendering.
"""

from __future__ import annotations

import json
from typing import Any

from .snapshot import (
    BUCKET_POLICY_TYPE,
    COMPONENT_TYPE,
    GROUP_MEMBERSHIP_TYPE,
    GROUP_POLICY_TYPE,
    LOOKUPS_NOTE,
    PROVIDER_TYPE,
    STACK_TYPE,
    PlannedResource,
    PlanSnapshot,
    ProviderPin,
    name_in_urn,
)

NO_STATE_NOTE = "no stack state: every resource shows as a create; use --diff BASE to see what a change does"


def pretty_json(document: Any) -> str:
    """Policy documents as people read them: two-space indentation, keys in the order AWS shows them."""
    return json.dumps(document, indent=2, ensure_ascii=False)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _top_level(snapshot: PlanSnapshot) -> list[PlannedResource]:
    """Providers first, then each grant's component, then the bucket policies, as the issue's reader expects."""
    positions = snapshot.tree_positions()
    return sorted(
        (resource for resource in snapshot.resources if snapshot.is_top_level(resource)),
        key=lambda resource: positions[resource.urn],
    )


def _info(resource: PlannedResource, providers: dict[str, ProviderPin]) -> str:
    """The one fact about a resource that a reviewer checks first: which account it lands in, and what it holds."""
    if resource.type == PROVIDER_TYPE:
        return providers[resource.name].describe()
    where = providers.get(resource.provider)
    account = f"account {where.account_id}" if where else ""
    detail = ""
    if resource.type == GROUP_MEMBERSHIP_TYPE:
        detail = "members: " + ", ".join(str(user) for user in resource.inputs.get("users") or [])
    elif resource.policy is not None:
        detail = plural(len(resource.policy.get("Statement") or []), "statement")
        if resource.inputs.get("region"):
            detail += f", region {resource.inputs['region']}"
    elif resource.type == "aws:iam/group:Group":
        detail = f"group {resource.inputs.get('name', '')}"
    elif resource.type == COMPONENT_TYPE:
        detail = "grant"
    return ", ".join(part for part in (account, detail) if part)


def tree_lines(snapshot: PlanSnapshot) -> list[str]:
    """The resource tree in `pulumi preview`'s layout; with no state to compare, every resource is a create."""
    providers = snapshot.providers()
    rows: list[tuple[str, str, str]] = [(STACK_TYPE, name_in_urn(snapshot.stack_urn), "")]

    def add(resources: list[PlannedResource], indent: str) -> None:
        for position, resource in enumerate(resources):
            last = position == len(resources) - 1
            rows.append(
                (f"{indent}{'└─ ' if last else '├─ '}{resource.type}", resource.name, _info(resource, providers))
            )
            add(snapshot.children_of(resource.urn), indent + ("   " if last else "│  "))

    add(_top_level(snapshot), "")
    type_width = max(len(row[0]) for row in rows)
    name_width = max(len(row[1]) for row in rows)
    lines = [f"     {'Type':<{type_width}}  {'Name':<{name_width}}  Plan    Info"]
    for type_text, name, info in rows:
        lines.append(f" +   {type_text:<{type_width}}  {name:<{name_width}}  create  {info}".rstrip())
    return lines


def group_policies(snapshot: PlanSnapshot) -> dict[str, dict[str, Any]]:
    """Each grant's group policy, keyed by grant name (the component that owns it)."""
    found: dict[str, dict[str, Any]] = {}
    for resource in snapshot.of_type(GROUP_POLICY_TYPE):
        grant = name_in_urn(resource.parent) or resource.name
        found[grant] = {
            "resource": resource.name,
            "group": resource.inputs.get("name"),
            "account": _account_of(snapshot, resource),
            "region": _region_of(snapshot, resource),
            "policy": resource.policy,
        }
    return dict(sorted(found.items()))


def bucket_policies(snapshot: PlanSnapshot) -> dict[str, dict[str, Any]]:
    """Each bucket's one policy, keyed by bucket name."""
    found = {
        str(resource.inputs.get("bucket")): {
            "resource": resource.name,
            "account": _account_of(snapshot, resource),
            "region": _region_of(snapshot, resource),
            "policy": resource.policy,
        }
        for resource in snapshot.of_type(BUCKET_POLICY_TYPE)
    }
    return dict(sorted(found.items()))


def _region_of(snapshot: PlanSnapshot, resource: PlannedResource) -> str | None:
    """The bucket's region: its own (bucketSettings), or the region of the bucket account's provider."""
    pin = snapshot.providers().get(resource.provider)
    return str(resource.inputs.get("region") or (pin.region if pin else "")) or None


def _account_of(snapshot: PlanSnapshot, resource: PlannedResource) -> str | None:
    pin = snapshot.providers().get(resource.provider)
    return pin.account_id if pin else None


def summary(snapshot: PlanSnapshot) -> dict[str, int]:
    """The counts a reviewer compares against the intent of the change."""
    return {
        "grants": len(snapshot.grants),
        "users": len(snapshot.user_names()),
        "buckets": len(snapshot.bucket_names()),
        "resources": len(snapshot.resources),
    }


def summary_line(snapshot: PlanSnapshot) -> str:
    counts = summary(snapshot)
    return "Plan: " + ", ".join(
        plural(counts[key], noun)
        for key, noun in (("grants", "grant"), ("users", "user"), ("buckets", "bucket"), ("resources", "resource"))
    )


def _indented(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in text.splitlines()]


def render_plan_text(snapshot: PlanSnapshot) -> str:
    """The whole `plan` text: header, tree, every policy document in full, warnings, and the summary line."""
    lines = [
        f"Plan for stack {snapshot.stack}, from {snapshot.grants_file}",
        LOOKUPS_NOTE,
        NO_STATE_NOTE,
        "",
        *tree_lines(snapshot),
    ]
    groups = group_policies(snapshot)
    if groups:
        lines += ["", "Group policies (user account):"]
        for grant, entry in groups.items():
            account = f" in account {entry['account']}" if entry["account"] else ""
            lines += [
                "",
                f"  {entry['group']}{account} (grant {grant}):",
                *_indented(pretty_json(entry["policy"]), "    "),
            ]
    buckets = bucket_policies(snapshot)
    if buckets:
        lines += ["", "Bucket policies (bucket account):"]
        for bucket, entry in buckets.items():
            account = f" in account {entry['account']}" if entry["account"] else ""
            region = f", region {entry['region']}" if entry["region"] else ""
            lines += ["", f"  {bucket}{account}{region}:", *_indented(pretty_json(entry["policy"]), "    ")]
    if snapshot.warnings:
        lines += ["", "Warnings:", *(f"  - {warning}" for warning in snapshot.warnings)]
    lines += ["", summary_line(snapshot)]
    return "\n".join(lines) + "\n"


def _in_tree_order(snapshot: PlanSnapshot) -> list[PlannedResource]:
    """Resources in the tree's order, which, unlike registration order, does not vary from run to run."""
    positions = snapshot.tree_positions()
    return sorted(snapshot.resources, key=lambda resource: positions[resource.urn])


def plan_as_json(snapshot: PlanSnapshot) -> dict[str, Any]:
    """The same content as the text, for CI and tooling: every registration with its decoded inputs."""
    return {
        "stack": snapshot.stack,
        "grantsFile": snapshot.grants_file,
        "lookups": LOOKUPS_NOTE,
        "accounts": dict(snapshot.accounts),
        "providers": [pin.as_json() for pin in snapshot.providers().values()],
        "resources": [resource.as_json() for resource in _in_tree_order(snapshot)],
        "grants": {name: dict(grant) for name, grant in snapshot.grants.items()},
        "groupPolicies": group_policies(snapshot),
        "bucketPolicies": bucket_policies(snapshot),
        "warnings": list(snapshot.warnings),
        "summary": summary(snapshot),
    }
