"""The pages' local style sheet and Chinese fallback font (nothing from a CDN)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

__all__ = ["FONT_PATH", "STYLE_PATH", "router"]

router = APIRouter(include_in_schema=False)

STYLE_PATH = "/web/static/web.css"
"""Where the style sheet is served."""

FONT_PATH = "/web/static/fairgate-sans.otf"
"""Where the Chinese fallback font (Noto Sans SC, the report's typeface) is served."""


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


@router.get(FONT_PATH)
def font() -> FileResponse:
    """Noto Sans SC, for browsers without a Chinese font (cached for a day)."""
    from fairgate.audit.report.fonts import font_path

    return FileResponse(
        font_path(),
        media_type="font/otf",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
