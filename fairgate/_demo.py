"""The demo: fairgate's main job on real data, on the embedded default.

It trains a model on the Toronto arrests data shipped with scikit-lego (who is released with a
summons rather than held), audits it for colour and sex and their intersection, and prints the
per-group table and the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DemoData", "arrests_model", "load_arrests_frame", "run_demo"]

FEATURES = ["colour", "year", "age", "sex", "employed", "citizen", "checks"]
CATEGORICAL = ["colour", "sex", "employed", "citizen"]
SENSITIVE = ["colour", "sex"]
TARGET = "released"


@dataclass(frozen=True)
class DemoData:
    """The arrests data split for training and audit."""

    train: pd.DataFrame
    audit: pd.DataFrame


def load_arrests_frame(seed: int = 0) -> DemoData:
    """Load the Toronto arrests data (scikit-lego) and split it 60/40 with ``seed``.

    Returns
    -------
    DemoData
        ``released`` becomes 1 for "Yes" (released with a summons), 0 otherwise.
    """
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    df = df.assign(**{TARGET: (df[TARGET] == "Yes").astype(np.int64)})
    rng = np.random.default_rng(seed)
    audit_rows = rng.random(len(df)) < 0.4
    return DemoData(df[~audit_rows].reset_index(drop=True), df[audit_rows].reset_index(drop=True))


def arrests_model(train: pd.DataFrame, seed: int = 0) -> Any:
    """A scikit-learn pipeline (one-hot + gradient boosting) trained on ``train``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    numeric = [c for c in FEATURES if c not in CATEGORICAL]
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
            ("num", "passthrough", numeric),
        ]
    )
    model = Pipeline(
        [("pre", pre), ("clf", HistGradientBoostingClassifier(max_iter=100, random_state=seed))]
    )
    model.fit(train[FEATURES], train[TARGET])
    return model


def run_demo(*, min_group_size: int = 30, seed: int = 0) -> None:
    """Train, audit and print the per-group table and the verdict."""
    from rich.console import Console
    from rich.table import Table

    from fairgate.audit import disparate_impact, group_counts, group_report

    console = Console()
    with console.status("Loading the Toronto arrests data and training a model…"):
        data = load_arrests_frame(seed)
        model = arrests_model(data.train, seed)
        audit = data.audit
        y_pred = model.predict(audit[FEATURES])
    counts = group_counts(audit[TARGET], y_pred, audit[SENSITIVE])
    console.print(
        f"[bold]fairgate demo[/bold]: a gradient-boosting model deciding who is released, "
        f"audited on {len(audit):,} arrests for {', '.join(SENSITIVE)} and their intersection."
    )
    failures: list[str] = []
    for attrs in counts.intersections():
        report = group_report(counts, attributes=attrs, min_group_size=min_group_size, seed=seed)
        _print_table(console, Table, report)
        di = disparate_impact(counts, attributes=attrs, min_group_size=min_group_size)
        eod = report.difference()["true_positive_rate"]
        for key in di["adverse"]:
            ratio_of_group = di["ratios"][di["groups"].index(key)]
            failures.append(
                f"{' & '.join(map(str, key))}: selection rate {ratio_of_group:.2f}"
                f" of the most favoured group (four-fifths rule: >= 0.80)"
            )
        if eod > 0.1:
            failures.append(
                f"{' x '.join(attrs)}: true positive rates differ by {eod:.2f} (limit 0.10)"
            )
    if failures:
        console.print("[bold red]Verdict: FAIL[/bold red] — the model treats groups differently:")
        for line in failures:
            console.print(f"  • {line}")
    else:
        console.print("[bold green]Verdict: PASS[/bold green] — no rule is broken.")


def _print_table(console: Any, table_cls: Any, report: Any) -> None:
    table = table_cls(title=" x ".join(report.attributes), title_justify="left")
    table.add_column("group")
    for name in ("n", "selection rate (95% CI)", "TPR", "FPR", "accuracy", "flag"):
        table.add_column(name, justify="right")
    frame = report.by_group
    for i, key in enumerate(frame.index):
        label = " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)
        row = frame.iloc[i]
        low, high = (
            report.ci_low.iloc[i]["selection_rate"],
            report.ci_high.iloc[i]["selection_rate"],
        )
        flag = "insufficient" if report.insufficient.iloc[i] else ""
        table.add_row(
            label,
            f"{int(row['count']):,}",
            f"{row['selection_rate']:.3f} ({low:.3f}–{high:.3f})",
            f"{row['true_positive_rate']:.3f}",
            f"{row['false_positive_rate']:.3f}",
            f"{row['accuracy']:.3f}",
            flag,
        )
    console.print(table)
