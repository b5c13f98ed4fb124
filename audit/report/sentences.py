"""The verdict in words: each rule result as a sentence from the catalog, and the headline.

A rule result (``AuditResult.verdict["rules"]``) carries its id, outcome, value, threshold,
attributes and the groups involved; its kind and metric come from the policy recorded with the
audit. Each is told as one plain sentence in the report's language (who got what, against
which limit), titled with the policy's own description when it is written in that language
and with the catalog's description of the rule otherwise. No rule id reaches the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fairgate.audit.report.catalog import Text

__all__ = ["RuleLine", "headline", "rule_kinds", "rule_lines"]

_BUILTIN_KINDS = {"group_size": "group_size", "prohibited_variable": "prohibited", "proxy": "proxy"}
"""Ids of the checks the policy engine adds when the policy has no rule of their kind."""

_PROXY_OF = re.compile(r"^(?P<feature>.+) \(proxy of (?P<attribute>.+)\)$")


@dataclass(frozen=True)
class RuleLine:
    """One rule result, told in words.

    Attributes
    ----------
    kind : str
        ``ratio``, ``difference``, ``group_size``, ``prohibited``, ``proxy``, ``flip``,
        ``representation`` or ``explainability``.
    outcome : str
    title : str
        What the rule asks (the policy's description, or the catalog's).
    attributes : str
        The attribute set judged, joined with " × " (empty for checks on the whole model).
    sentence : str
        What was measured, in plain words with the numbers.
    matters : str
        Why the rule matters under the policy.
    reason : str
        A short phrase for the headline ("it takes prohibited variables as input").
    key : tuple
        ``(rule id, attributes)``: matches the same rule in another audit.
    value : float or None
    shown : str
        The value as the rule's kind reads it (a count, a share, a ratio).
    """

    kind: str
    outcome: str
    title: str
    attributes: str
    sentence: str
    matters: str
    reason: str
    key: tuple[str, str]
    value: float | None
    shown: str


def rule_kinds(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Rule id -> the policy's rule (with its ``kind``), built-in checks included."""
    out: dict[str, dict[str, Any]] = {k: {"kind": v} for k, v in _BUILTIN_KINDS.items()}
    for rule in policy.get("rules") or []:
        out[str(rule["id"])] = dict(rule)
    explain = policy.get("explainability")
    if explain:
        out[str(explain.get("id", "explainability"))] = {**explain, "kind": "explainability"}
    return out


def _label(group: dict[str, Any]) -> str:
    return " & ".join(str(v) for v in group.values())


def _extremes(
    report: dict[str, Any], rates: tuple[str, ...], kind: str, value: float
) -> tuple[str, str, float, str, float] | None:
    """The rate, lowest and highest included group of the rate that gave ``value``."""
    best = None
    for rate in rates:
        pts = [
            (_label(g["group"]), float(g["metrics"][rate]))
            for g in report["groups"]
            if not g["insufficient"]
            and g["metrics"].get(rate) is not None
            and sum(g["counts"].values()) > 0
        ]
        if len(pts) < 2:
            continue
        lo = min(pts, key=lambda p: p[1])
        hi = max(pts, key=lambda p: p[1])
        stat = lo[1] / hi[1] if kind == "ratio" and hi[1] > 0 else hi[1] - lo[1]
        gap = abs(stat - value)
        if best is None or gap < best[0]:
            best = (gap, (rate, lo[0], lo[1], hi[0], hi[1]))
    return None if best is None else best[1]


def _metric_sentence(t: Text, r: dict[str, Any], rule: dict[str, Any], report: Any) -> str:
    from fairgate.audit.policy import DERIVED_METRICS

    metric = str(rule["metric"])
    attrs = " × ".join(r["attributes"])
    if r["value"] is None or report is None:
        return t("sent_unmeasured", attributes=attrs)
    rates = DERIVED_METRICS.get(metric, (metric,))
    found = _extremes(report, rates, rule["kind"], float(r["value"]))
    if found is None:
        return t("sent_unmeasured", attributes=attrs)
    rate, lo_name, lo, hi_name, hi = found
    key = "sent_ratio" if rule["kind"] == "ratio" else "sent_difference"
    return t(
        key,
        metric=t.rate(rate),
        low_group=lo_name,
        low=t.num(lo),
        high_group=hi_name,
        high=t.num(hi),
        value=t.num(r["value"]),
        threshold=t.num(r["threshold"], 2),
    )


def _categories(result: Any) -> dict[str, str]:
    found = (result.detectors or {}).get("prohibited") or []
    return {str(f["feature"]): str(f["category"]) for f in found if f.get("category")}


