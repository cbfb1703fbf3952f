"""The plan and the plan diff as a reviewer reads them, as text and as JSON with the same content.

The plan: a `pulumi preview`-shaped tree, every policy in full, and a summary. The diff (computed by
`diff.py`): access changes in a reviewer's sentences first, then each resource with its statement
changes. Pure functions, so the `plan` command, its JSON output and the tests all see one rendering.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..core.documents import principals
from .diff import (
    AccessChange,
    AccessEntry,
    ExtraStatementChange,
    InputChange,
    KeyChange,
    PlanDiff,
    ResourceChange,
    SettingChange,
    StatementChange,
)
from .snapshot import (
    BUCKET_POLICY_TYPE,
    COMPONENT_TYPE,
    GROUP_MEMBERSHIP_TYPE,
    GROUP_POLICY_TYPE,
    KMS_GRANT_TYPE,
    KMS_LOOKUPS_NOTE,
    LOOKUPS_NOTE,
    PROVIDER_TYPE,
    ROLE_POLICY_TYPE,
    SIMULATION_NOTE,
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
    elif resource.type == ROLE_POLICY_TYPE and resource.policy is not None:
        statements = plural(len(resource.policy.get("Statement") or []), "statement")
        detail = f"inline on role {resource.inputs.get('role', '')}, {statements}"
    elif resource.policy is not None:
        detail = plural(len(resource.policy.get("Statement") or []), "statement")
        if resource.inputs.get("region"):
            detail += f", region {resource.inputs['region']}"
    elif resource.type == "aws:iam/group:Group":
        detail = f"group {resource.inputs.get('name', '')}"
    elif resource.type == KMS_GRANT_TYPE:
        operations = ", ".join(str(operation) for operation in resource.inputs.get("operations") or [])
        detail = f"{operations} for {resource.inputs.get('granteePrincipal')}"
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


def role_policies(snapshot: PlanSnapshot) -> dict[str, dict[str, Any]]:
    """Each grant's inline role policy, keyed by grant name: one document, put on each of the grant's roles."""
    found: dict[str, dict[str, Any]] = {}
    for resource in snapshot.of_type(ROLE_POLICY_TYPE):
        grant = name_in_urn(resource.parent) or resource.name
        entry = found.setdefault(
            grant,
            {
                "name": resource.inputs.get("name"),
                "roles": [],
                "account": _account_of(snapshot, resource),
                "policy": resource.policy,
            },
        )
        entry["roles"] = sorted({*entry["roles"], str(resource.inputs.get("role"))}, key=str.lower)
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


def kms_grants(snapshot: PlanSnapshot) -> dict[str, dict[str, Any]]:
    """Each KMS grant, keyed by resource name, with the grant it belongs to and the account that makes it."""
    return {
        resource.name: {
            "grant": name_in_urn(resource.parent),
            "account": _account_of(snapshot, resource),
            "keyId": resource.inputs.get("keyId"),
            "granteePrincipal": resource.inputs.get("granteePrincipal"),
            "operations": list(resource.inputs.get("operations") or []),
            "region": _region_of(snapshot, resource),
            "retireOnDelete": resource.inputs.get("retireOnDelete"),
        }
        for resource in sorted(snapshot.of_type(KMS_GRANT_TYPE), key=lambda resource: resource.name)
    }


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
        "roles": len(snapshot.role_labels()),
        "buckets": len(snapshot.bucket_names()),
        "resources": len(snapshot.resources),
    }


def summary_line(snapshot: PlanSnapshot) -> str:
    counts = summary(snapshot)
    return "Plan: " + ", ".join(
        plural(counts[key], noun)
        for key, noun in (
            ("grants", "grant"),
            ("users", "user"),
            ("roles", "role"),
            ("buckets", "bucket"),
            ("resources", "resource"),
        )
        if key != "roles" or counts[key]  # a stack without roles reads as it always did
    )


def _indented(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in text.splitlines()]


def render_plan_text(snapshot: PlanSnapshot) -> str:
    """The whole `plan` text: header, tree, every policy document in full, warnings, and the summary line."""
    lines = [
        f"Plan for stack {snapshot.stack}, from {snapshot.grants_file}",
        LOOKUPS_NOTE,
        *([KMS_LOOKUPS_NOTE] if snapshot.bucket_keys else []),
        SIMULATION_NOTE,
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
    roles = role_policies(snapshot)
    if roles:
        lines += ["", "Role policies (user account; an inline policy on each role, which this program does not own):"]
        for grant, entry in roles.items():
            account = f" in account {entry['account']}" if entry["account"] else ""
            lines += [
                "",
                f"  {entry['name']} on roles {', '.join(entry['roles'])}{account} (grant {grant}):",
                *_indented(pretty_json(entry["policy"]), "    "),
            ]
    buckets = bucket_policies(snapshot)
    if buckets:
        lines += ["", "Bucket policies (bucket account):"]
        for bucket, entry in buckets.items():
            account = f" in account {entry['account']}" if entry["account"] else ""
            region = f", region {entry['region']}" if entry["region"] else ""
            key = snapshot.bucket_keys.get(bucket)
            encrypted = f", encrypted with KMS key {_key_words(key)}" if key else ""
            lines += ["", f"  {bucket}{account}{region}{encrypted}:", *_indented(pretty_json(entry["policy"]), "    ")]
    grants_on_keys = kms_grants(snapshot)
    if grants_on_keys:
        lines += ["", "KMS grants (bucket account; the key policies are not changed):", ""]
        for name, entry in grants_on_keys.items():
            account = f" in account {entry['account']}" if entry["account"] else ""
            region = f", region {entry['region']}" if entry["region"] else ""
            lines.append(
                f"  {entry['granteePrincipal']} may {', '.join(entry['operations'])} with {entry['keyId']}"
                f"{account}{region} (grant {entry['grant']}; {name})"
            )
    if snapshot.warnings:
        lines += ["", "Warnings:", *(f"  - {warning}" for warning in snapshot.warnings)]
    lines += ["", summary_line(snapshot)]
    return "\n".join(lines) + "\n"


def _key_words(key: Mapping[str, str]) -> str:
    """The key as the grants file names it and, for an alias, the key it resolves to."""
    configured, arn = key.get("kmsKey", ""), key.get("keyArn", "")
    return configured if configured == arn else f"{configured} (key {arn})"


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
        "kmsLookups": KMS_LOOKUPS_NOTE if snapshot.bucket_keys else None,
        "simulation": SIMULATION_NOTE,
        "accounts": dict(snapshot.accounts),
        "providers": [pin.as_json() for _, pin in sorted(snapshot.providers().items())],  # registration order varies
        "resources": [resource.as_json() for resource in _in_tree_order(snapshot)],
        "grants": {name: grant.as_json() for name, grant in snapshot.grants.items()},
        "groupPolicies": group_policies(snapshot),
        "rolePolicies": role_policies(snapshot),
        "bucketPolicies": bucket_policies(snapshot),
        "bucketKeys": {bucket: dict(key) for bucket, key in sorted(snapshot.bucket_keys.items())},
        "kmsGrants": kms_grants(snapshot),
        "warnings": list(snapshot.warnings),
        "summary": summary(snapshot),
    }


# The plan diff.

_MARK = {"add": "+", "remove": "-", "change": "~", "gain": "+", "loss": "-"}
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _items(value: Any) -> list[str]:
    values = value if isinstance(value, list) else ([] if value is None else [value])
    return [_compact(item) for item in values]


def describe_statement(statement: Mapping[str, Any]) -> str:
    """A statement on one line: "Sid: Allow s3:GetObject on arn:... to arn:... when {...}"."""
    sid = statement.get("Sid", "(no Sid)")
    actions = ", ".join(_items(statement.get("Action", statement.get("NotAction"))))
    resources = ", ".join(_items(statement.get("Resource", statement.get("NotResource"))))
    text = f"{sid}: {statement.get('Effect', '?')} {actions} on {resources}"
    named = principals(statement)
    if named:
        text += f" to {', '.join(named)}"
    if statement.get("Condition"):
        text += f" when {_compact(statement['Condition'])}"
    return text


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Per key, what changed: list members added and removed, or the old and new values."""
    lines: list[str] = []
    for key in sorted({*before, *after}):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "Principal" and isinstance(old, dict) and isinstance(new, dict):
            old_items, new_items = principals(before), principals(after)
        elif key in _LIST_KEYS or isinstance(old, list) or isinstance(new, list):
            old_items, new_items = _items(old), _items(new)
        else:
            lines.append(
                f"{key}: {_compact(old) if old is not None else '(none)'} -> "
                f"{_compact(new) if new is not None else '(none)'}"
            )
            continue
        added = [item for item in new_items if item not in old_items]
        removed = [item for item in old_items if item not in new_items]
        lines += [f"{key}: + {item}" for item in added] + [f"{key}: - {item}" for item in removed]
    return lines


