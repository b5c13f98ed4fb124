"""Proxy detector: how well each feature (and pair of features) predicts a sensitive attribute.

On a bounded, seeded sample. A categorical feature is scored by Cramér's V with the attribute
(bias-corrected, Bergsma 2013) — also reported: normalized mutual information. A numeric feature,
and each pair of the strongest features, is scored by a cross-validated shallow decision tree
predicting the attribute: balanced accuracy above chance, rescaled to 0..1 as
``(bacc - 1/k) / (1 - 1/k)`` for ``k`` classes. Both scores read the same way: 0 is no
information about the attribute, 1 determines it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.errors import LengthMismatchError, MissingColumnError, ValidationError

__all__ = ["ProxyFinding", "ProxyReport", "cramers_v", "scan_proxies"]


def cramers_v(a: Any, b: Any) -> float:
    """Bias-corrected Cramér's V between two categorical series (0..1, symmetric)."""
    table = pd.crosstab(
        pd.Series(np.asarray(a, dtype=object)), pd.Series(np.asarray(b, dtype=object))
    )
    n = float(table.to_numpy().sum())
    r, k = table.shape
    if n <= 1 or r < 2 or k < 2:
        return 0.0
    from scipy.stats import chi2_contingency

    chi2 = float(chi2_contingency(table.to_numpy(), correction=False)[0])
    phi2 = chi2 / n
    phi2c = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    return float(min(1.0, np.sqrt(phi2c / denom))) if denom > 0 else 0.0


@dataclass(frozen=True)
class ProxyFinding:
    """One feature (or pair) and how well it predicts one sensitive attribute."""

    features: tuple[str, ...]
    attribute: str
    score: float
    method: str
    above_threshold: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "features": list(self.features),
            "attribute": self.attribute,
            "score": self.score,
            "method": self.method,
            "above_threshold": self.above_threshold,
        }


@dataclass(frozen=True)
class ProxyReport:
    """Every finding, strongest first."""

    findings: tuple[ProxyFinding, ...]
    threshold: float
    sample_size: int
    seed: int

    def flagged(self) -> list[ProxyFinding]:
        """Findings at or above the threshold."""
        return [f for f in self.findings if f.above_threshold]

    def top(self, attribute: str | None = None) -> ProxyFinding | None:
        """The strongest finding (for one attribute)."""
        for f in self.findings:
            if attribute is None or f.attribute == attribute:
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "threshold": self.threshold,
            "sample_size": self.sample_size,
            "seed": self.seed,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_frame(self) -> pd.DataFrame:
        """The findings as a DataFrame."""
        return pd.DataFrame([f.to_dict() for f in self.findings])


def _is_categorical(col: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def _encode(frame: pd.DataFrame) -> np.ndarray:
    parts = []
    for name in frame.columns:
        col = frame[name]
        if _is_categorical(col):
            codes = pd.factorize(col.astype(object).where(col.notna(), "(missing)"))[0]
            parts.append(codes.astype(np.float64))
        else:
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
            parts.append(
                np.where(
                    np.isnan(values),
                    np.nanmedian(values) if np.isfinite(values).any() else 0.0,
                    values,
                )
            )
    return np.column_stack(parts)


def _model_score(X: np.ndarray, y: np.ndarray, cv: int, seed: int) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier

    classes, counts = np.unique(y, return_counts=True)
    k = len(classes)
    if k < 2 or counts.min() < cv:
        return 0.0
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=20, random_state=seed)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    pred = cross_val_predict(tree, X, y, cv=folds)
    recalls = [float(np.mean(pred[y == c] == c)) for c in classes]
    bacc = float(np.mean(recalls))
    return float(max(0.0, (bacc - 1 / k) / (1 - 1 / k)))


def scan_proxies(
    X: pd.DataFrame,
    sensitive: pd.DataFrame,
    *,
    threshold: float = 0.3,
    sample_size: int = 20_000,
    combinations: int = 2,
    top_k_combinations: int = 10,
    cv: int = 3,
    seed: int = 0,
) -> ProxyReport:
    """Rank features by how well they predict each sensitive attribute.

    Parameters
    ----------
    X : pandas.DataFrame
        Candidate features (the model's inputs without the sensitive attributes).
    sensitive : pandas.DataFrame
        The sensitive attributes, row-aligned with ``X``.
    threshold : float, default 0.3
        A score at or above it is flagged (the policy's ``proxy_threshold``).
    sample_size : int, default 20000
        Rows sampled (seeded); the scan never reads more.
    combinations : int, default 2
        Largest feature combination scored (1 disables pairs).
    top_k_combinations : int, default 10
        Pairs are formed from this many strongest single features.
    cv : int, default 3
        Cross-validation folds of the shallow model.
    seed : int, default 0
        Seed of the sample, the folds and the trees.

    Returns
    -------
    ProxyReport
    """
    if not isinstance(X, pd.DataFrame) or not isinstance(sensitive, pd.DataFrame):
        raise ValidationError("X and sensitive: pass pandas DataFrames.")
    if len(X) != len(sensitive):
        raise LengthMismatchError(
            f"X has {len(X):,} rows but sensitive has {len(sensitive):,}; pass aligned rows."
        )
    if not 0 < threshold <= 1:
        raise ValidationError(f"threshold={threshold!r}: expected a number in (0, 1].")
    if sensitive.shape[1] == 0:
        raise MissingColumnError("sensitive: no sensitive attribute column given.")
    n = len(X)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(sample_size, n), replace=False)) if n else np.arange(0)
    Xs = X.iloc[rows].reset_index(drop=True)
    Ss = sensitive.iloc[rows].reset_index(drop=True)
    findings: list[ProxyFinding] = []
    from sklearn.metrics import normalized_mutual_info_score

    for attr in Ss.columns:
        target = Ss[attr].astype(object).where(Ss[attr].notna(), "(missing)").astype(str).to_numpy()
        if len(np.unique(target)) < 2:
            continue
        singles: list[ProxyFinding] = []
        for name in Xs.columns:
            col = Xs[name]
            if _is_categorical(col) and col.nunique(dropna=False) <= 200:
                values = col.astype(object).where(col.notna(), "(missing)").astype(str).to_numpy()
                score = cramers_v(values, target)
                nmi = float(normalized_mutual_info_score(target, values))
                method = f"Cramér's V (NMI {nmi:.2f})"
            else:
                score = _model_score(_encode(Xs[[name]]), target, cv, seed)
                method = "shallow tree, balanced accuracy above chance"
            singles.append(
                ProxyFinding((str(name),), str(attr), round(score, 6), method, score >= threshold)
            )
        findings.extend(singles)
        if combinations >= 2 and len(singles) >= 2:
            best = sorted(singles, key=lambda f: -f.score)[:top_k_combinations]
            for a, b in itertools.combinations(best, 2):
                pair = [a.features[0], b.features[0]]
                score = _model_score(_encode(Xs[pair]), target, cv, seed)
                if score > max(a.score, b.score) + 0.05:  # only pairs that add information
                    findings.append(
                        ProxyFinding(
                            tuple(pair),
                            str(attr),
                            round(score, 6),
                            "shallow tree on the pair, balanced accuracy above chance",
                            score >= threshold,
                        )
                    )
    findings.sort(key=lambda f: (-f.score, f.attribute, f.features))
    return ProxyReport(tuple(findings), float(threshold), len(rows), int(seed))
