"""The written policy: load it (with clear errors) and judge an audit's evidence against it.

:func:`evaluate` gives one :class:`RuleResult` per rule and attribute set — pass, warn or fail —
with the measured value, the threshold, the groups involved and a plain-English sentence saying
why, and a :class:`Verdict` whose outcome is the worst of them. Groups under the policy's
``min_group_size`` are left out of ratios and differences (as :class:`GroupReport` decides) and
listed by the ``group_size`` check; a rule that cannot be measured (fewer than two groups large
enough, or its evidence missing) is a warning with the reason, never a silent pass.

Checks that run whatever the rules say: ``group_size`` (warn) and ``prohibited_variable``
(fail), and ``proxy`` (warn, at the policy's ``proxy_threshold``) when a proxy scan ran. A rule of
the same kind in the policy replaces the built-in check (its id, threshold and severity apply).
The schema and the loader live in :mod:`fairgate.audit.policy.schema` and are re-exported here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from fairgate.audit.core.metrics import difference, metric_values, ratio
from fairgate.audit.policy.schema import (
    DERIVED_METRICS,
    RULE_KINDS,
    RULE_METRICS,
    BreakerRule,
    DriftRule,
    ExplainRule,
    MetricRule,
    Policy,
    WindowSpec,
    builtin_policies,
    default_policy,
    load_policy,
    policy_json_schema,
)

__all__ = [
    "DERIVED_METRICS",
    "RULE_KINDS",
    "RULE_METRICS",
    "AuditEvidence",
    "BreakerRule",
    "DriftRule",
    "ExplainRule",
    "MetricRule",
    "Policy",
    "RuleResult",
    "Verdict",
    "WindowSpec",
    "builtin_policies",
    "default_policy",
    "evaluate",
    "load_policy",
    "policy_json_schema",
]

Outcome = Literal["pass", "warn", "fail"]
_ORDER = {"pass": 0, "warn": 1, "fail": 2}


# ---------------------------------------------------------------------------------- evidence
@dataclass
class AuditEvidence:
    """Everything an audit measured, as the policy engine reads it.

    Detector results may be the detectors' objects or their ``to_dict()`` forms (read by
    attribute or key).

    Attributes
    ----------
    reports : mapping of tuple of str to GroupReport
        One group report per attribute and intersection.
    features : sequence of str
        The model's input columns.
    prohibited : sequence
        Sensitive-variable findings with ``feature``, ``category``, ``prohibited``, ``evidence``.
    proxies : object, dict or None
        A proxy report with ``findings`` (``features``, ``attribute``, ``score``,
        ``above_threshold``); ``None`` when no proxy scan ran.
    flips : sequence
        Flip-test results (``attribute``, ``rate``, ``n``, ``pairs``).
    explanation : dict, Explanation or None
        The SHAP summary (``global_importance``, ``sensitive_share``, ``method``, ...).
    representation : object, list or None
        Representation test results (``attribute``, ``groups`` with ``flagged``, ``p_value``).
    categories : mapping of str to str
        Optional sensitive category of an attribute or column (e.g. ``{"colour":
        "ethnicity"}``), used to tell whether a proxy's attribute is prohibited when the
        attribute is not a model input (inputs get their category from ``prohibited``).
    """

    reports: Mapping[tuple[str, ...], Any]
    features: Sequence[str] = ()
    prohibited: Sequence[Any] = ()
    proxies: Any = None
    flips: Sequence[Any] = ()
    explanation: Any = None
    representation: Any = None
    categories: Mapping[str, str] = field(default_factory=dict)


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def _label(key: Any) -> str:
    return " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)


# ------------------------------------------------------------------------------------ verdict
@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule on one attribute set.

    Attributes
    ----------
    rule_id : str
    outcome : {"pass", "warn", "fail"}
    attributes : list of str
        The attribute set judged (empty for checks on the whole model).
    description : str
    value : float or None
        What was measured (None when it could not be).
    threshold : float or None
    groups_involved : list of str
        Groups (or features) that caused a warning or failure.
    why : str
        A sentence with the numbers.
    """

    rule_id: str
    outcome: str
    attributes: list[str]
    description: str
    value: float | None
    threshold: float | None
    groups_involved: list[str]
    why: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with exactly the fields above."""
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    """The policy's judgement of an audit: the worst outcome and every rule's result."""

    outcome: str
    rules: tuple[RuleResult, ...]
    policy: str

    def failing(self) -> list[RuleResult]:
        """The rules that fail."""
        return [r for r in self.rules if r.outcome == "fail"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``outcome``, ``policy`` and ``rules``."""
        return {
            "outcome": self.outcome,
            "policy": self.policy,
            "rules": [r.to_dict() for r in self.rules],
        }

    def to_frame(self) -> Any:
        """The rule results as a pandas DataFrame (one row per result)."""
        import pandas as pd

        columns = list(RuleResult.__dataclass_fields__)
        return pd.DataFrame([r.to_dict() for r in self.rules], columns=columns)


