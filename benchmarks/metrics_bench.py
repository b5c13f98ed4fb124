"""Per-group metrics of every kind and the bootstrap: fairgate vs fairlearn's MetricFrame.

Data: 1,000,000 rows, three string-typed sensitive columns (2 x 5 x 20 = 200 intersectional
groups), seed 0; binary, regression and 5-class outcomes and predictions.

Measures (wall and CPU time, best of several runs, with the load average)
1. per-group metrics of a binary classifier (5 metrics over the 200 intersections) — fairgate
   ``group_counts`` + metric functions vs ``fairlearn.metrics.MetricFrame``;
2. the report users call: ``group_report`` (Wilson intervals, chi-square / Fisher p-values) against
   ``group_counts`` alone (target: within 2x);
3. regression (MAE, MSE, RMSE, R², mean error) and 5-class multiclass (accuracy, macro TPR and
   precision, per-class TPR) against ``MetricFrame`` with scikit-learn metrics (target >= 50x),
   and against a bare ``np.bincount`` pass over the same string columns (target: within 2x);
4. bootstrap — fairgate's 1,000 cell-multinomial draws vs ``MetricFrame(n_boot=...)`` (scaled
   down, reported per draw);
5. peak extra memory of fairgate's pass (tracemalloc) against the size of the input columns.

Run: ``python benchmarks/metrics_bench.py [--rows 1000000] [--fairlearn-boot 3] [--write]``
(``--write`` updates the Metrics section of benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fairgate.audit import group_counts, group_report
from fairgate.audit.core.metrics import metric_values
from fairgate.audit.core.multiclass_metrics import multiclass_estimate
from fairgate.audit.core.regression_metrics import regression_estimate
from fairgate.audit.core.uncertainty import bootstrap_cells

METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision", "accuracy")


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = np.array(["female", "male"])[rng.integers(0, 2, rows)]
    eth = np.array([f"ethnicity_{i}" for i in range(5)])[rng.integers(0, 5, rows)]
    region = np.array([f"district_{i:02d}" for i in range(20)])[rng.integers(0, 20, rows)]
    y_true = rng.integers(0, 2, rows)
    y_pred = (rng.random(rows) < 0.3 + 0.4 * y_true).astype(np.int64)
    y_num = rng.normal(20.0, 5.0, rows)
    pred_num = y_num + rng.normal(0.0, 2.0, rows)
    classes = np.array([f"class_{i}" for i in range(5)])
    c_true = rng.integers(0, 5, rows)
    c_pred = np.where(rng.random(rows) < 0.7, c_true, rng.integers(0, 5, rows))
    return pd.DataFrame(
        {
            "sex": sex,
            "ethnicity": eth,
            "region": region,
            "y_true": y_true,
            "y_pred": y_pred,
            "y_num": y_num,
            "pred_num": pred_num,
            "c_true": classes[c_true],
            "c_pred": classes[c_pred],
        }
    )


SENSITIVE = ["sex", "ethnicity", "region"]
REGRESSION = ("mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "r2_score")
MULTICLASS = ("accuracy", "macro_true_positive_rate", "macro_precision")


def fairgate_regression(df: pd.DataFrame) -> dict[str, np.ndarray]:
    counts = group_counts("y_num", "pred_num", SENSITIVE, data=df, kind="regression")
    _, stats = counts.flat()
    return {m: regression_estimate(m, stats).values for m in (*REGRESSION, "mean_error")}


def fairgate_multiclass(df: pd.DataFrame) -> dict[str, np.ndarray]:
    counts = group_counts("c_true", "c_pred", SENSITIVE, data=df, kind="multiclass")
    _, cells = counts.flat()
    names = [*MULTICLASS, *(f"true_positive_rate[{c}]" for c in counts.classes)]
    return {m: multiclass_estimate(m, cells, counts.classes).values for m in names}


def bare_bincount(df: pd.DataFrame) -> np.ndarray:
    """The floor: factorize the same string columns, combine the codes, one np.bincount."""
    code = np.zeros(len(df), dtype=np.int64)
    size = 1
    for name in SENSITIVE:
        codes, uniques = pd.factorize(df[name], sort=True)
        code = code * len(uniques) + codes
        size *= len(uniques)
    return np.bincount(code, minlength=size)


def metricframe_kind(df: pd.DataFrame, kind: str):
    from fairlearn.metrics import MetricFrame
    from sklearn import metrics as skm

    if kind == "regression":
        fns = {
            "mean_absolute_error": skm.mean_absolute_error,
            "mean_squared_error": skm.mean_squared_error,
            "root_mean_squared_error": skm.root_mean_squared_error,
            "r2_score": skm.r2_score,
        }
        y_true, y_pred = df["y_num"], df["pred_num"]
    else:
        labels = sorted(df["c_true"].unique())
        fns = {
            "accuracy": skm.accuracy_score,
            "macro_true_positive_rate": lambda t, p: skm.recall_score(
                t, p, labels=labels, average="macro", zero_division=np.nan
            ),
            "macro_precision": lambda t, p: skm.precision_score(
                t, p, labels=labels, average="macro", zero_division=np.nan
            ),
        }
        y_true, y_pred = df["c_true"], df["c_pred"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(
            metrics=fns, y_true=y_true, y_pred=y_pred, sensitive_features=df[SENSITIVE]
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
    return timed(fn, repeat)[0]


def timed(fn, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (this process) over ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def kinds_section(df: pd.DataFrame, repeat: int) -> tuple[list[str], bool]:
    """Regression and multiclass against MetricFrame and the bare bincount; report vs counts."""
    ours = fairgate_regression(df)
    theirs = metricframe_kind(df, "regression").by_group
    for m in REGRESSION:
        np.testing.assert_allclose(ours[m], theirs[m].to_numpy(dtype=float), rtol=1e-9)
    ours = fairgate_multiclass(df)
    theirs = metricframe_kind(df, "multiclass").by_group
    for m in MULTICLASS:
        np.testing.assert_allclose(ours[m], theirs[m].to_numpy(dtype=float), atol=1e-9)

    floor = timed(lambda: bare_bincount(df), repeat)
    binary = group_counts("y_true", "y_pred", SENSITIVE, data=df)
    regression = group_counts("y_num", "pred_num", SENSITIVE, data=df, kind="regression")
    multiclass = group_counts("c_true", "c_pred", SENSITIVE, data=df, kind="multiclass")
    rows = [
        (
            "regression (4 metrics + mean error)",
            timed(lambda: fairgate_regression(df), repeat),
            timed(lambda: metricframe_kind(df, "regression"), 1),
        ),
        (
            "multiclass, 5 classes (3 metrics + 5 per-class TPR)",
            timed(lambda: fairgate_multiclass(df), repeat),
            timed(lambda: metricframe_kind(df, "multiclass"), 1),
        ),
    ]
    lines = [
        "",
        "Every kind against `MetricFrame` with scikit-learn metrics (same data, same run), and "
        "against a bare `np.bincount` pass over the same three string columns "
        f"({floor[0] * 1e3:.0f} ms wall, {floor[1] * 1e3:.0f} ms CPU):",
        "",
        "| kind | fairgate wall / CPU | MetricFrame wall / CPU | speed-up (CPU) "
        "| vs bare bincount (CPU) |",
        "|---|---|---|---|---|",
    ]
    ok = True
    for name, fg, fl in rows:
        speed, floor_ratio = fl[1] / fg[1], fg[1] / floor[1]
        ok &= speed >= 50 and floor_ratio <= 2
        lines.append(
            f"| {name} | {fg[0] * 1e3:.0f} / {fg[1] * 1e3:.0f} ms | {fl[0]:.2f} / {fl[1]:.2f} s "
            f"| {speed:,.0f}x | {floor_ratio:.2f}x |"
        )
    lines += [
        "",
        "The path users call — `group_report` (intervals and p-values for every metric) against "
        "`group_counts` alone, CPU time:",
        "",
        "| kind | group_counts | group_report on the counts | counts + report vs counts |",
        "|---|---|---|---|",
    ]
    cases = [
        ("binary", lambda: group_counts("y_true", "y_pred", SENSITIVE, data=df), binary),
        (
            "regression",
            lambda: group_counts("y_num", "pred_num", SENSITIVE, data=df, kind="regression"),
            regression,
        ),
        (
            "multiclass",
            lambda: group_counts("c_true", "c_pred", SENSITIVE, data=df, kind="multiclass"),
            multiclass,
        ),
    ]
    for name, count_fn, counts in cases:
        t_counts = timed(count_fn, repeat)
        t_report = timed(lambda c=counts: group_report(c, min_group_size=30), repeat)
        ratio = (t_counts[1] + t_report[1]) / t_counts[1]
        ok &= ratio <= 2
        lines.append(
            f"| {name} | {t_counts[1] * 1e3:.0f} ms | {t_report[1] * 1e3:.0f} ms | {ratio:.2f}x |"
        )
    lines.append(
        "Targets: every kind >= 50x faster than MetricFrame and within 2x of the bare bincount; "
        "counts + report within 2x of the counts."
    )
    return lines, ok


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
    kind_lines, kinds_ok = kinds_section(df, 3)

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
        *kind_lines,
        "",
        f"Load average during the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} cores (shared machine).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        _write(text, args)
    ok = t_fl / t_fg >= 20 and fl_per_draw / fg_per_draw >= 1000 and peak < 2 * input_bytes
    ok &= kinds_ok
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
