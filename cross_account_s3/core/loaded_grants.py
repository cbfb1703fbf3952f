"""The stack's grants once loaded: the checked files merged into one `LoadedGrants`, after the checks across files.

Everything after loading (the plan, the live checks, limits, the Pulumi program) takes a `LoadedGrants`, which
knows each grant's file and line and which file sets each bucket's entries, so a problem found later still
points at the line to change. Each file is checked on its own in `grants_file_check.py`; what only the files
together can show (a grant name used twice) is checked here, on the names every file reported, so it is found
even while a file has other problems.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import naming
from .bucket_settings import BucketSettings
from .grant import Grant
from .grants_file import GRANT_LIST, GRANTS_FILE, PER_BUCKET_KEYS
from .grants_file_check import CheckedFile, check_grants_file
from .problems import Problem, raise_if_any
from .validation import Where
from .yaml_source import YamlDocument, read_yaml


def _duplicate_names(files: Sequence[CheckedFile]) -> list[Problem]:
    """Grant names identify grants (and their IAM groups), so each is used once across all files."""
    problems: list[Problem] = []
    first: dict[str, Where] = {}
    for checked in files:
        for name, where in checked.names:
            if name not in first:
                first[name] = where
                continue
            earlier = first[name]
            place = f"line {earlier.line}" if earlier.doc is where.doc else f"{earlier.doc.file}:{earlier.line}"
            problems.append(
                where.problem(
                    f"the grant name is already used on {place}; names identify grants, so they must be unique",
                    "give this grant a different name, or merge the two grants",
                )
            )
    return problems


@dataclass(frozen=True)
class LoadedGrants:
    """The validated grants, each knowing the file and path it came from."""

    grants: tuple[Grant, ...]  # sorted by name, so the file's order never matters
    extra_statements: Mapping[str, tuple[dict[str, Any], ...]]
    doc: YamlDocument  # the (first) grants file
    bucket_settings: Mapping[str, BucketSettings] = dataclasses.field(default_factory=dict)
    # (top-level key, bucket) -> the file that sets that bucket's entry, when the grants are a directory of files
    bucket_entry_files: Mapping[tuple[str, str], YamlDocument] = dataclasses.field(default_factory=dict)

    @property
    def where(self) -> Where:
        """The top of the grants file, for problems about its top-level keys."""
        return Where(self.doc, grant_list=GRANT_LIST)

    def file_of(self, bucket: str, key: str | None = None) -> YamlDocument:
        """The file a problem about `bucket` points at: the one setting its `key` entry (such as
        extraStatements), else the one holding its first grant, so a team reads it in its own file."""
        found = self.bucket_entry_files.get((key, bucket)) if key else None
        if found is not None:
            return found
        return next((grant.where.doc for grant in self.grants if bucket in grant.bucket_names), self.doc)

    def bucket_entry(self, key: str, bucket: str) -> Where:
        """Where the bucket's entry under a top-level key is written, or where to add it."""
        return Where(self.file_of(bucket, key), grant_list=GRANT_LIST).at(key, bucket)

    @property
    def managed_buckets(self) -> tuple[str, ...]:
        """Every bucket whose policy this program writes: those with grants, and those with only extraStatements.

        A bucket whose last grant is removed can stay under `extraStatements`, so its policy is rewritten to
        just those statements instead of being deleted with them.
        """
        granted = {bucket for grant in self.grants for bucket in grant.bucket_names}
        return tuple(sorted(granted | set(self.extra_statements)))


def merge_grant_files(files: Sequence[CheckedFile], also: Sequence[Problem] = ()) -> LoadedGrants:
    """Merge checked grants files, then run the checks that span files; raise every problem at once.

    `also` adds problems the caller found across the files (a grants directory's own checks).
    """
    raise_if_any([*(problem for checked in files for problem in checked.problems), *_duplicate_names(files), *also])
    grants = [grant for checked in files if checked.model for grant in checked.model.grants]
    # The statements exactly as written (key order included), since they are copied into the policy verbatim.
    # Two files may set the same bucket's entry only with equal values (the directory checks that), so
    # which one is kept does not matter.
    extra: dict[str, tuple[dict[str, Any], ...]] = {}
    entry_files: dict[tuple[str, str], YamlDocument] = {}
    for checked in files:
        data = checked.doc.data if isinstance(checked.doc.data, dict) else {}
        for key, entries in data.items():
            for bucket in entries if key in PER_BUCKET_KEYS and isinstance(entries, dict) else ():
                entry_files.setdefault((str(key), str(bucket)), checked.doc)
        raw = data.get("extraStatements", {})
        extra.update({str(bucket): tuple(statements) for bucket, statements in raw.items()})
    # Key by key: two files of a directory may each set another of a bucket's settings.
    set_by_files: dict[str, dict[str, Any]] = {}
    for checked in files:
        for bucket, settings in checked.model.bucketSettings.items() if checked.model else ():
            set_by_files.setdefault(bucket, {}).update(settings.model_dump(exclude_unset=True))
    bucket_settings = {bucket: BucketSettings.model_validate(values) for bucket, values in set_by_files.items()}
    return LoadedGrants(
        grants=tuple(sorted(grants, key=lambda grant: grant.name)),
        extra_statements=extra,
        doc=files[0].doc,
        bucket_settings=bucket_settings,
        bucket_entry_files=entry_files,
    )


def validate_grants(
    doc: YamlDocument,
    user_account: str | None,
    *,
    bucket_account: str | None = None,
    known_regions: naming.KnownRegions | None = None,
) -> LoadedGrants:
    """Validate a parsed grants file, raising every problem at once."""
    checked = check_grants_file(doc, user_account, bucket_account=bucket_account, known_regions=known_regions)
    return merge_grant_files([checked])


def load_grants(
    path: Path,
    shown_as: str,
    user_account: str | None,
    *,
    bucket_account: str | None = None,
    known_regions: naming.KnownRegions | None = None,
) -> LoadedGrants:
    """Read and validate a grants file; every problem is raised at once as `InputProblems`."""
    doc = read_yaml(path, shown_as, rules=GRANTS_FILE)
    return validate_grants(doc, user_account, bucket_account=bucket_account, known_regions=known_regions)
