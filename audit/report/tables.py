"""The report's group tables: each metric per group, its interval, and its disparity.

Disparity is told as Aequitas does: each group's rate divided by the reference group's, for
the selection rate, the true and false positive rates, the false negative rate and precision;
a disparity outside [0.8, 1.25] is marked. When a previous audit of the same model is given,
each group's rates are shown beside that version's.
"""

from __future__ import annotations

from typing import Any

from fairgate.audit.report.catalog import Text

__all__ = ["DISPARITY_BAND", "TABLE_METRICS", "comparison_tables", "group_tables"]

TABLE_METRICS: tuple[str, ...] = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
)
"""Metrics of the group tables, in column order."""

DISPARITY_BAND: tuple[float, float] = (0.8, 1.25)
"""A disparity (group / reference) outside this range is marked (Aequitas's default band)."""


def _label(group: dict[str, Any]) -> str:
    return " & ".join(str(v) for v in group.values())


def _size(g: dict[str, Any]) -> int:
    return int(sum(g["counts"].values()))


def _reference(rep: dict[str, Any]) -> dict[str, Any] | None:
    ref = rep.get("reference")
    if ref is None:
        return None
    return next((g for g in rep["groups"] if [*g["group"].values()] == list(ref)), None)


def _cell(t: Text, g: dict[str, Any], ref: dict[str, Any] | None, metric: str) -> dict[str, Any]:
    value = g["metrics"].get(metric)
    lo, hi = g["ci_low"].get(metric), g["ci_high"].get(metric)
    cell: dict[str, Any] = {
        "value": t.num(value),
        "ci": "" if lo is None or hi is None else t("interval", low=t.num(lo), high=t.num(hi)),
        "disparity": "",
        "outside": False,
    }
    base = None if ref is None else ref["metrics"].get(metric)
    if value is not None and base:
        disparity = float(value) / float(base)
        cell["disparity"] = t("disparity_value", value=t.num(disparity, 2))
        cell["outside"] = not DISPARITY_BAND[0] <= disparity <= DISPARITY_BAND[1]
    return cell


def group_tables(result: Any, t: Text) -> list[dict[str, Any]]:
    """One table per attribute set: rows of groups, each metric with interval and disparity."""
    tables = []
    for key, rep in result.reports.items():
        ref = _reference(rep)
        rows = []
        for g in rep["groups"]:
            if _size(g) == 0:
                continue
            is_ref = ref is not None and g is ref
            note = [t("flag_insufficient")] if g["insufficient"] else []
            if is_ref:
                note.append(t("flag_reference"))
            rows.append(
                {
                    "label": _label(g["group"]),
                    "n": t.num(_size(g)),
                    "cells": [_cell(t, g, None if is_ref else ref, m) for m in TABLE_METRICS],
                    "note": t.join(note) if note else "",
                    "insufficient": bool(g["insufficient"]),
                    "reference": is_ref,
                }
            )
        tables.append(
            {
                "key": key,
                "caption": t(
                    "groups_table_caption",
                    attribute=key.replace(" x ", " × "),
                    reference=_label(ref["group"]) if ref else t("not_available"),
                ),
                "headers": [t.metric(m) for m in TABLE_METRICS],
                "rows": rows,
            }
        )
    return tables


def comparison_tables(result: Any, previous: Any, t: Text) -> list[dict[str, Any]]:
    """Per attribute set, each group's rates in this version and in ``previous``."""
    tables = []
    for key, rep in result.reports.items():
        before = {
            _label(g["group"]): g for g in (previous.reports.get(key) or {}).get("groups", [])
        }
        rows = []
        for g in rep["groups"]:
            if _size(g) == 0:
                continue
            old = before.get(_label(g["group"]))
            cells = []
            for m in TABLE_METRICS:
                now = g["metrics"].get(m)
                then = None if old is None else old["metrics"].get(m)
                change = None if now is None or then is None else float(now) - float(then)
                cells.append({"now": t.num(now), "then": t.num(then), "change": t.signed(change)})
            rows.append({"label": _label(g["group"]), "cells": cells})
        tables.append(
            {
                "caption": t(
                    "compare_table_caption",
                    attribute=key.replace(" x ", " × "),
                    previous=str(previous.filing.get("version")),
                ),
                "headers": [t.metric(m) for m in TABLE_METRICS],
                "rows": rows,
            }
        )
    return tables
