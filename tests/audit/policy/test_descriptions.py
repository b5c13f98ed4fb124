"""Rule descriptions in both languages: required as {en, zh}, shown in the report's language."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from fairgate.audit.policy import builtin_policies, load_policy
from fairgate.errors import PolicyError
from tests.fixtures.policy import reports

_RULE = {"id": "ff", "kind": "ratio", "metric": "selection_rate", "min": 0.8}


@pytest.mark.parametrize(
    ("description", "problem"),
    [
        (
            "every group",
            r"rules.0.description: received 'every group'; write the description in both",
        ),
        ({"en": "every group"}, r"rules.0.description.zh: missing"),
        ({"zh": "每个群体"}, r"rules.0.description.en: missing"),
        ({"en": "every group", "zh": "every group"}, r"zh description must be written in Chinese"),
        ({"en": "", "zh": "每个群体"}, r"rules.0.description.en: received ''"),
        ({"en": "a", "zh": "每个", "fr": "chaque"}, r"rules.0.description.fr: unknown field"),
    ],
)
def test_a_description_needs_both_languages(description, problem):
    with pytest.raises(PolicyError, match=problem):
        load_policy({"name": "x", "rules": [{**_RULE, "description": description}]})


def test_every_builtin_rule_description_is_in_both_languages():
    for name in builtin_policies():
        policy = load_policy(name)
        described = [r for r in (*policy.rules, policy.explainability) if r and r.description]
        assert described, name
        for rule in described:
            assert rule.description.en and re.search(r"[\u3400-\u9fff]", rule.description.zh)


def test_the_report_titles_a_rule_with_its_description_in_the_reports_language():
    from fairgate.audit.policy import AuditEvidence, evaluate
    from fairgate.audit.report.catalog import Text
    from fairgate.audit.report.sentences import rule_lines

    policy = load_policy(
        {
            "name": "x",
            "rules": [{**_RULE, "description": {"en": "four in five", "zh": "五分之四"}}],
            "explainability": None,
        }
    )
    verdict = evaluate(policy, AuditEvidence(reports=reports({"A": (50, 100), "B": (45, 100)})))
    assert verdict.rules[0].description == "four in five"

    result = SimpleNamespace(policy=policy.to_dict(), verdict=verdict.to_dict())
    titles = {lang: rule_lines(result, Text(lang))[0].title for lang in ("en", "zh")}
    assert titles == {"en": "Four in five", "zh": "五分之四"}


def test_an_audit_recorded_with_a_one_language_description_still_reads():
    """Audits recorded before descriptions had two languages keep rendering: the English text
    titles the English report, the catalog's description the Chinese one."""
    from fairgate.audit.policy import AuditEvidence, evaluate
    from fairgate.audit.report.catalog import Text
    from fairgate.audit.report.sentences import rule_lines

    policy = load_policy({"name": "x", "rules": [_RULE], "explainability": None})
    verdict = evaluate(policy, AuditEvidence(reports=reports({"A": (50, 100), "B": (45, 100)})))
    body = policy.to_dict()
    body["rules"][0]["description"] = "four in five, as recorded then"
    result = SimpleNamespace(policy=body, verdict=verdict.to_dict())
    assert rule_lines(result, Text("en"))[0].title == "Four in five, as recorded then"
    zh = rule_lines(result, Text("zh"))[0].title
    assert re.search(r"[\u3400-\u9fff]", zh) and "recorded" not in zh
