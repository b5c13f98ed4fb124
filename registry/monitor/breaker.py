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

import numpy as np
import sqlalchemy as sa

from fairgate.audit.core.vocabulary import compared_rates, needs_outcome
from fairgate.errors import ConflictError, NotFoundError, ValidationError
from fairgate.registry.monitor.drift import evaluate_drift, psi
from fairgate.registry.monitor.evaluation import Evaluation, finite
from fairgate.registry.monitor.kind_rules import applies, evaluate_counts
from fairgate.registry.monitor.kind_windows import KindWindow, empty_counts
from fairgate.registry.monitor.live_kind import BINARY, LiveKind, live_kind
from fairgate.registry.monitor.observations import Batch, ObservationStore
from fairgate.registry.monitor.oversight import evaluate_limit, review_cells
from fairgate.registry.monitor.windows import Window, batch_cells, cells_for, combined_groups

__all__ = [
    "REPLAY_FACTOR",
    "Breaker",
    "Evaluation",
    "Recorded",
    "psi",
    "rule_metrics",
]

REPLAY_FACTOR = 4
"""After a restart, replay stored observations covering this many times the largest window."""


def rule_metrics(metric: str) -> tuple[str, ...]:
    """The rate metric(s) a breaker rule's ``metric`` names (criteria are expanded).

    Parameters
    ----------
    metric : str
        Any name of :data:`fairgate.audit.core.vocabulary.RULE_METRICS`, an alias (``tpr``, ...)
        or an aggregate such as ``demographic_parity_difference``.

    Returns
    -------
    tuple of str

    Raises
    ------
    ValidationError
        For a name the vocabulary does not know.
    """
    return compared_rates(metric)


def _window_of(rule: Any) -> tuple[str, int]:
    window = getattr(rule, "window", None)
    if window is None:
        return "sliding", 1000
    if isinstance(window, int):
        return "sliding", window
    if isinstance(window, dict):
        return str(window.get("kind", "sliding")), int(window.get("size", 1000))
    return str(getattr(window, "kind", "sliding")), int(getattr(window, "size", 1000))


def evaluate_fairness(rule: Any, window: Window, counts: np.ndarray) -> Evaluation:
    """Evaluate one fairness breaker rule on window counts of shape ``(G, 6)``.

    Parameters
    ----------
    rule : BreakerRule
        The rule (metric, kind, threshold, min_samples, alpha).
    window : Window
        For the group keys and the batch ids.
    counts : numpy.ndarray
        Window counts, shape ``(G, 6)``.

    Returns
    -------
    Evaluation
    """
    from fairgate.audit.core.metrics import METRICS, difference, metric_values, ratio
    from fairgate.audit.core.uncertainty import group_significance

    metrics = rule_metrics(rule.metric)
    kind = getattr(rule, "kind", "difference")
    cells = cells_for(counts, needs_outcome(rule.metric))
    keys = window.key_list()
    min_samples = int(getattr(rule, "min_samples", 30))
    alpha = float(getattr(rule, "alpha", 0.05))
    worst: Evaluation | None = None
    for metric in metrics:
        _, den = METRICS[metric].parts(cells)
        eligible = np.asarray(den) >= max(min_samples, 1)
        values = metric_values(metric, cells)
        base = {
            "rule": rule.id,
            "metric": metric,
            "kind": kind,
            "threshold": float(rule.threshold),
            "alpha": alpha,
            "min_samples": min_samples,
            "attributes": list(getattr(rule, "attributes", [])),
            "window": {"kind": window.kind, "size": window.size, "observations": int(counts.sum())},
            "batches": [window.first_batch, window.last_batch],
            "groups": [list(k) for k in keys],
            "counts": {"TP_FP_TN_FN": cells.tolist(), "raw_TP_FP_TN_FN_PU_NU": counts.tolist()},
            "values": [finite(v) for v in np.atleast_1d(values)],
            "eligible": eligible.tolist(),
        }
        if eligible.sum() < 2:
            ev = Evaluation(rule.id, "insufficient", evidence=base)
        else:
            fn = difference if kind == "difference" else ratio
            stat = float(fn(values, include=eligible))
            breach = stat > rule.threshold if kind == "difference" else stat < rule.threshold
            idx = np.flatnonzero(eligible)
            vals = np.asarray(values)[idx]
            hi, lo = int(idx[np.nanargmax(vals)]), int(idx[np.nanargmin(vals)])
            sig = group_significance(cells[[lo, hi]], metric, reference=1)
            p = float(sig.p_values[0])
            status = "trip" if breach and p < alpha else ("breach" if breach else "ok")
            base.update(
                statistic=finite(stat),
                p_value=finite(p),
                test=str(sig.tests[0]),
                compared=[list(keys[lo]), list(keys[hi])],
            )
            ev = Evaluation(rule.id, status, finite(stat), finite(p), base)
        if worst is None or _rank(ev) > _rank(worst):
            worst = ev
    assert worst is not None
    return worst


def _rank(ev: Evaluation) -> int:
    return {"insufficient": 0, "ok": 1, "breach": 2, "trip": 3}[ev.status]


