"""Policy checks on detector and explanation evidence: prohibited inputs, proxies, flips, ..."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fairgate.audit.policy.rules import ExplainRule, MetricRule
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import AuditEvidence, RuleResult, finite, get_field, rule_result

__all__ = [
    "explain_result",
    "flip_results",
    "prohibited_result",
    "proxy_result",
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
        feature = str(get_field(finding, "feature", ""))
        category = str(get_field(finding, "category", "") or "")
        flagged = (
            feature.lower() in banned
            or category.lower() in banned
            or (bool(banned) and bool(get_field(finding, "prohibited", False)))
        )
        if flagged and (not inputs or feature in inputs):
            evidence = get_field(finding, "evidence", "")
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
        listed = "; ".join(f"{n} ({used[n]})" for n in names)
        return rule_result(
            rule,
            rule.severity,
            f"the model takes {len(names)} prohibited variable(s) as input: {listed}",
            value=len(names),
            threshold=0,
            groups_involved=names,
        )
    by_category = [p for p in policy.prohibited if p not in {str(f) for f in ev.features}]
    if ev.proxies is None and not ev.prohibited and by_category:
        return rule_result(
            rule,
            "warn",
            "checked by column name only: the prohibited-variable detector did not run, so "
            f"inputs of the categories {', '.join(by_category)} may have been missed",
            value=0,
            threshold=0,
        )
    return rule_result(
        rule,
        "pass",
        "no prohibited variable among the model's inputs"
        + (f" (prohibited: {', '.join(policy.prohibited)})" if policy.prohibited else ""),
        value=0,
        threshold=0,
    )


def _attribute_prohibited(policy: Policy, ev: AuditEvidence, attribute: str) -> bool:
    banned = _banned(policy)
    if attribute.lower() in banned or _tokens(attribute) & banned:
        return True
    if str(ev.categories.get(attribute, "")).lower() in banned:
        return True
    return any(
        str(get_field(f, "feature", "")) == attribute
        and str(get_field(f, "category", "") or "").lower() in banned
        for f in ev.prohibited
    )


def _flagged_proxies(ev: AuditEvidence, threshold: float) -> list[tuple[list[str], str, float]]:
    out = []
    for finding in get_field(ev.proxies, "findings", None) or []:
        score = finite(get_field(finding, "score"))
        if score is None or score < threshold:
            continue
        feats = get_field(finding, "features", ()) or ()
        feats = [feats] if isinstance(feats, str) else [str(f) for f in feats]
        out.append((feats, str(get_field(finding, "attribute", "?")), score))
    return out


def proxy_result(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> RuleResult:
    """No input predicts a prohibited attribute above the threshold."""
    threshold = policy.proxy_threshold if rule.max is None else rule.max
    if ev.proxies is None:
        return rule_result(
            rule, "warn", "not measured: the proxy scan did not run", threshold=threshold
        )
    flagged = _flagged_proxies(ev, threshold)
    worst = [f for f in flagged if _attribute_prohibited(policy, ev, f[1])]
    other = [f for f in flagged if f not in worst]

    def show(items: list[tuple[list[str], str, float]]) -> str:
        return "; ".join(f"{' + '.join(f)} → {a} ({s:.2f})" for f, a, s in items[:6])

    if worst:
        outcome, why = (
            rule.severity,
            f"{len(worst)} input(s) predict a prohibited attribute with a score of "
            f"{threshold:g} or more: {show(worst)}",
        )
    elif other:
        outcome, why = (
            "warn",
            f"{len(other)} input(s) predict a sensitive attribute that the policy does not "
            f"prohibit with a score of {threshold:g} or more: {show(other)}",
        )
    else:
        outcome, why = "pass", f"no input predicts a sensitive attribute with {threshold:g} or more"
    scores = [s for _, _, s in flagged] or [
        s
        for s in (
            finite(get_field(f, "score")) for f in get_field(ev.proxies, "findings", None) or []
        )
        if s is not None
    ]
    return rule_result(
        rule,
        outcome,
        why,
        value=max(scores) if scores else None,
        threshold=threshold,
        groups_involved=[f"{' + '.join(f)} → {a}" for f, a, _ in worst + other],
    )


# ------------------------------------------------------------------- flips, representation
def _names(attributes: list[str | list[str]] | None) -> set[str] | None:
    if attributes is None:
        return None
    return {a for item in attributes for a in ([item] if isinstance(item, str) else item)}


def flip_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """Decisions do not change when only a sensitive input changes."""
    wanted = _names(rule.attributes)
    limit = float(rule.max or 0.0)
    out = []
    for flip in ev.flips:
        attr = str(get_field(flip, "attribute"))
        if wanted is not None and attr not in wanted:
            continue
        rate = finite(get_field(flip, "rate"))
        n = int(get_field(flip, "n", 0) or 0)
        if rate is None or n == 0:
            out.append(
                rule_result(
                    rule,
                    "warn",
                    f"not measured: no decision of {attr} could be flipped",
                    attributes=[attr],
                    threshold=limit,
                )
            )
            continue
        pairs = []
        for p in get_field(flip, "pairs", ()) or ():
            p_rate = finite(get_field(p, "rate"))
            if p_rate is not None and p_rate > limit:
                pairs.append((f"{get_field(p, 'from_group')}→{get_field(p, 'to_group')}", p_rate))
        bad = rate > limit
        near = not bad and rate > limit - rule.warn_margin
        why = (
            f"{rate:.1%} of {n:,} decisions change when only {attr} is changed "
            f"(maximum {limit:.1%})"
        )
        if pairs:
            why += "; " + ", ".join(f"{name} {r:.1%}" for name, r in pairs[:6])
        out.append(
            rule_result(
                rule,
                rule.severity if bad else ("warn" if near else "pass"),
                why,
                attributes=[attr],
                value=rate,
                threshold=limit,
                groups_involved=[name for name, _ in pairs] if (bad or near) else [],
            )
        )
    if out:
        return out
    single = {k[0] for k in ev.reports if len(k) == 1}
    inputs = sorted(single & {str(f) for f in ev.features})
    if wanted is not None:
        inputs = [a for a in inputs if a in wanted]
    if ev.proxies is None or inputs:
        reason = "the detectors did not run" if ev.proxies is None else "no flip test result"
        return [
            rule_result(
                rule,
                "warn",
                f"not measured: {reason} for {', '.join(inputs) or 'the sensitive inputs'}",
                attributes=inputs,
                threshold=limit,
            )
        ]
    return [
        rule_result(
            rule,
            "pass",
            "no sensitive attribute is a model input, so no decision can flip on it directly "
            "(proxies are judged by the proxy rule)",
            threshold=limit,
        )
    ]


def representation_results(rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """The audit data's group shares match the reference population."""
    raw = ev.representation
    items = raw if isinstance(raw, list | tuple) else ([] if raw is None else [raw])
    if not items:
        return [
            rule_result(
                rule,
                "warn",
                "not measured: the representation test did not run (it needs the detectors "
                "and reference_shares for an audited attribute)",
            )
        ]
    wanted = _names(rule.attributes)
    out = []
    for item in items:
        attr = str(get_field(item, "attribute", ""))
        if wanted is not None and attr not in wanted:
            continue
        flagged = []
        for g in get_field(item, "groups", ()) or ():
            if get_field(g, "flagged"):
                share, ref = finite(get_field(g, "share")), finite(get_field(g, "reference"))
                shown = (
                    f" ({share:.1%} vs {ref:.1%})" if share is not None and ref is not None else ""
                )
                flagged.append((str(get_field(g, "group")), shown))
        p_value = finite(get_field(item, "p_value"))
        alpha = finite(get_field(item, "alpha"))
        why = (
            f"group shares of {attr} differ from the reference: "
            + ", ".join(f"{g}{s}" for g, s in flagged)
            if flagged
            else f"group shares of {attr} match the reference population"
        )
        if p_value is not None:
            why += f" (chi-square p = {p_value:.3g})"
        out.append(
            rule_result(
                rule,
                rule.severity if flagged else "pass",
                why,
                attributes=[attr],
                value=p_value,
                threshold=alpha,
                groups_involved=[g for g, _ in flagged],
            )
        )
    return out


