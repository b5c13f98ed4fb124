"""A benchmark's models in a registry: a filing body; a version filed, audited and approved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["activate", "filing"]


def filing(name: str, path: Path | None = None, **changes: Any) -> dict[str, Any]:
    """A valid filing (as vendors send it) under another name.

    Parameters
    ----------
    name : str
        The model's name in the filing.
    path : Path, optional
        A filing YAML file; the packaged example filing when not given.
    **changes
        Other fields to set (``version``, ``policy``, ...).

    Returns
    -------
    dict
        The filing body.
    """
    import yaml

    from fairgate.registry.store.filing import example_filing_path

    source = example_filing_path() if path is None else path
    body = yaml.safe_load(source.read_text(encoding="utf-8"))
    body.update(name=name, **changes)
    return body


def activate(registry: Any, home: Path, body: dict[str, Any]) -> None:
    """File ``body``, record a passing audit with a report, approve it: the version is ACTIVE.

    Parameters
    ----------
    registry : fairgate.registry.store.Registry
        The registry to write to.
    home : Path
        Its ``FAIRGATE_HOME`` (the audit report goes under ``reports/``).
    body : dict
        The filing (see :func:`filing`).
    """
    name, version = body["name"], str(body["version"])
    registry.file(body, None, actor="bench", vendor="bench")
    report = home / "reports" / f"{name}.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("<html></html>")
    registry.record_audit(
        name,
        version,
        artifact_sha256=None,
        passed=True,
        verdict="pass",
        result={},
        report_path=str(report),
        actor="bench",
    )
    registry.decide(
        name, version, "approve", rationale="benchmark: the audit passed every rule", actor="bench"
    )
