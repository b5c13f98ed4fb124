"""Signed ledger checkpoints: the ledger's length and head hash, signed with the deployment's key.

Anyone may hold a checkpoint (``GET /v1/public/checkpoint``, ``fairgate ledger checkpoint``).
:func:`verify_checkpoint` later proves that no event up to the checkpoint was edited, deleted or
reordered, *including the newest ones*: the whole chain must verify and still hold an event with
the checkpoint's length as id and its head hash. The signature (Ed25519, ``cryptography``) proves
the checkpoint came from this deployment: a forged or altered one is refused.

The key is a PEM file (PKCS#8, unencrypted): ``FAIRGATE_CHECKPOINT_KEY`` names one, else
``FAIRGATE_HOME/checkpoint-key.pem`` is created on first use with mode 0600. Its id is the first
16 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fairgate.errors import ConfigurationError, ValidationError
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.key_files import create_key_file
from fairgate.registry.store.ledger import GENESIS, canonical_json, verify
from fairgate.registry.store.tables import ledger_events

__all__ = [
    "ALGORITHM",
    "Checkpoint",
    "CheckpointCheck",
    "CheckpointKey",
    "load_key",
    "make_checkpoint",
    "public_key_info",
    "verify_checkpoint",
]

ALGORITHM = "Ed25519"
_FIELDS = ("ledger_length", "head_hash", "time", "key_id", "algorithm")


@dataclass(frozen=True)
class CheckpointKey:
    """The deployment's signing key (private part kept in memory only)."""

    private: Any
    key_id: str
    public_raw: bytes

    def public_pem(self) -> str:
        """The public key as PEM text (SubjectPublicKeyInfo)."""
        from cryptography.hazmat.primitives import serialization

        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )


def _key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _raw(public: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_key(path: Path) -> CheckpointKey:
    """Load the Ed25519 key at ``path``, creating it (mode 0600) when the file is missing.

    Parameters
    ----------
    path : Path
        A PEM file (PKCS#8, unencrypted).

    Returns
    -------
    CheckpointKey

    Raises
    ------
    ConfigurationError
        The file exists but is not an unencrypted Ed25519 private key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        create_key_file(path, pem)  # when another process created it first, theirs is read
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"the checkpoint key {path.name} cannot be read ({exc}); give FAIRGATE_CHECKPOINT_KEY "
            "an unencrypted PEM Ed25519 private key, or remove the file to create a new key."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(
            f"the checkpoint key {path.name} is a {type(key).__name__}, not an Ed25519 key; give "
            "FAIRGATE_CHECKPOINT_KEY an Ed25519 private key."
        )
    raw = _raw(key.public_key())
    return CheckpointKey(key, _key_id(raw), raw)


def public_key_info(key: CheckpointKey) -> dict[str, str]:
    """What ``GET /v1/public/key`` answers: algorithm, key id, raw key (base64) and PEM."""
    return {
        "algorithm": ALGORITHM,
        "key_id": key.key_id,
        "public_key": base64.b64encode(key.public_raw).decode("ascii"),
        "pem": key.public_pem(),
    }


@dataclass(frozen=True)
class Checkpoint:
    """A signed ledger head.

    Attributes
    ----------
    ledger_length : int
        Events in the ledger (the id of the newest event).
    head_hash : str
        Hash of the newest event (64 zeros for an empty ledger).
    time : str
        When it was made (ISO 8601, UTC).
    key_id : str
        Which deployment key signed it.
    signature : str
        Base64 Ed25519 signature of the canonical JSON of the other fields.
    algorithm : str
        ``"Ed25519"``.
    """

    ledger_length: int
    head_hash: str
    time: str
    key_id: str
    signature: str
    algorithm: str = ALGORITHM

    def signed_part(self) -> bytes:
        """The bytes the signature covers."""
        return canonical_json({f: getattr(self, f) for f in _FIELDS}).encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what is held and published)."""
        return {**{f: getattr(self, f) for f in _FIELDS}, "signature": self.signature}

    @classmethod
    def from_dict(cls, body: Any) -> Checkpoint:
        """Parse a held checkpoint.

        Raises
        ------
        ValidationError
            A field is missing or has the wrong type.
        """
        if not isinstance(body, dict):
            raise ValidationError("checkpoint: expected a JSON object from 'ledger checkpoint'.")
        missing = [f for f in (*_FIELDS, "signature") if f not in body]
        if missing:
            raise ValidationError(
                f"checkpoint: missing {', '.join(missing)}; use a file written by 'fairgate "
                "ledger checkpoint' or the answer of GET /v1/public/checkpoint."
            )
        length = body["ledger_length"]
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise ValidationError(f"checkpoint: ledger_length={length!r} is not a count.")
        strings = ("head_hash", "time", "key_id", "signature", "algorithm")
        bad = [f for f in strings if not isinstance(body[f], str)]
        if bad:
            raise ValidationError(f"checkpoint: {', '.join(bad)} must be text.")
        return cls(
            ledger_length=length,
            head_hash=body["head_hash"],
            time=body["time"],
            key_id=body["key_id"],
            signature=body["signature"],
            algorithm=body["algorithm"],
        )


def _head(engine: Engine) -> tuple[int, str]:
    with read_connection(engine) as conn:
        row = conn.execute(
            sa.select(ledger_events.c.id, ledger_events.c.hash)
            .order_by(ledger_events.c.id.desc())
            .limit(1)
        ).first()
    return (0, GENESIS) if row is None else (int(row.id), str(row.hash))


def make_checkpoint(engine: Engine, key: CheckpointKey) -> Checkpoint:
    """Sign the ledger's current length and head hash.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database.
    key : CheckpointKey
        The deployment's key (:func:`load_key`).

    Returns
    -------
    Checkpoint
    """
    length, head = _head(engine)
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    unsigned = Checkpoint(length, head, now, key.key_id, "")
    signature = base64.b64encode(key.private.sign(unsigned.signed_part())).decode("ascii")
    return Checkpoint(length, head, now, key.key_id, signature)


@dataclass(frozen=True)
class CheckpointCheck:
    """The outcome of :func:`verify_checkpoint`.

    ``ok``; ``problem`` says what is wrong in plain words (empty when ok); ``missing`` lists the
    ids of events the checkpoint holds that the ledger no longer has; ``count`` is the number of
    events in the ledger now and ``first_bad_id`` the first event that fails, if any.
    """

    ok: bool
    problem: str
    count: int
    first_bad_id: int | None
    missing: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ok": self.ok,
            "problem": self.problem,
            "count": self.count,
            "first_bad_id": self.first_bad_id,
            "missing": list(self.missing),
        }