def _sentence(t: Text, r: dict[str, Any], rule: dict[str, Any], result: Any) -> str:
    kind, outcome, value = rule["kind"], r["outcome"], r["value"]
    groups = [str(g) for g in r.get("groups_involved") or []]
    attrs = " × ".join(r["attributes"])
    if kind in ("ratio", "difference"):
        report = result.reports.get(" x ".join(r["attributes"]))
        return _metric_sentence(t, r, rule, report)
    if kind == "group_size":
        if not groups:
            return t("sent_group_size_ok", attributes=attrs, min=t.num(int(r["threshold"])))
        return t(
            "sent_group_size_small",
            n=t.num(len(groups)),
            attributes=attrs,
            min=t.num(int(r["threshold"])),
            groups=t.join(groups),
        )
    if kind == "prohibited":
        if groups:
            cats = _categories(result)
            named = [
                t("feature_category", feature=g, category=t.category(cats[g])) if g in cats else g
                for g in groups
            ]
            return t("sent_prohibited_used", n=t.num(len(groups)), groups=t.join(named))
        if outcome == "warn":
            return t("sent_prohibited_unchecked")
        return t("sent_prohibited_none")
    if kind == "proxy":
        if value is None:
            return t("sent_proxy_unmeasured")
        if groups:
            return t(
                "sent_proxy_found",
                n=t.num(len(groups)),
                value=t.num(value, 2),
                threshold=t.num(r["threshold"], 2),
                groups=t.join(groups),
            )
        return t("sent_proxy_none", value=t.num(value, 2), threshold=t.num(r["threshold"], 2))
    if kind == "flip":
        if value is None:
            return t("sent_flip_none" if outcome == "pass" else "sent_flip_unmeasured")
        text = t("sent_flip", attribute=attrs, value=t.pct(value), threshold=t.pct(r["threshold"]))
        if groups:
            text += t("sent_flip_pairs", groups=t.join(groups))
        return text
    if kind == "representation":
        if value is None:
            return t("sent_representation_unmeasured")
        if groups:
            return t("sent_representation_off", attribute=attrs, groups=t.join(groups))
        return t("sent_representation_ok", attribute=attrs)
    if value is None:
        return t("sent_explain_none")
    if groups:
        named = []
        for g in groups:
            m = _PROXY_OF.match(g)
            named.append(t("proxy_of", **m.groupdict()) if m else g)
        return t(
            "sent_explain_over",
            groups=t.join(named),
            value=t.pct(value),
            threshold=t.pct(r["threshold"]),
        )
    return t("sent_explain_ok", value=t.pct(value), threshold=t.pct(r["threshold"]))


def _title(t: Text, rule: dict[str, Any]) -> str:
    own = rule.get("description")
    if t.in_language(own):
        return str(own)
    kind = rule["kind"]
    if kind == "ratio":
        return t("rule_kind_ratio", metric=t.rate(rule["metric"]), threshold=t.num(rule["min"], 2))
    if kind == "difference":
        return t(
            "rule_kind_difference", metric=t.rate(rule["metric"]), threshold=t.num(rule["max"], 2)
        )
    return t(f"rule_kind_{kind}")


def _reason(t: Text, rule: dict[str, Any]) -> str:
    kind = rule["kind"]
    if kind in ("ratio", "difference"):
        return t("reason_metric", metric=t.rate(rule["metric"]))
    return t(f"reason_{kind}")


def _shown(t: Text, kind: str, value: float | None) -> str:
    if value is None:
        return t("not_available")
    if kind in ("group_size", "prohibited"):
        return t.num(round(value))
    if kind in ("flip", "explainability"):
        return t.pct(value)
    return t.num(value)


def rule_lines(result: Any, t: Text) -> list[RuleLine]:
    """Every rule result of ``result`` told in words, in the verdict's order."""
    kinds = rule_kinds(result.policy)
    lines = []
    for r in result.verdict.get("rules", []):
        rule = kinds[str(r["rule_id"])]
        lines.append(
            RuleLine(
                kind=rule["kind"],
                outcome=str(r["outcome"]),
                title=_title(t, rule),
                attributes=" × ".join(r["attributes"]),
                sentence=_sentence(t, r, rule, result),
                matters=t(f"matters_{rule['kind']}"),
                reason=_reason(t, rule),
                key=(str(r["rule_id"]), " x ".join(r["attributes"])),
                value=r["value"],
                shown=_shown(t, rule["kind"], r["value"]),
            )
        )
    return lines


def headline(outcome: str, lines: list[RuleLine], policy: str, t: Text) -> str:
    """The first sentence of the report: the verdict and its real reasons."""
    if outcome == "pass":
        return t("headline_pass", policy=policy)
    reasons = list(dict.fromkeys(line.reason for line in lines if line.outcome == outcome))
    return t(f"headline_{outcome}", policy=policy, reasons=t.join(reasons))
