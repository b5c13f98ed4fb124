"""What a serving model reports live, by kind: its filing decides, its columns are checked here.

A filing's ``algorithm_type`` and target select the kind exactly as the audit does
(:func:`live_kind`): ``regression`` reports numeric predictions; ``ranking`` reports scores (raw
scores or probabilities) that the breaker thresholds at the filing's ``target.threshold``; a
classifier with more than two ``target.classes`` reports class labels; any other model reports
0/1 decisions. :func:`kind_columns` validates a batch's ``prediction`` and ``outcome`` columns of a
non-binary kind, all or nothing, with a message naming the field, what was received and what to
send instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.errors import LengthMismatchError, MissingValueError, ValidationError
from fairgate.registry.monitor.columns import binary_column

__all__ = [
    "LIVE_KINDS",
    "MAX_ABS_VALUE",
    "LiveKind",
    "decision_values",
    "final_column",
    "kind_columns",
    "live_kind",
    "model_decisions",
]

LIVE_KINDS: tuple[str, ...] = ("binary", "scores", "multiclass", "regression")
"""The kinds of live observations."""

MAX_ABS_VALUE = 1e12
"""Largest magnitude of a numeric prediction, score or outcome."""


@dataclass(frozen=True)
class LiveKind:
    """The kind of a model's live observations.

    Attributes
    ----------
    kind : {"binary", "scores", "multiclass", "regression"}
    classes : tuple of str or None
        A multiclass model's classes (as strings), in the filing's order.
    threshold : float or None
        A scores model's decision threshold (decide ``score >= threshold``).
    """

    kind: str = "binary"
    classes: tuple[str, ...] | None = None
    threshold: float | None = None


BINARY = LiveKind()
"""The kind of a model that reports 0/1 decisions."""


def live_kind(filing: Any) -> LiveKind:
    """The live kind of a filed model (the rule of the audit: algorithm type, then classes).

    Parameters
    ----------
    filing : Filing
        The validated filing (``algorithm_type`` and ``target``).

    Returns
    -------
    LiveKind

    Raises
    ------
    ValidationError
        A ranking model whose filing gives no decision threshold.
    """
    target = filing.target
    if filing.algorithm_type == "regression":
        return LiveKind("regression")
    if filing.algorithm_type == "ranking":
        if target.threshold is None:
            raise ValidationError(
                f"{filing.name}:{filing.version} is a ranking model without a decision threshold; "
                "file a new version whose target gives 'threshold' (decide score >= threshold)."
            )
        return LiveKind("scores", threshold=float(target.threshold))
    if target.classes is not None and len(target.classes) > 2:
        return LiveKind("multiclass", classes=tuple(str(c) for c in target.classes))
    return BINARY


def _list(values: Any, name: str, n: int | None) -> list[Any]:
    if not isinstance(values, list):
        raise ValidationError(
            f"{name!r}: expected a list, received {type(values).__name__}.", details={"field": name}
        )
    if n is not None and len(values) != n:
        raise LengthMismatchError(
            f"{name!r} has {len(values)} values but 'prediction' has {n}; send one per decision.",
            details={"field": name, "length": len(values), "expected": n},
        )
    return values


def _numbers(values: list[Any], name: str, what: str, *, nullable: bool) -> np.ndarray:
    def bad(v: Any) -> bool:
        if v is None:
            return not nullable
        if isinstance(v, bool) or not isinstance(v, int | float):
            return True
        return not math.isfinite(v) or abs(v) > MAX_ABS_VALUE

    wrong = [v for v in values if bad(v)][:3]
    if wrong:
        allowed = " or null" if nullable else ""
        raise ValidationError(
            f"{name!r}: this model reports {what}; expected finite numbers between "
            f"-{MAX_ABS_VALUE:g} and {MAX_ABS_VALUE:g}{allowed}, received values such as "
            f"{wrong!r}.",
            details={"field": name},
        )
    return np.asarray([math.nan if v is None else v for v in values], dtype=np.float64)


def _labels(values: list[Any], name: str, classes: Sequence[str], *, nullable: bool) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    codes = np.full(len(values), -1, dtype=np.int32)
    wrong: list[Any] = []
    for i, v in enumerate(values):
        if v is None and nullable:
            continue
        key = None if isinstance(v, bool) or not isinstance(v, str | int) else str(v)
        if key not in index:
            wrong.append(v)
            continue
        codes[i] = index[key]
    if wrong:
        raise ValidationError(
            f"{name!r}: expected one of the filing's classes {list(classes)}"
            f"{' or null' if nullable else ''}, received {wrong[:3]!r}; send the class label "
            "the model decided (file a new version to add a class).",
            details={"field": name, "classes": list(classes)},
        )
    return codes


def _outcome01(values: list[Any]) -> np.ndarray:
    out = np.full(len(values), -1, dtype=np.int8)
    wrong: list[Any] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if v in (0, 1) and isinstance(v, int | bool):
            out[i] = int(v)
        else:
            wrong.append(v)
    if wrong:
        raise ValidationError(
            f"'outcome': a scoring model's outcome is 0/1 (or true/false, null when not yet "
            f"known), received values such as {wrong[:3]!r}.",
            details={"field": "outcome"},
        )
    return out


def kind_columns(live: LiveKind, prediction: Any, outcome: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate the ``prediction`` and ``outcome`` of a scores, multiclass or regression batch.

    Parameters
    ----------
    live : LiveKind
        The model's kind (not binary).
    prediction : list
        Scores (numbers), class labels, or numeric predictions.
    outcome : list or None
        The true outcomes (0/1, class labels, numbers), ``null`` where not known yet.

    Returns
    -------
    (prediction, outcome) : tuple of numpy.ndarray
        Scores: float64 and int8 (-1 unknown); multiclass: int32 class codes (-1 unknown);
        regression: float64 and float64 (NaN unknown).

    Raises
    ------
    ValidationError
        For any value that does not fit the kind; nothing is kept.
    """
    pred = _list(prediction, "prediction", None)
    n = len(pred)
    if n == 0:
        raise MissingValueError("'prediction' is empty; send at least one decision.")
    out = [None] * n if outcome is None else _list(outcome, "outcome", n)
    if live.kind == "scores":
        return _numbers(pred, "prediction", "scores", nullable=False), _outcome01(out)
    if live.kind == "regression":
        return (
            _numbers(pred, "prediction", "numeric predictions", nullable=False),
            _numbers(out, "outcome", "numeric outcomes", nullable=True),
        )
    if live.kind == "multiclass":
        classes = live.classes or ()
        return (
            _labels(pred, "prediction", classes, nullable=False),
            _labels(out, "outcome", classes, nullable=True),
        )
    raise ValidationError(f"kind={live.kind!r}: use one of {', '.join(LIVE_KINDS)}.")


