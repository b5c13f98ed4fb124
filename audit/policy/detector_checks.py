"""Policy checks on detector and explanation evidence: prohibited inputs, proxies, flips, ..."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fairgate.audit.policy.rules import ExplainRule, MetricRule
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import AuditEvidence, RuleResult, finite, rule_result

if TYPE_CHECKING:
    from fairgate.detectors import FlipResult

__all__ = [
    "explain_result",
    "flip_results",
    "prohibited_result",
    "proxy_result",
    "proxy_threshold",
    "representation_results",
]


def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[^0-9a-z]+", str(name).lower()) if t}


def _banned(policy: Policy) -> set[str]:
    return {p.lower() for p in policy.prohibited}


def _prohibited_inputs(policy: Policy, ev: AuditEvidence) -> dict[str, str]:
    """Inputs the policy prohibits -> why (their category or "named in the policy")."""
    banned = _banned(policy)
    inputs = [str(f) for f in ev.features]
    used: dict[str, str] = {}
    for finding in ev.prohibited:
        feature = finding.feature
        category = finding.category or ""
        flagged = (
            feature.lower() in banned
            or category.lower() in banned
            or (bool(banned) and finding.prohibited)
        )
        if flagged and (not inputs or feature in inputs):
            evidence = finding.evidence
            used[feature] = f"{category}: {evidence}" if evidence else category
    for feature in inputs:
        if feature.lower() in banned:
            used.setdefault(feature, "named in the policy")
    return used


def prohibited_result(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> RuleResult:
    """The model takes no prohibited variable as input."""
    used = _prohibited_inputs(policy, ev)
    names = sorted(used)
    if names:
        params = {
            "count": len(names),
            "inputs": [f"{n} ({used[n].split(':')[0]})" for n in names],
            "features": names,
        }
        return rule_result(
            rule,
            rule.severity,
            "prohibited.used",
            params,
            value=len(names),
            threshold=0,
            groups_involved=names,
        )
    by_category = [p for p in policy.prohibited if p not in {str(f) for f in ev.features}]
    if ev.proxies is None and not ev.prohibited and by_category:
        return rule_result(
            rule,
            "warn",
            "prohibited.name_only",
            {"categories": by_category},
            value=0,
            threshold=0,
        )
    if policy.prohibited:
        return rule_result(
            rule,
            "pass",
            "prohibited.none",
            {"prohibited": list(policy.prohibited)},
            value=0,
            threshold=0,
        )
    return rule_result(rule, "pass", "prohibited.none_listed", {}, value=0, threshold=0)


def _attribute_prohibited(policy: Policy, ev: AuditEvidence, attribute: str) -> bool:
    banned = _banned(policy)
    if attribute.lower() in banned or _tokens(attribute) & banned:
        return True
    if str(ev.categories.get(attribute, "")).lower() in banned:
        return True
    return any(
        f.feature == attribute and (f.category or "").lower() in banned for f in ev.prohibited
    )


def _flagged_proxies(ev: AuditEvidence, threshold: float) -> list[tuple[list[str], str, float]]:
    out = []
    for finding in ev.proxies.findings if ev.proxies is not None else ():
        score = finite(finding.score)
        if score is None or score < threshold:
            continue
        out.append(([str(f) for f in finding.features], finding.attribute, score))
    return out


def proxy_threshold(policy: Policy) -> float:
    """The score at which an input is a proxy: the proxy rule's ``max``, else the policy's.

    The proxy rule and the explainability rule both use it, so they name the same proxies.
    """
    for rule in policy.rules:
        if rule.kind == "proxy" and rule.max is not None:
            return float(rule.max)
    return float(policy.proxy_threshold)


def _show(items: list[tuple[list[str], str, float]]) -> list[str]:
    return [f"{' + '.join(f)} → {a} ({s:.2f})" for f, a, s in items[:6]]


def proxy_result(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> RuleResult:
    """No input predicts a prohibited attribute above the threshold."""
    threshold = policy.proxy_threshold if rule.max is None else rule.max
    if ev.proxies is None:
        return rule_result(rule, "warn", "proxy.not_run", {}, threshold=threshold)
    flagged = _flagged_proxies(ev, threshold)
    worst = [f for f in flagged if _attribute_prohibited(policy, ev, f[1])]
    other = [f for f in flagged if f not in worst]
    if worst:
        outcome, code, shown = rule.severity, "proxy.prohibited", worst
    elif other:
        outcome, code, shown = "warn", "proxy.sensitive", other
    else:
        outcome, code, shown = "pass", "proxy.none", []
    params: dict[str, Any] = {"threshold": threshold}
    if shown:
        params.update(count=len(shown), proxies=_show(shown))
    scores = [s for _, _, s in flagged] or [
        s for s in (finite(f.score) for f in ev.proxies.findings) if s is not None
    ]
    return rule_result(
        rule,
        outcome,
        code,
        params,
        value=max(scores) if scores else None,
        threshold=threshold,
        groups_involved=[f"{' + '.join(f)} → {a}" for f, a, _ in worst + other],
    )


# ------------------------------------------------------------------- flips, representation
def _names(attributes: list[str | list[str]] | None) -> set[str] | None:
    if attributes is None:
        return None
    return {a for item in attributes for a in ([item] if isinstance(item, str) else item)}


def _flip_result(policy: Policy, rule: MetricRule, flip: FlipResult, limit: float) -> RuleResult:
    """One attribute's flip test, judged on its worst group pair with enough rows."""
    attr = flip.attribute
    pooled = finite(flip.rate)
    n = int(flip.n)
    if pooled is None or n == 0:
        return rule_result(
            rule,
            "warn",
            "flip.not_measured",
            {"attribute": attr},
            attributes=[attr],
            threshold=limit,
        )
    min_n = int(policy.min_group_size)
    pairs = [
        {
            "name": f"{p.from_group}→{p.to_group}",
            "from_group": str(p.from_group),
            "to_group": str(p.to_group),
            "n": int(p.n),
            "flips": int(p.flips),
            "rate": finite(p.rate) or 0.0,
            "ci_low": finite(p.ci_low),
            "ci_high": finite(p.ci_high),
        }
        for p in flip.pairs
    ]
    judged = [p for p in pairs if p["n"] >= min_n]
    small = [p["name"] for p in pairs if p["n"] < min_n]
    if not judged:
        params = {"attribute": attr, "min_n": min_n}
        return rule_result(
            rule, "warn", "flip.no_large_pair", params, attributes=[attr], threshold=limit
        )
    worst = max(judged, key=lambda p: (p["rate"], p["n"]))
    over = [p["name"] for p in sorted(judged, key=lambda p: -p["rate"]) if p["rate"] > limit]
    bad = worst["rate"] > limit
    near = not bad and worst["rate"] > limit - rule.warn_margin
    notes: list[dict[str, Any]] = [{"code": "note.pooled", "params": {"rate": pooled}}]
    if near:
        notes.append({"code": "note.warn_margin", "params": {"margin": rule.warn_margin}})
    if small:
        notes.append({"code": "note.small_pairs", "params": {"min_n": min_n, "pairs": small}})
    confidence = flip.confidence
    params = {
        "attribute": attr,
        "from_group": worst["from_group"],
        "to_group": worst["to_group"],
        "rate": worst["rate"],
        "flips": worst["flips"],
        "n": worst["n"],
        "confidence": confidence,
        "ci_low": worst["ci_low"] if worst["ci_low"] is not None else float("nan"),
        "ci_high": worst["ci_high"] if worst["ci_high"] is not None else float("nan"),
        "pairs": len(judged),
        "threshold": limit,
        "notes": notes,
    }
    return rule_result(
        rule,
        rule.severity if bad else ("warn" if near else "pass"),
        "flip.worst_pair",
        params,
        attributes=[attr],
        value=worst["rate"],
        threshold=limit,
        groups_involved=over if bad else ([worst["name"]] if near else []),
    )


