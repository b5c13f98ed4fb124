"""The report's section of the model's kind: tables and charts from the audit result's ``kinds``.

Regression: a per-group error table and the error distribution chart; multiclass: the groups'
confusion heat maps as small multiples on one colour scale; scores: AUC and calibration per
group (no calibration for raw scores, and the report says so), a reliability chart
(probabilities), a threshold sweep chart and the ranking audit at the top k (saying whether k is
the filing's or the rows the threshold selects). Every word comes from the catalog.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fairgate.audit.report.catalog import Text

__all__ = ["kind_section"]

_ERROR_METRICS = ("mean_error", "mean_absolute_error", "root_mean_squared_error")


def _group_label(group: dict[str, Any]) -> str:
    return " & ".join(str(v) for v in group.values())


def _fmt(t: Text, value: Any, digits: int = 3) -> str:
    return "—" if value is None else t.num(value, digits)


def _regression(result: Any, detail: dict[str, Any], t: Text) -> list[dict[str, Any]]:
    from fairgate.audit.report.kind_charts import error_distribution_chart

    blocks = []
    for attr, entry in detail["by_attribute"].items():
        rep = result.reports.get(attr, {})
        rows = [
            {
                "label": _group_label(g["group"]),
                "cells": [t.num(int(g["counts"].get("n", 0)))]
                + [_fmt(t, g["metrics"].get(m)) for m in _ERROR_METRICS],
            }
            for g in rep.get("groups", [])
            if g["counts"].get("n", 0) > 0
        ]
        groups = [(g["group"], g["hist"]) for g in entry["groups"]]
        words = {"x": t("kind_error_axis"), "y": t("kind_share_axis")}
        blocks.append(
            {
                "tables": [
                    {
                        "caption": t("kind_error_table_caption", attribute=attr),
                        "headers": [
                            t("metric_count"),
                            t("kind_col_mean_error"),
                            t("kind_col_mae"),
                            t("kind_col_rmse"),
                        ],
                        "rows": rows,
                    }
                ],
                "figures": [
                    {
                        "uri": error_distribution_chart(entry["edges"], groups, words),
                        "caption": t("kind_error_chart_caption", attribute=attr),
                        "alt": t("kind_error_chart_alt", attribute=attr),
                    }
                ],
            }
        )
    return blocks


def _multiclass(detail: dict[str, Any], t: Text) -> list[dict[str, Any]]:
    from fairgate.audit.report.charts import scale_range
    from fairgate.audit.report.kind_charts import confusion_panels_chart

    blocks = []
    for attr, entry in detail["by_attribute"].items():
        classes = entry["classes"]
        panels = []
        for g in entry["groups"]:
            m = np.asarray(g["matrix"], dtype=np.float64)
            totals = m.sum(axis=1, keepdims=True)
            shares = np.divide(m, totals, out=np.full_like(m, np.nan), where=totals > 0)
            title = t("kind_confusion_panel_title", group=g["group"], n=t.num(int(m.sum())))
            panels.append((title, shares))
        if not panels:
            continue
        low, high = scale_range(np.stack([p for _, p in panels]))
        words = {
            "x": t("kind_predicted_class"),
            "y": t("kind_true_class"),
            "scale": t("kind_confusion_scale"),
        }
        groups = t.join(g["group"] for g in entry["groups"])
        figure = {
            "uri": confusion_panels_chart(panels, classes, (low, high), words),
            "caption": t("kind_confusion_panels_caption", attribute=attr),
            "alt": t(
                "kind_confusion_panels_alt",
                attribute=attr,
                groups=groups,
                low=t.num(low, 2),
                high=t.num(high, 2),
            ),
        }
        blocks.append({"tables": [], "figures": [figure]})
    return blocks


def _scores(detail: dict[str, Any], t: Text) -> list[dict[str, Any]]:
    from fairgate.audit.report.kind_charts import reliability_chart, threshold_sweep_chart

    threshold = float(detail["threshold"])
    k = int(detail["k"])
    blocks = []
    for attr, entry in detail["by_attribute"].items():
        groups = entry["groups"]
        ece = entry.get("ece") or [None] * len(groups)
        quality = {
            "caption": t("kind_auc_caption", attribute=attr),
            "headers": [t("kind_col_auc"), t("kind_col_auc_bound"), t("kind_col_ece")],
            "rows": [
                {"label": g, "cells": [_fmt(t, a), _fmt(t, b, 4), _fmt(t, e)]}
                for g, a, b, e in zip(groups, entry["auc"], entry["auc_bound"], ece, strict=True)
            ],
        }
        figures = []
        if "reliability" in entry:
            rel = entry["reliability"]
            words = {
                "x": t("kind_reliability_x"),
                "y": t("kind_reliability_y"),
                "diagonal": t("kind_diagonal"),
            }
            figures.append(
                {
                    "uri": reliability_chart(groups, rel["mean_score"], rel["observed"], words),
                    "caption": t("kind_reliability_caption", attribute=attr),
                    "alt": t("kind_reliability_alt", attribute=attr),
                }
            )
        sweep = entry["sweep"]
        panels = [(t.metric(m), sweep[m]) for m in sweep]
        words = {"x": t("kind_sweep_x"), "threshold": t("kind_threshold_legend")}
        shown = t.num(threshold, 3)
        figures.append(
            {
                "uri": threshold_sweep_chart(
                    detail["thresholds"], groups, panels, threshold, words
                ),
                "caption": t("kind_sweep_caption", attribute=attr, threshold=shown),
                "alt": t("kind_sweep_alt", attribute=attr),
            }
        )
        ranking = {
            "caption": t("kind_ranking_caption", attribute=attr, k=t.num(k)),
            "headers": [
                t("metric_count"),
                t("kind_col_top_k", k=t.num(k)),
                t("kind_col_share_pool"),
                t("kind_col_share_top", k=t.num(k)),
                t("kind_col_share_ratio", k=t.num(k)),
                t("kind_col_exposure_ratio"),
            ],
            "rows": [
                {
                    "label": r["group"],
                    "cells": [
                        t.num(r["count"]),
                        t.num(r["top_k"]),
                        t.pct(r["share_of_pool"]),
                        t.pct(r["share_of_top_k"]),
                        _fmt(t, r["top_k_share_ratio"], 2),
                        _fmt(t, r["exposure_ratio"], 2),
                    ],
                }
                for r in entry["ranking"]
            ],
        }
        blocks.append({"tables": [quality, ranking], "figures": figures})
    return blocks


def kind_section(result: Any, t: Text) -> dict[str, Any] | None:
    """The section of the model's kind (None for 0/1 decisions).

    Parameters
    ----------
    result : AuditResult
        Its ``kinds`` detail and ``reports``.
    t : Text
        The catalog of the report's language.

    Returns
    -------
    dict or None
        ``heading``, ``intro`` (a list of paragraphs) and ``blocks`` (``tables`` and
        ``figures``).
    """
    detail = getattr(result, "kinds", None) or {}
    kind = detail.get("kind")
    if kind == "regression":
        return {
            "heading": t("kind_regression_heading"),
            "intro": [t("kind_regression_intro")],
            "blocks": _regression(result, detail, t),
        }
    if kind == "multiclass":
        return {
            "heading": t("kind_multiclass_heading"),
            "intro": [t("kind_multiclass_intro")],
            "blocks": _multiclass(detail, t),
        }
    if kind == "scores":
        shown = t.num(float(detail["threshold"]), 3)
        intro = [
            t("kind_scores_intro_raw", threshold=shown)
            if detail["raw"]
            else t("kind_scores_intro_probabilities", threshold=shown)
        ]
        k = t.num(int(detail["k"]))
        filed = (getattr(result, "filing", None) or {}).get("top_k") is not None
        intro.append(
            t("kind_top_k_filed", k=k) if filed else t("kind_top_k_threshold", k=k, threshold=shown)
        )
        return {
            "heading": t("kind_scores_heading", k=t.num(int(detail["k"]))),
            "intro": intro,
            "blocks": _scores(detail, t),
        }
    return None
