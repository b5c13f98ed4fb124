"""The registry store and lifecycle on a real SQLite file."""

from __future__ import annotations

import itertools
import pickle

import pytest
import sqlalchemy as sa

from fairgate.errors import (
    ArtifactIntegrityError,
    ConflictError,
    FilingError,
    TransitionError,
    UnsafeModelError,
    ValidationError,
)
from fairgate.registry.store.lifecycle import ACTIONS, State, allowed_actions, check_transition


def _audit(reg, mv, passed=True, sha=None):
    return reg.record_audit(
        mv.name,
        mv.version,
        artifact_sha256=sha if sha is not None else mv.artifact_sha256,
        passed=passed,
        verdict="pass" if passed else "fail",
        result={"outcome": "pass" if passed else "fail"},
        report_path=None,
        actor="auditor",
    )


def test_whole_lifecycle(registry, make_filing, skops_model, arrests_model):
    mv = registry.file(make_filing(), skops_model, actor="vendor")
    assert mv.state == "FILED" and mv.artifact_kind == "skops" and mv.vendor == "City data office"
    with registry.load_model(mv.name, mv.version) as model:  # in the sandbox worker
        assert model.predict(arrests_model[1].head(3)).shape == (3,)
    _audit(registry, mv, passed=False)
    assert registry.get(mv.name, mv.version).state == "AUDITED"
    with pytest.raises(ConflictError, match="failed"):
        registry.decide(mv.name, mv.version, "approve", rationale="looks fine to me", actor="c")
    _audit(registry, mv, passed=True)
    active = registry.decide(mv.name, mv.version, "approve", rationale="audit 2 passed", actor="c")
    assert active.state == "ACTIVE" and registry.status(mv.name, mv.version).may_serve
    suspended = registry.suspend_by_breaker(mv.name, mv.version, rule="dp", evidence={"p": 1e-6})
    assert suspended.state == "SUSPENDED"
    status = registry.status(mv.name, mv.version)
    assert not status.may_serve and "circuit breaker" in status.reason
    with pytest.raises(ConflictError, match="after the suspension"):
        registry.decide(mv.name, mv.version, "reinstate", rationale="fixed it now", actor="c")
    _audit(registry, mv, passed=True)
    again = registry.decide(
        mv.name, mv.version, "reinstate", rationale="re-audit passed", actor="c"
    )
    assert again.state == "ACTIVE"
    gone = registry.decide(mv.name, mv.version, "withdraw", rationale="replaced by v2", actor="c")
    assert gone.state == "WITHDRAWN"
    for action in ("approve", "reject", "suspend", "reinstate", "withdraw"):
        with pytest.raises(TransitionError):
            registry.decide(mv.name, mv.version, action, rationale="one more try", actor="c")
    kinds = [e.kind for e in registry.events()]
    assert kinds == [
        "policy_publish",  # the built-in policies, published at the first filing
        "policy_publish",
        "file",
        "audit",
        "audit",
        "approve",
        "breaker_trip",
        "audit",
        "reinstate",
        "withdraw",
    ]
    assert registry.verify_ledger().ok
    assert status.revision < registry.status(mv.name, mv.version).revision


@pytest.mark.parametrize(("state", "action"), list(itertools.product(State, ACTIONS)))
def test_transition_table_refuses_naming_the_allowed(state, action):
    allowed = allowed_actions(state)
    if action in allowed:
        assert isinstance(check_transition(state, action), State)
        return
    with pytest.raises(TransitionError) as err:
        check_transition(state, action)
    assert str(state) in err.value.message
    for name in allowed:
        assert name in err.value.message


def test_approval_needs_an_audit_of_the_artifact_on_file(registry, make_filing, skops_model):
    mv = registry.file(make_filing(), skops_model, actor="vendor")
    _audit(registry, mv, passed=True, sha="0" * 64)
    with pytest.raises(ConflictError, match="audit the artifact on file"):
        registry.decide(mv.name, mv.version, "approve", rationale="audit passed", actor="c")
    with pytest.raises(ValidationError, match="rationale"):
        registry.decide(mv.name, mv.version, "reject", rationale="no", actor="c")
    with pytest.raises(ValidationError, match="committee member"):
        registry.decide(mv.name, mv.version, "reject", rationale="not good enough", actor=" ")


def _counts(reg):
    with reg.engine.connect() as c:
        return (
            c.execute(sa.text("select count(*) from model_versions")).scalar(),
            c.execute(sa.text("select count(*) from ledger_events")).scalar(),
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": None}, "purpose"),
        ({"risk_level": "unacceptable"}, "risk_level"),
        ({"algorithm_type": "magic"}, "algorithm_type"),
        ({"features": "colour"}, "features"),
        ({"colour_of_the_sky": "blue"}, "colour_of_the_sky"),
        ({"mechanism": "x" * (50 * 1024 * 1024)}, "mechanism"),
    ],
)
def test_malformed_filings_leave_the_registry_unchanged(registry, make_filing, change, field):
    registry.file(make_filing(version="0"), actor="vendor")
    before = _counts(registry)
    body = make_filing(version="1")
    body.update(change)
    if change.get("purpose", 1) is None:
        del body["purpose"]
    with pytest.raises(FilingError) as err:
        registry.file(body, actor="vendor")
    assert field in err.value.message
    assert _counts(registry) == before
    assert registry.verify_ledger().ok


def test_duplicate_version_refused(registry, make_filing):
    registry.file(make_filing(), actor="vendor")
    with pytest.raises(ConflictError, match="already filed"):
        registry.file(make_filing(), actor="vendor")


def test_corrupt_or_swapped_artifact_refused(registry, make_filing, skops_model):
    mv = registry.file(make_filing(), skops_model, actor="vendor")
    path = registry.artifact_path(mv.name, mv.version)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match=mv.artifact_sha256):
        registry.load_model(mv.name, mv.version)
    path.write_bytes(b"another model entirely")
    with pytest.raises(ArtifactIntegrityError):
        registry.verify_artifact(mv.name, mv.version)


def test_pickle_refused_unless_allowed(tmp_path, make_filing, arrests_model):
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps(arrests_model[0]))
    reg = Registry(Settings(home=tmp_path / "h"))
    with pytest.raises(UnsafeModelError, match="FAIRGATE_ALLOW_PICKLE"):
        reg.file(make_filing(), model, actor="vendor")
    assert _counts(reg) == (0, 0)
    allowed = Registry(Settings(home=tmp_path / "h", allow_pickle=True))
    assert allowed.file(make_filing(), model, actor="vendor").artifact_kind == "pickle"


def test_lists_and_public_listing(registry, make_filing):
    registry.file(make_filing("a", "1"), actor="v", vendor="acme")
    registry.file(make_filing("b", "1"), actor="v", vendor="other")
    assert [m.name for m in registry.list_versions(vendor="acme")] == ["a"]
    assert [m.name for m in registry.list_versions(state="filed")] == ["a", "b"]
    public = registry.public_listing()
    assert {p["name"] for p in public} == {"a", "b"} and "filing" not in public[0]
