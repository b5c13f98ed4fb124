"""A batch of live decisions: the :class:`Batch` type, and strict parsing of its two JSON forms.

An operations system posts batches of decisions in one of two JSON forms::

    {"model": "m", "version": "1", "observations": [
        {"prediction": 1, "outcome": 0, "sensitive": {"sex": "F"}, "ts": 1732400000.0}, ...]}

    {"model": "m", "version": "1", "prediction": [1, 0, ...], "outcome": [0, null, ...],
     "sensitive": {"sex": ["F", "M", ...]}, "ts": [...]}

The second (columnar) form is the fast path: every column becomes one numpy array. Validation is
strict and all-or-nothing: predictions must be 0/1 (or booleans), outcomes 0/1/``null`` (a model
filed as regression, ranking or multiclass reports numbers, scores or class labels instead; see
:mod:`.live_kind`), sensitive values strings, integers, booleans or ``null`` (the explicit
``"(missing)"`` group), every column the same length, every row the same attributes, no NaN or
Infinity anywhere, and what people did (:mod:`.reviews`) consistent. Any error rejects the whole
batch with a :class:`~fairgate.errors.ValidationError` and nothing is stored. A batch may carry
``"client_batch_id"`` (e.g. a UUID): it is stored once per id and model version (see
:mod:`.observations`). Event times (``ts``) lie in 0..``MAX_TIMESTAMP``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.errors import MissingValueError, ValidationError
from fairgate.registry.monitor.columns import (
    binary_column,
    rows_to_columns,
    sensitive_column,
    timestamps_column,
)
from fairgate.registry.monitor.live_kind import BINARY, LiveKind, kind_columns
from fairgate.registry.monitor.reviews import Reviews, parse_reviews

__all__ = [
    "CLIENT_BATCH_ID_PATTERN",
    "Batch",
    "batch_target",
    "decode_body",
    "parse_batch",
    "parse_batch_dict",
]

CLIENT_BATCH_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
"""A client's batch id: 1 to 64 letters, digits, ``_ . : -`` (a UUID fits)."""


@dataclass(frozen=True, eq=False)
class Batch:
    """One validated batch of live decisions, in columnar form.

    Attributes
    ----------
    model, version : str
    prediction : numpy.ndarray
        0/1 decisions (int8); scores or numeric predictions (float64); class codes (int32).
    outcome : numpy.ndarray
        0/1 outcomes (int8) or class codes (int32), -1 where not (yet) known; numeric outcomes
        (float64), NaN where not known.
    codes : dict of str to numpy.ndarray of int32
        Per sensitive attribute, codes into ``levels[attribute]``.
    levels : dict of str to list of str
    ts : numpy.ndarray of float64 or None
        Event times (epoch seconds), NaN where not given.
    id : int or None
        Row id once stored.
    received_at : float or None
    client_batch_id : str or None
        The sender's id of the batch: a retry with the same id is stored once.
    kind : {"binary", "scores", "multiclass", "regression"}
        What ``prediction`` holds (see :mod:`.live_kind`).
    classes : tuple of str or None
        A multiclass batch's classes (the codes index them).
    reviews : Reviews or None
    """

    model: str
    version: str
    prediction: np.ndarray
    outcome: np.ndarray
    codes: dict[str, np.ndarray]
    levels: dict[str, list[str]]
    ts: np.ndarray | None = None
    id: int | None = None
    received_at: float | None = None
    client_batch_id: str | None = None
    kind: str = "binary"
    classes: tuple[str, ...] | None = None
    reviews: Reviews | None = None

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.prediction.shape[0])

    @property
    def attributes(self) -> list[str]:
        """Sensitive attribute names, sorted."""
        return sorted(self.codes)

    def values(self, attribute: str) -> np.ndarray:
        """The sensitive values of one attribute as an object array of str."""
        return np.asarray(self.levels[attribute], dtype=object)[self.codes[attribute]]

    @property
    def known_outcome(self) -> np.ndarray:
        """Boolean mask of the observations whose outcome is known."""
        if self.kind == "regression":
            return ~np.isnan(self.outcome)
        return self.outcome >= 0


def _reject_constant(name: str) -> Any:
    raise ValidationError(
        f"the body contains {name}; JSON numbers must be finite, send 0/1 or null instead."
    )


