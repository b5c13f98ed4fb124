"""Detectors that match the rules: region names in both languages, combined and coded columns,
single-letter codes only with corroboration, descriptions and policy words as evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgate.detectors import category_of_name, find_prohibited, scan_proxies

REGION_NAMES = [
    "country",
    "native-country",
    "nationality",
    "birthplace",
    "country_of_birth",
    "district",
    "home_city",
    "Province",
    "address",
    "zip",
    "postalCode",
    "foreign_worker",
    "户籍",
    "籍贯",
    "地区",
    "省份",
    "住址",
    "邮编",
    "出生地",
]


@pytest.mark.parametrize("name", REGION_NAMES)
def test_region_and_origin_by_name_in_both_languages(name):
    assert category_of_name(name) == "region"


def test_longest_word_wins_and_lookalikes_are_not_sensitive():
    assert category_of_name("country_of_birth") == "region"  # not age ("birth")
    assert category_of_name("出生日期") == "age"
    assert category_of_name("birth_date") == "age"
    for name in ("ip_address", "email_address", "sussex_office", "message", "page_count"):
        assert category_of_name(name) is None, name


def test_region_columns_are_prohibited_by_default_and_policy_words_extend_them():
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame(
        {
            "native-country": rng.choice(["United-States", "Mexico", "India"], n),
            "籍贯": rng.choice(["江苏", "四川"], n),
            "ward_no": rng.choice(["w1", "w2"], n),
            "hours": rng.integers(10, 60, n),
        }
    )
    found = {f.feature: f for f in find_prohibited(X)}
    assert set(found) == {"native-country", "籍贯"}
    assert all(f.prohibited and f.category == "region" for f in found.values())
    assert found["籍贯"].reasons[0].code == "name"
    assert found["籍贯"].reasons[0].params == {"word": "籍贯", "category": "region"}
    extended = {f.feature for f in find_prohibited(X, extra_names={"region": ["ward"]})}
    assert "ward_no" in extended


GERMAN_CREDIT_CODES = {
    "A91": "male : divorced/separated",
    "A92": "female : divorced/separated/married",
    "A93": "male : single",
    "A94": "male : married/widowed",
    "A95": "female : single",
}


def _credit_frame(n=500, seed=3):
    rng = np.random.default_rng(seed)
    codes = rng.choice(list(GERMAN_CREDIT_CODES), n, p=[0.05, 0.31, 0.55, 0.09, 0.0])
    return pd.DataFrame(
        {
            "personal_status": [GERMAN_CREDIT_CODES[c] for c in codes],
            "attribute_9": codes,
            "duration": rng.integers(4, 72, n),
            "purpose": rng.choice(["A40", "A41", "A43"], n),
        }
    )


def test_a_combined_sex_and_status_column_is_found_by_content():
    found = {f.feature: f for f in find_prohibited(_credit_frame())}
    finding = found["personal_status"]
    assert finding.category == "sex" and finding.prohibited and finding.how == "content"
    assert finding.categories == ("sex", "marital_status")
    assert finding.reasons[-1].code == "combined_values"
    assert "combine sex with marital status" in finding.evidence
    assert "attribute_9" not in found  # A91..A95 say nothing without the dictionary


def test_a_coded_column_is_found_through_the_data_dictionary():
    dictionary = {"attribute_9": GERMAN_CREDIT_CODES}
    found = {f.feature: f for f in find_prohibited(_credit_frame(), dictionary=dictionary)}
    finding = found["attribute_9"]
    assert finding.how == "dictionary" and finding.prohibited
    assert finding.categories == ("sex", "marital_status")
    assert finding.reasons[0].code == "dictionary"
    assert set(finding.reasons[0].params["codes"]) <= set(GERMAN_CREDIT_CODES)
    assert "purpose" not in found


def _charges(n=1000, seed=4, linked=False):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], n, p=[0.2, 0.8])
    degree = rng.choice(["F", "M"], n, p=[0.65, 0.35])
    if linked:
        degree = np.where(sex == "Female", "F", "M")
    return pd.DataFrame({"c_charge_degree": degree, "priors_count": rng.integers(0, 9, n)}), sex


def test_felony_misdemeanour_codes_are_not_sex_without_corroboration():
    X, sex = _charges()
    assert find_prohibited(X) == []
    assert find_prohibited(X, reference=pd.DataFrame({"sex": sex})) == []
    described = find_prohibited(X, descriptions={"c_charge_degree": "Degree of the charge"})
    assert described == []


def test_single_letter_codes_count_as_sex_with_corroboration():
    X, sex = _charges(linked=True)
    found = find_prohibited(X, reference=pd.DataFrame({"sex": sex}))
    assert [f.feature for f in found] == ["c_charge_degree"]
    finding = found[0]
    assert finding.category == "sex" and finding.strength == "moderate"
    assert finding.reasons[-1].code == "single_letters"
    assert finding.reasons[-1].params["corroborated_by"] == "sex"
    X2, _ = _charges()
    by_text = find_prohibited(X2, descriptions={"c_charge_degree": "Sex of the defendant (F/M)"})
    assert by_text[0].how == "description" and by_text[0].category == "sex"
    assert [r.code for r in by_text[0].reasons] == ["description", "single_letters"]


def test_each_finding_on_the_arrests_data_says_why():
    from fairgate.demo.data import FEATURES, load_arrests_frame

    audit = load_arrests_frame(0).audit
    found = {f.feature: f for f in find_prohibited(audit[FEATURES], sensitive=["age"])}
    assert {k for k, f in found.items() if f.prohibited} == {"colour", "sex"}
    assert found["citizen"].category == "nationality" and not found["citizen"].prohibited
    for finding in found.values():
        assert finding.reasons and all(r.text and r.code for r in finding.reasons)
        assert finding.to_dict()["reasons"][0]["code"] == finding.reasons[0].code


def test_proxy_scan_bins_numbers_and_scores_the_inputs_together():
    from fairgate.demo.data import UNAWARE_FEATURES, load_arrests_frame

    audit = load_arrests_frame(0).audit
    rng = np.random.default_rng(5)
    X = audit[UNAWARE_FEATURES].assign(
        planted=np.where(rng.random(len(audit)) < 0.9, audit["sex"], "x"),
        planted_number=(audit["colour"] == "White") * 10 + rng.normal(0, 1, len(audit)),
    )
    report = scan_proxies(X, audit[["colour", "sex"]], seed=0)
    assert report.top("sex").features == ("planted",) and report.top("sex").score > 0.8
    assert report.top("colour").features == ("planted_number",)
    assert "quantile bins" in report.top("colour").method
    assert report.top("colour").mutual_information > 0.2
    joint = {j.attribute: j for j in report.joint}
    assert joint["sex"].score > 0.5 and "planted" in joint["sex"].top_features
    assert report.to_dict()["joint"][0]["attribute"] in {"colour", "sex"}


def test_the_filings_feature_descriptions_reach_the_detectors():
    from pathlib import Path

    import yaml

    from fairgate.audit.core.counts import group_counts
    from fairgate.audit.pipeline.run import AuditSpec
    from fairgate.audit.pipeline.score import Scored
    from fairgate.audit.pipeline.steps import detect
    from fairgate.audit.policy import load_policy
    from fairgate.registry.store.filing import parse_filing

    root = Path(__file__).resolve().parents[2]
    body = yaml.safe_load((root / "registry/examples/arrests-filing.yaml").read_text("utf-8"))
    body["features"].append(
        {"name": "x7", "description": "District of residence (户籍地区)", "type": "categorical"}
    )
    spec = AuditSpec.coerce(parse_filing(body))
    assert spec.extra["feature_descriptions"]["x7"] == "District of residence (户籍地区)"
    rng = np.random.default_rng(0)
    n = 300
    sample = pd.DataFrame(
        {name: rng.choice(["a", "b"], n) for name in spec.features}
        | {"x7": rng.choice(["d1", "d2", "d3"], n), spec.target: rng.integers(0, 2, n)}
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    features = list(spec.features)
    model = make_pipeline(OneHotEncoder(), LogisticRegression())
    model.fit(sample[features], sample[spec.target])
    counts = group_counts(sample[spec.target], sample[spec.target], sample[list(spec.sensitive)])
    found = detect(model, Scored(counts, sample, n), spec, load_policy("default"), 0)
    x7 = next(f.to_dict() for f in found.prohibited if f.feature == "x7")
    assert x7["category"] == "region" and x7["prohibited"] and x7["how"] == "description"
    assert x7["reasons"][0]["code"] == "description"
