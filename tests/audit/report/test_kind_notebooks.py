"""The generated notebook shows the report's section of the model's kind, with the same charts.

A regression (``load_abalone``), a multiclass (``load_penguins``, ten groups of island x sex
would be too many: island) and a scores audit (``load_arrests``) are run with real models; each
notebook is executed with nbclient from another folder, reproduces the audit, and shows the
kind's tables and charts (as the report has them: the same chart functions, the same captions
and alt texts from the catalog, in the report's language).
"""

from __future__ import annotations

import html
import re

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairgate.audit import run_audit
from fairgate.audit.report.catalog import Text
from fairgate.audit.report.kind_figures import kind_section

PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def _regression():
    from sklego.datasets import load_abalone

    df = load_abalone(as_frame=True)
    features = [c for c in df.columns if c not in ("sex", "rings")]
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(df[features], df["rings"])
    spec = {"target": "rings", "sensitive": ["sex"], "features": features, "kind": "regression"}
    rule = {"id": "mae", "kind": "maximum", "metric": "mae", "max": 2.5}
    return model, df, spec, {"name": "regression", "rules": [rule]}


def _multiclass():
    from sklego.datasets import load_penguins

    df = load_penguins(as_frame=True).dropna(subset=PENGUIN_FEATURES).reset_index(drop=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(df[PENGUIN_FEATURES], df["species"])
    classes = sorted(df["species"].unique())
    spec = {
        "target": "species",
        "sensitive": ["island"],
        "features": PENGUIN_FEATURES,
        "kind": "multiclass",
        "classes": classes,
    }
    rule = {"id": "accuracy", "kind": "minimum", "metric": "accuracy", "min": 0.6}
    policy = {"name": "multiclass", "rules": [rule]}
    return model, df[[*PENGUIN_FEATURES, "species", "island"]], spec, policy


def _scores():
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True).sample(1500, random_state=0).reset_index(drop=True)
    frame = pd.get_dummies(df[["age", "employed", "citizen", "checks"]], drop_first=True)
    frame = frame.astype(float)
    features = list(frame.columns)
    frame["released"] = (df["released"] == "Yes").astype(int)
    frame["colour"] = df["colour"]
    model = LinearRegression().fit(frame[features], frame["released"])  # scores in [0, 1]
    spec = {
        "target": "released",
        "sensitive": ["colour"],
        "features": features,
        "kind": "scores",
        "threshold": 0.8,
        "top_k": 200,
    }
    rule = {"id": "top", "kind": "minimum", "metric": "top_k_share_ratio", "min": 0.8}
    return model, frame, spec, {"name": "ranking", "rules": [rule]}


CASES = {"regression": _regression, "multiclass": _multiclass, "scores": _scores}


def _figures(nb: nbformat.NotebookNode) -> list[str]:
    """The figures the notebook's outputs show, as their HTML."""
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            page = output.get("data", {}).get("text/html", "")
            out += re.findall(r"<figure>.*?</figure>", page, flags=re.S)
    return out


def _texts(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts += [str(v) for v in output.get("data", {}).values()]
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "lang"), [("regression", "en"), ("multiclass", "zh"), ("scores", "en")]
)
def test_the_notebook_shows_the_charts_of_the_report_for_each_kind(
    tmp_path, monkeypatch, kind, lang
):
    import skops.io as sio

    model, data, spec, policy = CASES[kind]()
    sio.dump(model, tmp_path / "model.skops")  # a vendor's file, scored in the sandbox
    result = run_audit(
        tmp_path / "model.skops",
        data,
        {**spec, "name": f"{kind}-model"},
        policy,
        out_dir=tmp_path / "out",
        lang=lang,
        explain_size=20,
        sample_size=2000,
    )
    section = kind_section(result, Text(lang))
    expected = [f for block in section["blocks"] for f in block["figures"]]
    assert expected, "the report has charts of this kind"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    nb = nbformat.read(str(tmp_path / "out" / "audit.ipynb"), as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(elsewhere)}}
    ).execute()
    text = _texts(nb)
    assert f"reproduced exactly: {result.fingerprint()}" in text
    assert Text(lang)("notebook_kind_heading") in "\n".join(c.source for c in nb.cells)
    shown = _figures(nb)
    assert len(shown) == len(expected)
    page = html.unescape((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    for figure, want in zip(shown, expected, strict=True):
        assert 'src="data:image/svg+xml;base64,' in figure
        shown_text = html.unescape(figure)
        assert want["alt"] in shown_text and want["caption"] in shown_text
        assert want["alt"] in page and want["caption"] in page  # the report shows the same chart
    for block in section["blocks"]:
        for table in block["tables"]:
            assert table["headers"][0] in text and table["rows"][0]["label"] in text
    if kind == "scores":
        assert Text(lang)("kind_top_k_filed", k="200") in text
