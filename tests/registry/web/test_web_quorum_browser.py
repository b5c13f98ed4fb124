"""The quorum in a real headless Chromium: two members sign in and vote; the public sees it.

With a quorum of two, the first member's approval is recorded as a vote and the version stays
AUDITED; the second member's approval meets the quorum, the version becomes ACTIVE, and the
public register and its Atom feed show the change.
"""

from __future__ import annotations

import httpx
import pytest

from fairgate.audit.report.catalog import load_catalog
from fairgate.registry.api.auth import TokenStore
from tests.fixtures.service import filing, make_env, record_passing_audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _vote(browser, env, who: str, rationale: str) -> str:
    """Sign ``who`` in through the form, approve quorum-web@1, return the outcome's text."""
    en = load_catalog("en")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{env.url}/web/signin?lang=en")
        page.get_by_label(en["web_signin_token"]).fill(env.tokens[who])
        page.get_by_role("button", name=en["web_signin_button"]).click()
        page.wait_for_load_state()
        page.locator('a[href="/web/models/quorum-web/1"]').click()
        page.wait_for_load_state()
        label = en["web_rationale_for"].format(action=en["web_action_approve"])
        page.get_by_label(label).fill(rationale)
        page.get_by_role("button", name=en["web_action_approve"], exact=True).click()
        page.wait_for_load_state()
        return page.locator("#outcome").inner_text()
    finally:
        context.close()


def test_a_second_members_vote_meets_the_quorum_and_the_public_sees_it(
    chromium, tmp_path, monkeypatch, db_url
):
    en = load_catalog("en")
    monkeypatch.setenv("FAIRGATE_QUORUM", "2")
    env = make_env(tmp_path / "quorum", db_url)
    try:
        store = TokenStore(env.registry.engine)
        for who, member in (("ana", "Ana Li"), ("ben", "Ben Okafor")):
            env.tokens[who] = store.create("committee", member=member)[0]
        with env.client("acme") as c:
            r = c.post("/v1/models", json={"filing": filing("quorum-web", "1")})
            assert r.status_code == 201, r.text
        record_passing_audit(env, "quorum-web", "1")

        first = _vote(chromium, env, "ana", "The audit passed every rule of the policy.")
        assert en["web_vote_recorded"] in first
        assert env.registry.get("quorum-web", "1").state == "AUDITED"

        second = _vote(chromium, env, "ben", "I agree: the audit passed and the data is adequate.")
        assert en["web_state_ACTIVE"] in second
        assert env.registry.get("quorum-web", "1").state == "ACTIVE"
        approvals = [e for e in env.registry.events() if e.kind in ("vote", "approve")]
        assert {e.actor for e in approvals} == {"committee:Ana Li", "committee:Ben Okafor"}

        public = httpx.get(f"{env.url}/public/register.json").json()
        entry = next(a for a in public["algorithms"] if a["name"] == "quorum-web")
        assert entry["state"] == "ACTIVE"
        feed = httpx.get(f"{env.url}/public/feed.atom").text
        assert "<title>quorum-web version 1: In service</title>" in feed
    finally:
        env.server.stop()