# ----------------------------------------------------------------------------- explanation
def explain_result(policy: Policy, rule: ExplainRule, ev: AuditEvidence) -> RuleResult:
    """Decisions are explained, and not by prohibited inputs or their proxies."""
    exp, limit = ev.explanation, rule.max_sensitive_share
    glob = get_field(exp, "global_importance", None) if exp is not None else None
    if not glob:
        reason = get_field(exp, "skipped", None) if isinstance(exp, Mapping) else None
        why = "no explanation of the model's decisions could be computed" + (
            f" ({reason})" if reason else ""
        )
        if not rule.required:
            return rule_result(
                rule, "pass", why + "; the policy does not require one", threshold=limit
            )
        return rule_result(rule, rule.severity, why, threshold=limit)
    importance = {str(k): float(v) for k, v in dict(glob).items() if finite(v) is not None}
    total = sum(importance.values())

    def share(features: list[str]) -> float:
        return sum(importance.get(f, 0.0) for f in features) / total if total > 0 else 0.0

    shares = {
        str(k): float(v)
        for k, v in dict(get_field(exp, "sensitive_share", None) or {}).items()
        if finite(v) is not None
    }
    for name in _prohibited_inputs(policy, ev):
        shares.setdefault(name, share([name]))
    if ev.proxies is not None:
        for feats, attr, _ in _flagged_proxies(ev, policy.proxy_threshold):
            shares.setdefault(f"{' + '.join(feats)} (proxy of {attr})", share(feats))
    n = get_field(exp, "n_explained", None)
    ran = f"explained with {get_field(exp, 'method', 'SHAP')}" + (
        f" on {n:,} rows" if isinstance(n, int) else ""
    )
    if not shares:
        why = f"{ran}; no sensitive or prohibited input and no detected proxy to weigh"
        return rule_result(rule, "pass", why, value=0.0, threshold=limit)
    over = sorted((k for k, v in shares.items() if v > limit), key=lambda k: -shares[k])
    top = max(shares, key=lambda k: shares[k])
    why = f"{ran}; {top} carries {shares[top]:.1%} of the total mean |SHAP| (limit {limit:.1%})"
    if over:
        why += f"; over the limit: {', '.join(f'{k} {shares[k]:.1%}' for k in over)}"
    outcome = rule.severity if over else "pass"
    return rule_result(rule, outcome, why, value=shares[top], threshold=limit, groups_involved=over)
