"""The web pages in a real headless Chromium against a real ``fairgate serve``.

Two versions of a model deciding who is released with a summons (Toronto arrests data) are
filed and audited for real: version 1 takes colour and sex among its inputs, version 2 does not.
A committee member signs in through the form, reads version 2's report in its frame, compares it
with version 1 and approves it; the public register and its Atom feed show the change. A form
sent without its CSRF token is refused; a vendor session cannot reach the committee's pages.
Screenshots of the main pages in English and Chinese go to the test's output folder.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from fairgate.audit.report.catalog import load_catalog
from fairgate.registry.store.tables import web_sessions
from tests.fixtures.browser import low_contrast
from tests.fixtures.service import make_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, example_filing, module_db_url):
    """A server with arrests@1 (colour and sex as inputs) and arrests@2 (without), both audited."""
    import skops.io as sio

    from fairgate.demo.data import FEATURES, UNAWARE_FEATURES, arrests_model, load_arrests_frame
    from fairgate.registry import usecases

    env = make_env(tmp_path_factory.mktemp("web"), module_db_url)
    folder = tmp_path_factory.mktemp("arrests")
    data = load_arrests_frame(0)
    data.audit.to_parquet(folder / "audit.parquet")
    try:
        for version, features in (("1", FEATURES), ("2", UNAWARE_FEATURES)):
            model = folder / f"v{version}.skops"
            sio.dump(arrests_model(data.train, 0, features=features), model)
            body = dict(example_filing, name="arrests", version=version)
            body["features"] = [f for f in body["features"] if f["name"] in features]
            request = usecases.FileRequest(body, model, actor="vendor:acme", vendor="acme")
            usecases.file_model(env.registry, request)
            usecases.audit_filed_model(
                env.registry,
                usecases.AuditRequest(
                    name="arrests",
                    version=version,
                    data=folder / "audit.parquet",
                    actor="committee:audit",
                ),
            )
        yield env
    finally:
        env.server.stop()


def _sign_in(browser, env, who: str, lang: str = "en"):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{env.url}/web/signin?lang={lang}")
    page.get_by_label(load_catalog(lang)["web_signin_token"]).fill(env.tokens[who])
    page.get_by_role("button", name=load_catalog(lang)["web_signin_button"]).click()
    page.wait_for_load_state()
    return context, page


def _report_frame(page):
    """The report's frame once its report is there and its embedded font drawn (or None)."""
    if not page.locator("iframe.report").count():
        return None
    page.frame_locator("iframe.report").locator("h1").first.wait_for(timeout=120_000)
    frame = next(f for f in page.frames if "/report?" in f.url)
    frame.evaluate("document.fonts.ready.then(() => true)")
    return frame


def _check(page, shots: Path, name: str) -> None:
    """Contrast, labels, landmarks and a full-page screenshot."""
    assert low_contrast(page) == [], name
    assert page.evaluate(_UNLABELLED) == [], name
    for landmark in ("header", "nav", "main", "footer"):
        assert page.locator(landmark).count() >= 1, (name, landmark)
    _report_frame(page)
    # Chromium leaves a sandboxed (out-of-process) frame below the fold blank in a full-page
    # screenshot: make the viewport as tall as the page so the embedded report is drawn.
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": height})
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(shots / f"{name}.png"))
    page.set_viewport_size(size)


def test_a_member_reads_the_report_and_approves_and_the_public_sees_it(chromium, site, tmp_path):
    en = load_catalog("en")
    errors: list[str] = []
    context, page = _sign_in(chromium, site, "committee")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    assert page.url.endswith("/web/queue")
    # keyboard: the first Tab reaches the skip link, which shows itself
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").bounding_box()["x"] >= 0
    _check(page, tmp_path, "queue_en")
    rows = page.locator("table tbody tr")
    assert rows.count() == 2 and "arrests" in rows.nth(0).inner_text()

    page.locator('a[href="/web/models/arrests/2"]').click()
    page.wait_for_load_state()
    # the stored report, in its sandboxed frame
    frame = page.frame_locator("iframe.report")
    assert frame.locator("#decision").count() == 1
    assert page.locator("iframe.report").get_attribute("sandbox") == ""
    diff = page.locator("section", has=page.locator("#diff-h")).inner_text()
    assert "1" in diff and en["web_diff_metrics"] in diff
    _check(page, tmp_path, "version_en")

    page.get_by_label(en["web_rationale_for"].format(action=en["web_action_approve"])).fill(
        "The audit of this version passed every rule of the policy."
    )
    page.get_by_role("button", name=en["web_action_approve"], exact=True).click()
    page.wait_for_load_state()
    outcome = page.locator("#outcome").inner_text()
    assert en["web_state_ACTIVE"] in outcome
    assert site.registry.get("arrests", "2").state == "ACTIVE"
    event = site.registry.events()[-1]
    assert event.kind == "approve" and event.actor.startswith("committee:")

    # the public register and the feed show the change
    public = context.new_page()
    public.goto(f"{site.url}/public")
    row = public.locator("#entry-arrests-2").inner_text()
    assert en["web_state_ACTIVE"] in row
    assert en["web_verdict_pass"] in row or en["web_verdict_warn"] in row
    assert site.registry.verify_ledger().head_hash in public.locator("#ledger-head").inner_text()
    _check(public, tmp_path, "public_en")
    feed = httpx.get(f"{site.url}/public/feed.atom").text
    first_entry = feed[feed.index("<entry>") :]
    assert "arrests version 2: In service" in first_entry.split("</entry>")[0]
    public.goto(f"{site.url}/public/models/arrests")
    _check(public, tmp_path, "public_model_en")
    assert errors == []
    context.close()


