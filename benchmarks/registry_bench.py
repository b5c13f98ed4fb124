"""Registry benchmark: filings per second against MLflow's model registry, and ledger verification.

Both registries use a SQLite file on the same machine in the same run. fairgate files a model
version with a real skops model (filing validation, the artifact inspected in the sandboxed worker
process: its real inputs must equal the declared features; content-addressed artifact, row and
hash-chained ledger event in one transaction); MLflow registers a model and a model version.
Then 100,000 ledger events are verified.

    python benchmarks/registry_bench.py --filings 200 --events 100000 --write
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import parse, write_section
from timing import timed


def _artifact(path: Path) -> Path:
    """A real model (the demo's, on the Toronto arrests data) saved with skops at ``path``."""
    import skops.io as sio

    from fairgate.demo.data import FEATURES, arrests_model, load_arrests_frame

    sio.dump(arrests_model(load_arrests_frame(0).train, 0, features=FEATURES), path)
    return path


def _filings(tmp: Path, n: int) -> tuple[float, float]:
    from fairgate.demo.data import FEATURES
    from fairgate.registry.store import Registry
    from fairgate.registry.store.filing import example_filing_path
    from fairgate.settings import Settings

    base = yaml.safe_load(example_filing_path().read_text(encoding="utf-8"))
    reg = Registry(Settings(home=tmp / "fg"))
    artifact = _artifact(tmp / "model.skops")
    base["features"] = [f for f in base["features"] if f["name"] in FEATURES]
    with timed() as t:
        for i in range(n):
            reg.file({**base, "name": f"m{i}"}, artifact, actor="bench")
    return n / t.wall, t.cpu


def _mlflow(tmp: Path, n: int) -> tuple[float, float]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp / 'mlflow.db'}")
    source = tmp / "mlmodel"
    source.mkdir()
    client.create_registered_model("warmup")
    with timed() as t:
        for i in range(n):
            client.create_registered_model(f"m{i}")
            client.create_model_version(f"m{i}", source=source.as_uri())
    return n / t.wall, t.cpu


def _ledger(tmp: Path, events: int) -> tuple[float, float]:
    from fairgate.registry.store import Registry, ledger
    from fairgate.settings import Settings

    reg = Registry(Settings(home=tmp / "ledger"))
    start = time.perf_counter()
    done = 0
    while done < events:
        with reg.engine.begin() as conn:
            for _ in range(min(5000, events - done)):
                ledger.append(
                    conn, "file", actor="bench", name="m", version=str(done), payload={"i": done}
                )
                done += 1
    append_rate = events / (time.perf_counter() - start)
    start = time.perf_counter()
    result = reg.verify_ledger()
    elapsed = time.perf_counter() - start
    assert result.ok and result.count == events
    return append_rate, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filings", type=int, default=200)
    parser.add_argument("--events", type=int, default=100_000)
    args, start_load = parse(parser)
    with tempfile.TemporaryDirectory(prefix="fairgate-registry-bench-") as tmp:
        tmp_path = Path(tmp)
        fg, fg_cpu = _filings(tmp_path, args.filings)
        ml, ml_cpu = _mlflow(tmp_path, args.filings)
        append_rate, verify_s = _ledger(tmp_path, args.events)
    lines = [
        f"Command: `python benchmarks/registry_bench.py --filings {args.filings} --events "
        f"{args.events} --write` (2 cores, SQLite files, same run; {start_load} at the start).",
        "",
        "| measure | fairgate | MLflow model registry | fairgate / MLflow |",
        "|---|---:|---:|---:|",
        f"| filings per second (fairgate: validate the filing, inspect the artifact in the "
        f"sandbox, store it, row + ledger event; MLflow: register model + version) | {fg:,.2f} | "
        f"{ml:,.1f} | {fg / ml:.3f}x |",
        f"| CPU seconds for those {args.filings} filings (with the sandbox processes) | "
        f"{fg_cpu:.2f} s | {ml_cpu:.2f} s | {fg_cpu / ml_cpu:.1f}x |",
        f"| ledger: append {args.events:,} events (bulk transactions) | {append_rate:,.0f}/s | | |",
        f"| ledger: verify {args.events:,} events | {verify_s:.2f} s "
        f"({args.events / verify_s:,.0f}/s) | no equivalent | |",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("## Registry (`benchmarks/registry_bench.py`)", text)


if __name__ == "__main__":
    main()
