"""Breaker windows for multiclass and regression streams keep the audit's sufficient statistics.

A live stream goes through the window batch by batch; the window's counts equal
``group_counts`` on the rows it holds, and a constructed biased stream trips the absolute rule
(accuracy floor, MAE ceiling) with a significant test, judged by the audit's own functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairgate.audit import core as C
from fairgate.registry.monitor.kind_windows import (
    SumWindow,
    multiclass_cells,
    multiclass_window_counts,
)
from fairgate.registry.monitor.windows import Window

CLASSES = ("bike", "bus", "car", "walk")
DISTRICTS = np.array(["east", "north", "south", "west"])


def _stream(n, rng, biased_district=None, miss=0.1):
    district = DISTRICTS[rng.integers(0, 4, n)]
    truth = rng.integers(0, 4, n)
    wrong = np.where(district == biased_district, 0.8, miss)
    pred = np.where(rng.random(n) < wrong, rng.integers(0, 4, n), truth)
    return district, truth, pred


def _local(district):
    codes, uniques = pd.factorize(district)
    return codes.astype(np.int64), [(u,) for u in uniques]


def test_sliding_multiclass_window_equals_group_counts_and_trips_on_a_biased_district():
    rng = np.random.default_rng(0)
    k = len(CLASSES)
    window = Window("sliding", 3000, ncells=k * (k + 1))
    history = []
    for _ in range(4):  # a fair stream
        district, truth, pred = _stream(1000, rng)
        local, keys = _local(district)
        window.add(local, keys, multiclass_cells(truth, pred, k))
        history.append((district, truth, pred))
    counts = multiclass_window_counts(
        window.counts, window.key_list(), ["district"], CLASSES, needs_outcome=True
    )
    held = [np.concatenate(parts)[-3000:] for parts in zip(*history, strict=True)]
    expected = C.group_counts(
        np.array(CLASSES)[held[1]],
        np.array(CLASSES)[held[2]],
        {"district": held[0]},
        kind="multiclass",
        classes=CLASSES,
    )
    assert counts == expected
    report = C.group_report(counts, min_group_size=100)
    assert (report.by_group["accuracy"] >= 0.6).all()

    for _ in range(3):  # the east district's trips are now recognised badly
        district, truth, pred = _stream(1000, rng, biased_district="east")
        local, keys = _local(district)
        window.add(local, keys, multiclass_cells(truth, pred, k))
    counts = multiclass_window_counts(
        window.counts, window.key_list(), ["district"], CLASSES, needs_outcome=True
    )
    report = C.group_report(counts, min_group_size=100)
    below = report.by_group.index[report.by_group["accuracy"] < 0.6].tolist()
    assert below == ["east"]
    assert report.ci_high.loc["east", "accuracy"] < 0.6  # significant, not noise
    assert report.p_values.loc["east", "accuracy"] < 0.001


def test_unknown_outcomes_count_only_for_selection_rates():
    k = len(CLASSES)
    window = Window("tumbling", 100, ncells=k * (k + 1))
    truth = np.array([0, 1, -1, -1])
    pred = np.array([0, 2, 3, 3])
    window.add(np.zeros(4, dtype=np.int64), [("east",)], multiclass_cells(truth, pred, k))
    with_unknown = multiclass_window_counts(
        window.counts, window.key_list(), ["district"], CLASSES, needs_outcome=False
    )
    known_only = multiclass_window_counts(
        window.counts, window.key_list(), ["district"], CLASSES, needs_outcome=True
    )
    assert with_unknown.n == 4 and known_only.n == 2
    report = C.group_report(with_unknown, metrics=["selection_rate[walk]"], min_group_size=0)
    assert report.by_group.loc["east", "selection_rate[walk]"] == 0.5


def test_regression_sum_window_equals_group_counts_and_trips_on_an_error_gap():
    rng = np.random.default_rng(1)
    window = SumWindow("sliding", 4000, ["district"])
    rows = []
    for step in range(6):
        district = DISTRICTS[rng.integers(0, 4, 1500)]
        y = rng.normal(30, 8, 1500)
        bias = np.where((district == "west") & (step >= 3), 6.0, 0.0)
        pred = y + bias + rng.normal(0, 2, 1500)
        local, keys = _local(district)
        window.add(local, keys, y, pred)
        rows.append((district, y, pred))
    held = [np.concatenate(parts)[-4000:] for parts in zip(*rows, strict=True)]
    expected = C.group_counts(held[1], held[2], {"district": held[0]}, kind="regression")
    counts = window.counts()
    assert counts.levels == expected.levels
    np.testing.assert_array_equal(counts.hist, expected.hist)
    np.testing.assert_allclose(counts.stats, expected.stats, rtol=1e-9, atol=1e-6)
    report = C.group_report(counts, min_group_size=100)
    mae = report.by_group["mean_absolute_error"]
    assert mae.idxmax() == "west" and mae["west"] > 3 > mae.drop("west").max()
    assert report.p_values.loc["west", "mean_absolute_error"] < 0.001


def test_tumbling_sum_window_closes_full_windows():
    window = SumWindow("tumbling", 10, ["district"])
    closed = window.add(
        np.zeros(25, dtype=np.int64), [("east",)], np.arange(25.0), np.arange(25.0) + 1
    )
    assert [c.n for c in closed] == [10, 10] and window.total == 5
    assert C.mean_error(closed[0].stats)[0] == 1.0
