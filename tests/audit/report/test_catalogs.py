"""The message catalogs: every key in both languages, translated, and every key the report uses."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from fairgate.audit.report import LANGUAGES, catalog_problems, load_catalog

ROOT = Path(__file__).resolve().parents[3]
REPORT_CODE = ROOT / "audit" / "report"
PROJECT_CODE = [
    p
    for folder in ("audit", "detectors", "registry", "fairgate")
    for p in (ROOT / folder).rglob("*.py")
]


def test_catalogs_are_complete_and_translated():
    assert catalog_problems() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda en, zh: zh.pop("what_failed"), "what_failed: missing in zh.yaml"),
        (lambda en, zh: zh.update(what_failed=en["what_failed"]), "zh message is the English"),
        (lambda en, zh: zh.update(what_failed="What 失败"), "English words left in zh"),
        (lambda en, zh: zh.update(what_failed="Failed rules"), "no Chinese text"),
        (lambda en, zh: zh.update(why_flip_not_measured="未测量"), "placeholders differ"),
        (lambda en, zh: en.update(new_key="Hello"), "new_key: missing in zh.yaml"),
        (lambda en, zh: zh.update(toc=" "), "toc: empty message"),
    ],
)
def test_the_check_catches_every_kind_of_problem(change, expected):
    en, zh = dict(load_catalog("en")), dict(load_catalog("zh"))
    change(en, zh)
    problems = catalog_problems({"en": en, "zh": zh})
    assert any(expected in p for p in problems), problems


def _used_keys() -> set[str]:
    """Literal catalog keys in the template and the report's code: t('key'...) and t("key"...)."""
    template = resources.files("fairgate.report_templates").joinpath("report.html.j2")
    sources = [template.read_text(encoding="utf-8")]
    sources += [p.read_text(encoding="utf-8") for p in PROJECT_CODE]
    keys = set()
    for text in sources:
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']\s*[,)]""", text))
        keys |= set(re.findall(r"""\b(?:refusal|_say)\([^"')]*["']([a-z_]+)["']""", text))
        keys |= set(re.findall(r"""catalog\[["']([a-z_]+)["']\]""", text))
    return keys


def _families() -> set[str]:
    """Keys built at run time from a name: one per rule kind, category, metric, outcome."""
    from fairgate.audit.policy import RULE_KINDS, RULE_METRICS
    from fairgate.audit.policy.reasons import DENOMINATORS, REASONS
    from fairgate.audit.report.tables import TABLE_METRICS
    from fairgate.detectors.sensitive_names import CATEGORIES

    kinds = (*RULE_KINDS, "explainability")
    keys = {f"rule_kind_{k}" for k in kinds} | {f"matters_{k}" for k in kinds}
    keys |= {f"reason_{k}" for k in kinds if k not in ("ratio", "difference")}
    keys |= {f"category_{c}" for c in (*CATEGORIES, "declared")}
    keys |= {f"rate_{m}" for m in RULE_METRICS} | {f"metric_{m}" for m in TABLE_METRICS}
    keys |= {f"outcome_{o}" for o in ("pass", "warn", "fail")}
    keys |= {f"decision_approve_{o}" for o in ("pass", "warn", "fail")}
    keys |= {f"headline_{o}" for o in ("pass", "warn", "fail")}
    keys |= {"why_" + code.replace(".", "_") for code in REASONS}
    keys |= {f"denominator_{d}" for d in DENOMINATORS}
    keys |= {f"strength_{s}" for s in ("strong", "moderate", "weak")}
    keys |= {"bound_at_least", "bound_at_most"}
    keys |= {f"model_kind_{k}" for k in ("binary", "multiclass", "regression", "scores")}
    keys |= {f"demo_why_{o}" for o in ("pass", "warn", "fail")}
    keys |= {f"demo_phase_{p}" for p in ("fair", "faulty")}
    evidence = ["name", "description", "values", "dictionary", "combined_values", "declared"]
    evidence += ["ethnicity_values", "resident_id", "single_letters_weak", "single_letters_name"]
    keys |= {f"evidence_{e}" for e in (*evidence, "single_letters_column")}
    glossary = ["selection_rate", "tpr", "fpr", "fnr", "precision", "disparity", "ci"]
    glossary += ["insufficient", "ratio", "proxy", "flip", "shap", "intersection"]
    keys |= {f"gloss_{g}" for g in glossary} | {f"gloss_{g}_term" for g in glossary}
    return keys


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_key_the_report_uses_is_in_the_catalog(lang):
    used = _used_keys() | _families()
    assert len(used) > 100
    assert used - set(load_catalog(lang)) == set()


def test_every_catalog_key_is_used():
    # the report's code, and the registry and command-line messages (votes, checkpoints, ...)
    root = REPORT_CODE.parents[1]
    files = [*REPORT_CODE.glob("*.py"), *(root / "registry").rglob("*.py")]
    files += [*(root / "fairgate").rglob("*.py")]
    code = "\n".join(p.read_text(encoding="utf-8") for p in files)
    literals = set(re.findall(r"""["']([a-z_]+)["']""", code))
    unused = set(load_catalog("en")) - _used_keys() - _families() - literals - _web_keys()
    assert unused == set(), sorted(unused)


def _web_keys() -> set[str]:
    """Keys the web pages use: literals in their templates and code, and the families they build."""
    root = REPORT_CODE.parents[1]
    files = [
        *(root / "report_templates" / "web").glob("*.j2"),
        *(root / "registry" / "web").glob("*.py"),
    ]
    used = set()
    for path in files:
        used |= set(re.findall(r"""["'](web_[a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    families = {u for u in used if u.endswith("_")}
    return used | {k for k in load_catalog("en") if k.startswith(tuple(families))}