def _result(rule: Any, outcome: str, why: str, **fields: Any) -> RuleResult:
    value, threshold = fields.get("value"), fields.get("threshold")
    return RuleResult(
        rule_id=rule.id,
        outcome=outcome,
        attributes=[str(a) for a in fields.get("attributes", ())],
        description=rule.description or _description(rule),
        value=None if value is None else float(value),
        threshold=None if threshold is None else float(threshold),
        groups_involved=[str(g) for g in fields.get("groups_involved", ())],
        why=why,
    )


def _description(rule: Any) -> str:
    kind = getattr(rule, "kind", "explainability")
    if kind == "ratio":
        return f"{rule.metric} ratio between groups of at least {rule.min:g}"
    if kind == "difference":
        return f"{rule.metric} difference between groups of at most {rule.max:g}"
    return _DESCRIPTIONS[kind]


_DESCRIPTIONS = {
    "group_size": "every group is large enough to judge",
    "prohibited": "the model uses no prohibited variable",
    "proxy": "no input is a strong proxy of a prohibited attribute",
    "flip": "decisions do not change when only a sensitive attribute changes",
    "representation": "the audit data represents the population",
    "explainability": "decisions are explainable, and not by prohibited variables or proxies",
}


# ------------------------------------------------------------------------------ metric rules
def _targets(
    rule: MetricRule, reports: Mapping[tuple[str, ...], Any], intersections: bool
) -> tuple[list[tuple[tuple[str, ...], Any]], list[list[str]]]:
    if rule.attributes is None:
        return [(k, r) for k, r in reports.items() if intersections or len(k) == 1], []
    out, missing = [], []
    for item in rule.attributes:
        want = {item} if isinstance(item, str) else set(item)
        match = [k for k in reports if set(k) == want]
        if match:
            out.append((match[0], reports[match[0]]))
        else:
            missing.append([item] if isinstance(item, str) else list(item))
    return out, missing


