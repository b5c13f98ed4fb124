"""Every route of the OpenAPI document, called with every kind of caller.

For each operation the test knows which roles may call it and what they get; every other caller
gets 401 (no, malformed, revoked or expired token) or 403 (a role or a vendor that may not), and
then nothing in the database or the state folder has changed. A route the table does not know
fails the test, so a new route must be classified here.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from fairgate.registry.api.auth import TokenStore
from fairgate.registry.store.webhooks import WebhookStore
from tests.fixtures.service import expired_token

CALLERS = (
    "none",
    "malformed",
    "revoked",
    "expired",
    "public",
    "operations",
    "committee",
    "acme",
    "other",
    "admin",
)
EVERYONE = frozenset(CALLERS)
VENDORS = frozenset({"acme", "other"})

# (method, path) -> (roles allowed besides admin, statuses they may get)
EXPECT: dict[tuple[str, str], tuple[frozenset[str], frozenset[int]]] = {
    ("GET", "/v1/public/models"): (EVERYONE, frozenset({200})),
    ("GET", "/public/register.json"): (EVERYONE, frozenset({200})),
    ("GET", "/public/feed.atom"): (EVERYONE, frozenset({200})),
    ("GET", "/health"): (EVERYONE, frozenset({200})),
    ("GET", "/ready"): (EVERYONE, frozenset({200})),
    ("POST", "/v1/artifacts"): (VENDORS, frozenset({201})),
    ("POST", "/v1/models"): (VENDORS, frozenset({201})),
    ("GET", "/v1/models"): (VENDORS | {"committee"}, frozenset({200})),
    ("GET", "/v1/models/{name}/{version}"): (frozenset({"acme", "committee"}), frozenset({200})),
    ("GET", "/v1/models/{name}/{version}/audits"): (
        frozenset({"acme", "committee"}),
        frozenset({200}),
    ),
    # the model was filed without an artifact: 409 names what to do
    ("POST", "/v1/models/{name}/{version}/audits"): (frozenset({"committee"}), frozenset({409})),
    ("GET", "/v1/models/{name}/{version}/report"): (
        frozenset({"acme", "committee"}),
        frozenset({200}),
    ),
    # suspend, then (already suspended) 409 naming the allowed actions
    ("POST", "/v1/models/{name}/{version}/decisions"): (
        frozenset({"committee"}),
        frozenset({200, 409}),
    ),
    ("GET", "/v1/ledger"): (frozenset({"committee"}), frozenset({200})),
    ("GET", "/v1/ledger/verify"): (frozenset({"committee"}), frozenset({200})),
    ("GET", "/v1/tokens"): (frozenset(), frozenset({200})),
    ("POST", "/v1/tokens"): (frozenset(), frozenset({201})),
    ("DELETE", "/v1/tokens/{token_id}"): (frozenset(), frozenset({200})),
    ("GET", "/v1/status/{name}/{version}"): (
        frozenset({"operations", "committee"}),
        frozenset({200}),
    ),
    ("GET", "/v1/status/stream"): (frozenset({"operations", "committee"}), frozenset({200})),
    ("POST", "/v1/observations"): (frozenset({"operations"}), frozenset({201})),
    ("GET", "/v1/policies"): (VENDORS | {"committee", "operations"}, frozenset({200})),
    ("POST", "/v1/policies"): (frozenset({"committee"}), frozenset({200, 201})),
    ("GET", "/v1/policies/{policy}"): (VENDORS | {"committee", "operations"}, frozenset({200})),
    ("GET", "/v1/models/{name}/{version}/policy"): (
        frozenset({"acme", "committee", "operations"}),
        frozenset({200}),
    ),
    ("PUT", "/v1/models/{name}/{version}/policy"): (frozenset({"committee"}), frozenset({200})),
    ("GET", "/v1/names/{name}"): (frozenset({"committee"}), frozenset({200})),
    ("GET", "/v1/models/{name}/{version}/audits/{audit_id}"): (
        frozenset({"acme", "committee"}),
        frozenset({200}),
    ),
    ("POST", "/v1/names/{name}/owner"): (frozenset(), frozenset({200})),
    ("GET", "/v1/public/checkpoint"): (EVERYONE, frozenset({200})),
    ("GET", "/v1/public/key"): (EVERYONE, frozenset({200})),
    ("GET", "/v1/models/{name}/{version}/votes"): (
        frozenset({"acme", "committee"}),
        frozenset({200}),
    ),
    ("POST", "/v1/webhooks"): (frozenset(), frozenset({201})),
    ("GET", "/v1/webhooks"): (frozenset(), frozenset({200})),
    ("DELETE", "/v1/webhooks/{hook_id}"): (frozenset(), frozenset({200})),
    ("GET", "/v1/webhooks/{hook_id}/deliveries"): (frozenset(), frozenset({200})),
}

_counter = itertools.count()


@pytest.fixture(scope="module")
def world(env):
    """A server, one token per kind of caller, and vendor A's models (one with an audit report)."""
    store = TokenStore(env.registry.engine)
    tokens = dict(env.tokens)
    revoked, info = store.create("committee")
    store.revoke(info.id)
    expired = expired_token(env, "admin")
    tokens.update(revoked=revoked, expired=expired, malformed="fg_not-a-token")
    env.activate("vendor-a-model", "1", vendor="acme")
    env.activate("decided-model", "1", vendor="acme")
    with env.client("acme") as c:
        upload = c.post("/v1/artifacts", params={"filename": "eval.csv"}, content=b"a,b\n1,2\n")
        assert upload.status_code == 201
    return env, tokens, upload.json()["upload_id"]


