"""A webhook receiver on 127.0.0.1 running the README's Python receiver (verify, then dedup)."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"

__all__ = ["Receiver", "readme_receiver", "wait_for"]


def readme_receiver() -> dict[str, Any]:
    """The namespace of the README's receiver example (``verify``, ``handle``, ``seen``)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Webhooks for operations") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the README of this checkout
    return namespace


class Receiver:
    """An http.server in a thread that answers with the README's ``handle``.

    Each POST is recorded in :attr:`posts` (``webhook-id``, ``event_id``, whether the README's
    ``verify`` accepted it, the answer); the first ``fail_first`` posts are answered 503 before
    handling; with ``redirect`` every post is answered 307. Bodies handled once (not duplicates)
    are in :attr:`received`, in arrival order.
    """

    def __init__(self, fail_first: int = 0, redirect: bool = False) -> None:
        self.code = readme_receiver()
        self.received: list[dict] = []
        self.code["act_on"] = self.received.append
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.answer(self, body, fail_first, redirect)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, handler: Any, body: bytes, fail_first: int, redirect: bool) -> None:
        try:
            self.code["verify"](self.code["SECRET"], handler.headers, body)
            verified = True
        except (KeyError, ValueError):
            verified = False
        if redirect:
            status = 307
        elif len(self.posts) < fail_first:
            status = 503
        else:
            status = self.code["handle"](handler.headers, body)
        self.posts.append(
            {
                "id": handler.headers["webhook-id"],
                "timestamp": handler.headers["webhook-timestamp"],
                "event_id": json.loads(body)["event_id"],
                "verified": verified,
                "status": status,
            }
        )
        handler.send_response(status)
        if redirect:
            handler.send_header("Location", "http://127.0.0.1:9/elsewhere")
        handler.end_headers()

    @property
    def secret(self) -> str:
        return self.code["SECRET"]

    @secret.setter
    def secret(self, value: str) -> None:
        self.code["SECRET"] = value

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
