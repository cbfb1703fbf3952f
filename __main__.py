"""cross-account-s3: a reviewed grants file becomes least-privilege cross-account S3 access.

Every check runs before the first AWS resource is registered, so bad input or a failed lookup
changes nothing.
"""

from pathlib import Path

from cross_account_s3.infra.garbage_collection import leave_imports_out_of_collections
from cross_account_s3.infra.lookups import look_up
from cross_account_s3.infra.providers import AccountProviders
from cross_account_s3.infra.stack import (
    export_outputs,
    input_problems_end_the_run,
    load_inputs,
    plan_with_live_checks,
    prove_access,
    register,
)
from cross_account_s3.infra.stack_history import last_deployment

PROJECT_ROOT = Path(__file__).resolve().parent

leave_imports_out_of_collections()  # they live for the whole run: Python's collector stops rescanning them

with input_problems_end_the_run():
    settings, grants = load_inputs(PROJECT_ROOT)  # Pulumi.<stack>.yaml and grants/<stack>.yaml, checked in full
    providers = AccountProviders.for_settings(settings)  # one provider per account, pinned to its ID
    last = last_deployment()  # what this stack wrote before: its role policies, and its buckets' policies
    facts = look_up(grants, providers, last)  # users, roles, buckets (also those it no longer names), KMS keys
    plan = plan_with_live_checks(grants, settings, facts)  # policies, after AWS's limits and foreign statements
    prove_access(plan, settings, facts, providers)  # AWS's policy simulator: boundaries, SCPs and denies
    register(plan, providers)  # a BucketGrant per grant (with its KMS grants), one BucketPolicy per bucket
    export_outputs(plan, settings)  # what a reviewer reads
