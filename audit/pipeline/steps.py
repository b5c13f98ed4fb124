"""The audit's judging steps: resolve the policy, group reports, detectors, SHAP, verdict, files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.pipeline.predict import PRED_COLUMN
from fairgate.audit.pipeline.score import Scored
from fairgate.errors import ModelLoadError, PolicyError, ValidationError

__all__ = [
    "BUILTIN_POLICY",
    "detect",
    "explain",
    "judge",
    "policy_dict",
    "reports",
    "resolve_policy",
    "write_outputs",
]

BUILTIN_POLICY: dict[str, Any] = {
    "name": "fairgate built-in policy",
    "min_group_size": 30,
    "alpha": 0.05,
    "ci": "wilson",
    "rules": [
        {"id": "four_fifths", "metric": "selection_rate", "kind": "ratio", "min": 0.8},
        {
            "id": "equal_opportunity",
            "metric": "true_positive_rate",
            "kind": "difference",
            "max": 0.1,
        },
        {"id": "min_group_size", "kind": "group_size"},
    ],
}


# ---------------------------------------------------------------------------------------------
# policy
# ---------------------------------------------------------------------------------------------


def resolve_policy(policy: Any, spec: Any) -> Any:
    """A Policy object from issue 4's module when installed, else the built-in dict."""
    try:
        from fairgate.audit import policy as policy_mod
    except ImportError:
        policy_mod = None
    if policy_mod is not None:
        if policy is None:
            return policy_mod.default_policy()
        if isinstance(policy, (str, Path, dict)):
            return policy_mod.load_policy(policy)
        return policy
    if policy is None:
        return dict(BUILTIN_POLICY)
    if isinstance(policy, (str, Path)):
        import yaml

        try:
            policy = yaml.safe_load(Path(policy).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PolicyError(f"policy={str(policy)!r}: cannot be read ({exc}).") from exc
    if not isinstance(policy, dict):
        raise PolicyError(f"policy: expected a mapping or a YAML file, received {type(policy)}.")
    return {**BUILTIN_POLICY, **policy}


def _pget(pol: Any, name: str, default: Any) -> Any:
    if isinstance(pol, dict):
        return pol.get(name, default)
    value = getattr(pol, name, default)
    return default if value is None else value


def policy_dict(pol: Any) -> dict[str, Any]:
    """The policy as a JSON-ready dict."""
    if isinstance(pol, dict):
        return pol
    if hasattr(pol, "to_dict"):
        return pol.to_dict()
    if hasattr(pol, "model_dump"):
        return pol.model_dump(mode="json")
    from dataclasses import asdict, is_dataclass

    return asdict(pol) if is_dataclass(pol) else {"policy": str(pol)}


def reports(scored: Scored, spec: Any, pol: Any, seed: int) -> dict[tuple[str, ...], Any]:
    """Group reports for each attribute and every intersection."""
    from fairgate.audit.core.group_report import group_report

    mgs = int(_pget(pol, "min_group_size", 30))
    alpha = float(_pget(pol, "alpha", 0.05))
    return {
        attrs: group_report(
            scored.counts, attributes=attrs, min_group_size=mgs, alpha=alpha, seed=seed
        )
        for attrs in scored.counts.intersections()
    }


# ---------------------------------------------------------------------------------------------
# detectors, explanation, verdict
# ---------------------------------------------------------------------------------------------


def _features(spec: Any, sample: pd.DataFrame) -> list[str]:
    return list(spec.features or [c for c in sample.columns if c not in (spec.target, PRED_COLUMN)])


def detect(model: Any, scored: Scored, spec: Any, pol: Any, seed: int) -> dict[str, Any]:
    """Prohibited variables, proxies and the flip test, on the bounded sample.

    A detector that fails is recorded as skipped with its error (and a warning); the report says
    that the step did not run, so a committee never reads a silent pass.
    """
    import warnings

    try:
        return _detect(model, scored, spec, pol, seed)
    except (ValidationError, ModelLoadError):
        raise
    except Exception as exc:
        warnings.warn(f"detectors failed: {exc!r}", RuntimeWarning, stacklevel=2)
        return {"skipped": f"detectors failed: {type(exc).__name__}: {exc}"}


def _detect(model: Any, scored: Scored, spec: Any, pol: Any, seed: int) -> dict[str, Any]:
    try:
        from fairgate import detectors as det
    except ImportError as exc:  # pragma: no cover - issue 4 not installed
        return {"skipped": f"fairgate.detectors unavailable: {exc}"}
    needed = ("find_prohibited", "scan_proxies", "flip_test")
    if not all(hasattr(det, n) for n in needed):
        return {"skipped": "fairgate.detectors does not provide " + ", ".join(needed) + " yet"}
    sample = scored.sample
    features = _features(spec, sample)
    X = sample[features]
    declared = list(spec.sensitive)
    prohibited = det.find_prohibited(
        X,
        prohibited=_pget(pol, "prohibited", None) or None,
        sensitive=declared,
        extra_names=_pget(pol, "sensitive_names", None) or None,
        descriptions=spec.extra.get("feature_descriptions") or None,
        dictionary=spec.extra.get("data_dictionary") or None,
        reference=sample[declared],
        seed=seed,
    )
    others = [c for c in features if c not in spec.sensitive]
    proxies = det.scan_proxies(
        sample[others], sample[declared], threshold=_proxy_threshold(pol), seed=seed
    )
    min_n = int(_pget(pol, "min_group_size", 30))
    flips = []
    for attr in spec.sensitive:
        if attr in features:
            flips.append(det.flip_test(model, X, attr, min_n=min_n, seed=seed).to_dict())
    shares = _pget(pol, "reference_shares", None) or {}
    represented = [
        det.representation(sample[attr], shares[attr]).to_dict()
        for attr in spec.sensitive
        if attr in shares
    ]
    return {
        "prohibited": [f.to_dict() for f in prohibited],
        "proxies": proxies.to_dict(),
        "flips": flips,
        "representation": represented,
        "_objects": (prohibited, proxies),
    }


def _proxy_threshold(pol: Any) -> float:
    if isinstance(pol, dict):
        return float(pol.get("proxy_threshold", 0.3))
    from fairgate.audit.policy.detector_checks import proxy_threshold

    return proxy_threshold(pol)


def proxy_features(detectors: dict[str, Any], pol: Any) -> list[str]:
    """Inputs the proxy scan flagged (at the proxy rule's threshold), for the explanation."""
    threshold = _proxy_threshold(pol)
    found = (detectors.get("proxies") or {}).get("findings", [])
    return list(dict.fromkeys(f for p in found if p["score"] >= threshold for f in p["features"]))


def explain(
    model: Any, scored: Scored, spec: Any, seed: int, size: int, proxies: list[str] | None = None
) -> dict[str, Any] | None:
    """SHAP global and per-group importance on a bounded sample, weighing the given proxies."""
    from fairgate.audit.explain import explain as shap_explain

    sample = scored.sample
    X = sample[_features(spec, sample)]
    result = shap_explain(
        model,
        X,
        sensitive=sample[list(spec.sensitive)],
        proxies=proxies or (),
        seed=seed,
        sample_size=size,
    )
    body = result.to_dict()
    body.pop("values", None)
    return body


def judge(
    pol: Any, reports_: dict, scored: Scored, detectors: dict, explanation: Any, spec: Any = None
) -> dict:
    """The verdict: issue 4's policy engine when installed, else the built-in rules."""
    objects = detectors.pop("_objects", None)
    if not isinstance(pol, dict):
        from fairgate.audit import policy as policy_mod

        evidence = policy_mod.AuditEvidence(
            reports=reports_,
            features=_features(spec, scored.sample) if spec is not None else _features_of(scored),
            prohibited=objects[0] if objects else [],
            proxies=objects[1] if objects else None,
            flips=detectors.get("flips", []),
            explanation=explanation,
            representation=detectors.get("representation") or None,
        )
        return policy_mod.evaluate(pol, evidence).to_dict()
    return _builtin_verdict(pol, reports_, detectors)


def _features_of(scored: Scored) -> list[str]:
    return [c for c in scored.sample.columns if c != PRED_COLUMN]


def _label(key: Any) -> str:
    return " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _builtin_verdict(pol: dict, reports_: dict, detectors: dict) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    for rule in pol.get("rules", []):
        for attrs, rep in reports_.items():
            rules.append(_apply(rule, attrs, rep))
    for finding in detectors.get("prohibited", []) or []:
        if finding.get("prohibited"):
            rules.append(
                {
                    "rule_id": "prohibited_variable",
                    "outcome": "fail",
                    "attributes": [],
                    "description": "prohibited variable used by the model",
                    "value": None,
                    "threshold": None,
                    "groups_involved": [str(finding.get("feature"))],
                    "why": f"feature {finding.get('feature')!r} is prohibited",
                }
            )
    order = {"pass": 0, "warn": 1, "fail": 2}
    outcome = max((r["outcome"] for r in rules), key=order.__getitem__, default="pass")
    return {"outcome": outcome, "rules": rules, "policy": pol.get("name", "policy")}


def _apply(rule: dict, attrs: tuple[str, ...], rep: Any) -> dict[str, Any]:
    base = {"rule_id": rule["id"], "attributes": list(attrs)}
    if rule.get("kind") == "group_size":
        small = [_label(k) for k, v in rep.insufficient.items() if v]
        return {
            **base,
            "description": "every group is large enough to measure",
            "outcome": "warn" if small else "pass",
            "value": len(small),
            "threshold": rep.min_group_size,
            "groups_involved": small,
            "why": f"{len(small)} group(s) below {rep.min_group_size} rows",
        }
    metric = rule["metric"]
    values = rep.by_group[metric]
    ok = rep._included()
    valid = values[ok].dropna()
    if rule["kind"] == "ratio":
        value = float(rep.ratio()[metric])
        bad = value < rule["min"]
        threshold = rule["min"]
        groups = [_label(k) for k in valid.index if valid[k] < rule["min"] * valid.max()]
        why = f"smallest {metric} ratio {value:.3f} (minimum {threshold})"
    else:
        value = float(rep.difference()[metric])
        bad = value > rule["max"]
        threshold = rule["max"]
        groups = [_label(valid.idxmin()), _label(valid.idxmax())] if len(valid) else []
        why = f"largest {metric} difference {value:.3f} (maximum {threshold})"
    if np.isnan(value):
        return {
            **base,
            "description": rule["id"],
            "outcome": "warn",
            "value": None,
            "threshold": threshold,
            "groups_involved": [],
            "why": "not measurable: fewer than two sufficient groups",
        }
    return {
        **base,
        "description": rule["id"],
        "outcome": "fail" if bad else "pass",
        "value": value,
        "threshold": threshold,
        "groups_involved": groups if bad else [],
        "why": why,
    }


def write_outputs(result, tmp: Path, final: Path, model_path, data_path, lang) -> None:
    """Render the report and the reproducing notebook into ``tmp``."""
    from fairgate.audit.report.html import write_report
    from fairgate.audit.report.notebook import write_notebook

    def final_path(p: Path) -> Path:
        return final / p.name if p.parent == tmp else p

    write_report(result, tmp / "report.html", lang=lang)
    write_notebook(
        result,
        tmp / "audit.ipynb",
        model=final_path(model_path),
        data=final_path(data_path),
        json_path=final / "audit.json",
    )
