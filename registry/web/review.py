"""What the committee and vendor pages show: the queue, a version's review, its differences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fairgate.audit.report.catalog import Text
from fairgate.audit.report.sentences import RuleLine, rule_lines
from fairgate.registry.store import AuditRecord, ModelVersion, allowed_actions
from fairgate.registry.store.lifecycle import COMMITTEE_ACTIONS, DISSENT, MIN_RATIONALE
from fairgate.registry.store.records import AUDIT_COMPLETED
from fairgate.registry.web.history import model_events, state_changes

__all__ = [
    "AWAITING",
    "FILING_FIELDS",
    "MIN_RATIONALE",
    "VOTE_KINDS",
    "Blocker",
    "QueueItem",
    "Review",
    "RuleRow",
    "latest_completed",
    "previous_version",
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
    """One policy rule in the page's language: the previous and this version's latest audits.

    ``previous`` and ``current`` are the values as the rule's kind reads them (empty when the
    audit did not judge the rule); the outcomes are ``pass``, ``warn``, ``fail`` or empty.
    """

    rule: str
    attributes: str
    previous: str
    current: str
    previous_outcome: str
    current_outcome: str


@dataclass(frozen=True)
class Blocker:
    """A message that holds a version back, in the page's language.

    ``detail`` is the audit runner's own error text (English, marked so on the page), empty
    for a broken rule; ``attributes`` the attribute set a broken rule judged.
    """

    title: str
    text: str
    detail: str = ""
    attributes: str = ""


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
    blocking: list[Blocker] = field(default_factory=list)


def latest_completed(audits: list[AuditRecord]) -> AuditRecord | None:
    """The newest audit that reached a verdict (``None``: none did)."""
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
            latest = latest_completed(registry.audits(model.name, model.version))
            items.append(
                QueueItem(model, _since(registry, model), latest.verdict if latest else "none")
            )
    return sorted(items, key=lambda item: item.since)


@dataclass(frozen=True)
class _Judged:
    """The two parts of a stored audit result that :func:`rule_lines` reads."""

    policy: dict[str, Any]
    verdict: dict[str, Any]


def _lines(audit: AuditRecord | None, t: Text) -> list[RuleLine]:
    """The audit's rule results told in the page's language (none for a result without them)."""
    result = audit.result if audit is not None and isinstance(audit.result, dict) else {}
    verdict, policy = result.get("verdict"), result.get("policy")
    if not isinstance(verdict, dict) or not isinstance(policy, dict):
        return []
    return rule_lines(_Judged(policy, verdict), t)


def _rule_rows(previous: AuditRecord | None, current: AuditRecord | None, t: Text) -> list[RuleRow]:
    before = {line.key: line for line in _lines(previous, t)}
    after = {line.key: line for line in _lines(current, t)}
    rows = []
    for key in dict.fromkeys([*after, *before]):
        line = after.get(key) or before[key]
        b, a = before.get(key), after.get(key)
        rows.append(
            RuleRow(
                rule=line.title,
                attributes=line.attributes,
                previous=b.shown if b else "",
                current=a.shown if a else "",
                previous_outcome=b.outcome if b else "",
                current_outcome=a.outcome if a else "",
            )
        )
    return rows


def previous_version(registry: Any, model: ModelVersion) -> ModelVersion | None:
    """The version of the same name filed just before ``model`` (filing order)."""
    versions = [v.version for v in registry.list_versions(name=model.name)]
    place = versions.index(model.version)
    return registry.get(model.name, versions[place - 1]) if place > 0 else None


def review(registry: Any, name: str, version: str, *, lang: str) -> Review:
    """The version page's content, its sentences in the page's language.

    Parameters
    ----------
    registry : Registry
        The registry.
    name, version : str
        The model version.
    lang : {"en", "zh"}
        The page's language (rule titles, measured values, blocking messages).

    Returns
    -------
    Review

    Raises
    ------
    NotFoundError
        The version is not filed.
    """
    t = Text(lang)
    model = registry.get(name, version)
    filing = registry.filing(name, version)
    audits = registry.audits(name, version)
    current = latest_completed(audits)
    report_audit = next((a for a in reversed(audits) if a.report_path and a.error is None), None)
    previous = previous_version(registry, model)
    changed: list[tuple[str, Any, Any]] = []
    previous_verdict = None
    rows = _rule_rows(None, current, t)
    if previous is not None:
        before = registry.filing(previous.name, previous.version)
        changed = [
            (k, before.get(k), filing.get(k))
            for k in FILING_FIELDS
            if before.get(k) != filing.get(k)
        ]
        prev_audit = latest_completed(registry.audits(previous.name, previous.version))
        previous_verdict = prev_audit.verdict if prev_audit else "none"
        rows = _rule_rows(prev_audit, current, t)
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
        blocking=_blocking(current, audits, t),
    )


def _blocking(current: AuditRecord | None, audits: list[AuditRecord], t: Text) -> list[Blocker]:
    """What holds a version back: a failed audit run, then each broken rule with its reason."""
    out = []
    if audits and audits[-1].error:
        out.append(
            Blocker(t("web_blocking_audit_failed"), t("web_blocking_rerun"), audits[-1].error)
        )
    for line in _lines(current, t):
        if line.outcome == "fail":
            out.append(Blocker(line.title, line.sentence, attributes=line.attributes))
    return out


def vendor_overview(registry: Any, vendor: str, *, lang: str) -> list[Review]:
    """A vendor's own versions, each with its audits and the messages that block it.

    Parameters
    ----------
    registry : Registry
        The registry.
    vendor : str
        The signed-in vendor.
    lang : {"en", "zh"}
        The page's language.

    Returns
    -------
    list of Review
    """
    return [
        review(registry, mv.name, mv.version, lang=lang)
        for mv in registry.list_versions(vendor=vendor)
    ]
