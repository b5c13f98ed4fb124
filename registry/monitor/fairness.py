"""Judging one breaker rule on a window: fairness gaps of 0/1 decisions, and rules of any kind.

A fairness rule on 0/1 decisions is judged with the very functions the audit uses
(:func:`fairgate.audit.core.metrics.metric_values`, ``difference``, ``ratio``,
``METRICS[...].parts`` and :func:`fairgate.audit.core.uncertainty.group_significance`); a rule
on another kind's window with :func:`.kind_rules.evaluate_counts`. See :mod:`.breaker` for when
a rule trips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fairgate.audit.core.vocabulary import compared_rates, needs_outcome
from fairgate.registry.monitor.evaluation import Evaluation, finite
from fairgate.registry.monitor.kind_rules import evaluate_counts
from fairgate.registry.monitor.kind_windows import KindWindow
from fairgate.registry.monitor.windows import Window, cells_for

__all__ = ["evaluate_fairness", "evaluate_kind", "rule_metrics", "severity"]


def rule_metrics(metric: str) -> tuple[str, ...]:
    """The rate metric(s) a breaker rule's ``metric`` names (criteria are expanded).

    Parameters
    ----------
    metric : str
        Any name of :data:`fairgate.audit.core.vocabulary.RULE_METRICS`, an alias (``tpr``, ...)
        or an aggregate such as ``demographic_parity_difference``.

    Returns
    -------
    tuple of str

    Raises
    ------
    ValidationError
        For a name the vocabulary does not know.
    """
    return compared_rates(metric)


def evaluate_fairness(rule: Any, window: Window, counts: np.ndarray) -> Evaluation:
    """Evaluate one fairness breaker rule on window counts of shape ``(G, 6)``.

    Parameters
    ----------
    rule : BreakerRule
        The rule (metric, kind, threshold, min_samples, alpha).
    window : Window
        For the group keys and the batch ids.
    counts : numpy.ndarray
        Window counts, shape ``(G, 6)``.

    Returns
    -------
    Evaluation
    """
    from fairgate.audit.core.metrics import METRICS, difference, metric_values, ratio
    from fairgate.audit.core.uncertainty import group_significance

    metrics = rule_metrics(rule.metric)
    kind = getattr(rule, "kind", "difference")
    cells = cells_for(counts, needs_outcome(rule.metric))
    keys = window.key_list()
    min_samples = int(getattr(rule, "min_samples", 30))
    alpha = float(getattr(rule, "alpha", 0.05))
    worst: Evaluation | None = None
    for metric in metrics:
        _, den = METRICS[metric].parts(cells)
        eligible = np.asarray(den) >= max(min_samples, 1)
        values = metric_values(metric, cells)
        base = {
            "rule": rule.id,
            "metric": metric,
            "kind": kind,
            "threshold": float(rule.threshold),
            "alpha": alpha,
            "min_samples": min_samples,
            "attributes": list(getattr(rule, "attributes", [])),
            "window": {"kind": window.kind, "size": window.size, "observations": int(counts.sum())},
            "batches": [window.first_batch, window.last_batch],
            "groups": [list(k) for k in keys],
            "counts": {"TP_FP_TN_FN": cells.tolist(), "raw_TP_FP_TN_FN_PU_NU": counts.tolist()},
            "values": [finite(v) for v in np.atleast_1d(values)],
            "eligible": eligible.tolist(),
        }
        if eligible.sum() < 2:
            ev = Evaluation(rule.id, "insufficient", evidence=base)
        else:
            fn = difference if kind == "difference" else ratio
            stat = float(fn(values, include=eligible))
            breach = stat > rule.threshold if kind == "difference" else stat < rule.threshold
            idx = np.flatnonzero(eligible)
            vals = np.asarray(values)[idx]
            hi, lo = int(idx[np.nanargmax(vals)]), int(idx[np.nanargmin(vals)])
            sig = group_significance(cells[[lo, hi]], metric, reference=1)
            p = float(sig.p_values[0])
            status = "trip" if breach and p < alpha else ("breach" if breach else "ok")
            base.update(
                statistic=finite(stat),
                p_value=finite(p),
                test=str(sig.tests[0]),
                compared=[list(keys[lo]), list(keys[hi])],
            )
            ev = Evaluation(rule.id, status, finite(stat), finite(p), base)
        if worst is None or severity(ev) > severity(worst):
            worst = ev
    assert worst is not None
    return worst


def severity(ev: Evaluation) -> int:
    """How bad an evaluation is: insufficient 0, ok 1, breach 2, trip 3."""
    return {"insufficient": 0, "ok": 1, "breach": 2, "trip": 3}[ev.status]


def evaluate_kind(rule: Any, window: KindWindow, counts: Any) -> Evaluation:
    """Evaluate a breaker rule on a window of any kind (see :mod:`.kind_rules`)."""
    status, stat, p, evidence = evaluate_counts(rule, counts, window.describe())
    evidence["batches"] = [window.first_batch, window.last_batch]
    return Evaluation(rule.id, status, stat, p, evidence)
