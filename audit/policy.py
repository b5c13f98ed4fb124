"""The written policy: load it (with clear errors) and judge an audit's evidence against it.

``evaluate(policy, evidence)`` gives one result per rule and attribute set — pass, warn or fail —
with the measured value, the threshold, the groups involved and a sentence saying why. A rule
that cannot be measured (fewer than two groups large enough) is a warning, never a silent pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError as _PydanticError

from fairgate.audit.policy_schema import (
    DERIVED_METRICS,
    BreakerRule,
    DriftRule,
    ExplainRule,
    MetricRule,
    Policy,
    WindowSpec,
)
from fairgate.errors import PolicyError

__all__ = [
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

_ORDER = {"pass": 0, "warn": 1, "fail": 2}


# ----------------------------------------------------------------------------------- loading
def builtin_policies() -> list[str]:
    """Names of the policies that ship with fairgate."""
    folder = resources.files("fairgate.audit") / "policies"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def _builtin_path(name: str) -> Path:
    return Path(str(resources.files("fairgate.audit") / "policies" / f"{name}.yaml"))


def _explain_errors(exc: _PydanticError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(policy)"
        kind = err.get("type", "")
        received = err.get("input")
        if kind == "missing":
            problem = "this field is required"
        elif kind == "extra_forbidden":
            problem = f"unknown field {loc.rsplit('.', 1)[-1]!r}; remove it or check its spelling"
        else:
            shown = repr(received)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            problem = f"received {shown}; {err.get('msg', 'invalid').removeprefix('Value error, ')}"
        out.append(f"{loc}: {problem}")
    return out


def load_policy(source: str | Path | Mapping[str, Any] | Policy) -> Policy:
    """Load and validate a policy.

    Parameters
    ----------
    source : str, Path, mapping or Policy
        A built-in name (see :func:`builtin_policies`), a YAML/JSON file, or a decoded mapping.

    Returns
    -------
    Policy

    Raises
    ------
    PolicyError
        Listing every problem as ``field.path: what was received; what is expected``.
    """
    import yaml

    if isinstance(source, Policy):
        return source
    where = "policy"
    if isinstance(source, str | Path):
        text = str(source)
        path = _builtin_path(text) if text in builtin_policies() else Path(text).expanduser()
        where = path.name
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PolicyError(
                f"policy={text!r}: no such file and not a built-in policy "
                f"({', '.join(builtin_policies())})."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"policy={text!r}: cannot be read ({exc}).") from None
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise PolicyError(
                f"{where}: not valid YAML{at}: {getattr(exc, 'problem', exc)}."
            ) from None
    else:
        data = source
    if not isinstance(data, Mapping):
        raise PolicyError(f"{where}: expected a mapping of fields, received {type(data).__name__}.")
    try:
        return Policy.model_validate(dict(data))
    except _PydanticError as exc:
        problems = _explain_errors(exc)
        raise PolicyError(
            f"{where}: {len(problems)} problem(s): " + "; ".join(problems) + ".",
            details={"problems": problems},
        ) from None


def default_policy() -> Policy:
    """The documented default policy (``audit/policies/default.yaml``)."""
    return load_policy("default")


def policy_json_schema() -> dict[str, Any]:
    """The policy file's JSON Schema."""
    return Policy.model_json_schema()


# ---------------------------------------------------------------------------------- evidence
@dataclass
class AuditEvidence:
    """Everything an audit measured, as the policy engine reads it.

    Attributes
    ----------
    reports : mapping of tuple of str to GroupReport
        One group report per attribute and intersection.
    features : sequence of str
        The model's input columns.
    prohibited : sequence
        Prohibited/sensitive variable findings (objects or dicts with ``feature``, ``category``,
        ``prohibited``, ``evidence``).
    proxies : object, dict or None
        A proxy report (``findings`` with ``features``, ``attribute``, ``score``,
        ``above_threshold``).
    flips : sequence of dict
        Flip-test results (``attribute``, ``rate``, ``n``, ``pairs``).
    explanation : dict, Explanation or None
        SHAP summary (``global_importance``, ``sensitive_share``).
    representation : object, dict or None
        Representation test results (``groups`` with ``flagged``).
    """

    reports: Mapping[tuple[str, ...], Any]
    features: Sequence[str] = ()
    prohibited: Sequence[Any] = ()
    proxies: Any = None
    flips: Sequence[Mapping[str, Any]] = ()
    explanation: Any = None
    representation: Any = None


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def _plain(item: Any) -> Any:
    if hasattr(item, "to_dict"):
        return item.to_dict()
    return item


