"""The audit's outputs: the AuditResult, the HTML report, the notebook and charts."""

from fairgate.audit.report.html import (
    LANGUAGES,
    load_catalog,
    render_report,
    write_notebook,
    write_report,
)
from fairgate.audit.report.result import (
    SCHEMA_VERSION,
    AuditResult,
    library_versions,
)

__all__ = [
    "LANGUAGES",
    "SCHEMA_VERSION",
    "AuditResult",
    "library_versions",
    "load_catalog",
    "render_report",
    "write_notebook",
    "write_report",
]
