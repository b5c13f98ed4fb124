"""The pages' one local style sheet (no CDN, no web font download)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

__all__ = ["STYLE_PATH", "router"]

router = APIRouter(include_in_schema=False)

STYLE_PATH = "/web/static/web.css"
"""Where the style sheet is served."""


@cache
def _style() -> bytes:
    return resources.files("fairgate.report_templates").joinpath("web/web.css").read_bytes()


@router.get(STYLE_PATH)
def style() -> Response:
    """The style sheet (cached for an hour)."""
    return Response(
        _style(),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
