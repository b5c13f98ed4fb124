"""Proxy detector: how well each feature (and pair of features) predicts a sensitive attribute.

On a bounded, seeded sample, every feature is binned once (a categorical feature by its levels,
the 199 most frequent kept; a numeric one into at most 10 quantile bins; missing values are a
bin of their own). A feature, and each pair of the strongest features (their joint bins), is
scored by the bias-corrected Cramér's V with the attribute (Bergsma 2013), with the normalized
mutual information reported beside it: 0 is no information about the attribute, 1 determines
it. One shallow decision tree per attribute on all binned features (trained on two thirds of
the sample, scored on the rest: balanced accuracy above chance, rescaled to 0..1) says how well
the inputs predict the attribute together, and which inputs carry that.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.core.records import Record
from fairgate.errors import LengthMismatchError, MissingColumnError, ValidationError

__all__ = ["JointProxy", "ProxyFinding", "ProxyReport", "cramers_v", "scan_proxies"]

_BINS = 10
_MAX_LEVELS = 200


def _table(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> np.ndarray:
    return np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(np.float64)


def _v_and_nmi(table: np.ndarray) -> tuple[float, float]:
    """Bias-corrected Cramér's V and the normalized (arithmetic) mutual information."""
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = float(table.sum())
    r, k = table.shape
    if n <= 1 or r < 2 or k < 2:
        return 0.0, 0.0
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    expected = np.outer(rows, cols) / n
    chi2 = float(np.sort(((table - expected) ** 2 / expected).ravel()).sum())  # symmetric
    phi2c = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    v = float(min(1.0, np.sqrt(phi2c / denom))) if denom > 0 else 0.0
    p = table / n
    nz = p > 0
    mi = float(np.sort(p[nz] * np.log(p[nz] / np.outer(rows / n, cols / n)[nz])).sum())
    h_a = float(-(rows / n * np.log(rows / n)).sum())
    h_b = float(-(cols / n * np.log(cols / n)).sum())
    mean_h = (h_a + h_b) / 2
    return v, float(min(1.0, max(0.0, mi / mean_h))) if mean_h > 0 else 0.0


def _codes(values: Any) -> tuple[np.ndarray, int]:
    codes, levels = pd.factorize(pd.Series(np.asarray(values, dtype=object)).astype(str))
    return codes.astype(np.int64), max(1, len(levels))


def cramers_v(a: Any, b: Any) -> float:
    """Bias-corrected Cramér's V between two categorical series (0..1, symmetric)."""
    ca, ka = _codes(a)
    cb, kb = _codes(b)
    return _v_and_nmi(_table(ca, cb, ka, kb))[0]


@dataclass(frozen=True)
class ProxyFinding(Record):
    """One feature (or pair) and how well it predicts one sensitive attribute."""

    features: tuple[str, ...]
    attribute: str
    score: float
    method: str
    above_threshold: bool
    mutual_information: float = 0.0


@dataclass(frozen=True)
class JointProxy(Record):
    """How well all inputs together predict one attribute (one shallow tree, held-out rows)."""

    attribute: str
    score: float
    top_features: tuple[str, ...]
    method: str


@dataclass(frozen=True)
class ProxyReport(Record):
    """Every finding, strongest first, and the joint score per attribute."""

    findings: tuple[ProxyFinding, ...]
    threshold: float
    sample_size: int
    seed: int
    joint: tuple[JointProxy, ...] = ()

    def flagged(self) -> list[ProxyFinding]:
        """Findings at or above the threshold."""
        return [f for f in self.findings if f.above_threshold]

    def top(self, attribute: str | None = None) -> ProxyFinding | None:
        """The strongest finding (for one attribute)."""
        for f in self.findings:
            if attribute is None or f.attribute == attribute:
                return f
        return None

    def to_frame(self) -> pd.DataFrame:
        """The findings as a DataFrame."""
        return pd.DataFrame([f.to_dict() for f in self.findings])


