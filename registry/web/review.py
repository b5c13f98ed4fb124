"""What the committee and vendor pages show: the queue, a version's review, its differences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fairgate.registry.store import AuditRecord, ModelVersion, allowed_actions
from fairgate.registry.store.lifecycle import COMMITTEE_ACTIONS, DISSENT, MIN_RATIONALE
from fairgate.registry.store.records import AUDIT_COMPLETED
from fairgate.registry.web.history import model_events, state_changes

__all__ = [
    "AWAITING",
    "FILING_FIELDS",
    "MIN_RATIONALE",
    "VOTE_KINDS",
    "QueueItem",
    "Review",
    "RuleRow",
    "queue",
    "review",
    "vendor_overview",
]

AWAITING: tuple[str, ...] = ("AUDITED", "SUSPENDED")
"""States that wait for a committee decision (approve or reject; reinstate or withdraw)."""

FILING_FIELDS: tuple[str, ...] = (
    "purpose",
    "intended_use",
    "department",
    "vendor",
    "responsible",
    "algorithm_type",
    "model_family",
    "mechanism",
    "application_domain",
    "features",
    "sensitive_variables",
    "prohibited_variables",
    "training_data",
    "limitations",
    "human_oversight",
    "risk_level",
    "policy",
)
"""The filing fields the review page shows and compares (each has a ``web_field_*`` label)."""


VOTE_KINDS: tuple[str, ...] = (
    "vote",
    "dissent",
    "approve",
    "reject",
    "suspend",
    "reinstate",
    "withdraw",
    "breaker_trip",
)
"""Ledger events that are a member's vote, dissent or decision (or the breaker's) on a version."""


@dataclass(frozen=True)
class QueueItem:
    """A version awaiting a decision and since when."""

    model: ModelVersion
    since: str
    verdict: str


@dataclass(frozen=True)
class RuleRow:
    """One policy rule's value in the previous and the current version's latest audits."""

    rule: str
    previous: Any
    current: Any
    previous_outcome: str
    current_outcome: str


@dataclass(frozen=True)
class Review:
    """Everything the version page shows."""

    model: ModelVersion
    filing: dict[str, Any]
    audits: list[AuditRecord]
    report_audit: AuditRecord | None
    previous: ModelVersion | None
    changed_fields: list[tuple[str, Any, Any]]
    previous_verdict: str | None
    verdict: str
    rules: list[RuleRow]
    events: list[Any]
    votes: list[Any]
    actions: list[str]
    blocking: list[str] = field(default_factory=list)


def _latest_completed(audits: list[AuditRecord]) -> AuditRecord | None:
    done = [a for a in audits if a.status == AUDIT_COMPLETED]
    return done[-1] if done else None


def _since(registry: Any, model: ModelVersion) -> str:
    changes = [
        c
        for c in state_changes(model_events(registry.engine, model.name))
        if c.version == model.version
    ]
    return changes[-1].at if changes else model.updated_at.isoformat()


def queue(registry: Any) -> list[QueueItem]:
    """The versions awaiting a committee decision, the longest waiting first.

    Parameters
    ----------
    registry : Registry
        The registry.

    Returns
    -------
    list of QueueItem
    """
    items = []
    for state in AWAITING:
        for model in registry.list_versions(state=state):
            latest = _latest_completed(registry.audits(model.name, model.version))
            items.append(
                QueueItem(model, _since(registry, model), latest.verdict if latest else "none")
            )
    return sorted(items, key=lambda item: item.since)


def _rules(audit: AuditRecord | None) -> dict[str, dict[str, Any]]:
    if audit is None:
        return {}
    verdict = audit.result.get("verdict") if isinstance(audit.result, dict) else None
    rules = verdict.get("rules", []) if isinstance(verdict, dict) else []
    return {str(r.get("description") or r.get("rule_id")): r for r in rules if isinstance(r, dict)}


def _rule_rows(previous: AuditRecord | None, current: AuditRecord | None) -> list[RuleRow]:
    before, after = _rules(previous), _rules(current)
    rows = []
    for key in dict.fromkeys([*after, *before]):
        b, a = before.get(key, {}), after.get(key, {})
        rows.append(
            RuleRow(
                key,
                b.get("value"),
                a.get("value"),
                str(b.get("outcome", "")),
                str(a.get("outcome", "")),
            )
        )
    return rows


def _previous_version(registry: Any, model: ModelVersion) -> ModelVersion | None:
    """The version of the same name filed just before ``model`` (filing order)."""
    versions = [v.version for v in registry.list_versions(name=model.name)]
    place = versions.index(model.version)
    return registry.get(model.name, versions[place - 1]) if place > 0 else None


def review(registry: Any, name: str, version: str) -> Review:
    """The version page's content.

    Parameters
    ----------
    registry : Registry
        The registry.
    name, version : str
        The model version.

    Returns
    -------
    Review

    Raises
    ------
    NotFoundError
        The version is not filed.
    """
    model = registry.get(name, version)
    filing = registry.filing(name, version)
    audits = registry.audits(name, version)
    current = _latest_completed(audits)
    report_audit = next((a for a in reversed(audits) if a.report_path and a.error is None), None)
    previous = _previous_version(registry, model)
    changed: list[tuple[str, Any, Any]] = []
    previous_verdict = None
    rows = _rule_rows(None, current)
    if previous is not None:
        before = registry.filing(previous.name, previous.version)
        changed = [
            (k, before.get(k), filing.get(k))
            for k in FILING_FIELDS
            if before.get(k) != filing.get(k)
        ]
        prev_audit = _latest_completed(registry.audits(previous.name, previous.version))
        previous_verdict = prev_audit.verdict if prev_audit else "none"
        rows = _rule_rows(prev_audit, current)
    actions = [a for a in allowed_actions(model.state) if a in COMMITTEE_ACTIONS]
    if model.state in AWAITING:
        actions.append(DISSENT)
    events = model_events(registry.engine, name)
    return Review(
        model=model,
        filing=filing,
        audits=audits,
        report_audit=report_audit,
        previous=previous,
        changed_fields=changed,
        previous_verdict=previous_verdict,
        verdict=current.verdict if current else "none",
        rules=rows,
        events=events,
        votes=[e for e in events if e.version == version and e.kind in VOTE_KINDS],
        actions=actions,
        blocking=_blocking(current, audits),
    )


def _blocking(current: AuditRecord | None, audits: list[AuditRecord]) -> list[str]:
    """The messages that hold a version back: failing rules' reasons, a failed run's error."""
    out = []
    if audits and audits[-1].error:
        out.append(audits[-1].error)
    verdict = (
        current.result.get("verdict") if current and isinstance(current.result, dict) else None
    )
    for rule in verdict.get("rules", []) if isinstance(verdict, dict) else []:
        if isinstance(rule, dict) and rule.get("outcome") == "fail":
            out.append(str(rule.get("why") or rule.get("description") or rule.get("rule_id")))
    return out


def vendor_overview(registry: Any, vendor: str) -> list[Review]:
    """A vendor's own versions, each with its audits and the messages that block it.

    Parameters
    ----------
    registry : Registry
        The registry.
    vendor : str
        The signed-in vendor.

    Returns
    -------
    list of Review
    """
    return [review(registry, mv.name, mv.version) for mv in registry.list_versions(vendor=vendor)]
