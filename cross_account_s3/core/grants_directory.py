"""The stack's grants from one file or from a directory of files, one per team.

A directory lets each team own its own file (and its own CODEOWNERS line), so a team's pull request
touches only that team's lines. The directory is read as if it were one file: every `*.yaml` or `*.yml`
file at any depth is part of it, in a stable order, and the result does not depend on how the grants
are spread over the files. The checks that span files live here: grant names are unique across all
files (in `loaded_grants.merge_grant_files`), a bucket's top-level entry may be set in two files only
with the same value, and the directory must hold at least one grant.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .bucket_settings import KEY as BUCKET_SETTINGS_KEY
from .bucket_settings import unused_entry_findings
from .grants_file import GRANT_LIST, GRANTS_FILE, PER_BUCKET_KEYS
from .grants_file_check import CheckedFile, check_grants_file
from .loaded_grants import LoadedGrants, load_grants, merge_grant_files
from .naming import KnownRegions
from .problems import InputProblems, Problem
from .validation import Where
from .yaml_source import YamlDocument, read_yaml

# Both spellings, in any case: a team's file named `.yml` must never be skipped without a word, taking its
# grants with it.
GRANTS_SUFFIXES = (".yaml", ".yml")


def read_grants(
    path: Path,
    shown_as: str,
    user_account: str | None,
    *,
    bucket_account: str | None = None,
    known_regions: KnownRegions | None = None,
) -> LoadedGrants:
    """The stack's grants from `path`, a grants file or a directory of them; every problem is raised at once."""
    load = load_grants_directory if path.is_dir() else load_grants
    return load(path, shown_as, user_account, bucket_account=bucket_account, known_regions=known_regions)


def grants_files(directory: Path, shown_as: str) -> list[Path]:
    """The directory's grants files at any depth, in a stable order: by path relative to it, compared as text.

    Other files (a README, the JSON schema, CODEOWNERS) are not grants. Hidden files and folders (such as
    `.git`) are skipped, and so are symbolic links: `plan --diff` reads a git revision's files, where a link
    is no file, so both read the same files, and no link pulls a file in twice. A folder that cannot be
    read is a problem, never a silent gap in the grants.
    """
    found, unreadable = _walk(directory, shown_as)
    if unreadable:
        raise InputProblems(unreadable)
    return found


def _walk(directory: Path, shown_as: str) -> tuple[list[Path], list[Problem]]:
    """The grants files that can be found, and a problem for each folder that cannot be read."""
    found: list[Path] = []
    unreadable: list[OSError] = []
    for folder, subfolders, names in os.walk(directory, onerror=unreadable.append):
        subfolders[:] = [name for name in subfolders if _counts(Path(folder) / name)]
        found += [Path(folder) / name for name in names if _is_grants_file(Path(folder) / name)]
    problems = [
        Problem.in_file(
            _shown(directory, shown_as, Path(error.filename or directory)),
            f"the folder cannot be read: {error.strerror or error}",
            "make it readable by whoever runs the program, or move the grants files out of it",
        )
        for error in unreadable
    ]
    return sorted(found, key=lambda file: file.relative_to(directory).as_posix()), problems


def _is_grants_file(path: Path) -> bool:
    return path.name.lower().endswith(GRANTS_SUFFIXES) and _counts(path)


def _shown(directory: Path, shown_as: str, path: Path) -> str:
    """A path inside the directory as problems name it: under the directory's own name, '/'-separated."""
    inside = path.relative_to(directory).as_posix()
    return shown_as if inside == "." else f"{shown_as}/{inside}"


def _counts(path: Path) -> bool:
    return not path.name.startswith(".") and not path.is_symlink()


