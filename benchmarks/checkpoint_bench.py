"""Checkpoint and quorum benchmark: what a signed checkpoint and a vote cost.

On one SQLite file: a ledger of ``--events`` events; a signed checkpoint made (Ed25519) and
verified against the ledger, next to ``fairgate ledger verify --anchor`` (the chain walk with an
exported head, what a user ran before checkpoints existed); then ``--decisions`` approvals with a
quorum of 1 (one member decides) against a quorum of 2 (a ``vote``, then the deciding vote).

    python benchmarks/checkpoint_bench.py --events 100000 --decisions 200
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from timing import load_line, timed


def _ledger(reg, n: int) -> None:
    from fairgate.registry.store import ledger

    done = len(reg.events())
    while done < n:
        with reg.engine.begin() as conn:
            for i in range(done, min(n, done + 5000)):
                ledger.append(conn, "bench", actor="bench", payload={"i": i, "pad": "x" * 64})
        done = min(n, done + 5000)


def _approvals(home: Path, n: int, quorum: int) -> float:
    """Seconds per approval decided (all of its votes), median of ``n``."""
    import yaml

    from fairgate.registry.store import Registry
    from fairgate.registry.store.filing import example_filing_path
    from fairgate.settings import Settings

    base = yaml.safe_load(example_filing_path().read_text(encoding="utf-8"))
    reg = Registry(Settings(home=home, quorum=quorum))
    times = []
    for i in range(n):
        name = f"q{quorum}-{i}"
        reg.file({**base, "name": name, "version": "1"}, None, actor="bench")
        reg.record_audit(
            name, "1", artifact_sha256=None, passed=True, verdict="pass", result={},
            report_path=None, actor="bench",
        )  # fmt: skip
        start = time.perf_counter()
        for member in range(quorum):
            reg.decide(name, "1", "approve", rationale="the audit passed", actor=f"m{member}")
        times.append(time.perf_counter() - start)
        assert reg.get(name, "1").state == "ACTIVE"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args()

    from fairgate.registry.store import Registry
    from fairgate.registry.store.checkpoints import load_key, make_checkpoint, verify_checkpoint
    from fairgate.registry.store.ledger import verify
    from fairgate.settings import Settings

    print(load_line())
    with tempfile.TemporaryDirectory() as tmp:
        reg = Registry(Settings(home=Path(tmp) / "ledger"))
        _ledger(reg, args.events)
        key = load_key(Path(tmp) / "key.pem")
        with timed() as made:
            for _ in range(100):
                held = make_checkpoint(reg.engine, key)
        print(f"make a signed checkpoint: {made.wall * 10:.3f} ms each ({made} for 100)")
        with timed() as anchored:
            plain = verify(reg.engine, anchor={"id": held.ledger_length, "hash": held.head_hash})
        with timed() as checked:
            result = verify_checkpoint(reg.engine, held, key.public_raw)
        assert plain.ok and result.ok
        print(f"ledger verify --anchor, {args.events:,} events: {anchored}")
        print(f"ledger verify --checkpoint, {args.events:,} events: {checked}")
        print(f"ratio checkpoint / anchor (wall): {checked.wall / anchored.wall:.2f}")
        one = _approvals(Path(tmp) / "q1", args.decisions, 1)
        two = _approvals(Path(tmp) / "q2", args.decisions, 2)
        print(f"approval, quorum 1: {one * 1000:.2f} ms median; quorum 2 (two votes): "
              f"{two * 1000:.2f} ms median; ratio {two / one:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