def _text(key: str) -> str:
    from fairgate.audit.report.catalog import load_catalog

    return load_catalog("en")[key]


def _check_signature(checkpoint: Checkpoint, public_raw: bytes) -> str:
    """An empty string when the signature is good, else the problem."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if checkpoint.algorithm != ALGORITHM:
        return f"the checkpoint's algorithm is {checkpoint.algorithm!r}, not {ALGORITHM}"
    if checkpoint.key_id != _key_id(public_raw):
        return (
            f"the checkpoint was signed with key {checkpoint.key_id}, not with this deployment's "
            f"key {_key_id(public_raw)}"
        )
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, checkpoint.signed_part())
    except (InvalidSignature, ValueError):
        return _text("checkpoint_forged")
    return ""


def verify_checkpoint(engine: Engine, checkpoint: Checkpoint, public_raw: bytes) -> CheckpointCheck:
    """Check a held checkpoint's signature, then that the ledger still reaches it.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database.
    checkpoint : Checkpoint
        A checkpoint made earlier (:func:`make_checkpoint`).
    public_raw : bytes
        The raw Ed25519 public key trusted to have signed it.

    Returns
    -------
    CheckpointCheck
        Not ``ok`` when the signature fails, any event is edited, deleted or reordered, or the
        ledger no longer holds the checkpoint's newest events (named in ``missing``).
    """
    problem = _check_signature(checkpoint, public_raw)
    if problem:
        return CheckpointCheck(False, problem, 0, None)
    want, head = checkpoint.ledger_length, checkpoint.head_hash
    if want == 0:
        result = verify(engine)
        ok = result.ok and head == GENESIS
        why = result.problem or ("" if ok else "an empty checkpoint must hold the genesis hash")
        return CheckpointCheck(ok, why, result.count, result.first_bad_id)
    result = verify(engine, anchor={"id": want, "hash": head})
    if result.ok:
        return CheckpointCheck(True, "", result.count, None)
    if result.count < want and result.first_bad_id == result.count + 1:
        missing = tuple(range(result.count + 1, want + 1))
        problem = _text("checkpoint_deleted").format(
            time=checkpoint.time, held=want, count=result.count, first=missing[0], last=want
        )
        return CheckpointCheck(False, problem, result.count, missing[0], missing)
    return CheckpointCheck(False, result.problem, result.count, result.first_bad_id)
