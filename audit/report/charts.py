"""Charts of the audit report: matplotlib (Agg) figures as base64 SVG data URIs.

Charts hold only data (group names, feature names, numbers); their titles, captions and alt text
come from the report's message catalog, so a chart never mixes languages.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["bar_chart", "disparity_chart", "heatmap"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "fairgate", "svg.fonttype": "path", "font.size": 9})
    return plt


def _to_uri(fig: Any) -> str:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def disparity_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    band: tuple[float, float] | None,
    insufficient: Sequence[bool],
) -> str:
    """Horizontal bars per group with interval whiskers and the policy's accepted band.

    Parameters
    ----------
    labels : sequence of str
        Group labels.
    values, low, high : sequence of float or None
        Metric value and interval bounds per group (None where undefined).
    band : (float, float) or None
        The accepted range, drawn as a green band.
    insufficient : sequence of bool
        Groups drawn hatched and grey (too small to judge).

    Returns
    -------
    str
        A ``data:image/svg+xml;base64,...`` URI.
    """
    plt = _plt()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(6.0, 0.45 * n + 0.8))
    y = np.arange(n)
    vals = np.array([np.nan if v is None else v for v in values], dtype=float)
    lo = np.array([np.nan if v is None else v for v in low], dtype=float)
    hi = np.array([np.nan if v is None else v for v in high], dtype=float)
    if band is not None:
        ax.axvspan(max(band[0], 0.0), min(band[1], 1.0), color="#b7e4c7", alpha=0.7, lw=0)
    colours = ["#adb5bd" if bad else "#1d4e89" for bad in insufficient]
    ax.barh(y, np.nan_to_num(vals), color=colours, height=0.6, hatch=None)
    for i in range(n):
        if not np.isnan(lo[i]):
            ax.plot([lo[i], hi[i]], [y[i], y[i]], color="black", lw=1.5)
        if not np.isnan(vals[i]):
            ax.text(min(vals[i], 1.0) + 0.01, y[i] + 0.25, f"{vals[i]:.2f}", fontsize=8)
    ax.set_yticks(y, [str(s) for s in labels])
    ax.set_xlim(0, 1.08)
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    return _to_uri(fig)


def heatmap(
    matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str], fmt: str = "{:.2f}"
) -> str:
    """A heat map with the value written in each cell (NaN cells left empty).

    Parameters
    ----------
    matrix : numpy.ndarray
        Shape ``(len(rows), len(cols))``.
    rows, cols : sequence of str
        Axis labels.
    fmt : str
        Format of the cell text.

    Returns
    -------
    str
        A ``data:image/svg+xml;base64,...`` URI.
    """
    plt = _plt()
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(1.2 * len(cols) + 2.0, 0.5 * len(rows) + 1.0))
    finite = matrix[np.isfinite(matrix)]
    vmax = float(finite.max()) if finite.size else 1.0
    ax.imshow(np.ma.masked_invalid(matrix), cmap="Blues", vmin=0, vmax=vmax or 1.0, aspect="auto")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if np.isfinite(matrix[i, j]):
                dark = matrix[i, j] > 0.6 * (vmax or 1.0)
                ax.text(
                    j,
                    i,
                    fmt.format(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(len(cols)), [str(c) for c in cols], rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    return _to_uri(fig)


def bar_chart(labels: Sequence[str], values: Sequence[float]) -> str:
    """Horizontal bars, largest first (feature importance).

    Returns
    -------
    str
        A ``data:image/svg+xml;base64,...`` URI.
    """
    plt = _plt()
    order = np.argsort(-np.asarray(values, dtype=float), kind="stable")
    fig, ax = plt.subplots(figsize=(6.0, 0.35 * len(labels) + 0.8))
    ax.barh(np.arange(len(order)), np.asarray(values, dtype=float)[order], color="#1d4e89")
    ax.set_yticks(np.arange(len(order)), [str(labels[i]) for i in order])
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    return _to_uri(fig)
