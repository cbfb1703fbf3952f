"""AWS hard limits, checked before anything is created.

Each limit below fails at apply time, often halfway through a change. The numbers come from the
IAM and S3 quota pages (see shared/reference/aws-facts.md); each message gives the limit, the
actual number and the grants involved.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping

from . import naming
from .grant import Grant
from .loaded_grants import LoadedGrants
from .plan import Plan
from .problems import Problem
from .settings import Settings, by_identity, stack_file_name
from .validation import Where

GROUPS_PER_USER = 10  # not adjustable
GROUP_INLINE_POLICY_CHARS = 5_120  # all inline policies of a group, whitespace not counted
# S3's user guide says "Bucket policies are limited to 20 KB in size" without saying whether a KB is
# 1,000 or 1,024 bytes, or whether S3 measures before or after its own normalisation. We take the
# smaller reading and keep a further 1,000 bytes (5%) spare for whatever S3 counts that we cannot
# see; that costs about 20 users on a bucket, and a policy refused at apply time costs a half-applied
# change.
BUCKET_POLICY_BYTES = 20_000
BUCKET_POLICY_SAFETY_MARGIN = 1_000
BUCKET_POLICY_BUDGET = BUCKET_POLICY_BYTES - BUCKET_POLICY_SAFETY_MARGIN

# Go's encoding/json escapes these even inside strings, to keep JSON safe to embed in HTML.
_GO_HTML_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def non_whitespace_length(text: str) -> int:
    return len(re.sub(r"\s", "", text))


def compact_policy_text(document: Mapping[str, object]) -> str:
    """The rendered policy (`policies.render_policy`) less the whitespace between tokens.

    Both are JSON of the same document with the same escaping, so their non-whitespace characters are
    the same; this one comes from the C encoder, several times faster than an indented rendering.
    """
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True)


def inline_policy_chars(document: Mapping[str, object]) -> int:
    """An inline policy's size as IAM counts it against a group's or role's quota: whitespace not counted."""
    return non_whitespace_length(compact_policy_text(document))


def provider_policy_text(document: Mapping[str, object]) -> str:
    """The bucket policy exactly as the AWS provider sends it to PutBucketPolicy.

    The provider does not send the JSON it is given: `aws_s3_bucket_policy` passes it through
    `structure.NormalizeJsonString` (terraform-provider-aws, internal/service/s3/bucket_policy.go),
    which is `json.Unmarshal` then `json.Marshal` in Go. Go's encoder writes no whitespace, sorts
    object keys, keeps non-ASCII as UTF-8, and escapes `<`, `>`, `&`, U+2028 and U+2029 as `\\u003c`,
    `\\u003e`, `\\u0026`, `\\u2028` and `\\u2029` (Go's encoding/json documentation: "the string is
    encoded using HTMLEscape"). So each `&`, `<` or `>` costs six bytes, not one.
    """
    compact = json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return compact.translate(_GO_HTML_ESCAPES)


def provider_policy_bytes(document: Mapping[str, object]) -> int:
    """The size S3 sees: the UTF-8 bytes of `provider_policy_text`."""
    return len(provider_policy_text(document).encode("utf-8"))


def limit_problems(plan: Plan, loaded: LoadedGrants, settings: Settings) -> list[Problem]:
    """Every AWS hard limit the plan would break, per user, per grant, per account and per bucket."""
    return [
        *_groups_per_user_problems(plan, settings),
        *_per_grant_problems(plan),
        *_group_name_clash_problems(plan),
        *_account_group_problems(plan, settings),
        *_bucket_policy_problems(plan, loaded),
    ]


