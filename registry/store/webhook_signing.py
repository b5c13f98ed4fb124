"""Webhook secrets: made, sealed at rest with the deployment's key, and used to sign deliveries.

Signatures follow the Standard Webhooks specification: a delivery carries ``webhook-id`` (the
ledger event's hash, the same on every retry), ``webhook-timestamp`` (the attempt's Unix time)
and ``webhook-signature: v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``, where
the key is the base64 text after the secret's ``whsec_`` prefix, decoded.

A secret is stored sealed with AES-256-GCM under the deployment's webhook key (a file:
``FAIRGATE_WEBHOOK_KEY``, else ``FAIRGATE_HOME/webhook-key``), bound to its subscription's id, so
a copy of the database alone reveals no secret and a sealed secret moved to another row does not
open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from fairgate.errors import ConfigurationError
from fairgate.registry.store.key_files import create_key_file

__all__ = [
    "SEALED_PREFIX",
    "SECRET_PREFIX",
    "SecretBox",
    "load_webhook_key",
    "new_secret",
    "secret_key",
    "sign",
    "signed_headers",
]

SECRET_PREFIX = "whsec_"
SEALED_PREFIX = "sealed:v1:"
"""How a sealed secret starts in the ``webhooks.secret`` column (anything else is clear text)."""
KEY_BYTES = 32


def new_secret() -> str:
    """A new subscription secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the base64 text after ``whsec_``, decoded.

    Secrets issued before fairgate followed Standard Webhooks used the URL-safe base64 alphabet
    (``-`` and ``_``); they decode the same way, read as that alphabet.
    """
    text = secret.removeprefix(SECRET_PREFIX).replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``.

    Parameters
    ----------
    secret : str
        The subscription's secret (``whsec_...``).
    msg_id : str
        The ``webhook-id``.
    timestamp : int
        The ``webhook-timestamp`` (Unix seconds).
    body : bytes
        The exact bytes POSTed.

    Returns
    -------
    str
    """
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt (see :func:`sign`)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


class SecretBox:
    """Seal and open subscription secrets with the deployment's 32-byte key (AES-256-GCM).

    Parameters
    ----------
    key : bytes
        32 bytes.
    source : str
        Where the key came from, named in errors.
    """

    def __init__(self, key: bytes, source: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self.source = source

    def seal(self, secret: str, hook_id: str) -> str:
        """``sealed:v1:`` and the URL-safe base64 of nonce and ciphertext, bound to ``hook_id``."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode("utf-8"), hook_id.encode("utf-8"))
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, hook_id: str) -> str:
        """The secret of a sealed column value.

        Raises
        ------
        ConfigurationError
            The value is not sealed, or not with this key for this subscription.
        """
        from cryptography.exceptions import InvalidTag

        if not stored.startswith(SEALED_PREFIX):
            raise ConfigurationError(
                f"the secret of webhook {hook_id} is not sealed; restart the service so that "
                "it seals the secrets stored in clear text."
            )
        try:
            raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED_PREFIX))
            plain = self._aead.decrypt(raw[:12], raw[12:], hook_id.encode("utf-8"))
        except (InvalidTag, binascii.Error, ValueError):
            raise ConfigurationError(
                f"the webhook key {self.source} does not open the secret of webhook {hook_id}: "
                "it was sealed with another key. Give FAIRGATE_WEBHOOK_KEY the key file the "
                "secrets were sealed with (back it up with the database); if that key is lost, "
                "the subscriptions must be created again."
            ) from None
        return plain.decode("utf-8")


def load_webhook_key(path: Path, *, create: bool) -> SecretBox:
    """The deployment's webhook key from ``path`` (the base64 of 32 bytes).

    Parameters
    ----------
    path : Path
        ``Settings.webhook_key_path``.
    create : bool
        Create the file (mode 0600) when it is missing; pass False once sealed secrets exist, so
        that a lost key is an error rather than a new key that opens nothing.

    Returns
    -------
    SecretBox

    Raises
    ------
    ConfigurationError
        The file is missing (and may not be created) or does not hold a 32-byte key.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise ConfigurationError(
                f"the webhook key {path.name} is missing, but webhook secrets sealed with it are "
                "stored; give FAIRGATE_WEBHOOK_KEY the key file they were sealed with (restore "
                "it from the backup of this deployment)."
            )
        create_key_file(path, base64.b64encode(os.urandom(KEY_BYTES)) + b"\n")
    try:
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            f"the webhook key {path.name} is not the base64 of {KEY_BYTES} bytes; give "
            "FAIRGATE_WEBHOOK_KEY the key file the secrets were sealed with."
        )
    return SecretBox(key, path.name)