def test_a_form_without_its_csrf_token_is_refused(chromium, site):
    en = load_catalog("en")
    context, page = _sign_in(chromium, site, "committee")
    page.goto(f"{site.url}/web/models/arrests/1")
    form = page.locator("form.decision-reject")
    form.locator("input[name=csrf]").evaluate("el => el.remove()")
    form.locator("textarea").fill("Reject: the model takes colour and sex as inputs.")
    with page.expect_response(re.compile(r"/decide$")) as answer:
        form.get_by_role("button").click()
    assert answer.value.status == 403
    assert en["web_error_csrf"] in page.locator("main").inner_text()
    assert site.registry.get("arrests", "1").state == "AUDITED"
    context.close()


def test_a_vendor_session_cannot_reach_committee_pages(chromium, site, tmp_path):
    en = load_catalog("en")
    context, page = _sign_in(chromium, site, "acme")
    assert page.url.endswith("/web/vendor")
    assert "arrests" in page.locator("main").inner_text()
    _check(page, tmp_path, "vendor_en")
    for path in ("/web/queue", "/web/models/arrests/1"):
        answer = page.goto(f"{site.url}{path}")
        assert answer.status == 403
        assert en["web_error_committee_only"] in page.locator("main").inner_text()
    context.close()


def test_the_main_pages_in_chinese(chromium, site, tmp_path):
    zh = load_catalog("zh")
    context, page = _sign_in(chromium, site, "committee", lang="zh")
    assert zh["web_queue_title"] in page.locator("h1").inner_text()
    _check(page, tmp_path, "queue_zh")
    page.goto(f"{site.url}/web/models/arrests/1")
    assert zh["web_diff_heading"] in page.locator("main").inner_text()
    _check(page, tmp_path, "version_zh")
    page.goto(f"{site.url}/public")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert zh["web_public_title"] in page.locator("h1").inner_text()
    _check(page, tmp_path, "public_zh")
    page.goto(f"{site.url}/public/models/arrests")
    _check(page, tmp_path, "public_model_zh")
    page.goto(f"{site.url}/public")
    # Chinese pages draw every glyph with fairgate's own Noto Sans SC subset: no empty boxes
    faces = page.evaluate(
        "async () => { await document.fonts.ready;"
        " return [...document.fonts].map(f => [f.family.replaceAll('\"', ''), f.status]); }"
    )
    assert ["fairgate-sans", "loaded"] in faces
    page.goto(f"{site.url}/web/signin")
    _check(page, tmp_path, "signin_zh")
    vendor_context, vendor = _sign_in(chromium, site, "acme", lang="zh")
    _check(vendor, tmp_path, "vendor_zh")
    vendor_context.close()
    context.close()


_CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
_MACHINE = re.compile(
    r"\b[0-9a-f]{8,}\b"  # hashes
    r"|\b(?:committee|vendor|admin):[\w:-]+"  # identities: who signed in, who acted
    r"|\b[\w-]+\.(?:ipynb|json|yaml|atom)\b"  # file names
    r"|\bfg_"  # how every token starts
)
_WORD = re.compile(r"[A-Za-z]{2,}")
_TERMS = {"fairgate", "SHAP", "SHA", "JSON", "AUC", "ROC", "ECE", "NMI", "PermutationExplainer"}
"""Names of tools, formats and measures that are the same in every language."""
_HIDE_CODE = """() => { for (const el of document.querySelectorAll('code, pre, kbd, .hash')) {
  el.textContent = ' '; } }"""
"""Commands, library versions and hashes (code elements) are machine text, the same in every
language: blanked before the words are read."""


def _data_values(env) -> list[str]:
    """What people and data wrote: filings, vendors, actors, rationales, the data's labels."""
    from sklego.datasets import load_arrests

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    out = set()
    for mv in env.registry.list_versions():
        out |= set(strings(env.registry.filing(mv.name, mv.version)))
        out |= {mv.name, mv.vendor or ""}
    for event in env.registry.events():
        out |= {event.actor, str(event.payload.get("rationale") or "")}
    data = load_arrests(as_frame=True)
    labels = data.select_dtypes(exclude="number")
    out |= set(data.columns)
    out |= {str(v) for c in labels.columns for v in labels[c].unique()}
    out |= {v.lower() for v in out}
    return sorted((v for v in out if v.strip()), key=len, reverse=True)


