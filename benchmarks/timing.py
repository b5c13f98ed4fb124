"""Shared by the benchmarks: the load average at the start, and CPU time next to wall time.

A figure taken on a busy machine can move several-fold; printing the load average and the CPU
time of the measured side (this process plus the child processes it waited for) shows how busy
it was and how much work the measured side itself did.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Timing", "load_line", "timed"]


def load_line() -> str:
    """``load average 1/5/15 min: a, b, c on N cores`` (call at the start of a run)."""
    one, five, fifteen = os.getloadavg()
    return (
        f"load average 1/5/15 min: {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
    )


@dataclass
class Timing:
    """Wall time and CPU time (user + system, this process and its waited-for children)."""

    wall: float = 0.0
    cpu: float = 0.0

    def __str__(self) -> str:
        return f"{self.wall:.3f} s wall, {self.cpu:.3f} s CPU"


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@contextlib.contextmanager
def timed() -> Iterator[Timing]:
    """Measure the block: ``with timed() as t: ...; t.wall, t.cpu``."""
    out = Timing()
    wall, cpu = time.perf_counter(), _cpu()
    try:
        yield out
    finally:
        out.wall = time.perf_counter() - wall
        out.cpu = _cpu() - cpu
