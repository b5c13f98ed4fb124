"""``StatusClient``: what serving code uses to ask fairgate before it serves, and to report.

::

    from fairgate.registry.client import StatusClient

    with StatusClient("http://127.0.0.1:8000", token) as fg:
        if fg.may_serve("benefits-triage", "1.2"):
            decision = model.predict(x)
            fg.observe("benefits-triage", "1.2", decision, {"sex": person.sex})

* **Never blocks the caller.** :meth:`may_serve` answers from memory within ``budget`` seconds
  (default 50 ms) whatever the server does: a background thread follows the push stream
  (``/v1/status/stream``), so a suspension reaches the cache within a second, and another
  refreshes answers (with their ETag) when the stream is down, at most every
  ``retry_interval`` seconds per model. Only a model asked about for the first time waits, up to
  ``budget``, for its first answer; if none comes in time the answer is "no" for now.
* **Fail-closed, exactly at the grace period.** Each cached answer is *fresh* as of the last
  time the server confirmed it (a status answer, or the live push stream's heartbeat after the
  answer was current). Once ``grace_period`` seconds pass without a fresh answer,
  :meth:`may_serve` returns ``False``. Pass ``fail_open=True`` to return ``True`` instead (only
  where not serving is worse than serving a model that may have been suspended). Unknown
  models, refused tokens and any other 4xx answer are always "no".
* **Batched observations, stored once.** :meth:`observe` only appends to a buffer; a background
  thread posts a columnar batch per model version every ``flush_interval`` seconds or once
  ``batch_size`` observations are waiting. Every batch carries a ``client_batch_id``; a batch
  that fails for a transient reason (connection refused, timeout, 5xx) is retried unchanged with
  the same id, so the server stores it once even when only its answer was lost. A batch the
  server rejects (4xx, e.g. the model is no longer ACTIVE) is dropped and counted in
  :attr:`dropped`. At most ``max_buffer`` observations wait; beyond that the oldest are dropped
  (and counted).
"""

from fairgate.registry.client.status import StatusClient

__all__ = ["StatusClient"]
