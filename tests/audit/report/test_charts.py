"""Charts: Chinese labels drawn from the embedded font, hatched small groups, readable heat maps."""

from __future__ import annotations

import base64
import re
import warnings

import numpy as np
import pytest

from fairgate.audit.report.charts import (
    cell_text_colour,
    contrast_ratio,
    disparity_chart,
    heatmap,
    scale_range,
)

LEGEND = {"band": "政策接受的范围", "small": "人数太少，无法评判"}


def _svg(uri: str) -> str:
    assert uri.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")


def _glyphs(svg: str) -> set[str]:
    """Characters drawn as glyph paths of the embedded font (no .notdef box among them).

    matplotlib names each glyph path ``<font>-<glyph index in hex>``; the font's cmap maps the
    indices back to characters.
    """
    from fontTools.ttLib import TTFont

    from fairgate.audit.report.fonts import font_path

    font = TTFont(str(font_path()), lazy=True)
    by_index = {font.getGlyphID(name): chr(code) for code, name in font.getBestCmap().items()}
    found = {int(i, 16) for i in re.findall(r'id="NotoSansSC-Regular-([0-9a-f]+)"', svg)}
    assert found and 0 not in found  # glyph 0 is the empty box shown for a missing character
    return {by_index[i] for i in found if i in by_index}


def test_chinese_labels_are_drawn_with_real_glyphs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        svg = _svg(
            disparity_chart(
                ["男", "女", "其他"],
                [0.9, 0.95, 0.5],
                [0.85, 0.9, 0.2],
                [0.95, 0.99, 0.8],
                (0.76, 0.95),
                [False, False, True],
                LEGEND,
            )
        )
    assert "<text" not in svg  # text is converted to paths: no font needed to view it
    drawn = _glyphs(svg)
    assert set("男女其他") <= drawn
    assert set("政策接受的范围") <= drawn and set("人数太少") <= drawn


def test_small_groups_are_hatched_not_only_pale():
    def chart(small):
        return _svg(
            disparity_chart(["A", "B"], [0.5, 0.6], [None, None], [None, None], None, small, LEGEND)
        )

    assert "<pattern" in chart([False, True])
    assert "<pattern" not in chart([False, False])
    cells = heatmap(
        np.array([[0.5, 0.6]]), ["男"], ["甲", "乙"], small=np.array([[False, True]]), legend=LEGEND
    )
    assert "<pattern" in _svg(cells)


def test_heat_map_scale_spans_the_data_not_zero():
    import matplotlib

    assert scale_range(np.array([[0.89, np.nan], [0.98, 0.93]])) == (0.89, 0.98)
    low, high = scale_range(np.array([[0.89, 0.98]]))
    cmap = matplotlib.colormaps["Blues"]
    norm = matplotlib.colors.Normalize(low, high)
    assert contrast_ratio(cmap(norm(0.89)), cmap(norm(0.98))) > 4  # clearly apart
    assert scale_range(np.array([[0.5, 0.5]])) == (0.0, 1.0)
    assert scale_range(np.array([[np.nan]])) == (0.0, 1.0)


@pytest.mark.parametrize("name", ["Blues", "viridis", "Greys"])
def test_cell_text_contrast_is_at_least_4_5_on_every_colour(name):
    import matplotlib

    cmap = matplotlib.colormaps[name]
    for x in np.linspace(0, 1, 257):
        background = cmap(x)
        text = (0.0, 0.0, 0.0) if cell_text_colour(background) == "black" else (1.0, 1.0, 1.0)
        assert contrast_ratio(background, text) >= 4.5, (name, x)


def test_contrast_ratio_matches_wcag():
    assert contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert contrast_ratio((1, 1, 1), (1, 1, 1)) == pytest.approx(1.0)
    # white on the old heat map's mid blue was 3.2:1 (issue 12); #777777 on white is 4.48:1
    assert contrast_ratio((0x77 / 255,) * 3, (1, 1, 1)) == pytest.approx(4.48, abs=0.01)
