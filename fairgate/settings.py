"""Settings: where fairgate keeps its state and what the operator allows.

Every value comes from an environment variable with the ``FAIRGATE_`` prefix, or from the
keyword arguments of :class:`Settings`. Nothing is read or created at import time; call
:func:`get_settings` (or build a :class:`Settings`) when you need them.

=================================  ===============================================================
variable                           meaning (default)
=================================  ===============================================================
``FAIRGATE_HOME``                  state folder: database, artifacts, reports (``~/.fairgate``)
``FAIRGATE_DATABASE_URL``          any SQLAlchemy URL (SQLite file under ``FAIRGATE_HOME``)
``FAIRGATE_ALLOW_PICKLE``          load pickle/joblib model files, which run code (``false``)
``FAIRGATE_MAX_UPLOAD_BYTES``      largest artifact upload the service accepts (2 GiB)
``FAIRGATE_MAX_BODY_BYTES``        largest JSON body the service accepts (16 MiB)
``FAIRGATE_MIN_GROUP_SIZE``        groups smaller than this are flagged insufficient (30)
``FAIRGATE_SEED``                  seed for bootstrap, sampling and SHAP (0)
``FAIRGATE_SANDBOX_MEMORY_BYTES``  address space of a sandbox worker (4 GiB)
``FAIRGATE_SANDBOX_CPU_SECONDS``   CPU time of a sandbox worker's whole life (900)
``FAIRGATE_SANDBOX_OPEN_FILES``    open files of a sandbox worker (256)
``FAIRGATE_SANDBOX_LOAD_SECONDS``  wall time to start a worker and load the model (120)
``FAIRGATE_SANDBOX_CALL_SECONDS``  wall time of one scoring call (600)
``FAIRGATE_SANDBOX_OUTPUT_BYTES``  largest answer of one scoring call (1 GiB)
``FAIRGATE_QUORUM``                distinct committee members who must approve or reinstate, when
                                   the governing policy sets no ``quorum`` (1)
``FAIRGATE_CHECKPOINT_KEY``        PEM file of the Ed25519 key that signs ledger checkpoints
                                   (``FAIRGATE_HOME/checkpoint-key.pem``, created on first use)
``FAIRGATE_WEBHOOK_ATTEMPTS``      delivery attempts per webhook event before it is failed (8)
``FAIRGATE_WEBHOOK_BACKOFF``       seconds before the first retry; doubled at each retry (2.0)
``FAIRGATE_WEBHOOK_KEY``           file of the key that seals webhook secrets at rest
                                   (``FAIRGATE_HOME/webhook-key``, created on first use)
``FAIRGATE_WEB_IDLE_MINUTES``      a web page session ends after this many idle minutes (30)
``FAIRGATE_TRUSTED_PROXIES``       comma-separated proxy addresses whose ``X-Forwarded-Proto``
                                   is believed (none)
=================================  ===============================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fairgate.errors import ValidationError

__all__ = ["Settings", "get_settings"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(
        f"{name}={raw!r} is not a boolean; set it to one of 1/0, true/false, yes/no, on/off."
    )


def _env_number(name: str, kind: type[int] | type[float], default: float, minimum: float) -> float:
    """``name`` read as a whole number (``kind=int``) or a number of at least ``minimum``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValidationError(f"{name}={raw!r} is not {what}; set it to e.g. {default}.") from None
    if not value >= minimum:
        raise ValidationError(f"{name}={value} is below {minimum}; set it to at least {minimum}.")
    return value


def _int(name: str, default: int, minimum: int = 0) -> Any:
    """A whole-number field read from ``name`` when the settings are built."""
    return field(default_factory=lambda: _env_number(name, int, default, minimum))


def _env_path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw).expanduser() if raw and raw.strip() else None


def _env_list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name) or ""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _default_home() -> Path:
    raw = os.environ.get("FAIRGATE_HOME")
    return Path(raw).expanduser() if raw else Path.home() / ".fairgate"


