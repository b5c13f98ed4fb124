"""The sandbox worker's resource limits and deadlines, as the operator set them."""

from __future__ import annotations

from dataclasses import dataclass

from fairgate.settings import Settings, get_settings

__all__ = ["SandboxLimits"]


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits and deadlines of a sandbox worker (from :class:`fairgate.settings.Settings`).

    Attributes
    ----------
    memory_bytes : int
        Address-space limit (``RLIMIT_AS``; ``FAIRGATE_SANDBOX_MEMORY_BYTES``).
    cpu_seconds : int
        CPU-time limit of the worker's whole life (``RLIMIT_CPU``;
        ``FAIRGATE_SANDBOX_CPU_SECONDS``).
    open_files : int
        Open file descriptors (``RLIMIT_NOFILE``; ``FAIRGATE_SANDBOX_OPEN_FILES``).
    load_timeout : float
        Seconds the worker may take to start and load the model
        (``FAIRGATE_SANDBOX_LOAD_SECONDS``).
    call_timeout : float
        Seconds one scoring call may take (``FAIRGATE_SANDBOX_CALL_SECONDS``).
    output_bytes : int
        Largest answer of one scoring call (``FAIRGATE_SANDBOX_OUTPUT_BYTES``).
    """

    memory_bytes: int
    cpu_seconds: int
    open_files: int
    load_timeout: float
    call_timeout: float
    output_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SandboxLimits:
        """The limits the operator set.

        Parameters
        ----------
        settings : Settings, optional
            Default: :func:`fairgate.settings.get_settings` (the environment).

        Returns
        -------
        SandboxLimits
        """
        s = settings if settings is not None else get_settings()
        return cls(
            memory_bytes=s.sandbox_memory_bytes,
            cpu_seconds=s.sandbox_cpu_seconds,
            open_files=s.sandbox_open_files,
            load_timeout=float(s.sandbox_load_seconds),
            call_timeout=float(s.sandbox_call_seconds),
            output_bytes=s.sandbox_output_bytes,
        )
