"""What people did with live decisions: ``reviewed``, ``overridden`` and ``final_decision``.

A batch of observations (see :mod:`.observations`) may say, per decision, whether a person
reviewed it, whether they overrode the model, and the decision that took effect::

    {"model": "m", "version": "1", "prediction": [0, 1, 0], "sensitive": {"sex": [...]},
     "reviewed": [true, false, true], "overridden": [true, false, false],
     "final_decision": [1, 1, 0]}

``reviewed`` is required once ``overridden`` or ``final_decision`` is sent. ``overridden``
may be left out when ``final_decision`` is sent: a decision is then overridden where its final
decision differs from the model's. A decision cannot be overridden without being reviewed, and
an overridden decision's final decision (when given) differs from the model's; any
contradiction rejects the whole batch, naming the first row. The three columns are stored as
one zlib-compressed int8 blob (``-1``: final decision not given) in the ``review`` column of
``observation_batches`` (migration ``0011``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.errors import LengthMismatchError, ValidationError

__all__ = ["REVIEW_FIELDS", "Reviews", "decode_reviews", "encode_reviews", "parse_reviews"]

REVIEW_FIELDS: tuple[str, ...] = ("reviewed", "overridden", "final_decision")
"""The per-decision oversight fields a batch may carry."""


@dataclass(frozen=True, eq=False)
class Reviews:
    """Per decision: reviewed by a person, overridden, and the final decision (-1: not given).

    Attributes
    ----------
    reviewed, overridden : numpy.ndarray of bool
    final : numpy.ndarray of int8
    """

    reviewed: np.ndarray
    overridden: np.ndarray
    final: np.ndarray


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


def parse_reviews(columns: dict[str, Any], prediction: np.ndarray) -> Reviews | None:
    """Validate the review columns of a batch (``None`` when it sends none).

    Parameters
    ----------
    columns : dict
        The batch: its ``reviewed``, ``overridden`` and ``final_decision`` lists (missing keys:
        not sent), or, in the row form, its ``observations`` with those keys.
    prediction : numpy.ndarray
        The model's decisions (0/1) of the batch.

    Returns
    -------
    Reviews or None

    Raises
    ------
    ValidationError
        A column of the wrong length or type, or a contradiction; nothing is stored.
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
    final = (
        _flags(sent["final_decision"], "final_decision", n, nullable=True)
        if "final_decision" in sent
        else np.full(n, -1, dtype=np.int8)
    )
    changed = (final >= 0) & (final != prediction)
    if "overridden" in sent:
        overridden = _flags(sent["overridden"], "overridden", n, nullable=False).astype(bool)
        _refuse(
            overridden & (final >= 0) & ~changed,
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


def encode_reviews(reviews: Reviews | None) -> bytes | None:
    """The stored form of a batch's review columns (``None`` when the batch has none)."""
    if reviews is None:
        return None
    parts = (
        reviews.reviewed.astype(np.int8),
        reviews.overridden.astype(np.int8),
        reviews.final.astype(np.int8),
    )
    return zlib.compress(b"".join(p.tobytes() for p in parts), 1)


def decode_reviews(blob: bytes | None, n: int) -> Reviews | None:
    """The review columns of a stored batch of ``n`` decisions (``None`` when not sent)."""
    if blob is None:
        return None
    raw = np.frombuffer(zlib.decompress(blob), dtype=np.int8)
    return Reviews(raw[:n].astype(bool), raw[n : 2 * n].astype(bool), raw[2 * n : 3 * n].copy())
