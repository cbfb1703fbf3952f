"""Checking one grants file: the models' verdict on a parsed file, with the problems only its YAML shows.

Each grants file is checked on its own first, whether it is the stack's only file or one of a directory's.
The models in `grants_file.py` validate it; this adds what they cannot see (a grant listed again through a
YAML alias, a kept statement that YAML read otherwise than it was written, and in a lone file a
bucketSettings entry no grant uses) and gives each valid grant the place it was written. It is apart from
the merge so that every file of a directory is checked, its problems and grant names kept, before the
checks across files run on them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from . import naming
from .bucket_settings import unused_entry_findings
from .grants_file import GRANT_LIST, IN_DIRECTORY, GrantsFile
from .problems import Problem
from .validation import Where, to_problems
from .yaml_source import YamlDocument


@dataclass(frozen=True)
class CheckedFile:
    """One grants file after its own checks: the model when it is valid, and every problem found in it.

    `names` holds every grant name the file spells, valid or not, so the checks across files can run
    even while a file has other problems.
    """

    doc: YamlDocument
    model: GrantsFile | None
    problems: tuple[Problem, ...]
    names: tuple[tuple[str, Where], ...]


def check_grants_file(
    doc: YamlDocument,
    user_account: str | None,
    *,
    in_directory: bool = False,
    bucket_account: str | None = None,
    known_regions: naming.KnownRegions | None = None,
) -> CheckedFile:
    """Validate one parsed grants file with the models, in one pass, and give each grant its origin.

    A file of a grants directory may be empty or list no grants: other files hold them. The accounts come
    from the stack settings, when those are valid: users must be of the user account, KMS keys of the
    bucket account. `known_regions`, when given, are the regions a bucket's region must be one of.
    """
    root = Where(doc, grant_list=GRANT_LIST)
    data = {"grants": []} if in_directory and doc.data is None else doc.data
    raw = data.get("grants") if isinstance(data, dict) else None
    items = raw if isinstance(raw, list) else []
    repeats = _repeated_by_alias(items)
    names = tuple(
        (item["name"], root.at("grants", index, "name"))
        for index, item in enumerate(items)
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"] and index not in repeats
    )
    # A bucketSettings entry no grant uses is most likely a misspelt bucket. In a directory another file may
    # use it, so the directory checks that across its files.
    unused = [] if in_directory or not isinstance(data, dict) else unused_entry_findings(data)
    file_problems = doc.problems + tuple(root.at(*location).problem(message, fix) for location, message, fix in unused)
    file_problems += tuple(_repeat_problem(root, index, first) for index, first in repeats.items())
    # A kept statement is copied into the policy as YAML read it: a value read otherwise than written (an
    # account ID with a leading 0 read as an octal number) would silently change someone else's statement.
    file_problems += tuple(
        root.at(*path).problem(*reread) for path, reread in doc.rereads.items() if path[:1] == ("extraStatements",)
    )
    try:
        context = {
            "user_account": user_account,
            "bucket_account": bucket_account,
            IN_DIRECTORY: in_directory,
            naming.KNOWN_REGIONS: known_regions,
        }
        model = GrantsFile.model_validate(data, context=context)
    except ValidationError as error:
        return CheckedFile(doc, None, (*to_problems(error, model=GrantsFile, where=root), *file_problems), names)
    if file_problems:
        return CheckedFile(doc, None, file_problems, names)
    for index, grant in enumerate(model.grants):
        grant._origin = root.at("grants", index)
    return CheckedFile(doc, model, (), names)


def _repeated_by_alias(items: Sequence[object]) -> dict[int, int]:
    """Grants listed again whole through a YAML alias (`- *base`), by index, with the index of their first use.

    YAML builds an alias as the very mapping it names, so such an item is the same object as an earlier one.
    """
    first: dict[int, int] = {}
    repeats: dict[int, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if id(item) in first:
            repeats[index] = first[id(item)]
        else:
            first[id(item)] = index
    return repeats


def _repeat_problem(root: Where, index: int, first: int) -> Problem:
    """One problem at the grant as written, instead of a duplicate name whose two places are the same line."""
    return root.at("grants", first).problem(
        f"grant #{index + 1} of the list is this grant again, through a YAML alias (*name); each grant is written once",
        "remove the alias item; for a similar grant, write '- <<: *name' followed by its own name and the fields "
        "that differ",
    )
