"""The pure core: grants model, validation and policy documents.

Nothing here imports Pulumi, so every rule can be tested with plain pytest and reused by the
`plan` command and the policy pack.
"""
