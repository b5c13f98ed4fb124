"""Render the web pages: the Jinja2 templates, the page language and the response headers.

The language is the ``?lang=`` query (``en`` or ``zh``), remembered in a cookie; without either
it is English. Every page gets a strict Content-Security-Policy (no script, nothing from another
origin), ``X-Frame-Options`` and ``nosniff``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from fairgate.audit.report.catalog import LANGUAGES, Text, load_catalog

__all__ = [
    "LANG_COOKIE",
    "PAGE_CSP",
    "choose_lang",
    "is_https",
    "page",
    "security_headers",
    "set_lang_cookie",
    "templates",
]

LANG_COOKIE = "fg_lang"
"""Cookie remembering the chosen page language."""

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; "
    "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The Content-Security-Policy of every page: no script at all, nothing from elsewhere."""


@cache
def templates() -> Any:
    """The Jinja2 environment of the page templates (``report_templates/web/``)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("fairgate.report_templates", "web"),
        autoescape=select_autoescape(["html", "j2", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def choose_lang(request: Request) -> str:
    """The page language: ``?lang=``, else the cookie, else English.

    Parameters
    ----------
    request : fastapi.Request
        The request.

    Returns
    -------
    str
        ``"en"`` or ``"zh"``.
    """
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGUAGES:
            return str(value)
    return "en"


def is_https(request: Request) -> bool:
    """Whether the browser reached the service over TLS.

    Direct https, or ``X-Forwarded-Proto: https`` from a proxy listed in the
    ``trusted_proxies`` setting: ``fairgate serve`` hands that list to uvicorn, which applies
    the header from those addresses only and ignores it from anyone else.
    """
    return request.url.scheme == "https"


def security_headers(response: Response, csp: str = PAGE_CSP) -> Response:
    """Add the pages' security headers to ``response`` and return it."""
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    if "frame-ancestors 'self'" not in csp:
        response.headers["X-Frame-Options"] = "DENY"
    return response


def set_lang_cookie(request: Request, response: Response, lang: str) -> None:
    """Remember a language chosen with ``?lang=`` in a cookie."""
    if request.query_params.get("lang") == lang:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=is_https(request),
            path="/",
        )


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    session: Any = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page template in the request's language.

    Parameters
    ----------
    request : fastapi.Request
        The request (its language, path and query).
    template : str
        A template under ``report_templates/web/``.
    status_code : int
        The HTTP status.
    session : Session, optional
        The signed-in session (the header shows who and offers sign-out with its CSRF token).
    **context
        The template's variables.

    Returns
    -------
    fastapi.responses.HTMLResponse
    """
    lang = choose_lang(request)
    text = Text(lang)
    body = (
        templates()
        .get_template(template)
        .render(
            t=text,
            lang=lang,
            path=request.url.path,
            session=session,
            languages=[
                (code, load_catalog(code)["web_lang_name"], load_catalog(code)["html_lang"])
                for code in LANGUAGES
            ],
            **context,
        )
    )
    response = HTMLResponse(body, status_code=status_code)
    set_lang_cookie(request, response, lang)
    return security_headers(response)