def flip_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """Decisions do not change when only a sensitive input changes, for any group pair."""
    wanted = _names(rule.attributes)
    limit = float(rule.max or 0.0)
    out = [
        _flip_result(policy, rule, flip, limit)
        for flip in ev.flips
        if wanted is None or flip.attribute in wanted
    ]
    if out:
        return out
    single = {k[0] for k in ev.reports if len(k) == 1}
    inputs = sorted(single & {str(f) for f in ev.features})
    if wanted is not None:
        inputs = [a for a in inputs if a in wanted]
    if ev.proxies is None or inputs:
        code = "flip.detectors_not_run" if ev.proxies is None else "flip.no_result"
        params = {"inputs": inputs or ["the sensitive inputs"]}
        return [rule_result(rule, "warn", code, params, attributes=inputs, threshold=limit)]
    return [rule_result(rule, "pass", "flip.no_sensitive_input", {}, threshold=limit)]


def representation_results(rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """The audit data's group shares match the reference population."""
    items = list(ev.representation)
    if not items:
        return [rule_result(rule, "warn", "representation.not_run", {})]
    wanted = _names(rule.attributes)
    out = []
    for item in items:
        attr = item.attribute
        if wanted is not None and attr not in wanted:
            continue
        flagged = []
        for g in item.groups:
            if g.flagged:
                share, ref = finite(g.share), finite(g.reference)
                shown = (
                    f" ({share:.1%} vs {ref:.1%})" if share is not None and ref is not None else ""
                )
                flagged.append((str(g.group), shown))
        p_value = finite(item.p_value)
        alpha = finite(item.alpha)
        notes = (
            [] if p_value is None else [{"code": "note.p_value", "params": {"p_value": p_value}}]
        )
        if flagged:
            code = "representation.differs"
            params: dict[str, Any] = {
                "attribute": attr,
                "groups": [f"{g}{s}" for g, s in flagged],
                "notes": notes,
            }
        else:
            code, params = "representation.matches", {"attribute": attr, "notes": notes}
        out.append(
            rule_result(
                rule,
                rule.severity if flagged else "pass",
                code,
                params,
                attributes=[attr],
                value=p_value,
                threshold=alpha,
                groups_involved=[g for g, _ in flagged],
            )
        )
    return out


# ----------------------------------------------------------------------------- explanation
def _weighed(policy: Policy, ev: AuditEvidence) -> dict[tuple[str, ...], str]:
    """Inputs the explainability rule weighs -> their label.

    Prohibited or declared sensitive inputs, and every proxy the proxy rule names (at the same
    threshold).
    """
    features = {str(f) for f in ev.features}
    out: dict[tuple[str, ...], str] = {}
    for name, why in _prohibited_inputs(policy, ev).items():
        out[(name,)] = f"{name} (prohibited: {why.split(':')[0]})"
    for key in ev.reports:
        if len(key) == 1 and str(key[0]) in features:
            out.setdefault((str(key[0]),), f"{key[0]} (sensitive)")
    if ev.proxies is not None:
        for feats, attr, _ in _flagged_proxies(ev, proxy_threshold(policy)):
            out.setdefault(tuple(feats), f"{' + '.join(feats)} (proxy of {attr})")
    return out


def explain_result(policy: Policy, rule: ExplainRule, ev: AuditEvidence) -> RuleResult:
    """Decisions are explained, and not by sensitive or prohibited inputs or their proxies."""
    exp, limit = ev.explanation, rule.max_sensitive_share
    if exp is None or not exp.global_importance:
        notes: list[dict[str, Any]] = []
        if not rule.required:
            notes.append({"code": "note.not_required", "params": {}})
            return rule_result(rule, "pass", "explain.missing", {"notes": notes}, threshold=limit)
        return rule_result(
            rule, rule.severity, "explain.missing", {"notes": notes}, threshold=limit
        )
    importance = {
        str(k): float(v) for k, v in exp.global_importance.items() if finite(v) is not None
    }
    total = sum(importance.values())

    def share(features: tuple[str, ...]) -> float:
        return sum(importance.get(f, 0.0) for f in features) / total if total > 0 else 0.0

    shares = {label: share(feats) for feats, label in _weighed(policy, ev).items()}
    ran = {"method": exp.method, "n": int(exp.n_explained)}
    if not shares:
        return rule_result(
            rule, "pass", "explain.nothing_to_weigh", ran, value=0.0, threshold=limit
        )
    over = sorted((k for k, v in shares.items() if v > limit), key=lambda k: -shares[k])
    top = max(shares, key=lambda k: shares[k])
    params: dict[str, Any] = {**ran, "top": top, "share": shares[top], "limit": limit}
    if over:
        items = [f"{k} {shares[k]:.1%}" for k in over]
        params["notes"] = [{"code": "note.over_limit", "params": {"items": items}}]
    params["shares"] = {k: round(v, 6) for k, v in shares.items()}
    outcome = rule.severity if over else "pass"
    return rule_result(
        rule,
        outcome,
        "explain.share",
        params,
        value=shares[top],
        threshold=limit,
        groups_involved=over,
    )