@dataclass(frozen=True)
class Settings:
    """fairgate's settings.

    Parameters
    ----------
    home : Path
        State folder (``FAIRGATE_HOME``); created on first use by :meth:`ensure_home`.
    database_url : str or None
        SQLAlchemy URL; ``None`` means the SQLite file ``home / "fairgate.db"``.
    allow_pickle : bool
        Whether pickle/joblib model files may be loaded. They execute code on load; leave this
        off unless every artifact comes from a trusted source.
    max_upload_bytes, max_body_bytes : int
        Size limits of the HTTP service.
    min_group_size : int
        Default minimum group size below which a group is flagged ``insufficient``.
    seed : int
        Default random seed.
    sandbox_memory_bytes, sandbox_cpu_seconds, sandbox_open_files : int
        Resource limits of the sandbox worker that loads and scores a vendor's model.
    sandbox_load_seconds, sandbox_call_seconds : int
        Wall-time deadlines of the worker's start (with the model's load) and of one call.
    sandbox_output_bytes : int
        Largest answer (the scores of one call) the worker may send back.
    quorum : int
        How many distinct committee members must approve or reinstate a model version when its
        governing policy sets no ``quorum`` (1: one member decides, as before quorums existed).
    checkpoint_key : Path or None
        PEM file of the deployment's Ed25519 checkpoint key; ``None`` means
        ``home / "checkpoint-key.pem"``, created (0600) on first use.
    webhook_attempts : int
        Delivery attempts of one webhook event before it is marked failed.
    webhook_backoff : float
        Seconds before the first retry of a webhook delivery; each retry doubles it.
    webhook_key : Path or None
        File of the key (base64 of 32 bytes) that seals webhook secrets at rest; ``None`` means
        ``home / "webhook-key"``, created (0600) on first use.
    web_idle_minutes : int
        A web page session (committee or vendor) ends after this many minutes without a request.
    trusted_proxies : tuple of str
        Addresses of TLS-terminating proxies whose ``X-Forwarded-Proto`` header is believed
        (the session cookie is then marked ``Secure``); none by default.
    """

    home: Path = field(default_factory=_default_home)
    database_url: str | None = field(
        default_factory=lambda: os.environ.get("FAIRGATE_DATABASE_URL")
    )
    allow_pickle: bool = field(default_factory=lambda: _env_bool("FAIRGATE_ALLOW_PICKLE", False))
    max_upload_bytes: int = _int("FAIRGATE_MAX_UPLOAD_BYTES", 2 * 1024**3, 1)
    max_body_bytes: int = _int("FAIRGATE_MAX_BODY_BYTES", 16 * 1024**2, 1)
    min_group_size: int = _int("FAIRGATE_MIN_GROUP_SIZE", 30, 1)
    seed: int = _int("FAIRGATE_SEED", 0)
    sandbox_memory_bytes: int = _int("FAIRGATE_SANDBOX_MEMORY_BYTES", 4 * 1024**3, 256 * 1024**2)
    sandbox_cpu_seconds: int = _int("FAIRGATE_SANDBOX_CPU_SECONDS", 900, 1)
    sandbox_open_files: int = _int("FAIRGATE_SANDBOX_OPEN_FILES", 256, 16)
    sandbox_load_seconds: int = _int("FAIRGATE_SANDBOX_LOAD_SECONDS", 120, 1)
    sandbox_call_seconds: int = _int("FAIRGATE_SANDBOX_CALL_SECONDS", 600, 1)
    sandbox_output_bytes: int = _int("FAIRGATE_SANDBOX_OUTPUT_BYTES", 1024**3, 1024)
    quorum: int = _int("FAIRGATE_QUORUM", 1, 1)
    checkpoint_key: Path | None = field(
        default_factory=lambda: _env_path("FAIRGATE_CHECKPOINT_KEY")
    )
    webhook_attempts: int = _int("FAIRGATE_WEBHOOK_ATTEMPTS", 8, 1)
    webhook_backoff: float = field(
        default_factory=lambda: _env_number("FAIRGATE_WEBHOOK_BACKOFF", float, 2.0, 0.0)
    )
    webhook_key: Path | None = field(default_factory=lambda: _env_path("FAIRGATE_WEBHOOK_KEY"))
    web_idle_minutes: int = _int("FAIRGATE_WEB_IDLE_MINUTES", 30, 1)
    trusted_proxies: tuple[str, ...] = field(
        default_factory=lambda: _env_list("FAIRGATE_TRUSTED_PROXIES")
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser())

    @property
    def db_url(self) -> str:
        """The effective SQLAlchemy URL."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'fairgate.db'}"

    @property
    def checkpoint_key_path(self) -> Path:
        """The PEM file of the Ed25519 key that signs ledger checkpoints."""
        return self.checkpoint_key or self.home / "checkpoint-key.pem"

    @property
    def webhook_key_path(self) -> Path:
        """The file of the key that seals webhook secrets at rest."""
        return self.webhook_key or self.home / "webhook-key"

    @property
    def artifacts_dir(self) -> Path:
        """Content-addressed artifact store."""
        return self.home / "artifacts"

    @property
    def reports_dir(self) -> Path:
        """Where audit reports and notebooks are written."""
        return self.home / "reports"

    def ensure_home(self) -> Path:
        """Create the state folder (and its sub-folders) if missing and return it.

        The folders are private to the service's user (0700) and the embedded SQLite database
        file is created 0600 (SQLite gives its journal files the same mode), so other users of
        the machine can read neither tokens' hashes, filings nor artifacts.
        """
        for path in (self.home, self.artifacts_dir, self.reports_dir):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path, 0o700)
        if not self.database_url:
            db = self.home / "fairgate.db"
            os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
            os.chmod(db, 0o600)
        return self.home

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def get_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with optional overrides.

    Parameters
    ----------
    **overrides
        Field values that take precedence over the environment.

    Returns
    -------
    Settings
    """
    return Settings(**overrides)  # type: ignore[arg-type]
