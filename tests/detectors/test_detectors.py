"""Detectors on real models trained here and on the Toronto arrests data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairgate.detectors import (
    cramers_v,
    find_prohibited,
    flip_test,
    is_prc_resident_id,
    representation,
    scan_proxies,
)
from fairgate.errors import LengthMismatchError, MissingColumnError, ValidationError


def _reference_check(body17: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(body17, weights, strict=True))
    return "10X98765432"[total % 11]


def _prc_id(rng) -> str:
    body = f"{rng.integers(110000, 659000)}{rng.integers(1950, 2005)}"
    body += f"{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}{rng.integers(0, 1000):03d}"
    return body + _reference_check(body)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_prc_checksum_agrees_with_reference(body):
    valid_date = 1900 <= int(body[6:10]) <= 2100 and 1 <= int(body[10:12]) <= 12
    valid_date = valid_date and 1 <= int(body[12:14]) <= 31
    assert is_prc_resident_id(body + _reference_check(body)) == valid_date
    wrong = next(c for c in "0123456789X" if c != _reference_check(body))
    assert not is_prc_resident_id(body + wrong)


def test_prohibited_by_name_content_and_id():
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {
            "applicant_gender": rng.choice(["F", "M"], n),
            "col_7": rng.choice(["male", "female"], n),
            "性别": rng.choice(["男", "女"], n),
            "证件": [_prc_id(rng) for _ in range(n - 3)] + ["123", "abc", "110101199001011234"],
            "income": rng.normal(size=n),
            "message": rng.choice(["hi", "yo"], n),
            "sussex_office": rng.choice(["a", "b"], n),
            "page_count": rng.integers(0, 5, n),
        }
    )
    found = {f.feature: f for f in find_prohibited(X)}
    assert set(found) == {"applicant_gender", "col_7", "性别", "证件"}
    assert found["applicant_gender"].how == "name" and found["applicant_gender"].prohibited
    assert found["col_7"].how == "content" and found["col_7"].category == "sex"
    assert (
        found["证件"].category == "identity_number" and "PRC resident ID" in found["证件"].evidence
    )
    relaxed = {f.feature: f for f in find_prohibited(X, prohibited=["religion"])}
    assert not relaxed["applicant_gender"].prohibited


def test_planted_proxy_is_ranked_first():
    rng = np.random.default_rng(1)
    n = 6000
    ethnicity = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    zone = np.where(rng.random(n) < 0.15, rng.choice(["z1", "z2", "z3"], n), ethnicity)
    zone = pd.Series(zone).map({"a": "z1", "b": "z2", "c": "z3"}).fillna(pd.Series(zone))
    income = rng.normal(50, 10, n) + np.where(ethnicity == "a", 12, 0)
    X = pd.DataFrame(
        {
            "postcode_zone": zone,
            "income": income,
            "noise_cat": rng.choice(["x", "y"], n),
            "noise_num": rng.normal(size=n),
        }
    )
    report = scan_proxies(X, pd.DataFrame({"ethnicity": ethnicity}), threshold=0.3, seed=0)
    top = report.top("ethnicity")
    assert top.features == ("postcode_zone",) and top.above_threshold and top.score > 0.6
    scores = {f.features: f.score for f in report.findings if len(f.features) == 1}
    assert scores[("income",)] > scores[("noise_num",)] + 0.1
    assert scores[("noise_cat",)] < 0.1 and scores[("noise_num",)] < 0.1
    with pytest.raises(LengthMismatchError):
        scan_proxies(X, pd.DataFrame({"e": ethnicity[:10]}))
    with pytest.raises(ValidationError, match="threshold"):
        scan_proxies(X, pd.DataFrame({"e": ethnicity}), threshold=2)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz")), min_size=5, max_size=60))
def test_cramers_v_is_bounded_and_symmetric(pairs):
    a, b = zip(*pairs, strict=True)
    v = cramers_v(a, b)
    assert 0.0 <= v <= 1.0
    assert v == pytest.approx(cramers_v(b, a))


def _sex_data(n=4000, seed=2):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    x = rng.normal(size=n)
    y = ((x + np.where(sex == "M", 1.5, -1.5) + rng.normal(0, 0.5, n)) > 0).astype(int)
    return pd.DataFrame({"sex": sex, "x": x}), y


def test_flip_test_finds_flips_only_when_the_model_uses_the_attribute():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    X, y = _sex_data()
    uses = Pipeline(
        [
            ("pre", ColumnTransformer([("s", OneHotEncoder(), ["sex"])], remainder="passthrough")),
            ("lr", LogisticRegression()),
        ]
    ).fit(X, y)
    blind = Pipeline(
        [
            ("pre", ColumnTransformer([("x", "passthrough", ["x"])], remainder="drop")),
            ("lr", LogisticRegression()),
        ]
    ).fit(X, y)
    flips = flip_test(uses, X, "sex", seed=0)
    assert flips.rate > 0.1 and all(p.ci_low > 0 for p in flips.pairs)
    assert {(p.from_group, p.to_group) for p in flips.pairs} == {("F", "M"), ("M", "F")}
    assert flip_test(blind, X, "sex", seed=0).rate == 0.0
    with pytest.raises(MissingColumnError, match="not an input"):
        flip_test(uses, X[["x"]], "sex")


def test_detectors_on_the_arrests_model():
    from fairgate.demo.data import FEATURES, UNAWARE_FEATURES, arrests_model, load_arrests_frame

    data = load_arrests_frame(0)
    model = arrests_model(data.train, 0)
    found = {f.feature for f in find_prohibited(data.audit[FEATURES]) if f.prohibited}
    assert found == {"colour", "sex"}
    result = flip_test(model, data.audit[FEATURES], "colour", seed=0)
    assert 0 < result.rate < 0.5 and result.n == len(data.audit)
    report = scan_proxies(data.audit[UNAWARE_FEATURES], data.audit[["colour", "sex"]], seed=0)
    assert {f.attribute for f in report.findings} == {"colour", "sex"}


def test_representation_flags_the_under_represented_group():
    s = pd.Series(["a"] * 700 + ["b"] * 200 + ["c"] * 100, name="region")
    result = representation(s, {"a": 0.5, "b": 0.3, "c": 0.2})
    expected = np.array([500, 300, 200])
    observed = np.array([700, 200, 100])
    assert result.statistic == pytest.approx(float(((observed - expected) ** 2 / expected).sum()))
    flagged = {g.group for g in result.groups if g.flagged}
    assert flagged == {"b", "c"} and result.p_value < 1e-10
    with pytest.raises(ValidationError, match="sum to 1"):
        representation(s, {"a": 0.5, "b": 0.3})
    with pytest.raises(ValidationError, match="non-negative"):
        representation(s, {"a": 1.2, "b": -0.2})
