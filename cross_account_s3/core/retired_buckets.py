"""Buckets whose last grant was removed: `pulumi up` deletes their policy, so it is read first.

S3 keeps one policy per bucket, and the program's `BucketPolicy` resource is all of it. When the
grants stop naming a bucket (no grant and no `extraStatements` entry), the resource leaves the
program and `pulumi up` deletes it: DeleteBucketPolicy, which deletes every statement in the policy,
also those someone added by hand since the last deployment. A bucket the grants still name is read
before its policy is rewritten (`foreign_statements`); a bucket they no longer name is
known only from the stack's last deployment (`outputs.LastDeployment`), so it is read too, in the
region its policy was written in, and preview stops while its policy holds a statement this stack
did not write (another stack of this program's included). `pulumi destroy` does not run the program,
so it cannot be checked this way.
"""

from __future__ import annotations

from .documents import WrittenStatements
from .foreign_statements import keep_them, not_written_by_this_stack, sid_list
from .live import Answer, Failure, LiveBucket, LiveFacts, LookupFailure, bucket_from_answers, failure_problem
from .loaded_grants import LoadedGrants
from .outputs import LastDeployment
from .problems import Problem


def retired_buckets(loaded: LoadedGrants, last: LastDeployment) -> dict[str, str | None]:
    """Each bucket the last deployment wrote a policy on that the grants no longer name, with its region.

    The region is None when the last deployment did not record it: the bucket account's provider region.
    """
    managed = set(loaded.managed_buckets)
    return {bucket: region for bucket, region in sorted(last.bucket_regions.items()) if bucket not in managed}


def retired_from_answer(name: str, answer: Answer, region: str | None) -> LiveBucket:
    """getBucketPolicy's answer alone. "couldn't find resource" is no policy or no bucket (the provider says the
    same for both), and either way deleting the policy deletes nothing, so HeadBucket need not tell them apart."""
    if answer.payload is not None:
        return bucket_from_answers(name, answer, None, region)
    if answer.failure is Failure.NOT_FOUND:
        return LiveBucket(name=name, exists=True, policy=None, region=region)
    return LiveBucket(name=name, exists=True, failure=LookupFailure.of(answer, "s3:GetBucketPolicy"), region=region)


def retired_bucket_problems(loaded: LoadedGrants, facts: LiveFacts, bucket_account: str) -> list[Problem]:
    """A retired bucket whose policy holds statements someone else wrote, or could not be read to find out."""
    problems: list[Problem] = []
    for bucket, state in sorted(facts.retired_buckets.items()):
        found = _problem(bucket, state, facts.last_written.get(bucket, WrittenStatements()), bucket_account)
        if found:
            problems.append(loaded.bucket_entry("extraStatements", bucket).problem(*found))
    return problems


def _problem(
    bucket: str, state: LiveBucket, last_written: WrittenStatements, bucket_account: str
) -> tuple[str, str] | None:
    """(message, fix) for one retired bucket; None when its policy can go: it is gone, or all this stack wrote."""
    deleted = (
        f"the grants no longer name the bucket {bucket!r} (no grant, no extraStatements entry), so `pulumi up` would "
        "delete its whole policy"
    )
    if state.failure is not None:
        return _unread(bucket, state.failure, state.region, bucket_account, deleted)
    others = not_written_by_this_stack(state, last_written)  # another stack's too: deleting the policy wipes them
    if not others:
        return None
    return (
        f"{deleted}, and that policy now also has statements this stack did not write ({sid_list(others)})",
        keep_them(bucket, others, (), retired=True),
    )


def _unread(
    bucket: str, failure: LookupFailure, region: str | None, bucket_account: str, deleted: str
) -> tuple[str, str]:
    """The policy could not be read, so nobody can say whose statements deleting it would delete."""
    where = f"bucket account {bucket_account}"
    message, fix = failure_problem(f"the bucket {bucket!r}", where, failure, region, bucket=None)
    if failure.failure is Failure.OTHER_REGION:
        message = f"the bucket {bucket!r} is in another region than the one asked; the provider said: {failure.text}"
        why = (
            "the last deployment did not record the bucket's region (deployments before the bucketRegions output "
            "did not)"
            if region is None
            else f"the bucket answers from elsewhere than {region}, where this stack wrote its policy (was it "
            "created again in another region?)"
        )
        fix = (
            f"{why}: undo the removal (the same grants, with the bucket's current region under bucketSettings), "
            "run `pulumi up` once so the stack records the region, then remove them again"
        )
    return f"{deleted}, and its policy could not be read first to keep what someone else wrote in it: {message}", fix
