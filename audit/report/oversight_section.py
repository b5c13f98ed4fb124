"""The report's human-oversight section: the policy's rules in words and who they send to people."""

from __future__ import annotations

from typing import Any

from fairgate.audit.report.catalog import Text

__all__ = ["oversight_section"]

_LIMITS = {
    "min_review_share": "oversight_limit_min_review_share",
    "max_automated_adverse_share": "oversight_limit_max_automated_adverse_share",
    "max_override_rate": "oversight_limit_max_override_rate",
}
_GAPS = {
    "difference": "oversight_limit_max_override_gap_difference",
    "ratio": "oversight_limit_max_override_gap_ratio",
}
_INPUTS = {
    "score": "oversight_input_score",
    "decision": "oversight_input_decision",
    "probabilities": "oversight_input_probabilities",
    "groups": "oversight_input_groups",
}


def _values(t: Text, section: dict[str, Any]) -> str:
    parts = [str(v) for v in section.get("adverse_decisions") or []]
    if section.get("adverse_below") is not None:
        parts.append(t("oversight_adverse_below", value=t.num(section["adverse_below"], 2)))
    return t.join(parts)


def _condition(t: Text, cond: dict[str, Any], section: dict[str, Any]) -> str:
    parts = []
    if cond.get("score_band") is not None:
        threshold = t.num(section.get("threshold"), 2)
        parts.append(
            t("oversight_cond_score_band", band=t.num(cond["score_band"], 2), threshold=threshold)
        )
    if cond.get("low_confidence") is not None:
        parts.append(t("oversight_cond_low_confidence", value=t.num(cond["low_confidence"], 2)))
    adverse = cond.get("adverse")
    if adverse == "all":
        parts.append(t("oversight_cond_adverse_all", values=_values(t, section)))
    elif adverse is not None:
        parts.append(t("oversight_cond_adverse", values=t.join(map(str, adverse))))
    if cond.get("groups"):
        named = [f"{a} = {t.join(levels)}" for a, levels in cond["groups"].items()]
        parts.append(t("oversight_cond_groups", groups=t.join(named)))
    if cond.get("sample_rate") is not None:
        parts.append(t("oversight_cond_sample", rate=t.pct(cond["sample_rate"])))
    return t("oversight_condition", id=cond["id"], text=t("oversight_join").join(parts))


def _limits(t: Text, section: dict[str, Any]) -> list[str]:
    out = [
        t(key, value=t.pct(section[kind]))
        for kind, key in _LIMITS.items()
        if section.get(kind) is not None
    ]
    gap = section.get("max_override_gap")
    if gap:
        value = t.num(gap["threshold"], 2)
        out.append(t(_GAPS[gap["kind"]], value=value))
    if out:
        window = section.get("window") or {}
        out.append(
            t(
                "oversight_guard",
                size=t.num(int(window.get("size", 0))),
                min_samples=t.num(int(section.get("min_samples", 0))),
                alpha=t.num(section.get("alpha"), 3),
            )
        )
    return out


def _estimate(t: Text, counts: dict[str, Any]) -> dict[str, Any]:
    missing = counts.get("not_estimated")
    if missing is not None:
        what = missing.get("missing", "decision")
        return {
            "note": t(
                "oversight_not_estimated",
                id=missing.get("condition", ""),
                what=t(_INPUTS[what]),
            ),
            "by_condition": [],
            "tables": [],
        }
    tables = []
    for attr, rows in (counts.get("groups") or {}).items():
        tables.append(
            {
                "caption": t("oversight_caption", attribute=attr),
                "rows": [
                    (r["group"], t.num(int(r["n"])), t.num(int(r["human"])), t.pct(r["share"]))
                    for r in rows
                ],
            }
        )
    return {
        "note": t(
            "oversight_estimate",
            rows=t.num(int(counts["rows"])),
            human=t.num(int(counts["human"])),
            share=t.pct(counts["share"]),
        ),
        "by_condition": [(k, t.num(int(v))) for k, v in counts["by_condition"].items()],
        "tables": tables,
    }


def oversight_section(result: Any, t: Text) -> dict[str, Any]:
    """What the template shows in the oversight section.

    Parameters
    ----------
    result : AuditResult
        The audit (its policy's ``oversight`` section and its ``oversight`` counts).
    t : Text
        The report's catalog.

    Returns
    -------
    dict
        ``none`` (a sentence, when the policy has no oversight section), else ``conditions``
        and ``limits`` (sentences) and ``estimate`` (a sentence, per-condition counts and one
        table per sensitive attribute), ``None`` when the audit has no counts.
    """
    section = result.policy.get("oversight")
    if not section:
        return {"none": t("oversight_none")}
    counts = getattr(result, "oversight", None)
    return {
        "none": None,
        "conditions": [_condition(t, c, section) for c in section.get("route_to_human") or []],
        "limits": _limits(t, section),
        "estimate": None if counts is None else _estimate(t, counts),
    }
