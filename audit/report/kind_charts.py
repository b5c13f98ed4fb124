"""Charts of the per-kind report sections: error, reliability, threshold and confusion charts.

In the line charts each group gets its own line style and marker as well as its colour, so
groups are told apart without colour; the groups' confusion matrices are small multiples on one
colour scale with their values written in the cells. The words on a chart (axis labels, legends,
panel titles) come from the caller's catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fairgate.audit.report.charts import figure_uri, heat_cells, pyplot

__all__ = [
    "PANELS_PER_ROW",
    "confusion_panels_chart",
    "error_distribution_chart",
    "panel_grid",
    "reliability_chart",
    "threshold_sweep_chart",
]

PANELS_PER_ROW = 3
"""Small multiples wrap into rows of at most this many panels (ten groups: four rows)."""

_STYLES = ("-", "--", ":", "-.")
_LINEAR_BINS = 40
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _style(i: int) -> dict[str, Any]:
    return {
        "linestyle": _STYLES[i % len(_STYLES)],
        "marker": _MARKERS[i % len(_MARKERS)],
        "color": f"C{i % 10}",
        "markersize": 3.5,
        "linewidth": 1.4,
    }


def _finish(fig: Any, ax: Any, words: dict[str, str]) -> str:
    """Axis labels, no top or right spine, the legend under the axes; the figure as a URI."""
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, frameon=False)
    return figure_uri(fig)


def error_distribution_chart(
    edges: Sequence[float],
    groups: Sequence[tuple[str, Sequence[int]]],
    words: dict[str, str],
) -> str:
    """Each group's density of prediction errors (prediction minus outcome), linear scale.

    The counts' fine bins are spread evenly over equal-width bins across the range that holds
    99% of all errors; each point is the group's share in a bin divided by the bin's width.

    Parameters
    ----------
    edges : sequence of float
        The histogram's edges (bin ``i`` holds ``edges[i-1] <= e < edges[i]``).
    groups : sequence of (label, histogram)
        Each group's counts per bin (``len(edges) + 1`` bins).
    words : dict
        ``"x"`` and ``"y"`` axis labels from the catalog.

    Returns
    -------
    str
        A ``data:image/svg+xml;base64,...`` URI.
    """
    plt = pyplot()
    e = np.asarray(edges, dtype=np.float64)
    hists = np.asarray([h for _, h in groups], dtype=np.float64)[:, 1:-1]  # inside the edges
    total = hists.sum(axis=0)
    cum = np.cumsum(total) / max(total.sum(), 1.0)
    lo = int(np.searchsorted(cum, 0.005))
    hi = int(np.searchsorted(cum, 0.995)) + 1
    hi = min(hi, len(e) - 1)
    # the fine (logarithmic) bins spread evenly over equal-width bins across the range
    grid = np.linspace(e[lo], e[hi], _LINEAR_BINS + 1)
    b_lo, b_hi = e[lo:hi, None], e[lo + 1 : hi + 1, None]
    overlap = np.minimum(b_hi, grid[None, 1:]) - np.maximum(b_lo, grid[None, :-1])
    share = np.clip(overlap, 0.0, None) / (b_hi - b_lo)
    mids = (grid[:-1] + grid[1:]) / 2
    width = grid[1] - grid[0]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for i, (label, _) in enumerate(groups):
        counts = hists[i, lo:hi] @ share
        density = counts / max(hists[i].sum(), 1.0) / width
        ax.plot(mids, density, label=str(label), **_style(i) | {"markevery": 4})
    ax.axvline(0.0, color="#555555", linewidth=0.8)
    return _finish(fig, ax, words)


def reliability_chart(
    groups: Sequence[str],
    mean_score: Sequence[Sequence[float | None]],
    observed: Sequence[Sequence[float | None]],
    words: dict[str, str],
) -> str:
    """Observed share of positives against the mean score per score bin, one line per group.

    A calibrated model lies on the diagonal (drawn grey).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.plot([0, 1], [0, 1], color="#999999", linewidth=0.8, label=words["diagonal"])
    for i, label in enumerate(groups):
        x = np.asarray([np.nan if v is None else v for v in mean_score[i]], dtype=np.float64)
        y = np.asarray([np.nan if v is None else v for v in observed[i]], dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        ax.plot(x[ok], y[ok], label=str(label), **_style(i))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return _finish(fig, ax, words)


def threshold_sweep_chart(
    thresholds: Sequence[float],
    groups: Sequence[str],
    panels: Sequence[tuple[str, Sequence[Sequence[float | None]]]],
    threshold: float,
    words: dict[str, str],
) -> str:
    """Rates per group as the decision threshold moves, one panel per rate.

    Parameters
    ----------
    thresholds : sequence of float
        The x axis.
    groups : sequence of str
        Group labels.
    panels : sequence of (title, values)
        Each panel's title and, per group, its rate at each threshold.
    threshold : float
        The filing's threshold (a vertical line).
    words : dict
        ``"x"`` axis label and ``"threshold"`` legend text.
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.2), sharey=True)
    axes = np.atleast_1d(axes)
    x = np.asarray(thresholds, dtype=np.float64)
    for ax, (title, values) in zip(axes, panels, strict=True):
        for i, label in enumerate(groups):
            y = np.asarray([np.nan if v is None else v for v in values[i]], dtype=np.float64)
            style = _style(i) | {"markevery": 5}
            ax.plot(x, y, label=str(label), **style)
        ax.axvline(threshold, color="#b22222", linewidth=1.0, linestyle="--")
        ax.set_title(title)
        ax.set_xlabel(words["x"])
        ax.set_ylim(-0.02, 1.02)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].plot([], [], color="#b22222", linestyle="--", label=words["threshold"])
    axes[0].legend(
        loc="upper center",
        bbox_to_anchor=(0.5 * len(panels), -0.22),
        ncol=5,
        frameon=False,
    )
    return figure_uri(fig)


def panel_grid(panels: int) -> tuple[int, int]:
    """Rows and columns of ``panels`` small multiples: at most :data:`PANELS_PER_ROW` a row."""
    cols = max(1, min(panels, PANELS_PER_ROW))
    return -(-panels // cols), cols


def confusion_panels_chart(
    panels: Sequence[tuple[str, np.ndarray]],
    classes: Sequence[str],
    scale: tuple[float, float],
    words: dict[str, str],
) -> str:
    """Each group's confusion matrix as one panel of small multiples, on one colour scale.

    Panels wrap into rows of at most :data:`PANELS_PER_ROW` (see :func:`panel_grid`); each is
    titled with its group, has the classes on both axes and its values written in the cells,
    and one colour bar serves them all.

    Parameters
    ----------
    panels : sequence of (title, matrix)
        Per group, its title and its ``K x K`` matrix (rows: true classes; columns: predicted).
    classes : sequence of str
        The class labels, in the matrices' order.
    scale : (float, float)
        The shared colour scale (see :func:`fairgate.audit.report.charts.scale_range`).
    words : dict
        ``"x"`` and ``"y"`` axis labels and ``"scale"`` (the colour bar's label) from the
        catalog.

    Returns
    -------
    str
        A ``data:image/svg+xml;base64,...`` URI.
    """
    plt = pyplot()
    rows, cols = panel_grid(len(panels))
    side = 0.5 * len(classes) + 1.3
    fig, axes = plt.subplots(
        rows, cols, figsize=(side * cols + 1.2, side * rows + 0.4), squeeze=False
    )
    image = None
    for n, ax in enumerate(axes.flat):
        if n >= len(panels):
            ax.set_axis_off()
            continue
        title, matrix = panels[n]
        image = heat_cells(ax, matrix, scale)
        ax.set_title(str(title), fontsize=9)
        ax.set_xticks(range(len(classes)), [str(c) for c in classes], rotation=30, ha="right")
        ax.set_yticks(range(len(classes)), [str(c) for c in classes])
        if n % cols == 0:
            ax.set_ylabel(words["y"])
        if n + cols >= len(panels):  # the last panel of its column
            ax.set_xlabel(words["x"])
    fig.tight_layout()
    fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02, label=words["scale"])
    return figure_uri(fig)
