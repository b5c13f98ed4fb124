"""The committee's and the vendor's pages: sign in and out, the queue, a version, decisions.

A committee member's identity comes from the session (the token it was opened with), never
from a form field; every form carries the session's CSRF token. Decisions go through
:func:`fairgate.registry.usecases.decide`, the one implementation CLI and REST call too.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fairgate.errors import AuthenticationError, FairgateError, NotFoundError, PermissionDeniedError
from fairgate.registry import usecases
from fairgate.registry.store.lifecycle import COMMITTEE_ACTIONS, DISSENT
from fairgate.registry.web.guard import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    check_csrf,
    committee_session,
    html_errors,
    new_signin_nonce,
    session_store,
    set_cookie,
    signed_in,
)
from fairgate.registry.web.render import page, security_headers
from fairgate.registry.web.review import (
    FILING_FIELDS,
    MIN_RATIONALE,
    queue,
    review,
    vendor_overview,
)
from fairgate.registry.web.sessions import Session

__all__ = ["REPORT_CSP", "router"]

router = APIRouter(include_in_schema=False)

REPORT_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'self'"
)
"""The stored report is served sandboxed: no script, no request anywhere, framed by us only."""

_MAX_TOKEN = 200
_MAX_RATIONALE = 20_000


def _home_of(session: Session) -> str:
    return "/web/queue" if session.is_committee else "/web/vendor"


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in (never another site)."""
    if target and target.startswith("/web/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/web", response_class=HTMLResponse)
@html_errors
def web_home(request: Request) -> Response:
    """Send the visitor to their pages (or to sign in)."""
    return security_headers(RedirectResponse(_home_of(signed_in(request)), status_code=303))


@router.get("/web/signin", response_class=HTMLResponse)
@html_errors
def signin_form(
    request: Request, next: str | None = Query(default=None, max_length=500)
) -> Response:
    """The sign-in form: a committee or vendor token."""
    nonce = new_signin_nonce()
    response = page(request, "signin.html.j2", nonce=nonce, next=_safe_next(next), failed=None)
    set_cookie(request, response, SIGNIN_COOKIE, nonce)
    return response


@router.post("/web/signin", response_class=HTMLResponse)
@html_errors
def signin(
    request: Request,
    token: Annotated[str, Form(max_length=_MAX_TOKEN)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Exchange a token for a session; a wrong token shows the form again (401)."""
    cookie = request.cookies.get(SIGNIN_COOKIE) or ""
    if not csrf or not hmac.compare_digest(cookie.encode(), csrf.encode()):
        raise PermissionDeniedError(
            "the sign-in form was sent without its CSRF token; reload the page and sign in again.",
            details={"page_reason": "csrf"},
        )
    service = request.app.state.service
    try:
        principal = service.tokens.verify(token.strip())
    except AuthenticationError:
        nonce = new_signin_nonce()
        response = page(
            request,
            "signin.html.j2",
            status_code=401,
            nonce=nonce,
            next=_safe_next(next),
            failed="web_signin_failed",
        )
        set_cookie(request, response, SIGNIN_COOKIE, nonce)
        return response
    if principal.role not in ("committee", "admin", "vendor"):
        raise PermissionDeniedError(
            f"a {principal.role} token has no web pages; sign in with a committee or vendor token.",
            details={"page_reason": "role"},
        )
    secret, session = session_store(request).create(principal)
    target = _safe_next(next) or _home_of(session)
    response = security_headers(RedirectResponse(target, status_code=303))
    set_cookie(request, response, SESSION_COOKIE, secret)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


@router.post("/web/signout", response_class=HTMLResponse)
@html_errors
def signout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the session."""
    session = signed_in(request)
    check_csrf(session, csrf)
    session_store(request).end(request.cookies.get(SESSION_COOKIE) or "")
    response = security_headers(RedirectResponse("/web/signin", status_code=303))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/web/queue", response_class=HTMLResponse)
@html_errors
def queue_page(request: Request) -> Response:
    """The versions awaiting a decision, the longest waiting first."""
    session = committee_session(request)
    registry = request.app.state.service.registry
    return page(request, "queue.html.j2", session=session, items=queue(registry))


def _version_page(
    request: Request,
    session: Session,
    name: str,
    version: str,
    *,
    outcome: object = None,
    changed: bool = True,
    error: FairgateError | None = None,
    status_code: int = 200,
) -> Response:
    registry = request.app.state.service.registry
    return page(
        request,
        "version.html.j2",
        status_code=status_code,
        session=session,
        r=review(registry, name, version),
        fields=FILING_FIELDS,
        min_rationale=MIN_RATIONALE,
        outcome=outcome,
        changed=changed,
        error=error,
    )


@router.get("/web/models/{name}/{version}", response_class=HTMLResponse)
@html_errors
def version_page(request: Request, name: str, version: str) -> Response:
    """A version: filing, audits, the report, the difference to the previous version, events."""
    session = committee_session(request)
    return _version_page(request, session, name, version)


@router.post("/web/models/{name}/{version}/decide", response_class=HTMLResponse)
@html_errors
def decide(
    request: Request,
    name: str,
    version: str,
    action: Annotated[str, Form(max_length=32)] = "",
    rationale: Annotated[str, Form(max_length=_MAX_RATIONALE)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the signed-in member's decision (or vote) with its rationale."""
    session = committee_session(request)
    check_csrf(session, csrf)
    if action not in (*COMMITTEE_ACTIONS, DISSENT):
        raise NotFoundError(f"action={action[:40]!r} is not a committee decision.")
    service = request.app.state.service
    request_ = usecases.DecisionRequest(
        name=name, version=version, action=action, rationale=rationale, actor=session.member
    )
    before = service.registry.get(name, version).state
    try:
        outcome = usecases.decide(service.registry, request_)
    except FairgateError as exc:
        if exc.status_code not in (409, 422):
            raise
        return _version_page(
            request, session, name, version, error=exc, status_code=exc.status_code
        )
    service.hub.changed(name, version)
    changed = outcome.state != before or action not in ("approve", "reinstate")
    return _version_page(request, session, name, version, outcome=outcome, changed=changed)


@router.get("/web/models/{name}/{version}/report", response_class=HTMLResponse)
@html_errors
def report(
    request: Request,
    name: str,
    version: str,
    audit_id: int = Query(ge=1, le=2**62),
) -> Response:
    """A stored audit report, for the version page's sandboxed frame (committee or own vendor)."""
    session = signed_in(request)
    registry = request.app.state.service.registry
    model = registry.get(name, version)
    if not session.is_committee and model.vendor != session.principal.vendor:
        raise PermissionDeniedError(
            f"{name}@{version} belongs to another vendor.",
            details={"page_reason": "committee_only"},
        )
    audit = next((a for a in registry.audits(name, version) if a.id == audit_id), None)
    if audit is None or not audit.report_path or not Path(audit.report_path).is_file():
        raise NotFoundError(f"{name}@{version} has no stored report for audit {audit_id}.")
    body = Path(audit.report_path).read_bytes()
    response = Response(body, media_type="text/html; charset=utf-8")
    security_headers(response, REPORT_CSP)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@router.get("/web/vendor", response_class=HTMLResponse)
@html_errors
def vendor_page(request: Request) -> Response:
    """A vendor's own models: states, audits and what blocks them."""
    session = signed_in(request)
    if session.principal.role != "vendor":
        return security_headers(RedirectResponse("/web/queue", status_code=303))
    registry = request.app.state.service.registry
    reviews = vendor_overview(registry, str(session.principal.vendor))
    return page(request, "vendor.html.j2", session=session, reviews=reviews)
