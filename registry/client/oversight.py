"""Oversight routing for :class:`~fairgate.registry.client.StatusClient`: rules held, draws made.

The rules come with each status answer (its ``oversight`` object); :class:`Routes` compiles them
once per answer into a :class:`fairgate.routing.Router`, so :meth:`StatusClient.route` decides
locally, without a network call per decision.

Random audit samples (``sample_rate``) draw from one generator per client. Without a seed it is
:class:`random.SystemRandom` (the operating system's randomness, as :mod:`secrets` uses): a
vendor cannot predict which decisions will be sampled. With ``seed`` it is a
:class:`random.Random` seeded once, so a test or a replay sends the same decisions to people.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from fairgate.routing import Router

__all__ = ["Routes", "sampler"]


def sampler(seed: int | None) -> Callable[[], float]:
    """The draw of a client's random audit sample: unpredictable, or reproducible when seeded.

    Parameters
    ----------
    seed : int or None
        ``None``: :class:`random.SystemRandom`; an integer: a seeded :class:`random.Random`.

    Returns
    -------
    callable
        Returns a float in ``[0, 1)``.
    """
    return random.SystemRandom().random if seed is None else random.Random(seed).random


class Routes:
    """Compiled routers of the model versions a client asked about, one per status answer.

    Parameters
    ----------
    seed : int or None
        See :func:`sampler`.
    """

    def __init__(self, seed: int | None) -> None:
        self.draw = sampler(seed)
        self.held: dict[tuple[str, str], tuple[dict[str, Any], Router]] = {}
        """``(name, version)`` -> the status answer and its compiled router."""

    def router(self, key: tuple[str, str], answer: dict[str, Any]) -> Router:
        """The router of a status answer (compiled on the first call for this answer).

        Parameters
        ----------
        key : tuple of str
            ``(name, version)``.
        answer : dict
            The cached status answer (with its ``oversight`` rules, or ``null``).

        Returns
        -------
        Router
        """
        held = self.held.get(key)
        if held is not None and held[0] is answer:
            return held[1]
        router = Router(answer.get("oversight"), self.draw)
        self.held[key] = (answer, router)
        return router
