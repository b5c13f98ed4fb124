"""The committee's and the vendor's pages: sign in and out, the queue, a version, decisions.

A committee member's identity comes from the session (the token it was opened with), never
from a form field; every form carries the session's CSRF token. Decisions go through
:func:`fairgate.registry.usecases.decide`, the one implementation CLI and REST call too.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fairgate.audit.report.catalog import message_in
from fairgate.errors import AuthenticationError, FairgateError, NotFoundError, PermissionDeniedError
from fairgate.registry import usecases
from fairgate.registry.web.forms import (
    MAX_FIELD,
    MAX_RATIONALE,
    DecisionForm,
    check_decision,
)
from fairgate.registry.web.guard import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    PageRoute,
    check_csrf,
    committee_session,
    html_errors,
    new_signin_nonce,
    session_store,
    set_cookie,
    signed_in,
)
from fairgate.registry.web.render import choose_lang, page, security_headers
from fairgate.registry.web.reports import report_html
from fairgate.registry.web.review import (
    FILING_FIELDS,
    MIN_RATIONALE,
    latest_completed,
    previous_version,
    queue,
    review,
    vendor_overview,
)
from fairgate.registry.web.sessions import Session

__all__ = ["REPORT_CSP", "router"]

router = APIRouter(include_in_schema=False, route_class=PageRoute)

REPORT_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'self'"
)
"""The stored report is served sandboxed: no script, no request anywhere, framed by us only."""


def _home_of(session: Session) -> str:
    return "/web/queue" if session.is_committee else "/web/vendor"


def _safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in (never another site)."""
    if (
        target
        and len(target) <= MAX_FIELD
        and target.startswith("/web/")
        and not target.startswith("//")
        and "\\" not in target
    ):
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
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
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
        if len(token) > MAX_FIELD:
            raise AuthenticationError("the token is longer than any fairgate token.")
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
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
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
    form: DecisionForm | None = None,
    refused: str = "",
    detail: str = "",
    status_code: int = 200,
) -> Response:
    """The version page; after a refused form, with its message and the entered text."""
    registry = request.app.state.service.registry
    return page(
        request,
        "version.html.j2",
        status_code=status_code,
        session=session,
        r=review(registry, name, version, lang=choose_lang(request)),
        fields=FILING_FIELDS,
        min_rationale=MIN_RATIONALE,
        max_rationale=MAX_RATIONALE,
        outcome=outcome,
        changed=changed,
        form=form,
        refused=refused,
        detail=detail,
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
    action: Annotated[str, Form()] = "",
    rationale: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Record the signed-in member's decision (or vote) with its rationale.

    A wrong form answers with the page again (422): the message beside the field, the text
    kept, nothing recorded.
    """
    session = committee_session(request)
    check_csrf(session, csrf[:MAX_FIELD])
    form = check_decision(action, rationale)
    if form.error is not None:
        return _version_page(request, session, name, version, form=form, status_code=422)
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
        lang = choose_lang(request)
        said = message_in(exc, lang) if exc.message_key or lang == "en" else ""
        return _version_page(
            request,
            session,
            name,
            version,
            form=form,
            refused=f"web_error_{exc.status_code}",
            detail=said,
            status_code=exc.status_code,
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
    """An audit's report in the page's language, for the version page's sandboxed frame.

    For a committee member or the version's own vendor.
    """
    session = signed_in(request)
    service = request.app.state.service
    registry = service.registry
    model = registry.get(name, version)
    if not session.is_committee and model.vendor != session.principal.vendor:
        raise PermissionDeniedError(
            f"{name}@{version} belongs to another vendor.",
            details={"page_reason": "committee_only"},
        )
    audit = next((a for a in registry.audits(name, version) if a.id == audit_id), None)
    if audit is None or audit.error is not None:
        raise NotFoundError(f"{name}@{version} has no stored report for audit {audit_id}.")
    before = previous_version(registry, model)
    earlier = latest_completed(registry.audits(before.name, before.version)) if before else None
    body = report_html(service.settings.home, audit, choose_lang(request), earlier)
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
    reviews = vendor_overview(registry, str(session.principal.vendor), lang=choose_lang(request))
    return page(request, "vendor.html.j2", session=session, reviews=reviews)