def _describe_entry(entry: AccessEntry, with_prefixes: bool) -> str:
    if not with_prefixes:
        return entry.access
    where = f"prefixes: {', '.join(entry.prefixes)}" if entry.prefixes else "whole bucket"
    return f"{entry.access} ({where})"


def describe_access_change(change: AccessChange) -> str:
    """One reviewer's sentence, such as "u05 gains read on reports-bucket", or, when the change moves the
    users to another account, "u05 in account 210987654321 gains read on reports-bucket"."""
    entries = {*change.before, *change.after}
    shared = {entry.prefixes for entry in entries}
    inline = len(shared) > 1  # prefixes differ somewhere: show them on each side
    suffix = f" (prefixes: {', '.join(next(iter(shared)))})" if not inline and next(iter(shared)) else ""
    user = f"{change.user} in account {change.userAccount}" if change.userAccount else change.user
    bucket = f"{change.bucket} in account {change.bucketAccount}" if change.bucketAccount else change.bucket

    def side(access: tuple[AccessEntry, ...]) -> str:
        return " + ".join(_describe_entry(entry, inline) for entry in access)

    if change.kind == "add":
        return f"{user} gains {side(change.after)} on {bucket}{suffix}"
    if change.kind == "remove":
        return f"{user} loses {side(change.before)} on {bucket}{suffix}"
    return f"{user}: {side(change.before)} -> {side(change.after)} on {bucket}{suffix}"


