"""The demo: the Toronto arrests data, its models, and the whole loop of ``fairgate demo``."""

from fairgate.demo.audit import audit_version, run_demo_audit
from fairgate.demo.loop import DEMO_MODEL, DemoOutcome, DemoRun, run_demo

__all__ = [
    "DEMO_MODEL",
    "DemoOutcome",
    "DemoRun",
    "audit_version",
    "run_demo",
    "run_demo_audit",
]
