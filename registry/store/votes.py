"""Committee votes on a version's pending question (approve or reinstate) and their quorum.

A version that is AUDITED has the pending question *approve*; one that is SUSPENDED has
*reinstate* (:func:`pending_question`). Each committee member votes once on it: in favour (the
action itself) or against (``dissent``), always with a rationale. A vote in favour that brings the
number of distinct members in favour to the quorum makes the state change; until then each vote
is a ``vote`` (or ``dissent``) ledger event and the state stays. Every state change closes the
open votes, so a new question starts with none. Rows live in the ``votes`` table; the functions
here run inside the caller's write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.errors import ConflictError
from fairgate.registry.store.lifecycle import State
from fairgate.registry.store.rows import Record, from_row, iso_time
from fairgate.registry.store.tables import model_versions, votes

__all__ = [
    "AGAINST",
    "FOR",
    "QUESTIONS",
    "Vote",
    "VoteTally",
    "cast",
    "check_not_voted",
    "close_open",
    "conclude",
    "dissent",
    "no_pending_question",
    "open_votes",
    "pending_question",
    "quorum_for",
    "tally",
    "vote_for",
]

FOR = "for"
AGAINST = "against"
QUESTIONS: dict[State, str] = {State.AUDITED: "approve", State.SUSPENDED: "reinstate"}
"""The question a quorum decides, per state."""
_QUESTION_KEYS = {"approve": "vote_question_approve", "reinstate": "vote_question_reinstate"}


def pending_question(state: State | str) -> str | None:
    """The action a quorum decides in ``state`` (``approve``, ``reinstate``), or None."""
    return QUESTIONS.get(State(state))


@dataclass(frozen=True)
class Vote(Record):
    """One committee member's vote.

    Attributes
    ----------
    member : str
        The voter as the ledger records it (e.g. ``committee:A. Member``).
    question : str
        ``approve`` or ``reinstate``.
    vote : {"for", "against"}
    rationale : str
    state : str
        The version's state when the vote was cast.
    event_id : int
        Its ledger event.
    created_at : str
        ISO 8601, UTC.
    open : bool
        Still counts (no state change since).
    """

    member: str
    question: str
    vote: str
    rationale: str
    state: str
    event_id: int
    created_at: str
    open: bool


@dataclass(frozen=True)
class VoteTally:
    """The votes of one model version.

    Attributes
    ----------
    name, version, state : str
    question : str or None
        The pending question (None when the state has none).
    quorum : int
        Distinct members in favour needed to decide it.
    in_favour, dissents : tuple of Vote
        The open votes on the question.
    history : tuple of Vote
        Every vote on the version, oldest first (closed ones included).
    """

    name: str
    version: str
    state: str
    question: str | None
    quorum: int
    in_favour: tuple[Vote, ...] = ()
    dissents: tuple[Vote, ...] = ()
    history: tuple[Vote, ...] = field(default=())

    @property
    def needed(self) -> int:
        """Votes in favour still needed (0 when there is no pending question)."""
        return max(self.quorum - len(self.in_favour), 0) if self.question else 0

    def summary(self, lang: str = "en") -> str:
        """Where the vote stands, in plain words (``en`` or ``zh``, from the catalogs)."""
        if self.question is None:
            return _text(lang, "vote_no_question").format(state=self.state)
        text = _text(lang, "vote_progress").format(
            count=len(self.in_favour),
            quorum=self.quorum,
            question=_text(lang, _QUESTION_KEYS[self.question]),
            needed=self.needed,
        )
        if self.dissents:
            text += " " + _text(lang, "vote_dissents").format(count=len(self.dissents))
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, with the summary in every language."""
        return {
            "summary": {"en": self.summary("en"), "zh": self.summary("zh")},
            "name": self.name,
            "version": self.version,
            "state": self.state,
            "question": self.question,
            "quorum": self.quorum,
            "in_favour": [v.to_dict() for v in self.in_favour],
            "dissents": [v.to_dict() for v in self.dissents],
            "needed": self.needed,
            "history": [v.to_dict() for v in self.history],
        }


def _history(conn: Connection, model_id: int) -> list[Vote]:
    """Every vote on a version, oldest first."""
    rows = conn.execute(sa.select(votes).where(votes.c.model_id == model_id).order_by(votes.c.id))
    return [
        from_row(Vote, r, created_at=iso_time(r.created_at), open=r.closed_at is None)
        for r in rows.all()
    ]


def _text(lang: str, key: str) -> str:
    from fairgate.audit.report.catalog import load_catalog

    return load_catalog(lang)[key]


def no_pending_question(state: str, what: str) -> ConflictError:
    """The refusal of a dissent when nothing awaits a vote (the message from the catalog)."""
    params = {"model": what, "state": state}
    return ConflictError(
        _text("en", "vote_no_pending").format(**params),
        details={"key": "vote_no_pending", **params},
    )


def open_votes(conn: Connection, model_id: int, state: str) -> list[Vote]:
    """The open votes of a version cast in its current ``state``, oldest first."""
    return [v for v in _history(conn, model_id) if v.open and v.state == state]


