"""What the routes share: settings, registry, tokens, observations, breaker, hub, policies.

Which breaker rules govern a model: the ``policy`` given to :class:`Service` (trusted code only);
else the **published** policy named by ``breaker_policy`` (the environment variable
``FAIRGATE_BREAKER_POLICY``, read by :func:`fairgate.registry.api.app.create_app`: a policy name
such as ``city-example`` or ``city-example@2``, for every model); else the policy the committee
assigned to the model version in the policy store
(:class:`~fairgate.registry.store.policies.PolicyStore`; the filing's reference is pinned when the
version is filed). No policy is ever read from a file path. The built-in policies are published
when the service starts for the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fairgate.audit.policy import Policy
from fairgate.errors import AuthenticationError
from fairgate.registry.api.auth import Principal, TokenStore
from fairgate.registry.api.events import StatusHub
from fairgate.registry.monitor.breaker import Breaker
from fairgate.registry.monitor.observations import ObservationStore
from fairgate.registry.store.checkpoints import CheckpointKey, load_key
from fairgate.registry.store.policies import PolicyStore
from fairgate.registry.store.webhooks import WebhookStore
from fairgate.settings import Settings

__all__ = ["POLICY_ENV", "Service"]

POLICY_ENV = "FAIRGATE_BREAKER_POLICY"
"""Environment variable naming a published policy whose breaker rules then govern every model."""

PolicySource = Policy | Callable[[str, str], Policy] | None


class Service:
    """Everything the routes share: settings, registry, tokens, policies, breaker, hub.

    Parameters
    ----------
    settings : Settings
    registry : Registry
    policy : Policy or callable, optional
        The breaker policy for every model, or ``policy(name, version) -> Policy`` (trusted code
        only). Default: the published policy named by ``breaker_policy``, else the policy
        assigned to the model version in the policy store.
    breaker_policy : str, optional
        A published policy reference (``name`` or ``name@version``) governing every model.

    Raises
    ------
    ValidationError, NotFoundError
        ``breaker_policy`` is not the name of a published policy.
    """

    def __init__(
        self,
        settings: Settings,
        registry: Any,
        policy: PolicySource = None,
        *,
        breaker_policy: str | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.tokens = TokenStore(registry.engine)
        self.observations = ObservationStore(registry.engine)
        self.policies = PolicyStore(registry.engine)
        self.policies.publish_builtins()
        self.breaker_policy = self.policies.get(breaker_policy) if breaker_policy else None
        self._policy = policy
        self._policies: dict[tuple[str, str], tuple[Policy, dict[str, Any]]] = {}
        self.breaker = Breaker(
            registry, self.observations, self.policy_for, describe_policy=self.policy_summary
        )
        self.hub = StatusHub(
            registry,
            on_state_change=self._state_changed,
            on_revoked=self.tokens.forget,
            extra=self.status_extra,
        )
        self._checkpoint_key: CheckpointKey | None = None
        self.webhooks = WebhookStore(
            registry.engine,
            key_path=settings.webhook_key_path,
            max_attempts=settings.webhook_attempts,
            backoff=settings.webhook_backoff,
        )

    def _state_changed(self, name: str, version: str, old: str | None, new: str) -> None:
        self.breaker.forget(name, version)
        self._policies.pop((name, version), None)

    def _governing(self, name: str, version: str) -> tuple[Policy, dict[str, Any]]:
        key = (name, version)
        if key in self._policies:
            return self._policies[key]
        filing = dict(self.registry.filing(name, version))
        policy = self._policy
        if policy is not None:
            if not isinstance(policy, Policy):
                policy = policy(name, version)
            summary: dict[str, Any] = {"name": policy.name, "source": "operator"}
        else:
            record = self.breaker_policy or self.policies.governing(
                name, version, filing.get("policy")
            )
            policy, summary = record.policy(), record.summary()
        bound = policy.bind(_sensitive_of(filing))
        self._policies[key] = (bound, summary)
        return bound, summary

    def policy_for(self, name: str, version: str) -> Policy:
        """The policy whose breaker rules govern a model version, bound to its attributes.

        Raises
        ------
        NotFoundError
            The model version is not filed.
        """
        return self._governing(name, version)[0]

    def policy_summary(self, name: str, version: str) -> dict[str, Any]:
        """Name, version and SHA-256 of the policy governing a model version's breaker."""
        return dict(self._governing(name, version)[1])

    def status_extra(self, name: str, version: str) -> dict[str, Any]:
        """What the status answer adds: the governing policy's oversight rules (or null).

        Read afresh (not from the cache) so a re-assigned policy's rules reach the serving side
        with the next status answer.
        """
        self._policies.pop((name, version), None)
        oversight = self._governing(name, version)[0].oversight
        return {"oversight": None if oversight is None else oversight.to_rules()}

    def policy_changed(self, name: str, version: str) -> None:
        """Forget a model version's cached policy and windows (its policy was re-assigned)."""
        self._state_changed(name, version, None, "")

    def checkpoint_key(self) -> CheckpointKey:
        """The deployment's checkpoint signing key (loaded, or created, on first use)."""
        if self._checkpoint_key is None:
            self._checkpoint_key = load_key(self.settings.checkpoint_key_path)
        return self._checkpoint_key

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


def _sensitive_of(filing: dict[str, Any]) -> list[str]:
    """The sensitive variables a filing declares."""
    return list(filing.get("sensitive_variables") or []) or [
        f["name"] for f in filing.get("features", []) if f.get("sensitive")
    ]
