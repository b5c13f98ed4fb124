"""The pages' local style sheet and Chinese fallback font (nothing from a CDN).

The fallback font is Noto Sans SC subset to every character of the message catalogs. Building
the subset takes seconds, so no request pays for it: ``fairgate serve`` builds it in the
background as it starts (:func:`prepare_font`), into ``FAIRGATE_HOME/web-cache/fonts`` under a
name that holds a hash of the catalogs' characters and of the font file, so an update of either
builds it again and every later start (and every worker) reads the file.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import AsyncIterator
from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response

__all__ = [
    "FONT_CACHE",
    "FONT_PATH",
    "FULL_FONT_PATH",
    "STYLE_PATH",
    "catalog_font_path",
    "prepare_font",
    "router",
]

FONT_CACHE = Path("web-cache") / "fonts"
"""Where the catalogs' font subset is kept, under ``FAIRGATE_HOME``."""

_BUILDING = threading.Lock()


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the font subset in the background as the service starts (once per state folder)."""
    home = app.state.service.settings.home
    task = asyncio.create_task(asyncio.to_thread(prepare_font, home))
    try:
        yield
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(include_in_schema=False, lifespan=_lifespan)

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
def _catalog_characters() -> str:
    from fairgate.audit.report.catalog import LANGUAGES, load_catalog

    return "".join(sorted(set("".join("".join(load_catalog(lang).values()) for lang in LANGUAGES))))


@cache
def _font_file_hash() -> str:
    from fairgate.audit.report.fonts import font_path

    digest = hashlib.sha256()
    with font_path().open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def catalog_font_path(home: Path) -> Path:
    """Where the catalogs' font subset is (or will be) kept under ``home``.

    Parameters
    ----------
    home : Path
        The state folder (``FAIRGATE_HOME``).

    Returns
    -------
    Path
        ``home/web-cache/fonts/fairgate-sans-<hash>.otf``; the hash covers the catalogs'
        characters and the font file.
    """
    key = hashlib.sha256((_catalog_characters() + _font_file_hash()).encode("utf-8"))
    return home / FONT_CACHE / f"fairgate-sans-{key.hexdigest()[:16]}.otf"


def prepare_font(home: Path) -> Path:
    """Build the catalogs' font subset at :func:`catalog_font_path` unless it is there already.

    A request that comes while the start-up build runs waits for it, never builds it twice.

    Parameters
    ----------
    home : Path
        ``FAIRGATE_HOME``.

    Returns
    -------
    Path
        The subset's file, ready to serve.
    """
    from fairgate.audit.report.fonts import font_face_css

    path = catalog_font_path(home)
    with _BUILDING:  # a request that comes during the start-up build waits for it
        if path.is_file():
            return path
        css = font_face_css(_catalog_characters())
        data = base64.b64decode(css.split("base64,", 1)[1].split(")", 1)[0])
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as out:
            out.write(data)
        os.replace(out.name, path)
    return path


@cache
def _font_bytes(path: Path) -> bytes:
    return path.read_bytes()


@router.get(FONT_PATH)
def font(request: Request) -> Response:
    """Noto Sans SC subset to the catalogs' characters, for browsers without a Chinese font."""
    path = prepare_font(request.app.state.service.settings.home)
    return Response(
        _font_bytes(path),
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
