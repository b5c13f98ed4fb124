"""The steps of :func:`fairgate.audit.pipeline.run.run_audit` (private)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.pipeline.model_io import load_model, sha256_path
from fairgate.audit.pipeline.predict import (
    PRED_COLUMN,
    check_columns,
    predict,
    score_parquet_in_batches,
)
from fairgate.errors import ModelLoadError, PolicyError, ValidationError

BUILTIN_POLICY: dict[str, Any] = {
    "name": "fairgate built-in policy",
    "min_group_size": 30,
    "alpha": 0.05,
    "ci": "wilson",
    "rules": [
        {"id": "four_fifths", "metric": "selection_rate", "kind": "ratio", "min": 0.8},
        {
            "id": "equal_opportunity",
            "metric": "true_positive_rate",
            "kind": "difference",
            "max": 0.1,
        },
        {"id": "min_group_size", "kind": "group_size"},
    ],
}


@dataclass
class Scored:
    """The scored data: counts over all rows, and a bounded in-memory sample."""

    counts: Any
    sample: pd.DataFrame
    n_rows: int


def materialize(model: Any, data: Any, tmp: Path | None, final: Path | None) -> tuple[Any, Any]:
    """Save an in-memory model/frame into the output folder so the notebook can reload them."""
    model_path = None if not isinstance(model, (str, Path)) else Path(model).resolve()
    data_path = None if not isinstance(data, (str, Path)) else Path(data).resolve()
    if tmp is not None:
        if model_path is None:
            import skops.io as sio

            sio.dump(model, tmp / "model.skops")
            model_path = tmp / "model.skops"
        if data_path is None:
            data.to_parquet(tmp / "data.parquet", index=False)
            data_path = tmp / "data.parquet"
    return model_path, data_path


def load(model: Any, model_path: Path | None, allow_pickle: bool) -> tuple[Any, dict[str, Any]]:
    """Load the model; describe it with its SHA-256."""
    if model_path is None:
        import pickle

        try:
            import skops.io as sio

            raw = sio.dumps(model)
        except Exception:
            raw = pickle.dumps(model)
        return model, {"file": None, "kind": "in-memory", "sha256": hashlib.sha256(raw).hexdigest()}
    from fairgate.audit.pipeline.model_io import detect_kind

    loaded = load_model(model_path, allow_pickle=allow_pickle)
    if not hasattr(loaded, "predict"):
        raise ModelLoadError(
            f"model={str(model_path)!r}: the loaded object has no predict method; save a fitted "
            "classifier."
        )
    info = {"file": model_path.name, "path": str(model_path), "kind": detect_kind(model_path)}
    info["sha256"] = sha256_path(model_path)
    return loaded, info


def describe_data(data: Any, data_path: Path | None) -> dict[str, Any]:
    """File name, SHA-256, rows and columns of the data."""
    if data_path is None:
        digest = hashlib.sha256(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
        return {
            "file": None,
            "sha256": digest.hexdigest(),
            "rows": len(data),
            "columns": [str(c) for c in data.columns],
        }
    if not data_path.exists():
        raise ValidationError(f"data={str(data_path)!r}: no such file; check the path.")
    if data_path.suffix.lower() not in (".parquet", ".csv"):
        raise ValidationError(
            f"data={str(data_path)!r}: unsupported format {data_path.suffix!r}; pass a .parquet "
            "or .csv file."
        )
    info: dict[str, Any] = {
        "file": data_path.name,
        "path": str(data_path),
        "sha256": sha256_path(data_path),
    }
    if data_path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(data_path)
        except Exception as exc:
            raise ValidationError(
                f"data={str(data_path)!r}: not a readable Parquet file ({exc}); check the file."
            ) from exc
        info["rows"] = meta.metadata.num_rows
        info["columns"] = list(meta.schema_arrow.names)
    return info


def _read(data: Any, data_path: Path | None) -> pd.DataFrame:
    if data_path is None:
        return data.reset_index(drop=True)
    try:
        if data_path.suffix.lower() == ".csv":
            return pd.read_csv(data_path)
        return pd.read_parquet(data_path)
    except Exception as exc:
        raise ValidationError(
            f"data={str(data_path)!r}: could not be read ({type(exc).__name__}: {exc}); check "
            "the file."
        ) from exc


def score(model, data, data_path, spec, timer, sample_size: int, seed: int, tmp) -> Scored:
    """Score every row and count; keep a bounded sample for detectors and explanations."""
    from fairgate.audit.core.counts import counts_from_file, group_counts

    large = (
        data_path is not None
        and data_path.suffix.lower() == ".parquet"
        and _parquet_rows(data_path) > _large_rows()
    )
    if large:
        import pyarrow.parquet as pq

        columns = pq.ParquetFile(data_path).schema_arrow.names
        features = list(spec.features or [c for c in columns if c != spec.target])
        check_columns(
            columns,
            {"target": [spec.target], "sensitive": list(spec.sensitive), "features": features},
        )
        total = _parquet_rows(data_path)
        scratch = tmp if tmp is not None else Path(data_path).parent
        out = Path(scratch) / ".scored.parquet"
        try:
            with timer.step("score (batches)", total=total) as advance:
                sample, n = score_parquet_in_batches(
                    data_path,
                    model,
                    features=features,
                    keep=[spec.target, *spec.sensitive],
                    out_path=out,
                    sample_size=sample_size,
                    seed=seed,
                    on_batch=advance,
                )
            with timer.step("counts (DuckDB)"):
                counts = counts_from_file(
                    out,
                    y_true=spec.target,
                    y_pred=PRED_COLUMN,
                    sensitive=list(spec.sensitive),
                    pos_label=spec.pos_label,
                )
        finally:
            out.unlink(missing_ok=True)
        return Scored(counts, sample, n)
    with timer.step("read data"):
        frame = _read(data, data_path)
        features = list(spec.features or [c for c in frame.columns if c != spec.target])
        check_columns(
            list(map(str, frame.columns)),
            {"target": [spec.target], "sensitive": list(spec.sensitive), "features": features},
        )
    with timer.step("score"):
        pred = predict(model, frame[features])
    with timer.step("counts"):
        counts = group_counts(
            frame[spec.target], pred, frame[list(spec.sensitive)], pos_label=spec.pos_label
        )
    n = len(frame)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(sample_size, n), replace=False))
    sample = frame.iloc[rows].reset_index(drop=True).assign(**{PRED_COLUMN: pred[rows]})
    return Scored(counts, sample, n)


def _large_rows() -> int:
    from fairgate.audit.pipeline import run as runner

    return runner.LARGE_ROWS


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:
        raise ValidationError(
            f"data={str(path)!r}: not a readable Parquet file ({exc}); check the file."
        ) from exc


# ---------------------------------------------------------------------------------------------
# policy
# ---------------------------------------------------------------------------------------------


def resolve_policy(policy: Any, spec: Any) -> Any:
    """A Policy object from issue 4's module when installed, else the built-in dict."""
    try:
        from fairgate.audit import policy as policy_mod
    except ImportError:
        policy_mod = None
    if policy_mod is not None:
        if policy is None:
            return policy_mod.default_policy()
        if isinstance(policy, (str, Path, dict)):
            return policy_mod.load_policy(policy)
        return policy
    if policy is None:
        return dict(BUILTIN_POLICY)
    if isinstance(policy, (str, Path)):
        import yaml

        try:
            policy = yaml.safe_load(Path(policy).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PolicyError(f"policy={str(policy)!r}: cannot be read ({exc}).") from exc
    if not isinstance(policy, dict):
        raise PolicyError(f"policy: expected a mapping or a YAML file, received {type(policy)}.")
    return {**BUILTIN_POLICY, **policy}


def _pget(pol: Any, name: str, default: Any) -> Any:
    if isinstance(pol, dict):
        return pol.get(name, default)
    value = getattr(pol, name, default)
    return default if value is None else value


def policy_dict(pol: Any) -> dict[str, Any]:
    """The policy as a JSON-ready dict."""
    if isinstance(pol, dict):
        return pol
    if hasattr(pol, "to_dict"):
        return pol.to_dict()
    if hasattr(pol, "model_dump"):
        return pol.model_dump(mode="json")
    from dataclasses import asdict, is_dataclass

    return asdict(pol) if is_dataclass(pol) else {"policy": str(pol)}


def reports(scored: Scored, spec: Any, pol: Any, seed: int) -> dict[tuple[str, ...], Any]:
    """Group reports for each attribute and every intersection."""
    from fairgate.audit.core.group_report import group_report

    mgs = int(_pget(pol, "min_group_size", 30))
    alpha = float(_pget(pol, "alpha", 0.05))
    return {
        attrs: group_report(
            scored.counts, attributes=attrs, min_group_size=mgs, alpha=alpha, seed=seed
        )
        for attrs in scored.counts.intersections()
    }


# ---------------------------------------------------------------------------------------------
# detectors, explanation, verdict
# ---------------------------------------------------------------------------------------------


def _features(spec: Any, sample: pd.DataFrame) -> list[str]:
    return list(spec.features or [c for c in sample.columns if c not in (spec.target, PRED_COLUMN)])


def detect(model: Any, scored: Scored, spec: Any, pol: Any, seed: int) -> dict[str, Any]:
    """Prohibited variables, proxies and the flip test, on the bounded sample.

    A detector that fails is recorded as skipped with its error (and a warning); the report says
    that the step did not run, so a committee never reads a silent pass.
    """
    import warnings

    try:
        return _detect(model, scored, spec, pol, seed)
    except (ValidationError, ModelLoadError):
        raise
    except Exception as exc:
        warnings.warn(f"detectors failed: {exc!r}", RuntimeWarning, stacklevel=2)
        return {"skipped": f"detectors failed: {type(exc).__name__}: {exc}"}


def _detect(model: Any, scored: Scored, spec: Any, pol: Any, seed: int) -> dict[str, Any]:
    try:
        from fairgate import detectors as det
    except ImportError as exc:  # pragma: no cover - issue 4 not installed
        return {"skipped": f"fairgate.detectors unavailable: {exc}"}
    needed = ("find_prohibited", "scan_proxies", "flip_test")
    if not all(hasattr(det, n) for n in needed):
        return {"skipped": "fairgate.detectors does not provide " + ", ".join(needed) + " yet"}
    sample = scored.sample
    features = _features(spec, sample)
    X = sample[features]
    prohibited = det.find_prohibited(
        X, prohibited=_pget(pol, "prohibited", None) or None, seed=seed
    )
    others = [c for c in features if c not in spec.sensitive]
    proxies = det.scan_proxies(
        sample[others],
        sample[list(spec.sensitive)],
        threshold=float(_pget(pol, "proxy_threshold", 0.3)),
        seed=seed,
    )
    flips = []
    for attr in spec.sensitive:
        if attr in features:
            flips.append(det.flip_test(model, X, attr, seed=seed).to_dict())
    shares = _pget(pol, "reference_shares", None) or {}
    represented = [
        det.representation(sample[attr], shares[attr]).to_dict()
        for attr in spec.sensitive
        if attr in shares
    ]
    return {
        "prohibited": [f.to_dict() for f in prohibited],
        "proxies": proxies.to_dict(),
        "flips": flips,
        "representation": represented,
        "_objects": (prohibited, proxies),
    }


def explain(model: Any, scored: Scored, spec: Any, seed: int, size: int) -> dict[str, Any] | None:
    """SHAP global and per-group importance on a bounded sample."""
    from fairgate.audit.explain import explain as shap_explain

    sample = scored.sample
    X = sample[_features(spec, sample)]
    result = shap_explain(
        model, X, sensitive=sample[list(spec.sensitive)], seed=seed, sample_size=size
    )
    body = result.to_dict()
    body.pop("values", None)
    return body


def judge(
    pol: Any, reports_: dict, scored: Scored, detectors: dict, explanation: Any, spec: Any = None
) -> dict:
    """The verdict: issue 4's policy engine when installed, else the built-in rules."""
    objects = detectors.pop("_objects", None)
    if not isinstance(pol, dict):
        from fairgate.audit import policy as policy_mod

        evidence = policy_mod.AuditEvidence(
            reports=reports_,
            features=_features(spec, scored.sample) if spec is not None else _features_of(scored),
            prohibited=objects[0] if objects else [],
            proxies=objects[1] if objects else None,
            flips=detectors.get("flips", []),
            explanation=explanation,
            representation=detectors.get("representation") or None,
        )
        return policy_mod.evaluate(pol, evidence).to_dict()
    return _builtin_verdict(pol, reports_, detectors)


def _features_of(scored: Scored) -> list[str]:
    return [c for c in scored.sample.columns if c != PRED_COLUMN]


def _label(key: Any) -> str:
    return " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _builtin_verdict(pol: dict, reports_: dict, detectors: dict) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    for rule in pol.get("rules", []):
        for attrs, rep in reports_.items():
            rules.append(_apply(rule, attrs, rep))
    for finding in detectors.get("prohibited", []) or []:
        if finding.get("prohibited"):
            rules.append(
                {
                    "rule_id": "prohibited_variable",
                    "outcome": "fail",
                    "attributes": [],
                    "description": "prohibited variable used by the model",
                    "value": None,
                    "threshold": None,
                    "groups_involved": [str(finding.get("feature"))],
                    "why": f"feature {finding.get('feature')!r} is prohibited",
                }
            )
    order = {"pass": 0, "warn": 1, "fail": 2}
    outcome = max((r["outcome"] for r in rules), key=order.__getitem__, default="pass")
    return {"outcome": outcome, "rules": rules, "policy": pol.get("name", "policy")}


def _apply(rule: dict, attrs: tuple[str, ...], rep: Any) -> dict[str, Any]:
    base = {"rule_id": rule["id"], "attributes": list(attrs)}
    if rule.get("kind") == "group_size":
        small = [_label(k) for k, v in rep.insufficient.items() if v]
        return {
            **base,
            "description": "every group is large enough to measure",
            "outcome": "warn" if small else "pass",
            "value": len(small),
            "threshold": rep.min_group_size,
            "groups_involved": small,
            "why": f"{len(small)} group(s) below {rep.min_group_size} rows",
        }
    metric = rule["metric"]
    values = rep.by_group[metric]
    ok = rep._included()
    valid = values[ok].dropna()
    if rule["kind"] == "ratio":
        value = float(rep.ratio()[metric])
        bad = value < rule["min"]
        threshold = rule["min"]
        groups = [_label(k) for k in valid.index if valid[k] < rule["min"] * valid.max()]
        why = f"smallest {metric} ratio {value:.3f} (minimum {threshold})"
    else:
        value = float(rep.difference()[metric])
        bad = value > rule["max"]
        threshold = rule["max"]
        groups = [_label(valid.idxmin()), _label(valid.idxmax())] if len(valid) else []
        why = f"largest {metric} difference {value:.3f} (maximum {threshold})"
    if np.isnan(value):
        return {
            **base,
            "description": rule["id"],
            "outcome": "warn",
            "value": None,
            "threshold": threshold,
            "groups_involved": [],
            "why": "not measurable: fewer than two sufficient groups",
        }
    return {
        **base,
        "description": rule["id"],
        "outcome": "fail" if bad else "pass",
        "value": value,
        "threshold": threshold,
        "groups_involved": groups if bad else [],
        "why": why,
    }


def write_outputs(result, tmp: Path, final: Path, model_path, data_path, lang) -> None:
    """Render the report and the reproducing notebook into ``tmp``."""
    from fairgate.audit.report.html import write_report
    from fairgate.audit.report.notebook import write_notebook

    def final_path(p: Path) -> Path:
        return final / p.name if p.parent == tmp else p

    write_report(result, tmp / "report.html", lang=lang)
    write_notebook(
        result,
        tmp / "audit.ipynb",
        model=final_path(model_path),
        data=final_path(data_path),
        json_path=final / "audit.json",
    )
