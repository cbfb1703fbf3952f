"""The shapes of principal AWS accepts in a bucket policy, each beside the AWS page that documents it.

S3 refuses a bucket policy that names a principal of any other shape ("Invalid principal in policy"), but only
when `pulumi up` writes it, after the groups exist. Knowing the shapes lets a kept statement (`statements`) be
refused while its grants file is read, at its line, with a "did you mean". Which principals a statement names
is read by `documents.principals`; this module only says whether one such name can be a principal at all.
"""

from __future__ import annotations

import difflib
import re

from . import naming

# The kinds of principal a bucket policy may name (IAM JSON policy reference, "IAM JSON policy elements"). AWS
# refuses any other, but only when `pulumi up` writes it.
PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")

# The principals a bucket policy names, in the shapes AWS documents for them: "AWS JSON policy elements: Principal"
# (IAM user guide) for an account (its 12-digit ID or arn:aws:iam::ID:root), an IAM user or role (with its path),
# an assumed-role session (arn:aws:sts::ID:assumed-role/ROLE/SESSION) and a federated user session
# (arn:aws:sts::ID:federated-user/NAME); "Bucket policy examples" (S3 user guide) for a legacy CloudFront origin
# access identity, arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID. S3 answers any other with
# "Invalid principal in policy" (AWS Knowledge Center, "s3-invalid-principal-in-policy-error"), but only when
# `pulumi up` writes the policy. Only the aws partition: the bucket's own ARNs are arn:aws:s3:::.
_IAM_NAME = r"[A-Za-z0-9+=,.@_-]+"
_AWS_PRINCIPALS = (
    naming.ACCOUNT_ID,
    re.compile(r"arn:aws:iam::[0-9]{12}:root", re.ASCII),
    naming.USER_ARN,
    naming.GRANTEE_ROLE_ARN,
    re.compile(rf"arn:aws:sts::[0-9]{{12}}:assumed-role/{_IAM_NAME}/{_IAM_NAME}", re.ASCII),
    re.compile(rf"arn:aws:sts::[0-9]{{12}}:federated-user/{_IAM_NAME}", re.ASCII),
    re.compile(r"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity [A-Z0-9]+", re.ASCII),
)
# What each kind of principal in an ARN is under: iam or sts.
_ARN_KINDS = {"root": "iam", "user": "iam", "role": "iam", "assumed-role": "sts", "federated-user": "sts"}
_ARN = re.compile(r"arn:[^:]*:[^:]*:[^:]*:(?P<account>[^:]*):(?P<kind>[^/]*)(?P<rest>.*)", re.ASCII)
# A user's or role's unique ID, which AWS shows in place of its ARN once the user or role is deleted (aws-facts.md).
_UNIQUE_ID = re.compile(r"(?:AIDA|AROA)[A-Z0-9]{12,}", re.ASCII)
# "The identifier for a service principal includes the service name, and is usually in the following format:
# service-name.amazonaws.com" (IAM user guide, "AWS JSON policy elements: Principal"): "usually", so only its
# shape is checked, a dotted host name.
_SERVICE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)
# "CanonicalUser":"64-digit-alphanumeric-value" (S3 user guide, "Principals").
_CANONICAL_USER = re.compile(r"[A-Za-z0-9]{64}", re.ASCII)
# A web identity provider's host name, or a SAML or OIDC provider's ARN (IAM user guide, "AWS JSON policy elements:
# Principal").
_FEDERATED = re.compile(rf"{_SERVICE.pattern}|arn:aws:iam::[0-9]{{12}}:(?:saml-provider|oidc-provider)/\S+", re.ASCII)


def principal_problem(kind: str, name: str) -> tuple[str, str] | None:
    """Why a principal AWS would refuse is not one, and how to write it, or None when its shape is one AWS accepts.

    `kind` is one of `PRINCIPAL_KINDS`. A name with a wildcard in part of it is refused for that by the caller,
    which says so more plainly than any shape could.
    """
    if name == "*":
        return None
    if kind == "AWS":
        if _is_aws_principal(name):
            return None
        if _UNIQUE_ID.fullmatch(name):
            return (
                f"{name!r} is the unique ID AWS shows in place of a user's or role's ARN once that user or role was "
                "deleted; it names nobody any more, and a re-created user or role of the same name is not it",
                "name the user's or role's ARN again if it was re-created, or remove it",
            )
        return (
            f"{name!r} is not a principal AWS accepts in a bucket policy, and AWS refuses the policy ('Invalid "
            "principal in policy'): an AWS principal is '*', a 12-digit account ID, or the ARN of an account "
            "(arn:aws:iam::ID:root), an IAM user or role (arn:aws:iam::ID:user/NAME, arn:aws:iam::ID:role/NAME), a "
            "role session (arn:aws:sts::ID:assumed-role/ROLE/SESSION) or a federated user "
            "(arn:aws:sts::ID:federated-user/NAME), in the aws partition",
            f"{_arn_hint(name)}correct the ARN; the IAM console shows a user's or role's ARN",
        )
    if kind == "Service" and not _SERVICE.fullmatch(name):
        hint = f"did you mean '{name}.amazonaws.com'? " if re.fullmatch(r"[a-z0-9-]+", name, re.ASCII) else ""
        return (
            f"{name!r} is not a service principal, which is a service's host name such as cloudfront.amazonaws.com, "
            "and AWS refuses the policy ('Invalid principal in policy')",
            f"{hint}use the service principal the service's documentation gives",
        )
    if kind == "CanonicalUser" and not _CANONICAL_USER.fullmatch(name):
        return (
            f"{name!r} is not a canonical user ID, which is 64 letters and digits, and AWS refuses the policy "
            "('Invalid principal in policy')",
            "copy the canonical user ID whole (for a CloudFront origin access identity, its S3 canonical user ID)",
        )
    if kind == "Federated" and not _FEDERATED.fullmatch(name):
        return (
            f"{name!r} is not a federated principal, which is an identity provider's host name (such as "
            "accounts.google.com) or the ARN of a SAML or OIDC provider (arn:aws:iam::ID:saml-provider/NAME), and "
            "AWS refuses the policy ('Invalid principal in policy')",
            "correct the identity provider's name or ARN",
        )
    return None


def _arn_hint(name: str) -> str:
    """'did you mean ...? ' for an AWS principal ARN with a misspelt kind or the wrong service, else ''."""
    parts = _ARN.fullmatch(name)
    close = difflib.get_close_matches(parts["kind"], list(_ARN_KINDS), n=1, cutoff=0.6) if parts else []
    if not parts or not close:
        return ""
    meant = f"arn:aws:{_ARN_KINDS[close[0]]}::{parts['account']}:{close[0]}{parts['rest']}"
    return f"did you mean {meant!r}? " if _is_aws_principal(meant) else ""


def _is_aws_principal(name: str) -> bool:
    return any(shape.fullmatch(name) for shape in _AWS_PRINCIPALS)