def _legacy(rule: Any, live: LiveKind) -> bool:
    """A gap rule on 0/1 decisions: judged by :func:`evaluate_fairness` (its evidence format)."""
    return live.kind == "binary" and getattr(rule, "kind", "difference") in ("difference", "ratio")


class _ModelState:
    """Windows of one model version (rules whose metric the model's kind lacks are left out)."""

    def __init__(
        self, rules: list[Any], drift: list[Any], live: LiveKind = BINARY, oversight: Any = None
    ) -> None:
        self.lock = threading.Lock()
        self.live = live
        probe = empty_counts(live)
        self.skipped = [r.id for r in rules if not applies(r.metric, probe)]
        self.rules = [r for r in rules if r.id not in self.skipped]
        self.drift = drift
        self.windows: list[Window | KindWindow] = [
            Window(*_window_of(r))
            if _legacy(r, live)
            else KindWindow(live, *_window_of(r), list(r.attributes), r.metric)
            for r in self.rules
        ]
        self.drift_windows = [Window(*_window_of(r)) for r in drift]
        self.baselines: list[np.ndarray | None] = [None for _ in drift]
        self.oversight = oversight
        self.limits = [] if oversight is None else oversight.bound_limits()
        self.limit_windows = [Window(*_window_of(r)) for r in self.limits]
        self.tripped = False
        self.last_id = 0  # newest stored batch applied to the windows
        self.since: float | None = None  # batches before this (the last state change) never count

    def attributes(self) -> set[str]:
        need = {a for r in [*self.rules, *self.limits] for a in getattr(r, "attributes", [])}
        return need | {r.attribute for r in self.drift}


def evaluate_kind(rule: Any, window: KindWindow, counts: Any) -> Evaluation:
    """Evaluate a breaker rule on a window of any kind (see :mod:`.kind_rules`)."""
    status, stat, p, evidence = evaluate_counts(rule, counts, window.describe())
    evidence["batches"] = [window.first_batch, window.last_batch]
    return Evaluation(rule.id, status, stat, p, evidence)


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
        self.registry = registry
        self.observations = observations
        self.policy_for = policy_for
        self.describe_policy = describe_policy
        self._models: dict[tuple[str, str], _ModelState] = {}
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

    def state_for(self, name: str, version: str) -> _ModelState:
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
                state = _ModelState(rules, drift, live, getattr(policy, "oversight", None))
                self._rebuild(name, version, state)
                self._models[key] = state
        return state

    def forget(self, name: str, version: str) -> None:
        """Drop the windows of a model version (it left ACTIVE, or was reinstated)."""
        with self._lock:
            self._models.pop((name, version), None)

    def check(self, batch: Batch) -> _ModelState:
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

    def _rebuild(self, name: str, version: str, state: _ModelState) -> None:
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
            self._apply(state, batch)
            state.last_id = batch.id

    def _catch_up(self, state: _ModelState, stored: Batch) -> None:
        """Apply the batches other workers stored since this one last held the model's lock."""
        for batch in self.observations.batches(
            stored.model, stored.version, after_id=state.last_id, since=state.since
        ):
            if batch.id >= stored.id:
                break
            self._apply(state, batch)
            state.last_id = batch.id

    def _apply(self, state: _ModelState, batch: Batch) -> list[Evaluation]:
        if batch.kind != state.live.kind:  # stored before the filing's kind was checked
            return []
        cells = batch_cells(batch) if batch.kind == "binary" else None
        results: list[Evaluation] = []
        for rule, window in zip(state.rules, state.windows, strict=True):
            if isinstance(window, KindWindow):
                for closed in window.add(batch):
                    results.append(evaluate_kind(rule, window, closed))
                if window.total:
                    results.append(evaluate_kind(rule, window, window.counts()))
                continue
            local, keys = combined_groups(batch, list(rule.attributes))
            for closed in window.add(local, keys, cells, batch.id):
                results.append(evaluate_fairness(rule, window, closed))
            if window.total:
                results.append(evaluate_fairness(rule, window, window.counts))
        for i, (rule, window) in enumerate(zip(state.drift, state.drift_windows, strict=True)):
            local, keys = combined_groups(batch, [rule.attribute])
            window.add(local, keys, np.zeros(batch.n, dtype=np.int64), batch.id)
            if state.baselines[i] is None and window.total >= window.size:
                state.baselines[i] = window.counts.sum(axis=1).copy()
                continue
            results.append(evaluate_drift(rule, window, state.baselines[i]))
        if state.limits and batch.reviews is not None:
            reviews = review_cells(batch, state.oversight, state.live)
            for limit, window in zip(state.limits, state.limit_windows, strict=True):
                local, keys = combined_groups(batch, list(limit.attributes))
                for closed in window.add(local, keys, reviews, batch.id):
                    results.append(Evaluation(limit.id, *evaluate_limit(limit, window, closed)))
                if window.total:
                    counts = window.counts
                    results.append(Evaluation(limit.id, *evaluate_limit(limit, window, counts)))
        return results

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
                    results = self._apply(state, stored)
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
