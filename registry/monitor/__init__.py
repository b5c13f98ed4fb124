"""Live monitoring: observations, windows of per-group counts, the circuit breaker."""

from fairgate.registry.monitor.breaker import (
    REPLAY_FACTOR,
    Breaker,
    Evaluation,
    psi,
    rule_metrics,
)
from fairgate.registry.monitor.kind_windows import KindWindow, SumWindow
from fairgate.registry.monitor.live_kind import LIVE_KINDS, LiveKind, live_kind
from fairgate.registry.monitor.observations import (
    MISSING,
    Batch,
    ObservationStore,
    batches_table,
    parse_batch,
    parse_batch_dict,
)
from fairgate.registry.monitor.oversight import AutomationShares, automation_shares
from fairgate.registry.monitor.reviews import Reviews
from fairgate.registry.monitor.windows import (
    NCELLS,
    Window,
    batch_cells,
    cells_for,
    combined_groups,
)

__all__ = [
    "LIVE_KINDS",
    "MISSING",
    "NCELLS",
    "REPLAY_FACTOR",
    "AutomationShares",
    "Batch",
    "Breaker",
    "Evaluation",
    "KindWindow",
    "LiveKind",
    "ObservationStore",
    "Reviews",
    "SumWindow",
    "Window",
    "automation_shares",
    "batch_cells",
    "batches_table",
    "cells_for",
    "combined_groups",
    "live_kind",
    "parse_batch",
    "parse_batch_dict",
    "psi",
    "rule_metrics",
]