def _groups(rep: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Group labels, their confusion cells, and which groups the report includes."""
    keys, cells = rep.counts.flat()
    sizes = cells.sum(axis=1)
    include = (sizes > 0) & ~np.asarray(rep.insufficient.to_numpy(), dtype=bool)
    return [_label(k if len(k) > 1 else k[0]) for k in keys], cells, include


@dataclass
class _Measure:
    rate: str
    value: float
    low: tuple[str, float]
    high: tuple[str, float]
    labels: list[str]
    values: np.ndarray
    include: np.ndarray


def _measure_rate(rule: MetricRule, rate: str, rep: Any) -> _Measure | None:
    labels, cells, include = _groups(rep)
    values = np.asarray(metric_values(rate, cells), dtype=np.float64)
    ok = include & ~np.isnan(values)
    if ok.sum() < 2:
        return None
    fn = ratio if rule.kind == "ratio" else difference
    value = _finite(fn(values, None, method="between_groups", include=ok))
    if value is None:
        return None
    idx = np.flatnonzero(ok)
    lo = int(idx[np.argmin(values[idx])])
    hi = int(idx[np.argmax(values[idx])])
    return _Measure(
        rate,
        value,
        (labels[lo], float(values[lo])),
        (labels[hi], float(values[hi])),
        labels,
        values,
        ok,
    )


def _metric_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    targets, missing = _targets(rule, ev.reports, policy.intersections)
    out = [_metric_result(rule, key, rep) for key, rep in targets]
    for attrs in missing:
        out.append(
            _result(
                rule,
                "warn",
                f"not measured: {' x '.join(attrs)} was not audited (the audit's attribute "
                f"sets are {', '.join(' x '.join(k) for k in ev.reports) or 'none'})",
                attributes=attrs,
                threshold=rule.threshold,
            )
        )
    return out


def _metric_result(rule: MetricRule, key: tuple[str, ...], rep: Any) -> RuleResult:
    rates = DERIVED_METRICS.get(str(rule.metric), (str(rule.metric),))
    measured = [m for m in (_measure_rate(rule, r, rep) for r in rates) if m is not None]
    labels, cells, include = _groups(rep)
    sizes = cells.sum(axis=1)
    left_out = [labels[i] for i in np.flatnonzero((sizes > 0) & ~include)]
    note = (
        f"; left out: {', '.join(left_out)} (under {rep.min_group_size} people)" if left_out else ""
    )
    threshold = float(rule.threshold or 0.0)
    if not measured:
        return _result(
            rule,
            "warn",
            f"not measurable on {' x '.join(key)}: fewer than two groups have at least "
            f"{rep.min_group_size} people and a defined {' and '.join(rates)}{note}",
            attributes=key,
            threshold=threshold,
        )
    worst = (min if rule.kind == "ratio" else max)(measured, key=lambda m: m.value)
    value = worst.value
    (lo_name, lo), (hi_name, hi) = worst.low, worst.high
    if rule.kind == "ratio":
        bad = value < threshold
        near = not bad and value < threshold + rule.warn_margin
        limit = threshold + (rule.warn_margin if near else 0.0)
        groups = [
            worst.labels[i]
            for i in np.flatnonzero(worst.include)
            if worst.values[i] < limit * hi - 1e-12
        ]
        why = (
            f"smallest {worst.rate} ratio between groups is {value:.3f} ({lo_name} {lo:.3f} vs "
            f"{hi_name} {hi:.3f}); minimum {threshold:g}"
        )
    else:
        bad = value > threshold
        near = not bad and value > threshold - rule.warn_margin
        groups = [lo_name, hi_name]
        why = (
            f"largest {worst.rate} difference between groups is {value:.3f} ({hi_name} "
            f"{hi:.3f} vs {lo_name} {lo:.3f}); maximum {threshold:g}"
        )
    if near:
        why += f", within the warning margin of {rule.warn_margin:g}"
    unmeasured = [r for r in rates if r not in {m.rate for m in measured}]
    if unmeasured:
        why += f"; {' and '.join(unmeasured)} could not be measured"
    outcome = rule.severity if bad else ("warn" if near else "pass")
    return _result(
        rule,
        outcome,
        why + note,
        attributes=key,
        value=value,
        threshold=threshold,
        groups_involved=groups if (bad or near) else [],
    )


def _group_size_results(rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    out = []
    for key, rep in ev.reports.items():
        labels, cells, include = _groups(rep)
        sizes = cells.sum(axis=1)
        small = [i for i in np.flatnonzero((sizes > 0) & ~include)]
        names = [labels[i] for i in small]
        enough = int(include.sum())
        if small:
            why = (
                f"{len(small)} group(s) have fewer than {rep.min_group_size} people and are left "
                f"out of ratios and differences: "
                + ", ".join(f"{labels[i]} ({int(sizes[i])})" for i in small)
            )
            if enough < 2:
                why += f"; only {enough} group(s) remain, so disparities cannot be measured"
        else:
            why = f"every group of {' x '.join(key)} has at least {rep.min_group_size} people"
        out.append(
            _result(
                rule,
                rule.severity if small else "pass",
                why,
                attributes=key,
                value=len(small),
                threshold=rep.min_group_size,
                groups_involved=names,
            )
        )
    return out


# ---------------------------------------------------------------------- prohibited & proxies
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
        feature = str(_get(finding, "feature", ""))
        category = str(_get(finding, "category", "") or "")
        flagged = (
            feature.lower() in banned
            or category.lower() in banned
            or (bool(banned) and bool(_get(finding, "prohibited", False)))
        )
        if flagged and (not inputs or feature in inputs):
            evidence = _get(finding, "evidence", "")
            used[feature] = f"{category}: {evidence}" if evidence else category
    for feature in inputs:
        if feature.lower() in banned:
            used.setdefault(feature, "named in the policy")
    return used


def _prohibited_result(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> RuleResult:
    used = _prohibited_inputs(policy, ev)
    names = sorted(used)
    if names:
        listed = "; ".join(f"{n} ({used[n]})" for n in names)
        return _result(
            rule,
            rule.severity,
            f"the model takes {len(names)} prohibited variable(s) as input: {listed}",
            value=len(names),
            threshold=0,
            groups_involved=names,
        )
    by_category = [p for p in policy.prohibited if p not in {str(f) for f in ev.features}]
    if ev.proxies is None and not ev.prohibited and by_category:
        return _result(
            rule,
            "warn",
            "checked by column name only: the prohibited-variable detector did not run, so "
            f"inputs of the categories {', '.join(by_category)} may have been missed",
            value=0,
            threshold=0,
        )
    return _result(
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
        str(_get(f, "feature", "")) == attribute
        and str(_get(f, "category", "") or "").lower() in banned
        for f in ev.prohibited
    )


def _flagged_proxies(ev: AuditEvidence, threshold: float) -> list[tuple[list[str], str, float]]:
    out = []
    for finding in _get(ev.proxies, "findings", None) or []:
        score = _finite(_get(finding, "score"))
        if score is None or score < threshold:
            continue
        feats = _get(finding, "features", ()) or ()
        feats = [feats] if isinstance(feats, str) else [str(f) for f in feats]
        out.append((feats, str(_get(finding, "attribute", "?")), score))
    return out


def _proxy_result(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> RuleResult:
    threshold = policy.proxy_threshold if rule.max is None else rule.max
    if ev.proxies is None:
        return _result(
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
        for s in (_finite(_get(f, "score")) for f in _get(ev.proxies, "findings", None) or [])
        if s is not None
    ]
    return _result(
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


def _flip_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    wanted = _names(rule.attributes)
    limit = float(rule.max or 0.0)
    out = []
    for flip in ev.flips:
        attr = str(_get(flip, "attribute"))
        if wanted is not None and attr not in wanted:
            continue
        rate = _finite(_get(flip, "rate"))
        n = int(_get(flip, "n", 0) or 0)
        if rate is None or n == 0:
            out.append(
                _result(
                    rule,
                    "warn",
                    f"not measured: no decision of {attr} could be flipped",
                    attributes=[attr],
                    threshold=limit,
                )
            )
            continue
        pairs = []
        for p in _get(flip, "pairs", ()) or ():
            p_rate = _finite(_get(p, "rate"))
            if p_rate is not None and p_rate > limit:
                pairs.append((f"{_get(p, 'from_group')}→{_get(p, 'to_group')}", p_rate))
        bad = rate > limit
        near = not bad and rate > limit - rule.warn_margin
        why = (
            f"{rate:.1%} of {n:,} decisions change when only {attr} is changed "
            f"(maximum {limit:.1%})"
        )
        if pairs:
            why += "; " + ", ".join(f"{name} {r:.1%}" for name, r in pairs[:6])
        out.append(
            _result(
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
            _result(
                rule,
                "warn",
                f"not measured: {reason} for {', '.join(inputs) or 'the sensitive inputs'}",
                attributes=inputs,
                threshold=limit,
            )
        ]
    return [
        _result(
            rule,
            "pass",
            "no sensitive attribute is a model input, so no decision can flip on it directly "
            "(proxies are judged by the proxy rule)",
            threshold=limit,
        )
    ]


def _representation_results(rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    raw = ev.representation
    items = raw if isinstance(raw, list | tuple) else ([] if raw is None else [raw])
    if not items:
        return [
            _result(
                rule,
                "warn",
                "not measured: the representation test did not run (it needs the detectors "
                "and reference_shares for an audited attribute)",
            )
        ]
    wanted = _names(rule.attributes)
    out = []
    for item in items:
        attr = str(_get(item, "attribute", ""))
        if wanted is not None and attr not in wanted:
            continue
        flagged = []
        for g in _get(item, "groups", ()) or ():
            if _get(g, "flagged"):
                share, ref = _finite(_get(g, "share")), _finite(_get(g, "reference"))
                shown = (
                    f" ({share:.1%} vs {ref:.1%})" if share is not None and ref is not None else ""
                )
                flagged.append((str(_get(g, "group")), shown))
        p_value = _finite(_get(item, "p_value"))
        alpha = _finite(_get(item, "alpha"))
        why = (
            f"group shares of {attr} differ from the reference: "
            + ", ".join(f"{g}{s}" for g, s in flagged)
            if flagged
            else f"group shares of {attr} match the reference population"
        )
        if p_value is not None:
            why += f" (chi-square p = {p_value:.3g})"
        out.append(
            _result(
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
def _explain_result(policy: Policy, rule: ExplainRule, ev: AuditEvidence) -> RuleResult:
    exp, limit = ev.explanation, rule.max_sensitive_share
    glob = _get(exp, "global_importance", None) if exp is not None else None
    if not glob:
        reason = _get(exp, "skipped", None) if isinstance(exp, Mapping) else None
        why = "no explanation of the model's decisions could be computed" + (
            f" ({reason})" if reason else ""
        )
        if not rule.required:
            return _result(rule, "pass", why + "; the policy does not require one", threshold=limit)
        return _result(rule, rule.severity, why, threshold=limit)
    importance = {str(k): float(v) for k, v in dict(glob).items() if _finite(v) is not None}
    total = sum(importance.values())

    def share(features: list[str]) -> float:
        return sum(importance.get(f, 0.0) for f in features) / total if total > 0 else 0.0

    shares = {
        str(k): float(v)
        for k, v in dict(_get(exp, "sensitive_share", None) or {}).items()
        if _finite(v) is not None
    }
    for name in _prohibited_inputs(policy, ev):
        shares.setdefault(name, share([name]))
    if ev.proxies is not None:
        for feats, attr, _ in _flagged_proxies(ev, policy.proxy_threshold):
            shares.setdefault(f"{' + '.join(feats)} (proxy of {attr})", share(feats))
    n = _get(exp, "n_explained", None)
    ran = f"explained with {_get(exp, 'method', 'SHAP')}" + (
        f" on {n:,} rows" if isinstance(n, int) else ""
    )
    if not shares:
        why = f"{ran}; no sensitive or prohibited input and no detected proxy to weigh"
        return _result(rule, "pass", why, value=0.0, threshold=limit)
    over = sorted((k for k, v in shares.items() if v > limit), key=lambda k: -shares[k])
    top = max(shares, key=lambda k: shares[k])
    why = f"{ran}; {top} carries {shares[top]:.1%} of the total mean |SHAP| (limit {limit:.1%})"
    if over:
        why += f"; over the limit: {', '.join(f'{k} {shares[k]:.1%}' for k in over)}"
    outcome = rule.severity if over else "pass"
    return _result(rule, outcome, why, value=shares[top], threshold=limit, groups_involved=over)


# ---------------------------------------------------------------------------------- evaluate
def _builtin(kind: str, rule_id: str, severity: str) -> MetricRule:
    return MetricRule(id=rule_id, kind=kind, severity=severity)  # type: ignore[arg-type]


def evaluate(policy: Policy | str | Mapping[str, Any], evidence: AuditEvidence) -> Verdict:
    """Judge an audit's evidence against the policy.

    Parameters
    ----------
    policy : Policy, str or mapping
        A :class:`Policy`, or anything :func:`load_policy` reads.
    evidence : AuditEvidence
        Group reports, the model's inputs, detector findings and the explanation.

    Returns
    -------
    Verdict
        One :class:`RuleResult` per rule and attribute set, in the policy's order, then the
        built-in checks the policy does not replace, then the explainability rule; ``outcome``
        is the worst of them ("pass" when there is none).
    """
    policy = load_policy(policy)
    results: list[RuleResult] = []
    kinds = {r.kind for r in policy.rules}
    rules = list(policy.rules)
    if "group_size" not in kinds:
        rules.append(_builtin("group_size", "group_size", "warn"))
    if "prohibited" not in kinds:
        rules.append(_builtin("prohibited", "prohibited_variable", "fail"))
    if "proxy" not in kinds and evidence.proxies is not None:
        rules.append(_builtin("proxy", "proxy", "warn"))
    for rule in rules:
        if rule.kind in ("ratio", "difference"):
            results.extend(_metric_results(policy, rule, evidence))
        elif rule.kind == "group_size":
            results.extend(_group_size_results(rule, evidence))
        elif rule.kind == "prohibited":
            results.append(_prohibited_result(policy, rule, evidence))
        elif rule.kind == "proxy":
            results.append(_proxy_result(policy, rule, evidence))
        elif rule.kind == "flip":
            results.extend(_flip_results(policy, rule, evidence))
        else:
            results.extend(_representation_results(rule, evidence))
    if policy.explainability is not None:
        results.append(_explain_result(policy, policy.explainability, evidence))
    outcome = max((r.outcome for r in results), key=_ORDER.__getitem__, default="pass")
    return Verdict(outcome=outcome, rules=tuple(results), policy=policy.name)
