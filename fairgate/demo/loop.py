"""``fairgate demo``: the whole loop on the embedded default (SQLite under ``FAIRGATE_HOME``).

A vendor files two versions of a model trained on the Toronto arrests data: version A takes colour
and sex among its inputs, version B does not. Each is audited (per-group metrics with confidence
intervals, prohibited variables and proxies, flip test, SHAP, the written policy), with an HTML
report and a reproducing notebook; the committee then decides: a failing audit is rejected, a
passing one approved, so the model may serve. Every step is an event in the hash-chained ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEMO_MODEL", "DemoOutcome", "run_demo"]

DEMO_MODEL = "toronto-arrests-release"
_VENDOR = "demo vendor (city data office)"
_AUDITOR = "fairgate audit runner"
_COMMITTEE = "demo committee member"


@dataclass(frozen=True)
class DemoOutcome:
    """What one filed version of the demo went through."""

    version: str
    features: tuple[str, ...]
    verdict: str
    state: str
    report: Path
    notebook: Path


def run_demo(
    *,
    seed: int = 0,
    lang: str = "en",
    policy: str | None = None,
    console: Any = None,
) -> list[DemoOutcome]:
    """File, audit and decide on the two demo versions, printing tables and verdicts.

    Parameters
    ----------
    seed : int, default 0
        Seed of the data split, the models and the audit.
    lang : {"en", "zh"}, default "en"
        Language of the HTML reports.
    policy : str, optional
        A built-in policy name or a policy file (default: the filing's policy, else "default").
    console : rich.console.Console, optional
        Where to print (default: standard output).

    Returns
    -------
    list of DemoOutcome
    """
    import skops.io as sio
    from rich.console import Console

    from fairgate.audit.pipeline.run import run_audit
    from fairgate.demo.data import FEATURES, UNAWARE_FEATURES, arrests_model, load_arrests_frame
    from fairgate.registry.store import Registry
    from fairgate.registry.store.filing import example_filing_path, parse_filing
    from fairgate.settings import get_settings

    console = console or Console()
    settings = get_settings()
    settings.ensure_home()
    registry = Registry(settings)
    base = parse_filing(example_filing_path()).model_dump(mode="json")
    with console.status("Loading the Toronto arrests data (scikit-lego)…"):
        data = load_arrests_frame(seed)
    console.print(
        f"[bold]fairgate demo[/bold] — registry and reports under {settings.home}\n"
        f"Toronto arrests data: {len(data.train):,} rows to train, {len(data.audit):,} to audit."
    )
    outcomes = []
    plans = [
        ("A", FEATURES, "uses colour and sex among its inputs"),
        ("B", UNAWARE_FEATURES, "does not take colour or sex as inputs"),
    ]
    for label, features, what in plans:
        version = _next_version(registry, DEMO_MODEL)
        console.rule(f"{DEMO_MODEL} version {version} (model {label}: {what})")
        work = settings.home / "demo" / f"{DEMO_MODEL}-{version}"
        work.mkdir(parents=True, exist_ok=True)
        with console.status("Training the model…"):
            model = arrests_model(data.train, seed, features=list(features))
            sio.dump(model, work / "model.skops")
            data.audit.to_parquet(work / "audit.parquet", index=False)
        filing = _filing(base, version, features)
        record = registry.file(filing, work / "model.skops", actor=_VENDOR)
        console.print(f"[bold]filed[/bold] by {_VENDOR}: state {record.state}")
        out_dir = settings.reports_dir / DEMO_MODEL / version
        result = run_audit(
            record.artifact_path,
            work / "audit.parquet",
            registry.filing_object(DEMO_MODEL, version),
            policy or filing.get("policy") or "default",
            seed=seed,
            out_dir=out_dir,
            lang=lang,
            progress=True,
        )
        registry.record_result(
            DEMO_MODEL, version, result, report_path=str(out_dir / "report.html"), actor=_AUDITOR
        )
        _print_reports(console, result)
        _print_verdict(console, result)
        if result.outcome == "fail":
            record = registry.decide(
                DEMO_MODEL,
                version,
                "reject",
                rationale=f"The audit failed ({_failing(result)}); the model may not serve.",
                actor=_COMMITTEE,
            )
        else:
            record = registry.decide(
                DEMO_MODEL,
                version,
                "approve",
                rationale="The audit passed every rule of the policy; approved for service.",
                actor=_COMMITTEE,
            )
        console.print(f"[bold]committee[/bold]: {record.state}")
        outcomes.append(
            DemoOutcome(
                version,
                tuple(features),
                result.outcome,
                record.state,
                out_dir / "report.html",
                out_dir / "audit.ipynb",
            )
        )
    _print_summary(console, registry, outcomes)
    return outcomes


def _next_version(registry: Any, name: str) -> str:
    taken = {mv.version for mv in registry.list_versions(name=name)}
    number = 1
    while str(number) in taken:
        number += 1
    return str(number)


def _filing(base: dict[str, Any], version: str, features: Any) -> dict[str, Any]:
    keep = set(features)
    filing = dict(base)
    filing["version"] = version
    filing["features"] = [f for f in base["features"] if f["name"] in keep]
    filing["prohibited_variables"] = [
        v for v in base.get("prohibited_variables", []) if v not in keep
    ]
    filing.pop("filed_on", None)
    return filing


def _failing(result: Any) -> str:
    rules = [r for r in result.verdict.get("rules", []) if r.get("outcome") == "fail"]
    names = sorted({str(r.get("rule_id")) for r in rules})
    return ", ".join(names) or "see the report"


def _label(group: dict[str, Any]) -> str:
    return " & ".join(str(v) for v in group.values())


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


def _print_reports(console: Any, result: Any) -> None:
    from rich.table import Table

    for key, report in result.reports.items():
        table = Table(title=key, title_justify="left")
        table.add_column("group")
        for name in ("n", "selection rate (95% CI)", "TPR", "FPR", "accuracy", "flag"):
            table.add_column(name, justify="right")
        for group in report["groups"]:
            m, lo, hi = group["metrics"], group["ci_low"], group["ci_high"]
            table.add_row(
                _label(group["group"]),
                f"{sum(group['counts'].values()):,}",
                f"{_fmt(m.get('selection_rate'))} "
                f"({_fmt(lo.get('selection_rate'))}–{_fmt(hi.get('selection_rate'))})",
                _fmt(m.get("true_positive_rate")),
                _fmt(m.get("false_positive_rate")),
                _fmt(m.get("accuracy")),
                "too small" if group["insufficient"] else "",
            )
        console.print(table)


def _print_verdict(console: Any, result: Any) -> None:
    rules = result.verdict.get("rules", [])
    colour = {"pass": "green", "warn": "yellow", "fail": "red"}[result.outcome]
    counts = {o: sum(r.get("outcome") == o for r in rules) for o in ("pass", "warn", "fail")}
    console.print(
        f"[bold {colour}]Verdict: {result.outcome.upper()}[/bold {colour}] — "
        f"{counts['pass']} rules pass, {counts['warn']} warn, {counts['fail']} fail."
    )
    for rule in rules:
        if rule.get("outcome") in ("fail", "warn"):
            console.print(
                f"  • {rule['outcome']}: {rule.get('rule_id')}: {rule.get('why')}", markup=False
            )


def _print_summary(console: Any, registry: Any, outcomes: list[DemoOutcome]) -> None:
    from rich.table import Table

    console.rule("Summary")
    table = Table(title_justify="left")
    for name in ("version", "inputs", "verdict", "state", "report"):
        table.add_column(name)
    for o in outcomes:
        table.add_row(o.version, ", ".join(o.features), o.verdict, o.state, str(o.report))
    console.print(table)
    check = registry.verify_ledger()
    console.print(
        f"Ledger: {'intact' if check.ok else 'BROKEN'}, {check.count:,} events. "
        "Open a report in a browser; each folder also holds the notebook that reproduces it."
    )
