"""Prohibited-variable detector: sensitive features found by name and by content.

By name: multilingual word lists per category (:mod:`fairgate.detectors.sensitive_names`). By
content, on a bounded sample: values that look like sex (M/F, male/female, 男/女), ethnicity
words, and PRC resident identity numbers (18 characters: a 6-digit region code, the birth date
YYYYMMDD, 3 digits and an ISO 7064 MOD 11-2 check character), which embed birth date and region.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from fairgate.detectors.sensitive_names import DEFAULT_PROHIBITED, category_of_name
from fairgate.errors import ValidationError

__all__ = ["ProhibitedFinding", "find_prohibited", "is_prc_resident_id"]

_SEX_VALUES = {
    "m",
    "f",
    "male",
    "female",
    "man",
    "woman",
    "men",
    "women",
    "男",
    "女",
    "男性",
    "女性",
}
_ETHNIC_VALUES = {
    "white",
    "black",
    "asian",
    "hispanic",
    "latino",
    "caucasian",
    "indigenous",
    "汉族",
    "汉",
    "回族",
    "藏族",
    "维吾尔族",
    "蒙古族",
    "壮族",
}
_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def is_prc_resident_id(value: Any) -> bool:
    """Whether ``value`` is a valid 18-character PRC resident identity number.

    Checks the shape, a plausible birth date (YYYYMMDD) and the ISO 7064 MOD 11-2 check
    character.
    """
    text = str(value).strip()
    if not _ID_RE.match(text):
        return False
    year, month, day = int(text[6:10]), int(text[10:12]), int(text[12:14])
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17].upper()


@dataclass(frozen=True)
class ProhibitedFinding:
    """A sensitive feature, how it was found, and whether the policy prohibits it."""

    feature: str
    category: str
    evidence: str
    prohibited: bool
    how: Literal["name", "content"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _by_content(values: pd.Series) -> tuple[str, str] | None:
    sample = values.dropna()
    if sample.empty:
        return None
    text = sample.astype(str).str.strip()
    lower = text.str.lower()
    n = len(text)
    ids = int(text.map(is_prc_resident_id).sum())
    if ids and ids >= 0.5 * n:
        return (
            "identity_number",
            f"{ids:,} of {n:,} sampled values are valid PRC resident ID numbers "
            "(they embed birth date and region)",
        )
    levels = set(lower.unique())
    if 2 <= len(levels) <= 4 and levels <= _SEX_VALUES:
        return "sex", f"values {sorted(levels)} look like sex"
    if len(levels) <= 12:
        share = float(lower.isin(_ETHNIC_VALUES).mean())
        if share >= 0.8:
            return "ethnicity", f"{share:.0%} of sampled values are ethnicity words"
    return None


def find_prohibited(
    X: pd.DataFrame,
    prohibited: Sequence[str] | None = None,
    *,
    sensitive: Sequence[str] | None = None,
    extra_names: Mapping[str, Sequence[str]] | None = None,
    sample_size: int = 5000,
    seed: int = 0,
) -> list[ProhibitedFinding]:
    """Find sensitive features by name and by content, and say which are prohibited.

    Parameters
    ----------
    X : pandas.DataFrame
        The model's input features.
    prohibited : sequence of str, optional
        Prohibited categories or column names (default: sex, ethnicity, religion, region).
    sensitive : sequence of str, optional
        Columns declared sensitive (reported even when no rule finds them).
    extra_names : mapping, optional
        More words per category, e.g. ``{"region": ["district"]}``.
    sample_size : int, default 5000
        Rows read for the content checks.
    seed : int, default 0
        Seed of the sample.

    Returns
    -------
    list of ProhibitedFinding
        One per sensitive feature, in column order.
    """
    if not isinstance(X, pd.DataFrame):
        raise ValidationError(f"X: expected a pandas DataFrame, received {type(X).__name__}.")
    banned = {p.lower() for p in (DEFAULT_PROHIBITED if prohibited is None else prohibited)}
    extra = {k: tuple(v) for k, v in (extra_names or {}).items()}
    sample = X.sample(n=min(sample_size, len(X)), random_state=seed) if len(X) else X
    declared = set(sensitive or ())
    out = []
    for column in X.columns:
        name = str(column)
        category = category_of_name(name, extra)
        how: Literal["name", "content"] = "name"
        evidence = f"the column name {name!r} points to {category}" if category else ""
        if category is None:
            found = _by_content(sample[column])
            if found is not None:
                category, evidence = found
                how = "content"
        if category is None and name in declared:
            category, evidence = "declared", "declared sensitive in the filing"
        if category is None:
            continue
        out.append(
            ProhibitedFinding(
                feature=name,
                category=category,
                evidence=evidence,
                prohibited=category.lower() in banned
                or name.lower() in banned
                or (category == "identity_number" and bool(banned & {"region", "age"})),
                how=how,
            )
        )
    return out
