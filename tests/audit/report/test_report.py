"""The HTML report: content, both languages, self-contained, opens in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from fairgate.audit.pipeline.run import run_audit
from fairgate.audit.report.html import load_catalog, render_report
from tests.fixtures.audit import make_case

LOCALES = Path(__file__).resolve().parents[3] / "report_templates" / "locales"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.imgs: list[dict] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        for name in ("src", "href", "data", "action", "poster"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "img":
            self.imgs.append(attrs)

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    model, data, spec = make_case(tmp)
    result = run_audit(model, data, spec, seed=0)
    return result, {lang: render_report(result, lang) for lang in ("en", "zh")}


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_catalogs_have_the_same_keys_and_placeholders():
    en = yaml.safe_load((LOCALES / "en.yaml").read_text(encoding="utf-8"))
    zh = yaml.safe_load((LOCALES / "zh.yaml").read_text(encoding="utf-8"))
    assert set(en) == set(zh)
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", zh[key])), key


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_content(audited, lang):
    result, pages = audited
    html = pages[lang]
    cat = load_catalog(lang)
    page = _parse(html)
    text = "\n".join(page.text)
    assert result.outcome == "fail"
    assert cat["verdict_fail"] in text
    assert text.index(cat["verdict_fail"]) < text.index(cat["groups_heading"])  # verdict on top
    for rep in result.reports.values():
        for g in rep["groups"]:
            if sum(g["counts"].values()):
                assert " & ".join(map(str, g["group"].values())) in text
    failing = [r for r in result.verdict["rules"] if r["outcome"] == "fail"]
    assert failing
    for rule in failing:
        label = cat.get(f"rule_{rule['rule_id']}") or f"{cat['rule_generic']} {rule['rule_id']}"
        assert label in text
    assert result.data["sha256"] in text and result.model["sha256"] in text
    assert "{{" not in html and "{%" not in html and "{#" not in html
    for key in cat:
        if "_" in key:
            assert key not in text, key
    assert re.search(r"\{[a-z_]+\}", text) is None  # no unformatted placeholder
    # accessibility: headings, table headers, alt text on every chart
    assert {"h1", "h2", "th", "caption", "figcaption"} <= page.tags
    assert page.imgs and all(img.get("alt") for img in page.imgs)
    assert f'lang="{cat["html_lang"]}"' in html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_loads_no_external_resource(audited, lang):
    html = audited[1][lang]
    for link in _parse(html).links:
        assert link.startswith(("data:", "#")), link
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert "<script" not in html


def test_chinese_report_has_no_english_catalog_text(audited):
    result, pages = audited
    en = load_catalog("en")
    text = _parse(pages["zh"]).text
    joined = "\n".join(text)
    data_words = {
        str(v)
        for rep in result.reports.values()
        for g in rep["groups"]
        for v in g["group"].values()
    }
    data_words |= set(result.filing["features"] or []) | set(result.filing["sensitive"])
    for key, value in en.items():
        if key == "html_lang":
            continue
        fixed = [part.strip() for part in re.split(r"{\w+}", value) if len(part.strip()) > 3]
        for part in fixed:
            assert part not in joined, (key, part)
        assert value not in set(text) - data_words, key


def test_numbers_formatted_for_the_locale(tmp_path):
    from fairgate.audit.report.html import _Text

    assert _Text("en").num(1234567) == "1,234,567"
    assert _Text("zh").num(0.5) == "0.500"
    assert _Text("zh").pct(0.25) == "25.0%"
    assert "2026" in _Text("zh").date("2026-01-02T03:04:05+00:00")
    assert "年" in _Text("zh").date("2026-01-02T03:04:05+00:00")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_renders_in_headless_chromium(audited, tmp_path, lang):
    browser = _chromium()
    if browser is None:
        pytest.skip("no headless Chromium installed (apt-get install chromium); .ci/run has one")
    path = tmp_path / f"report_{lang}.html"
    path.write_text(audited[1][lang], encoding="utf-8")
    profile = tempfile.mkdtemp(dir=tmp_path)
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=1",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    assert "Failed to load resource" not in proc.stderr
    loads = re.findall(r"FileURLLoader::Start: (\S+)", proc.stderr)
    assert set(loads) <= {path.as_uri()}, loads  # the page itself and nothing else
    dom = proc.stdout
    cat = load_catalog(lang)
    assert cat["verdict_fail"] in dom and cat["glossary_heading"] in dom
