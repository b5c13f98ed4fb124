"""The HTML audit report (English / 简体中文) and the notebook that reproduces it.

:func:`render_report` turns an :class:`~.result.AuditResult` into one self-contained
HTML page: inline CSS, charts as inline SVG data URIs, no script and nothing fetched at view time.
Every sentence comes from the message catalogs in ``fairgate.report_templates/locales``; numbers
and dates are formatted for the locale with babel. :func:`write_notebook` writes an ``.ipynb``
that re-runs the same audit from the files on disk and checks that the numbers match.
"""

from __future__ import annotations

import datetime as _dt
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fairgate.audit.report.result import AuditResult
from fairgate.errors import ValidationError

__all__ = ["LANGUAGES", "load_catalog", "render_report", "write_notebook", "write_report"]

LANGUAGES: dict[str, str] = {"en": "en", "zh": "zh_Hans_CN"}
"""Report languages and their babel locales."""

_CHART_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate")
_TABLE_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")


@cache
def load_catalog(lang: str) -> dict[str, str]:
    """The message catalog of ``lang`` (``"en"`` or ``"zh"``) as a flat dict."""
    import yaml

    if lang not in LANGUAGES:
        raise ValidationError(f"lang={lang!r}: use one of {sorted(LANGUAGES)}.")
    text = resources.files("fairgate.report_templates").joinpath(f"locales/{lang}.yaml")
    return {str(k): str(v) for k, v in yaml.safe_load(text.read_text(encoding="utf-8")).items()}


class _Text:
    """Catalog lookup and locale-aware number formatting for the templates."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = LANGUAGES[lang]
        self.catalog = load_catalog(lang)

    def __call__(self, key: str, **kw: Any) -> str:
        return self.catalog[key].format(**kw)

    def num(self, value: Any, digits: int = 3) -> str:
        from babel.numbers import format_decimal

        if value is None:
            return self.catalog["not_available"]
        if isinstance(value, int) and not isinstance(value, bool):
            return format_decimal(value, locale=self.locale)
        return format_decimal(value, format="#,##0." + "0" * digits, locale=self.locale)

    def pct(self, value: Any, fmt: str = "#,##0.0%") -> str:
        from babel.numbers import format_percent

        if value is None:
            return self.catalog["not_available"]
        return format_percent(value, format=fmt, locale=self.locale)

    def date(self, iso: str) -> str:
        from babel.dates import format_datetime

        when = _dt.datetime.fromisoformat(iso)
        return format_datetime(when, format="medium", locale=self.locale, tzinfo=_dt.UTC)

    def value(self, value: Any) -> str:
        """A measured value or limit: numbers for the locale, anything else as text."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.num(value)
        if value is None:
            return self.catalog["not_available"]
        return str(value)

    def metric(self, name: str) -> str:
        return self.catalog.get(f"metric_{name}", name)

    def outcome(self, outcome: str) -> str:
        return self.catalog[f"outcome_{outcome}"]

    def yes_no(self, flag: Any) -> str:
        return self.catalog["answer_yes" if flag else "answer_no"]


def _label(group: dict[str, Any]) -> str:
    return " & ".join(str(v) for v in group.values())


def _group_tables(result: AuditResult, t: _Text) -> list[dict[str, Any]]:
    tables = []
    for key, rep in result.reports.items():
        ref = rep.get("reference")
        rows = []
        for g in rep["groups"]:
            if g["metrics"].get("count", sum(g["counts"].values())) == 0:
                continue
            cells = []
            for m in _TABLE_METRICS:
                value = g["metrics"].get(m)
                lo, hi = g["ci_low"].get(m), g["ci_high"].get(m)
                ci = "" if lo is None else f" ({t.num(lo)}–{t.num(hi)})"
                cells.append(t.num(value) + ci)
            note = []
            if g["insufficient"]:
                note.append(t("flag_insufficient"))
            if ref is not None and list(g["group"].values()) == ref:
                note.append(t("flag_reference"))
            rows.append(
                {
                    "label": _label(g["group"]),
                    "n": t.num(sum(g["counts"].values())),
                    "cells": cells,
                    "note": "; ".join(note),
                    "insufficient": g["insufficient"],
                }
            )
        tables.append(
            {
                "key": key,
                "caption": t("groups_table_caption", attribute=key),
                "headers": [t.metric(m) for m in _TABLE_METRICS],
                "rows": rows,
            }
        )
    return tables


def _band(metric: str, values: list[float], policy: dict[str, Any]) -> tuple[float, float] | None:
    if not values:
        return None
    ratio_min, diff_max = 0.8, 0.1
    for rule in policy.get("rules", []) or []:
        if isinstance(rule, dict) and rule.get("metric") == metric:
            ratio_min = rule.get("min", ratio_min)
            diff_max = rule.get("max", diff_max)
    if metric == "selection_rate":
        return (ratio_min * max(values), max(values))
    if metric == "false_positive_rate":
        return (min(values), min(values) + diff_max)
    return (max(values) - diff_max, max(values))


