"""Servers a benchmark starts: a free port, waiting for an answer, their CPU, stopping them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["free_port", "serve_fairgate", "stop", "tree_cpu", "wait_http"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Wait until ``url`` answers 200; fail when ``proc`` exits or ``timeout`` seconds pass.

    Parameters
    ----------
    url : str
        The address to ask, e.g. the server's ``/ready``.
    proc : subprocess.Popen
        The server process.
    timeout : float
        Seconds to wait at most.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its children.

    Parameters
    ----------
    pid : int
        The root process.

    Returns
    -------
    float
    """
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += sum(proc.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return total


def stop(proc: subprocess.Popen[bytes], group: bool = False) -> None:
    """Stop a server: SIGTERM, then SIGKILL after 15 s (to its process group with ``group``).

    Parameters
    ----------
    proc : subprocess.Popen
        The server process.
    group : bool
        Signal the whole process group (the server was started in a new session).
    """
    if proc.poll() is None:
        if group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()


def serve_fairgate(
    env: dict[str, str], log: Path, workers: int = 1, group: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``fairgate serve`` on a free port; return once ``/ready`` answers.

    Parameters
    ----------
    env : dict
        The server's environment (``FAIRGATE_HOME`` and the rest of its settings).
    log : Path
        Where its output goes.
    workers : int
        Its worker processes.
    group : bool
        Start it in a new session (a process group of its own, for ``stop(proc, group=True)``).

    Returns
    -------
    tuple of (subprocess.Popen, str)
        The server (stop it with ``stop(proc, group=group)``) and its base URL.
    """
    port = free_port()
    cmd = [sys.executable, "-c", "from fairgate.cli import main; main()", "serve"]
    cmd += ["--port", str(port), "--log-level", "warning", "--workers", str(workers)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=group
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/ready", proc)
    except BaseException:
        stop(proc, group=group)
        raise
    return proc, url
