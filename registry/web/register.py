"""The public register (公示): what anyone may read about every filed algorithm, and nothing more.

Each entry is built from an explicit list of public facts: name, version, purpose, department,
the vendor's organisation name, risk level, state and since when, the latest audit's verdict,
the decisions reported in the last 30 days with their automation and review shares, and each
suspension with its reason and date. No
token, e-mail address, responsible person, artifact or report path, evidence or internal note
is ever read into an entry.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from fairgate.registry.monitor.observations import ObservationStore
from fairgate.registry.monitor.oversight import automation_shares
from fairgate.registry.web.history import (
    LedgerHead,
    StateChange,
    all_events,
    decisions_since,
    latest_verdicts,
    ledger_head,
    state_changes,
)

__all__ = ["PublicEntry", "PublicRegister", "public_register"]

RECENT_DAYS = 30.0
"""The window of "decisions reported recently"."""


@dataclass(frozen=True)
class PublicEntry:
    """One filed model version in the public register."""

    name: str
    version: str
    purpose: str
    department: str
    vendor: str
    risk_level: str
    state: str
    since: str
    verdict: str
    decisions_30_days: int
    automation_share_30_days: float | None
    """Share of the decisions reported with their review status that no person reviewed."""
    review_share_30_days: float | None
    """Share of those decisions a person reviewed; ``None``: no review status was reported."""
    suspensions: tuple[StateChange, ...]
    """The changes to SUSPENDED: when, by whom (``by``) and why (``reason``)."""
    changes: tuple[StateChange, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``changes`` as ``{at, from, to}``)."""
        body = asdict(self)
        body["suspensions"] = [
            {"at": s.at, "by": s.by, "reason": s.reason} for s in self.suspensions
        ]
        body["changes"] = [
            {"at": c.at, "from": c.from_state, "to": c.to_state} for c in self.changes
        ]
        return body


@dataclass(frozen=True)
class PublicRegister:
    """Every entry, every state change (newest last) and the ledger head."""

    entries: tuple[PublicEntry, ...]
    changes: tuple[StateChange, ...]
    head: LedgerHead

    def to_dict(self) -> dict[str, Any]:
        """The JSON form served at ``/public/register.json``."""
        return {
            "ledger": {"length": self.head.length, "head_hash": self.head.hash},
            "algorithms": [e.to_dict() for e in self.entries],
        }


def _vendor_name(filing: dict[str, Any], owner: str | None) -> str:
    vendor = filing.get("vendor")
    if isinstance(vendor, dict) and vendor.get("name"):
        return str(vendor["name"])
    return owner or ""


def public_register(registry: Any) -> PublicRegister:
    """Build the public register from the registry and its ledger.

    Parameters
    ----------
    registry : Registry
        Its versions, filings, ledger and reported decisions are read; nothing else.

    Returns
    -------
    PublicRegister
        Public facts only (see the module's list).
    """
    changes = state_changes(all_events(registry.engine))
    by_version: dict[tuple[str, str], list[StateChange]] = defaultdict(list)
    for change in changes:
        by_version[(change.name, change.version)].append(change)
    volumes = decisions_since(registry.engine, RECENT_DAYS)
    verdicts = latest_verdicts(registry.engine)
    observations = ObservationStore(registry.engine)
    entries = []
    for mv in registry.list_versions():
        key = (mv.name, mv.version)
        own = tuple(by_version.get(key, ()))
        shares = automation_shares(observations, mv.name, mv.version, days=RECENT_DAYS)
        entries.append(
            PublicEntry(
                name=mv.name,
                version=mv.version,
                purpose=mv.purpose,
                department=mv.department,
                vendor=_vendor_name(registry.filing(mv.name, mv.version), mv.vendor),
                risk_level=mv.risk_level,
                state=mv.state,
                since=own[-1].at if own else mv.created_at.isoformat(),
                verdict=verdicts.get(key, "none"),
                decisions_30_days=volumes.get(key, 0),
                automation_share_30_days=shares.automation_share,
                review_share_30_days=shares.review_share,
                suspensions=tuple(c for c in own if c.to_state == "SUSPENDED"),
                changes=own,
            )
        )
    return PublicRegister(tuple(entries), tuple(changes), ledger_head(registry.engine))
