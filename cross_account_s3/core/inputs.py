"""Reading both inputs, the stack settings and the grants (a file or a directory), and reporting their
problems together.

A user who has a typo in the stack file and another in the grants file should learn of both from
one preview. The grants file is still checked when the settings are broken; only the checks that
need a valid user account (ARNs in the right account) wait for the settings to be fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from . import kms
from .bucket_settings import KEY as BUCKET_SETTINGS_KEY
from .grants import LoadedGrants
from .grants_directory import read_grants
from .naming import KnownRegions
from .problems import InputProblems, Problem, raise_if_any
from .settings import GRANTS_FILE_KEY, Settings, grants_file_of, parse_settings
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
    grants_file = settings.grants_file if settings else grants_file_of(stack, raw.get(GRANTS_FILE_KEY))
    user_account = settings.user_account.accountId if settings else None
    loaded: LoadedGrants | None = None
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
    raise_if_any(key_region_problems(loaded, settings.bucket_account.region))
    return settings, loaded


def key_region_problems(loaded: LoadedGrants, default_region: str) -> list[Problem]:
    """Each bucket whose `kmsKey` names a key outside the bucket's region (its own, or the bucket account's)."""
    problems: list[Problem] = []
    for bucket, entry in sorted(loaded.bucket_settings.items()):
        found = kms.region_problem(entry.kmsKey, entry.region or default_region) if entry.kmsKey else None
        if found is not None:
            where = loaded.bucket_entry(BUCKET_SETTINGS_KEY, bucket).at(kms.SETTING)
            problems.append(where.problem(*found))
    return problems
