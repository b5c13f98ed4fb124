"""A multiclass report shows its groups' confusion matrices as one figure of small multiples.

One panel per group on one colour scale (the data's range over every group), wrapped into rows so
ten groups stay readable, titled and described (alt text) from the catalogs in both languages.
"""

from __future__ import annotations

import base64
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from fairgate.audit.report.catalog import Text
from fairgate.audit.report.charts import scale_range
from fairgate.audit.report.kind_charts import PANELS_PER_ROW, confusion_panels_chart, panel_grid
from fairgate.audit.report.kind_figures import kind_section

CLASSES = ["bike", "bus", "car", "walk"]
DISTRICTS = ["东城", "西城", "朝阳", "海淀", "丰台", "石景山", "通州", "顺义", "昌平", "大兴"]


def _svg(uri: str) -> str:
    assert uri.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")


def _detail(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    groups = []
    for i, name in enumerate(DISTRICTS):
        right = 0.9 - 0.05 * i  # the later districts are recognised less often
        matrix = rng.multinomial(40, [right, *(np.ones(3) * (1 - right) / 3)], size=4)
        matrix = np.array([np.roll(row, k) for k, row in enumerate(matrix)])
        groups.append({"group": name, "matrix": matrix.tolist()})
    return {
        "kind": "multiclass",
        "by_attribute": {"district": {"classes": CLASSES, "groups": groups}},
    }


def test_ten_groups_wrap_into_rows_of_small_multiples():
    assert panel_grid(10) == (4, PANELS_PER_ROW) == (4, 3)
    assert panel_grid(1) == (1, 1) and panel_grid(3) == (1, 3) and panel_grid(4) == (2, 3)
    rng = np.random.default_rng(1)
    panels = [(f"{d} (40)", rng.dirichlet(np.ones(4), size=4)) for d in DISTRICTS]
    words = {"x": "预测类别", "y": "真实类别", "scale": "占真实类别的比例"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the embedded font warns
        svg = _svg(confusion_panels_chart(panels, CLASSES, (0.0, 1.0), words))
    assert svg.count("<image") == len(DISTRICTS) + 1  # ten heat maps and one colour bar
    assert "<text" not in svg  # drawn as paths: no font needed to view it
    width, height = (
        float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    )
    assert width < 900 and height > width  # three panels a row, at most: readable on a page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_multiclass_section_has_one_figure_on_one_scale_described_from_the_catalog(lang):
    t = Text(lang)
    detail = _detail()
    result = SimpleNamespace(kinds=detail, filing={}, reports={})
    section = kind_section(result, t)
    figures = [f for block in section["blocks"] for f in block["figures"]]
    assert len(figures) == 1
    shares = []
    for g in detail["by_attribute"]["district"]["groups"]:
        m = np.asarray(g["matrix"], dtype=float)
        shares.append(m / m.sum(axis=1, keepdims=True))
    low, high = scale_range(np.stack(shares))
    figure = figures[0]
    assert figure["alt"] == t(
        "kind_confusion_panels_alt",
        attribute="district",
        groups=t.join(DISTRICTS),
        low=t.num(low, 2),
        high=t.num(high, 2),
    )
    assert figure["caption"] == t("kind_confusion_panels_caption", attribute="district")
    assert _svg(figure["uri"]).count("<image") == len(DISTRICTS) + 1
    if lang == "zh":
        assert "小图" in figure["caption"] and "色阶" in figure["alt"]
