"""What the routes share: settings, registry, tokens, observations, breaker, hub, policies.

Which breaker rules govern a model: the ``policy`` given to :class:`Service`; else the policy
file named by the environment variable ``FAIRGATE_BREAKER_POLICY`` (for every model, read by
:func:`fairgate.registry.api.app.create_app`); else the policy named by the model's filing, if
the registry records one; else ``fairgate.audit.policy.default_policy()``. A policy that cannot
be loaded is an error naming it, never a silent default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from fairgate.audit.policy import Policy, default_policy, load_policy
from fairgate.errors import AuthenticationError
from fairgate.registry.api.auth import Principal, TokenStore
from fairgate.registry.api.events import StatusHub
from fairgate.registry.monitor.breaker import Breaker
from fairgate.registry.monitor.observations import ObservationStore
from fairgate.settings import Settings

__all__ = ["POLICY_ENV", "Service", "load_breaker_policy"]

POLICY_ENV = "FAIRGATE_BREAKER_POLICY"
"""Environment variable naming a policy file whose breaker rules then govern every model."""

PolicySource = Policy | Callable[[str, str], Policy] | None


class Service:
    """Everything the routes share: settings, registry, tokens, observations, breaker, hub.

    Parameters
    ----------
    settings : Settings
    registry : Registry
    policy : Policy or callable, optional
        The breaker policy for every model, or ``policy(name, version) -> Policy``. Default: the
        policy named by the model's filing if the registry knows it, else
        ``fairgate.audit.policy.default_policy()``.
    """

    def __init__(self, settings: Settings, registry: Any, policy: PolicySource = None) -> None:
        self.settings = settings
        self.registry = registry
        self.tokens = TokenStore(registry.engine)
        self.observations = ObservationStore(registry.engine)
        self._policy = policy
        self._policies: dict[tuple[str, str], Policy] = {}
        self.breaker = Breaker(registry, self.observations, self.policy_for)
        self.hub = StatusHub(registry, on_state_change=self._state_changed)

    def _state_changed(self, name: str, version: str, old: str | None, new: str) -> None:
        self.breaker.forget(name, version)
        self._policies.pop((name, version), None)

    def policy_for(self, name: str, version: str) -> Policy:
        """The policy whose breaker rules govern a model version, bound to its attributes.

        Raises
        ------
        NotFoundError
            The model version is not filed.
        PolicyError
            The policy its filing names cannot be loaded (the message names it).
        """
        key = (name, version)
        if key in self._policies:
            return self._policies[key]
        filing = dict(self.registry.filing(name, version))
        policy = self._policy
        if policy is not None and not isinstance(policy, Policy):
            policy = policy(name, version)
        if policy is None:
            ref = filing.get("policy")
            policy = load_policy(ref) if ref else default_policy()
        bound = policy.bind(_sensitive_of(filing))
        self._policies[key] = bound
        return bound

    def principal(self, authorization: str | None) -> Principal:
        """Verify an ``Authorization`` header value.

        Raises
        ------
        AuthenticationError
        """
        if not authorization:
            raise AuthenticationError(
                "this endpoint needs a token: send 'Authorization: Bearer fg_<id>_<secret>' "
                "(create one with 'fairgate token create --role ROLE')."
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                "the Authorization header must read 'Bearer fg_<id>_<secret>'."
            )
        return self.tokens.verify(token.strip())

    def status_entry(self, name: str, version: str) -> tuple[dict[str, Any], bytes, str]:
        """The cached status answer of a model version (blocking on a cache miss)."""
        entry = self.hub.get(name, version)
        return entry if entry is not None else self.hub.load(name, version)


def load_breaker_policy(path: str | os.PathLike[str]) -> Policy:
    """Load a policy file for the breaker with :func:`fairgate.audit.policy.load_policy`.

    Parameters
    ----------
    path : str or path-like
        A YAML or JSON policy file.

    Returns
    -------
    Policy

    Raises
    ------
    PolicyError
        When the file cannot be read or is not a valid policy (the message names it).
    """
    return load_policy(os.fspath(path))


def _sensitive_of(filing: dict[str, Any]) -> list[str]:
    """The sensitive variables a filing declares."""
    return list(filing.get("sensitive_variables") or []) or [
        f["name"] for f in filing.get("features", []) if f.get("sensitive")
    ]
