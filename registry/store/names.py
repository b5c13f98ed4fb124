"""Model names are owned: the first vendor to file a name owns it until an admin transfers it.

Functions here run inside the caller's transaction (the registry's), so claiming a name and
filing its first version are one write, and a transfer is written with its ledger event.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.errors import NotFoundError, PermissionDeniedError
from fairgate.registry.store.tables import model_names

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


def transfer(conn: Connection, name: str, vendor: str, now: float) -> str:
    """Give ``name`` to ``vendor``; returns the previous owner.

    Raises
    ------
    NotFoundError
        The name was never filed.
    """
    previous = owner_of(conn, name)
    if previous is None:
        raise NotFoundError(
            f"the model name {name!r} was never filed, so it has no owner to transfer from; "
            "list the names with 'fairgate models'."
        )
    conn.execute(
        model_names.update().where(model_names.c.name == name).values(vendor=vendor, updated_at=now)
    )
    return previous
