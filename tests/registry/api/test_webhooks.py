"""Webhooks against a real receiver on 127.0.0.1: signed, retried after a failure, visible."""

from __future__ import annotations

import pytest

from tests.fixtures.service import make_env
from tests.registry.webhook_receiver import Receiver, wait_for


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory, module_db_url):
    import os

    saved = {
        k: os.environ.get(k) for k in ("FAIRGATE_WEBHOOK_BACKOFF", "FAIRGATE_WEBHOOK_ATTEMPTS")
    }
    os.environ["FAIRGATE_WEBHOOK_BACKOFF"] = "0.3"
    os.environ["FAIRGATE_WEBHOOK_ATTEMPTS"] = "3"
    try:
        env = make_env(tmp_path_factory.mktemp("hooks"), module_db_url)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield env
    env.server.stop()


def _trip(env, name):
    n = 300
    sex = ["F"] * n + ["M"] * n
    pred = [int(i % 100 < 5) for i in range(n)] + [int(i % 100 < 95) for i in range(n)]
    body = {"model": name, "version": "1", "prediction": pred, "sensitive": {"sex": sex}}
    with env.client("operations") as c:
        r = c.post("/v1/observations", json=body)
    assert r.status_code == 201 and r.json()["tripped"] is True, r.text


def test_signed_deliveries_are_retried_and_visible_and_a_trip_is_delivered(hook_env):
    env = hook_env
    receiver = Receiver(fail_first=1)
    try:
        with env.client("admin") as admin:
            r = admin.post("/v1/webhooks", json={"url": receiver.url, "model": "wh"})
            assert r.status_code == 201, r.text
            hook = r.json()
            receiver.secret = hook["secret"]
            listed = admin.get("/v1/webhooks").json()["webhooks"]
            assert [h["id"] for h in listed] == [hook["id"]]
            assert "secret" not in listed[0]  # shown once only
        env.activate("wh", "1")  # FILED, AUDITED, ACTIVE
        env.activate("other-model", "1")  # not subscribed
        _trip(env, "wh")
        got = wait_for(lambda: len(receiver.received) >= 4 and receiver.received)
        assert [(m["kind"], m["state"]) for m in got] == [
            ("file", "FILED"),
            ("audit", "AUDITED"),
            ("approve", "ACTIVE"),
            ("breaker_trip", "SUSPENDED"),
        ]
        assert {m["model"] for m in got} == {"wh"}
        assert got[2]["summary"]["en"] == "wh version 1 is now ACTIVE."
        assert "ACTIVE" in got[2]["summary"]["zh"]
        assert got[3]["rule"] == "live_dp" and got[3]["actor"] == "circuit breaker"
        assert all(p["verified"] for p in receiver.posts), receiver.posts
        assert [p["event_id"] for p in receiver.posts] == [got[0]["event_id"]] + [
            m["event_id"] for m in got
        ]  # in ledger order: the failed first one again before the rest
        with env.client("admin") as admin:
            rows = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
        assert {d["status"] for d in rows} == {"delivered"}
        first = min(rows, key=lambda d: d["event_id"])
        assert first["attempts"] == 2 and first["last_status"] == 204  # failed once, then OK
        assert sorted(d["attempts"] for d in rows) == [1, 1, 1, 2]
    finally:
        receiver.close()


def test_a_redirect_is_not_followed_and_ends_failed(hook_env):
    env = hook_env
    receiver = Receiver(redirect=True)
    try:
        with env.client("admin") as admin:
            r = admin.post("/v1/webhooks", json={"url": receiver.url, "model": "redir"})
            hook = r.json()
        with env.client("acme") as c:
            assert (
                c.post("/v1/models", json={"filing": env.filing("redir", "1")}).status_code == 201
            )
        with env.client("admin") as admin:

            def failed():
                rows = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
                return rows if rows and rows[0]["status"] == "failed" else None

            [row] = wait_for(failed)
            hooks = admin.get("/v1/webhooks").json()["webhooks"]
        [listed] = [h for h in hooks if h["id"] == hook["id"]]
        assert listed["deliveries"] == {"pending": 0, "delivered": 0, "failed": 1}
        assert row["attempts"] == 3 and "redirect" in row["last_error"]
        assert "not followed" in row["last_error"] and len(receiver.posts) == 3
    finally:
        receiver.close()


def test_only_admins_subscribe_and_bad_urls_are_refused(hook_env):
    env = hook_env
    with env.client("operations") as c:
        assert c.post("/v1/webhooks", json={"url": "https://ops.example.org/h"}).status_code == 403
    with env.client("committee") as c:
        assert c.get("/v1/webhooks").status_code == 403
    with env.client("admin") as admin:
        for bad in ("ftp://ops.example.org/h", "file:///etc/passwd", "ops.example.org/h",
                    "http://user:pw@ops.example.org/h", "javascript:alert(1)"):  # fmt: skip
            r = admin.post("/v1/webhooks", json={"url": bad})
            assert r.status_code == 422, (bad, r.text)
            assert "url" in r.json()["message"]
        r = admin.post("/v1/webhooks", json={"url": "https://ops.example.org/h"})
        assert r.status_code == 201 and r.json()["model"] is None
        hook_id = r.json()["id"]
        r = admin.delete(f"/v1/webhooks/{hook_id}")
        assert r.status_code == 200 and r.json()["deleted_at"]
        assert admin.get("/v1/webhooks/0123456789abcdef/deliveries").status_code == 404


def test_changes_while_down_arrive_after_restart_in_ledger_order_retries_with_the_same_id(
    hook_env,
):
    """Both events are due at restart and event 1's first delivery fails: the receiver sees 1
    (verified, twice with the same id), then 2; nothing was lost while the service was down."""
    env = hook_env
    receiver = Receiver(fail_first=1)
    try:
        with env.client("admin") as admin:
            hook = admin.post("/v1/webhooks", json={"url": receiver.url, "model": "order"}).json()
        receiver.secret = hook["secret"]
        env.server.kill()  # SIGKILL: nothing is flushed on the way down
        env.registry.file(env.filing("order", "1"), None, actor="vendor:acme", vendor="acme")
        env.registry.decide(
            "order", "1", "withdraw", rationale="replaced by version 2", actor="A. M"
        )
        assert receiver.posts == []
        env.server.start()  # both events are queued and due together now
        got = wait_for(lambda: len(receiver.received) >= 2 and receiver.received)
        assert [(m["kind"], m["state"]) for m in got] == [
            ("file", "FILED"),
            ("withdraw", "WITHDRAWN"),
        ]
        first, second = (m["event_id"] for m in got)
        assert [(p["event_id"], p["status"]) for p in receiver.posts] == [
            (first, 503),
            (first, 204),
            (second, 204),
        ]
        assert all(p["verified"] for p in receiver.posts)
        ids = [p["id"] for p in receiver.posts]
        assert ids[0] == ids[1] == got[0]["ledger_hash"] != ids[2] == got[1]["ledger_hash"]
        with env.client("admin") as admin:
            rows = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
            failed = admin.get(f"/v1/webhooks/{hook['id']}/deliveries?status=failed").json()
        assert [(d["event_id"], d["attempts"], d["status"]) for d in rows] == [
            (second, 1, "delivered"),
            (first, 2, "delivered"),
        ]
        assert rows[1]["message_id"] == ids[0] and rows[1]["last_error"] is None
        assert failed == {"deliveries": []}
    finally:
        receiver.close()
