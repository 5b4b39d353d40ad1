"""The data steward's workbench: policy tests, per-record explanations and policy diffs."""
