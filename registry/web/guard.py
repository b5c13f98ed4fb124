"""Who is asking for a page: the session cookie, the roles a page needs, CSRF, error pages."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from fairgate.audit.report.catalog import message_in
from fairgate.errors import (
    AuthenticationError,
    FairgateError,
    PermissionDeniedError,
    ValidationError,
)
from fairgate.registry.api.redact import redact, server_roots
from fairgate.registry.web.render import choose_lang, is_https, page, security_headers
from fairgate.registry.web.sessions import Session, SessionStore, csrf_matches

__all__ = [
    "SESSION_COOKIE",
    "SIGNIN_COOKIE",
    "PageRoute",
    "check_csrf",
    "committee_session",
    "html_errors",
    "new_signin_nonce",
    "session_store",
    "set_cookie",
    "signed_in",
    "vendor_session",
]

SESSION_COOKIE = "fg_session"
"""The cookie holding the session's secret (HttpOnly, SameSite=Strict, Secure behind TLS)."""

SIGNIN_COOKIE = "fg_signin"
"""The sign-in form's CSRF nonce (before there is a session), sent back as a hidden field."""

_REASON_KEYS = {
    "csrf": "web_error_csrf",
    "committee_only": "web_error_committee_only",
    "vendor_only": "web_error_vendor_only",
    "role": "web_error_role",
}

_STATUS_KEYS = {
    401: "web_error_401",
    403: "web_error_403",
    404: "web_error_404",
    409: "web_error_409",
    422: "web_error_422",
}


def session_store(request: Request) -> SessionStore:
    """The sessions of the app's registry, with the idle timeout from the settings."""
    service = request.app.state.service
    idle = float(service.settings.web_idle_minutes) * 60.0
    return SessionStore(service.registry.engine, idle_seconds=idle)


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """Set a session-lifetime cookie: HttpOnly, SameSite=Strict, Secure when behind TLS."""
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=is_https(request), path="/"
    )


def signed_in(request: Request) -> Session:
    """The request's live session.

    Raises
    ------
    AuthenticationError
        Not signed in, or the session ended.
    """
    return session_store(request).find(request.cookies.get(SESSION_COOKIE))


def committee_session(request: Request) -> Session:
    """The session of a committee member (or administrator).

    Raises
    ------
    AuthenticationError, PermissionDeniedError
    """
    session = signed_in(request)
    if not session.is_committee:
        raise PermissionDeniedError(
            "committee pages need a committee session; a vendor session sees its own models "
            "at /web/vendor.",
            details={"page_reason": "committee_only"},
        )
    return session


def vendor_session(request: Request) -> Session:
    """The session of a vendor.

    Raises
    ------
    AuthenticationError, PermissionDeniedError
    """
    session = signed_in(request)
    if session.principal.role != "vendor":
        raise PermissionDeniedError(
            "the vendor page shows a vendor's own models; sign in with a vendor token.",
            details={"page_reason": "vendor_only"},
        )
    return session


def check_csrf(session: Session, sent: str | None) -> None:
    """Refuse a form whose CSRF token is not the session's.

    Raises
    ------
    PermissionDeniedError
    """
    if not csrf_matches(session, sent):
        raise PermissionDeniedError(
            "the form was sent without this session's CSRF token; reload the page and send "
            "the form again.",
            details={"page_reason": "csrf"},
        )


def new_signin_nonce() -> str:
    """A fresh nonce for the sign-in form (double-submitted: cookie and hidden field)."""
    return secrets.token_urlsafe(24)


def _return_to(request: Request) -> str:
    """The page to come back to after signing in again (a form's page, not its action)."""
    path = request.url.path
    if request.method != "GET":
        path = path.rsplit("/", 1)[0] if path.endswith("/decide") else _HOME
    return path if path.startswith("/web/") else _HOME


_HOME = "/web"


def _refusal(request: Request, exc: FairgateError) -> Response:
    if isinstance(exc, AuthenticationError) and request.method == "GET":
        target = "/web/signin?next=" + quote(request.url.path, safe="/")
        return security_headers(RedirectResponse(target, status_code=303))
    reason = exc.details.get("page_reason") if exc.details else None
    key = _REASON_KEYS.get(str(reason)) or _STATUS_KEYS.get(exc.status_code, "web_error_other")
    lang = choose_lang(request)
    # the refusal's own words: from the catalog in the page's language; English text only
    # on an English page (a Chinese page says it with the catalog's sentence alone)
    detail = message_in(exc, lang) if exc.message_key or lang == "en" else ""
    roots = server_roots(request.app.state.service.settings)
    return page(
        request,
        "error.html.j2",
        status_code=exc.status_code,
        key=key,
        detail=redact(detail, roots),
        status=exc.status_code,
        signin="/web/signin?next=" + quote(_return_to(request), safe="/"),
    )


def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    fields = ", ".join(str(e.get("loc", ("", ""))[-1]) for e in exc.errors()) or "request"
    return _refusal(request, ValidationError(f"check {fields} and send it again."))


class PageRoute(APIRoute):
    """A page route: a request FastAPI cannot parse is answered with an HTML page (422)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        """The route's handler, turning :class:`RequestValidationError` into an error page."""
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return await run_in_threadpool(_invalid_request, request, exc)

        return answer


def html_errors(route: Callable[..., Response]) -> Callable[..., Response]:
    """Answer a page route's refusals with a page (or a redirect to sign in), not JSON.

    The route must take ``request`` as a keyword argument.
    """

    @functools.wraps(route)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        try:
            return route(*args, **kwargs)
        except FairgateError as exc:
            return _refusal(request, exc)

    return wrapper
