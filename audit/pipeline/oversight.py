"""The audit's oversight step: how many evaluation decisions the policy would send to people.

The policy's ``route_to_human`` conditions are applied, with :class:`fairgate.routing.Router`
(the very code the serving side's ``StatusClient.route`` runs), to every row of the audit's
bounded sample: the model's decisions, its class probabilities (when the model has
``predict_proba``) and the sensitive attributes. Random audit samples draw from a generator
seeded with the audit's seed, so a re-run gives the same numbers. The counts are per group of
each sensitive attribute, and per condition.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from fairgate.audit.pipeline.predict import PRED_COLUMN
from fairgate.errors import ValidationError
from fairgate.routing import Router

__all__ = ["oversight_counts"]


def _probabilities(model: Any, frame: Any, features: list[str]) -> np.ndarray | None:
    try:
        proba = model.predict_proba
    except AttributeError:
        return None
    return np.asarray(proba(frame[features]), dtype=np.float64)


def _inputs(spec: Any, pred: Any, proba: np.ndarray | None, i: int) -> dict[str, Any]:
    """The route() arguments of sample row ``i`` for the spec's kind of model."""
    value = pred[i].item() if hasattr(pred[i], "item") else pred[i]
    kind = getattr(spec, "kind", "binary")
    if kind in ("scores", "regression"):
        return {"score": float(value), "decision": None if kind == "scores" else value}
    out: dict[str, Any] = {"decision": value}
    if proba is not None:
        out["probabilities"] = proba[i].tolist()
        if kind == "binary" and proba.shape[1] == 2:
            out["score"] = float(proba[i, 1])
    return out


def oversight_counts(
    model: Any, scored: Any, spec: Any, policy: Any, seed: int
) -> dict[str, Any] | None:
    """Decisions of the audit's sample the oversight rules would send to people, per group.

    Parameters
    ----------
    model : object
        The loaded model (``predict_proba`` is used when it has one).
    scored : Scored
        The scored data (its bounded ``sample`` with the model's decisions).
    spec : AuditSpec
        Kind, sensitive attributes and features.
    policy : Policy
        The applied policy; ``None`` is returned when it has no oversight section.
    seed : int
        Seeds the random audit sample.

    Returns
    -------
    dict or None
        ``rows`` (of the sample), ``rows_total``, ``human``, ``share``, ``by_condition`` (count per
        condition id), ``groups`` (per attribute: ``group``, ``n``, ``human``, ``share``) and
        ``not_estimated`` (``condition`` and the ``missing`` input, when a condition needs an
        input the audit does not have, e.g. the score of a model without ``predict_proba``).
    """
    oversight = getattr(policy, "oversight", None)
    if oversight is None or not oversight.route_to_human:
        return None
    sample = scored.sample
    not_inputs = (spec.target, PRED_COLUMN)
    features = list(spec.features or [c for c in sample.columns if c not in not_inputs])
    present = all(f in sample.columns for f in features)
    proba = _probabilities(model, sample, features) if present else None
    router = Router(oversight.to_rules(), random.Random(seed).random)
    pred = sample[PRED_COLUMN].to_numpy()
    reasons: list[str | None] = []
    try:
        for i in range(len(sample)):
            groups = {a: sample[a].iloc[i] for a in spec.sensitive}
            reasons.append(router.reason(groups=groups, **_inputs(spec, pred, proba, i)))
    except ValidationError as exc:  # a condition needs an input the audit does not have
        missing = {k: str(v) for k, v in exc.details.items() if k in ("condition", "missing")}
        return {"rows": len(sample), "rows_total": scored.n_rows, "not_estimated": missing}
    human = np.asarray([r is not None for r in reasons], dtype=bool)
    by_condition = {c.id: sum(r == c.id for r in reasons) for c in oversight.route_to_human}
    groups: dict[str, list[dict[str, Any]]] = {}
    for attr in spec.sensitive:
        values = sample[attr].astype(str).to_numpy()
        rows = []
        for level in sorted(set(values.tolist())):
            mask = values == level
            n, k = int(mask.sum()), int(human[mask].sum())
            rows.append({"group": level, "n": n, "human": k, "share": k / n})
        groups[attr] = rows
    return {
        "rows": len(sample),
        "rows_total": scored.n_rows,
        "human": int(human.sum()),
        "share": float(human.mean()) if len(sample) else None,
        "by_condition": by_condition,
        "groups": groups,
        "not_estimated": None,
    }
