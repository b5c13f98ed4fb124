"""``fairgate serve`` and ``fairgate token create|list|revoke``."""

from __future__ import annotations

import json

import click

__all__ = ["register"]


def _tokens():
    from fairgate.registry.api.auth import TokenStore
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    settings = Settings()
    settings.ensure_home()
    return TokenStore(Registry(settings).engine)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
@click.option("--access-log/--no-access-log", default=False, show_default=True)
def serve(host: str, port: int, log_level: str, access_log: bool) -> None:
    """Start the HTTP service (OpenAPI at /docs) on 127.0.0.1 by default.

    Runs one worker process: the circuit breaker's windows live in its memory. Expose it beyond
    this machine only behind a TLS-terminating proxy.
    """
    import uvicorn

    from fairgate.settings import Settings

    uvicorn.run(
        "fairgate.registry.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        # X-Forwarded-Proto/-For are believed from FAIRGATE_TRUSTED_PROXIES only (none by default)
        proxy_headers=True,
        forwarded_allow_ips=list(Settings().trusted_proxies),
        timeout_graceful_shutdown=3,  # push-stream connections never end on their own
    )


@click.group("token")
def token() -> None:
    """Create, list and revoke API tokens (only their salted hashes are stored)."""


@token.command("create")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "vendor", "committee", "operations", "public"]),
)
@click.option("--vendor", default=None, help="Required with --role vendor.")
@click.option("--expires-days", default=None, type=float, help="Lifetime in days.")
@click.option("--label", default=None, help="Who holds it (a note).")
@click.option(
    "--member", default=None, help="With --role committee: the committee member who holds it."
)
def token_create(
    role: str, vendor: str | None, expires_days: float | None, label: str | None, member: str | None
) -> None:
    """Print a new token once; store only its hash."""
    secret, info = _tokens().create(
        role, vendor=vendor, expires_days=expires_days, label=label, member=member
    )
    click.echo(secret)
    click.echo(
        f"id {info.id}, role {info.role}"
        + (f", vendor {info.vendor}" if info.vendor else "")
        + (f", member {info.member}" if info.member else "")
        + (f", expires {info.expires_at.isoformat()}" if info.expires_at else "")
        + ". Keep it now: it is not shown again.",
        err=True,
    )


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def token_list(as_json: bool) -> None:
    """List tokens (ids, roles, vendors, expiry, revocation; never secrets)."""
    infos = _tokens().list()
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in infos], indent=2))
        return
    for i in infos:
        state = "revoked" if i.revoked_at else "active"
        click.echo(
            f"{i.id}  {i.role:<10} {i.vendor or '-':<16} {state:<8} "
            f"expires {i.expires_at.isoformat() if i.expires_at else 'never'}  {i.label or ''}"
        )


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    """Revoke a token by id."""
    info = _tokens().revoke(token_id)
    click.echo(f"revoked {info.id} ({info.role})")


def register(group: click.Group) -> None:
    """Add ``serve`` and ``token`` to the ``fairgate`` command group."""
    group.add_command(serve)
    group.add_command(token)
