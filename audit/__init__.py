"""Group counts, metrics, uncertainty, explainability, policy, the audit runner and reports.

Import the numerical core from here::

    from fairgate.audit import group_counts, group_report
"""

from fairgate.audit.counts import CELLS, MISSING_LABEL, GroupCounts, counts_from_file, group_counts
from fairgate.audit.group_report import GroupReport, group_report
from fairgate.audit.metrics import (
    DEFAULT_METRICS,
    METRICS,
    accuracy,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    difference,
    disparate_impact,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
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
from fairgate.audit.scores import (
    ScoreCounts,
    exact_roc_auc_by_group,
    expected_calibration_error,
    roc_auc_by_group,
    score_counts,
)
from fairgate.audit.uncertainty import (
    bootstrap_cells,
    bootstrap_interval,
    group_significance,
    wilson_interval,
)

__all__ = [
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
    "counts_from_file",
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
