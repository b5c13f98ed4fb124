"""The pages' local style sheet and Chinese fallback font (nothing from a CDN)."""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

__all__ = ["FONT_PATH", "FULL_FONT_PATH", "STYLE_PATH", "router"]

router = APIRouter(include_in_schema=False)

STYLE_PATH = "/web/static/web.css"
"""Where the style sheet is served."""

FONT_PATH = "/web/static/fairgate-sans.otf"
"""Where the catalogs' Chinese characters' font (Noto Sans SC, the report's typeface) is served."""

FULL_FONT_PATH = "/web/static/fairgate-sans-full.otf"
"""Where the whole Noto Sans SC is served (for text beyond the catalogs)."""


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


@cache
def _catalog_font() -> bytes:
    """Noto Sans SC subset to every character of the message catalogs (made once)."""
    from fairgate.audit.report.catalog import LANGUAGES, load_catalog
    from fairgate.audit.report.fonts import font_face_css

    text = "".join("".join(load_catalog(lang).values()) for lang in LANGUAGES)
    css = font_face_css(text)
    encoded = css.split("base64,", 1)[1].split(")", 1)[0]
    return base64.b64decode(encoded)


@router.get(FONT_PATH)
def font() -> Response:
    """Noto Sans SC subset to the catalogs' characters, for browsers without a Chinese font."""
    return Response(
        _catalog_font(),
        media_type="font/otf",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get(FULL_FONT_PATH)
def full_font() -> FileResponse:
    """The whole of Noto Sans SC, for Chinese names and rationales beyond the catalogs."""
    from fairgate.audit.report.fonts import font_path

    return FileResponse(
        font_path(),
        media_type="font/otf",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