def _charts(result: AuditResult, t: _Text) -> list[dict[str, Any]]:
    from fairgate.audit.report.charts import disparity_chart

    charts = []
    for key, rep in result.reports.items():
        if len(rep["attributes"]) != 1:
            continue
        groups = [g for g in rep["groups"] if sum(g["counts"].values()) > 0]
        for m in _CHART_METRICS:
            vals = [g["metrics"].get(m) for g in groups]
            ok = [
                v
                for g, v in zip(groups, vals, strict=True)
                if v is not None and not g["insufficient"]
            ]
            uri = disparity_chart(
                [_label(g["group"]) for g in groups],
                vals,
                [g["ci_low"].get(m) for g in groups],
                [g["ci_high"].get(m) for g in groups],
                _band(m, ok, result.policy),
                [g["insufficient"] for g in groups],
            )
            charts.append(
                {
                    "uri": uri,
                    "caption": t("chart_caption", metric=t.metric(m), attribute=key),
                    "alt": t("chart_alt", metric=t.metric(m), attribute=key),
                }
            )
    return charts


def _heatmap(result: AuditResult, t: _Text) -> dict[str, Any] | None:
    import numpy as np

    from fairgate.audit.report.charts import heatmap

    pair = next((r for r in result.reports.values() if len(r["attributes"]) == 2), None)
    if pair is None:
        return None
    first, second = pair["attributes"]
    rows = list(dict.fromkeys(str(g["group"][first]) for g in pair["groups"]))
    cols = list(dict.fromkeys(str(g["group"][second]) for g in pair["groups"]))
    matrix = np.full((len(rows), len(cols)), np.nan)
    for g in pair["groups"]:
        v = g["metrics"].get("selection_rate")
        if v is not None:
            matrix[rows.index(str(g["group"][first])), cols.index(str(g["group"][second]))] = v
    return {
        "uri": heatmap(matrix, rows, cols),
        "caption": t("heatmap_caption", first=first, second=second),
        "alt": t("heatmap_alt", first=first, second=second),
    }


def _importance(raw: Any) -> dict[str, float]:
    if isinstance(raw, dict):
        return {str(k): float(v) for k, v in raw.items() if v is not None}
    if isinstance(raw, list):
        out = {}
        for item in raw:
            if isinstance(item, dict):
                name = item.get("feature", item.get("name"))
                out[str(name)] = float(item.get("importance", item.get("value", 0.0)))
        return out
    return {}


def _shap(result: AuditResult, t: _Text) -> dict[str, Any] | None:
    import numpy as np

    from fairgate.audit.report.charts import bar_chart, heatmap

    exp = result.explanation
    if not exp:
        return None
    glob = _importance(exp.get("global_importance"))
    out: dict[str, Any] = {"groups": []}
    if glob:
        out["global"] = {
            "uri": bar_chart(list(glob), list(glob.values())),
            "caption": t("shap_global_caption"),
            "alt": t("shap_global_alt"),
        }
    for attr, table in (exp.get("group_importance") or {}).items():
        # {group: {feature: value}} or {feature: {group: value}}
        if not isinstance(table, dict) or not table:
            continue
        inner = next(iter(table.values()))
        if isinstance(inner, dict) and set(inner) <= set(glob) | {""} and glob:
            groups = list(table)
            feats = list(glob)
            matrix = np.array([[table[g].get(f, np.nan) for f in feats] for g in groups], float)
        else:
            feats = list(table)
            groups = list(dict.fromkeys(k for f in feats for k in table[f]))
            matrix = np.array([[table[f].get(g, np.nan) for f in feats] for g in groups], float)
        out["groups"].append(
            {
                "uri": heatmap(matrix, [str(g) for g in groups], feats, "{:.3f}"),
                "caption": t("shap_group_caption", attribute=attr),
                "alt": t("shap_group_alt", attribute=attr),
            }
        )
    return out


def _rules(result: AuditResult, t: _Text) -> list[dict[str, Any]]:
    rows = []
    for r in result.verdict.get("rules", []):
        rid = str(r.get("rule_id", ""))
        desc = t.catalog.get(f"rule_{rid}") or f"{t('rule_generic')} {rid}"
        value, threshold = r.get("value"), r.get("threshold")
        fmt = t.value
        groups = t("list_sep").join(map(str, r.get("groups_involved") or []))
        if value is None:
            why = t("rule_why_na")
        elif r.get("outcome") == "fail" and groups:
            why = t("rule_why_fail", value=fmt(value), threshold=fmt(threshold), groups=groups)
        else:
            why = t("rule_why_ok", value=fmt(value), threshold=fmt(threshold))
        rows.append(
            {
                "id": rid,
                "description": desc,
                "outcome": r.get("outcome", "warn"),
                "outcome_text": t.outcome(r.get("outcome", "warn")),
                "attributes": " x ".join(r.get("attributes") or []),
                "value": fmt(value),
                "threshold": fmt(threshold),
                "why": why,
                "groups": groups,
            }
        )
    return rows


