"""Per-group metrics and bootstrap: fairgate vs fairlearn's MetricFrame, in the same run.

Data: 1,000,000 rows, three string-typed sensitive columns (2 x 5 x 20 = 200 intersectional
groups), binary y_true / y_pred, seed 0.

Measures
1. per-group metrics (5 metrics over the 200 intersections) — fairgate ``group_counts`` +
   metric functions vs ``fairlearn.metrics.MetricFrame``;
2. bootstrap — fairgate's 1,000 cell-multinomial draws vs ``MetricFrame(n_boot=...)`` (scaled
   down, reported per draw);
3. peak extra memory of fairgate's pass (tracemalloc) against the size of the input columns.

Run: ``python benchmarks/metrics_bench.py [--rows 1000000] [--fairlearn-boot 3] [--write]``
(``--write`` updates the Metrics section of benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fairgate.audit import group_counts
from fairgate.audit.core.metrics import metric_values
from fairgate.audit.core.uncertainty import bootstrap_cells

METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision", "accuracy")


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = np.array(["female", "male"])[rng.integers(0, 2, rows)]
    eth = np.array([f"ethnicity_{i}" for i in range(5)])[rng.integers(0, 5, rows)]
    region = np.array([f"district_{i:02d}" for i in range(20)])[rng.integers(0, 20, rows)]
    y_true = rng.integers(0, 2, rows)
    y_pred = (rng.random(rows) < 0.3 + 0.4 * y_true).astype(np.int64)
    return pd.DataFrame(
        {"sex": sex, "ethnicity": eth, "region": region, "y_true": y_true, "y_pred": y_pred}
    )


def fairgate_metrics(df: pd.DataFrame) -> dict[str, np.ndarray]:
    counts = group_counts("y_true", "y_pred", ["sex", "ethnicity", "region"], data=df)
    _, cells = counts.flat()
    return {m: metric_values(m, cells) for m in METRICS}


def fairlearn_frame(df: pd.DataFrame, n_boot: int | None = None):
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    fns = {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "precision": precision_score,
        "accuracy": accuracy_score,
    }
    kwargs = {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975], "random_state": 0} if n_boot else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(
            metrics=fns,
            y_true=df["y_true"],
            y_pred=df["y_pred"],
            sensitive_features=df[["sex", "ethnicity", "region"]],
            **kwargs,
        )


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--boot", type=int, default=1000, help="fairgate bootstrap draws")
    parser.add_argument(
        "--fairlearn-boot", type=int, default=3, help="fairlearn draws (scaled down)"
    )
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)

    df = make_data(args.rows)
    input_bytes = int(df.memory_usage(deep=True).sum())

    # correctness first: the two agree
    ours = fairgate_metrics(df)
    theirs = fairlearn_frame(df).by_group
    for m in METRICS:
        np.testing.assert_allclose(ours[m], theirs[m].to_numpy(dtype=float), atol=1e-9)

    t_fg = best_of(lambda: fairgate_metrics(df), 5)
    t_fl = best_of(lambda: fairlearn_frame(df), 2)

    tracemalloc.start()
    fairgate_metrics(df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    counts = group_counts("y_true", "y_pred", ["sex", "ethnicity", "region"], data=df)
    _, cells = counts.flat()

    def fg_boot() -> None:
        draws = bootstrap_cells(cells, args.boot, seed=0)
        for m in METRICS:
            np.nanquantile(metric_values(m, draws), [0.025, 0.975], axis=0)

    t_fg_boot = best_of(fg_boot, 3)
    start = time.perf_counter()
    fairlearn_frame(df, n_boot=args.fairlearn_boot)
    t_fl_boot = time.perf_counter() - start
    fg_per_draw = t_fg_boot / args.boot
    # fairlearn's run also computes the point estimates once: count only the draws
    fl_per_draw = max(t_fl_boot - t_fl, 0.0) / args.fairlearn_boot

    rows = [
        ("per-group metrics (5 metrics, 200 groups)", t_fg, t_fl, t_fl / t_fg),
        ("bootstrap, per draw", fg_per_draw, fl_per_draw, fl_per_draw / fg_per_draw),
    ]
    lines = [
        f"Data: {args.rows:,} rows, 3 string sensitive columns (2 x 5 x 20 = 200 groups), "
        f"{input_bytes / 2**20:.1f} MiB of input columns.",
        "",
        "| measure | fairgate | fairlearn | speed-up |",
        "|---|---|---|---|",
    ]
    for name, a, b, r in rows:
        lines.append(f"| {name} | {a * 1e3:.3f} ms | {b * 1e3:.1f} ms | {r:,.0f}x |")
    lines += [
        f"| fairgate {args.boot} bootstrap draws (all 5 metrics, CIs) | {t_fg_boot * 1e3:.1f} ms"
        f" | fairlearn {args.fairlearn_boot} draws: {t_fl_boot:.1f} s | |",
        "",
        f"Peak extra memory of fairgate's pass: {peak / 2**20:.1f} MiB = "
        f"{peak / input_bytes:.2f}x the input columns (target < 2x).",
        "Targets: per-group metrics >= 20x, bootstrap per draw >= 1000x.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        _write(text, args)
    ok = t_fl / t_fg >= 20 and fl_per_draw / fg_per_draw >= 1000 and peak < 2 * input_bytes
    print("targets met" if ok else "TARGETS NOT MET")
    return 0


def _write(text: str, args: argparse.Namespace) -> None:
    path = Path(__file__).with_name("RESULTS.md")
    body = path.read_text(encoding="utf-8")
    section = (
        "## Metrics (`benchmarks/metrics_bench.py`)\n\n"
        f"Command: `python benchmarks/metrics_bench.py --rows {args.rows} "
        f"--fairlearn-boot {args.fairlearn_boot} --write`\n\n{text}\n\n"
    )
    body = re.sub(
        r"## Metrics \(`benchmarks/metrics_bench.py`\)\n.*?(?=\n## )",
        section.rstrip() + "\n",
        body,
        flags=re.S,
    )
    path.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
