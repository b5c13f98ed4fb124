"""The webhook store on a real database: secrets sealed at rest, deliveries in ledger order."""

from __future__ import annotations

import base64
import secrets
import time

import httpx
import pytest
import sqlalchemy as sa

from fairgate.errors import ConfigurationError
from fairgate.registry.api.webhook_worker import WebhookWorker
from fairgate.registry.store.tables import webhook_deliveries, webhooks
from fairgate.registry.store.webhook_signing import SEALED_PREFIX, sign, signed_headers
from fairgate.registry.store.webhooks import WebhookStore
from tests.registry.webhook_receiver import Receiver, readme_receiver


@pytest.fixture
def key_path(tmp_path):
    return tmp_path / "keys" / "webhook-key"


def _raw_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(webhooks)).all()]


def test_the_signature_is_the_standard_webhooks_test_vector():
    """The example of the Standard Webhooks specification's reference libraries."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    got = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_secret_is_shown_once_and_stored_sealed(registry, key_path):
    store = WebhookStore(registry.engine, key_path=key_path)
    hook, secret = store.create("https://ops.example.org/h", model=None, actor="admin:a")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    raws = _raw_rows(registry.engine)
    assert len(raws) == 1 and not any(secret in str(value) for value in raws[0])
    assert not any(secret[6:] in str(value) for value in raws[0])
    [stored] = [v for v in raws[0] if str(v).startswith(SEALED_PREFIX)]
    assert store.box.open(stored, hook.id) == secret
    assert "secret" not in store.get(hook.id).to_dict()
    assert all("secret" not in h.to_dict() for h in store.list())
    with pytest.raises(ConfigurationError, match="another key"):  # bound to its own row
        store.box.open(stored, "0123456789abcdef")
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_a_wrong_missing_or_malformed_key_refuses_to_open_the_store(registry, key_path, tmp_path):
    WebhookStore(registry.engine, key_path=key_path).create(
        "https://ops.example.org/h", model="m", actor="admin:a"
    )
    other = tmp_path / "other-key"
    other.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(ConfigurationError, match="does not open the secret of webhook"):
        WebhookStore(registry.engine, key_path=other)
    with pytest.raises(ConfigurationError, match="missing") as missing:
        WebhookStore(registry.engine, key_path=tmp_path / "nowhere")
    assert "FAIRGATE_WEBHOOK_KEY" in str(missing.value)
    assert not (tmp_path / "nowhere").exists()  # a lost key is not silently replaced
    other.write_text("not a key")
    with pytest.raises(ConfigurationError, match="base64 of 32 bytes"):
        WebhookStore(registry.engine, key_path=other)
    assert WebhookStore(registry.engine, key_path=key_path).list()[0].model == "m"


def test_secrets_stored_in_clear_by_earlier_versions_are_sealed_on_first_start(registry, key_path):
    legacy = "whsec_" + secrets.token_urlsafe(32)  # what earlier versions made and stored
    with registry.engine.begin() as conn:
        conn.execute(
            webhooks.insert().values(
                id="00000000000000aa",
                url="http://127.0.0.1:9/h",
                model=None,
                secret=legacy,
                actor="admin:a",
                created_at=time.time(),
                deleted_at=None,
                last_event_id=0,
            )
        )
    store = WebhookStore(registry.engine, key_path=key_path)
    assert store.sealed_now == 1
    [raw] = _raw_rows(registry.engine)
    assert legacy not in raw and any(str(v).startswith(SEALED_PREFIX) for v in raw)
    assert WebhookStore(registry.engine, key_path=key_path).sealed_now == 0
    due = _deliveries_of(registry, store)
    assert due and {d.secret for d in due} == {legacy}  # it still signs with the same secret


def _deliveries_of(registry, store):
    registry.file(_filing("legacy"), None, actor="vendor:acme", vendor="acme")
    store.queue.enqueue()
    return store.queue.claim_due()


def _filing(name: str) -> dict:
    from tests.fixtures.service import filing

    return filing(name, "1")


def test_one_failing_subscription_holds_back_only_its_own_newer_events(registry, key_path):
    """Head of line per subscription: A's event 2 waits for A's retried event 1; B's does not."""
    store = WebhookStore(registry.engine, key_path=key_path, max_attempts=3, backoff=600.0)
    slow, fast = Receiver(fail_first=1), Receiver()
    worker = WebhookWorker(store.queue)
    try:
        a, slow.secret = store.create(slow.url, model="hol", actor="admin:a")
        b, fast.secret = store.create(fast.url, model="hol", actor="admin:a")
        registry.file(_filing("hol"), None, actor="vendor:acme", vendor="acme")
        registry.decide("hol", "1", "withdraw", rationale="replaced by version 2", actor="A. M")
        with httpx.Client(timeout=10) as client:
            assert worker.run_once(client) == 2  # A's event 1 (fails), B's event 1
            assert worker.run_once(client) == 1  # B's event 2 only: A's waits for its retry
            [newer, older] = store.deliveries(a.id)
            assert (older.status, older.attempts, older.last_status) == ("pending", 1, 503)
            assert older.last_error.startswith("HTTP 503") and older.next_attempt_at
            assert newer.status == "pending" and newer.attempts == 0
            assert newer.waits_for_event == older.event_id and older.waits_for_event is None
            assert store.get(a.id).deliveries == {"pending": 2, "delivered": 0, "failed": 0}
            assert store.deliveries(a.id, status="delivered") == []
            assert worker.run_once(client) == 0  # still nothing due for A
            with registry.engine.begin() as conn:  # the backoff has passed
                conn.execute(
                    webhook_deliveries.update()
                    .where(webhook_deliveries.c.id == older.id)
                    .values(next_attempt_at=time.time())
                )
            assert worker.run_once(client) == 1  # A's event 1 again
            assert worker.run_once(client) == 1  # then A's event 2
        for receiver in (slow, fast):
            assert [m["kind"] for m in receiver.received] == ["file", "withdraw"]
            assert all(p["verified"] for p in receiver.posts)
        assert [p["event_id"] for p in slow.posts] == [older.event_id] * 2 + [newer.event_id]
        assert slow.posts[0]["id"] == slow.posts[1]["id"] == older.message_id
        for hook in (a, b):
            assert store.get(hook.id).deliveries == {"pending": 0, "delivered": 2, "failed": 0}
    finally:
        slow.close()
        fast.close()