def model_decisions(live: LiveKind, prediction: np.ndarray) -> np.ndarray:
    """What the model decided, in the form a person's final decision is compared with.

    0/1 decisions as sent; a score model's decision at the filing's threshold (1 where
    ``score >= threshold``, int8); class codes; numeric predictions.

    Parameters
    ----------
    live : LiveKind
        The model's kind.
    prediction : numpy.ndarray
        A validated batch's ``prediction`` column.

    Returns
    -------
    numpy.ndarray
    """
    if live.kind == "scores":
        return (prediction >= live.threshold).astype(np.int8)
    return prediction


def decision_values(live: LiveKind, decisions: np.ndarray) -> np.ndarray:
    """Decisions as the policy's oversight section names them: 0/1, class labels or numbers.

    Parameters
    ----------
    live : LiveKind
        The model's kind.
    decisions : numpy.ndarray
        :func:`model_decisions` of a batch.

    Returns
    -------
    numpy.ndarray
        Class labels (an object array of str) for a multiclass model, else ``decisions``.
    """
    if live.kind == "multiclass":
        return np.asarray(live.classes or (), dtype=object)[decisions]
    return decisions


def final_column(live: LiveKind, values: Any, n: int) -> np.ndarray:
    """The ``final_decision`` column of a batch, checked against the model's kind.

    Parameters
    ----------
    live : LiveKind
        The model's kind.
    values : list
        One final decision per observation (``null``: not given): 0/1 for a binary or score
        model (the decision at the threshold), a class label of the filing, or a number.
    n : int
        The batch's number of observations.

    Returns
    -------
    numpy.ndarray
        int8 0/1 or int32 class codes (-1: not given), or float64 (NaN: not given).

    Raises
    ------
    ValidationError
        A value that does not fit the kind, or a column of the wrong length.
    """
    if live.kind == "multiclass":
        return _labels(
            _list(values, "final_decision", n), "final_decision", live.classes or (), nullable=True
        )
    if live.kind == "regression":
        return _numbers(
            _list(values, "final_decision", n),
            "final_decision",
            "numeric decisions",
            nullable=True,
        )
    return binary_column(values, "final_decision", nullable=True, n=n)