def describe_setting_change(change: SettingChange) -> str:
    """A stack setting's change in words, such as
    "stack setting cross-account-s3:userAccount.accountId: 012345678901 -> 210987654321"."""
    if change.kind == "add":
        return f"stack setting {change.key}: {change.after}"
    if change.kind == "remove":
        return f"stack setting {change.key}: {change.before} (no longer set)"
    return f"stack setting {change.key}: {change.before} -> {change.after}"


def stack_file_line(diff: PlanDiff) -> str:
    """Which stack file each side was planned with, or why there is only one (or none at the base)."""
    return f"stack file: {diff.stack_file_note or f'{diff.base_stack_file} -> {diff.head_stack_file}'}"


def describe_extra_statement_change(change: ExtraStatementChange) -> str:
    """A statement written elsewhere, in a sentence that says whether it opens or only narrows access."""
    denial = {"gain": " (it denied some access)", "loss": " (it only denies, it grants nothing)", "change": ""}
    note = denial[change.effect] if (change.after or change.before or {}).get("Effect") == "Deny" else ""
    if change.after is not None and change.before is None:
        return f"{change.bucket} keeps a statement written elsewhere{note}, {describe_statement(change.after)}"
    if change.before is not None and change.after is None:
        return f"{change.bucket} drops a statement written elsewhere{note}, {describe_statement(change.before)}"
    assert change.before is not None and change.after is not None
    return (
        f"{change.bucket} changes a statement written elsewhere, {describe_statement(change.before)} -> "
        f"{describe_statement(change.after)}"
    )


def _statement_lines(change: StatementChange) -> list[str]:
    if change.kind == "change" and change.before is not None and change.after is not None:
        return [f"~ statement {change.sid}:", *(f"    {line}" for line in field_changes(change.before, change.after))]
    statement = change.after if change.kind == "add" else change.before
    return [f"{_MARK[change.kind]} statement {describe_statement(statement or {})}"]


def _input_lines(change: InputChange) -> list[str]:
    return field_changes({change.key: change.before}, {change.key: change.after})


