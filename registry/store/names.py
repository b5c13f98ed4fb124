"""Model names are owned: the first vendor to file a name owns it until an admin transfers it.

Functions here run inside the caller's transaction (the registry's), so claiming a name and
filing its first version are one write, and a transfer is written with its ledger event.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.errors import NotFoundError, PermissionDeniedError, ValidationError
from fairgate.registry.store import ledger
from fairgate.registry.store.tables import model_names, model_versions

__all__ = ["check_owner", "claim", "owner_of", "transfer"]


def owner_of(conn: Connection, name: str) -> str | None:
    """The vendor owning ``name``, or None when it was never filed."""
    return conn.execute(
        sa.select(model_names.c.vendor).where(model_names.c.name == name)
    ).scalar_one_or_none()


def check_owner(conn: Connection, name: str, vendor: str) -> None:
    """Refuse a filing of ``name`` by a vendor that does not own it.

    Raises
    ------
    PermissionDeniedError
        The name belongs to another vendor (403; the owner is not named to the caller).
    """
    owner = owner_of(conn, name)
    if owner is not None and owner != vendor:
        raise PermissionDeniedError(
            f"the model name {name!r} belongs to another vendor; vendor {vendor!r} may not file "
            "under it. File under a name of your own, or ask an administrator to transfer the "
            "name (fairgate name transfer).",
            details={"name": name, "vendor": vendor},
        )


def claim(conn: Connection, name: str, vendor: str, now: float) -> None:
    """Make ``vendor`` the owner of ``name`` if nobody owns it; check ownership otherwise.

    Raises
    ------
    PermissionDeniedError
        The name belongs to another vendor.
    """
    check_owner(conn, name, vendor)
    if owner_of(conn, name) is None:
        conn.execute(
            model_names.insert().values(name=name, vendor=vendor, created_at=now, updated_at=now)
        )


def transfer(conn: Connection, name: str, vendor: str, *, rationale: str, actor: str) -> str:
    """Give ``name`` and every version filed under it to ``vendor``, with a ledger event.

    Parameters
    ----------
    conn : Connection
        The caller's write transaction.
    name : str
        The model name.
    vendor : str
        The new owner.
    rationale : str
        Why (checked by the caller).
    actor : str
        The administrator (checked by the caller).

    Returns
    -------
    str
        The previous owner.

    Raises
    ------
    NotFoundError
        The name was never filed.
    ValidationError
        An empty vendor.
    """
    vendor = (vendor or "").strip()
    if not vendor:
        raise ValidationError("vendor: name the vendor that is to own the model name.")
    previous = owner_of(conn, name)
    if previous is None:
        raise NotFoundError(
            f"the model name {name!r} was never filed, so it has no owner to transfer from; "
            "list the names with 'fairgate models'."
        )
    now = time.time()
    conn.execute(
        model_names.update().where(model_names.c.name == name).values(vendor=vendor, updated_at=now)
    )
    conn.execute(model_versions.update().where(model_versions.c.name == name).values(vendor=vendor))
    ledger.append(
        conn,
        "transfer_name",
        actor=actor,
        name=name,
        payload={"from": previous, "to": vendor, "rationale": rationale},
    )
    return previous
