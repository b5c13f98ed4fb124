"""Per-group counts in one pass, for every kind of model: the entry point ``group_counts``.

fairgate computes the sufficient statistics of every group of every sensitive attribute *and
every intersection* in one pass: each sensitive column is factorized to integer codes, the codes
are combined into one group code, and one ``np.bincount`` over ``group_code * cells + cell``
yields the full cross-tabulation. Marginals (one attribute, or any subset of attributes) are sums
over the other axes, so they cost nothing more.

Binary decisions keep the confusion counts ``(TP, FP, TN, FN)`` (see :data:`CELLS`);
:mod:`~fairgate.audit.core.regression` and :mod:`~fairgate.audit.core.multiclass` keep the
statistics of the other kinds, and :func:`group_counts` selects them with ``kind=``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from fairgate.audit.core.binary_counts import CELLS, GroupCounts, binary_cells
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.inputs import (
    MISSING_LABEL,
    MissingPolicy,
    binary_labels,
    check_lengths,
    check_missing_policy,
    class_codes,
    column,
    combined_codes,
    numeric_values,
    sensitive_columns,
)
from fairgate.errors import EmptyDataError, ValidationError

__all__ = [
    "CELLS",
    "KINDS",
    "MISSING_LABEL",
    "GroupCounts",
    "aligned_inputs",
    "binary_cells",
    "check_kind_options",
    "group_counts",
]

KINDS: tuple[str, ...] = ("binary", "scores", "multiclass", "regression")
"""Values of ``group_counts(kind=...)``."""

Kind = Literal["binary", "scores", "multiclass", "regression"]


def group_counts(
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    *,
    data: pd.DataFrame | None = None,
    kind: Kind = "binary",
    pos_label: Any = 1,
    threshold: float | None = None,
    classes: Any = None,
    favourable: Any = None,
    error_edges: Any = None,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> GroupedCounts:
    """Count the sufficient statistics of every intersection of the sensitive attributes.

    Parameters
    ----------
    y_true, y_pred : array-like or str
        True outcomes and the model's outputs. With ``data=``, column names.
    sensitive_features : array-like, DataFrame, dict, pyarrow Table, or list of str
        One or more sensitive columns. With ``data=``, a column name or a list of names.
    data : pandas.DataFrame, optional
        A frame holding the named columns.
    kind : {"binary", "scores", "multiclass", "regression"}, default "binary"
        ``binary``: two-class decisions (confusion counts). ``scores``: ``y_pred`` holds scores
        (probabilities or raw), decided as ``score >= threshold``. ``multiclass``: class labels
        (a K x K confusion matrix per group). ``regression``: numbers (sums, sums of squares and
        an error histogram per group).
    pos_label : scalar, default 1
        The favourable outcome (binary and scores).
    threshold : float, optional
        The decision threshold on the scores (``kind="scores"`` only, then required).
    classes : sequence, optional
        Class order for ``kind="multiclass"`` (default: the sorted union of the labels).
    favourable : scalar, optional
        With ``kind="multiclass"``, the favourable class: the counts are reduced to the binary
        case (that class against all others) and a :class:`GroupCounts` is returned.
    error_edges : array-like, optional
        Edges of the error histogram (``kind="regression"``); default
        :data:`fairgate.audit.core.regression.ERROR_EDGES`.
    missing : {"group", "error"}, default "group"
        What to do with missing values in a sensitive column: count them as an explicit group
        labelled ``missing_label`` (never silently dropped), or raise.
    missing_label : str, default "(missing)"
        Label of that explicit group.

    Returns
    -------
    GroupCounts, MulticlassCounts or RegressionCounts
        Arrays whose leading axes are the levels of each attribute.

    Raises
    ------
    MissingColumnError, LengthMismatchError, LabelError, MissingValueError, EmptyDataError
        On invalid input; each message names the argument and what to do.
    """
    check_missing_policy(missing)
    check_kind_options(kind, threshold, favourable)
    if isinstance(data, pd.DataFrame) and len(data) == 0:
        raise EmptyDataError("data: the frame has no rows; an audit needs decisions to count.")
    (yt, yp), names, columns = aligned_inputs(
        data, sensitive_features, y_true=y_true, y_pred=y_pred
    )
    if kind == "regression":
        from fairgate.audit.core.regression import regression_counts_from_codes

        t_num = numeric_values(yt, "y_true")
        p_num = numeric_values(yp, "y_pred")
        code, levels = combined_codes(names, columns, missing, missing_label)
        return regression_counts_from_codes(
            tuple(names), levels, code, t_num, p_num, error_edges=error_edges
        )
    if kind == "multiclass":
        from fairgate.audit.core.multiclass import multiclass_counts_from_codes

        t_codes, p_codes, labels = class_codes(yt, yp, classes)
        code, levels = combined_codes(names, columns, missing, missing_label)
        mc = multiclass_counts_from_codes(tuple(names), levels, code, t_codes, p_codes, labels)
        return mc if favourable is None else mc.binary(favourable)
    t = binary_labels(yt, "y_true", pos_label)
    if kind == "scores":
        scores = numeric_values(yp, "y_pred")
        p = (scores >= float(threshold)).astype(np.int8)
    else:
        p = binary_labels(yp, "y_pred", pos_label)
    code, levels = combined_codes(names, columns, missing, missing_label)
    return GroupCounts(tuple(names), levels, binary_cells(code, tuple(map(len, levels)), t, p))


def check_kind_options(kind: str, threshold: float | None, favourable: Any) -> None:
    """Refuse a kind fairgate does not know, or options that do not belong to the kind.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    threshold : float or None
        Required for ``kind="scores"``, refused otherwise.
    favourable : Any
        Only for ``kind="multiclass"``.

    Raises
    ------
    ValidationError
    """
    if kind not in KINDS:
        raise ValidationError(f"kind={kind!r}: use one of {', '.join(KINDS)}.")
    if (threshold is None) == (kind == "scores"):
        raise ValidationError(
            f"threshold={threshold!r} with kind={kind!r}: a threshold is required for "
            "kind='scores' (decide score >= threshold) and meaningless otherwise."
        )
    if favourable is not None and kind != "multiclass":
        raise ValidationError(
            f"favourable={favourable!r}: only for kind='multiclass'; for two classes use "
            "pos_label=."
        )


def aligned_inputs(
    data: pd.DataFrame | None, sensitive_features: Any, **values: Any
) -> tuple[list[pd.Series], list[str], list[pd.Series]]:
    """The named value columns and the sensitive columns, checked to be of one length.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Holds the columns when the arguments are names.
    sensitive_features : Any
        As in :func:`group_counts`.
    **values : array-like or str
        The value columns by argument name (``y_true=...``, ``y_score=...``).

    Returns
    -------
    (columns, names, sensitive) : tuple
        The value Series in argument order, the sensitive names and their Series.

    Raises
    ------
    MissingColumnError, LengthMismatchError, EmptyDataError, ValidationError
    """
    series = [column(data, v, name) for name, v in values.items()]
    names, columns = sensitive_columns(sensitive_features, data)
    if not names:
        raise ValidationError("sensitive_features: no sensitive column given; name at least one.")
    lengths = {name: len(s) for name, s in zip(values, series, strict=True)}
    lengths.update(
        {f"sensitive_features[{n!r}]": len(c) for n, c in zip(names, columns, strict=True)}
    )
    check_lengths(lengths)
    return series, names, columns