def test_the_readme_receiver_drops_a_duplicate_and_a_replay(registry, key_path):
    store = WebhookStore(registry.engine, key_path=key_path)
    code = readme_receiver()
    handled: list[dict] = []
    code["act_on"] = handled.append
    _, code["SECRET"] = store.create("http://127.0.0.1:9/h", model="dup", actor="admin:a")
    registry.file(_filing("dup"), None, actor="vendor:acme", vendor="acme")
    store.queue.enqueue()
    [due] = store.queue.claim_due()
    now = int(time.time())
    headers = signed_headers(due.secret, due.message_id, now, due.body)
    assert code["handle"](headers, due.body) == 204
    again = signed_headers(due.secret, due.message_id, now + 1, due.body)  # a retry
    assert code["handle"](again, due.body) == 204 and len(handled) == 1
    old = signed_headers(due.secret, due.message_id, now - 3600, due.body)
    assert code["handle"](old, due.body) == 401  # replayed an hour later
    forged = {
        **headers,
        "webhook-signature": sign("whsec_" + "A" * 44, due.message_id, now, due.body),
    }
    assert code["handle"](forged, due.body) == 401


def test_serve_refuses_to_start_with_a_key_that_does_not_open_the_secrets(registry, tmp_path):
    """A wrong key is one clear error at start-up, not a failure at every delivery."""
    import os
    import subprocess
    import sys

    home = registry.settings.home
    store = WebhookStore(registry.engine, key_path=registry.settings.webhook_key_path)
    hook, _ = store.create("https://ops.example.org/h", model=None, actor="admin:a")
    wrong = tmp_path / "wrong-key"
    wrong.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    env = {**os.environ, "FAIRGATE_HOME": str(home), "FAIRGATE_WEBHOOK_KEY": str(wrong)}
    done = subprocess.run(
        [sys.executable, "-c", "from fairgate.cli import main; main()", "serve", "--port", "9"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"does not open the secret of webhook {hook.id}" in done.stderr
    assert "FAIRGATE_WEBHOOK_KEY" in done.stderr and "Traceback" not in done.stderr


def test_a_delivery_that_finally_fails_lets_the_next_event_go(registry, key_path):
    store = WebhookStore(registry.engine, key_path=key_path, max_attempts=1, backoff=600.0)
    receiver = Receiver(fail_first=1)
    worker = WebhookWorker(store.queue)
    try:
        hook, receiver.secret = store.create(receiver.url, model="gone", actor="admin:a")
        registry.file(_filing("gone"), None, actor="vendor:acme", vendor="acme")
        registry.decide("gone", "1", "withdraw", rationale="replaced by version 2", actor="A. M")
        with httpx.Client(timeout=10) as client:
            assert worker.run_once(client) == 1  # event 1: its one attempt fails
            assert worker.run_once(client) == 1  # event 2 is not held back by a failed one
            assert worker.run_once(client) == 0
        [newer, older] = store.deliveries(hook.id)
        assert (older.status, older.attempts, older.next_attempt_at) == ("failed", 1, None)
        assert newer.status == "delivered" and newer.waits_for_event is None
        assert [m["kind"] for m in receiver.received] == ["withdraw"]
        assert [d.event_id for d in store.deliveries(hook.id, status="failed")] == [older.event_id]
    finally:
        receiver.close()