def _groups_per_user_problems(plan: Plan, settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    groups_of_user: dict[str, list[Grant]] = defaultdict(list)
    for grant_plan in plan.grants:
        for user in grant_plan.group.members if grant_plan.group else ():
            groups_of_user[user.lower()].append(grant_plan.grant)
    by_user = by_identity(settings.other_groups_by_user, "user")
    for user, grants in sorted(groups_of_user.items()):
        grant_names = [grant.name for grant in grants]
        others = by_user.get(user, settings.other_groups_per_user)
        total = len(grant_names) + others
        if total > GROUPS_PER_USER:
            problems.append(
                grants[-1]
                .where.at("users")
                .problem(
                    f"user {user!r} would be in {total} IAM groups ({len(grant_names)} from grants "
                    f"{', '.join(grant_names)}, plus {others} outside this program); AWS allows at most "
                    f"{GROUPS_PER_USER} and the limit cannot be raised",
                    "merge grants that share this user, or take the user out of groups it no longer needs",
                )
            )
    return problems


def _per_grant_problems(plan: Plan) -> list[Problem]:
    problems: list[Problem] = []
    for grant_plan in plan.grants:
        size = inline_policy_chars(grant_plan.identity_policy)
        if grant_plan.group is not None and size > GROUP_INLINE_POLICY_CHARS:
            problems.append(
                grant_plan.grant.where.problem(
                    f"the group's inline policy would be {size} characters (whitespace not counted); AWS "
                    f"allows {GROUP_INLINE_POLICY_CHARS} for all inline policies of one group",
                    "split the grant into several grants over fewer buckets, prefixes or actions",
                )
            )
        group = grant_plan.group
        if group is not None and len(group.name) > naming.MAX_GROUP_NAME:
            problems.append(
                grant_plan.grant.where.at("name").problem(
                    f"the group name {group.name!r} is {len(group.name)} characters; IAM "
                    f"allows {naming.MAX_GROUP_NAME}",
                    "shorten the grant name or the stack's groupPrefix",
                )
            )
    return problems


def _group_name_clash_problems(plan: Plan) -> list[Problem]:
    problems: list[Problem] = []
    # Grant names are lowercase and unique and share one prefix, so this cannot fire today; it is here
    # so that loosening the naming rules can never create two groups IAM would take for one.
    seen: dict[str, str] = {}
    for grant_plan in plan.grants:
        group = grant_plan.group
        if group is None:
            continue
        key = group.name.lower()
        if key in seen:
            problems.append(
                grant_plan.grant.where.at("name").problem(
                    f"the group name {group.name!r} clashes with {seen[key]!r}; IAM group names are "
                    "unique ignoring case",
                    "rename one of the grants",
                )
            )
        seen[key] = group.name
    return problems


def _account_group_problems(plan: Plan, settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    ours = sum(1 for grant_plan in plan.grants if grant_plan.group is not None)  # grants naming only roles make none
    groups = ours + settings.other_groups_in_account
    if groups > settings.group_quota:
        problems.append(
            Problem(
                file=stack_file_name(settings.stack),
                line=None,
                grant=None,
                field="cross-account-s3:groupQuota",
                message=f"the user account would have {groups} IAM groups ({ours} from this program plus "
                f"{settings.other_groups_in_account} others); its quota is {settings.group_quota}",
                fix="merge grants, or raise the account's IAM group quota and then groupQuota",
            )
        )
    return problems


def _bucket_policy_problems(plan: Plan, loaded: LoadedGrants) -> list[Problem]:
    problems: list[Problem] = []
    for bucket_plan in plan.buckets:
        size = provider_policy_bytes(bucket_plan.policy)
        if size > BUCKET_POLICY_BUDGET:
            problems.append(
                Where(
                    loaded.file_of(bucket_plan.bucket),
                    ("grants",),
                    field_from=1,
                    grant=", ".join(bucket_plan.grant_names),
                ).problem(
                    f"the policy of bucket {bucket_plan.bucket!r} would be {size} bytes as the AWS provider sends "
                    f"it; S3 allows 20 KB, which this program reads as {BUCKET_POLICY_BYTES} bytes and keeps "
                    f"{BUCKET_POLICY_SAFETY_MARGIN} of spare, so the budget is {BUCKET_POLICY_BUDGET}",
                    "give more grants on this bucket the same access level and prefixes, or none (their statements "
                    "then merge), move some users to a role, or split the readers over a second bucket",
                )
            )
    return problems