def parse_batch(body: bytes, live: LiveKind = BINARY) -> Batch:
    """Parse and validate a JSON batch (either form).

    Parameters
    ----------
    body : bytes
        The request body.
    live : LiveKind, optional
        The model's kind (default: 0/1 decisions); see :func:`.live_kind.live_kind`.

    Returns
    -------
    Batch

    Raises
    ------
    ValidationError
        On any problem; the message names the field and what to send instead.
    """
    return parse_batch_dict(decode_body(body), live)


def decode_body(body: bytes) -> Any:
    """The decoded JSON of a request body (finite numbers only).

    Raises
    ------
    ValidationError
        For a body that is not JSON or holds NaN or Infinity.
    """
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except ValidationError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationError(
            f"the body is not valid JSON ({type(exc).__name__}: {str(exc)[:120]}); send a JSON "
            "object."
        ) from None
    return data


def batch_target(data: Any) -> tuple[str, str]:
    """The model and version a decoded batch names (checked).

    Raises
    ------
    ValidationError
        For a body that is not an object or lacks a model or version.
    """
    if not isinstance(data, dict):
        raise ValidationError(f"expected a JSON object, received {type(data).__name__}.")
    return _name(data, "model"), _name(data, "version")


def _name(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise ValidationError(
            f"{key!r}: expected a non-empty string, received {value!r}; "
            'send e.g. {"model": "benefits-triage", "version": "1.0"}.'
        )
    return str(value)


def parse_batch_dict(data: Any, live: LiveKind = BINARY) -> Batch:
    """Validate an already decoded batch (see :func:`parse_batch`)."""
    model, version = batch_target(data)
    client_id = data.get("client_batch_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not re.match(CLIENT_BATCH_ID_PATTERN, client_id)
    ):
        raise ValidationError(
            f"'client_batch_id': expected 1 to 64 letters, digits, '_', '.', ':' or '-' (a "
            f"UUID fits), received {str(client_id)[:80]!r}.",
            details={"field": "client_batch_id"},
        )
    if "observations" in data:
        rows = data["observations"]
        if not isinstance(rows, list) or not rows:
            raise ValidationError("'observations': expected a non-empty list of objects.")
        pred, out, sens, ts = rows_to_columns(rows)
    else:
        if "prediction" not in data:
            raise ValidationError(
                "send either 'observations' (a list of objects) or the columnar form with "
                "'prediction', optional 'outcome', 'sensitive' and optional 'ts'."
            )
        pred, out, sens = data["prediction"], data.get("outcome"), data.get("sensitive")
        ts = data.get("ts")
    batch = _columns(model, version, pred, out, sens, ts, live)
    found = parse_reviews(data, batch.prediction, live)  # reviewed, overridden, final_decision
    return dataclasses.replace(batch, client_batch_id=client_id, reviews=found)


def _columns(
    model: str, version: str, pred: Any, out: Any, sens: Any, ts: Any, live: LiveKind
) -> Batch:
    if live.kind != "binary":
        prediction, outcome = kind_columns(live, pred, out)
        n = prediction.shape[0]
    else:
        prediction = binary_column(pred, "prediction", nullable=False, n=None)
        n = prediction.shape[0]
        if n == 0:
            raise MissingValueError("'prediction' is empty; send at least one decision.")
        if out is None:
            outcome = np.full(n, -1, dtype=np.int8)
        else:
            outcome = binary_column(out, "outcome", nullable=True, n=n)
    if not isinstance(sens, dict) or not sens:
        raise ValidationError(
            "'sensitive': expected an object mapping each sensitive attribute to its values, "
            'e.g. {"sex": ["F", "M"]}.'
        )
    codes: dict[str, np.ndarray] = {}
    levels: dict[str, list[str]] = {}
    for attr in sorted(sens):
        if not isinstance(attr, str) or not attr:
            raise ValidationError("'sensitive': attribute names must be non-empty strings.")
        codes[attr], levels[attr] = sensitive_column(sens[attr], attr, n)
    return Batch(
        model,
        version,
        prediction,
        outcome,
        codes,
        levels,
        timestamps_column(ts, n),
        kind=live.kind,
        classes=live.classes,
    )
