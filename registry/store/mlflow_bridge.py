"""MLflow integration: file a model straight from an MLflow registry entry, mirror fairgate's state.

MLflow is an optional extra (``pip install "fairgate[mlflow]"``); it is imported only here, and
only when used. A mirrored state is a tag ``fairgate.state`` on the model version, and the alias
``fairgate-active`` points at the version while fairgate lets it serve.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fairgate.errors import FairgateError, ValidationError

__all__ = ["ACTIVE_ALIAS", "STATE_TAG", "download_model", "filing_from_mlflow", "mirror_status"]

STATE_TAG = "fairgate.state"
ACTIVE_ALIAS = "fairgate-active"


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError:  # pragma: no cover - depends on the install
        raise ValidationError(
            'MLflow is not installed: pip install "fairgate[mlflow]" to file MLflow models.'
        ) from None
    return mlflow


def _client(tracking_uri: str | None) -> Any:
    return _mlflow().MlflowClient(tracking_uri=tracking_uri)


def _resolve(uri: str, tracking_uri: str | None) -> dict[str, Any]:
    """Name, version and run id of a ``models:/name/version`` or ``models:/name@alias`` URI."""
    if not uri.startswith("models:/"):
        return {"model_uri": uri, "model_name": None, "model_version": None, "run_id": None}
    ref = uri.removeprefix("models:/")
    client = _client(tracking_uri)
    try:
        if "@" in ref:
            name, alias = ref.split("@", 1)
            mv = client.get_model_version_by_alias(name, alias)
        else:
            name, version = ref.rsplit("/", 1)
            mv = client.get_model_version(name, version)
    except Exception as exc:
        raise FairgateError(f"{uri}: not found in the MLflow registry ({exc}).") from exc
    return {
        "model_uri": uri,
        "model_name": mv.name,
        "model_version": str(mv.version),
        "run_id": mv.run_id,
    }


def download_model(uri: str, *, tracking_uri: str | None = None) -> tuple[Path, dict[str, Any]]:
    """Download an MLflow model folder; returns it and the provenance for the artifact store."""
    mlflow = _mlflow()
    info = _resolve(uri, tracking_uri)
    target = Path(tempfile.mkdtemp(prefix="fairgate-mlflow-"))
    try:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=str(target), tracking_uri=tracking_uri
        )
    except Exception as exc:
        raise FairgateError(f"{uri}: could not download the model ({exc}).") from exc
    return Path(local), {
        "source_uri": uri,
        "tracking_uri": tracking_uri or mlflow.get_tracking_uri(),
        "run_id": info["run_id"],
    }


def filing_from_mlflow(
    model_uri: str,
    *,
    tracking_uri: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], Path]:
    """A filing pre-filled from an MLflow model, and its downloaded folder.

    The model's signature gives the input features; the registry entry gives the name and
    version; ``overrides`` (a partial filing written by the vendor) completes the rest.

    Parameters
    ----------
    model_uri : str
        ``models:/name/version``, ``models:/name@alias`` or ``runs:/run_id/path``.
    tracking_uri : str, optional
        The MLflow tracking server or store.
    overrides : mapping, optional
        Filing fields that win over what MLflow tells.

    Returns
    -------
    (dict, Path)
    """
    mlflow = _mlflow()
    folder, meta = download_model(model_uri, tracking_uri=tracking_uri)
    info = _resolve(model_uri, tracking_uri)
    body: dict[str, Any] = {}
    try:
        signature = mlflow.models.Model.load(str(folder)).signature
    except Exception:
        signature = None
    if signature is not None and signature.inputs is not None:
        body["features"] = [
            {
                "name": str(col.name),
                "description": f"input column {col.name} (from the MLflow signature)",
                "type": "numeric"
                if "double" in str(col.type)
                or "long" in str(col.type)
                or "float" in str(col.type)
                or "integer" in str(col.type)
                else "categorical",
            }
            for col in signature.inputs.inputs
        ]
    if info["model_name"]:
        body["name"] = info["model_name"]
        body["version"] = info["model_version"]
    body["mlflow"] = {
        "tracking_uri": meta["tracking_uri"],
        "model_uri": model_uri,
        "run_id": info["run_id"],
        "model_name": info["model_name"],
        "model_version": info["model_version"],
    }
    body.update(dict(overrides or {}))
    if overrides and "mlflow" in overrides:
        body["mlflow"] = {**body["mlflow"], **dict(overrides["mlflow"])}
    return body, folder


def mirror_status(ref: Mapping[str, Any], state: str, *, tracking_uri: str | None = None) -> None:
    """Show fairgate's state on the MLflow model version (tag, and the active alias).

    Raises
    ------
    FairgateError
        When MLflow cannot be reached or the version is unknown.
    """
    name, version = ref.get("model_name"), ref.get("model_version")
    if not name or not version:
        raise ValidationError("mlflow: the filing names no registered model and version.")
    client = _client(tracking_uri or ref.get("tracking_uri"))
    try:
        client.set_model_version_tag(name, str(version), STATE_TAG, state)
        if state == "ACTIVE":
            client.set_registered_model_alias(name, ACTIVE_ALIAS, str(version))
        else:
            model = client.get_registered_model(name)
            if str(model.aliases.get(ACTIVE_ALIAS, "")) == str(version):
                client.delete_registered_model_alias(name, ACTIVE_ALIAS)
    except Exception as exc:
        raise FairgateError(f"could not mirror {name}/{version} to MLflow: {exc}") from exc
