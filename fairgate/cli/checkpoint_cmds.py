"""``fairgate ledger checkpoint`` and the ``--checkpoint`` check of ``fairgate ledger verify``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from fairgate.errors import ServiceUnavailableError, ValidationError

__all__ = ["checkpoint_cmd", "verify_against_checkpoint"]

_MAX_BYTES = 1024 * 1024


def _read(source: str, what: str) -> bytes:
    """The bytes of a file or of an http(s) URL (redirects are not followed)."""
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            answer = httpx.get(source, follow_redirects=False, timeout=15)
        except httpx.HTTPError as exc:
            raise ServiceUnavailableError(f"{what} {source}: cannot be fetched ({exc}).") from None
        if answer.status_code != 200:
            raise ValidationError(
                f"{what} {source}: answered HTTP {answer.status_code}, not 200 (redirects are not "
                "followed); give the address of the file itself."
            )
        return answer.content[:_MAX_BYTES]
    path = Path(source)
    if not path.is_file():
        raise ValidationError(f"{what} {source}: no such file; give a file or an http(s) URL.")
    return path.read_bytes()[:_MAX_BYTES]


def _public_key(source: str | None) -> bytes:
    """The raw Ed25519 public key from ``source`` (PEM or /v1/public/key JSON), else our own."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from fairgate.registry.store.checkpoints import load_key
    from fairgate.settings import Settings

    if source is None:
        path = Settings().checkpoint_key_path
        if not path.is_file():
            raise ValidationError(
                f"this deployment has no checkpoint key ({path.name} under FAIRGATE_HOME or "
                "FAIRGATE_CHECKPOINT_KEY), so it signed no checkpoint; give the signer's public "
                "key with --key FILE_OR_URL."
            )
        return load_key(path).public_raw
    raw = _read(source, "--key")
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        if text.startswith("{"):
            return base64.b64decode(json.loads(text)["public_key"], validate=True)
        key = serialization.load_pem_public_key(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            f"--key {source}: not a PEM public key nor the JSON of GET /v1/public/key ({exc})."
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError(f"--key {source}: not an Ed25519 public key.")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify_against_checkpoint(engine: Any, source: str, key: str | None) -> None:
    """Check the ledger against a held checkpoint; print the outcome, exit 1 when it fails.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database.
    source : str
        A checkpoint file or an http(s) URL answering one.
    key : str or None
        The signer's public key (file or URL); default: this deployment's key.
    """
    from fairgate.registry.store.checkpoints import Checkpoint, verify_checkpoint

    raw = _read(source, "--checkpoint")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"--checkpoint {source}: not JSON ({exc}).") from None
    held = Checkpoint.from_dict(body)
    check = verify_checkpoint(engine, held, _public_key(key))
    if check.ok:
        from fairgate.audit.report.catalog import load_catalog

        text = load_catalog("en")["checkpoint_intact"]
        count = f"{held.ledger_length:,}"
        click.echo(text.format(time=held.time, count=count, head=held.head_hash))
        click.echo(f"The ledger now has {check.count:,} events.")
        return
    click.echo(f"ledger does NOT match the checkpoint: {check.problem}", err=True)
    sys.exit(1)


@click.command("checkpoint")
def checkpoint_cmd() -> None:
    """Print a signed checkpoint of the ledger (JSON) to keep, e.g. 'ledger checkpoint > FILE'."""
    from fairgate.registry.store import Registry
    from fairgate.registry.store.checkpoints import load_key, make_checkpoint
    from fairgate.settings import Settings

    settings = Settings()
    settings.ensure_home()
    made = make_checkpoint(Registry(settings).engine, load_key(settings.checkpoint_key_path))
    click.echo(json.dumps(made.to_dict(), indent=2))
