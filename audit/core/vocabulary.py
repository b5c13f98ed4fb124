"""The one metric vocabulary: every metric name, its aliases, the criteria, what needs outcomes.

The policy schema (audit rules and breaker rules), the breaker and the group reports all resolve
metric names here, so a name accepted in one place is accepted in every other. The vocabulary is
data: a new kind of model adds its metrics to :data:`METRIC_NAMES` (and criteria to
:data:`CRITERIA`) with the model kind they apply to; the functions below need no change.

- A **rate metric** is measured per group (``selection_rate``, ``true_positive_rate``, ...).
- A **criterion** compares one or more rate metrics between groups (``demographic_parity``
  compares selection rates, ``equalized_odds`` true and false positive rates, ...). fairlearn's
  aggregate names (``demographic_parity_difference``, ``equalized_odds_ratio``, ...) name the
  criterion; whether a rule takes the ratio or the difference is the rule's ``kind``.
- ``count`` is shown per group but never compared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fairgate.errors import ValidationError

__all__ = [
    "AGGREGATE_SUFFIXES",
    "ALIASES",
    "COUNT",
    "CRITERIA",
    "KIND_METRIC_NAMES",
    "METRIC_NAMES",
    "PER_CLASS_RATES",
    "RULE_METRICS",
    "Criterion",
    "MetricName",
    "compared_rates",
    "kind_metric_names",
    "needs_outcome",
    "resolve_metric_name",
    "resolve_rate",
    "resolve_rule_metric",
]


@dataclass(frozen=True)
class MetricName:
    """A metric measured per group.

    Attributes
    ----------
    name : str
        The canonical name (fairlearn's where fairlearn has the metric).
    needs_outcome : bool
        Whether it needs the true outcome (the selection rate needs only the decision).
    aliases : tuple of str
        Other names accepted for it (``tpr``, ``recall``, scikit-learn's ``recall_score``, ...).
    model_kind : str
        The kind of model it applies to (``"binary"`` for a classifier's decisions).
    comparable : bool
        Whether a rule may compare it between groups (``count`` may not).
    """

    name: str
    needs_outcome: bool
    aliases: tuple[str, ...] = ()
    model_kind: str = "binary"
    comparable: bool = True


@dataclass(frozen=True)
class Criterion:
    """A fairness criterion: the rate metrics it compares between groups.

    Attributes
    ----------
    name : str
        The criterion (``demographic_parity``, ``equalized_odds``, ...).
    rates : tuple of str
        The rate metrics compared; the rule judges the worst of them.
    model_kind : str
        The kind of model it applies to.
    """

    name: str
    rates: tuple[str, ...]
    model_kind: str = "binary"


COUNT = "count"
"""Rows per group: shown, never compared."""

METRIC_NAMES: tuple[MetricName, ...] = (
    MetricName(COUNT, needs_outcome=False, comparable=False),
    MetricName("selection_rate", needs_outcome=False, aliases=("mean_prediction",)),
    MetricName("true_positive_rate", True, aliases=("tpr", "recall", "recall_score")),
    MetricName("false_positive_rate", True, aliases=("fpr",)),
    MetricName("false_negative_rate", True, aliases=("fnr",)),
    MetricName("true_negative_rate", True, aliases=("tnr", "specificity")),
    MetricName("precision", True, aliases=("ppv", "positive_predictive_value", "precision_score")),
    MetricName("negative_predictive_value", True, aliases=("npv",)),
    MetricName("false_discovery_rate", True, aliases=("fdr",)),
    MetricName("false_omission_rate", True, aliases=("for",)),
    MetricName("accuracy", True, aliases=("accuracy_score",)),
    MetricName("base_rate", True),
)
"""Every metric measured per group, with its aliases."""

CRITERIA: tuple[Criterion, ...] = (
    Criterion("demographic_parity", ("selection_rate",)),
    Criterion("equal_opportunity", ("true_positive_rate",)),
    Criterion("equalized_odds", ("true_positive_rate", "false_positive_rate")),
    Criterion("predictive_parity", ("precision",)),
)
"""Named fairness criteria and the rates they compare (fairlearn's definitions)."""

KIND_METRIC_NAMES: tuple[MetricName, ...] = (
    MetricName("mean_outcome", True, model_kind="regression"),
    MetricName("mean_prediction", False, model_kind="regression"),
    MetricName("mean_error", True, aliases=("bias",), model_kind="regression"),
    MetricName("mean_absolute_error", True, aliases=("mae",), model_kind="regression"),
    MetricName("mean_squared_error", True, aliases=("mse",), model_kind="regression"),
    MetricName("root_mean_squared_error", True, aliases=("rmse",), model_kind="regression"),
    MetricName("r2_score", True, aliases=("r2",), model_kind="regression"),
    MetricName("macro_true_positive_rate", True, model_kind="multiclass"),
    MetricName("macro_false_positive_rate", True, model_kind="multiclass"),
    MetricName("macro_precision", True, model_kind="multiclass"),
    MetricName("top_k_rate", False, model_kind="ranking"),
    MetricName("top_k_share_ratio", False, model_kind="ranking"),
    MetricName("exposure_ratio", False, model_kind="ranking"),
)
"""The per-group metrics of regression and multiclass models (see ``regression_metrics`` and
``multiclass_metrics``). A multiclass model also has every one-vs-rest rate of each class, named
``rate[class]`` (``true_positive_rate[Gentoo]``, aliases accepted: ``recall[Gentoo]``); its
``accuracy`` is the binary name. A ranking (a scores model) is judged at its top k: the share of
each group's rows in the top k, the group's share of the top k over its share of the pool, and
its share of the exposure over its share of the pool (see ``ranking_table``). Each kind resolves
its own names for its reports; a rule may name any of them and is judged on the audits of that
kind."""

PER_CLASS_RATES: tuple[str, ...] = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
)
"""Rates a multiclass rule may name for one class, as ``rate[class]``."""

AGGREGATE_SUFFIXES: tuple[str, ...] = ("_difference", "_ratio")
"""``<criterion>_difference`` and ``<criterion>_ratio`` name the criterion."""

_BY_NAME: dict[str, MetricName] = {m.name: m for m in METRIC_NAMES}
_CRITERIA: dict[str, Criterion] = {c.name: c for c in CRITERIA}

ALIASES: Mapping[str, str] = {a: m.name for m in METRIC_NAMES for a in m.aliases}
"""Alias -> canonical metric name."""

_KIND_BY_NAME: dict[str, MetricName] = {m.name: m for m in KIND_METRIC_NAMES}
_KIND_ALIASES: dict[str, str] = {a: m.name for m in KIND_METRIC_NAMES for a in m.aliases}
_PER_CLASS = re.compile(r"^(?P<rate>[a-z_]+)\[(?P<cls>[^\]]+)\]$")


def _names_by_kind() -> dict[str, dict[str, str]]:
    """Model kind -> every name and alias of its metrics -> the canonical name (count first)."""
    out: dict[str, dict[str, str]] = {}
    for metric in (*METRIC_NAMES, *KIND_METRIC_NAMES):
        names = out.setdefault(metric.model_kind, {COUNT: COUNT})
        names.update(dict.fromkeys((metric.name, *metric.aliases), metric.name))
    return out


_BY_KIND = _names_by_kind()

RULE_METRICS: tuple[str, ...] = (
    *(m.name for m in METRIC_NAMES if m.comparable),
    *(c.name for c in CRITERIA),
    *(m.name for m in KIND_METRIC_NAMES),
)
"""Every name a rule may compare between groups (aliases and aggregate names are accepted too)."""


def _allowed() -> str:
    aliases = ", ".join(sorted(a for a, m in ALIASES.items() if _BY_NAME[m].comparable))
    more = ", ".join(sorted(_KIND_ALIASES))
    return (
        f"use one of {', '.join(RULE_METRICS)}, or a class's rate such as "
        f"true_positive_rate[<class>] (or an alias: {aliases}, {more})"
    )


def kind_metric_names(model_kind: str) -> tuple[str, ...]:
    """The canonical names of the per-group metrics of one kind of model, ``count`` first.

    Parameters
    ----------
    model_kind : str
        ``"binary"`` or ``"regression"`` (a multiclass model's names depend on its classes).

    Returns
    -------
    tuple of str
        In the vocabulary's order, which is the order a group report shows them in.
    """
    return tuple(dict.fromkeys(_BY_KIND[model_kind].values()))


def resolve_metric_name(name: str, model_kind: str = "binary") -> str:
    """The canonical name of a per-group metric of one kind of model, or of one of its aliases.

    Parameters
    ----------
    name : str
        A metric name or alias (``tpr``, ``recall``, ``mae``, ``rmse``, ...).
    model_kind : str, default "binary"
        ``"binary"`` (a classifier's decisions) or ``"regression"``.

    Returns
    -------
    str
        One of :func:`kind_metric_names` of that kind.

    Raises
    ------
    ValidationError
        For a name the kind does not know; the message lists the known ones.
    """
    names = _BY_KIND[model_kind]
    if name in names:
        return names[name]
    raise ValidationError(
        f"metric {name!r} is unknown; use one of the {model_kind} model's metrics: "
        f"{', '.join(sorted(names))}."
    )


def resolve_rate(name: str) -> str:
    """The canonical name of a classifier's per-group metric (``count`` included) or alias.

    The same as ``resolve_metric_name(name, "binary")``.

    Parameters
    ----------
    name : str
        A metric name or alias (``tpr``, ``recall``, ...).

    Returns
    -------
    str
        A name of :data:`METRIC_NAMES`.
    """
    return resolve_metric_name(name, "binary")


def resolve_rule_metric(name: str) -> str:
    """The canonical name of a metric a rule (audit or breaker) compares between groups.

    Parameters
    ----------
    name : str
        A comparable rate metric or its alias, a criterion, or fairlearn's aggregate name of a
        criterion (``demographic_parity_difference``, ``equalized_odds_ratio``, ...).

    Returns
    -------
    str
        A name of :data:`RULE_METRICS`.

    Raises
    ------
    ValidationError
        For an unknown or non-comparable name; the message lists the allowed ones.
    """
    text = str(name).strip()
    if text in _CRITERIA:
        return text
    for suffix in AGGREGATE_SUFFIXES:
        if text.endswith(suffix) and text.removesuffix(suffix) in _CRITERIA:
            return text.removesuffix(suffix)
    if text in _KIND_BY_NAME:  # before the binary aliases: mean_prediction is a regression name
        return text
    key = ALIASES.get(text, text)
    if key in _BY_NAME and _BY_NAME[key].comparable:
        return key
    if text in _KIND_ALIASES:
        return _KIND_ALIASES[text]
    per_class = _PER_CLASS.match(text)
    if per_class:
        rate = ALIASES.get(per_class["rate"], per_class["rate"])
        if rate in PER_CLASS_RATES:
            return f"{rate}[{per_class['cls']}]"
    raise ValidationError(f"metric {text!r} is unknown; {_allowed()}.")


def compared_rates(name: str) -> tuple[str, ...]:
    """The per-group metric(s) a rule's metric compares (a criterion's rates, else itself).

    Parameters
    ----------
    name : str
        Any name :func:`resolve_rule_metric` accepts.

    Returns
    -------
    tuple of str
        The criterion's rates in its order, or the one canonical rate.
    """
    key = resolve_rule_metric(name)
    return _CRITERIA[key].rates if key in _CRITERIA else (key,)


def needs_outcome(name: str) -> bool:
    """Whether a rule's metric needs the true outcome (any of its compared rates does).

    Parameters
    ----------
    name : str
        A rule's metric, as :func:`compared_rates` takes it.

    Returns
    -------
    bool
        True when the decisions alone cannot give it.
    """
    return any(_needs(r) for r in compared_rates(name))


def _needs(rate: str) -> bool:
    per_class = _PER_CLASS.match(rate)
    if per_class:
        return per_class["rate"] != "selection_rate"
    known = _BY_NAME.get(rate) or _KIND_BY_NAME[rate]
    return known.needs_outcome
