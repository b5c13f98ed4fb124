"""The counts scale curve: per-group confusion counts from 1M to 100M decisions.

In memory, fairgate's ``group_counts`` (one ``np.bincount``) against a pandas ``groupby`` over the
same columns (what a user would otherwise write); from Parquet, fairgate's DuckDB path
(``counts_from_file``) against fairgate's Spark path (``counts_from_spark``, a local[2] session).
Each case runs in a fresh process, which reports its wall and CPU time and its peak resident
memory above the interpreter with its imports and data loaded (in memory) or before the query
(files). The Parquet file is written to a temporary folder that is removed at the end.

    python benchmarks/counts_scale_bench.py --memory 1000000,10000000 --parquet 10000000 [--write]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import parse, record

ATTRS = ["sex", "region", "age_band"]


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cat = pd.Categorical.from_codes
    return pd.DataFrame(
        {
            "sex": cat(rng.integers(0, 2, rows, dtype=np.int8), ["F", "M"]),
            "region": cat(
                rng.integers(0, 20, rows, dtype=np.int8), [f"r{i:02d}" for i in range(20)]
            ),
            "age_band": cat(
                rng.integers(0, 5, rows, dtype=np.int8), ["<25", "25-35", "35-45", "45-65", ">65"]
            ),
            "y_true": rng.integers(0, 2, rows, dtype=np.int8),
            "y_pred": rng.integers(0, 2, rows, dtype=np.int8),
        }
    )


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _case(kind: str, rows: int, path: str, out: mp.Queue) -> None:
    import fairgate.audit as fa

    if kind in ("memory", "pandas"):
        frame = make_frame(rows, 0)
    base = _rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    if kind == "memory":
        counts = fa.group_counts("y_true", "y_pred", ATTRS, data=frame)
        total = counts.n
    elif kind == "pandas":
        cells = frame.groupby([*ATTRS, "y_true", "y_pred"], observed=True).size()
        total = int(cells.sum())
    elif kind == "duckdb":
        counts = fa.counts_from_file(path, y_true="y_true", y_pred="y_pred", sensitive=ATTRS)
        total = counts.n
    else:
        import psutil

        spark = fa.core.spark.spark_session("local[2]")
        spark.sparkContext.setLogLevel("ERROR")
        jvm = psutil.Process().children(recursive=True)

        def jvm_cpu() -> float:
            return sum(sum(p.cpu_times()[:2]) for p in jvm)

        before = jvm_cpu()
        wall, cpu = time.perf_counter(), time.process_time()  # session start not counted
        counts = fa.counts_from_spark(path, y_true="y_true", y_pred="y_pred", sensitive=ATTRS)
        total = counts.n
        cpu -= jvm_cpu() - before  # the JVM's CPU time counts too
        base -= sum(p.memory_info().rss for p in jvm) / 1024**2  # and its resident memory
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert total == rows, (kind, total, rows)
    out.put((wall, cpu, _rss_mib() - base))
    if kind == "spark":
        spark.stop()


def measure(kind: str, rows: int, path: str = "") -> tuple[float, float, float]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_case, args=(kind, rows, path, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def write_parquet(path: Path, rows: int, chunk: int = 2_000_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    done, seed = 0, 1
    while done < rows:
        n = min(chunk, rows - done)
        frame = make_frame(n, seed).astype({a: str for a in ATTRS})
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        done, seed = done + n, seed + 1
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", default="1000000,10000000")
    parser.add_argument("--parquet", default="10000000")
    args, start_load = parse(parser)
    lines = [
        "| rows | engine | wall | CPU | peak memory above baseline | compared with |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for rows in [int(r) for r in args.memory.split(",") if r]:
        fg = measure("memory", rows)
        pd_ = measure("pandas", rows)
        lines.append(
            f"| {rows:,} | fairgate in memory (`group_counts`) | {fg[0]:.2f} s | {fg[1]:.2f} s | "
            f"{fg[2]:.0f} MiB | pandas groupby: {pd_[0]:.2f} s wall, {pd_[1]:.2f} s CPU, "
            f"{pd_[2]:.0f} MiB ({pd_[0] / fg[0]:.1f}x fairgate's wall time) |"
        )
        print(lines[-1])
    work = Path(tempfile.mkdtemp(prefix="fairgate-counts-bench-"))
    try:
        for rows in [int(r) for r in args.parquet.split(",") if r]:
            path = work / f"log-{rows}.parquet"
            write_parquet(path, rows)
            size = path.stat().st_size / 1024**2
            duck = measure("duckdb", rows, str(path))
            spark = measure("spark", rows, str(path))
            for label, res in (
                ("DuckDB (`counts_from_file`)", duck),
                ("Spark local[2] (`counts_from_spark`)", spark),
            ):
                lines.append(
                    f"| {rows:,} | {label}, Parquet {size:.0f} MiB | {res[0]:.2f} s | "
                    f"{res[1]:.2f} s | {res[2]:.0f} MiB | "
                    f"DuckDB/Spark wall: {duck[0] / spark[0]:.2f} |"
                )
                print(lines[-1])
            path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(lines)
    if args.write:
        record(
            "## Counts scale curve (`benchmarks/counts_scale_bench.py`)",
            f"python benchmarks/counts_scale_bench.py --memory {args.memory} "
            f"--parquet {args.parquet} --write",
            start_load,
            text,
            note="Three sensitive columns (2 x 20 x 5 = 200 groups; categorical in memory, "
            "strings in Parquet), binary outcome and decision.",
        )


if __name__ == "__main__":
    main()
