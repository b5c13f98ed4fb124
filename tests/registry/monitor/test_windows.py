"""Pure tests of batch parsing, windows and rule evaluation (no server)."""

from __future__ import annotations

import json
from types import SimpleNamespace as NS

import numpy as np
import pytest

from fairgate.audit.core.metrics import metric_values
from fairgate.errors import LengthMismatchError, ValidationError
from fairgate.registry.monitor.breaker import evaluate_fairness, psi
from fairgate.registry.monitor.observations import MISSING, parse_batch, parse_batch_dict
from fairgate.registry.monitor.windows import (
    NCELLS,
    Window,
    batch_cells,
    cells_for,
    combined_groups,
)


def _batch(pred, sex, outcome=None, **extra):
    body = {"model": "m", "version": "1", "prediction": pred, "sensitive": {"sex": sex}}
    if outcome is not None:
        body["outcome"] = outcome
    body.update(extra)
    return parse_batch(json.dumps(body).encode())


def test_columnar_and_row_forms_agree():
    rows = {
        "model": "m",
        "version": 1,
        "observations": [
            {"prediction": 1, "outcome": 0, "sensitive": {"sex": "F", "age": 30}},
            {"prediction": 0, "outcome": None, "sensitive": {"sex": None, "age": 40}},
            {"prediction": True, "sensitive": {"sex": "M", "age": 30}},
        ],
    }
    a = parse_batch_dict(rows)
    b = parse_batch_dict(
        {
            "model": "m",
            "version": "1",
            "prediction": [1, 0, 1],
            "outcome": [0, None, None],
            "sensitive": {"sex": ["F", None, "M"], "age": [30, 40, 30]},
        }
    )
    assert a.version == b.version == "1"
    assert a.prediction.tolist() == b.prediction.tolist() == [1, 0, 1]
    assert a.outcome.tolist() == b.outcome.tolist() == [0, -1, -1]
    assert a.values("sex").tolist() == ["F", MISSING, "M"]
    assert a.values("age").tolist() == ["30", "40", "30"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", ValidationError),
        (b"[]", ValidationError),
        (
            b'{"model": "m", "version": "1", "prediction": [NaN], "sensitive": {"s": ["a"]}}',
            ValidationError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": [Infinity], "sensitive": {"s": ["a"]}}',
            ValidationError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": [0.5], "sensitive": {"s": ["a"]}}',
            ValidationError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": [2], "sensitive": {"s": ["a"]}}',
            ValidationError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": ["1"], "sensitive": {"s": ["a"]}}',
            ValidationError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": [1, 0], "sensitive": {"s": ["a"]}}',
            LengthMismatchError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": [1], "outcome": [1, 0], '
            b'"sensitive": {"s": ["a"]}}',
            LengthMismatchError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": [1], "outcome": [0.3], '
            b'"sensitive": {"s": ["a"]}}',
            ValidationError,
        ),
        (
            b'{"model": "m", "version": "1", "prediction": [1], "sensitive": {"s": [1.5]}}',
            ValidationError,
        ),
        (b'{"model": "m", "version": "1", "prediction": [1], "sensitive": {}}', ValidationError),
        (
            b'{"model": "m", "version": "1", "prediction": [], "sensitive": {"s": []}}',
            ValidationError,
        ),
        (
            b'{"model": "", "version": "1", "prediction": [1], "sensitive": {"s": ["a"]}}',
            ValidationError,
        ),
        (
            b'{"model": "m", "version": "1", "observations": ['
            b'{"prediction": 1, "sensitive": {"s": "a"}}, '
            b'{"prediction": 1, "sensitive": {"t": "a"}}]}',
            ValidationError,
        ),
    ],
)
def test_malformed_batches_are_rejected(body, error):
    with pytest.raises(error):
        parse_batch(body)


def _brute_counts(keys, groups, cells):
    out = np.zeros((len(keys), NCELLS), dtype=np.int64)
    for g, c in zip(groups, cells, strict=True):
        out[keys[g], c] += 1
    return out


