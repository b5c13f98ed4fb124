"""Quorum voting on a real SQLite registry, over REST on a real server, and on the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from fairgate.errors import ConflictError
from fairgate.registry.store import PolicyStore, Registry
from fairgate.registry.usecases import DecisionRequest, decide
from fairgate.settings import Settings

A, B, C = "committee:A. Member", "committee:B. Member", "committee:C. Member"


def _audited(registry, make_filing, name="q", version="1"):
    registry.file(make_filing(name, version), None, actor="vendor")
    _pass(registry, name, version)


def _pass(registry, name, version="1"):
    registry.record_audit(
        name, version, artifact_sha256=None, passed=True, verdict="pass", result={},
        report_path=None, actor="audit-runner",
    )  # fmt: skip


def _vote(registry, who, action="approve", name="q", why="the audit passed every rule"):
    return decide(registry, DecisionRequest(name, "1", action, rationale=why, actor=who))


@pytest.fixture
def quorum2(tmp_path):
    return Registry(Settings(home=tmp_path / "home", quorum=2))


def test_two_members_the_state_changes_only_at_the_second(quorum2, make_filing):
    _audited(quorum2, make_filing)
    assert _vote(quorum2, A).state == "AUDITED"
    tally = quorum2.votes("q", "1")
    assert tally.question == "approve" and tally.needed == 1
    assert [v.member for v in tally.in_favour] == [A]
    assert "1 of 2" in tally.summary("en") and "1 位" in tally.summary("zh")
    assert _vote(quorum2, B).state == "ACTIVE"
    kinds = [e.kind for e in quorum2.events() if e.name == "q"]
    assert kinds == ["file", "audit", "vote", "approve"]
    approval = quorum2.events()[-1]
    assert approval.actor == B and approval.payload["votes"] == [A, B]
    assert approval.payload["quorum"] == 2
    after = quorum2.votes("q", "1")
    assert after.question is None and after.in_favour == ()
    assert [v.open for v in after.history] == [False, False]


def test_the_same_member_twice_is_refused_with_409(quorum2, make_filing):
    _audited(quorum2, make_filing)
    _vote(quorum2, A)
    with pytest.raises(ConflictError, match="already voted") as caught:
        _vote(quorum2, A, why="voting again to force it")
    assert caught.value.status_code == 409
    assert caught.value.details["key"] == "vote_twice"
    assert quorum2.get("q", "1").state == "AUDITED"
    assert len(quorum2.votes("q", "1").in_favour) == 1


def test_a_dissent_is_recorded_shown_and_counts_as_the_members_vote(quorum2, make_filing):
    _audited(quorum2, make_filing)
    _vote(quorum2, A)
    assert _vote(quorum2, C, "dissent", why="the proxy for colour worries me").state == "AUDITED"
    tally = quorum2.votes("q", "1")
    [dissent] = tally.dissents
    assert dissent.member == C and dissent.rationale == "the proxy for colour worries me"
    assert "Dissents recorded: 1" in tally.summary("en")
    with pytest.raises(ConflictError, match="already voted"):
        _vote(quorum2, C)
    assert _vote(quorum2, B).state == "ACTIVE"
    event = next(e for e in quorum2.events() if e.kind == "dissent")
    assert event.payload["rationale"] == "the proxy for colour worries me"
    with pytest.raises(ConflictError, match="no pending approval"):
        _vote(quorum2, C, "dissent", why="still not convinced at all")


def test_votes_reset_when_the_state_changes(quorum2, make_filing):
    _audited(quorum2, make_filing)
    _vote(quorum2, A)
    _vote(quorum2, B)
    _vote(quorum2, A, "suspend", why="complaints from the public")
    _pass(quorum2, "q")
    assert _vote(quorum2, A, "reinstate").state == "SUSPENDED"  # A's approval does not count
    tally = quorum2.votes("q", "1")
    assert tally.question == "reinstate" and [v.member for v in tally.in_favour] == [A]
    assert _vote(quorum2, B, "reinstate").state == "ACTIVE"


def test_the_policy_quorum_wins_over_the_setting_and_one_keeps_todays_behaviour(
    registry, make_filing
):
    _audited(registry, make_filing)
    assert _vote(registry, A).state == "ACTIVE"  # setting 1: one member decides
    assert [e.kind for e in registry.events() if e.name == "q"] == ["file", "audit", "approve"]
    store = PolicyStore(registry.engine)
    store.publish({"name": "three", "quorum": 3}, actor=A)
    _audited(registry, make_filing, name="q3")
    store.assign("q3", "1", "three", actor=A, rationale="a high-risk model")
    for who in (A, B):
        assert _vote(registry, who, name="q3").state == "AUDITED"
    assert registry.votes("q3", "1").quorum == 3
    assert _vote(registry, C, name="q3").state == "ACTIVE"


# ------------------------------------------------------------------------------ REST
def test_rest_votes_quorum_409_and_dissent(env):
    from fairgate.registry.api.auth import TokenStore

    store = TokenStore(env.registry.engine)
    members = {m: store.create("committee", member=m)[0] for m in ("Ann", "Bo", "Cy")}
    with env.client("committee") as c:
        r = c.post("/v1/policies", json={"policy": {"name": "two-of-us", "quorum": 2}})
        assert r.status_code in (200, 201), r.text
    with env.client("acme") as c:
        assert c.post("/v1/models", json={"filing": env.filing("rq", "1")}).status_code == 201
    with env.client("committee") as c:
        r = c.put("/v1/models/rq/1/policy", json={"policy": "two-of-us", "rationale": "pilot"})
        assert r.status_code == 200, r.text
    env.record_audit("rq", "1")

    def post(member, action="approve", why="the audit passed every rule"):
        headers = {"Authorization": f"Bearer {members[member]}"}
        body = {"action": action, "rationale": why}
        return env.client("public").post("/v1/models/rq/1/decisions", json=body, headers=headers)

    r = post("Ann")
    assert r.status_code == 200 and r.json()["state"] == "AUDITED", r.text
    assert r.json()["votes"]["needed"] == 1
    r = post("Ann")
    assert r.status_code == 409 and "already voted" in r.json()["message"]
    r = post("Cy", "dissent", "the flip test worries me")
    assert r.status_code == 200 and r.json()["state"] == "AUDITED"
    with env.client("committee") as c:
        shown = c.get("/v1/models/rq/1/votes", params={"lang": "zh"}).json()
    assert [d["rationale"] for d in shown["dissents"]] == ["the flip test worries me"]
    assert shown["dissents"][0]["member"] == "committee:Cy" and "反对" in shown["text"]
    r = post("Bo")
    assert r.status_code == 200 and r.json()["state"] == "ACTIVE"
    with env.client("other") as c:  # another vendor's model
        assert c.get("/v1/models/rq/1/votes").status_code == 403


# ------------------------------------------------------------------------------ CLI
def test_cli_identity_comes_from_the_token(tmp_path, monkeypatch, make_filing):
    from fairgate.cli import main
    from fairgate.registry.api.auth import TokenStore

    home = tmp_path / "home"
    monkeypatch.setenv("FAIRGATE_HOME", str(home))
    monkeypatch.setenv("FAIRGATE_QUORUM", "2")
    registry = Registry(Settings(home=home))
    store = TokenStore(registry.engine)
    ann = store.create("committee", member="Ann")[0]
    admin = store.create("admin")[0]
    _audited(registry, make_filing)
    runner = CliRunner()
    approve = ["approve", "q@1", "--rationale", "the audit passed every rule"]

    monkeypatch.delenv("FAIRGATE_TOKEN", raising=False)
    r = runner.invoke(main, [*approve, "--by", "Ann"])
    assert r.exit_code == 2 and "FAIRGATE_TOKEN" in r.output
    monkeypatch.setenv("FAIRGATE_TOKEN", ann)
    r = runner.invoke(main, [*approve, "--by", "Bo"])  # not who the token says
    assert r.exit_code == 2 and "its own member" in r.output
    r = runner.invoke(main, approve)
    assert r.exit_code == 0 and "AUDITED" in r.output and "1 of 2" in r.output, r.output
    r = runner.invoke(main, approve)
    assert r.exit_code == 2 and "already voted" in r.output
    monkeypatch.setenv("FAIRGATE_TOKEN", admin)
    r = runner.invoke(main, [*approve, "--by", "Bo"])  # Bo holds no committee token
    assert r.exit_code == 2 and "committee member" in r.output and "Ann" in r.output
    store.create("committee", member="Bo")
    r = runner.invoke(main, [*approve, "--by", "Bo"])
    assert r.exit_code == 0 and "ACTIVE" in r.output, r.output
    approval = registry.events()[-1]
    assert approval.actor == "committee:Bo"
    assert approval.payload["evidence"]["recorded_by"].startswith("admin:")
