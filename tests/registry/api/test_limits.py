"""Every input bounded: body size, JSON depth, numeric ranges, names; no server paths; 0600/0700."""

from __future__ import annotations

import json
import socket
import stat

import httpx
import pytest

from fairgate.registry.api.limits import MAX_JSON_DEPTH, json_depth

LIMIT = 8 * 1024**2  # FAIRGATE_MAX_BODY_BYTES of the test server (conftest)


def _raw_post(env, path: str, head_only_bytes: bytes, announced: int, token: str) -> bytes:
    """Announce ``announced`` bytes, send only a few, and read the answer."""
    with socket.create_connection(("127.0.0.1", env.server.port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {announced}\r\n\r\n"
            ).encode()
            + head_only_bytes
        )
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"}" in chunk:
                break
        return b"".join(chunks)


def test_a_20_mib_filing_is_refused_before_it_is_read(env):
    answer = _raw_post(
        env, "/v1/models", b'{"filing": {"name": "', 20 * 1024**2, env.tokens["acme"]
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    assert json.loads(body)["error"] == "payload_too_large"
    assert str(LIMIT).encode() in body


def test_chunked_bodies_over_the_limit_are_refused_on_every_json_route(env):
    def chunks():
        piece = b" " * (1024 * 1024)
        for _ in range(9):
            yield piece

    for path in ("/v1/models", "/v1/observations", "/v1/tokens", "/v1/policies"):
        who = {"/v1/observations": "operations", "/v1/tokens": "admin"}.get(path, "committee")
        who = "acme" if path == "/v1/models" else who
        r = httpx.post(f"{env.url}{path}", content=chunks(), headers=env.headers(who), timeout=60)
        assert r.status_code == 413, (path, r.status_code, r.text[:200])


@pytest.mark.parametrize(
    ("path", "who"),
    [("/v1/observations", "operations"), ("/v1/models", "acme"), ("/v1/policies", "committee")],
)
def test_deeply_nested_json_is_a_422_not_a_recursion_error(env, path, who):
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = b'{"model": "m", "version": "1", "x": ' + b"[" * depth + b"]" * depth + b"}"
        r = httpx.post(f"{env.url}{path}", content=body, headers=env.headers(who), timeout=30)
        assert r.status_code == 422, (path, depth, r.status_code, r.text[:200])
        assert "nested" in r.json()["message"]
    # brackets inside strings do not count
    assert json_depth(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1


def test_numeric_fields_out_of_range_are_422(env):
    with env.client("admin") as c:
        for days in (1e9, 0, -1, 1e400):
            r = c.post(
                "/v1/tokens",
                content=json.dumps({"role": "operations", "expires_days": days}),
                headers={"Content-Type": "application/json"},
            )
            assert r.status_code == 422, (days, r.text)
    with env.client("committee") as c:
        for after in (2**63, 10**30, -1):
            r = c.get("/v1/ledger", params={"after_id": after})
            assert r.status_code == 422, (after, r.text)
        assert c.get("/v1/ledger", params={"limit": 10**9}).status_code == 422
    env.activate("ranged", "1")
    with env.client("operations") as c:
        for ts in ("1e400", "-1e400", "-5", "1e13"):
            body = (
                '{"model": "ranged", "version": "1", "prediction": [1], '
                f'"sensitive": {{"sex": ["F"]}}, "ts": [{ts}]}}'
            )
            r = c.post("/v1/observations", content=body)
            assert r.status_code == 422, (ts, r.text)
            assert "ts" in r.json()["message"]


def test_a_nul_byte_or_a_folder_in_a_filename_is_422(env):
    with env.client("acme") as c:
        for name in ("model\x00.skops", "../model.skops", "a/b.skops", ".hidden", "x" * 300):
            r = c.post("/v1/artifacts", params={"filename": name}, content=b"bytes")
            assert r.status_code == 422, (repr(name), r.status_code, r.text)
            assert "filename" in r.text


def test_forbidden_answers_name_the_allowed_roles(env):
    with env.client("committee") as c:
        r = c.get("/v1/tokens")
    assert r.status_code == 403
    assert r.json()["details"]["allowed"] == ["admin"]
    assert "admin" in r.json()["message"] and "one of: ." not in r.json()["message"]
    with env.client("public") as c:
        r = c.get("/v1/ledger")
    assert r.status_code == 403 and set(r.json()["details"]["allowed"]) == {"committee", "admin"}


def test_no_server_path_in_any_answer(env):
    home = str(env.server.home)
    with env.client("acme") as c:
        up = c.post("/v1/artifacts", params={"filename": "model.onnx"}, content=b"not a model")
        assert up.status_code == 201 and home not in up.text
    env.activate("pathless", "1")
    texts = [up.text]
    with env.client("committee") as c:
        for path in (
            "/v1/models",
            "/v1/models/pathless/1",
            "/v1/models/pathless/1/audits",
            "/v1/ledger?limit=1000",
            "/v1/models/pathless/1/policy",
            "/v1/models/nope/1",
            "/v1/models/pathless/1/report?audit_id=999999",
        ):
            r = c.get(path)
            assert r.status_code < 500, (path, r.text)
            texts.append(r.text)
    for text in texts:
        assert home not in text
        assert "artifact_path" not in text and "report_path" not in text


def test_the_state_folder_is_private(env):
    home = env.server.home
    if env.registry.engine.dialect.name == "sqlite":  # PostgreSQL keeps its own files
        assert stat.S_IMODE((home / "fairgate.db").stat().st_mode) == 0o600
    for folder in (home, home / "artifacts", home / "reports"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    with env.client("acme") as c:
        up = c.post("/v1/artifacts", params={"filename": "model.skops"}, content=b"abc")
    folder = home / "artifacts" / "uploads" / up.json()["upload_id"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "model.skops").stat().st_mode) == 0o600
