"""Roles, tokens and the REST API against a real server."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys

import httpx
import sqlalchemy as sa

from fairgate.registry.api.app import PUBLIC_PATHS, create_app
from fairgate.registry.api.auth import TokenStore, tokens_table
from fairgate.settings import Settings
from tests.fixtures.service import expired_token


def test_public_listing_needs_no_token(env):
    env.activate("public-demo", "1")
    r = httpx.get(f"{env.url}/v1/public/models")
    assert r.status_code == 200
    rows = [m for m in r.json()["models"] if m["name"] == "public-demo"]
    assert rows and set(rows[0]) >= {"name", "purpose", "department", "state"}
    assert rows[0]["state"] == "ACTIVE"
    assert "filing" not in rows[0] and "vendor" not in rows[0]


def test_every_non_public_route_rejects_a_missing_token(env):
    app = create_app(Settings(home=env.server.home), registry=env.registry)
    paths = app.openapi()["paths"]  # every route the app serves, with its methods
    checked = 0
    for route, operations in paths.items():
        if route in PUBLIC_PATHS:
            continue
        path = re.sub(r"\{[^}]+\}", "x", route)
        for method in operations:
            r = httpx.request(method.upper(), f"{env.url}{path}", timeout=10)
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            body = r.json()
            assert body["error"] == "unauthenticated" and "token" in body["message"]
            checked += 1
    assert checked >= 15
    # the public ones answer without a token
    for route in ("/v1/public/models", "/health", "/ready", "/docs", "/openapi.json"):
        assert httpx.get(f"{env.url}{route}").status_code == 200


def test_wrong_expired_and_revoked_tokens_get_401(env):
    store = TokenStore(env.registry.engine)
    token, info = store.create("operations", label="short-lived")
    url = f"{env.url}/v1/status/public-demo/1"
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code in (200, 404)
    for bad in ("nonsense", "Bearer fg_nope", f"Bearer {token}x", f"Basic {token}"):
        r = httpx.get(url, headers={"Authorization": bad})
        assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
        assert "Traceback" not in r.text
    r = httpx.delete(f"{env.url}/v1/tokens/{info.id}", headers=env.headers("admin"))
    assert r.status_code == 200
    expired = expired_token(env, "operations")
    # a fresh token id is not in the server's cache, so both take effect at once
    r = httpx.get(url, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["message"]


def test_revocation_through_the_api_is_immediate(env):
    r = httpx.post(
        f"{env.url}/v1/tokens", json={"role": "operations"}, headers=env.headers("admin")
    )
    assert r.status_code == 201
    token, token_id = r.json()["token"], r.json()["id"]
    h = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{env.url}/v1/status/public-demo/1", headers=h).status_code == 200
    httpx.delete(f"{env.url}/v1/tokens/{token_id}", headers=env.headers("admin"))
    r = httpx.get(f"{env.url}/v1/status/public-demo/1", headers=h)
    assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_tokens_are_not_stored_in_clear(env):
    if env.server.database_url is None:  # the SQLite file and its journal, byte for byte
        raw = (env.server.home / "fairgate.db").read_bytes()
        for wal in env.server.home.glob("fairgate.db-wal"):
            raw += wal.read_bytes()
    else:  # PostgreSQL: every stored value of the tokens table
        with env.registry.engine.connect() as conn:
            raw = repr(conn.execute(sa.select(tokens_table)).all()).encode()
    for token in env.tokens.values():
        secret = token.split("_", 2)[2]
        assert secret.encode() not in raw
        assert hashlib.sha256(token.encode()).hexdigest().encode() not in raw
    with env.registry.engine.connect() as conn:
        rows = conn.execute(sa.select(tokens_table)).mappings().all()
    assert rows and all(len(r["hash"]) == 64 and r["salt"] for r in rows)


def test_cli_prints_a_token_once(env):
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from fairgate.cli import main; main()",
            "token",
            "create",
            "--role",
            "committee",
            "--label",
            "cli",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "FAIRGATE_HOME": str(env.server.home)},
        check=True,
    )
    token = out.stdout.strip()
    assert token.startswith("fg_") and "not shown again" in out.stderr
    r = httpx.get(f"{env.url}/v1/ledger", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    listed = subprocess.run(
        [sys.executable, "-c", "from fairgate.cli import main; main()", "token", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "FAIRGATE_HOME": str(env.server.home)},
        check=True,
    ).stdout
    assert token.split("_")[1] in listed and token.split("_", 2)[2] not in listed


def test_vendor_sees_only_its_own_filings(env):
    env.activate("acme-model", "1", vendor="acme")
    with env.client("other") as c:
        r = c.get("/v1/models/acme-model/1")
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        assert c.get("/v1/models/acme-model/1/audits").status_code == 403
        assert c.get("/v1/models/acme-model/1/report").status_code == 403
        names = [m["name"] for m in c.get("/v1/models").json()["models"]]
        assert "acme-model" not in names
    with env.client("acme") as c:
        r = c.get("/v1/models/acme-model/1")
        assert r.status_code == 200
        assert "acme-model" in [m["name"] for m in c.get("/v1/models").json()["models"]]
        audits = c.get("/v1/models/acme-model/1/audits").json()["audits"]
        assert len(audits) == 1
        report = c.get("/v1/models/acme-model/1/report")
        assert report.status_code == 200 and "Audit report" in report.text
        # a vendor may not decide
        r = c.post(
            "/v1/models/acme-model/1/decisions",
            json={"action": "withdraw", "rationale": "x"},
        )
        assert r.status_code == 403


def test_roles_are_checked(env):
    with env.client("operations") as c:
        assert c.get("/v1/models").status_code == 403
        assert c.get("/v1/ledger").status_code == 403
        assert c.post("/v1/tokens", json={"role": "admin"}).status_code == 403
    with env.client("public") as c:
        assert c.get("/v1/status/acme-model/1").status_code == 403
    with env.client("committee") as c:
        assert c.get("/v1/status/acme-model/1").status_code == 200
        assert c.get("/v1/ledger").status_code == 200
        assert c.post("/v1/models", json={"filing": env.filing("x", "1")}).status_code == 403


def test_status_etag_and_304(env):
    with env.client("operations") as c:
        r = c.get("/v1/status/acme-model/1")
        assert r.status_code == 200
        body = r.json()
        assert body["may_serve"] is True and body["decision"] == "serve"
        assert body["state"] == "ACTIVE" and body["reason"]
        etag = r.headers["etag"]
        assert c.get("/v1/status/acme-model/1", headers={"If-None-Match": etag}).status_code == 304
        r = c.get("/v1/status/nope/1")
        assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_error_bodies_are_json_without_traces(env):
    with env.client("committee") as c:
        r = c.post("/v1/models/acme-model/1/decisions", json={"action": "explode"})
        assert r.status_code == 422 and r.json()["error"] == "validation_error"
        r = c.post("/v1/models/acme-model/1/decisions", content=b"{not json")
        assert r.status_code == 422
        r = c.get("/v1/does-not-exist")
        assert r.status_code == 404 and r.json()["error"] == "not_found"
        # approving an ACTIVE model is an illegal transition
        r = c.post(
            "/v1/models/acme-model/1/decisions",
            json={"action": "approve", "rationale": "approve it once more"},
        )
        assert r.status_code == 409
        for resp in (r,):
            assert "Traceback" not in resp.text


def test_artifact_upload_is_streamed_hashed_and_limited(env):
    data = b"\x00model-bytes" * 1000
    sha = hashlib.sha256(data).hexdigest()
    with env.client("acme") as c:
        r = c.post(
            "/v1/artifacts",
            params={"filename": "model.onnx"},
            content=data,
            headers={"X-Content-SHA256": sha},
        )
        assert r.status_code == 201, r.text
        assert r.json()["sha256"] == sha and r.json()["size"] == len(data)
        r = c.post(
            "/v1/artifacts",
            params={"filename": "model.onnx"},
            content=data,
            headers={"X-Content-SHA256": "0" * 64},
        )
        assert r.status_code == 409 and r.json()["error"] == "artifact_integrity"
        big = b"x" * (1024**2 + 10)
        r = c.post("/v1/artifacts", params={"filename": "big.onnx"}, content=big)
        assert r.status_code == 413
        r = c.post("/v1/artifacts", params={"filename": "../evil"}, content=data)
        assert r.status_code == 422
    uploads = env.server.home / "artifacts" / "uploads"
    assert len([p for p in uploads.iterdir() if p.is_dir()]) == 1


def test_start_audit_is_for_the_committee(env):
    body = {"data_upload_id": "0123456789abcdef"}
    with env.client("acme") as c:
        assert c.post("/v1/models/acme-model/1/audits", json=body).status_code == 403
    with env.client("committee") as c:
        assert c.post("/v1/models/acme-model/1/audits").status_code == 422  # no data named
        r = c.post("/v1/models/acme-model/1/audits", json=body)
        # filed without an artifact: nothing to audit (501 where no runner is installed)
        assert r.status_code in (409, 501), r.text
        assert c.post("/v1/models/nope/1/audits", json=body).status_code == 404
        report = c.get("/v1/models/acme-model/1/report")
        assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
