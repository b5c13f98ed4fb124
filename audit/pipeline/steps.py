"""The audit's judging steps: resolve the policy, group reports, detectors, SHAP, verdict, files."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairgate.audit.pipeline.predict import PRED_COLUMN
from fairgate.audit.pipeline.score import Scored
from fairgate.audit.policy import (
    AuditEvidence,
    Policy,
    Verdict,
    default_policy,
    evaluate,
    load_policy,
)
from fairgate.audit.policy.detector_checks import proxy_threshold
from fairgate.audit.policy.ranking_checks import RankingEvidence
from fairgate.errors import ModelLoadError, ValidationError

if TYPE_CHECKING:
    from fairgate.audit.core.group_report import GroupReport
    from fairgate.audit.explain import Explanation
    from fairgate.audit.report.result import AuditResult
    from fairgate.detectors import (
        FlipResult,
        ProhibitedFinding,
        ProxyReport,
        RepresentationResult,
    )

__all__ = [
    "Detections",
    "detect",
    "explain",
    "explanation_dict",
    "judge",
    "proxy_features",
    "reports",
    "resolve_policy",
    "write_outputs",
]


@dataclass(frozen=True)
class Detections:
    """What the detectors found on the bounded sample; ``skipped`` says why they did not run."""

    prohibited: tuple[ProhibitedFinding, ...] = ()
    proxies: ProxyReport | None = None
    flips: tuple[FlipResult, ...] = ()
    representation: tuple[RepresentationResult, ...] = ()
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept in ``audit.json`` (only ``skipped`` when they did not run)."""
        if self.skipped is not None:
            return {"skipped": self.skipped}
        return {
            "prohibited": [f.to_dict() for f in self.prohibited],
            "proxies": None if self.proxies is None else self.proxies.to_dict(),
            "flips": [f.to_dict() for f in self.flips],
            "representation": [r.to_dict() for r in self.representation],
        }


def resolve_policy(policy: str | Path | Mapping[str, Any] | Policy | None) -> Policy:
    """The policy to judge by: the default policy for ``None``, else :func:`load_policy`'s.

    Raises
    ------
    PolicyError
        When the policy cannot be loaded; the message names it and every problem.
    """
    return default_policy() if policy is None else load_policy(policy)


def reports(scored: Scored, policy: Policy, seed: int) -> dict[tuple[str, ...], GroupReport]:
    """Group reports for each attribute and every intersection."""
    from fairgate.audit.core.group_report import group_report

    return {
        attrs: group_report(
            scored.counts,
            attributes=attrs,
            min_group_size=policy.min_group_size,
            alpha=policy.alpha,
            seed=seed,
        )
        for attrs in scored.counts.intersections()
    }


def _features(spec: Any, sample: Any) -> list[str]:
    return list(spec.features or [c for c in sample.columns if c not in (spec.target, PRED_COLUMN)])


def detect(model: Any, scored: Scored, spec: Any, policy: Policy, seed: int) -> Detections:
    """Prohibited variables, proxies, the flip test and representation, on the bounded sample.

    A detector that fails is recorded as skipped with its error (and a warning); the report says
    that the step did not run, so a committee never reads a silent pass.
    """
    try:
        return _detect(model, scored, spec, policy, seed)
    except (ValidationError, ModelLoadError):
        raise
    except Exception as exc:
        warnings.warn(f"detectors failed: {exc!r}", RuntimeWarning, stacklevel=2)
        return Detections(skipped=f"detectors failed: {type(exc).__name__}: {exc}")


def _detect(model: Any, scored: Scored, spec: Any, policy: Policy, seed: int) -> Detections:
    from fairgate import detectors as det

    sample = scored.sample
    features = _features(spec, sample)
    X = sample[features]
    declared = list(spec.sensitive)
    prohibited = det.find_prohibited(
        X,
        prohibited=policy.prohibited or None,
        sensitive=declared,
        extra_names=policy.sensitive_names or None,
        descriptions=spec.extra.get("feature_descriptions") or None,
        dictionary=spec.extra.get("data_dictionary") or None,
        reference=sample[declared],
        seed=seed,
    )
    others = [c for c in features if c not in spec.sensitive]
    proxies = det.scan_proxies(
        sample[others], sample[declared], threshold=proxy_threshold(policy), seed=seed
    )
    flips = tuple(
        det.flip_test(model, X, a, min_n=policy.min_group_size, seed=seed)
        for a in spec.sensitive
        if a in features
    )
    shares = policy.reference_shares
    represented = tuple(
        det.representation(sample[a], shares[a]) for a in spec.sensitive if a in shares
    )
    return Detections(tuple(prohibited), proxies, flips, represented)


def proxy_features(detections: Detections, policy: Policy) -> list[str]:
    """Inputs the proxy scan flagged (at the proxy rule's threshold), for the explanation."""
    if detections.proxies is None:
        return []
    threshold = proxy_threshold(policy)
    found = detections.proxies.findings
    return list(dict.fromkeys(f for p in found if p.score >= threshold for f in p.features))


def explain(
    model: Any, scored: Scored, spec: Any, seed: int, size: int, proxies: list[str]
) -> Explanation:
    """SHAP global and per-group importance on a bounded sample, weighing the given proxies."""
    from fairgate.audit.explain import explain as shap_explain

    sample = scored.sample
    X = sample[_features(spec, sample)]
    return shap_explain(
        model,
        X,
        sensitive=sample[list(spec.sensitive)],
        proxies=proxies,
        seed=seed,
        sample_size=size,
    )


def explanation_dict(explanation: Explanation) -> dict[str, Any]:
    """The JSON form kept in ``audit.json``: the summary, without the per-row SHAP values."""
    body = explanation.to_dict()
    body.pop("values")
    return body


def judge(
    policy: Policy,
    reports_: Mapping[tuple[str, ...], GroupReport],
    scored: Scored,
    detections: Detections,
    explanation: Explanation,
    spec: Any,
) -> Verdict:
    """The policy's verdict on the typed evidence."""
    evidence = AuditEvidence(
        reports=reports_,
        features=_features(spec, scored.sample),
        prohibited=detections.prohibited,
        proxies=detections.proxies,
        flips=detections.flips,
        explanation=explanation,
        representation=detections.representation,
        ranking=RankingEvidence.from_detail(scored.detail, filed=spec.top_k is not None),
    )
    return evaluate(policy, evidence)


def write_outputs(
    result: AuditResult,
    tmp: Path,
    final: Path,
    model_path: Path,
    data_path: Path,
    lang: str,
    previous: AuditResult | None,
) -> None:
    """Render the report (beside ``previous``, when given) and the reproducing notebook."""
    from fairgate.audit.report.html import write_report
    from fairgate.audit.report.notebook import write_notebook

    def final_path(p: Path) -> Path:
        return final / p.name if p.parent == tmp else p

    write_report(result, tmp / "report.html", lang=lang, previous=previous)
    write_notebook(
        result,
        tmp / "audit.ipynb",
        model=final_path(model_path),
        data=final_path(data_path),
        json_path=final / "audit.json",
        lang=lang,
    )
