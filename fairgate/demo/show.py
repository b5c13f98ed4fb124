"""How ``fairgate demo`` prints: every line from the message catalogs, in the demo's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from fairgate.audit.report.catalog import Text
    from fairgate.audit.report.result import AuditResult
    from fairgate.registry.store import LedgerEvent, ModelVersion, Registry

__all__ = ["DemoPrinter", "reason_phrases"]

_OUTCOME_STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}
_GROUP_RATES = ("true_positive_rate", "false_positive_rate", "accuracy")
_STAGES = {
    "file": "demo_step_file",
    "audit": "demo_step_audit",
    "serve": "demo_step_serve",
    "exit": "demo_step_exit",
}
_FINDINGS = {"difference": "demo_finding_difference", "ratio": "demo_finding_ratio"}
_TESTS = {
    "chi2": "demo_test_chi_squared",
    "fisher": "demo_test_fisher",
    "welch": "demo_test_welch",
    "t_one_sided": "demo_test_t_one_sided",
}
_WINDOWS = {"sliding": "demo_window_sliding", "tumbling": "demo_window_tumbling"}
_LEDGER_COLUMNS = (
    ("demo_col_id", "right"),
    ("demo_col_time", "left"),
    ("demo_col_version", "left"),
    ("demo_col_event", "left"),
    ("demo_col_by", "left"),
    ("demo_col_why", "left"),
)


def _group(values: Any) -> str:
    """A group (its values joined with " & ")."""
    return " & ".join(str(v) for v in values)


@dataclass(frozen=True)
class DemoPrinter:
    """Prints the demo's stages to ``console`` in the language of ``t``.

    Attributes
    ----------
    console : rich.console.Console
        Where to print.
    t : Text
        The message catalog of the demo's language.
    """

    console: Console
    t: Text

    def _fmt(self, value: Any, digits: int = 3) -> str:
        return self.t.num(None if value is None else float(value), digits)

    def _table(self, title: str, columns: list[tuple[str, str]]) -> Any:
        """A rich table titled ``title`` with ``(header, justify)`` columns."""
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for header, justify in columns:
            table.add_column(header, justify=justify)  # type: ignore[arg-type]
        return table

    def state(self, state: str) -> str:
        """A lifecycle state in words ("Suspended")."""
        return self.t(f"web_state_{state}")

    def stage(self, step: str, detail: str) -> None:
        """A rule line opening one stage of the loop (备案, 评估, 审批, 上线, 退出).

        Parameters
        ----------
        step : {"file", "audit", "serve", "exit"}
            The stage.
        detail : str
            What the stage is about.
        """
        self.console.rule(f"[bold]{self.t(_STAGES[step])}[/bold] — {detail}")

    def filed(self, record: ModelVersion, inputs: tuple[str, ...]) -> None:
        """One filed version: name, state, inputs and the artifact's hash.

        Parameters
        ----------
        record : ModelVersion
            The filed version.
        inputs : tuple of str
            The model's input columns.
        """
        self.console.print(
            self.t(
                "demo_filed",
                model=f"{record.name}@{record.version}",
                state=self.state(record.state),
                inputs=self.t.join(inputs),
                sha=(record.artifact_sha256 or "")[:16],
            )
        )

    def reports(self, result: AuditResult) -> None:
        """Per-group table of each attribute and intersection, with 95% intervals.

        Parameters
        ----------
        result : AuditResult
            The audit.
        """
        t = self.t
        columns = [(t("demo_col_group"), "left"), (t("demo_col_people"), "right")]
        columns.append((t("demo_col_interval", metric=t.metric("selection_rate")), "right"))
        columns += [(t.rate(name), "right") for name in _GROUP_RATES]
        columns.append((t("demo_col_flag"), "right"))
        for key, report in result.reports.items():
            table = self._table(" × ".join(key.split(" x ")), columns)
            for group in report["groups"]:
                m, lo, hi = group["metrics"], group["ci_low"], group["ci_high"]
                interval = t(
                    "demo_interval",
                    value=self._fmt(m.get("selection_rate")),
                    low=self._fmt(lo.get("selection_rate")),
                    high=self._fmt(hi.get("selection_rate")),
                )
                table.add_row(
                    _group(group["group"].values()),
                    t.num(int(sum(group["counts"].values()))),
                    interval,
                    *(self._fmt(m.get(name)) for name in _GROUP_RATES),
                    t("demo_too_small") if group["insufficient"] else "",
                )
            self.console.print(table)

    def verdict(self, result: AuditResult, policy: str) -> None:
        """The verdict's headline, the rule counts, and every failing or warning rule in words.

        Parameters
        ----------
        result : AuditResult
            The audit.
        policy : str
            The policy the audit was judged by.
        """
        from fairgate.audit.report.sentences import headline, rule_lines

        t, style = self.t, _OUTCOME_STYLE[result.outcome]
        lines = rule_lines(result, t)
        counts = {o: sum(line.outcome == o for line in lines) for o in _OUTCOME_STYLE}
        self.console.print(
            f"[bold {style}]{t('demo_verdict', outcome=t.outcome(result.outcome))}[/bold {style}] "
            + headline(result.outcome, lines, policy, t)
            + " "
            + t("verdict_counts", fail=counts["fail"], warn=counts["warn"], passed=counts["pass"])
        )
        for line in lines:
            if line.outcome in ("fail", "warn"):
                where = f" ({line.attributes})" if line.attributes else ""
                text = t(
                    "demo_rule_line",
                    outcome=t.outcome(line.outcome),
                    title=line.title + where,
                    sentence=line.sentence,
                )
                self.console.print("  • " + text, markup=False)

    def decision(self, state: str, why: str) -> None:
        """The committee's decision: the new state and the written rationale.

        Parameters
        ----------
        state : str
            The state after the decision.
        why : str
            The rationale.
        """
        t = self.t
        step = f"[bold]{t('demo_step_committee')}[/bold]"
        self.console.print(t("demo_decision", step=step, state=self.state(state), why=why))

    def actor(self, actor: str) -> str:
        """Who acted, in words: the circuit breaker and fairgate itself are named by the catalog."""
        from fairgate.registry.store.records import BREAKER_ACTOR

        return {BREAKER_ACTOR: self.t("demo_actor_breaker")}.get(actor, actor)

    def evidence(self, event: LedgerEvent) -> None:
        """The breaker's evidence as the ledger holds it: the test, and the window's groups.

        Parameters
        ----------
        event : LedgerEvent
            A ``breaker_trip`` event.
        """
        t = self.t
        evidence = event.payload["evidence"]
        metric, window = evidence["metric"], evidence["window"]
        self.console.print(
            t(
                "demo_evidence",
                id=event.id,
                event=t(f"web_event_{event.kind}"),
                time=t.date(event.created_at),
                actor=self.actor(event.actor),
                attributes=" × ".join(evidence["attributes"]),
                finding=t(
                    _FINDINGS[evidence["kind"]],
                    metric=t.rate(metric),
                    value=self._fmt(evidence["statistic"]),
                    threshold=self._fmt(evidence["threshold"], 2),
                ),
                compared=t(
                    "demo_versus",
                    a=_group(evidence["compared"][0]),
                    b=_group(evidence["compared"][1]),
                ),
                test=t(_TESTS[evidence["test"]]),
                p=f"{evidence['p_value']:.1e}",
                alpha=t.num(evidence["alpha"], 3),
                window=t(_WINDOWS[window["kind"]], n=t.num(int(window["observations"]))),
            )
        )
        table = self._table(
            t("demo_window_title"),
            [
                (t("demo_col_group"), "left"),
                (t("demo_col_decisions"), "right"),
                (t.rate(metric), "right"),
            ],
        )
        raw = evidence["counts"]["raw_TP_FP_TN_FN_PU_NU"]
        for group, cells, value in zip(evidence["groups"], raw, evidence["values"], strict=True):
            table.add_row(_group(group), t.num(int(sum(cells))), self._fmt(value))
        self.console.print(table)
        self.console.print(t("demo_hashes", hash=event.hash[:16], previous=event.prev_hash[:16]))

    def _why(self, event: LedgerEvent) -> str:
        """What a ledger row says in its last column, in the demo's language."""
        payload = event.payload
        if event.kind == "audit":
            return self.t.outcome(str(payload["verdict"]))
        if event.kind == "breaker_trip":
            evidence = payload["evidence"]
            attributes = " × ".join(evidence["attributes"])
            return self.t(
                "demo_why_trip", metric=self.t.rate(evidence["metric"]), attributes=attributes
            )
        if event.kind == "policy_assign":
            return str(payload["policy"]["name"])
        return str(payload.get("rationale") or "")

    def ledger(self, registry: Registry, name: str) -> None:
        """Every ledger event of a model, then the hash chain's check.

        Parameters
        ----------
        registry : Registry
            Whose ledger.
        name : str
            The model name.
        """
        t = self.t
        table = self._table(
            t("demo_ledger_title", name=name),
            [(t(key), justify) for key, justify in _LEDGER_COLUMNS],
        )
        for event in registry.events():
            if event.name == name:
                table.add_row(
                    str(event.id),
                    t.date(event.created_at),
                    event.version or "",
                    t(f"web_event_{event.kind}"),
                    self.actor(event.actor),
                    self._why(event),
                )
        self.console.print(table)
        check = registry.verify_ledger()
        self.console.print(
            t(
                "demo_ledger_ok" if check.ok else "demo_ledger_broken",
                count=t.num(check.count),
                head=(check.head_hash or "")[:16],
            )
        )


def reason_phrases(result: AuditResult, t: Text) -> str:
    """The reasons of the rules an audit failed, in words, for the committee's rationale.

    Parameters
    ----------
    result : AuditResult
        The audit.
    t : Text
        The catalog of the rationale's language.

    Returns
    -------
    str
    """
    from fairgate.audit.report.sentences import rule_lines

    lines = [line for line in rule_lines(result, t) if line.outcome == "fail"]
    return t.join(dict.fromkeys(line.reason for line in lines))
