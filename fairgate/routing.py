"""Where one decision goes, ``"auto"`` or ``"human"``: the oversight routing, in plain Python.

The committee's policy (``oversight.route_to_human``, validated by
:mod:`fairgate.audit.policy.oversight`) travels as JSON: in the REST status answer to the
serving side, and in the audit. This module is the one implementation of what those conditions
mean, with no dependency beyond the standard library, so the stand-alone
:class:`~fairgate.registry.client.StatusClient` decides locally (no network call per decision)
and the audit report counts, from the evaluation data, what the very same rules would send to
people.

A decision goes to a person when **any** condition holds; a condition holds when **all** of its
fields hold:

``score_band``
    ``|score - threshold| <= score_band`` (the section's ``threshold``).
``low_confidence``
    The largest class probability is below this value (``probabilities``; a binary model may
    pass its probability of the positive class as ``score`` instead: confidence
    ``max(score, 1 - score)``).
``adverse``
    ``"all"``: the decision is adverse (one of the section's ``adverse_decisions``, or a numeric
    decision below ``adverse_below``); a list: the decision is one of these values. Without a
    ``decision``, a score at or above ``threshold`` is decision 1, below it decision 0.
``groups``
    The person belongs to one of the named groups (``{attribute: [level, ...]}``; any attribute).
``sample_rate``
    A random draw in ``[0, 1)`` falls below it (the random audit sample). The draw is made only
    when every other field of the condition holds, so a seeded generator gives the same routes
    for the same decisions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fairgate.errors import ValidationError

__all__ = ["AUTO", "HUMAN", "Condition", "Router", "decision_key"]

AUTO = "auto"
"""The decision may take effect without a person."""

HUMAN = "human"
"""A person must review the decision before it takes effect."""


def _number(value: Any, name: str) -> float:
    out = math.nan
    if not isinstance(value, bool | str | bytes):
        try:
            out = float(value)
        except (TypeError, ValueError):
            out = math.nan
    if not math.isfinite(out):
        raise ValidationError(
            f"{name}: expected a finite number, received {value!r}; pass the model's output."
        )
    return out


@dataclass(frozen=True)
class Condition:
    """One ``route_to_human`` condition (see the module docstring).

    Attributes
    ----------
    id : str
    score_band, low_confidence, sample_rate : float or None
    adverse : str, tuple or None
        ``"all"`` or the decision values that count.
    groups : tuple of (str, frozenset of str)
    """

    id: str
    score_band: float | None = None
    low_confidence: float | None = None
    adverse: str | tuple[Any, ...] | None = None
    sample_rate: float | None = None
    groups: tuple[tuple[str, frozenset[str]], ...] = ()


class Router:
    """Compiled oversight routing of one model version.

    Parameters
    ----------
    rules : mapping
        The ``oversight`` object of a status answer (or ``Oversight.to_rules()``): ``threshold``,
        ``adverse_decisions``, ``adverse_below`` and ``route_to_human`` (a list of conditions).
        ``None`` or an empty mapping: every decision is automated.
    draw : callable
        Returns a float in ``[0, 1)``; used by ``sample_rate`` conditions.
    """

    __slots__ = (
        "_compiled",
        "adverse_below",
        "adverse_decisions",
        "conditions",
        "draw",
        "threshold",
    )

    def __init__(self, rules: Mapping[str, Any] | None, draw: Callable[[], float]) -> None:
        rules = rules or {}
        self.draw = draw
        threshold = rules.get("threshold")
        self.threshold = None if threshold is None else float(threshold)
        self.adverse_decisions = frozenset(_key(v) for v in rules.get("adverse_decisions") or ())
        below = rules.get("adverse_below")
        self.adverse_below = None if below is None else float(below)
        self.conditions = tuple(_condition(c) for c in rules.get("route_to_human") or ())
        self._compiled = tuple((c.id, self._checks(c), c.sample_rate) for c in self.conditions)

    def route(
        self,
        *,
        score: float | None = None,
        decision: Any = None,
        probabilities: Sequence[float] | Mapping[Any, float] | None = None,
        groups: Mapping[str, Any] | None = None,
    ) -> str:
        """``"human"`` when any condition holds, else ``"auto"``.

        Parameters
        ----------
        score : float, optional
            The model's score (binary and score models) or numeric prediction (regression).
        decision : optional
            The model's decision (0/1, a class label, a number).
        probabilities : sequence or mapping of float, optional
            Class probabilities (multiclass).
        groups : mapping, optional
            The person's sensitive attributes, e.g. ``{"sex": "F"}``.

        Returns
        -------
        str
            :data:`HUMAN` or :data:`AUTO`.

        Raises
        ------
        ValidationError
            A condition needs an input that was not passed (e.g. ``score`` for a score band).
        """
        for _, checks, rate in self._compiled:  # reason(), inlined: route() is the hot path
            for check in checks:
                if not check(score, decision, probabilities, groups):
                    break
            else:
                if rate is None or self.draw() < rate:
                    return HUMAN
        return AUTO

    def reason(
        self,
        score: float | None = None,
        decision: Any = None,
        probabilities: Sequence[float] | Mapping[Any, float] | None = None,
        groups: Mapping[str, Any] | None = None,
    ) -> str | None:
        """The id of the first condition that holds (``None``: automated); see :meth:`route`."""
        for cid, checks, rate in self._compiled:
            for check in checks:
                if not check(score, decision, probabilities, groups):
                    break
            else:
                if rate is None or self.draw() < rate:
                    return cid
        return None

    def _checks(self, cond: Condition) -> tuple[Callable[[Any, Any, Any, Any], bool], ...]:
        """One check per field of the condition (the sample draw excluded), cheapest first."""
        checks: list[Callable[[Any, Any, Any, Any], bool]] = []
        threshold = self.threshold
        if cond.score_band is not None:
            band = cond.score_band

            def near(score: Any, decision: Any, probabilities: Any, groups: Any) -> bool:
                if type(score) is not float or score - score != 0.0:  # not a finite float
                    if score is None or threshold is None:
                        raise _needs(cond, "score")
                    score = _as_number(score, "score")
                return abs(score - threshold) <= band  # type: ignore[operator]

            checks.append(near)
        if cond.adverse is not None:
            keys = self.adverse_decisions if cond.adverse == "all" else frozenset(cond.adverse)
            below = self.adverse_below if cond.adverse == "all" else None

            def adverse(score: Any, decision: Any, probabilities: Any, groups: Any) -> bool:
                if decision is None:
                    if score is None or threshold is None:
                        raise _needs(cond, "decision")
                    decision = int(_as_number(score, "score") >= threshold)
                key = str(decision) if type(decision) in (int, str) else _key(decision)
                if key in keys:
                    return True
                if below is None:
                    return False
                numeric = isinstance(decision, int | float) and not isinstance(decision, bool)
                return numeric and decision < below

            checks.append(adverse)
        if cond.groups:
            named = cond.groups

            def member(score: Any, decision: Any, probabilities: Any, groups: Any) -> bool:
                if groups is None:
                    raise _needs(cond, "groups")
                for attr, levels in named:
                    value = groups.get(attr)
                    if (
                        value is not None
                        and (value if type(value) is str else str(value)) in levels
                    ):
                        return True
                return False

            checks.append(member)
        if cond.low_confidence is not None:
            floor = cond.low_confidence

            def unsure(score: Any, decision: Any, probabilities: Any, groups: Any) -> bool:
                if type(probabilities) in (list, tuple):  # fast path: finite floats
                    total = sum(probabilities)
                    if type(total) is float and total - total == 0.0:
                        return max(probabilities) < floor
                return _confidence(probabilities, score, cond) < floor

            checks.append(unsure)
        return tuple(checks)


def _as_number(value: Any, name: str) -> float:
    """A finite float (the fast path for plain floats and ints)."""
    if type(value) is float and value - value == 0.0:  # finite: inf - inf and nan are nan
        return value
    if type(value) is int:
        return float(value)
    return _number(value, name)


def decision_key(value: Any) -> str:
    """How a decision value compares: as text, so 0, 0.0, False and "0" are the same decision.

    Parameters
    ----------
    value : Any
        A decision (0/1, a class label, a number; numpy scalars too).

    Returns
    -------
    str
    """
    return _key(value)


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not isinstance(value, str | int | float):
        return _key(item())
    return str(value)


def _condition(raw: Mapping[str, Any]) -> Condition:
    adverse = raw.get("adverse")
    if adverse is not None and adverse != "all":
        values = adverse if isinstance(adverse, list | tuple) else [adverse]
        adverse = tuple(_key(v) for v in values)
    groups = raw.get("groups") or {}
    return Condition(
        id=str(raw.get("id", "route")),
        score_band=_opt(raw.get("score_band")),
        low_confidence=_opt(raw.get("low_confidence")),
        adverse=adverse,
        sample_rate=_opt(raw.get("sample_rate")),
        groups=tuple((str(a), frozenset(map(str, lv))) for a, lv in groups.items()),
    )


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _needs(cond: Condition, what: str) -> ValidationError:
    hint = {
        "score": "pass score= (the model's score or numeric prediction); the policy's oversight "
        "section needs a threshold for a score band",
        "decision": "pass decision= (or score= with the oversight threshold set)",
        "groups": "pass groups= with the person's sensitive attributes",
        "probabilities": "pass probabilities= (class probabilities) or score= (a probability)",
    }[what]
    return ValidationError(
        f"oversight condition {cond.id!r} needs {what}; {hint}.",
        details={"condition": cond.id, "missing": what},
    )


def _confidence(
    probabilities: Sequence[float] | Mapping[Any, float] | None,
    score: float | None,
    cond: Condition,
) -> float:
    if probabilities is not None:
        values = probabilities
        if type(values) not in (list, tuple):
            values = list(values.values() if isinstance(values, Mapping) else values)
        try:
            total = sum(values)
            top = max(values)
        except (TypeError, ValueError):
            total = top = math.nan
        if isinstance(total, bool | str) or not total - total == 0.0:
            raise ValidationError(
                f"probabilities: expected finite numbers, received {list(values)[:5]!r}; pass "
                "the model's class probabilities.",
                details={"condition": cond.id, "missing": "probabilities"},
            )
        return float(top)
    if score is None:
        raise _needs(cond, "probabilities")
    p = _as_number(score, "score")
    if not 0.0 <= p <= 1.0:
        raise ValidationError(
            f"score={p!r} is not a probability, so low_confidence cannot judge it; pass "
            "probabilities= (class probabilities).",
            details={"condition": cond.id, "missing": "probabilities"},
        )
    return max(p, 1.0 - p)
