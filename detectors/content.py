"""Content evidence: what a column's values say about a sensitive category, with a strength.

On a bounded sample of one column: sex words (male/female, 男/女), single-letter codes (F/M, weak
on their own: a charge degree F/M is felony/misdemeanour), combined values that encode a
sensitive attribute with something else (``"male : single"``), codes explained by a data
dictionary (``A91`` -> ``"male : divorced/separated"``), ethnicity words, and PRC resident
identity numbers (18 characters: a 6-digit region code, the birth date YYYYMMDD, 3 digits and an
ISO 7064 MOD 11-2 check character), which embed birth date and region.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from fairgate.audit.core.levels import highest
from fairgate.audit.core.records import Record

__all__ = [
    "Evidence",
    "Strength",
    "content_evidence",
    "is_prc_resident_id",
    "strongest",
]

Strength = Literal["weak", "moderate", "strong"]
"""How strongly a piece of evidence says a column is sensitive, the weakest first."""

_SEX_WORDS = {
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
_SEX_LETTERS = {"m", "f"}
_MARITAL_WORDS = {
    "single",
    "married",
    "divorced",
    "separated",
    "widowed",
    "widow",
    "widower",
    "unmarried",
    "未婚",
    "已婚",
    "离异",
    "丧偶",
}
_ETHNIC_WORDS = {
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
_WORDS = {"sex": _SEX_WORDS, "marital_status": _MARITAL_WORDS, "ethnicity": _ETHNIC_WORDS}
_PARTS = re.compile(r"\s*[:/;,|&+()\[\]]\s*|\s+-\s+|\s+")
_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MAX_LEVELS = 60


@dataclass(frozen=True)
class Evidence(Record):
    """One reason a column is sensitive: a stable code, its parameters, a sentence, a strength.

    Attributes
    ----------
    code : str
        ``name``, ``description``, ``values``, ``single_letters``, ``combined_values``,
        ``dictionary``, ``ethnicity_values``, ``resident_id``, ``association`` or ``declared``
        (for the message catalogs).
    params : dict
        The code's parameters (plain JSON values).
    text : str
        The English sentence.
    strength : {"strong", "moderate", "weak"}
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    strength: Strength = "strong"


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


def _parts(level: str) -> list[str]:
    return [p for p in _PARTS.split(level) if p]


def _categories_in(levels: list[str]) -> dict[str, set[str]]:
    """Category -> the category words found among the parts of the levels."""
    found: dict[str, set[str]] = {}
    for level in levels:
        for part in _parts(level):
            for category, words in _WORDS.items():
                if part in words:
                    found.setdefault(category, set()).add(part)
    return found


def _from_levels(
    lower: pd.Series, source: str, params: dict[str, Any]
) -> tuple[list[str], Evidence] | None:
    """Categories and evidence from the (lower-case) values of a column or their labels."""
    levels = sorted(lower.unique().tolist())
    if not 2 <= len(levels) <= _MAX_LEVELS:
        return None
    shown = levels[:4]
    if set(levels) <= _SEX_WORDS:
        code = "dictionary" if source == "dictionary" else "values"
        return ["sex"], Evidence(
            code,
            {**params, "values": shown, "categories": ["sex"]},
            f"{'labels' if source == 'dictionary' else 'values'} {shown} are sex words",
        )
    parts = lower.map(lambda v: set(_parts(v)))
    cats = _categories_in(levels)
    sex_rows = float(parts.map(lambda p: bool(p & _SEX_WORDS)).mean())
    if "sex" in cats and len(cats["sex"]) >= 2 and sex_rows >= 0.8:
        other = sorted(c for c in cats if c != "sex")
        rest = {w for p in parts for w in p} - _SEX_WORDS
        if rest:
            categories = ["sex", *other]
            with_what = " and ".join(c.replace("_", " ") for c in other) or "other information"
            code = "dictionary" if source == "dictionary" else "combined_values"
            return categories, Evidence(
                code,
                {**params, "values": shown, "categories": categories},
                f"{'labels' if source == 'dictionary' else 'values'} such as {shown[:2]} "
                f"combine sex with {with_what} ({sex_rows:.0%} of sampled rows name a sex)",
            )
    if len(levels) <= 12:
        share = float(lower.isin(_ETHNIC_WORDS).mean())
        if share >= 0.8:
            return ["ethnicity"], Evidence(
                "ethnicity_values",
                {**params, "share": round(share, 4), "categories": ["ethnicity"]},
                f"{share:.0%} of sampled values are ethnicity words",
            )
    return None


