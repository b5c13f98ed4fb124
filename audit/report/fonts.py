"""The report's one typeface: Noto Sans SC, subset to a page's characters and embedded in it.

A report must read the same on a machine with no Chinese font (a server, a fresh laptop). The
font comes from the ``pylopdf-fonts-zh-cn`` package (Noto Sans SC, SIL Open Font License 1.1);
:func:`font_face_css` subsets it to the characters of one page with fontTools and returns an
``@font-face`` rule holding it as a data URI, so every glyph of the page comes from the page
itself; charts draw their text with the same font, converted to paths.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

__all__ = ["FONT_FAMILY", "font_face_css", "font_path"]

FONT_FAMILY = "fairgate-sans"
"""The CSS family name of the embedded font."""

_ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "–—−±×→…“”‘’·、，。：；（）《》％"


def font_path() -> Path:
    """The Noto Sans SC font file (OpenType, CFF outlines, Latin and Simplified Chinese)."""
    from pylopdf_fonts_zh_cn import sans_path

    return Path(sans_path())


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the font, subset to the characters of ``text``.

    Parameters
    ----------
    text : str
        Everything the page may show (its HTML will do: markup characters are ASCII, which
        the subset always holds).

    Returns
    -------
    str
        ``@font-face { font-family: "fairgate-sans"; src: url(data:font/otf;base64,...) }``.
    """
    chars = "".join(sorted(set(text) | set(_ALWAYS)))
    data = _subset(chars)
    return (
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: normal; '
        f"src: url(data:font/otf;base64,{base64.b64encode(data).decode('ascii')}) "
        'format("opentype"); }'
    )


@cache
def _subset(chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "DSIG"]
    font = TTFont(str(font_path()), recalcBBoxes=False, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
