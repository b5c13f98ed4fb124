"""The audit's outputs: the AuditResult, the HTML report, the notebook, charts and catalogs."""

from fairgate.audit.report.catalog import LANGUAGES, catalog_problems, load_catalog
from fairgate.audit.report.html import render_report, write_report
from fairgate.audit.report.notebook import write_notebook
from fairgate.audit.report.result import (
    SCHEMA_VERSION,
    AuditResult,
    library_versions,
)

__all__ = [
    "LANGUAGES",
    "SCHEMA_VERSION",
    "AuditResult",
    "catalog_problems",
    "library_versions",
    "load_catalog",
    "render_report",
    "write_notebook",
    "write_report",
]