def content_evidence(
    values: pd.Series,
    *,
    dictionary: Mapping[str, str] | None = None,
    corroborating: pd.DataFrame | None = None,
    sex_hint: bool = False,
) -> tuple[list[str], Evidence] | None:
    """The sensitive categories a column's values encode, and the evidence.

    Parameters
    ----------
    values : pandas.Series
        A bounded sample of one column.
    dictionary : mapping of str to str, optional
        The data dictionary's labels of this column's codes (``{"A91": "male : divorced"}``).
    corroborating : pandas.DataFrame, optional
        Declared sex columns of the same rows: single-letter codes count as sex only when they
        are strongly associated with one (Cramér's V of 0.8 or more).
    sex_hint : bool, default False
        The name or the filing's description already points to sex (corroborates F/M codes).

    Returns
    -------
    (categories, Evidence) or None
        The first category is the one the finding is filed under.
    """
    sample = values.dropna()
    if sample.empty:
        return None
    text = sample.astype(str).str.strip()
    n = len(text)
    ids = int(text.map(is_prc_resident_id).sum())
    if ids and ids >= 0.5 * n:
        return ["identity_number", "age", "region"], Evidence(
            "resident_id",
            {"count": ids, "n": n, "categories": ["identity_number", "age", "region"]},
            f"{ids:,} of {n:,} sampled values are valid PRC resident ID numbers "
            "(they embed birth date and region)",
        )
    if dictionary:
        labels = text.map({str(k): str(v) for k, v in dictionary.items()})
        known = labels.notna()
        if known.mean() >= 0.8:
            found = _from_levels(
                labels[known].str.strip().str.lower(),
                "dictionary",
                {"codes": sorted(text[known].unique().tolist())[:6]},
            )
            if found is not None:
                return found
    lower = text.str.lower()
    found = _from_levels(lower, "values", {})
    if found is not None:
        return found
    levels = set(lower.unique())
    if len(levels) == 2 and levels <= _SEX_LETTERS:
        return _single_letters(sample, sorted(text.unique()), corroborating, sex_hint)
    return None


def _single_letters(
    sample: pd.Series, shown: list[str], corroborating: pd.DataFrame | None, sex_hint: bool
) -> tuple[list[str], Evidence]:
    """F/M codes: weak alone; moderate with a hint or a strong association with a sex column."""
    if sex_hint:
        return ["sex"], Evidence(
            "single_letters",
            {"values": shown, "corroborated_by": "name"},
            f"values {shown} are single-letter codes, read as sex because the column's name or "
            "description says so",
            "moderate",
        )
    from fairgate.detectors.proxies import cramers_v

    for column in [] if corroborating is None else list(corroborating.columns):
        other = corroborating.loc[sample.index, column]
        ok = other.notna()
        v = cramers_v(sample[ok].astype(str), other[ok].astype(str)) if ok.sum() > 1 else 0.0
        if v >= 0.8:
            return ["sex"], Evidence(
                "single_letters",
                {"values": shown, "corroborated_by": str(column), "cramers_v": round(v, 4)},
                f"values {shown} are single-letter codes that match the declared sex column "
                f"{column!r} (Cramér's V {v:.2f})",
                "moderate",
            )
    return ["sex"], Evidence(
        "single_letters",
        {"values": shown, "corroborated_by": None},
        f"values {shown} are single-letter codes; without a name, description or association "
        "with a declared sex column they are not read as sex (F/M may mean felony/misdemeanour)",
        "weak",
    )


def strongest(items: list[Evidence]) -> Strength:
    """The strongest strength among ``items`` (``weak`` when empty)."""
    return highest(Strength, (e.strength for e in items), default="weak")
