"""The README's first command: `fairgate demo` runs the whole loop on the embedded default,
备案 -> 评估 -> 退出: file, audit, committee decision, live decisions through StatusClient to an
in-process service, the breaker tripping on a biased stream, the model suspended, the evidence
in the ledger."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

_DATA_NAMES = frozenset(
    {
        "fairgate",  # the product
        "StatusClient",  # the client class the serving side uses
        "toronto-arrests-release",  # the demo's model name
        "default",  # the policy name
        *("colour", "year", "age", "sex", "employed", "citizen", "checks"),  # inputs
        *("Black", "White", "Female", "Male"),  # group values
        "A",  # the two model plans
        "B",
        "p",  # a p-value
    }
)
"""Words in the demo's output that are data values or names, the same in every language."""


def _words(out: str, home) -> set[str]:
    """Runs of ASCII letters in ``out`` that are not paths, URLs, hashes or numbers."""
    text = out.replace(str(home), "")
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"/[A-Za-z0-9_./\-]+", " ", text)  # the rest of a path under FAIRGATE_HOME
    text = re.sub(r"\b[0-9a-f]{16}…", " ", text)  # shortened hashes
    return set(re.findall(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_\-]*", text))


def _run_demo(home, lang: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FAIRGATE_HOME": str(home), "COLUMNS": "300"}
    env.pop("FAIRGATE_BREAKER_POLICY", None)
    return subprocess.run(
        [sys.executable, "-c", "from fairgate.cli import main; main()", "demo", "--lang", lang],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_demo_files_audits_decides_serves_and_trips(tmp_path, lang):
    from fairgate.audit.report.catalog import Text, load_catalog

    home = tmp_path / "home"
    run = _run_demo(home, lang)
    assert run.returncode == 0, run.stderr[-3000:]
    out, t = run.stdout, Text(lang)
    assert t("demo_verdict", outcome=t.outcome("fail")) in out  # version 1 uses colour, sex
    assert t("reason_prohibited") in out  # ... and the rationale says so in words
    assert t("web_state_REJECTED") in out and t("web_state_ACTIVE") in out
    assert t("demo_service", url="\0", client="StatusClient").split("\0")[0] in out
    assert t("demo_tripped") in out and t("web_event_breaker_trip") in out
    assert t("demo_ledger_ok", count="11", head="").rstrip("…") in out  # 2 publications
    assert (
        t("demo_finding_difference", metric=t.rate("selection_rate"), value="0", threshold="0")[:4]
        in out
    )

    # Every word comes from the catalog of the language: no rule id, metric id or English
    # sentence written in the code.
    words = _words(out, home)
    if lang == "zh":
        assert words <= _DATA_NAMES, sorted(words - _DATA_NAMES)
    else:
        assert not re.search(r"[\u3400-\u9fff]", out)
        catalog = set(re.findall(r"[A-Za-z][A-Za-z\-]*", " ".join(load_catalog("en").values())))
        dates = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
        allowed = _DATA_NAMES | catalog | dates | {"AM", "PM"}
        assert words <= allowed, sorted(words - allowed)
        assert not [w for w in words if "_" in w]  # no identifier reaches the console
    for version in ("1", "2"):
        folder = home / "reports" / "toronto-arrests-release" / version
        assert (folder / "report.html").stat().st_size > 10_000
        assert (folder / "audit.ipynb").exists() and (folder / "audit.json").exists()

    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    reg = Registry(Settings(home=home))
    states = {m.version: m.state for m in reg.list_versions()}
    assert states == {"1": "REJECTED", "2": "SUSPENDED"}
    assert [a.verdict for a in reg.audits("toronto-arrests-release", "2")] in (["pass"], ["warn"])
    events = reg.events()
    assert [e.kind for e in events] == [
        "policy_publish",  # the built-in policies, published at first start
        "policy_publish",
        "file",
        "policy_assign",  # the committee's policy pinned to the filing
        "file",
        "policy_assign",
        "audit",
        "reject",
        "audit",
        "approve",
        "breaker_trip",
    ]
    assert events[2].actor == t("demo_actor_vendor") and events[7].actor == t(
        "demo_actor_committee"
    )
    trip = events[-1].payload
    assert trip["evidence"]["p_value"] < trip["evidence"]["alpha"]
    assert trip["evidence"]["statistic"] > trip["evidence"]["threshold"]
    assert reg.verify_ledger().ok


def test_run_demo_audit_writes_under_fairgate_home(_isolated_home):
    from fairgate.demo import run_demo_audit

    result = run_demo_audit(lang="zh")
    out = _isolated_home / "reports" / "arrests-demo"
    assert (out / "report.html").exists() and (out / "audit.ipynb").exists()
    assert set(result.reports) == {"colour", "sex", "colour x sex"}
    assert result.explanation and set(result.explanation["group_importance"]) == {"colour", "sex"}
    assert "公平性审计报告" in (out / "report.html").read_text(encoding="utf-8")


def test_the_audit_layer_does_not_import_the_demo():
    from pathlib import Path

    import fairgate.audit

    root = Path(fairgate.audit.__file__).parent
    importers = [p for p in root.rglob("*.py") if "fairgate.demo" in p.read_text(encoding="utf-8")]
    assert importers == []
    assert not hasattr(fairgate.audit, "run_demo_audit")
