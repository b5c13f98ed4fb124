"""Group counts, metrics, uncertainty, explainability, policy, the audit runner and reports.

Import the numerical core from here::

    from fairgate.audit import group_counts, group_report
"""

import importlib
from typing import Any

from fairgate.audit.core.counts import (
    CELLS,
    MISSING_LABEL,
    GroupCounts,
    group_counts,
)
from fairgate.audit.core.counts_file import counts_from_file, counts_from_grouped
from fairgate.audit.core.engine import counts_from
from fairgate.audit.core.fairness import (
    demographic_parity_difference,
    demographic_parity_ratio,
    disparate_impact,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)
from fairgate.audit.core.group_report import GroupReport, group_report
from fairgate.audit.core.metrics import (
    DEFAULT_METRICS,
    METRICS,
    accuracy,
    count,
    difference,
    false_negative_rate,
    false_positive_rate,
    metric_values,
    negative_predictive_value,
    precision,
    ratio,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from fairgate.audit.core.score_metrics import (
    ScoreCounts,
    exact_roc_auc_by_group,
    expected_calibration_error,
    roc_auc_by_group,
    score_counts,
)
from fairgate.audit.core.spark import counts_from_spark
from fairgate.audit.core.uncertainty import (
    bootstrap_cells,
    bootstrap_interval,
    group_significance,
    wilson_interval,
)
from fairgate.audit.pipeline.model_io import load_model
from fairgate.audit.pipeline.run import AuditSpec, run_audit
from fairgate.audit.report import render_report, write_notebook, write_report
from fairgate.audit.report.result import AuditResult

# Layer-3 names (policy, explainability) load on first use: shap and pydantic stay out of a
# plain ``import fairgate.audit``.
_LAZY: dict[str, str] = {
    "AuditEvidence": "fairgate.audit.policy",
    "Explanation": "fairgate.audit.explain",
    "Policy": "fairgate.audit.policy",
    "Verdict": "fairgate.audit.policy",
    "default_policy": "fairgate.audit.policy",
    "evaluate": "fairgate.audit.policy",
    "explain": "fairgate.audit.explain",
    "load_policy": "fairgate.audit.policy",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fairgate.audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AuditResult",
    "AuditSpec",
    "load_model",
    "render_report",
    "run_audit",
    "write_notebook",
    "write_report",
    *sorted(_LAZY),
    "CELLS",
    "DEFAULT_METRICS",
    "METRICS",
    "MISSING_LABEL",
    "GroupCounts",
    "GroupReport",
    "ScoreCounts",
    "accuracy",
    "bootstrap_cells",
    "bootstrap_interval",
    "count",
    "counts_from",
    "counts_from_file",
    "counts_from_grouped",
    "counts_from_spark",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "difference",
    "disparate_impact",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "exact_roc_auc_by_group",
    "expected_calibration_error",
    "false_negative_rate",
    "false_positive_rate",
    "group_counts",
    "group_report",
    "group_significance",
    "metric_values",
    "negative_predictive_value",
    "precision",
    "ratio",
    "roc_auc_by_group",
    "score_counts",
    "selection_rate",
    "true_negative_rate",
    "true_positive_rate",
    "wilson_interval",
]
