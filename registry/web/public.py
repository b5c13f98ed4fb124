"""The public register (公示): a page, a page per algorithm, JSON and an Atom feed; no token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from fairgate.audit.report.catalog import Text
from fairgate.errors import NotFoundError
from fairgate.registry.web.guard import html_errors
from fairgate.registry.web.register import public_register
from fairgate.registry.web.render import choose_lang, page, security_headers, templates

__all__ = ["FEED_LIMIT", "router"]

router = APIRouter(tags=["public"])

FEED_LIMIT = 200
"""The feed carries the newest state changes, at most this many."""


@router.get("/public", response_class=HTMLResponse, include_in_schema=False)
@html_errors
def register_page(request: Request) -> Response:
    """Every filed algorithm with its state, verdict, recent use and suspensions."""
    register = public_register(request.app.state.service.registry)
    return page(request, "public.html.j2", register=register)


@router.get("/public/models/{name}", response_class=HTMLResponse, include_in_schema=False)
@html_errors
def algorithm_page(request: Request, name: str) -> Response:
    """One algorithm: every version and every change of its state."""
    register = public_register(request.app.state.service.registry)
    entries = [e for e in register.entries if e.name == name]
    if not entries:
        raise NotFoundError(f"no algorithm named {name[:80]!r} is filed.")
    return page(request, "public_model.html.j2", register=register, name=name, entries=entries)


@router.get("/public/register.json", summary="The public register as JSON (no token)")
def register_json(request: Request) -> JSONResponse:
    """Every filed algorithm's public facts, and the ledger's length and head hash."""
    body: dict[str, Any] = public_register(request.app.state.service.registry).to_dict()
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/public/feed.atom", summary="State changes of every algorithm as an Atom feed")
def feed(request: Request) -> Response:
    """The newest state changes (at most :data:`FEED_LIMIT`), newest first."""
    register = public_register(request.app.state.service.registry)
    changes = list(reversed(register.changes))[:FEED_LIMIT]
    lang = choose_lang(request)
    updated = changes[0].at if changes else datetime.now(UTC).isoformat()
    base = str(request.base_url).rstrip("/")
    body = (
        templates()
        .get_template("feed.atom.j2")
        .render(
            t=Text(lang), lang=lang, changes=changes, updated=updated, base=base, head=register.head
        )
    )
    response = Response(body, media_type="application/atom+xml; charset=utf-8")
    return security_headers(response)
