"""The HTML audit report (English / 简体中文): one self-contained page that decides.

:func:`render_report` turns an :class:`~.result.AuditResult` into one HTML page: inline CSS with
the embedded font, charts as inline SVG data URIs, no script and nothing fetched at view time.
Its first screen says what failed, why it matters under the policy, and what the committee may
decide; then the rules as sentences, the group tables with disparities, charts, detectors,
explanations and the reproducibility data. Every sentence comes from the message catalogs.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from fairgate.audit.report.catalog import LANGUAGES, Text
from fairgate.audit.report.result import AuditResult
from fairgate.audit.report.sentences import RuleLine, headline, rule_lines
from fairgate.errors import ValidationError

__all__ = ["render_report", "write_report"]

_METHODS = (
    (re.compile(r"^Cramér's V on levels \(NMI (?P<nmi>[0-9.]+)\)$"), "method_levels"),
    (
        re.compile(r"^Cramér's V on (?P<bins>\d+) quantile bins \(NMI (?P<nmi>[0-9.]+)\)$"),
        "method_bins",
    ),
    (re.compile(r"^Cramér's V on the pair's joint bins \(NMI (?P<nmi>[0-9.]+)\)$"), "method_pair"),
)
"""The proxy scan's method descriptions (English, from the detectors) and their catalog keys."""


def _method(t: Text, text: str) -> str:
    """A proxy method in the report's words (a method this fairgate does not know: in general)."""
    for pattern, key in _METHODS:
        match = pattern.match(text)
        if match:
            return t(key, **match.groupdict())
    return t("method_other")


def _evidence(t: Text, finding: dict[str, Any]) -> str:
    """Each piece of evidence of a sensitive-variable finding, as sentences from the catalog."""
    out = []
    for reason in finding["reasons"]:
        code, params = str(reason["code"]), dict(reason["params"])
        if code == "single_letters":
            by = params.get("corroborated_by")
            code += "_weak" if by is None else "_name" if by == "name" else "_column"
        shown = {
            k: t.join(_category(t, c) for c in v) if k == "categories" else _plain(t, k, v)
            for k, v in params.items()
        }
        shown["feature"] = finding["feature"]
        out.append(t(f"evidence_{code}", **shown))
    return " ".join(out)


def _category(t: Text, name: str) -> str:
    return t.category(name) if t.has(f"category_{name}") else name


