"""The audit report the pages embed, rendered from the stored audit result in the page's language.

A report is rendered once per (audit, language) with :func:`fairgate.audit.report.render_report`
and kept under ``FAIRGATE_HOME/web-cache/reports``; the file's name holds the audit's result
hash and a hash of the language's catalog, so a re-recorded result or an updated catalog
renders it again. An audit whose stored result is not a whole audit result (one recorded by
another tool through the registry's API) is shown as the report file it was recorded with.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path

from fairgate.audit.report import SCHEMA_VERSION, AuditResult, load_catalog, render_report
from fairgate.errors import NotFoundError
from fairgate.registry.store import AuditRecord

__all__ = ["CACHE_FOLDER", "report_html"]

CACHE_FOLDER = Path("web-cache") / "reports"
"""Where rendered reports are kept, under ``FAIRGATE_HOME``."""


@cache
def _catalog_hash(lang: str) -> str:
    body = json.dumps(load_catalog(lang), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def _whole(audit: AuditRecord | None) -> bool:
    return (
        audit is not None
        and isinstance(audit.result, dict)
        and audit.result.get("schema_version") == SCHEMA_VERSION
    )


def report_html(
    home: Path, audit: AuditRecord, lang: str, previous: AuditRecord | None = None
) -> bytes:
    """The HTML report of ``audit`` in ``lang``, rendered once and cached under ``home``.

    Parameters
    ----------
    home : Path
        The state folder (``FAIRGATE_HOME``).
    audit : AuditRecord
        A completed audit of the version.
    lang : {"en", "zh"}
        The page's language.
    previous : AuditRecord, optional
        The previous version's latest completed audit, shown beside this one.

    Returns
    -------
    bytes
        The self-contained HTML page (UTF-8).

    Raises
    ------
    NotFoundError
        The audit has neither a whole stored result nor a stored report file.
    """
    if not _whole(audit):
        if audit.report_path and Path(audit.report_path).is_file():
            return Path(audit.report_path).read_bytes()
        raise NotFoundError(
            f"{audit.name}@{audit.version} has no stored report for audit {audit.id}."
        )
    before = previous if _whole(previous) else None
    tag = f"{audit.result_sha256[:16]}-{before.result_sha256[:8] if before else 'none'}"
    path = home / CACHE_FOLDER / f"{audit.id}-{lang}-{tag}-{_catalog_hash(lang)}.html"
    if path.is_file():
        return path.read_bytes()
    earlier = AuditResult.from_dict(before.result) if before else None
    body = render_report(AuditResult.from_dict(audit.result), lang, earlier).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as out:
        out.write(body)
    os.replace(out.name, path)
    return body
