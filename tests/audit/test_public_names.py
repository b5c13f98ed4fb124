"""The public names of ``fairgate.audit`` and ``fairgate``: one list each, every name loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fairgate
import fairgate.audit
from fairgate.audit import core
from fairgate.lazy import lazy_getattr

# What ``from fairgate.audit import ...`` offered before its list was derived from the core's.
AUDIT_NAMES = {
    "AuditEvidence", "AuditResult", "AuditSpec", "CELLS", "DEFAULT_METRICS", "Explanation",
    "GroupCounts", "GroupReport", "METRICS", "MISSING_LABEL", "Policy", "ScoreCounts", "Verdict",
    "accuracy", "bootstrap_cells", "bootstrap_interval", "count", "counts_from",
    "counts_from_file", "counts_from_grouped", "counts_from_spark", "default_policy",
    "demographic_parity_difference", "demographic_parity_ratio", "difference",
    "disparate_impact", "equal_opportunity_difference", "equal_opportunity_ratio",
    "equalized_odds_difference", "equalized_odds_ratio", "evaluate", "exact_roc_auc_by_group",
    "expected_calibration_error", "explain", "false_negative_rate", "false_positive_rate",
    "group_counts", "group_report", "group_significance", "load_model", "load_policy",
    "metric_values", "negative_predictive_value", "precision", "ratio", "render_report",
    "roc_auc_by_group", "run_audit", "score_counts", "selection_rate", "true_negative_rate",
    "true_positive_rate", "wilson_interval", "write_notebook", "write_report",
}  # fmt: skip


def test_audit_keeps_every_public_name_and_adds_the_cores():
    public = set(fairgate.audit.__all__)
    assert len(public) == len(fairgate.audit.__all__)  # no name listed twice
    assert public >= AUDIT_NAMES
    assert set(core.__all__) <= public
    for name in core.__all__:
        assert getattr(fairgate.audit, name) is getattr(core, name)


@pytest.mark.parametrize("package", [fairgate, fairgate.audit], ids=lambda m: m.__name__)
def test_every_listed_name_loads_and_an_unknown_one_is_named(package):
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    with pytest.raises(AttributeError, match=rf"module '{package.__name__}' has no attribute"):
        package.no_such_name  # noqa: B018


def test_the_same_lazy_name_is_the_same_object_from_both_packages():
    assert fairgate.Policy is fairgate.audit.Policy
    assert fairgate.group_report is fairgate.audit.group_report


def test_layer_three_names_load_only_on_first_use():
    code = (
        "import sys, fairgate.audit as a; m = 'fairgate.audit.explain'; before = m in sys.modules; "
        "a.explain; print(before, m in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_lazy_getattr_loads_once_into_the_namespace():
    namespace: dict[str, object] = {}
    getattr_ = lazy_getattr("pkg", {"sqrt": "math"}, namespace)
    import math

    assert getattr_("sqrt") is math.sqrt
    assert namespace == {"sqrt": math.sqrt}
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'cos'"):
        getattr_("cos")
