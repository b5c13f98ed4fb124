"""The HTML report: a first screen that decides, rules as sentences, disparities, both languages.

Audits of real data (the Toronto arrests data with Chinese group labels, two versions of a model,
see conftest.py) rendered in English and Chinese.
"""

from __future__ import annotations

import base64
import copy
import io
import re
from html import unescape
from html.parser import HTMLParser

import pytest

from fairgate.audit.report import AuditResult, load_catalog, render_report
from fairgate.audit.report.catalog import Text
from fairgate.audit.report.sentences import headline, rule_lines


class _Page(HTMLParser):
    """Text, links, images and the text of each element with an id, from one page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.imgs: list[dict] = []
        self.tags: set[str] = set()
        self.ids: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        if tag == "style":
            self._skip += 1
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        for name in ("src", "href", "data", "action", "poster"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "img":
            self.imgs.append(attrs)

    def handle_endtag(self, tag):
        if tag == "style":
            self._skip -= 1

    def handle_data(self, data):
        if data.strip() and not self._skip:
            self.text.append(data.strip())


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def pages(arrests_audits):
    previous, current = arrests_audits
    return {
        (lang, which): render_report(result, lang, previous=prev)
        for lang in ("en", "zh")
        for which, result, prev in (("v1", previous, None), ("v2", current, previous))
    }


def _failing_first(result: AuditResult, keep: set[str]) -> AuditResult:
    """A copy of ``result`` where the rules of ``keep`` fail and every other rule passes."""
    body = copy.deepcopy(result.to_dict())
    for rule in body["verdict"]["rules"]:
        rule["outcome"] = "fail" if rule["rule_id"] in keep else "pass"
        if rule["rule_id"] not in keep:
            rule["groups_involved"] = []
    outcomes = {r["outcome"] for r in body["verdict"]["rules"]}
    body["verdict"]["outcome"] = "fail" if "fail" in outcomes else "pass"
    return AuditResult.from_dict(body)


@pytest.fixture(params=["en", "zh"])
def lang(request) -> str:
    """Each test that takes ``lang`` runs in English and in Chinese."""
    return request.param


@pytest.fixture
def v1(arrests_audits):
    """The audit of version 1 (colour and sex among its inputs)."""
    return arrests_audits[0]


def test_first_screen_says_what_failed_why_and_what_the_committee_may_decide(v1, pages, lang):
    cat = load_catalog(lang)
    page = _parse(pages[(lang, "v1")])
    text = "\n".join(page.text)
    assert v1.outcome == "fail"
    # the decision section comes first, before the contents and every other section
    assert page.ids[0] == "decision" and text.index(cat["decision_heading"]) < text.index(
        cat["toc"]
    )
    first_screen = text[: text.index(cat["toc"])]
    t = Text(lang)
    for rule in v1.verdict["rules"]:
        if rule["outcome"] == "fail":
            assert rule["attributes"] == [] or " × ".join(rule["attributes"]) in first_screen
    assert cat["what_failed"] in first_screen
    assert t("why_it_matters", text=cat["matters_prohibited"]) in first_screen
    for key in ("decision_approve", "decision_reject", "decision_new_version"):
        assert cat[key] in first_screen
    # the version fails: approval is not open, and the page says why
    assert cat["decision_approve_fail"] in first_screen
    assert "fairgate reject arrests-release@1" in first_screen


def test_headline_names_the_real_reasons(arrests_audits, lang):
    """A version failing only on prohibited inputs is not headlined as treating groups unequally."""
    t = Text(lang)
    only_prohibited = _failing_first(arrests_audits[0], {"prohibited_variable"})
    said = headline("fail", rule_lines(only_prohibited, t), "default", t)
    assert said == t("headline_fail", policy="default", reasons=t("reason_prohibited"))
    both = _failing_first(arrests_audits[0], {"prohibited_variable", "four_fifths"})
    said = headline("fail", rule_lines(both, t), "default", t)
    assert t("reason_prohibited") in said
    assert t("reason_metric", metric=t.rate("selection_rate")) in said


def test_a_passing_version_may_be_approved(arrests_audits):
    t = Text("en")
    html = unescape(render_report(_failing_first(arrests_audits[0], set()), "en"))
    assert t("headline_pass", policy="default") in html
    assert t("decision_approve_pass") in html and t("decision_approve_fail") not in html


def test_rules_are_sentences_without_raw_ids_or_bare_numbers(arrests_audits, pages, lang):
    for which, result in zip(("v1", "v2"), arrests_audits, strict=True):
        html = pages[(lang, which)]
        text = _parse(html).text
        joined = "\n".join(text)
        assert "Measured" not in joined and "against a limit" not in joined
        assert re.search(r"(Policy rule|政策规则) ?[a-z_]+", joined) is None
        for rule in result.verdict["rules"]:
            rid = rule["rule_id"]
            assert rid not in text  # never a cell of its own
            if "_" in rid:
                assert rid not in joined, rid
        assert re.search(r"\{[a-z_]+\}", joined) is None  # no unformatted placeholder
        assert "{{" not in html and "{%" not in html


def test_metric_sentence_names_both_groups_with_their_rates(arrests_audits, pages):
    """The rule row and the group table state the same rates for the same groups."""
    v1 = arrests_audits[0]
    html = unescape(pages[("en", "v1")])
    rule = next(
        r
        for r in v1.verdict["rules"]
        if r["rule_id"] == "four_fifths" and r["attributes"] == ["sex"]
    )
    groups = v1.reports["sex"]["groups"]
    rates = {g["group"]["sex"]: g["metrics"]["selection_rate"] for g in groups}
    low, high = min(rates, key=rates.get), max(rates, key=rates.get)
    t = Text("en")
    clause = t(
        "why_metric_ratio",
        rate=t.rate("selection_rate"),
        low_group=low,
        low=t.num(rates[low]),
        high_group=high,
        high=t.num(rates[high]),
        value=t.num(rule["value"]),
        threshold=t.num(rule["threshold"], 2),
    )
    assert clause in html
    assert t.num(rates[low]) in html.split(t("groups_heading"))[-1]  # the table says the same
    assert abs(rates[low] / rates[high] - rule["value"]) < 1e-9


def test_group_tables_show_fnr_precision_and_disparity_to_the_reference(v1, pages, lang):
    t = Text(lang)
    html = unescape(pages[(lang, "v1")])
    for metric in ("false_negative_rate", "precision", "true_positive_rate"):
        assert f">{t.metric(metric)}</th>" in html
    rep = v1.reports["colour"]
    ref = next(g for g in rep["groups"] if list(g["group"].values()) == rep["reference"])
    other = next(g for g in rep["groups"] if g is not ref)
    for metric in ("false_negative_rate", "precision", "selection_rate"):
        disparity = other["metrics"][metric] / ref["metrics"][metric]
        assert t("disparity_value", value=t.num(disparity, 2)) in html
    assert t("flag_reference") in html


def test_this_version_beside_the_previous_one(arrests_audits, pages, lang):
    previous, current = arrests_audits
    t = Text(lang)
    html = unescape(pages[(lang, "v2")])
    assert t("compare_heading") in html
    intro = t(
        "compare_intro",
        previous="1",
        then=t.outcome(previous.outcome),
        now=t.outcome(current.outcome),
        date=t.date(previous.created_at),
    )
    assert intro in html
    rate = previous.reports["sex"]["groups"][0]["metrics"]["selection_rate"]
    assert t.num(rate) in html
    assert t("compare_heading") not in pages[(lang, "v1")]


def _data_words(*results: AuditResult) -> set[str]:
    """Text that comes from the data and the filing (group labels, names), not from fairgate."""
    data: set[str] = set()
    for result in results:
        for rep in result.reports.values():
            data |= {str(v) for g in rep["groups"] for v in g["group"].values()}
            data |= set(rep["attributes"])
        data |= set(result.filing["features"]) | {result.filing["target"], result.filing["name"]}
        data |= {result.filing["purpose"], result.filing["owner"], "default"}
        data |= {f"{k} {v}" for k, v in result.versions.items()} | set(result.versions)
    return data


def _assert_no_english(html: str, data: set[str]) -> None:
    """No phrase of the English catalog and no English word outside ``data`` in the page."""
    en = load_catalog("en")
    page = _parse(html)
    joined = "\n".join(page.text)
    for key, value in en.items():
        for part in re.split(r"{\w+}", value):
            part = part.strip(" .,:;()")
            # an English phrase left in the page (single words such as "audit" may be part
            # of a file name like audit.ipynb; the chunk check below covers words)
            if len(part) > 4 and " " in part and re.search(r"[A-Za-z]{3}", part):
                assert part not in joined, (key, part)
    for chunk in page.text:
        if chunk in data or chunk.startswith("fairgate ") or re.fullmatch(r"[0-9a-f]{64}", chunk):
            continue
        leftover = chunk
        for word in sorted(data, key=len, reverse=True):
            leftover = leftover.replace(word, "")
        words = set(re.findall(r"[A-Za-z]{3,}", leftover)) - {"SHAP", "SHA", "fairgate", "ipynb"}
        words -= {"audit"}  # the notebook's file name, audit.ipynb
        words = {w for w in words if not w.endswith("Explainer")}  # SHAP's class names
        assert not words, (chunk, words)


def test_chinese_report_has_no_english_text_outside_the_data(arrests_audits, pages):
    """Every sentence, category and piece of evidence of the zh report is in Chinese."""
    data = _data_words(*arrests_audits)
    for which in ("v1", "v2"):
        _assert_no_english(pages[("zh", which)], data)


def _with_representation_and_odd_detectors(result: AuditResult) -> AuditResult:
    """``result`` with a representation rule judged by the policy engine, a proxy measured by
    a method this fairgate does not describe, and a skipped explanation."""
    from fairgate.audit.policy import AuditEvidence, evaluate, load_policy
    from fairgate.detectors import GroupShare, RepresentationResult

    rule = {
        "id": "population",
        "kind": "representation",
        "description": {"en": "groups as in the city", "zh": "各群体占比与全市一致"},
    }
    policy = load_policy(
        {"name": "t", "rules": [rule], "reference_shares": {"sex": {"男": 0.5, "女": 0.5}}}
    )
    shares = RepresentationResult(
        attribute="sex",
        groups=(
            GroupShare("男", 1700, 0.85, 0.5, residual=9.9, flagged=True),
            GroupShare("女", 300, 0.15, 0.5, residual=-9.9, flagged=True),
        ),
        statistic=980.0,
        p_value=1e-12,
        alpha=0.05,
    )
    judged = evaluate(policy, AuditEvidence(reports={}, representation=[shares]))
    body = copy.deepcopy(result.to_dict())
    body["policy"]["rules"].append(policy.to_dict()["rules"][0])
    body["verdict"]["rules"] += [r.to_dict() for r in judged.rules if r.rule_id == "population"]
    proxies = body["detectors"]["proxies"]
    odd = dict(proxies["findings"][0], method="distance correlation on ranks (NMI 0.40)")
    proxies["findings"].append(odd)
    body["explanation"] = {"skipped": "the explainer ran out of time"}
    return AuditResult.from_dict(body)


def test_chinese_report_of_representation_and_unusual_findings_has_no_english(arrests_audits):
    """Representation shares, a proxy method fairgate does not describe and a skipped step read
    in Chinese too (each of them once left English in the zh report)."""
    _, current = arrests_audits
    odd = _with_representation_and_odd_detectors(current)
    html = render_report(odd, "zh")
    assert "各群体占比与全市一致" in html  # the policy's own zh description titles the rule
    assert "参照人口中占 50.0%" in html and "数据中占 85.0%" in html
    assert load_catalog("zh")["method_other"] in html
    _assert_no_english(html, _data_words(current))
    english = render_report(odd, "en")
    assert "85.0% in the data, 50.0% in the reference population" in english


def test_report_is_self_contained_and_embeds_every_glyph_it_shows(pages, lang):
    from fontTools.ttLib import TTFont

    html = pages[(lang, "v2")]
    page = _parse(html)
    for link in page.links:
        assert link.startswith(("data:", "#")), link
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.I)
    assert "@import" not in html and "<script" not in html
    assert [u[:21] for u in re.findall(r"url\(([^)]*)", html)] == ["data:font/otf;base64,"]
    assert page.imgs and all(img.get("alt") for img in page.imgs)
    assert {"h1", "h2", "th", "caption", "figcaption"} <= page.tags
    # the embedded font covers every character the page shows: nothing falls back
    encoded = re.search(r"url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", html).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(encoded)))
    covered = set(font.getBestCmap())
    shown = {ord(c) for chunk in page.text for c in chunk if not c.isspace()}
    assert shown - covered == set()
    assert "男" in "".join(page.text) or lang == "en"


def test_print_stylesheet_is_a4(pages):
    html = pages[("zh", "v1")]
    assert re.search(r"@page\s*{\s*size:\s*A4", html)
    assert "@media print" in html


def test_numbers_formatted_for_the_locale():
    assert Text("en").num(1234567) == "1,234,567"
    assert Text("zh").num(0.5) == "0.500"
    assert Text("zh").pct(0.25) == "25.0%"
    assert Text("en").signed(-0.04) == "−0.040"
    assert "年" in Text("zh").date("2026-01-02T03:04:05+00:00")


def test_unknown_language_is_refused(arrests_audits):
    from fairgate.errors import ValidationError

    with pytest.raises(ValidationError, match="lang='fr'"):
        render_report(arrests_audits[0], "fr")
