"""TokenStore against a real SQLite file (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from fairgate.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from fairgate.registry.api.auth import TokenStore, require_role, tokens_table


@pytest.fixture
def store(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tokens.db'}")
    tokens_table.metadata.create_all(engine)
    return TokenStore(engine)


def test_create_verify_and_cache(store):
    token, info = store.create("vendor", vendor="acme", label="acme ci")
    assert token.startswith(f"fg_{info.id}_")
    principal = store.verify(token)
    assert (principal.role, principal.vendor, principal.token_id) == ("vendor", "acme", info.id)
    assert store.cached(token) == principal
    assert store.cached(token + "x") is None
    with pytest.raises(AuthenticationError, match="does not match"):
        store.verify(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_revoked_and_expired(store):
    token, info = store.create("operations")
    store.verify(token)
    store.revoke(info.id)
    assert store.cached(token) is None
    with pytest.raises(AuthenticationError, match="revoked"):
        store.verify(token)
    with pytest.raises(NotFoundError):
        store.revoke("000000000000")
    token2, info2 = store.create("operations", expires_days=1)
    store.verify(token2)
    with store.engine.begin() as conn:
        conn.execute(
            tokens_table.update()
            .where(tokens_table.c.id == info2.id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    store._cache.clear()
    with pytest.raises(AuthenticationError, match="expired"):
        store.verify(token2)


def test_only_hashes_are_stored(store):
    token, _ = store.create("admin")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(tokens_table)).mappings().one()
    secret = token.split("_", 2)[2]
    assert secret not in str(dict(row))
    assert row["hash"] != secret and len(row["hash"]) == 64


@pytest.mark.parametrize(
    ("role", "vendor"), [("root", None), ("vendor", None), ("operations", "acme")]
)
def test_bad_token_requests(store, role, vendor):
    with pytest.raises(ValidationError):
        store.create(role, vendor=vendor)


@pytest.mark.parametrize("token", ["", "abc", "fg_", "fg_abc", "fg__secret", "xx_abc_def"])
def test_malformed_tokens(store, token):
    with pytest.raises(AuthenticationError):
        store.verify(token)


def test_require_role(store):
    token, _ = store.create("operations")
    p = store.verify(token)
    assert require_role(p, "operations") is p
    with pytest.raises(PermissionDeniedError):
        require_role(p, "committee")
    admin = store.verify(store.create("admin")[0])
    assert require_role(admin, "committee") is admin
    assert [t.role for t in store.list()] == ["operations", "admin"]


def test_a_committee_token_names_its_member_and_acts_as_it(store):
    ann, info = store.create("committee", member="  Ann Li ")
    assert info.member == "Ann Li" and info.to_dict()["member"] == "Ann Li"
    assert store.verify(ann).actor == "committee:Ann Li"
    second, _ = store.create("committee", member="Ann Li")  # one member, one voter
    assert store.verify(second).actor == store.verify(ann).actor
    plain, plain_info = store.create("committee")
    assert store.verify(plain).actor == f"committee:{plain_info.id}"
    _gone, gone_info = store.create("committee", member="Bo")
    store.revoke(gone_info.id)
    assert store.committee_members() == ["Ann Li"]
    for role, member in (("vendor", "Ann"), ("admin", "Ann"), ("committee", "a:b")):
        with pytest.raises(ValidationError, match="member"):
            store.create(role, member=member, vendor="acme" if role == "vendor" else None)
