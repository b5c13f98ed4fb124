"""How ``fairgate demo`` prints: rich tables of groups, verdicts and the ledger's evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from fairgate.audit.report.result import AuditResult
    from fairgate.registry.store import LedgerEvent, ModelVersion, Registry

__all__ = [
    "failing_rules",
    "print_evidence",
    "print_filed",
    "print_ledger",
    "print_reports",
    "print_verdict",
]

_OUTCOME_STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}


def _fmt(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def failing_rules(result: AuditResult) -> str:
    """The ids of the rules an audit failed, comma-separated ("see the report" when none).

    Parameters
    ----------
    result : AuditResult
        The audit.

    Returns
    -------
    str
    """
    rules = [r for r in result.verdict.get("rules", []) if r.get("outcome") == "fail"]
    names = sorted({str(r.get("rule_id")) for r in rules})
    return ", ".join(names) or "see the report"


def print_filed(console: Console, record: ModelVersion, inputs: tuple[str, ...]) -> None:
    """One filed version: name, state, inputs and the artifact's hash.

    Parameters
    ----------
    console : rich.console.Console
        Where to print.
    record : ModelVersion
        The filed version.
    inputs : tuple of str
        The model's input columns.
    """
    console.print(
        f"[bold]filed[/bold] {record.name}@{record.version} by {record.vendor}: "
        f"state [bold]{record.state}[/bold]; inputs {', '.join(inputs)}; "
        f"artifact sha256 {(record.artifact_sha256 or '')[:16]}…"
    )


def print_reports(console: Console, result: AuditResult) -> None:
    """Per-group table of each attribute and intersection, with 95% intervals.

    Parameters
    ----------
    console : rich.console.Console
        Where to print.
    result : AuditResult
        The audit.
    """
    from rich.table import Table

    for key, report in result.reports.items():
        table = Table(title=key, title_justify="left")
        table.add_column("group")
        for name in ("n", "selection rate (95% CI)", "TPR", "FPR", "accuracy", "flag"):
            table.add_column(name, justify="right")
        for group in report["groups"]:
            m, lo, hi = group["metrics"], group["ci_low"], group["ci_high"]
            table.add_row(
                " & ".join(str(v) for v in group["group"].values()),
                f"{sum(group['counts'].values()):,}",
                f"{_fmt(m.get('selection_rate'))} "
                f"({_fmt(lo.get('selection_rate'))}–{_fmt(hi.get('selection_rate'))})",
                _fmt(m.get("true_positive_rate")),
                _fmt(m.get("false_positive_rate")),
                _fmt(m.get("accuracy")),
                "too small" if group["insufficient"] else "",
            )
        console.print(table)


def print_verdict(console: Console, result: AuditResult, policy: str) -> None:
    """The verdict, with every failing or warning rule and why.

    Parameters
    ----------
    console : rich.console.Console
        Where to print.
    result : AuditResult
        The audit.
    policy : str
        The policy the audit was judged by.
    """
    rules = result.verdict.get("rules", [])
    style = _OUTCOME_STYLE[result.outcome]
    counts = {o: sum(r.get("outcome") == o for r in rules) for o in _OUTCOME_STYLE}
    console.print(
        f"[bold {style}]Verdict: {result.outcome.upper()}[/bold {style}] under policy "
        f"'{policy}' — {counts['pass']} rules pass, {counts['warn']} warn, {counts['fail']} fail."
    )
    for rule in rules:
        if rule.get("outcome") in ("fail", "warn"):
            console.print(
                f"  • {rule['outcome']}: {rule.get('rule_id')}: {rule.get('why')}", markup=False
            )


def _rate_rows(evidence: dict[str, Any]) -> list[tuple[str, int, float | None]]:
    """``(group, decisions, value)`` per group of a breaker evidence record."""
    raw = evidence.get("counts", {}).get("raw_TP_FP_TN_FN_PU_NU", [])
    values = evidence.get("values", [])
    rows = []
    for group, cells, value in zip(evidence.get("groups", []), raw, values, strict=False):
        rows.append((" & ".join(str(g) for g in group), int(sum(cells)), value))
    return rows


def print_evidence(console: Console, event: LedgerEvent) -> None:
    """The breaker's evidence as the ledger holds it: rule, test, and the window's groups.

    Parameters
    ----------
    console : rich.console.Console
        Where to print.
    event : LedgerEvent
        A ``breaker_trip`` event.
    """
    from rich.table import Table

    evidence = event.payload.get("evidence", {})
    metric = evidence.get("metric", "?")
    window = evidence.get("window", {})
    compared = " vs ".join(" & ".join(map(str, g)) for g in evidence.get("compared", []))
    console.print(
        f"Ledger event {event.id} ({event.kind}, {event.created_at[:19]} UTC, by {event.actor}): "
        f"rule [bold]{event.payload.get('rule')}[/bold] — {metric} {evidence.get('kind')} "
        f"{_fmt(evidence.get('statistic'))} > threshold {_fmt(evidence.get('threshold'), 2)} "
        f"({compared}); {evidence.get('test')} p = {evidence.get('p_value', 0):.1e} < alpha "
        f"{evidence.get('alpha')}; {window.get('kind')} window of "
        f"{window.get('observations', 0):,} decisions."
    )
    table = Table(title="window at the trip", title_justify="left")
    table.add_column("group")
    table.add_column("decisions", justify="right")
    table.add_column(metric, justify="right")
    for group, n, value in _rate_rows(evidence):
        table.add_row(group, f"{n:,}", _fmt(value))
    console.print(table)
    console.print(f"event hash {event.hash[:16]}…, previous {event.prev_hash[:16]}…")


def print_ledger(console: Console, registry: Registry, name: str) -> None:
    """Every ledger event of a model, then the hash chain's check.

    Parameters
    ----------
    console : rich.console.Console
        Where to print.
    registry : Registry
        Whose ledger.
    name : str
        The model name.
    """
    from rich.table import Table

    table = Table(title=f"ledger of {name}", title_justify="left")
    for column in ("id", "time (UTC)", "version", "event", "by", "why"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for event in registry.events():
        if event.name != name:
            continue
        payload = event.payload
        why = payload.get("rationale") or payload.get("rule") or payload.get("verdict") or ""
        table.add_row(
            str(event.id),
            event.created_at[:19].replace("T", " "),
            event.version or "",
            event.kind,
            event.actor,
            str(why),
        )
    console.print(table)
    check = registry.verify_ledger()
    console.print(
        f"Ledger: {'intact' if check.ok else 'BROKEN'}, {check.count:,} events, "
        f"head {check.head_hash[:16] if check.head_hash else '-'}…"
    )