def _resource_lines(changes: Iterable[ResourceChange]) -> list[str]:
    changes = list(changes)
    if not changes:
        return []
    type_width = max(len(change.type) for change in changes)
    lines: list[str] = []
    for change in changes:
        lines.append(f"  {_MARK[change.kind]} {change.type:<{type_width}}  {change.name}")
        for input_change in change.inputs:
            lines += [f"        {line}" for line in _input_lines(input_change)]
        for statement in change.statements:
            lines += [f"        {line}" for line in _statement_lines(statement)]
    return lines


def render_diff_text(diff: PlanDiff) -> str:
    """The diff as a reviewer reads it: the stack files compared, changed stack settings and access changes first,
    then each resource with its statement changes."""
    lines = [f"Plan diff for stack {diff.stack}: {diff.base} -> {diff.head}", stack_file_line(diff)]
    if diff.base_problems:
        lines += [
            f"warning: {BASE_NOT_PLANNED}; its problems:",
            *(f"  {line}" for line in diff.base_problems.splitlines()),
        ]
    if not diff.has_changes:
        return "\n".join([*lines, "no changes"]) + "\n"
    if diff.settings:  # first: one setting can change everything below it
        lines += ["", "Stack settings:", *(f"  {_MARK[c.kind]} {describe_setting_change(c)}" for c in diff.settings)]
    if diff.access or diff.extra_statements:
        lines += ["", "Access:"]
        lines += [f"  {_MARK[change.kind]} {describe_access_change(change)}" for change in diff.access]
        lines += [
            f"  {_MARK[change.effect]} {describe_extra_statement_change(change)}" for change in diff.extra_statements
        ]
    if diff.keys:
        lines += ["", "KMS keys:", *(f"  {_MARK[change.kind]} {describe_key_change(change)}" for change in diff.keys)]
    if diff.resources:
        lines += ["", "Resources:", *_resource_lines(diff.resources)]
    lines += ["", diff_summary_line(diff)]
    return "\n".join(lines) + "\n"


def describe_key_change(change: KeyChange) -> str:
    """A bucket's key change in a sentence, such as "reports-bucket is now encrypted with KMS key ARN"."""
    if change.after is not None and change.before is None:
        return f"{change.bucket} uses KMS key {_key_words(change.after)}: its grants get KMS grants on it"
    if change.before is not None and change.after is None:
        return f"{change.bucket} no longer uses KMS key {_key_words(change.before)}: its KMS grants are revoked"
    assert change.before is not None and change.after is not None
    return f"{change.bucket}: KMS key {_key_words(change.before)} -> {_key_words(change.after)}"


def diff_summary_line(diff: PlanDiff) -> str:
    access = len(diff.access) + len(diff.extra_statements)
    settings = f"; {plural(len(diff.settings), 'stack setting')} changed" if diff.settings else ""
    return (
        f"Changes: {diff.count('add')} to add, {diff.count('change')} to change, {diff.count('remove')} to remove; "
        f"{access} access {'change' if access == 1 else 'changes'}{settings}"
    )


BASE_NOT_PLANNED = (
    "the base cannot be planned by this version of the program, so it is compared as empty and everything the "
    "stack would create shows as added"
)


def diff_as_json(diff: PlanDiff) -> dict[str, Any]:
    """The same content as the text, for CI and tooling: each change's fields, and the access sentences."""
    return {
        "stack": diff.stack,
        "base": diff.base,
        "head": diff.head,
        "stackFile": {"base": diff.base_stack_file, "head": diff.head_stack_file, "note": diff.stack_file_note},
        "baseCannotBePlanned": bool(diff.base_problems),
        "baseProblems": diff.base_problems or None,
        "changes": diff.has_changes,
        "settings": [{**dataclasses.asdict(c), "summary": describe_setting_change(c)} for c in diff.settings],
        "access": [{**dataclasses.asdict(c), "summary": describe_access_change(c)} for c in diff.access],
        "extraStatements": [
            {**dataclasses.asdict(c), "summary": describe_extra_statement_change(c)} for c in diff.extra_statements
        ],
        "resources": [dataclasses.asdict(change) for change in diff.resources],
        "kmsKeys": [{**dataclasses.asdict(c), "summary": describe_key_change(c)} for c in diff.keys],
        "summary": {
            "add": diff.count("add"),
            "change": diff.count("change"),
            "remove": diff.count("remove"),
            "access": len(diff.access) + len(diff.extra_statements),
            "settings": len(diff.settings),
        },
    }
