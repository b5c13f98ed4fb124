"""Live monitoring: observations, windows of per-group counts, the circuit breaker."""

from fairgate.registry.monitor.breaker import (
    REPLAY_FACTOR,
    Breaker,
    Evaluation,
    psi,
    rule_metrics,
)
from fairgate.registry.monitor.observations import (
    MISSING,
    Batch,
    ObservationStore,
    batches_table,
    parse_batch,
    parse_batch_dict,
)
from fairgate.registry.monitor.windows import (
    NCELLS,
    Window,
    batch_cells,
    cells_for,
    combined_groups,
)

__all__ = [
    "MISSING",
    "NCELLS",
    "REPLAY_FACTOR",
    "Batch",
    "Breaker",
    "Evaluation",
    "ObservationStore",
    "Window",
    "batch_cells",
    "batches_table",
    "cells_for",
    "combined_groups",
    "parse_batch",
    "parse_batch_dict",
    "psi",
    "rule_metrics",
]
