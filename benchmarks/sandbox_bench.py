"""The cost of the sandbox: a vendor's model loaded and scored in a worker process vs. in process.

fairgate never loads a vendor's artifact in its own process: the model opens in a limited worker
(:class:`fairgate.audit.pipeline.sandbox.SandboxedModel`) and every ``predict_proba`` crosses a
process boundary as Arrow IPC in and ``.npy`` out. The alternative a user would otherwise pick is
``skops.io.load`` in process (no isolation). Both are measured in the same run on the same skops
file: opening the model, scoring all rows in one call, and the model-agnostic SHAP explanation
(many batched calls) of a bounded sample.

Data: the Toronto arrests data from scikit-lego (5,226 rows), tiled to ``--rows``. Model: one-hot
+ HistGradientBoosting (50 iterations), saved with skops.

    python benchmarks/sandbox_bench.py --rows 1000000 --write
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HEADING = "## Sandbox (`benchmarks/sandbox_bench.py`)"


def _cpu(worker: int | None) -> float:
    """CPU seconds of this process, its finished children and the live worker, if any."""
    import psutil

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    if worker is not None:
        times = psutil.Process(worker).cpu_times()
        total += times.user + times.system
    return total


def _timed(fn: Callable[[], Any], worker: int | None = None) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), _cpu(worker)
    out = fn()
    return out, time.perf_counter() - wall, _cpu(worker) - cpu


def _model(path: Path) -> tuple[pd.DataFrame, Any]:
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklego.datasets import load_arrests

    frame = load_arrests(as_frame=True)
    y = (frame.pop("released") == "Yes").astype(int)
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["colour", "sex", "employed", "citizen"]),
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=50, random_state=0),
    ).fit(frame, y)
    sio.dump(model, path)
    return frame, model


def _model_for_warmup(frame: pd.DataFrame) -> Any:
    """A tiny model, so that importing shap is not charged to either side."""
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="prior").fit(frame, np.arange(len(frame)) % 2)


def main() -> None:
    """Measure, print, and with ``--write`` record the figures in RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows scored in one call.")
    parser.add_argument("--explain", type=int, default=200, help="Rows explained with SHAP.")
    parser.add_argument("--write", action="store_true", help="Update benchmarks/RESULTS.md.")
    args = parser.parse_args()

    import skops.io as sio
    from threadpoolctl import threadpool_limits

    from fairgate.audit.explain import explain
    from fairgate.audit.pipeline.sandbox import SandboxedModel
    from fairgate.audit.pipeline.skops_allowlist import check_skops_schema

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.skops"
        base, _ = _model(path)
        data = pd.concat([base] * (args.rows // len(base) + 1), ignore_index=True)[: args.rows]
        sample = base.sample(args.explain, random_state=0).reset_index(drop=True)

        def direct_open() -> Any:
            return sio.load(path, trusted=check_skops_schema(path))

        explain(_model_for_warmup(base), base.head(20), sample_size=5, seed=0)  # imports shap
        local, t_open_l, c_open_l = _timed(direct_open)
        start = time.perf_counter()
        proxy = SandboxedModel(path)
        t_open_s = time.perf_counter() - start
        c_open_s = _cpu(proxy.pid) - _cpu(None)  # the worker's whole life so far
        try:
            # the worker runs numerical libraries on one thread; so does the in-process side
            with threadpool_limits(1):
                p_l, t_pred_l, c_pred_l = _timed(lambda: local.predict_proba(data))
            p_s, t_pred_s, c_pred_s = _timed(lambda: proxy.predict_proba(data), proxy.pid)
            assert np.allclose(p_l, p_s), "the sandbox must score exactly like the model"

            def shap(model: Any) -> Any:
                return explain(model, sample, sample_size=args.explain, seed=0)

            with threadpool_limits(1):
                e_l, t_exp_l, c_exp_l = _timed(lambda: shap(local))
            e_s, t_exp_s, c_exp_s = _timed(lambda: shap(proxy), proxy.pid)
            assert np.allclose(e_l.values, e_s.values)
        finally:
            proxy.close()
    load = os.getloadavg()
    rows = [
        (
            "open the model (worker start + load vs. skops.io.load)",
            t_open_s,
            c_open_s,
            t_open_l,
            c_open_l,
        ),
        (f"predict_proba on {args.rows:,} rows, one call", t_pred_s, c_pred_s, t_pred_l, c_pred_l),
        (
            f"SHAP (permutation) of {args.explain} rows, batched calls",
            t_exp_s,
            c_exp_s,
            t_exp_l,
            c_exp_l,
        ),
    ]
    lines = [
        f"Command: `python benchmarks/sandbox_bench.py --rows {args.rows} --explain "
        f"{args.explain} --write` ({os.cpu_count()} cores; load average during the run "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}).",
        "",
        "Sandbox CPU time includes the worker process's CPU; both sides run numerical "
        "libraries on one thread and score the same skops file.",
        "",
        "| step | sandbox wall | sandbox CPU | in process wall | in process CPU | wall ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, ws, cs, wl, cl in rows:
        lines.append(
            f"| {label} | {ws:.2f} s | {cs:.2f} s | {wl:.2f} s | {cl:.2f} s | {ws / wl:.2f}x |"
        )
    text = "\n".join(lines)
    print(text)
    if args.write:
        results = Path(__file__).with_name("RESULTS.md")
        body = results.read_text(encoding="utf-8")
        pattern = re.escape(HEADING) + r"\n\n(.*?)(?=\n## |\Z)"
        if re.search(pattern, body, flags=re.S):
            body = re.sub(pattern, lambda m: f"{HEADING}\n\n{text}\n", body, count=1, flags=re.S)
        else:
            body = body.rstrip("\n") + f"\n\n{HEADING}\n\n{text}\n"
        results.write_text(body, encoding="utf-8")
        print(f"\nwrote {results.name}")


if __name__ == "__main__":
    main()
