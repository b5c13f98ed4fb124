"""The report's figures: disparity charts, the intersection heat map and the SHAP charts.

Each function returns what the template shows: the chart as a data URI, its caption and alt
text from the catalog.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fairgate.audit.report.catalog import Text
from fairgate.audit.report.sentences import rule_kinds

__all__ = ["disparity_figures", "heatmap_figure", "shap_figures"]

_CHART_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate")


def _label(group: dict[str, Any]) -> str:
    return " & ".join(str(v) for v in group.values())


def _band(metric: str, values: list[float], policy: dict[str, Any]) -> tuple[float, float] | None:
    """The range of a metric the policy's rules accept, given the groups' values."""
    from fairgate.audit.policy import DERIVED_METRICS

    if not values:
        return None
    for rule in rule_kinds(policy).values():
        if rule["kind"] not in ("ratio", "difference"):
            continue
        rates = DERIVED_METRICS.get(str(rule["metric"]), (str(rule["metric"]),))
        if metric not in rates:
            continue
        if rule["kind"] == "ratio":
            return (float(rule["min"]) * max(values), max(values))
        return (max(values) - float(rule["max"]), max(values))
    return None


def _legend(t: Text) -> dict[str, str]:
    return {"band": t("chart_legend_band"), "small": t("chart_legend_small")}


def disparity_figures(result: Any, t: Text) -> list[dict[str, Any]]:
    """A bar chart per single attribute and metric, with intervals and the accepted band."""
    from fairgate.audit.report.charts import disparity_chart

    figures = []
    for key, rep in result.reports.items():
        if len(rep["attributes"]) != 1:
            continue
        groups = [g for g in rep["groups"] if sum(g["counts"].values()) > 0]
        for m in _CHART_METRICS:
            vals = [g["metrics"].get(m) for g in groups]
            ok = [
                v
                for g, v in zip(groups, vals, strict=True)
                if v is not None and not g["insufficient"]
            ]
            uri = disparity_chart(
                [_label(g["group"]) for g in groups],
                vals,
                [g["ci_low"].get(m) for g in groups],
                [g["ci_high"].get(m) for g in groups],
                _band(m, ok, result.policy),
                [bool(g["insufficient"]) for g in groups],
                _legend(t),
            )
            figures.append(
                {
                    "uri": uri,
                    "caption": t("chart_caption", metric=t.metric(m), attribute=key),
                    "alt": t("chart_alt", metric=t.metric(m), attribute=key),
                }
            )
    return figures


def heatmap_figure(result: Any, t: Text) -> dict[str, Any] | None:
    """The selection rate of every combination of the first pair of attributes."""
    from fairgate.audit.report.charts import heatmap

    pair = next((r for r in result.reports.values() if len(r["attributes"]) == 2), None)
    if pair is None:
        return None
    first, second = pair["attributes"]
    rows = list(dict.fromkeys(str(g["group"][first]) for g in pair["groups"]))
    cols = list(dict.fromkeys(str(g["group"][second]) for g in pair["groups"]))
    matrix = np.full((len(rows), len(cols)), np.nan)
    small = np.zeros((len(rows), len(cols)), dtype=bool)
    for g in pair["groups"]:
        i, j = rows.index(str(g["group"][first])), cols.index(str(g["group"][second]))
        v = g["metrics"].get("selection_rate")
        if v is not None and sum(g["counts"].values()) > 0:
            matrix[i, j] = v
            small[i, j] = bool(g["insufficient"])
    return {
        "uri": heatmap(matrix, rows, cols, small=small, legend=_legend(t)),
        "caption": t("heatmap_caption", first=first, second=second),
        "alt": t("heatmap_alt", first=first, second=second),
    }


def _importance(raw: Any) -> dict[str, float]:
    if isinstance(raw, dict):
        return {str(k): float(v) for k, v in raw.items() if v is not None}
    return {}


def shap_figures(result: Any, t: Text) -> dict[str, Any] | None:
    """The global importance bar chart and one heat map per attribute of per-group importance."""
    from fairgate.audit.report.charts import bar_chart, heatmap

    exp = result.explanation
    if not exp:
        return None
    glob = _importance(exp.get("global_importance"))
    if not glob:
        return None
    out: dict[str, Any] = {
        "global": {
            "uri": bar_chart(list(glob), list(glob.values())),
            "caption": t("shap_global_caption"),
            "alt": t("shap_global_alt"),
        },
        "groups": [],
    }
    feats = list(glob)
    for attr, table in (exp.get("group_importance") or {}).items():
        if not isinstance(table, dict) or not table:
            continue
        groups = list(table)
        matrix = np.array([[table[g].get(f, np.nan) for f in feats] for g in groups], float)
        out["groups"].append(
            {
                "uri": heatmap(matrix, [str(g) for g in groups], feats, "{:.3f}"),
                "caption": t("shap_group_caption", attribute=attr),
                "alt": t("shap_group_alt", attribute=attr),
            }
        )
    return out
