"""govflow: per-record data governance for pipelines.

Detect PII, tag each record with its sensitivity, jurisdictions and regulations, mask it for the
destination it is routed to, and keep an audit row per record.
"""

from govflow.detect.findings import Finding
from govflow.detect.profile import LeafProfile, TableProfile
from govflow.pipeline import Pipeline, Result
from govflow.policy.errors import PolicyError, PolicyIssue
from govflow.policy.loader import load_policy, policy_version
from govflow.policy.models import Policy

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "LeafProfile",
    "Pipeline",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "Result",
    "TableProfile",
    "__version__",
    "load_policy",
    "policy_version",
]
