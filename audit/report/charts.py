"""Charts of the audit report: matplotlib (Agg) figures as base64 SVG data URIs.

Charts hold data (group names, feature names, numbers) and the few words their callers pass from
the message catalog (legend labels), so a chart never mixes languages. Text is drawn with the
report's embedded font (Noto Sans SC) and converted to paths, so Chinese group names render on a
machine with no Chinese font; small groups are hatched (not told apart by colour alone); heat
maps span the data's range and write each value in black or white, whichever contrasts more
(always at least 4.5:1).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = [
    "bar_chart",
    "cell_text_colour",
    "contrast_ratio",
    "disparity_chart",
    "figure_uri",
    "heat_cells",
    "heatmap",
    "pyplot",
    "scale_range",
]

_BAR = "#1d4e89"
_SMALL = "#c9d6e8"
_HATCH = "///"
_CMAP = "Blues"


@cache
def _font_name() -> str:
    from matplotlib import font_manager

    from fairgate.audit.report.fonts import font_path

    path = str(font_path())
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.hashsalt": "fairgate",
            "svg.fonttype": "path",
            "font.size": 9,
            "font.family": [_font_name()],
            "hatch.linewidth": 0.8,
            "axes.unicode_minus": False,
        }
    )
    return plt


def _to_uri(fig: Any) -> str:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def pyplot() -> Any:
    """``matplotlib.pyplot`` set up like every report chart (Agg, embedded font, SVG paths)."""
    return _plt()


def figure_uri(fig: Any) -> str:
    """A figure as a ``data:image/svg+xml;base64,...`` URI (the figure is closed)."""
    return _to_uri(fig)


def _luminance(rgb: Sequence[float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(float(c)) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2 contrast ratio of two RGB colours (channels in 0..1), from 1 to 21."""
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def cell_text_colour(background: Sequence[float]) -> str:
    """``"black"`` or ``"white"``: whichever contrasts more with ``background`` (>= 4.5:1)."""
    on_black = contrast_ratio(background, (0.0, 0.0, 0.0))
    on_white = contrast_ratio(background, (1.0, 1.0, 1.0))
    return "black" if on_black >= on_white else "white"


