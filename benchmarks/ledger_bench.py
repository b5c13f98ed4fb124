"""Ledger appends per second with 8 concurrent writer processes, on SQLite and PostgreSQL.

Each writer files model versions and suspends them (two ledger events each, every one in its own
write transaction that also changes the registry's rows), all at once; the ledger must verify at
the end and no writer may fail. PostgreSQL runs on a throwaway server started here (Debian's
binaries, durability settings as in the tests: fsync off), SQLite on a file under a temporary
folder; both are removed at the end.

    python benchmarks/ledger_bench.py --writers 8 --each 40 [--write]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import parse, record  # noqa: E402
from timing import timed  # noqa: E402

from tests.fixtures.writers import file_audited  # noqa: E402


def _writer(url: str, home: str, worker: int, each: int, filing: dict) -> tuple[int, float]:
    import time

    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    cpu = time.process_time()
    reg = Registry(Settings(home=Path(home), database_url=url))
    for i in range(each):
        file_audited(reg, filing, worker, i)
    return 2 * each, time.process_time() - cpu


def run(url: str, home: Path, writers: int, each: int) -> tuple[int, float, float]:
    from fairgate.registry.store import Registry
    from fairgate.registry.store.filing import example_filing_path
    from fairgate.settings import Settings

    filing = yaml.safe_load(example_filing_path().read_text(encoding="utf-8"))
    reg = Registry(Settings(home=home, database_url=url))  # schema first
    ctx = mp.get_context("spawn")
    with ctx.Pool(writers) as pool:
        # start the interpreters before the clock runs
        pool.starmap(_noop, [(w,) for w in range(writers)])
        with timed() as t:
            done = pool.starmap(
                _writer, [(url, str(home), w, each, filing) for w in range(writers)]
            )
    events = sum(e for e, _ in done)
    check = reg.verify_ledger()
    # every write appended its event; the first filing also publishes the built-in policies
    published = sum(e.kind == "policy_publish" for e in reg.events())
    assert check.ok and check.count == events + published, check
    reg.engine.dispose()
    return events, t.wall, sum(c for _, c in done)


def _noop(worker: int) -> int:
    import fairgate.registry.store  # noqa: F401  (imports paid before timing)

    return worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--each", type=int, default=40)
    args, start_load = parse(parser)
    from tests.pg_server import PgServer, find_bin_dir

    rows = []
    work = Path(tempfile.mkdtemp(prefix="fairgate-ledger-bench-"))
    server = None
    try:
        events, wall, cpu = run(
            f"sqlite:///{work / 'l.db'}", work / "sqlite", args.writers, args.each
        )
        rows.append(("SQLite (WAL, BEGIN IMMEDIATE)", events, wall, cpu))
        bin_dir = find_bin_dir()
        if bin_dir is not None:
            server = PgServer(bin_dir).start()
            url = server.create_database("bench")
            events, wall, cpu = run(url, work / "pg", args.writers, args.each)
            rows.append(("PostgreSQL (advisory write lock)", events, wall, cpu))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        f"{args.writers} writer processes, {args.each} filings + {args.each} audits each "
        "(one ledger event per write transaction); the chain verified after each run.",
        "",
        "| database | events | appends/s | wall | CPU (sum of the writers) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, events, wall, cpu in rows:
        lines.append(f"| {label} | {events} | {events / wall:,.0f} | {wall:.2f} s | {cpu:.2f} s |")
    if len(rows) == 2:
        ratio = (rows[1][1] / rows[1][2]) / (rows[0][1] / rows[0][2])
        lines.append("")
        lines.append(f"PostgreSQL / SQLite appends per second: {ratio:.2f}x")
    text = "\n".join(lines)
    print(text)
    if args.write:
        record(
            "## Ledger appends, 8 concurrent writers (`benchmarks/ledger_bench.py`)",
            f"python benchmarks/ledger_bench.py --writers {args.writers} "
            f"--each {args.each} --write",
            start_load,
            text,
        )


if __name__ == "__main__":
    main()