def test_sliding_window_is_exact_against_brute_force():
    rng = np.random.default_rng(1)
    window = Window("sliding", 500)
    history: list[tuple[tuple, int, int]] = []
    for step in range(30):
        n = int(rng.integers(1, 300)) if step != 10 else 1200
        sex = rng.choice(["F", "M", "X"] if step > 5 else ["F", "M"], n).tolist()
        pred = rng.integers(0, 2, n).tolist()
        out = [None if u < 0.3 else int(u > 0.6) for u in rng.random(n)]
        batch = _batch(pred, sex, out)
        local, keys = combined_groups(batch, ["sex"])
        cells = batch_cells(batch)
        window.add(local, keys, cells, step)
        history += [(keys[g], int(c), step) for g, c in zip(local, cells, strict=True)]
        last = history[-500:]
        expected = np.zeros_like(window.counts)
        for key, c, _ in last:
            expected[window.keys[key], c] += 1
        assert np.array_equal(window.counts, expected)
        assert window.total == len(last)
        # the evidence names the stored batches the window covers
        assert (window.first_batch, window.last_batch) == (last[0][2], step)


def test_tumbling_window_splits_batches_at_the_boundary():
    window = Window("tumbling", 100)
    batch = _batch([1] * 250, ["F"] * 250)
    local, keys = combined_groups(batch, ["sex"])
    closed = window.add(local, keys, batch_cells(batch), 1)
    assert len(closed) == 2
    assert all(int(c.sum()) == 100 for c in closed)
    assert window.total == 50


def test_cells_for_selection_rate_uses_unknown_outcomes():
    counts = np.array([[1, 2, 3, 4, 5, 6]])
    assert cells_for(counts, needs_outcome=True).tolist() == [[1, 2, 3, 4]]
    folded = cells_for(counts, needs_outcome=False)
    assert folded.tolist() == [[6, 2, 9, 4]]
    # selection rate = positive decisions / all decisions, outcome known or not
    assert float(metric_values("selection_rate", folded)[0]) == pytest.approx((1 + 2 + 5) / 21)


def _rule(**kw):
    base = dict(
        id="dp",
        metric="selection_rate",
        kind="difference",
        threshold=0.1,
        attributes=["sex"],
        window=NS(kind="sliding", size=10_000),
        min_samples=100,
        alpha=0.01,
    )
    base.update(kw)
    return NS(**base)


def _window_with(rates, n, seed=0, outcome=False):
    rng = np.random.default_rng(seed)
    sex = rng.choice(list(rates), n)
    p = np.array([rates[s] for s in sex])
    pred = (rng.random(n) < p).astype(int).tolist()
    out = rng.integers(0, 2, n).tolist() if outcome else None
    batch = _batch(pred, sex.tolist(), out)
    window = Window("sliding", 10_000)
    local, keys = combined_groups(batch, ["sex"])
    window.add(local, keys, batch_cells(batch), 1)
    return window


def test_rule_trips_only_on_a_significant_breach():
    fair = _window_with({"F": 0.5, "M": 0.5}, 4000)
    assert evaluate_fairness(_rule(), fair, fair.counts).status == "ok"
    biased = _window_with({"F": 0.2, "M": 0.6}, 4000)
    ev = evaluate_fairness(_rule(), biased, biased.counts)
    assert ev.status == "trip"
    assert ev.statistic == pytest.approx(0.4, abs=0.05)
    assert ev.p_value < 1e-10
    assert ev.evidence["groups"] == [["F"], ["M"]] or ev.evidence["groups"] == [["M"], ["F"]]


def test_small_groups_do_not_trip():
    tiny = _window_with({"F": 0.0, "M": 1.0}, 150)
    ev = evaluate_fairness(_rule(min_samples=100), tiny, tiny.counts)
    assert ev.status == "insufficient"


def test_noise_does_not_trip_at_tight_threshold():
    # a real but small difference: over the threshold in a small sample, yet not significant
    w = _window_with({"F": 0.45, "M": 0.55}, 240, seed=3)
    ev = evaluate_fairness(_rule(threshold=0.05, min_samples=100, alpha=0.001), w, w.counts)
    assert ev.status in ("ok", "breach")


def test_ratio_rule_and_outcome_metric():
    w = _window_with({"F": 0.2, "M": 0.6}, 4000, outcome=True)
    ev = evaluate_fairness(_rule(kind="ratio", threshold=0.8), w, w.counts)
    assert ev.status == "trip" and ev.statistic < 0.8
    ev = evaluate_fairness(_rule(metric="true_positive_rate"), w, w.counts)
    assert ev.status == "trip"


def test_psi():
    assert psi(np.array([50, 50]), np.array([50, 50])) == pytest.approx(0.0)
    assert psi(np.array([50, 50]), np.array([90, 10])) > 0.25
