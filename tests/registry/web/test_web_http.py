"""The web pages over HTTP against a real `fairgate serve`: sessions, CSRF, roles, register."""

from __future__ import annotations

import re
import time
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
import sqlalchemy as sa

from fairgate.audit.report.catalog import LANGUAGES, catalog_problems, load_catalog
from fairgate.registry.api.auth import TokenStore
from fairgate.registry.store.tables import web_sessions
from tests.fixtures.service import filing, make_env, record_passing_audit

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(env, who: str, **headers: str) -> httpx.Client:
    """A client signed in through the form with ``who``'s token (cookies kept)."""
    client = httpx.Client(base_url=env.url, follow_redirects=False, timeout=30, headers=headers)
    form = client.get("/web/signin")
    assert form.status_code == 200
    nonce = CSRF.search(form.text).group(1)
    r = client.post("/web/signin", data={"token": env.tokens[who], "csrf": nonce})
    assert r.status_code == 303, r.text
    return client


def csrf_of(client: httpx.Client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return CSRF.search(r.text).group(1)


def ledger_length(env) -> int:
    return env.registry.verify_ledger().count


@pytest.fixture(scope="module")
def audited(env):
    """web-loan@1 ACTIVE, web-loan@2 AUDITED with another purpose (acme); other-co@1 (other)."""
    env.activate("web-loan", "1")
    second = filing("web-loan", "2")
    second["purpose"] = "Rank applications for a city housing loan by expected repayment."
    with env.client("acme") as c:
        assert c.post("/v1/models", json={"filing": second}).status_code == 201
    record_passing_audit(env, "web-loan", "2")
    with env.client("other") as c:
        assert c.post("/v1/models", json={"filing": filing("other-co", "1")}).status_code == 201
    return "web-loan", "2"


def test_signin_gives_a_strict_httponly_cookie_not_secure_over_plain_http(env):
    client = httpx.Client(base_url=env.url, follow_redirects=False, timeout=30)
    form = client.get("/web/signin")
    nonce = CSRF.search(form.text).group(1)
    # a proxy header from an untrusted peer does not make the cookie Secure
    r = client.post(
        "/web/signin",
        data={"token": env.tokens["committee"], "csrf": nonce},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/web/queue"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("fg_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    # the database keeps the secret's hash only
    secret = cookie.split(";")[0].split("=", 1)[1]
    with env.registry.engine.connect() as conn:
        ids = conn.execute(sa.select(web_sessions.c.id)).scalars().all()
    assert secret not in ids and len(ids[0]) == 64


def test_signin_behind_a_trusted_tls_proxy_marks_the_cookie_secure(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("FAIRGATE_TRUSTED_PROXIES", "127.0.0.1")
    env = make_env(tmp_path / "proxied", db_url)
    try:
        client = httpx.Client(base_url=env.url, follow_redirects=False, timeout=30)
        nonce = CSRF.search(client.get("/web/signin").text).group(1)
        r = client.post(
            "/web/signin",
            data={"token": env.tokens["committee"], "csrf": nonce},
            headers={"X-Forwarded-Proto": "https"},
        )
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("fg_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        env.server.stop()


def test_signin_without_its_csrf_nonce_or_with_a_wrong_token_is_refused(env):
    client = httpx.Client(base_url=env.url, follow_redirects=False, timeout=30)
    client.get("/web/signin")
    r = client.post("/web/signin", data={"token": env.tokens["committee"]})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert load_catalog("en")["web_error_csrf"] in r.text
    nonce = CSRF.search(client.get("/web/signin").text).group(1)
    r = client.post("/web/signin", data={"token": "fg_nope_nope", "csrf": nonce})
    assert r.status_code == 401 and load_catalog("en")["web_signin_failed"] in r.text
    nonce = CSRF.search(client.get("/web/signin").text).group(1)
    r = client.post("/web/signin", data={"token": env.tokens["operations"], "csrf": nonce})
    assert r.status_code == 403 and load_catalog("en")["web_error_role"] in r.text
    assert "fg_session" not in client.cookies


def test_pages_need_a_session(env, audited):
    anon = httpx.Client(base_url=env.url, follow_redirects=False, timeout=30)
    for path in ("/web/queue", "/web/models/web-loan/2", "/web/vendor"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/signin?next=")
    r = anon.post(
        "/web/models/web-loan/2/decide", data={"action": "approve", "rationale": "x" * 20}
    )
    assert r.status_code == 401 and "text/html" in r.headers["content-type"]


def test_queue_lists_versions_awaiting_a_decision_oldest_first(env, audited):
    env.activate("web-first", "1")
    for name in ("web-older", "web-newer"):
        with env.client("acme") as c:
            assert c.post("/v1/models", json={"filing": filing(name, "1")}).status_code == 201
        record_passing_audit(env, name, "1")
    client = sign_in(env, "committee")
    text = client.get("/web/queue").text
    assert text.index("web-older") < text.index("web-newer")
    assert "/web/models/web-loan/2" in text and "web-first" not in text  # ACTIVE is not waiting


def test_a_decision_without_the_csrf_token_is_refused_and_changes_nothing(env, audited):
    client = sign_in(env, "committee")
    before = ledger_length(env)
    for form in ({}, {"csrf": "forged"}):
        r = client.post(
            "/web/models/web-loan/2/decide",
            data={"action": "reject", "rationale": "no token on this form", **form},
        )
        assert r.status_code == 403 and load_catalog("en")["web_error_csrf"] in r.text
    assert env.registry.get("web-loan", "2").state == "AUDITED"
    assert ledger_length(env) == before


def test_the_member_identity_comes_from_the_session_not_the_form(env):
    with env.client("acme") as c:
        assert c.post("/v1/models", json={"filing": filing("web-who", "1")}).status_code == 201
    record_passing_audit(env, "web-who", "1")
    client = sign_in(env, "committee")
    csrf = csrf_of(client, "/web/models/web-who/1")
    r = client.post(
        "/web/models/web-who/1/decide",
        data={
            "action": "reject",
            "rationale": "the purpose is not lawful here",
            "csrf": csrf,
            "actor": "somebody else",
        },
    )
    assert r.status_code == 200 and 'id="outcome"' in r.text
    votes = r.text[r.text.index('id="votes"') : r.text.index('id="report-h"')]
    assert "the purpose is not lawful here" in votes and "committee:" in votes
    event = env.registry.events()[-1]
    token_id = env.tokens["committee"].split("_")[1]
    assert event.kind == "reject" and event.actor == f"committee:{token_id}"
    assert event.payload["rationale"] == "the purpose is not lawful here"
    # a refused decision shows the page again with the reason, as a 4xx
    r = client.post(
        "/web/models/web-who/1/decide",
        data={"action": "approve", "rationale": "approve what was rejected", "csrf": csrf},
    )
    assert r.status_code == 409 and 'id="decision-error"' in r.text
    r = client.post(
        "/web/models/web-who/1/decide",
        data={"action": "withdraw", "rationale": "short", "csrf": csrf},
    )
    assert r.status_code == 422 and env.registry.get("web-who", "1").state == "REJECTED"


def test_a_vendor_session_sees_only_its_own_models_and_no_committee_page(env, audited):
    vendor = sign_in(env, "acme")
    page = vendor.get("/web/vendor")
    assert page.status_code == 200
    assert "web-loan" in page.text and "other-co" not in page.text
    for path in ("/web/queue", "/web/models/web-loan/2"):
        r = vendor.get(path)
        assert r.status_code == 403
        assert load_catalog("en")["web_error_committee_only"] in r.text
    csrf = CSRF.search(page.text).group(1)
    r = vendor.post(
        "/web/models/web-loan/2/decide",
        data={"action": "approve", "rationale": "approving my own model", "csrf": csrf},
    )
    assert r.status_code == 403 and env.registry.get("web-loan", "2").state == "AUDITED"
    # its own report yes, another vendor's no
    audit_id = env.registry.audits("web-loan", "2")[-1].id
    assert vendor.get(f"/web/models/web-loan/2/report?audit_id={audit_id}").status_code == 200
    other = sign_in(env, "other")
    r = other.get(f"/web/models/web-loan/2/report?audit_id={audit_id}")
    assert r.status_code == 403


def test_the_report_is_served_sandboxed_for_the_frame(env, audited):
    client = sign_in(env, "committee")
    page = client.get("/web/models/web-loan/2")
    assert "<iframe" in page.text and "sandbox" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    src = re.search(r'<iframe[^>]*src="([^"]+)"', page.text, re.S).group(1).replace("&amp;", "&")
    r = client.get(src)
    assert r.status_code == 200 and "Audit report" in r.text
    csp = r.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "frame-ancestors 'self'" in csp


def test_the_version_page_shows_the_difference_to_the_previous_version(env, audited):
    client = sign_in(env, "committee")
    text = client.get("/web/models/web-loan/2").text
    diff = text[text.index('id="diff-h"') :]
    assert "Rank applications for a city housing loan" in diff  # this version's purpose
    assert "released with a summons" in diff  # the previous version's purpose
    events = text[text.index('id="events"') :]
    assert events.count('<tr class="event-') >= 4  # both versions' filings, audit, approval


def test_an_idle_session_ends_and_so_does_one_whose_token_is_revoked(env, audited):
    client = sign_in(env, "committee")
    assert client.get("/web/queue").status_code == 200
    with env.registry.engine.begin() as conn:
        conn.execute(web_sessions.update().values(last_seen=time.time() - 31 * 60))
    r = client.get("/web/queue")
    assert r.status_code == 303 and r.headers["location"].startswith("/web/signin")
    with env.registry.engine.begin() as conn:  # a stale row another browser left is cleared too
        conn.execute(web_sessions.update().values(last_seen=time.time() - 31 * 60))
    token, info = TokenStore(env.registry.engine).create("committee")
    env.tokens["short"] = token
    client = sign_in(env, "short")
    assert client.get("/web/queue").status_code == 200
    with env.registry.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(web_sessions)).scalar() == 1
    TokenStore(env.registry.engine).revoke(info.id)
    assert client.get("/web/queue").status_code == 303


def test_signing_out_ends_the_session(env):
    client = sign_in(env, "committee")
    csrf = csrf_of(client, "/web/queue")
    assert client.post("/web/signout", data={"csrf": csrf}).status_code == 303
    assert client.get("/web/queue").status_code == 303


def _suspended(env) -> tuple[str, str]:
    """web-bus@1 ACTIVE with 10 live decisions, then suspended by the committee."""
    env.activate("web-bus", "1")
    body = {
        "model": "web-bus",
        "version": "1",
        "prediction": [1, 0] * 5,
        "outcome": [1, None] * 5,
        "sensitive": {"sex": ["F", "M"] * 5},
    }
    with env.client("operations") as c:
        assert c.post("/v1/observations", json=body).status_code == 201
    with env.client("committee") as c:
        r = c.post(
            "/v1/models/web-bus/1/decisions",
            json={"action": "suspend", "rationale": "complaints about the route planner"},
        )
        assert r.status_code == 200, r.text
    return "web-bus", "1"


def test_the_public_register_shows_the_public_facts_and_nothing_else(env, audited):
    _suspended(env)
    anon = httpx.Client(base_url=env.url, timeout=30)
    register = anon.get("/public/register.json").json()
    entry = next(a for a in register["algorithms"] if a["name"] == "web-bus")
    assert entry["state"] == "SUSPENDED" and entry["decisions_30_days"] == 10
    assert entry["vendor"] == "City data office" and entry["risk_level"] == "high"
    assert entry["verdict"] == "pass"
    assert entry["suspensions"][0]["by"] == "committee"
    assert entry["suspensions"][0]["reason"] == "complaints about the route planner"
    assert entry["since"] == entry["suspensions"][0]["at"]
    check = env.registry.verify_ledger()
    assert register["ledger"] == {"length": check.count, "head_hash": check.head_hash}

    pages = {
        path: anon.get(path)
        for path in (
            "/public",
            "/public/models/web-bus",
            "/public/register.json",
            "/public/feed.atom",
            "/public?lang=zh",
        )
    }
    assert all(r.status_code == 200 for r in pages.values())
    assert check.head_hash in pages["/public"].text
    assert "complaints about the route planner" in pages["/public"].text
    feed = pages["/public/feed.atom"]
    assert feed.headers["content-type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ElementTree.fromstring(feed.content).findall(f"{atom}entry")
    titles = [e.findtext(f"{atom}title") for e in entries]
    assert titles[0] == "web-bus version 1: Suspended"  # newest first
    assert entries[0].findtext(f"{atom}content") == "complaints about the route planner"
    assert "web-bus version 1: In service" in titles
    # nothing non-public: tokens, e-mail addresses, responsible people, paths, hashes of files
    example = filing("web-bus", "1")
    secrets_ = [
        *env.tokens.values(),
        *(t.split("_")[1] for t in env.tokens.values()),
        example["responsible"]["email"],
        example["responsible"]["name"],
        example["vendor"]["contact"],
        str(env.server.home),
        "report_path",
        "artifact",
        "acme",  # the vendor account's name (the public sees the organisation's name)
    ]
    secrets_ += [a.report_path for a in env.registry.audits("web-bus", "1") if a.report_path]
    for path, r in pages.items():
        for secret in secrets_:
            assert secret not in r.text, (path, secret)
        assert "@" not in re.sub(r"<[^>]+>", "", r.text) or path.endswith(".atom"), path


def test_page_refusals_are_html_4xx_never_5xx(env):
    anon = httpx.Client(base_url=env.url, timeout=30)
    r = anon.get("/public/models/no-such-model")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    client = sign_in(env, "committee")
    r = client.get("/web/models/no-such/1")
    assert r.status_code == 404 and load_catalog("en")["web_error_404"] in r.text
    r = client.get("/web/models/no-such/1/report?audit_id=0")
    assert r.status_code == 422


def test_the_language_switch_sets_a_cookie_and_every_page_string_is_in_both_catalogs(env):
    anon = httpx.Client(base_url=env.url, timeout=30)
    r = anon.get("/public?lang=zh")
    assert load_catalog("zh")["web_public_title"] in r.text and 'lang="zh-Hans"' in r.text
    assert anon.cookies.get("fg_lang") == "zh"
    assert load_catalog("zh")["web_public_title"] in anon.get("/public").text
    # every web key the templates and the page code use is in both catalogs
    root = Path(__file__).resolve().parents[3]
    sources = [
        *(root / "report_templates" / "web").glob("*.j2"),
        *(root / "registry" / "web").glob("*.py"),
    ]
    used = set()
    for source in sources:
        used |= set(re.findall(r"""['"](web_[a-z0-9_]+)['"]""", source.read_text(encoding="utf-8")))
    code = "".join(s.read_text(encoding="utf-8") for s in sources)
    used = {u for u in used if f"def {u}(" not in code}  # function names are not keys
    prefixes = {u for u in used if u.endswith("_")}
    keys = used - prefixes
    assert len(keys) > 60
    for lang in LANGUAGES:
        catalog = load_catalog(lang)
        assert sorted(keys - set(catalog)) == [], lang
        for prefix in prefixes:
            assert any(k.startswith(prefix) for k in catalog), (lang, prefix)
    for state in ("FILED", "AUDITED", "ACTIVE", "SUSPENDED", "REJECTED", "WITHDRAWN"):
        assert f"web_state_{state}" in load_catalog("zh")
    assert catalog_problems() == []