def _is_categorical(col: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def _bin(col: pd.Series) -> tuple[np.ndarray, int, str]:
    """Bin codes (0..k-1), their number, and how the column was binned."""
    if _is_categorical(col) or col.nunique(dropna=True) <= _BINS:
        text = col.astype(object).where(col.notna(), "(missing)").astype(str)
        counts = text.value_counts()
        if len(counts) > _MAX_LEVELS:
            keep = set(counts.index[: _MAX_LEVELS - 1])
            text = text.where(text.isin(keep), "(other)")
        codes, levels = pd.factorize(text)
        return codes.astype(np.int64), max(1, len(levels)), "levels"
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    edges = np.unique(np.quantile(values[finite], np.linspace(0, 1, _BINS + 1)[1:-1]))
    codes = np.searchsorted(edges, values, side="right").astype(np.int64)
    codes[~finite] = len(edges) + 1
    return codes, len(edges) + 2, f"{len(edges) + 1} quantile bins"


def _joint(
    binned: dict[str, tuple[np.ndarray, int, str]], target: np.ndarray, attr: str, seed: int
) -> JointProxy | None:
    from sklearn.tree import DecisionTreeClassifier

    names = list(binned)
    classes, y = np.unique(target, return_inverse=True)
    k = len(classes)
    if k < 2 or len(y) < 30:
        return None
    X = np.column_stack([binned[n][0] for n in names]).astype(np.float64)
    rng = np.random.default_rng(seed)
    test = rng.random(len(y)) < 1 / 3
    if len(np.unique(y[~test])) < 2:
        return None
    tree = DecisionTreeClassifier(max_depth=6, min_samples_leaf=20, random_state=seed)
    tree.fit(X[~test], y[~test])
    pred = tree.predict(X[test])
    recalls = [float(np.mean(pred[y[test] == c] == c)) for c in range(k) if (y[test] == c).any()]
    bacc = float(np.mean(recalls)) if recalls else 1 / k
    score = max(0.0, (bacc - 1 / k) / (1 - 1 / k))
    order = np.argsort(-tree.feature_importances_, kind="stable")
    top = tuple(names[i] for i in order[:3] if tree.feature_importances_[i] > 0)
    method = "one shallow tree on every input, balanced accuracy above chance on held-out rows"
    return JointProxy(attr, round(score, 6), top, method)


def scan_proxies(
    X: pd.DataFrame,
    sensitive: pd.DataFrame,
    *,
    threshold: float = 0.3,
    sample_size: int = 20_000,
    combinations: int = 2,
    top_k_combinations: int = 10,
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
    seed : int, default 0
        Seed of the sample and of the joint tree.

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
    binned = {str(name): _bin(Xs[name]) for name in Xs.columns}
    findings: list[ProxyFinding] = []
    joint: list[JointProxy] = []
    for attr in Ss.columns:
        target = Ss[attr].astype(object).where(Ss[attr].notna(), "(missing)").astype(str)
        t_codes, t_k = _codes(target)
        if t_k < 2:
            continue
        singles: list[ProxyFinding] = []
        for name, (codes, k, how) in binned.items():
            v, nmi = _v_and_nmi(_table(codes, t_codes, k, t_k))
            method = f"Cramér's V on {how} (NMI {nmi:.2f})"
            singles.append(
                ProxyFinding((name,), str(attr), round(v, 6), method, v >= threshold, round(nmi, 6))
            )
        findings.extend(singles)
        if combinations >= 2 and len(singles) >= 2:
            best = sorted(singles, key=lambda f: -f.score)[:top_k_combinations]
            for a, b in itertools.combinations(best, 2):
                ca, cb, kb = binned[a.features[0]][0], *binned[b.features[0]][:2]
                levels, pair = np.unique(ca * kb + cb, return_inverse=True)
                kp = len(levels)
                v, nmi = _v_and_nmi(_table(pair, t_codes, kp, t_k))
                if v > max(a.score, b.score) + 0.05:  # only pairs that add information
                    findings.append(
                        ProxyFinding(
                            (a.features[0], b.features[0]),
                            str(attr),
                            round(v, 6),
                            f"Cramér's V on the pair's joint bins (NMI {nmi:.2f})",
                            v >= threshold,
                            round(nmi, 6),
                        )
                    )
        together = _joint(binned, target.to_numpy(), str(attr), seed)
        if together is not None:
            joint.append(together)
    findings.sort(key=lambda f: (-f.score, f.attribute, f.features))
    return ProxyReport(tuple(findings), float(threshold), len(rows), int(seed), tuple(joint))
