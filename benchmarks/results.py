"""Recording a benchmark's figures: replace its own section of ``benchmarks/RESULTS.md``."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["RESULTS", "write_section"]

RESULTS = Path(__file__).with_name("RESULTS.md")
"""The file every benchmark records its figures in."""


def write_section(heading: str, text: str, path: Path = RESULTS) -> None:
    """Put ``text`` under ``heading`` in ``path``: in place of that section, or at the end.

    Parameters
    ----------
    heading : str
        The section's whole heading line, e.g. ``"## Ledger appends (...)"``.
    text : str
        The section's body (without the heading).
    path : Path
        The results file.
    """
    body = path.read_text(encoding="utf-8")
    pattern = re.escape(heading) + r"\n\n(.*?)(?=\n## |\Z)"
    section = f"{heading}\n\n{text.strip()}\n"
    if re.search(pattern, body, flags=re.S):
        body = re.sub(pattern, lambda _: section, body, count=1, flags=re.S)
    else:
        body = body.rstrip("\n") + f"\n\n{section}"
    path.write_text(body, encoding="utf-8")
