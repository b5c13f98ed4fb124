"""The circuit breaker: windowed per-group counts, the policy's breaker rules, and the trip.

For every ACTIVE model version the breaker keeps one :class:`~.windows.Window`
per breaker rule (and per drift rule) and, after each stored batch, evaluates the rules with the
very functions the audit uses (:func:`fairgate.audit.core.metrics.metric_values`, ``difference``,
``ratio``, ``METRICS[...].parts`` and :func:`fairgate.audit.core.uncertainty.group_significance`).

A fairness rule **trips** only when all three hold, so noise does not trip it:

1. at least two groups have ``min_samples`` observations in the metric's denominator (smaller
   groups are left out, as the audit leaves out groups under ``min_group_size``);
2. the difference (``max - min``) exceeds, or the ratio (``min / max``) falls below, the threshold;
3. the rate of the worst group differs from the best group's at significance level ``alpha``
   (chi-square with Yates' correction, or Fisher's exact test for small expected counts).

The policy's human-oversight limits (review share, automated adverse share, override rate and
its gap between groups) keep review counts per group in windows of their own and trip the same
way (:mod:`.oversight`); a model with such limits refuses a batch that does not report reviews.

A drift rule compares the sensitive-group composition of the last ``window`` observations with a
baseline, by the population stability index (PSI); the baseline is the composition of the first
full window after the model became ACTIVE (after a restart: of the replayed observations). It trips
when the PSI exceeds ``psi_threshold`` and a chi-square goodness-of-fit test rejects the baseline
at ``alpha`` (default 0.01).

A trip calls :meth:`Registry.suspend_by_breaker` inside the transaction that stores the tripping
batch, so the batch, the suspension and its evidence (counts per group, metric values, statistic,
p-value, rule, window and batch ids, the governing policy's name, version and hash) commit
together: an acknowledged batch that trips can never leave the model serving after a crash. The
caller (the service) then announces the change on the push stream.

After a restart the windows are rebuilt lazily, on the first batch of a model version, by replaying
its stored raw batches received since the model last changed state (its status ``updated_at``),
newest first until ``REPLAY_FACTOR`` times the largest window is covered. With several workers,
each batch is evaluated by the worker that stored it, holding the model version's lock, after its
windows caught up with the batches the others stored (see :meth:`Breaker.record`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fairgate.errors import ConflictError, NotFoundError, ValidationError
from fairgate.registry.monitor.drift import psi
from fairgate.registry.monitor.evaluation import Evaluation
from fairgate.registry.monitor.fairness import evaluate_fairness, rule_metrics
from fairgate.registry.monitor.live_kind import BINARY, LiveKind, live_kind
from fairgate.registry.monitor.model_state import ModelState
from fairgate.registry.monitor.observations import Batch, ObservationStore
from fairgate.registry.monitor.oversight import review_cells

__all__ = [
    "REPLAY_FACTOR",
    "Breaker",
    "Evaluation",
    "Recorded",
    "evaluate_fairness",
    "psi",
    "rule_metrics",
]

REPLAY_FACTOR = 4
"""After a restart, replay stored observations covering this many times the largest window."""


PolicyLookup = Callable[[str, str], Any]


@dataclass(frozen=True)
class Recorded:
    """What :meth:`Breaker.record` did with a batch.

    Attributes
    ----------
    stored : Batch
        The stored batch, with its id (for a duplicate: the batch stored first).
    evaluations : list of Evaluation
        The rules evaluated on it (empty for a duplicate).
    status : StatusRecord or None
        The new status when this batch tripped the breaker.
    duplicate : bool
        The ``client_batch_id`` was already stored; nothing was stored or evaluated now.
    """

    stored: Batch
    evaluations: list[Evaluation]
    status: Any
    duplicate: bool = False


class Breaker:
    """Evaluates breaker rules on live observations and trips through the registry.

    Parameters
    ----------
    registry : Registry
        Needs ``status`` and ``suspend_by_breaker``.
    observations : ObservationStore
        Used to rebuild windows after a restart.
    policy_for : callable
        ``policy_for(name, version)`` returns the policy (with ``breaker`` and ``drift`` rule lists)
        that governs the model version.
    describe_policy : callable, optional
        ``describe_policy(name, version)`` returns the governing policy's name, version and hash,
        recorded with the evidence of a trip.
    """

    def __init__(
        self,
        registry: Any,
        observations: ObservationStore,
        policy_for: PolicyLookup,
        describe_policy: Callable[[str, str], dict[str, Any]] | None = None,
    ) -> None:
        self.registry, self.observations = registry, observations
        self.policy_for, self.describe_policy = policy_for, describe_policy
        self._models: dict[tuple[str, str], ModelState] = {}
        self._kinds: dict[tuple[str, str], LiveKind] = {}
        self._lock = threading.Lock()

    def live_kind(self, name: str, version: str) -> LiveKind:
        """What a model version reports live, from its filing (cached; binary without a filing).

        Raises
        ------
        NotFoundError
            For a model version that was never filed.
        """
        key = (name, version)
        known = self._kinds.get(key)
        if known is None:
            reader = getattr(self.registry, "filing_object", None)
            known = BINARY if reader is None else live_kind(reader(name, version))
            self._kinds[key] = known
        return known

    def state_for(self, name: str, version: str) -> ModelState:
        """The windows of a model version, created (and rebuilt from storage) on first use."""
        key = (name, version)
        state = self._models.get(key)
        if state is not None:
            return state
        with self._lock:
            state = self._models.get(key)
            if state is None:
                policy = self.policy_for(name, version)
                rules = list(getattr(policy, "breaker", None) or [])
                drift = list(getattr(policy, "drift", None) or [])
                try:
                    live = self.live_kind(name, version)
                except NotFoundError:
                    live = BINARY
                state = ModelState(rules, drift, live, getattr(policy, "oversight", None))
                self._rebuild(name, version, state)
                self._models[key] = state
        return state

    def forget(self, name: str, version: str) -> None:
        """Drop the windows of a model version (it left ACTIVE, or was reinstated)."""
        with self._lock:
            self._models.pop((name, version), None)

    def check(self, batch: Batch) -> ModelState:
        """Validate that the batch carries every attribute the rules need.

        Raises
        ------
        ValidationError
        """
        state = self.state_for(batch.model, batch.version)
        if batch.kind != state.live.kind:
            raise ValidationError(
                f"{batch.model}:{batch.version} is filed as a {state.live.kind} model, but the "
                f"batch holds {batch.kind} observations; send what the filing declares "
                "(0/1 decisions, scores, class labels or numeric predictions).",
                details={"expected": state.live.kind, "received": batch.kind},
            )
        if state.limits:
            review_cells(
                batch, state.oversight, state.live
            )  # refuses a batch that does not report reviews
        missing = sorted(state.attributes() - set(batch.codes))
        if missing:
            raise ValidationError(
                f"'sensitive' lacks {missing}, which the breaker rules of "
                f"{batch.model}:{batch.version} monitor; send them with every observation.",
                details={"missing": missing},
            )
        return state

    def _rebuild(self, name: str, version: str, state: ModelState) -> None:
        sizes = [w.size for w in state.windows + state.drift_windows + state.limit_windows]
        if not sizes:
            return
        try:
            since = self.registry.status(name, version).updated_at
            since_ts = since.timestamp() if hasattr(since, "timestamp") else float(since)
        except Exception:
            return
        state.since = since_ts
        budget = REPLAY_FACTOR * max(sizes)
        picked: list[Batch] = []
        for batch in self.observations.batches(name, version, since=since_ts, newest_first=True):
            picked.append(batch)
            budget -= batch.n
            if budget <= 0:
                break
        for batch in reversed(picked):
            state.apply(batch)
            state.last_id = batch.id

    def _catch_up(self, state: ModelState, stored: Batch) -> None:
        """Apply the batches other workers stored since this one last held the model's lock."""
        for batch in self.observations.batches(
            stored.model, stored.version, after_id=state.last_id, since=state.since
        ):
            if batch.id >= stored.id:
                break
            state.apply(batch)
            state.last_id = batch.id

    def record(self, batch: Batch) -> Recorded:
        """Store a batch, add it to the windows, evaluate, and trip if a rule fails: one commit.

        The batch, and the suspension with its ledger event when the batch trips a rule, are
        written in **one** transaction, under the model version's lock — held across every worker
        and host (:func:`~fairgate.registry.store.changes.model_lock`) — so once the batch is
        acknowledged the trip is durable too, and a crash before the commit loses both. The
        windows first catch up with the batches other workers stored, so they see every batch in
        storage order and N workers trip on exactly the batch one worker would. A batch whose
        ``client_batch_id`` is already stored is not stored or evaluated again (``duplicate``).

        Parameters
        ----------
        batch : Batch
            A parsed batch of a model version that is ACTIVE.

        Returns
        -------
        Recorded

        Raises
        ------
        ValidationError
            When the batch lacks an attribute the rules monitor (nothing is stored).
        """
        from fairgate.registry.store.changes import model_lock

        state = self.check(batch)
        engine = self.observations.engine
        with state.lock, model_lock(engine, batch.model, batch.version):
            try:
                with engine.begin() as conn:
                    if batch.client_batch_id is not None:
                        known = self.observations.find(
                            batch.model, batch.version, batch.client_batch_id, conn=conn
                        )
                        if known is not None:
                            return Recorded(known, [], None, duplicate=True)
                    stored = self.observations.append(batch, conn=conn)
                    if state.tripped:
                        return Recorded(stored, [], None)
                    self._catch_up(state, stored)
                    results = state.apply(stored)
                    state.last_id = stored.id
                    trips = [r for r in results if r.status == "trip"]
                    if not trips:
                        return Recorded(stored, results, None)
                    state.tripped = True
                    record = self._trip(conn, batch, stored, trips)
            except sa.exc.IntegrityError:
                # the same client batch id committed by a concurrent request (PostgreSQL)
                self.forget(batch.model, batch.version)
                if batch.client_batch_id is None:
                    raise
                known = self.observations.find(batch.model, batch.version, batch.client_batch_id)
                if known is None:
                    raise
                return Recorded(known, [], None, duplicate=True)
            except BaseException:
                self.forget(batch.model, batch.version)  # the windows may hold an uncommitted batch
                raise
        self.forget(batch.model, batch.version)
        if record is not None:
            self.registry.mirror(record)
        return Recorded(stored, results, self.registry.status(batch.model, batch.version))

    def _trip(self, conn: Any, batch: Batch, stored: Batch, trips: list[Evaluation]) -> Any:
        first = trips[0]
        evidence = dict(first.evidence)
        evidence["trigger_batch"] = stored.id
        evidence["all_trips"] = [t.to_dict() for t in trips]
        if self.describe_policy is not None:
            evidence["policy"] = self.describe_policy(batch.model, batch.version)
        try:
            return self.registry.suspend_by_breaker(
                batch.model, batch.version, rule=first.rule, evidence=evidence, conn=conn
            )
        except ConflictError:  # it already left ACTIVE (a committee decision came first)
            return None
