"""Keep server paths out of every answer: drop path fields, mask the state folder in text."""

from __future__ import annotations

from typing import Any

from fairgate.settings import Settings

__all__ = ["MASK", "PATH_FIELDS", "redact", "server_roots"]

PATH_FIELDS: frozenset[str] = frozenset({"artifact_path", "report_path", "out_dir"})
"""Fields that hold a server path; they are left out of answers."""

MASK = "<server>"
"""What a server folder is replaced with inside text."""


def redact(value: Any, roots: tuple[str, ...]) -> Any:
    """A copy of a JSON-ready value without server paths.

    Parameters
    ----------
    value : Any
        Decoded JSON (dicts, lists, strings, numbers).
    roots : tuple of str
        Server folders (the state folder, ...) to mask wherever they occur in a string.

    Returns
    -------
    Any
    """
    if isinstance(value, dict):
        return {k: redact(v, roots) for k, v in value.items() if k not in PATH_FIELDS}
    if isinstance(value, list):
        return [redact(v, roots) for v in value]
    if isinstance(value, str):
        for root in roots:
            if root and root in value:
                value = value.replace(root, MASK)
        return value
    return value


def server_roots(settings: Settings) -> tuple[str, ...]:
    """The server folders that must not appear in answers (the state folder, as given and real).

    Parameters
    ----------
    settings : Settings
        The service's settings (its ``home``).

    Returns
    -------
    tuple of str
    """
    home = settings.home
    return tuple(sorted({str(home), str(home.resolve())}, key=len, reverse=True))