def _english_left(text: str, values: list[str]) -> list[str]:
    """Latin words of ``text`` once the data values, hashes and product names are taken out."""
    text = _MACHINE.sub(" ", text)
    for value in values:
        text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", text)
    return sorted({w for w in _WORD.findall(text) if w not in _TERMS})


def _visible(page) -> str:
    """The page's visible text and its report frame's, code elements blanked."""
    page.evaluate(_HIDE_CODE)
    text = page.locator("body").inner_text()
    frame = _report_frame(page)
    if frame is not None:
        frame.evaluate(_HIDE_CODE)
        report = frame.locator("body").inner_text()
        assert len(report) > 2000, report  # the whole report, not an empty frame
        text += "\n" + report
    return text


def test_every_page_reads_in_its_own_language_only(chromium, site):
    """zh pages hold no English word but data values; en pages hold no Chinese character."""
    # the language switch names each language in its own words
    values = [*_data_values(site), *(load_catalog(c)["web_lang_name"] for c in ("en", "zh"))]
    pages = [
        "/web/queue",
        "/web/models/arrests/2",
        "/web/models/arrests/1",
        "/public",
        "/public/models/arrests",
        "/web/models/no-such/1",  # an error page
        "/public/models/no-such",
    ]
    for lang in ("zh", "en"):
        committee, page = _sign_in(chromium, site, "committee", lang=lang)
        vendor_context, vendor = _sign_in(chromium, site, "acme", lang=lang)
        anon = chromium.new_context().new_page()
        seen = {}
        for path in pages:
            page.goto(f"{site.url}{path}?lang={lang}")
            page.wait_for_load_state()
            seen[path] = _visible(page)
        anon.goto(f"{site.url}/web/signin?lang={lang}")
        seen["signin"] = _visible(anon)
        vendor.goto(f"{site.url}/web/vendor?lang={lang}")
        seen["vendor"] = _visible(vendor)
        vendor.goto(f"{site.url}/web/queue?lang={lang}")  # refused: committee only
        seen["refused"] = _visible(vendor)
        # a form sent with a session that has ended: an HTML page with a way to sign in
        page.goto(f"{site.url}/web/models/arrests/1?lang={lang}")
        page.locator("form.decision-reject textarea").fill("Reject: an ended session sends this.")
        with site.registry.engine.begin() as conn:  # every session idle past the timeout
            conn.execute(web_sessions.update().values(last_seen=time.time() - 31 * 60))
        with page.expect_response(re.compile(r"/decide$")) as answer:
            page.locator("form.decision-reject button").click()
        assert answer.value.status == 401
        assert "text/html" in answer.value.headers["content-type"]
        assert page.locator("#signin-again").get_attribute("href").endswith("/web/models/arrests/1")
        seen["ended"] = _visible(page)
        for name, text in seen.items():
            if lang == "zh":
                assert _english_left(text, values) == [], (name, text[:3000])
                assert _CJK.search(text), name
            else:
                own = text.replace(load_catalog("zh")["web_lang_name"], "")
                assert _CJK.findall(own) == [], (name, text[:3000])
        assert site.registry.get("arrests", "1").state == "AUDITED"
        anon.context.close()
        vendor_context.close()
        committee.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_empty_rationale_is_answered_by_its_field_and_nothing_is_recorded(
    chromium, site, tmp_path, lang
):
    """With the keyboard only: the browser holds back an empty required field; sent anyway
    (a browser that does not check), the page comes back with the message by the field."""
    catalog = load_catalog(lang)
    context, page = _sign_in(chromium, site, "committee", lang=lang)
    page.goto(f"{site.url}/web/models/arrests/1?lang={lang}")
    before = len(site.registry.events())
    form = page.locator("form.decision-reject")
    field = form.locator("textarea")
    field.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")  # held back by the browser: the field is required
    assert field.evaluate("el => el.validity.valueMissing") and page.url.endswith("?lang=" + lang)
    form.evaluate("f => { f.noValidate = true; }")
    field.focus()
    page.keyboard.type("   ")
    page.keyboard.press("Tab")
    with page.expect_response(re.compile(r"/decide$")) as answer:
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert answer.value.status == 422
    assert "text/html" in answer.value.headers["content-type"]
    field = page.locator("#rationale-reject")
    message = page.locator("#rationale-reject-error")
    assert field.get_attribute("aria-invalid") == "true"
    assert "rationale-reject-error" in field.get_attribute("aria-describedby").split()
    expected = catalog["web_form_rationale_missing"].format(n=10)
    assert message.inner_text() == expected and message.is_visible()
    assert field.input_value() == "   "  # what was typed is kept
    assert page.evaluate("document.activeElement.id") == "rationale-reject"  # focus on it
    box, text = field.bounding_box(), message.bounding_box()
    assert 0 <= text["y"] - (box["y"] + box["height"]) < 60  # right under the field
    assert len(site.registry.events()) == before  # nothing recorded in the ledger
    assert site.registry.get("arrests", "1").state == "AUDITED"
    _check(page, tmp_path, f"form_error_{lang}")
    context.close()