def scale_range(matrix: np.ndarray) -> tuple[float, float]:
    """The colour scale of a heat map: the smallest and largest finite value of the data.

    A scale from 0 would make 0.89 and 0.98 look alike; a constant matrix gets a unit-wide
    scale around its value.
    """
    finite = np.asarray(matrix, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1e-12:
        return low - 0.5, high + 0.5
    return low, high


def disparity_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    band: tuple[float, float] | None,
    insufficient: Sequence[bool],
    legend: dict[str, str],
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
        Groups too small to judge: drawn pale and hatched.
    legend : dict
        Catalog text for ``"band"`` and ``"small"`` (legend entries).

    Returns
    -------
    str
        A ``data:image/svg+xml;base64,...`` URI.
    """
    from matplotlib.patches import Patch

    plt = _plt()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(6.0, 0.45 * n + 1.1))
    y = np.arange(n)
    vals = np.array([np.nan if v is None else v for v in values], dtype=float)
    lo = np.array([np.nan if v is None else v for v in low], dtype=float)
    hi = np.array([np.nan if v is None else v for v in high], dtype=float)
    handles = []
    if band is not None:
        ax.axvspan(max(band[0], 0.0), min(band[1], 1.0), color="#b7e4c7", alpha=0.7, lw=0)
        handles.append(Patch(facecolor="#b7e4c7", label=legend["band"]))
    for i in range(n):
        small = bool(insufficient[i])
        ax.barh(
            y[i],
            0.0 if np.isnan(vals[i]) else vals[i],
            color=_SMALL if small else _BAR,
            edgecolor=_BAR,
            hatch=_HATCH if small else None,
            height=0.6,
        )
        if not np.isnan(lo[i]):
            ax.plot([lo[i], hi[i]], [y[i], y[i]], color="black", lw=1.5)
        if not np.isnan(vals[i]):
            ax.text(min(vals[i], 1.0) + 0.01, y[i] + 0.28, f"{vals[i]:.2f}", fontsize=8)
    if any(insufficient):
        handles.append(Patch(facecolor=_SMALL, edgecolor=_BAR, hatch=_HATCH, label=legend["small"]))
    ax.set_yticks(y, [str(s) for s in labels])
    ax.set_xlim(0, 1.08)
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    if handles:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            ncol=len(handles),
            frameon=False,
        )
    return _to_uri(fig)


def heat_cells(
    ax: Any,
    matrix: np.ndarray,
    scale: tuple[float, float],
    fmt: str = "{:.2f}",
    small: np.ndarray | None = None,
) -> Any:
    """Draw ``matrix`` on ``ax`` as heat map cells over ``scale``, each value written in it.

    The text is black or white, whichever contrasts more with its cell; NaN cells stay empty;
    cells marked in ``small`` are hatched.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    matrix : numpy.ndarray
        Two-dimensional values.
    scale : (float, float)
        The colour scale's low and high ends (see :func:`scale_range`).
    fmt : str
        Format of the cell text.
    small : numpy.ndarray of bool, optional
        Cells to hatch.

    Returns
    -------
    matplotlib.image.AxesImage
        The image (for a colour bar).
    """
    from matplotlib.patches import Rectangle

    matrix = np.asarray(matrix, dtype=float)
    image = ax.imshow(
        np.ma.masked_invalid(matrix), cmap=_CMAP, vmin=scale[0], vmax=scale[1], aspect="auto"
    )
    cmap, norm = image.get_cmap(), image.norm
    for i, j in zip(*np.nonzero(np.isfinite(matrix)), strict=True):
        if small is not None and small[i, j]:
            ax.add_patch(
                Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch=_HATCH, edgecolor="#555555")
            )
        ax.text(
            j,
            i,
            fmt.format(matrix[i, j]),
            ha="center",
            va="center",
            fontsize=8,
            color=cell_text_colour(cmap(norm(matrix[i, j]))),
            bbox={"facecolor": cmap(norm(matrix[i, j])), "edgecolor": "none", "pad": 1.0},
        )
    return image


def heatmap(
    matrix: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    fmt: str = "{:.2f}",
    small: np.ndarray | None = None,
    legend: dict[str, str] | None = None,
) -> str:
    """A heat map over the data's range, the value written in each cell (NaN cells empty).

    Parameters
    ----------
    matrix : numpy.ndarray
        Shape ``(len(rows), len(cols))``.
    rows, cols : sequence of str
        Axis labels.
    fmt : str
        Format of the cell text.
    small : numpy.ndarray of bool, optional
        Cells of groups too small to judge: hatched.
    legend : dict, optional
        Catalog text for ``"small"`` (needed when ``small`` marks a cell).

    Returns
    -------
    str
        A ``data:image/svg+xml;base64,...`` URI.
    """
    from matplotlib.patches import Patch

    plt = _plt()
    matrix = np.asarray(matrix, dtype=float)
    vmin, vmax = scale_range(matrix)
    fig, ax = plt.subplots(figsize=(1.2 * len(cols) + 2.6, 0.5 * len(rows) + 1.4))
    image = heat_cells(ax, matrix, (vmin, vmax), fmt, small)
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
    ax.set_xticks(range(len(cols)), [str(c) for c in cols], rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    if small is not None and bool(np.any(small)) and legend is not None:
        ax.legend(
            handles=[Patch(facecolor="white", edgecolor="#555555", hatch=_HATCH)],
            labels=[legend["small"]],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.25),
            frameon=False,
        )
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
    ax.barh(np.arange(len(order)), np.asarray(values, dtype=float)[order], color=_BAR)
    ax.set_yticks(np.arange(len(order)), [str(labels[i]) for i in order])
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    return _to_uri(fig)
