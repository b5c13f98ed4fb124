"""Group counts, metrics, uncertainty, explainability, policy, the audit runner and reports.

Import the numerical core from here::

    from fairgate.audit import group_counts, group_report

Every public name of :mod:`fairgate.audit.core` is public here too (its ``__all__`` is the one
list); the audit runner and reports are added below, and the layer-3 names load on first use.
"""

from fairgate.audit import core
from fairgate.audit.core import *  # noqa: F403  (re-exports core.__all__, the one list)
from fairgate.audit.pipeline.model_io import load_model
from fairgate.audit.pipeline.run import AuditSpec, run_audit
from fairgate.audit.report import render_report, write_notebook, write_report
from fairgate.audit.report.result import AuditResult
from fairgate.lazy import lazy_getattr

# Layer-3 names (policy, explainability) load on first use: shap and pydantic stay out of a
# plain ``import fairgate.audit``.
_LAZY: dict[str, str] = {
    "AuditEvidence": "fairgate.audit.policy",
    "Explanation": "fairgate.audit.explain",
    "Policy": "fairgate.audit.policy",
    "Verdict": "fairgate.audit.policy",
    "default_policy": "fairgate.audit.policy",
    "evaluate": "fairgate.audit.policy",
    "explain": "fairgate.audit.explain",
    "load_policy": "fairgate.audit.policy",
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())

__all__ = [
    "AuditResult",
    "AuditSpec",
    "load_model",
    "render_report",
    "run_audit",
    "write_notebook",
    "write_report",
    *sorted(_LAZY),
]
__all__ += core.__all__
