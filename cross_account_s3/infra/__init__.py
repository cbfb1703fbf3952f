"""The thin Pulumi layer: providers, components, lookups and outputs. Decisions live in `core`."""