def load_grants_directory(
    directory: Path,
    shown_as: str,
    user_account: str | None,
    *,
    bucket_account: str | None = None,
    known_regions: KnownRegions | None = None,
) -> LoadedGrants:
    """Read, check and merge every grants file of a directory; raise every problem of every file at once."""
    files, problems = _walk(directory, shown_as)  # an unreadable folder is reported beside every other problem
    if problems and not files:
        raise InputProblems(problems)
    if not files:
        raise InputProblems(
            [
                Problem.in_file(
                    shown_as,
                    "the grants directory holds no grants files (*.yaml or *.yml, at any depth)",
                    f"add a file such as {shown_as}/my-team.yaml with a 'grants:' list, or name the folder that "
                    "holds the grants files",
                )
            ]
        )
    checked: list[CheckedFile] = []
    for file in files:
        try:
            doc = read_yaml(file, _shown(directory, shown_as, file), rules=GRANTS_FILE)
        except InputProblems as unreadable:
            problems += unreadable.problems
            continue
        checked.append(
            check_grants_file(
                doc, user_account, in_directory=True, bucket_account=bucket_account, known_regions=known_regions
            )
        )
    if not checked:
        raise InputProblems(problems)
    # A file or folder that cannot be read may use a bucket's settings: call none unused then.
    unused = [] if problems else unused_bucket_settings(checked)
    also = [*problems, *conflicting_bucket_entries(checked), *unused]
    if not problems and not _lists_any_grant(checked):  # an unreadable file may hold them: say that alone
        also.append(
            Problem.in_file(
                shown_as,
                f"none of the directory's {len(files)} grants files lists a grant, which would remove every grant",
                "add a grant; to remove all access on purpose, destroy the stack instead",
            )
        )
    return merge_grant_files(checked, also)


def _lists_any_grant(files: Sequence[CheckedFile]) -> bool:
    """Whether any file lists a grant entry, valid or not (an invalid one is reported on its own)."""
    return any(_list(_data(part).get("grants")) for part in files)


def _data(part: CheckedFile) -> dict[str, Any]:
    return part.doc.data if isinstance(part.doc.data, dict) else {}


def unused_bucket_settings(files: Sequence[CheckedFile]) -> list[Problem]:
    """A bucketSettings entry that no grant and no extraStatements entry of any file uses (most likely a typo).

    One file's entry may serve a bucket another file grants, so the check spans the directory.
    """
    everything = {
        "grants": [grant for part in files for grant in _list(_data(part).get("grants"))],
        "extraStatements": {bucket: [] for part in files for bucket in _mapping(_data(part).get("extraStatements"))},
    }
    problems: list[Problem] = []
    for part in files:
        entries = _data(part).get(BUCKET_SETTINGS_KEY)
        root = Where(part.doc, grant_list=GRANT_LIST)
        found = unused_entry_findings({**everything, BUCKET_SETTINGS_KEY: entries})
        problems += [root.at(*location).problem(message, fix) for location, message, fix in found]
    return problems


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _settings_of(doc: YamlDocument) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Each bucket's setting in a file, with its YAML path: a whole entry (a bucket's extraStatements), or each
    key of an entry that is a mapping (a bucket's bucketSettings), so two files may set different keys."""
    data = doc.data if isinstance(doc.data, dict) else {}
    for key in PER_BUCKET_KEYS:
        for bucket, value in _mapping(data.get(key)).items():
            if isinstance(value, dict):
                yield from (((key, str(bucket), str(name)), item) for name, item in value.items())
            else:
                yield (key, str(bucket)), value


def _as_written(value: Any) -> str:
    """A value with its keys in the order written: kept statements are copied into the policy verbatim, so
    two files agree only when the policy would not depend on which of them was read."""
    return json.dumps(value, default=str)


def conflicting_bucket_entries(files: Sequence[CheckedFile]) -> list[Problem]:
    """A bucket's setting given different values in two files; the program cannot choose between teams.

    The same value in two files (keys in the same order) is accepted and taken once, so two teams sharing a
    bucket may each state the statement or setting their access relies on.
    """
    first: dict[tuple[str | int, ...], tuple[Where, Any]] = {}
    problems: list[Problem] = []
    for part in files:
        root = Where(part.doc, grant_list=GRANT_LIST)
        for path, value in _settings_of(part.doc):
            where = root.at(*path)
            if path not in first:
                first[path] = (where, value)
                continue
            earlier, earlier_value = first[path]
            if _as_written(value) == _as_written(earlier_value):
                continue
            problems.append(
                where.problem(
                    f"{earlier.doc.file}:{earlier.line} sets this to a different value; a bucket's "
                    "setting can have only one value, and the program will not choose between the files",
                    f"set it in one of the two files only, or give it the same value in both ({earlier.doc.file} "
                    f"and {part.doc.file})",
                )
            )
    return problems
