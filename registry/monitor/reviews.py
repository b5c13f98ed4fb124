"""What people did with live decisions: ``reviewed``, ``overridden`` and ``final_decision``.

A batch of observations (see :mod:`.observations`) may say, per decision, whether a person
reviewed it, whether they overrode the model, and the decision that took effect::

    {"model": "m", "version": "1", "prediction": [0, 1, 0], "sensitive": {"sex": [...]},
     "reviewed": [true, false, true], "overridden": [true, false, false],
     "final_decision": [1, 1, 0]}

The final decision is of the model's kind (:func:`.live_kind.final_column`): 0/1 for a binary
model, 0/1 at the filing's threshold for a score model (the model's decision is
``score >= threshold``), a class label of the filing for a multiclass model, a number for a
regression model. ``reviewed`` is required once ``overridden`` or ``final_decision`` is sent.
``overridden`` may be left out (or ``null`` for a decision) when ``final_decision`` is sent: a
decision is then overridden where its final decision differs from the model's. A decision cannot
be overridden without being reviewed, and an overridden decision's final decision (when given)
differs from the model's; any contradiction rejects the whole batch, naming the first row. The
three columns are stored as one zlib-compressed blob in the ``review`` column of
``observation_batches`` (migration ``0011``): the flags as int8, the final decisions in the
kind's dtype (int8 or int32 codes with ``-1``, float64 with NaN: not given).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.errors import LengthMismatchError, ValidationError
from fairgate.registry.monitor.live_kind import BINARY, LiveKind, final_column, model_decisions

__all__ = [
    "FINAL_DTYPES",
    "REVIEW_FIELDS",
    "Reviews",
    "decode_reviews",
    "encode_reviews",
    "parse_reviews",
]

REVIEW_FIELDS: tuple[str, ...] = ("reviewed", "overridden", "final_decision")
"""The per-decision oversight fields a batch may carry."""

FINAL_DTYPES: dict[str, str] = {
    "binary": "i1",
    "scores": "i1",
    "multiclass": "<i4",
    "regression": "<f8",
}
"""Stored dtype of the final decisions per kind."""


@dataclass(frozen=True, eq=False)
class Reviews:
    """Per decision: reviewed by a person, overridden, and the final decision.

    Attributes
    ----------
    reviewed, overridden : numpy.ndarray of bool
    final : numpy.ndarray
        int8 0/1 or int32 class codes (-1: not given), or float64 numbers (NaN: not given).
    """

    reviewed: np.ndarray
    overridden: np.ndarray
    final: np.ndarray

    @property
    def given(self) -> np.ndarray:
        """Which decisions' final decision was sent (bool)."""
        return _given(self.final)


def _given(final: np.ndarray) -> np.ndarray:
    return ~np.isnan(final) if final.dtype.kind == "f" else final >= 0


def _flags(values: Any, name: str, n: int, *, nullable: bool) -> np.ndarray:
    if not isinstance(values, list) or len(values) != n:
        got = len(values) if isinstance(values, list) else type(values).__name__
        raise LengthMismatchError(
            f"{name!r}: expected a list of {n} values (one per decision), received {got}.",
            details={"field": name},
        )
    allowed = (True, False, 0, 1, None) if nullable else (True, False, 0, 1)
    for i, v in enumerate(values):
        if not (v is None and nullable) and (
            not isinstance(v, bool | int) or v not in allowed or v is None
        ):
            what = "0/1 or null" if nullable else "true/false (or 0/1)"
            raise ValidationError(
                f"{name}[{i}]: expected {what}, received {v!r}.", details={"field": name}
            )
    return np.asarray([-1 if v is None else int(v) for v in values], dtype=np.int8)


def parse_reviews(
    columns: dict[str, Any], prediction: np.ndarray, live: LiveKind = BINARY
) -> Reviews | None:
    """Validate the review columns of a batch (``None`` when it sends none).

    Parameters
    ----------
    columns : dict
        The batch: its ``reviewed``, ``overridden`` and ``final_decision`` lists (missing keys:
        not sent), or, in the row form, its ``observations`` with those keys.
    prediction : numpy.ndarray
        The batch's validated ``prediction`` column.
    live : LiveKind, optional
        The model's kind (default: 0/1 decisions); it says what a final decision is.

    Returns
    -------
    Reviews or None

    Raises
    ------
    ValidationError
        A column of the wrong length or type, a final decision that does not fit the kind, or a
        contradiction; nothing is stored.
    """
    rows = columns.get("observations")
    if isinstance(rows, list):  # the row form: one list per field some row sends
        columns = {f: [r.get(f) for r in rows] for f in REVIEW_FIELDS if any(f in r for r in rows)}
    sent = {k: columns.get(k) for k in REVIEW_FIELDS if columns.get(k) is not None}
    if not sent:
        return None
    if "reviewed" not in sent:
        raise ValidationError(
            f"{' and '.join(map(repr, sent))} sent without 'reviewed'; send 'reviewed' (true "
            "where a person looked at the decision) with them.",
            details={"field": "reviewed"},
        )
    n = int(prediction.shape[0])
    reviewed = _flags(sent["reviewed"], "reviewed", n, nullable=False).astype(bool)
    if "final_decision" in sent:
        final = final_column(live, sent["final_decision"], n)
    else:
        final = final_column(live, [None] * n, n)
    given = _given(final)
    changed = given & (final != model_decisions(live, prediction))
    if "overridden" in sent:
        flags = _flags(sent["overridden"], "overridden", n, nullable=True)
        overridden = np.where(flags < 0, changed, flags == 1)
        _refuse(
            overridden & given & ~changed,
            "overridden is true but final_decision equals the model's decision",
        )
        _refuse(
            ~overridden & changed,
            "final_decision differs from the model's decision but overridden is false",
        )
    else:
        overridden = changed
    _refuse(overridden & ~reviewed, "overridden without being reviewed (reviewed is false)")
    return Reviews(reviewed, overridden, final)


def _refuse(bad: np.ndarray, what: str) -> None:
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"decision {first}: {what}; send consistent 'reviewed', 'overridden' and "
            "'final_decision' values.",
            details={"row": first, "rows": int(bad.sum())},
        )


def encode_reviews(reviews: Reviews | None, kind: str = "binary") -> bytes | None:
    """The stored form of a batch's review columns (``None`` when the batch has none).

    Parameters
    ----------
    reviews : Reviews or None
        The batch's review columns.
    kind : str, default "binary"
        The batch's kind (see :data:`FINAL_DTYPES`).

    Returns
    -------
    bytes or None
    """
    if reviews is None:
        return None
    flags = np.concatenate([reviews.reviewed, reviews.overridden]).astype(np.int8)
    final = reviews.final.astype(FINAL_DTYPES[kind], copy=False)
    return zlib.compress(flags.tobytes() + final.tobytes(), 1)


def decode_reviews(blob: bytes | None, n: int, kind: str = "binary") -> Reviews | None:
    """The review columns of a stored batch of ``n`` decisions (``None`` when not sent).

    Parameters
    ----------
    blob : bytes or None
        The stored ``review`` column.
    n : int
        The batch's number of observations.
    kind : str, default "binary"
        The batch's kind, which sets the final decisions' dtype.

    Returns
    -------
    Reviews or None
    """
    if blob is None:
        return None
    raw = zlib.decompress(blob)
    flags = np.frombuffer(raw, dtype=np.int8, count=2 * n)
    final = np.frombuffer(raw, dtype=FINAL_DTYPES[kind], count=n, offset=2 * n).copy()
    return Reviews(flags[:n].astype(bool), flags[n:].astype(bool), final)
