"""cross-account-s3: give IAM users in one AWS account exactly the S3 access they need in another.

`core` is the pure part (grants model, validation, policy documents) and imports nothing from
Pulumi. `infra` is the thin Pulumi layer (providers and components) that the stack's `__main__.py`
wires together.
"""
