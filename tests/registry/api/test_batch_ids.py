"""Client batch ids: a retried batch is stored once; the batch and its trip commit together."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from fairgate.errors import ValidationError
from fairgate.registry.api.app import Service
from fairgate.registry.api.routers.ops import ingest_batch
from fairgate.registry.store import Registry
from fairgate.registry.store.tables import observation_batches
from fairgate.settings import Settings


@pytest.fixture
def service(tmp_path, service_filing):
    settings = Settings(home=tmp_path / "home")
    registry = Registry(settings)
    svc = Service(settings, registry, breaker_policy="default")
    registry.file(service_filing("ids", "1"), actor="vendor:acme", vendor="acme")
    registry.record_audit(
        "ids", "1", artifact_sha256=None, passed=True, verdict="pass", result={},
        report_path=None, actor="audit-runner",
    )  # fmt: skip
    registry.decide("ids", "1", "approve", rationale="the audit passed", actor="A. Member")
    return svc


def _body(batch_id, rates=(0.5, 0.5), n=300):
    sex = ["F"] * n + ["M"] * n
    pred = [int(i % 100 < rates[0] * 100) for i in range(n)]
    pred += [int(i % 100 < rates[1] * 100) for i in range(n)]
    body = {"model": "ids", "version": "1", "prediction": pred, "sensitive": {"sex": sex}}
    if batch_id is not None:
        body["client_batch_id"] = batch_id
    return json.dumps(body).encode()


def _rows(service) -> int:
    with service.registry.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(observation_batches)).scalar()


def test_a_retry_is_stored_once(service):
    code, first = ingest_batch(service, _body("b-1"))
    assert code == 201 and first["duplicate"] is False
    code, again = ingest_batch(service, _body("b-1"))
    assert code == 200 and again["duplicate"] is True and again["batch_id"] == first["batch_id"]
    assert _rows(service) == 1
    code, _ = ingest_batch(service, _body("b-2"))
    assert code == 201 and _rows(service) == 2
    code, _ = ingest_batch(service, _body(None))  # no id: every post is a new batch
    code, _ = ingest_batch(service, _body(None))
    assert _rows(service) == 4


def test_bad_batch_ids_are_refused(service):
    for bad in ("", "x" * 65, "a b", "../x", 12):
        with pytest.raises(ValidationError, match="client_batch_id"):
            ingest_batch(service, _body(bad))
    assert _rows(service) == 0


def test_the_tripping_batch_and_the_suspension_commit_together(service):
    code, out = ingest_batch(service, _body("trip", rates=(0.05, 0.95)))
    assert code == 201 and out["tripped"] is True and out["state"] == "SUSPENDED"
    [trip] = [e for e in service.registry.events() if e.kind == "breaker_trip"]
    assert trip.payload["evidence"]["trigger_batch"] == out["batch_id"]
    assert trip.payload["evidence"]["policy"]["name"] == "default"
    # a retry of the tripping batch is a duplicate even though the model is no longer ACTIVE
    code, again = ingest_batch(service, _body("trip", rates=(0.05, 0.95)))
    assert code == 200 and again["duplicate"] and again["state"] == "SUSPENDED"
    assert _rows(service) == 1
