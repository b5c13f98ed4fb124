"""Forms that answer in HTML: a wrong decision form shows the page again with the message by
the field (in the page's language, the text kept, nothing recorded); refusals of page requests
are HTML pages with a way to sign in; the REST API still answers JSON.
"""

from __future__ import annotations

import re
import time
from html import escape
from pathlib import Path

import httpx
import pytest

from fairgate.audit.report.catalog import Text, load_catalog
from fairgate.registry.store.tables import web_sessions
from fairgate.registry.web.forms import MAX_RATIONALE, check_decision
from fairgate.registry.web.static import catalog_font_path
from tests.fixtures.service import filing, record_passing_audit
from tests.registry.web.test_web_http import csrf_of, ledger_length, sign_in

PAGE = "/web/models/web-form/1"


@pytest.fixture(scope="module")
def awaiting(env):
    """web-form@1, audited and awaiting the committee's decision."""
    with env.client("acme") as c:
        assert c.post("/v1/models", json={"filing": filing("web-form", "1")}).status_code == 201
    record_passing_audit(env, "web-form", "1")
    return PAGE


def _textarea(html: str, action: str) -> str:
    match = re.search(rf'<textarea id="rationale-{action}"[^>]*>', html, re.S)
    assert match, action
    return match.group(0)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("sent", "key"),
    [
        ({"action": "approve", "rationale": ""}, "web_form_rationale_missing"),
        ({"action": "approve", "rationale": "   "}, "web_form_rationale_missing"),
        ({"action": "approve"}, "web_form_rationale_missing"),  # the field left out
        ({"action": "reject", "rationale": "too short"}, "web_form_rationale_short"),
        ({"action": "reject", "rationale": "x" * (MAX_RATIONALE + 1)}, "web_form_rationale_long"),
        ({"action": "abstain", "rationale": "an action no one offers"}, "web_form_action_unknown"),
        ({"rationale": "the action field left out"}, "web_form_action_unknown"),
    ],
)
def test_a_wrong_decision_form_answers_with_the_page_and_records_nothing(
    env, awaiting, sent, key, lang
):
    client = sign_in(env, "committee")
    csrf = csrf_of(client, f"{awaiting}?lang={lang}")
    before = ledger_length(env)
    r = client.post(f"{awaiting}/decide", data={**sent, "csrf": csrf})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    catalog = load_catalog(lang)
    html = r.text
    assert f'lang="{catalog["html_lang"]}"' in html
    said = check_decision(sent.get("action", ""), sent.get("rationale", ""))
    assert said.error is not None and said.error.key == key
    assert escape(said.error.text(Text(lang)), quote=False) in html
    if key == "web_form_action_unknown":
        assert 'id="action-error"' in html and 'role="alert"' in html
    else:
        action = sent["action"]
        field = _textarea(html, action)
        assert 'aria-invalid="true"' in field and "autofocus" in field
        assert f"rationale-{action}-error" in field  # aria-describedby names the message
        assert f'<p class="field-error" id="rationale-{action}-error">' in html
        typed = sent.get("rationale", "")
        kept = html[html.index(field) + len(field) : html.index("</textarea>", html.index(field))]
        assert kept == typed.replace("&", "&amp;")
        assert html.count('aria-invalid="true"') == 1  # only the form that was sent
    assert ledger_length(env) == before
    assert env.registry.get("web-form", "1").state == "AUDITED"


def test_the_rest_api_still_answers_json(env, awaiting):
    before = ledger_length(env)
    with env.client("committee") as c:
        r = c.post("/v1/models/web-form/1/decisions", json={"action": "approve"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    assert r.json()["error"] == "validation_error"
    assert ledger_length(env) == before


def test_page_requests_fastapi_cannot_parse_answer_in_html(env, awaiting):
    client = sign_in(env, "committee")
    for path in (f"{awaiting}/report?audit_id=abc", f"{awaiting}/report"):
        r = client.get(path + "&lang=zh" if "?" in path else path + "?lang=zh")
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert load_catalog("zh")["web_error_422"] in r.text
    # an over-long token or return address is refused on the page, not with JSON
    anon = httpx.Client(base_url=env.url, follow_redirects=False, timeout=30)
    nonce = re.search(r'name="csrf" value="([^"]+)"', anon.get("/web/signin").text).group(1)
    r = anon.post("/web/signin", data={"token": "x" * 5000, "csrf": nonce, "next": "/" * 900})
    assert r.status_code == 401 and load_catalog("en")["web_signin_failed"] in r.text


def test_csrf_failure_and_an_ended_session_answer_with_a_page_to_sign_in_again(env, awaiting):
    client = sign_in(env, "committee")
    data = {"action": "reject", "rationale": "the purpose is not lawful here"}
    r = client.post(f"{awaiting}/decide", data={**data, "csrf": "forged"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert f'href="/web/signin?next={awaiting}" id="signin-again"' in r.text
    csrf = csrf_of(client, awaiting)
    with env.registry.engine.begin() as conn:
        conn.execute(web_sessions.update().values(last_seen=time.time() - 31 * 60))
    before = ledger_length(env)
    r = client.post(f"{awaiting}/decide?lang=zh", data={**data, "csrf": csrf})
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/html")
    assert load_catalog("zh")["web_error_401"] in r.text
    assert f'href="/web/signin?next={awaiting}" id="signin-again"' in r.text
    assert ledger_length(env) == before


def test_the_chinese_font_is_built_at_start_under_the_home_and_served_from_there(env):
    path = catalog_font_path(Path(env.server.home))
    assert path.parent == Path(env.server.home) / "web-cache" / "fonts"
    deadline = time.monotonic() + 120  # the start-up build runs in the background
    while not path.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert path.is_file() and path.stat().st_size > 10_000
    r = httpx.get(f"{env.url}/web/static/fairgate-sans.otf", timeout=30)
    assert r.status_code == 200 and r.content == path.read_bytes()
    assert re.fullmatch(r"fairgate-sans-[0-9a-f]{16}\.otf", path.name)
