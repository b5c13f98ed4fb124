"""The quorum on the web pages: two committee members must approve; a dissent is shown."""

from __future__ import annotations

import re

import httpx

from fairgate.audit.report.catalog import load_catalog
from fairgate.registry.api.auth import TokenStore
from tests.fixtures.service import filing, make_env, record_passing_audit
from tests.registry.web.test_web_http import CSRF, sign_in


def _decide(client: httpx.Client, action: str, rationale: str) -> httpx.Response:
    csrf = CSRF.search(client.get("/web/models/quorum-loan/1").text).group(1)
    return client.post(
        "/web/models/quorum-loan/1/decide",
        data={"action": action, "rationale": rationale, "csrf": csrf},
    )


def test_two_members_meet_the_quorum_a_dissent_is_shown_and_the_public_sees_it(
    tmp_path, monkeypatch, db_url
):
    en = load_catalog("en")
    monkeypatch.setenv("FAIRGATE_QUORUM", "2")
    env = make_env(tmp_path / "quorum", db_url)
    try:
        store = TokenStore(env.registry.engine)
        for who, member in (("ana", "Ana Li"), ("ben", "Ben Okafor"), ("cy", "Cy Wong")):
            env.tokens[who] = store.create("committee", member=member)[0]
        with env.client("acme") as c:
            r = c.post("/v1/models", json={"filing": filing("quorum-loan", "1")})
            assert r.status_code == 201
        record_passing_audit(env, "quorum-loan", "1")

        ana = sign_in(env, "ana")
        page = ana.get("/web/models/quorum-loan/1").text
        assert 'class="card decision decision-dissent"' in page
        r = _decide(ana, "approve", "the audit passed every rule of the policy")
        assert r.status_code == 200 and en["web_vote_recorded"] in r.text
        assert env.registry.get("quorum-loan", "1").state == "AUDITED"
        votes = r.text[r.text.index('id="votes"') : r.text.index('id="report-h"')]
        assert "committee:Ana Li" in votes and "1 of 2 in favour" in votes
        # a member votes once
        r = _decide(ana, "approve", "voting a second time for the same thing")
        assert r.status_code == 409 and 'id="decision-error"' in r.text
        # a dissent is recorded, shown, and changes nothing
        cy = sign_in(env, "cy")
        r = _decide(cy, "dissent", "the training data is ten years old")
        assert r.status_code == 200 and env.registry.get("quorum-loan", "1").state == "AUDITED"
        votes = r.text[r.text.index('id="votes"') : r.text.index('id="report-h"')]
        assert "the training data is ten years old" in votes and en["web_event_dissent"] in votes
        # the second member in favour meets the quorum
        ben = sign_in(env, "ben")
        r = _decide(ben, "approve", "I agree: the audit passed and the data is adequate")
        assert r.status_code == 200
        assert en["web_decided"].format(state=en["web_state_ACTIVE"]) in r.text
        assert env.registry.get("quorum-loan", "1").state == "ACTIVE"
        public = httpx.get(f"{env.url}/public/register.json").json()
        entry = next(a for a in public["algorithms"] if a["name"] == "quorum-loan")
        assert entry["state"] == "ACTIVE"
        feed = httpx.get(f"{env.url}/public/feed.atom").text
        assert re.search(r"<title>quorum-loan version 1: In service</title>", feed)
    finally:
        env.server.stop()
