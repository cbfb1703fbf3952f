"""Reading both inputs, the stack settings and the grants (a file or a directory), and reporting their
problems together.

A user who has a typo in the stack file and another in the grants file should learn of both from
one preview. The grants file is still checked when the settings are broken; only the checks that
need a valid user account (ARNs in the right account) wait for the settings to be fixed, and no grants
file is read while the `grantsFile` setting itself names none. The checks that span both inputs (a
per-user setting that names no granted user) run once each is free of problems.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from . import kms
from .bucket_settings import KEY as BUCKET_SETTINGS_KEY
from .grantees import entry_name
from .grants_directory import read_grants
from .loaded_grants import LoadedGrants
from .naming import KnownRegions
from .problems import InputProblems, Problem, raise_if_any
from .settings import (
    GRANTS_FILE_KEY,
    NAMESPACE,
    PER_IDENTITY_SETTINGS,
    Settings,
    grants_file_of,
    grants_file_problem,
    grants_file_setting,
    parse_settings,
    stack_file_name,
)
from .validation import Where
from .yaml_source import YamlDocument


def load_inputs(
    project_root: Path,
    raw: Mapping[str, str | None],
    stack: str,
    stack_file: YamlDocument | None,
    *,
    known_regions: KnownRegions | None = None,
) -> tuple[Settings, LoadedGrants]:
    """The checked settings and grants, or `InputProblems` with every problem found in either.

    `known_regions` (the program passes pulumi-aws's) are the regions every region set must be one of.
    """
    problems: list[Problem] = []
    settings: Settings | None = None
    try:
        settings = parse_settings(raw, stack, stack_file, known_regions=known_regions)
    except InputProblems as found:
        problems.extend(found.problems)
    setting = grants_file_setting(raw, stack_file)
    grants_file = settings.grants_file if settings else grants_file_of(stack, setting)
    user_account = settings.user_account.accountId if settings else None
    loaded: LoadedGrants | None = None
    if grants_file_problem(setting) is not None:
        pass  # which file is meant is unknown: the setting's problem is reported alone
    elif not _exists(project_root / grants_file):
        problems.append(_missing_grants_file(grants_file, stack, setting, stack_file))
    else:
        try:
            loaded = read_grants(
                project_root / grants_file,
                grants_file,
                user_account,
                bucket_account=settings.bucket_account.accountId if settings else None,
                known_regions=known_regions,
            )
        except InputProblems as found:
            problems.extend(found.problems)
    raise_if_any(problems)
    assert settings is not None and loaded is not None
    # A bucket's region and its key may be set in two files of a grants directory: compare them merged.
    raise_if_any(
        [
            *key_region_problems(loaded, settings.bucket_account.region),
            *unused_identity_entries(loaded, settings, stack_file),
        ]
    )
    return settings, loaded


def unused_identity_entries(loaded: LoadedGrants, settings: Settings, stack_file: YamlDocument | None) -> list[Problem]:
    """Each entry of a per-user or per-role setting (otherGroupsByUser) that names no user or role of any grant.

    Such an entry does nothing, and most likely misspells the identity it was meant for, whose check then
    silently counts the setting for all others instead (like a bucketSettings entry no grant uses).
    """
    doc = stack_file or YamlDocument(file=stack_file_name(settings.stack), data=None)
    problems: list[Problem] = []
    granted = {
        row.kind: {
            entry_name(entry, row.kind).lower(): entry_name(entry, row.kind)
            for grant in loaded.grants
            for entry_kind, entry, _ in grant.entries
            if entry_kind == row.kind
        }
        for row in PER_IDENTITY_SETTINGS
    }
    for per_identity in PER_IDENTITY_SETTINGS:
        kind = per_identity.kind
        named = granted[kind]
        for key in per_identity.counts(settings):
            name = entry_name(key, kind)
            if name.lower() in named:
                continue
            close = difflib.get_close_matches(name.lower(), sorted(named), n=1, cutoff=0.6)
            hint = f"did you mean '{named[close[0]]}'? " if close else ""
            fix = f"{hint}write the {kind} as the grants name it, or remove the entry"
            for other in PER_IDENTITY_SETTINGS:  # a granted role in the per-user setting, or the reverse
                if other.kind != kind and name.lower() in granted[other.kind]:
                    fix = (
                        f"'{name}' is a {other.kind} the grants name, and {per_identity.key} counts only {kind}s: "
                        f"move the entry to {other.key}, or remove it"
                    )
            problems.append(
                Where(doc, ("config", f"{NAMESPACE}:{per_identity.key}", key), field_from=1).problem(
                    f"names {kind} '{name}', but no grant names that {kind}, so the entry does nothing (each granted "
                    f"{kind} is counted with {per_identity.fallback_key}, {per_identity.fallback(settings)}, instead)",
                    fix,
                )
            )
    return problems


def _exists(path: Path) -> bool:
    """Whether a grants file or directory is there; a name the system cannot look up (too long) is not."""
    try:
        return path.exists()
    except OSError:
        return False


def _missing_grants_file(grants_file: str, stack: str, setting: str | None, stack_file: YamlDocument | None) -> Problem:
    """A grants file that is not there, located where the stack file names it, when it does.

    A path given to `plan --grants`, or the default, is no line of the stack file: the problem is the file's.
    """
    config = stack_file.data.get("config") if stack_file is not None and isinstance(stack_file.data, dict) else None
    key = f"{NAMESPACE}:{GRANTS_FILE_KEY}"
    if stack_file is not None and setting and isinstance(config, dict) and str(config.get(key)) == setting:
        return Where(stack_file, ("config", key), field_from=1).problem(
            f"names {setting!r}, which does not exist (the path is relative to the project folder, where "
            f"{stack_file.file} is)",
            f"correct the path, create the grants file (or a directory of team files) there, or remove the setting "
            f"to use grants/{stack}.yaml",
        )
    fix = (
        "create it, or point the stack setting 'grantsFile' at the right file"
        if setting
        else f"create it, or set '{key}' in {stack_file_name(stack)} to the grants file (or directory) to read"
    )
    return Problem.in_file(grants_file, "the file does not exist", fix)


def key_region_problems(loaded: LoadedGrants, default_region: str) -> list[Problem]:
    """Each bucket whose `kmsKey` names a key outside the bucket's region (its own, or the bucket account's)."""
    problems: list[Problem] = []
    for bucket, entry in sorted(loaded.bucket_settings.items()):
        found = kms.region_problem(entry.kmsKey, entry.region or default_region) if entry.kmsKey else None
        if found is not None:
            where = loaded.bucket_entry(BUCKET_SETTINGS_KEY, bucket).at(kms.SETTING)
            problems.append(where.problem(*found))
    return problems
