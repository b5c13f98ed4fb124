"""A small HTTP/1.1 keep-alive load generator (asyncio, raw sockets), run as its own process.

``python benchmarks/loadgen.py --url http://127.0.0.1:8000/v1/status/m/1 --concurrency 64
--duration 10 [--header 'Authorization: Bearer ...'] [--rate-per-client R]``

Each of ``concurrency`` clients keeps one connection open and sends GET requests one after the
other (closed loop), or at a fixed rate per client with ``--rate-per-client`` (open loop, so the
latency shows service time rather than queueing). It prints one JSON line: requests, errors,
seconds, requests per second and latency percentiles in milliseconds. Bounded by
``--duration`` and ``--max-requests``; connects only to the host in ``--url``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from urllib.parse import urlsplit

import numpy as np


async def _client(
    host: str,
    port: int,
    request: bytes,
    deadline: float,
    budget: list[int],
    latencies: list[float],
    errors: list[int],
    interval: float | None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    # random phase, so paced clients do not fire in lock-step bursts
    next_at = time.perf_counter() + (random.uniform(0, interval) if interval else 0.0)
    try:
        while budget[0] > 0:
            now = time.perf_counter()
            if now >= deadline:
                break
            if interval is not None:
                if next_at > now:
                    await asyncio.sleep(next_at - now)
                next_at += interval
            budget[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            status = int(head[9:12])
            if status not in (200, 304):
                errors[0] += 1
    except (ConnectionError, asyncio.IncompleteReadError):
        errors[0] += 1
    finally:
        writer.close()


async def run(
    url: str,
    concurrency: int,
    duration: float,
    headers: list[str],
    max_requests: int,
    rate_per_client: float | None,
    warmup: float,
) -> dict[str, float]:
    """Run the load and return the figures."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *headers, "", ""]
    request = "\r\n".join(lines).encode()
    interval = None if not rate_per_client else 1.0 / rate_per_client
    if warmup > 0:
        sink: list[float] = []
        end = time.perf_counter() + warmup
        await asyncio.gather(
            *(
                _client(host, port, request, end, [max_requests], sink, [0], interval)
                for _ in range(concurrency)
            )
        )
    latencies: list[float] = []
    errors = [0]
    budget = [max_requests]
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.gather(
        *(
            _client(host, port, request, deadline, budget, latencies, errors, interval)
            for _ in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - start
    lat = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "seconds": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 3) if lat.size else float("nan"),
        "p90_ms": round(float(np.percentile(lat, 90)), 3) if lat.size else float("nan"),
        "p99_ms": round(float(np.percentile(lat, 99)), 3) if lat.size else float("nan"),
        "max_ms": round(float(lat.max()), 3) if lat.size else float("nan"),
    }


def main() -> None:
    """Parse arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--max-requests", type=int, default=5_000_000)
    parser.add_argument("--rate-per-client", type=float, default=None)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("loadgen only targets 127.0.0.1")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(
        run(
            args.url,
            args.concurrency,
            args.duration,
            args.header,
            args.max_requests,
            args.rate_per_client,
            args.warmup,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