def _request(env, route: tuple[str, str], upload_id: str, store: TokenStore) -> dict[str, Any]:
    """A well-formed request for an operation (a new name wherever it creates something)."""
    n = next(_counter)
    method, path = route
    params: dict[str, Any] = {}
    body: Any = None
    content: bytes | None = None
    fill = {"name": "vendor-a-model", "version": "1", "policy": "default"}
    fill["audit_id"] = str(env.registry.audits("vendor-a-model", "1")[-1].id)
    if "{hook_id}" in path:  # a receiver that is never there: nothing leaves this machine
        hooks = WebhookStore(env.registry.engine, key_path=env.server.home / "webhook-key")
        fill["hook_id"] = hooks.create("http://127.0.0.1:9/h", model="none", actor="t")[0].id
    if route == ("DELETE", "/v1/tokens/{token_id}"):
        fill["token_id"] = store.create("public", label="to revoke")[1].id
    if route in (
        ("POST", "/v1/models/{name}/{version}/decisions"),
        ("POST", "/v1/names/{name}/owner"),
    ):
        fill["name"] = "decided-model"  # suspending or transferring it leaves vendor-a-model be
    url = re.sub(r"\{(\w+)\}", lambda m: fill[m.group(1)], path)
    if route == ("POST", "/v1/artifacts"):
        params, content = {"filename": f"m{n}.onnx"}, b"bytes"
    elif route == ("POST", "/v1/models"):
        body = {"filing": env.filing(f"role-file-{n}", "1")}
    elif route == ("POST", "/v1/models/{name}/{version}/audits"):
        body = {"data_upload_id": upload_id}
    elif route == ("POST", "/v1/models/{name}/{version}/decisions"):
        body = {"action": "suspend", "rationale": "checking every role of the API"}
    elif route == ("POST", "/v1/tokens"):
        body = {"role": "public", "expires_days": 1}
    elif route == ("POST", "/v1/observations"):
        body = {
            "model": "vendor-a-model",
            "version": "1",
            "prediction": [1, 0],
            "sensitive": {"sex": ["F", "M"]},
        }
    elif route == ("POST", "/v1/policies"):
        body = {"policy": {"name": "role-test", "description": f"v{n}"}}
    elif route == ("PUT", "/v1/models/{name}/{version}/policy"):
        body = {"policy": "city-example", "rationale": "checking every role of the API"}
    elif route == ("POST", "/v1/names/{name}/owner"):
        body = {"vendor": "other", "rationale": "checking every role of the API"}
    elif route == ("POST", "/v1/webhooks"):
        body = {"url": "http://127.0.0.1:9/h", "model": "none"}
    elif route == ("GET", "/v1/ledger"):
        params = {"limit": 5}
    return {"method": method, "url": url, "params": params, "json": body, "content": content}


def _snapshot(env) -> tuple[Any, ...]:
    tables = (
        "model_versions",
        "audits",
        "decisions",
        "ledger_events",
        "service_tokens",
        "observation_batches",
        "policies",
        "policy_assignments",
        "votes",
        "webhooks",
        "webhook_deliveries",
    )
    with env.registry.engine.connect() as conn:
        counts = tuple(
            conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables
        )
        head = conn.execute(sa.text("SELECT max(id) FROM ledger_events")).scalar_one()
        states = tuple(conn.execute(sa.text("SELECT name, state FROM model_versions")).all())
        revoked = conn.execute(
            sa.text("SELECT count(*) FROM service_tokens WHERE revoked_at IS NOT NULL")
        ).scalar_one()
    files = tuple(  # logs and the web font, built in the background at start, change anyway
        sorted(
            str(p)
            for p in env.server.home.rglob("*")
            if "server-" not in p.name and "web-cache" not in p.parts
        )
    )
    return counts, head, states, revoked, files


def _call(env, tokens, caller: str, spec: dict[str, Any]) -> httpx.Response:
    headers = {} if caller == "none" else {"Authorization": f"Bearer {tokens[caller]}"}
    if spec["url"] == "/v1/status/stream":
        with httpx.stream("GET", f"{env.url}{spec['url']}", headers=headers, timeout=30) as r:
            if r.status_code != 200:  # an error body is short
                r.read()
                return r
            first = next(r.iter_lines())  # the stream never ends: read its first line only
            return httpx.Response(200, text=first)
    return httpx.request(
        spec["method"],
        f"{env.url}{spec['url']}",
        params=spec["params"],
        json=spec["json"],
        content=spec["content"],
        headers=headers,
        timeout=60,
    )


def test_every_route_with_every_caller(world):
    env, tokens, upload_id = world
    store = TokenStore(env.registry.engine)
    paths = httpx.get(f"{env.url}/openapi.json").json()["paths"]
    routes = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert routes == set(EXPECT), ("classify these routes:", routes ^ set(EXPECT))
    checked = 0
    for route in sorted(routes):
        allowed, statuses = EXPECT[route]
        for caller in CALLERS:
            spec = _request(env, route, upload_id, store)
            before = _snapshot(env)
            r = _call(env, tokens, caller, spec)
            checked += 1
            where = (route, caller, r.status_code, r.text[:300])
            if caller in allowed or caller == "admin":
                assert r.status_code in statuses, where
                continue
            if caller in ("none", "malformed", "revoked", "expired"):
                assert r.status_code == 401, where
                assert r.json()["error"] == "unauthenticated", where
            else:
                assert r.status_code == 403, where
                assert r.json()["error"] == "forbidden", where
                if caller == "other" and "acme" in allowed:
                    assert "another vendor" in r.json()["message"], where
                else:
                    assert "admin" in r.json()["details"]["allowed"], where
            assert _snapshot(env) == before, where
    assert checked == len(EXPECT) * len(CALLERS)
