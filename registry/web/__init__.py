"""The web pages: the committee's review and decisions, the vendor's view, the public register.

:func:`web_router` gathers the page routes; :func:`fairgate.registry.api.app.create_app`
mounts it, so ``fairgate serve`` serves the pages from the same app as the REST API.
"""

from fastapi import APIRouter

__all__ = ["PUBLIC_PATHS", "web_router"]

PUBLIC_PATHS: frozenset[str] = frozenset({"/public/register.json", "/public/feed.atom"})
"""The register's machine-readable routes (in the OpenAPI document; no token needed)."""


def web_router() -> APIRouter:
    """Every page route: ``/web/...`` (signed in), ``/public/...`` (anyone), the style sheet."""
    from fairgate.registry.web import pages, public, static

    router = APIRouter()
    router.include_router(static.router)
    router.include_router(pages.router)
    router.include_router(public.router)
    return router
