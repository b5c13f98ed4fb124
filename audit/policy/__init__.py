"""The committee's written policy: schema, loading, and evaluation into a Verdict."""

from fairgate.audit.policy.evaluate import evaluate
from fairgate.audit.policy.load import (
    builtin_policies,
    default_policy,
    load_policy,
    policy_json_schema,
)
from fairgate.audit.policy.oversight import Oversight, OversightLimit, RouteCondition
from fairgate.audit.policy.rules import (
    DERIVED_METRICS,
    RULE_KINDS,
    RULE_METRICS,
    BreakerRule,
    DriftRule,
    ExplainRule,
    MetricRule,
    WindowSpec,
    canonical_metric,
)
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import AuditEvidence, RuleResult, Verdict

__all__ = [
    "DERIVED_METRICS",
    "RULE_KINDS",
    "RULE_METRICS",
    "AuditEvidence",
    "BreakerRule",
    "DriftRule",
    "ExplainRule",
    "MetricRule",
    "Oversight",
    "OversightLimit",
    "Policy",
    "RouteCondition",
    "RuleResult",
    "Verdict",
    "WindowSpec",
    "builtin_policies",
    "canonical_metric",
    "default_policy",
    "evaluate",
    "load_policy",
    "policy_json_schema",
]
