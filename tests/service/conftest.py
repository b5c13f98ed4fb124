"""Fixtures for the service tests: a real ``fairgate serve`` subprocess on a free 127.0.0.1 port.

The test process and the server share one SQLite file under a temporary ``FAIRGATE_HOME``; the
test creates tokens and records audits directly with the registry (as the CLI and the audit
runner would), and talks to the server over HTTP only.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

POLICY_YAML = """\
name: service-test
breaker:
  - id: live_dp
    metric: selection_rate
    kind: difference
    threshold: 0.15
    attributes: [sex]
    window: {kind: sliding, size: 2000}
    min_samples: 100
    alpha: 0.001
  - id: live_tpr
    metric: true_positive_rate
    kind: difference
    threshold: 0.2
    attributes: [sex]
    window: {kind: tumbling, size: 5000}
    min_samples: 100
    alpha: 0.001
drift:
  - id: sex_drift
    attribute: sex
    psi_threshold: 0.25
    window: {kind: sliding, size: 2000}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A ``fairgate serve`` subprocess."""

    home: Path
    policy: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            "FAIRGATE_HOME": str(self.home),
            "FAIRGATE_BREAKER_POLICY": str(self.policy),
            "FAIRGATE_MAX_BODY_BYTES": str(8 * 1024**2),
            "FAIRGATE_MAX_UPLOAD_BYTES": str(1024**2),
        }
        env.pop("FAIRGATE_DATABASE_URL", None)
        self.log = self.home / f"server-{time.time_ns()}.log"
        cmd = [
            sys.executable,
            "-c",
            "from fairgate.cli import main; main()",
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Env:
    """A running server plus the registry and tokens of its database."""

    server: Server
    registry: Any
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers(who), timeout=30)

    def filing(self, name: str, version: str) -> dict[str, Any]:
        return filing(name, version)

    def upload(self, who: str, path: Path) -> dict[str, Any]:
        """Upload a file as ``who`` (POST /v1/artifacts with its SHA-256); the answer's JSON."""
        raw = path.read_bytes()
        with self.client(who) as c:
            r = c.post(
                "/v1/artifacts",
                params={"filename": path.name},
                content=raw,
                headers={
                    "Content-Type": "application/octet-stream",
                    "X-Content-SHA256": hashlib.sha256(raw).hexdigest(),
                },
            )
        assert r.status_code == 201, r.text
        return r.json()

    def record_audit(self, name: str, version: str) -> None:
        record_passing_audit(self, name, version)

    def activate(self, name: str, version: str, vendor: str = "acme") -> None:
        activate(self, name, version, vendor)


def filing(name: str, version: str) -> dict[str, Any]:
    """A valid filing: the packaged example under another name and version."""
    import yaml

    from fairgate.registry.store.filing import example_filing_path

    body = yaml.safe_load(example_filing_path().read_text(encoding="utf-8"))
    body.update(name=name, version=version, sensitive_variables=["sex"], policy=None)
    return body


def make_env(home: Path) -> Env:
    from fairgate.registry.api.auth import TokenStore
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    home.mkdir(parents=True, exist_ok=True)
    policy = home / "policy.yaml"
    policy.write_text(POLICY_YAML)
    settings = Settings(home=home)
    settings.ensure_home()
    registry = Registry(settings)
    store = TokenStore(registry.engine)
    tokens = {
        "admin": store.create("admin")[0],
        "committee": store.create("committee")[0],
        "operations": store.create("operations")[0],
        "acme": store.create("vendor", vendor="acme")[0],
        "other": store.create("vendor", vendor="other")[0],
        "public": store.create("public")[0],
    }
    server = Server(home=home, policy=policy)
    server.start()
    return Env(server, registry, tokens)


def record_passing_audit(env: Env, name: str, version: str) -> None:
    """Record an audit the way the audit runner does."""
    report = env.server.home / "reports" / f"{name}-{version}-{time.time_ns()}.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("<html><body><h1>Audit report</h1></body></html>")
    env.registry.record_audit(
        name,
        version,
        artifact_sha256=None,
        passed=True,
        verdict="pass",
        result={"summary": "no violations"},
        report_path=str(report),
        actor="audit-runner",
    )


def activate(env: Env, name: str, version: str, vendor: str = "acme") -> None:
    """File (as the vendor), audit, and approve (as the committee) a model version."""
    with env.client(vendor) as c:
        r = c.post("/v1/models", json={"filing": filing(name, version)})
        assert r.status_code == 201, r.text
    record_passing_audit(env, name, version)
    with env.client("committee") as c:
        r = c.post(
            f"/v1/models/{name}/{version}/decisions",
            json={"action": "approve", "rationale": "audit passed"},
        )
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """One server per test module."""
    e = make_env(tmp_path_factory.mktemp("svc"))
    yield e
    e.server.stop()


@pytest.fixture
def fresh_env(tmp_path: Path):
    """A server of one's own (for tests that kill it)."""
    e = make_env(tmp_path / "home")
    yield e
    e.server.stop()