def _plain(t: Text, key: str, value: Any) -> str:
    if key == "category":
        return _category(t, str(value))
    if key == "share":
        return t.pct(value, "#,##0%")
    if isinstance(value, list):
        return t.join(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return t.num(value) if isinstance(value, int) else t.num(value, 2)
    return str(value)


def _detectors(result: AuditResult, t: Text) -> dict[str, Any]:
    det = result.detectors or {}
    proxies = det.get("proxies") or {}
    return {
        "skipped": "skipped" in det,
        "prohibited": [
            {
                "feature": f["feature"],
                "category": t.join(_category(t, c) for c in f["categories"]),
                "evidence": _evidence(t, f),
                "strength": t(f"strength_{f['strength']}"),
                "prohibited": t.yes_no(f.get("prohibited")),
            }
            for f in det.get("prohibited") or []
        ],
        "proxies": [
            {
                "features": " + ".join(map(str, p["features"])),
                "attribute": p["attribute"],
                "score": t.num(p["score"], 2),
                "method": _method(t, str(p.get("method", ""))),
                "flagged": t.yes_no(p.get("above_threshold")),
            }
            for p in proxies.get("findings", [])
        ],
        "proxy_threshold": t.num(float(proxies["threshold"]), 2) if "threshold" in proxies else "",
        "flips": det.get("flips") or [],
    }


def _decisions(result: AuditResult, lines: list[RuleLine], t: Text) -> list[dict[str, Any]]:
    """Approve, reject, ask for a new version: whether each is open, and what it means."""
    name = f"{result.filing.get('name')}@{result.filing.get('version')}"
    broken = [ln for ln in lines if ln.outcome != "pass"]
    fixes = t.join(dict.fromkeys(ln.reason for ln in broken)) or t("decision_nothing_to_fix")
    return [
        {
            "id": "approve",
            "title": t("decision_approve"),
            "open": result.outcome != "fail",
            "status": t("decision_open" if result.outcome != "fail" else "decision_closed"),
            "text": t(f"decision_approve_{result.outcome}"),
            "command": f'fairgate approve {name} --rationale "…"',
        },
        {
            "id": "reject",
            "title": t("decision_reject"),
            "open": True,
            "status": t("decision_open"),
            "text": t("decision_reject_text"),
            "command": f'fairgate reject {name} --rationale "…"',
        },
        {
            "id": "new_version",
            "title": t("decision_new_version"),
            "open": True,
            "status": t("decision_open"),
            "text": t("decision_new_version_text", fixes=fixes),
            "command": "fairgate file FILING.yaml --artifact MODEL",
        },
    ]


def _comparison(
    result: AuditResult, lines: list[RuleLine], previous: AuditResult, t: Text
) -> dict[str, Any]:
    from fairgate.audit.report.tables import comparison_tables

    before = {ln.key: ln for ln in rule_lines(previous, t)}
    rows = []
    for ln in lines:
        old = before.get(ln.key)
        rows.append(
            {
                "title": ln.title,
                "attributes": ln.attributes,
                "then": t.outcome(old.outcome) if old else t("compare_not_judged"),
                "then_outcome": old.outcome if old else "",
                "then_value": old.shown if old else "",
                "now": t.outcome(ln.outcome),
                "now_outcome": ln.outcome,
                "now_value": ln.shown,
            }
        )
    return {
        "intro": t(
            "compare_intro",
            previous=str(previous.filing.get("version")),
            then=t.outcome(previous.outcome),
            now=t.outcome(result.outcome),
            date=t.date(previous.created_at),
        ),
        "rows": rows,
        "tables": comparison_tables(result, previous, t),
    }


def _context(result: AuditResult, lang: str, previous: AuditResult | None) -> dict[str, Any]:
    from fairgate.audit.report.figures import disparity_figures, heatmap_figure, shap_figures
    from fairgate.audit.report.kind_figures import kind_section
    from fairgate.audit.report.oversight_section import oversight_section
    from fairgate.audit.report.tables import DISPARITY_BAND, group_tables

    t = Text(lang)
    lines = rule_lines(result, t)
    policy = str(result.verdict.get("policy") or result.policy.get("name"))
    first = next(iter(result.reports.values()), {})
    counts = {o: sum(ln.outcome == o for ln in lines) for o in ("pass", "warn", "fail")}
    return {
        "t": t,
        "r": result,
        "policy": policy,
        "headline": headline(result.outcome, lines, policy, t),
        "lines": lines,
        "failing": [ln for ln in lines if ln.outcome == "fail"],
        "warnings": [ln for ln in lines if ln.outcome == "warn"],
        "counts": counts,
        "decisions": _decisions(result, lines, t),
        "compare": None if previous is None else _comparison(result, lines, previous, t),
        "level": t.pct(1 - float(first.get("alpha", 0.05)), "#,##0.#%"),
        "min_group_size": t.num(int(first.get("min_group_size", 0))),
        "band_low": t.num(DISPARITY_BAND[0], 2),
        "band_high": t.num(DISPARITY_BAND[1], 2),
        "tables": group_tables(result, t),
        "charts": disparity_figures(result, t),
        "heat": heatmap_figure(result, t),
        "kind": kind_section(result, t),
        "shap": shap_figures(result, t),
        "det": _detectors(result, t),
        "ov": oversight_section(result, t),
        "rows": t.num(int(result.data.get("rows") or 0)),
        "created": t.date(result.created_at),
        "fingerprint": result.fingerprint(),
    }


def render_report(
    result: AuditResult, lang: str = "en", previous: AuditResult | None = None
) -> str:
    """Render the self-contained HTML report.

    Parameters
    ----------
    result : AuditResult
        The audit to show.
    lang : {"en", "zh"}, default "en"
        English or 简体中文.
    previous : AuditResult, optional
        The previous audit of the same model (another version); shown beside this one.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    ValidationError
        For an unknown language.
    """
    import jinja2

    from fairgate.audit.report.fonts import FONT_FAMILY, font_face_css

    if lang not in LANGUAGES:
        raise ValidationError(f"lang={lang!r}: use 'en' (English) or 'zh' (简体中文).")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = _template_source("report.css").replace("FONT_FAMILY", FONT_FAMILY)
    page = env.get_template("report.html.j2").render(**_context(result, lang, previous))
    return page.replace("/*FONT_FACE*/", font_face_css(page)).replace("/*CSS*/", css)


def _template_source(name: str) -> str:
    return resources.files("fairgate.report_templates").joinpath(name).read_text(encoding="utf-8")


def write_report(
    result: AuditResult,
    path: str | Path,
    lang: str = "en",
    previous: AuditResult | None = None,
) -> Path:
    """Render the report (see :func:`render_report`) and write it to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(render_report(result, lang, previous), encoding="utf-8")
    return path