def _context(result: AuditResult, lang: str) -> dict[str, Any]:
    t = _Text(lang)
    rules = _rules(result, t)
    counts = {o: sum(r["outcome"] == o for r in rules) for o in ("pass", "warn", "fail")}
    first = next(iter(result.reports.values()), {})
    alpha = float(first.get("alpha", 0.05))
    det = result.detectors or {}
    proxies = det.get("proxies") or {}
    findings = proxies.get("findings", []) if isinstance(proxies, dict) else []
    return {
        "t": t,
        "r": result,
        "rules": rules,
        "counts": counts,
        "failing": [r for r in rules if r["outcome"] == "fail"],
        "level": t.pct(1 - alpha, "#,##0.#%"),
        "min_group_size": t.num(first.get("min_group_size", 30)),
        "tables": _group_tables(result, t),
        "charts": _charts(result, t),
        "heat": _heatmap(result, t),
        "shap": _shap(result, t),
        "det_skipped": "skipped" in det,
        "prohibited": det.get("prohibited") or [],
        "proxies": findings,
        "proxy_threshold": t.num(
            float(proxies.get("threshold", 0.3)) if isinstance(proxies, dict) else 0.3, 2
        ),
        "flips": det.get("flips") or [],
        "rows": t.num(int(result.data.get("rows") or 0)),
        "created": t.date(result.created_at),
        "fingerprint": result.fingerprint(),
    }


def render_report(result: AuditResult, lang: str = "en") -> str:
    """Render the self-contained HTML report.

    Parameters
    ----------
    result : AuditResult
        The audit to show.
    lang : {"en", "zh"}, default "en"
        English or 简体中文.

    Returns
    -------
    str
        The HTML page.
    """
    import jinja2

    if lang not in LANGUAGES:
        raise ValidationError(f"lang={lang!r}: use 'en' (English) or 'zh' (简体中文).")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = _template_source("report.css")
    return env.get_template("report.html.j2").render(css=css, **_context(result, lang))


def _template_source(name: str) -> str:
    return resources.files("fairgate.report_templates").joinpath(name).read_text(encoding="utf-8")


def write_report(result: AuditResult, path: str | Path, lang: str = "en") -> Path:
    """Render the report and write it to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(render_report(result, lang), encoding="utf-8")
    return path


def write_notebook(
    result: AuditResult,
    path: str | Path,
    *,
    model: Path | None,
    data: Path | None,
    policy: Any,
    json_path: Path,
) -> Path:
    """Write a notebook that re-runs the audit from the files on disk and compares the numbers.

    Parameters
    ----------
    result : AuditResult
        The audit to reproduce.
    path : str or Path
        Where the ``.ipynb`` goes.
    model, data : Path
        Absolute paths of the model and data files.
    policy : dict, str or None
        The policy as passed to the run (a dict, a file path, or None for the default).
    json_path : Path
        Where the saved ``audit.json`` will be.

    Returns
    -------
    Path
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    spec = dict(result.filing)
    cells = [
        new_markdown_cell(
            f"# Reproduce the audit of `{spec.get('name')}` version {spec.get('version')}\n\n"
            "This notebook re-runs the audit with fairgate's public API from the files on disk "
            "and checks that every number equals the saved `audit.json`."
        ),
        new_code_cell(
            "from fairgate.audit.report.result import AuditResult\n"
            "from fairgate.audit.pipeline.run import run_audit\n\n"
            f"MODEL = {str(model)!r}\nDATA = {str(data)!r}\nSAVED = {str(json_path)!r}\n"
            f"SPEC = {spec!r}\nPOLICY = {policy!r}\nSEED = {result.seed!r}"
        ),
        new_code_cell(
            "result = run_audit(MODEL, DATA, SPEC, POLICY, seed=SEED)\n"
            "saved = AuditResult.load(SAVED)\n"
            "print('verdict:', result.outcome)\n"
            "print('fingerprint:', result.fingerprint())"
        ),
        new_code_cell(
            "import pandas as pd\n"
            "rows = [{'attributes': k, 'group': ' & '.join(map(str, g['group'].values())),\n"
            "         **g['metrics']} for k, r in result.reports.items() for g in r['groups']]\n"
            "pd.DataFrame(rows)"
        ),
        new_code_cell(
            "assert result.reproducible_json() == saved.reproducible_json(), "
            "'the numbers differ from the report'\n"
            "assert result.fingerprint() == saved.fingerprint()\n"
            "print('reproduced exactly:', saved.fingerprint())"
        ),
    ]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = Path(path)
    nbformat.write(nb, str(path))
    return path
