"""Live decisions of serving models: raw, append-only, batched storage.

Each validated batch (:mod:`.batch`) is **one row** of ``observation_batches`` (append-only):
model, version, time received, row count, attribute levels (JSON), the kind (and a multiclass
model's classes), the columns as a zlib blob (predictions and outcomes int8, -1 for an unknown
outcome, or float64 / int32 per kind; sensitive codes int32; times float64) and what people did
(:mod:`.reviews`); :meth:`ObservationStore.batches` decodes them to rebuild the breaker's
windows. A batch with a ``client_batch_id`` is stored once per id and model version, so a retry
after a lost answer does not count its decisions twice.
"""

from __future__ import annotations

import dataclasses
import json
import time
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import sqlalchemy as sa

from fairgate.registry.monitor.batch import (
    CLIENT_BATCH_ID_PATTERN,
    Batch,
    batch_target,
    decode_body,
    parse_batch,
    parse_batch_dict,
)
from fairgate.registry.monitor.columns import MAX_TIMESTAMP, MISSING
from fairgate.registry.monitor.reviews import decode_reviews, encode_reviews
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.tables import observation_batches as batches_table

__all__ = [
    "CLIENT_BATCH_ID_PATTERN",
    "MAX_TIMESTAMP",
    "MISSING",
    "Batch",
    "ObservationStore",
    "batch_target",
    "batches_table",
    "decode_body",
    "parse_batch",
    "parse_batch_dict",
]

_DTYPES = {
    "binary": ("i1", "i1"),
    "scores": ("<f8", "i1"),
    "multiclass": ("<i4", "<i4"),
    "regression": ("<f8", "<f8"),
}
"""Stored dtypes of (prediction, outcome) per kind."""


def _encode(batch: Batch) -> bytes:
    pred_type, out_type = _DTYPES[batch.kind]
    parts = [
        batch.prediction.astype(pred_type, copy=False).tobytes(),
        batch.outcome.astype(out_type, copy=False).tobytes(),
    ]
    parts += [batch.codes[a].astype("<i4", copy=False).tobytes() for a in batch.attributes]
    if batch.ts is not None:
        parts.append(batch.ts.astype("<f8", copy=False).tobytes())
    return zlib.compress(b"".join(parts), 1)


def _decode(row: Any) -> Batch:
    n = row["n"]
    raw = zlib.decompress(row["payload"])
    levels: dict[str, list[str]] = json.loads(row["levels"])
    pos = 0

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal pos
        size = np.dtype(dtype).itemsize * count
        arr = np.frombuffer(raw, dtype=dtype, count=count, offset=pos)
        pos += size
        return arr

    kind = row["kind"] or "binary"
    pred_type, out_type = _DTYPES[kind]
    pred, out = take(pred_type, n), take(out_type, n)
    codes = {a: take("<i4", n) for a in sorted(levels)}
    ts = take("<f8", n) if row["has_ts"] else None
    classes = None if row["classes"] is None else tuple(json.loads(row["classes"]))
    return Batch(
        row["model"],
        row["version"],
        pred,
        out,
        codes,
        levels,
        ts,
        row["id"],
        row["received_at"],
        row["client_batch_id"],
        kind,
        classes,
        decode_reviews(row["review"], n, kind),
    )


class ObservationStore:
    """Append-only storage of observation batches.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's engine (schema at migration ``0002_service`` or later).
    """

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def append(self, batch: Batch, *, conn: sa.Connection | None = None) -> Batch:
        """Store one batch durably (committed before returning) and return it with its id.

        Parameters
        ----------
        batch : Batch
            A validated batch.
        conn : sqlalchemy.Connection, optional
            Use this open transaction instead of committing a new one.

        Returns
        -------
        Batch
        """
        received = time.time()
        values = {
            "model": batch.model,
            "version": batch.version,
            "received_at": received,
            "n": batch.n,
            "n_outcome": int(batch.known_outcome.sum()),
            "has_ts": batch.ts is not None,
            "levels": json.dumps(batch.levels, sort_keys=True),
            "payload": _encode(batch),
            "client_batch_id": batch.client_batch_id,
            "kind": batch.kind,
            "classes": None if batch.classes is None else json.dumps(list(batch.classes)),
            "review": encode_reviews(batch.reviews, batch.kind),
        }
        if conn is None:
            with self.engine.begin() as own:
                new_id = own.execute(batches_table.insert().values(**values)).inserted_primary_key
        else:
            new_id = conn.execute(batches_table.insert().values(**values)).inserted_primary_key
        return dataclasses.replace(batch, id=int(new_id[0]), received_at=received)

    def find(
        self, model: str, version: str, client_batch_id: str, *, conn: sa.Connection | None = None
    ) -> Batch | None:
        """The stored batch with this client batch id, or ``None``.

        Parameters
        ----------
        model, version : str
            The model version.
        client_batch_id : str
            The sender's batch id.
        conn : sqlalchemy.Connection, optional
            Read inside this open transaction.

        Returns
        -------
        Batch or None
        """
        t = batches_table
        query = sa.select(t).where(
            t.c.model == model, t.c.version == version, t.c.client_batch_id == client_batch_id
        )
        if conn is not None:
            row = conn.execute(query).mappings().first()
        else:
            with self.engine.connect() as own:
                row = own.execute(query).mappings().first()
        return None if row is None else _decode(row)

    def batches(
        self,
        model: str,
        version: str,
        *,
        after_id: int = 0,
        since: float | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> Iterator[Batch]:
        """Decode the stored batches of one model version, oldest first.

        Parameters
        ----------
        model, version : str
            The model version.
        after_id : int
            Only batches with a larger id.
        since : float, optional
            Only batches received at or after this epoch time.
        limit : int, optional
            At most this many batches.
        newest_first : bool
            Yield the newest batch first.

        Yields
        ------
        Batch
        """
        t = batches_table
        query = sa.select(t).where(t.c.model == model, t.c.version == version, t.c.id > after_id)
        if since is not None:
            query = query.where(t.c.received_at >= since)
        query = query.order_by(t.c.id.desc() if newest_first else t.c.id)
        if limit is not None:
            query = query.limit(limit)
        with read_connection(self.engine) as conn:  # no write lock: the breaker holds it
            result = conn.execute(query.execution_options(yield_per=64)).mappings()
            for row in result:
                yield _decode(row)

    def count(self, model: str, version: str) -> int:
        """Total stored observations of one model version."""
        t = batches_table
        with read_connection(self.engine) as conn:
            total = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(t.c.n), 0)).where(
                    t.c.model == model, t.c.version == version
                )
            ).scalar_one()
        return int(total)