# ------------------------------------------------------------------------------------ verdict
@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule on one attribute set."""

    rule_id: str
    outcome: str
    attributes: list[str]
    description: str
    value: float | None
    threshold: float | None
    groups_involved: list[str]
    why: str


@dataclass(frozen=True)
class Verdict:
    """The policy's judgement of an audit: the worst outcome and every rule's result."""

    outcome: str
    rules: tuple[RuleResult, ...]
    policy: str
    counts: dict[str, int] = field(default_factory=dict)

    def failing(self) -> list[RuleResult]:
        """The rules that fail."""
        return [r for r in self.rules if r.outcome == "fail"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``outcome``, ``policy`` and ``rules``."""
        return {
            "outcome": self.outcome,
            "policy": self.policy,
            "rules": [asdict(r) for r in self.rules],
        }

    def to_frame(self) -> Any:
        """The rule results as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rules])


def _label(key: Any) -> str:
    return " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def _targets(rule: MetricRule, reports: Mapping[tuple[str, ...], Any], intersections: bool):
    keys = [k for k in reports if intersections or len(k) == 1]
    if rule.attributes is None:
        return [(k, reports[k]) for k in keys], []
    out, missing = [], []
    for item in rule.attributes:
        want = {item} if isinstance(item, str) else set(item)
        match = [k for k in reports if set(k) == want]
        if match:
            out.append((match[0], reports[match[0]]))
        else:
            missing.append(sorted(want))
    return out, missing


def _measure(rule: MetricRule, rep: Any) -> tuple[float | None, list[str], str]:
    """Value of the rule on one report, the groups involved, and the rate measured."""
    rates = DERIVED_METRICS.get(rule.metric, (rule.metric,))
    best: tuple[float | None, list[str], str] = (None, [], rates[0])
    included = rep._included()
    for rate in rates:
        if rate not in rep.by_group.columns:
            continue
        series = rep.by_group[rate][included].dropna()
        if len(series) < 2:
            continue
        if rule.kind == "ratio":
            value = _finite(rep.ratio()[rate])
            if value is None:
                continue
            top = float(series.max())
            groups = [_label(k) for k, v in series.items() if v < rule.threshold * top]
            worse = best[0] is None or value < best[0]
        else:
            value = _finite(rep.difference()[rate])
            if value is None:
                continue
            groups = [_label(series.idxmin()), _label(series.idxmax())]
            worse = best[0] is None or value > best[0]
        if worse:
            best = (value, groups, rate)
    return best


def _metric_result(rule: MetricRule, key: tuple[str, ...], rep: Any) -> RuleResult:
    value, groups, rate = _measure(rule, rep)
    description = rule.description or f"{rule.metric} {rule.kind}"
    threshold = rule.threshold
    base = {"rule_id": rule.id, "attributes": list(key), "description": description}
    if value is None:
        return RuleResult(
            **base,
            outcome="warn",
            value=None,
            threshold=threshold,
            groups_involved=[],
            why=f"not measurable on {' x '.join(key)}: fewer than two groups have at least "
            f"{rep.min_group_size} people with a defined {rate}",
        )
    if rule.kind == "ratio":
        bad = value < threshold
        near = not bad and value < threshold + rule.warn_margin
        why = f"smallest {rate} ratio between groups is {value:.3f} (minimum {threshold:g})"
    else:
        bad = value > threshold
        near = not bad and value > threshold - rule.warn_margin
        why = f"largest {rate} difference between groups is {value:.3f} (maximum {threshold:g})"
    outcome = rule.severity if bad else ("warn" if near else "pass")
    if near:
        why += f"; within the warning margin of {rule.warn_margin:g}"
    return RuleResult(
        **base,
        outcome=outcome,
        value=value,
        threshold=threshold,
        groups_involved=groups if (bad or near) else [],
        why=why,
    )


def _group_size_results(policy: Policy, reports: Mapping[tuple[str, ...], Any]) -> list[RuleResult]:
    out = []
    for key, rep in reports.items():
        small = [_label(k) for k, v in rep.insufficient.items() if v]
        out.append(
            RuleResult(
                rule_id="group_size",
                outcome="warn" if small else "pass",
                attributes=list(key),
                description="every group is large enough to judge",
                value=float(len(small)),
                threshold=float(rep.min_group_size),
                groups_involved=small,
                why=f"{len(small)} group(s) below {rep.min_group_size} people; they are shown "
                "but left out of ratios and differences"
                if small
                else f"every group has at least {rep.min_group_size} people",
            )
        )
    return out


def _is_prohibited(policy: Policy, name: str, category: str | None) -> bool:
    wanted = {p.lower() for p in policy.prohibited}
    return name.lower() in wanted or (category or "").lower() in wanted


def _prohibited_result(policy: Policy, ev: AuditEvidence) -> RuleResult:
    inputs = set(ev.features)
    used = []
    for finding in ev.prohibited:
        feature = str(_get(finding, "feature", ""))
        flagged = bool(_get(finding, "prohibited", False)) or _is_prohibited(
            policy, feature, _get(finding, "category")
        )
        if flagged and (not inputs or feature in inputs):
            used.append(f"{feature} ({_get(finding, 'category', '?')})")
    for feature in inputs:  # named in the policy even if no detector ran
        if feature.lower() in {p.lower() for p in policy.prohibited} and not any(
            u.startswith(f"{feature} (") for u in used
        ):
            used.append(f"{feature} (named in the policy)")
    return RuleResult(
        rule_id="prohibited_variable",
        outcome="fail" if used else "pass",
        attributes=[],
        description="the model uses no prohibited variable",
        value=float(len(used)),
        threshold=0.0,
        groups_involved=sorted(used),
        why=f"the model takes prohibited variable(s) as input: {', '.join(sorted(used))}"
        if used
        else "no prohibited variable among the model's inputs",
    )


def _proxy_result(policy: Policy, ev: AuditEvidence) -> RuleResult | None:
    if ev.proxies is None:
        return None
    findings = _get(ev.proxies, "findings", []) or []
    flagged = []
    top = 0.0
    for f in findings:
        score = _finite(_get(f, "score")) or 0.0
        top = max(top, score)
        if score >= policy.proxy_threshold:
            feats = _get(f, "features", [])
            feats = [feats] if isinstance(feats, str) else list(feats)
            flagged.append(f"{' + '.join(map(str, feats))} → {_get(f, 'attribute')} ({score:.2f})")
    return RuleResult(
        rule_id="proxy",
        outcome=policy.proxy_severity if flagged else "pass",
        attributes=[],
        description="no input is a strong proxy of a sensitive attribute",
        value=top,
        threshold=policy.proxy_threshold,
        groups_involved=flagged,
        why=f"{len(flagged)} input(s) predict a sensitive attribute above "
        f"{policy.proxy_threshold:g}: {'; '.join(flagged[:5])}"
        if flagged
        else f"no input predicts a sensitive attribute above {policy.proxy_threshold:g}",
    )


def _flip_results(policy: Policy, ev: AuditEvidence) -> list[RuleResult]:
    out = []
    for flip in ev.flips:
        flip = _plain(flip)
        rate = _finite(_get(flip, "rate")) or 0.0
        attr = str(_get(flip, "attribute"))
        bad = rate > policy.max_flip_rate
        out.append(
            RuleResult(
                rule_id="flip_test",
                outcome="fail" if bad else "pass",
                attributes=[attr],
                description="decisions do not change when only the sensitive attribute changes",
                value=rate,
                threshold=policy.max_flip_rate,
                groups_involved=[attr] if bad else [],
                why=f"{rate:.1%} of decisions flip when only {attr} is changed "
                f"(maximum {policy.max_flip_rate:.1%})",
            )
        )
    return out


def _explain_result(policy: Policy, ev: AuditEvidence) -> RuleResult | None:
    rule: ExplainRule | None = policy.explainability
    if rule is None:
        return None
    exp = _plain(ev.explanation)
    if not exp:
        return RuleResult(
            rule_id="explainability",
            outcome=rule.severity if rule.required else "pass",
            attributes=[],
            description="decisions are explainable",
            value=None,
            threshold=rule.max_sensitive_share,
            groups_involved=[],
            why="no explanation could be computed for this model",
        )
    shares = _get(exp, "sensitive_share", {}) or {}
    worst_name, worst = max(shares.items(), key=lambda kv: kv[1], default=("", 0.0))
    bad = worst > rule.max_sensitive_share
    return RuleResult(
        rule_id="explainability",
        outcome=rule.severity if bad else "pass",
        attributes=[],
        description="decisions are explainable, and not by sensitive variables or proxies",
        value=float(worst),
        threshold=rule.max_sensitive_share,
        groups_involved=[worst_name] if bad else [],
        why=f"{worst_name} carries {worst:.1%} of the model's SHAP importance "
        f"(maximum {rule.max_sensitive_share:.1%})"
        if shares
        else "SHAP explanation computed; no sensitive variable or proxy among the inputs",
    )


def _representation_result(ev: AuditEvidence) -> RuleResult | None:
    rep = _plain(ev.representation)
    if not rep:
        return None
    results = rep if isinstance(rep, list) else [rep]
    flagged = []
    for item in results:
        for g in _get(item, "groups", []) or []:
            if _get(g, "flagged"):
                flagged.append(f"{_get(item, 'attribute', '')}={_get(g, 'group')}")
    return RuleResult(
        rule_id="representation",
        outcome="warn" if flagged else "pass",
        attributes=[],
        description="the audit data represents the population",
        value=float(len(flagged)),
        threshold=0.0,
        groups_involved=flagged,
        why=f"under-represented against the reference: {', '.join(flagged)}"
        if flagged
        else "every group's share matches the reference population",
    )


def evaluate(policy: Policy, evidence: AuditEvidence) -> Verdict:
    """Judge an audit's evidence against the policy.

    Parameters
    ----------
    policy : Policy
        From :func:`load_policy`.
    evidence : AuditEvidence
        Group reports, the model's inputs, detector findings and the explanation.

    Returns
    -------
    Verdict
        ``outcome`` is the worst rule outcome ("pass" when there is no rule).
    """
    policy = load_policy(policy)
    results: list[RuleResult] = []
    for rule in policy.rules:
        targets, missing = _targets(rule, evidence.reports, policy.intersections)
        for key, rep in targets:
            results.append(_metric_result(rule, key, rep))
        for attrs in missing:
            results.append(
                RuleResult(
                    rule_id=rule.id,
                    outcome="warn",
                    attributes=attrs,
                    description=rule.description or f"{rule.metric} {rule.kind}",
                    value=None,
                    threshold=rule.threshold,
                    groups_involved=[],
                    why=f"not measured: {' x '.join(attrs)} was not audited",
                )
            )
    results.extend(_group_size_results(policy, evidence.reports))
    results.append(_prohibited_result(policy, evidence))
    for extra in (
        _proxy_result(policy, evidence),
        *_flip_results(policy, evidence),
        _explain_result(policy, evidence),
        _representation_result(evidence),
    ):
        if extra is not None:
            results.append(extra)
    outcome = max((r.outcome for r in results), key=_ORDER.__getitem__, default="pass")
    counts = {o: sum(r.outcome == o for r in results) for o in _ORDER}
    return Verdict(outcome=outcome, rules=tuple(results), policy=policy.name, counts=counts)
