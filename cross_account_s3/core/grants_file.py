"""The grants file as a whole: its `grants:` list and the per-bucket sections beside it, and its JSON Schema.

The pydantic models here and in `grant.py` are the single source of truth for the file's format. They
validate it, and `grants_json_schema()` turns the same models into the JSON Schema that editors use, so the
two cannot drift apart. This module says only what a valid file is; checking one parsed file (the YAML
problems the models cannot see, and where each grant was written) is `grants_file_check.py`'s work, and the
checks across the files of a directory belong to the loading, so neither grows into the format's definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from .bucket_settings import KEY as BUCKET_SETTINGS_KEY
from .bucket_settings import BucketSettings
from .grant import BucketName, Grant
from .grants_yaml import GrantsFileRules
from .statements import PolicyStatement, bucket_statement_findings
from .validation import describe_value, reject_all, validate_with
from .yaml_source import PathKey

# The top-level keys that map bucket names to that bucket's settings; any file of a grants directory may set them.
PER_BUCKET_KEYS = ("extraStatements", "bucketSettings")
GRANT_LIST: PathKey = ("grants",)  # where a grants file lists its grants: problems inside one name it
GRANTS_FILE = GrantsFileRules(GRANT_LIST)  # what a grants file may hold as YAML

_GRANTS_FIX = "write 'grants:' followed by entries that each start with '- name: ...'"
_STATEMENTS_FIX = "list the statements, each starting with '- Sid: ...'"


class GrantsFile(BaseModel):
    """The whole grants file."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, json_schema_extra={"title": "cross-account-s3 grants file"}
    )

    # How the generic wording of an error reads at the top of the file: (field or None, error type) -> text.
    problem_wording: ClassVar[Mapping[tuple[str | None, str], tuple[str, str]]] = {
        (None, "extra_forbidden"): (
            "is not a top-level key this program knows",
            "the known top-level keys are: {known}",
        ),
        ("grants", "missing"): (
            "the 'grants:' list is missing",
            _GRANTS_FIX + " (a file of a grants directory that holds no grants writes 'grants: []')",
        ),
        ("grants", "list_type"): ("'grants' must be a list of grants, but it is {value}", _GRANTS_FIX),
        ("extraStatements", "dict_type"): (
            "must map bucket names to lists of statements, but is {value}",
            "write each bucket name as a key with its statements listed under it",
        ),
        ("extraStatements", "list_type"): ("must be a non-empty list of policy statements", _STATEMENTS_FIX),
        ("extraStatements", "too_short"): ("must be a non-empty list of policy statements", _STATEMENTS_FIX),
        (BUCKET_SETTINGS_KEY, "dict_type"): (
            "must map bucket names to their settings, but is {value}",
            "write each bucket name as a key with 'region: ...' indented under it",
        ),
    }

    grants: list[Grant] = Field(description="Who gets which access to which buckets.")
    extraStatements: dict[BucketName, Annotated[list[PolicyStatement], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Per bucket, statements written by someone else that must stay in its policy, verbatim.",
    )
    bucketSettings: dict[BucketName, BucketSettings] = Field(
        default_factory=dict,
        description="Per bucket, settings such as its region (default: the bucket account's region) and its KMS key.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _rules_across_statements(cls, value: Any, handler: Callable[[Any], GrantsFile]) -> GrantsFile:
        if not isinstance(value, dict):
            reject_all(
                [
                    (
                        ("grants",),
                        f"the file must be a mapping with a 'grants:' list, but it holds {describe_value(value)}",
                        "start the file with 'grants:' and list the grants under it",
                    )
                ],
                value,
                cls.__name__,
            )
        extra = value.get("extraStatements")
        findings = [
            (("extraStatements", bucket, *loc), message, fix)
            for bucket, statements in (extra.items() if isinstance(extra, dict) else ())
            if isinstance(bucket, str)
            for loc, message, fix in bucket_statement_findings(bucket, statements)
        ]
        validated: GrantsFile = validate_with(handler, value, findings, cls.__name__)
        return validated

    @model_validator(mode="after")
    def _grants_are_not_all_removed(self, info: ValidationInfo) -> GrantsFile:
        # In a grants directory one file may hold no grants; the directory as a whole is checked instead.
        if not self.grants and not _in_directory(info):
            reject_all(
                [
                    (
                        ("grants",),
                        "the 'grants' list is empty, which would remove every grant",
                        "add a grant; to remove all access on purpose, destroy the stack instead",
                    )
                ],
                self,
                type(self).__name__,
            )
        return self


IN_DIRECTORY = "in_directory"  # validation context: the file is one of a grants directory's files


def _in_directory(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get(IN_DIRECTORY))


SCHEMA_FILE = "grants/schema.json"  # where the schema is committed, for editors and the test that compares


def grants_json_schema() -> dict[str, Any]:
    """The JSON Schema of the grants file, generated from the models that validate it."""
    schema = GrantsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