def check_not_voted(conn: Connection, row: Any, member: str) -> None:
    """Lock the version's row for a vote; refuse it if its state moved or ``member`` voted.

    ``FOR UPDATE`` on PostgreSQL (SQLite's write transaction already serialises), so two members
    voting at once are counted one after the other.

    Raises
    ------
    ConflictError
        The state changed meanwhile, or the member already voted on the open question (naming
        the earlier vote).
    """
    what = f"{row.name}@{row.version}"
    state = conn.execute(
        sa.select(model_versions.c.state).where(model_versions.c.id == row.id).with_for_update()
    ).scalar_one()
    if state != row.state:
        raise ConflictError(
            f"{what} changed from {row.state} to {state} while the vote was cast; read its "
            "state again and vote on the question now pending."
        )
    for earlier in open_votes(conn, row.id, row.state):
        if earlier.member == member:
            params = {
                "member": member,
                "question": _text("en", _QUESTION_KEYS[earlier.question]),
                "model": what,
                "event": earlier.event_id,
            }
            raise ConflictError(
                _text("en", "vote_twice").format(**params),
                details={"key": "vote_twice", **params, "vote": earlier.vote},
            )


def cast(
    conn: Connection,
    row: Any,
    *,
    question: str,
    member: str,
    vote: str,
    rationale: str,
    event_id: int,
    now: float,
) -> None:
    """Record one vote (the caller has checked it with :func:`check_not_voted`)."""
    conn.execute(
        votes.insert().values(
            model_id=row.id,
            question=question,
            state=row.state,
            member=member,
            vote=vote,
            rationale=rationale,
            event_id=event_id,
            created_at=now,
            closed_at=None,
        )
    )


def _ballot(
    conn: Connection,
    row: Any,
    *,
    kind: str,
    question: str,
    member: str,
    vote: str,
    rationale: str,
    payload: dict[str, Any],
    now: float,
) -> None:
    """Append the vote's ledger event (``vote`` or ``dissent``) and record the vote."""
    from fairgate.registry.store import ledger

    event = ledger.append(
        conn,
        kind,
        actor=member,
        name=row.name,
        version=row.version,
        payload={"question": question, "rationale": rationale, **payload},
    )
    cast(
        conn, row, question=question, member=member, vote=vote, rationale=rationale,
        event_id=event.id, now=now,
    )  # fmt: skip


def close_open(conn: Connection, model_id: int, now: float) -> None:
    """Close every open vote of a version (its state changed)."""
    conn.execute(
        votes.update()
        .where(votes.c.model_id == model_id, votes.c.closed_at.is_(None))
        .values(closed_at=now)
    )


def tally(conn: Connection, row: Any, quorum: int) -> VoteTally:
    """The votes of the version in ``row`` (a ``model_versions`` row) under ``quorum``."""
    history = _history(conn, row.id)
    question = pending_question(row.state)
    current = [v for v in history if v.open and v.state == row.state] if question else []
    return VoteTally(
        name=row.name,
        version=row.version,
        state=row.state,
        question=question,
        quorum=quorum,
        in_favour=tuple(v for v in current if v.vote == FOR),
        dissents=tuple(v for v in current if v.vote == AGAINST),
        history=tuple(history),
    )


def quorum_for(engine: Any, default: int, name: str, version: str) -> int:
    """The quorum of a model version: its assigned policy's ``quorum``, else ``default``.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database.
    default : int
        The deployment's ``FAIRGATE_QUORUM``.
    name, version : str
        The model version.

    Returns
    -------
    int
    """
    from fairgate.registry.store.policies import PolicyStore

    record = PolicyStore(engine).assigned(name, version)
    quorum = record.policy().quorum if record is not None else None
    return int(quorum) if quorum is not None else int(default)


def dissent(
    conn: Connection,
    row: Any,
    *,
    member: str,
    rationale: str,
    evidence: dict[str, Any] | None,
    now: float,
) -> None:
    """Record ``member``'s dissent from the version's pending question (a ``dissent`` event).

    Raises
    ------
    ConflictError
        Nothing is pending in the version's state, or the member already voted on it.
    """
    question = pending_question(row.state)
    if question is None:
        raise no_pending_question(row.state, f"{row.name}@{row.version}")
    check_not_voted(conn, row, member)
    _ballot(
        conn, row, kind="dissent", question=question, member=member, vote=AGAINST,
        rationale=rationale, payload={"evidence": evidence}, now=now,
    )  # fmt: skip


def vote_for(
    conn: Connection,
    row: Any,
    *,
    action: str,
    member: str,
    rationale: str,
    evidence: dict[str, Any] | None,
    basis: dict[str, Any],
    quorum: int,
    now: float,
) -> dict[str, Any] | None:
    """Count ``member``'s vote for ``action`` (approve / reinstate) on the version in ``row``.

    Returns
    -------
    dict or None
        ``None`` while the quorum is not met: the vote is recorded as a ``vote`` ledger event
        and the state stays. Once met: ``{"quorum": n, "votes": [members in favour]}`` for the
        decision's ledger event; the caller changes the state, then calls :func:`conclude`.

    Raises
    ------
    ConflictError
        The member already voted on the pending question.
    """
    check_not_voted(conn, row, member)
    members = [v.member for v in open_votes(conn, row.id, row.state) if v.vote == FOR]
    members.append(member)
    if len(members) >= quorum:
        return {"quorum": quorum, "votes": members}
    payload = {"in_favour": len(members), "quorum": quorum, "evidence": evidence, **basis}
    _ballot(
        conn, row, kind="vote", question=action, member=member, vote=FOR, rationale=rationale,
        payload=payload, now=now,
    )  # fmt: skip
    return None


def conclude(
    conn: Connection,
    row: Any,
    *,
    action: str,
    member: str,
    rationale: str,
    event_id: int,
    now: float,
) -> None:
    """After a state change: record the deciding vote (approve / reinstate), close all votes."""
    if pending_question(row.state) == action:
        cast(
            conn, row, question=action, member=member, vote=FOR, rationale=rationale,
            event_id=event_id, now=now,
        )  # fmt: skip
    close_open(conn, row.id, now)
