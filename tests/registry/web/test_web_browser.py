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
from pathlib import Path

import httpx
import pytest

from fairgate.audit.report.catalog import load_catalog
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


def _check(page, shots: Path, name: str) -> None:
    """Contrast, labels, landmarks and a full-page screenshot."""
    assert low_contrast(page) == [], name
    assert page.evaluate(_UNLABELLED) == [], name
    for landmark in ("header", "nav", "main", "footer"):
        assert page.locator(landmark).count() >= 1, (name, landmark)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


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
