"""Recording a benchmark's figures: its ``--write`` option and its own section of RESULTS.md."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from timing import load_line

__all__ = ["RESULTS", "parse", "record", "write_section"]

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


def parse(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, str]:
    """Add ``--write`` to a benchmark's options, parse them and print the load average.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The benchmark's own options.

    Returns
    -------
    tuple of (argparse.Namespace, str)
        The options, and the load line at the start (see :func:`timing.load_line`).
    """
    parser.add_argument(
        "--write", action="store_true", help="Record the figures in benchmarks/RESULTS.md."
    )
    args = parser.parse_args()
    load = load_line()
    print(load)
    return args, load


def record(heading: str, command: str, load: str, text: str, note: str = "") -> None:
    """Write ``text`` under ``heading``, after the command that measured it and the load.

    Parameters
    ----------
    heading : str
        The section's whole heading line.
    command : str
        The command line that produced the figures.
    load : str
        The load line at the start of the run.
    text : str
        The figures (Markdown).
    note : str
        A sentence or two on what was measured, after the command.
    """
    lead = f"Command: `{command}`; {load} at the start."
    write_section(heading, f"{lead} {note}".rstrip() + f"\n\n{text}")
