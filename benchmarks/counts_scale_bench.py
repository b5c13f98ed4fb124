"""The counts scale curve: per-group confusion counts from 1M to 100M decisions.

In memory, fairgate's ``group_counts`` (one ``np.bincount``) against a pandas ``groupby`` over the
same columns (what a user would otherwise write); from Parquet, fairgate's DuckDB path
(``counts_from_file``) against fairgate's Spark path (``counts_from_spark``, a local[2] session).
Each case runs in a fresh process, which reports its wall and CPU time and its peak resident
memory above the interpreter with its imports and data loaded (in memory) or before the query
(files). The Parquet file is written to a temporary folder that is removed at the end.

With ``--scores ROWS`` it measures a scores model's statistics over all rows of a scored Parquet
log instead (200 groups, scores rounded to 4 decimals, so ties): fairgate's DuckDB path
(``score_statistics_from_file``: score histograms and the top-k ranking window) and its in-memory
path (``score_statistics``: ``np.bincount`` and a stable sort), and the histogram AUC alone
(``score_counts`` + ``roc_auc_by_group``) against scikit-learn's ``roc_auc_score`` per group
through fairlearn's ``MetricFrame`` (what a user would otherwise run), each in a fresh process.

    python benchmarks/counts_scale_bench.py --memory 1000000,10000000 --parquet 10000000 [--write]
    python benchmarks/counts_scale_bench.py --scores 5000000 [--write]
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


def make_scored(rows: int, seed: int) -> pd.DataFrame:
    """The decision log with a score per row (higher for positives), rounded so scores tie."""
    frame = make_frame(rows, seed)
    rng = np.random.default_rng(seed + 1000)
    noise = rng.normal(0.4, 0.15, rows)
    frame["score"] = np.clip(noise + 0.2 * frame["y_true"], 0.0, 1.0).round(4)
    return frame.drop(columns="y_pred")


SCORE_KEYS = {"y_true": "y_true", "y_score": "score", "sensitive": ATTRS, "threshold": 0.5}


def _scores_case(kind: str, path: str) -> int:
    """One scores measurement (the caller times it); the rows it counted."""
    import fairgate.audit.core.score_file as sf
    import fairgate.audit.core.score_metrics as sm
    import fairgate.audit.core.score_statistics as ss

    if kind == "scores-duckdb":
        return sf.score_statistics_from_file(path, ss.ScoreRequest(**SCORE_KEYS)).rows
    frame = _SCORED[0]
    if kind == "scores-memory":
        return ss.score_statistics("y_true", "score", ATTRS, data=frame, threshold=0.5).scores.n
    if kind == "scores-auc":
        sc = sm.score_counts("y_true", "score", ATTRS, data=frame)
        sm.roc_auc_by_group(sc)
        return sc.n
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import roc_auc_score

    mf = MetricFrame(
        metrics=roc_auc_score,
        y_true=frame["y_true"],
        y_pred=frame["score"],
        sensitive_features=frame[ATTRS],
    )
    mf.by_group  # noqa: B018 (computed on construction; read as a user would)
    return len(frame)


_SCORED: list[pd.DataFrame] = []


def _case(kind: str, rows: int, path: str, out: mp.Queue) -> None:
    import fairgate.audit as fa

    if kind in ("memory", "pandas"):
        frame = make_frame(rows, 0)
    if kind in ("scores-memory", "scores-auc", "scores-metricframe"):
        _SCORED.append(pd.read_parquet(path))
    base = _rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    if kind.startswith("scores-"):
        total = _scores_case(kind, path)
    elif kind == "memory":
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


def write_parquet(path: Path, rows: int, chunk: int = 2_000_000, make=make_frame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    done, seed = 0, 1
    while done < rows:
        n = min(chunk, rows - done)
        frame = make(n, seed).astype({a: str for a in ATTRS})
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
    parser.add_argument("--scores", type=int, default=0, help="rows of a scored log instead")
    args, start_load = parse(parser)
    if args.scores:
        text = scores_table(args.scores)
        if args.write:
            record(
                "## Score statistics over all rows (`benchmarks/counts_scale_bench.py --scores`)",
                f"python benchmarks/counts_scale_bench.py --scores {args.scores} --write",
                start_load,
                text,
                note=f"A scored log of {args.scores:,} rows, three sensitive columns (200 groups, "
                "strings), binary outcome, scores in [0, 1] rounded to 4 decimals. Each path runs "
                "in a fresh process; in-memory paths read the Parquet file before the clock "
                "starts. CPU is this process's own (DuckDB's threads included).",
            )
        return
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


def scores_table(rows: int) -> str:
    """Measure the scores cases on a scored Parquet log of ``rows`` rows; a Markdown table."""
    work = Path(tempfile.mkdtemp(prefix="fairgate-scores-bench-"))
    try:
        path = work / "scored.parquet"
        write_parquet(path, rows, make=make_scored)
        size = path.stat().st_size / 1024**2
        res = {
            kind: measure(kind, rows, str(path))
            for kind in ("scores-duckdb", "scores-memory", "scores-auc", "scores-metricframe")
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mf = res["scores-metricframe"]
    labels = {
        "scores-duckdb": f"fairgate DuckDB (`score_statistics_from_file`), Parquet {size:.0f} MiB: "
        "range, histograms, top-k ranking window",
        "scores-memory": "fairgate in memory (`score_statistics`): histograms and ranking",
        "scores-auc": "fairgate in memory, AUC only (`score_counts` + `roc_auc_by_group`)",
        "scores-metricframe": "fairlearn `MetricFrame(roc_auc_score)` per group (AUC only)",
    }
    lines = [
        "| rows | path | wall | CPU | peak memory above baseline | MetricFrame / this: wall, CPU |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for kind, (wall, cpu, mem) in res.items():
        lines.append(
            f"| {rows:,} | {labels[kind]} | {wall:.2f} s | {cpu:.2f} s | {mem:.0f} MiB | "
            f"{mf[0] / wall:.1f}x, {mf[1] / cpu:.1f}x |"
        )
        print(lines[-1])
    return "\n".join(lines)


if __name__ == "__main__":
    main()
