"""The registry's storage: filings, tables, the store, ledger, lifecycle, artifacts."""

from fairgate.registry.store.artifacts import (
    ArtifactRef,
    ArtifactStore,
)
from fairgate.registry.store.filing import example_filing_path, filing_json_schema, parse_filing
from fairgate.registry.store.filing_schema import (
    FILING_SCHEMA_VERSION,
    MAX_FILING_BYTES,
    DataDescription,
    Evaluation,
    Feature,
    Filing,
    MlflowRef,
    Organisation,
    Person,
    Target,
)
from fairgate.registry.store.ledger import (
    GENESIS,
    LedgerEvent,
    VerifyResult,
    append,
    canonical_json,
    event_hash,
    export,
    iter_events,
    verify,
)
from fairgate.registry.store.lifecycle import (
    ACTIONS,
    COMMITTEE_ACTIONS,
    MIN_RATIONALE,
    State,
    allowed_actions,
    check_rationale,
    check_transition,
)
from fairgate.registry.store.policies import PolicyStore
from fairgate.registry.store.policy_records import (
    PolicyAssignment,
    PolicyRecord,
    parse_policy_ref,
)
from fairgate.registry.store.sql_store import (
    AuditRecord,
    ModelVersion,
    Registry,
    StatusRecord,
)

__all__ = [
    "ACTIONS",
    "COMMITTEE_ACTIONS",
    "FILING_SCHEMA_VERSION",
    "GENESIS",
    "MAX_FILING_BYTES",
    "MIN_RATIONALE",
    "ArtifactRef",
    "ArtifactStore",
    "AuditRecord",
    "DataDescription",
    "Evaluation",
    "Feature",
    "Filing",
    "LedgerEvent",
    "MlflowRef",
    "ModelVersion",
    "Organisation",
    "Person",
    "PolicyAssignment",
    "PolicyRecord",
    "PolicyStore",
    "Registry",
    "State",
    "StatusRecord",
    "Target",
    "VerifyResult",
    "allowed_actions",
    "append",
    "canonical_json",
    "check_rationale",
    "check_transition",
    "event_hash",
    "example_filing_path",
    "export",
    "filing_json_schema",
    "iter_events",
    "parse_filing",
    "parse_policy_ref",
    "verify",
]
