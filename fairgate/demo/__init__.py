"""The demo: the Toronto arrests data, its models, and the whole loop."""

from fairgate.demo.loop import (
    DEMO_MODEL,
    DemoOutcome,
    run_demo,
)

__all__ = [
    "DEMO_MODEL",
    "DemoOutcome",
    "run_demo",
]
