"""Prohibited-variable detector: sensitive features found by name, description and content.

Each finding lists its evidence (:class:`~fairgate.detectors.content.Evidence`: a stable code,
parameters, a sentence and a strength) and the strongest of them. By name: multilingual word
lists per category (:mod:`fairgate.detectors.sensitive_names`), extended by the policy. By the
filing's feature descriptions: the same words in the text. By content, on a bounded sample:
see :mod:`fairgate.detectors.content`. Weak evidence alone (single-letter F/M codes with nothing
to corroborate them) does not make a finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from fairgate.audit.core.records import Record
from fairgate.detectors.content import Evidence, content_evidence, is_prc_resident_id, strongest
from fairgate.detectors.sensitive_names import DEFAULT_PROHIBITED, matching_word
from fairgate.errors import ValidationError

__all__ = ["ProhibitedFinding", "find_prohibited", "is_prc_resident_id"]

How = Literal["name", "description", "content", "dictionary", "declared"]


@dataclass(frozen=True)
class ProhibitedFinding(Record):
    """A sensitive feature, why it was found, and whether the policy prohibits it.

    Attributes
    ----------
    feature : str
    category : str
        The category it is filed under (the first of ``categories``).
    evidence : str
        The evidence sentences joined with "; " (English).
    prohibited : bool
    how : {"name", "description", "content", "dictionary", "declared"}
        The first kind of evidence found.
    categories : tuple of str
        Every category the feature encodes (a combined column encodes several).
    strength : {"strong", "moderate", "weak"}
        The strongest evidence.
    reasons : tuple of Evidence
        Every piece of evidence, for the message catalogs.
    """

    feature: str
    category: str
    evidence: str
    prohibited: bool
    how: How
    categories: tuple[str, ...] = ()
    strength: str = "strong"
    reasons: tuple[Evidence, ...] = ()


def _sex_columns(reference: pd.DataFrame | None, extra: Mapping[str, Sequence[str]]) -> list[str]:
    if reference is None:
        return []
    return [c for c in reference.columns if (matching_word(str(c), extra) or ("",))[0] == "sex"]


def _examine(
    name: str,
    values: pd.Series,
    *,
    extra: Mapping[str, Sequence[str]],
    description: str | None,
    dictionary: Mapping[str, str] | None,
    corroborating: pd.DataFrame | None,
) -> tuple[list[str], list[Evidence], How] | None:
    reasons: list[Evidence] = []
    categories: list[str] = []
    how: How | None = None
    by_name = matching_word(name, extra)
    if by_name is not None:
        categories.append(by_name[0])
        how = "name"
        reasons.append(
            Evidence(
                "name",
                {"word": by_name[1], "category": by_name[0]},
                f"the column name {name!r} contains {by_name[1]!r} ({by_name[0]})",
            )
        )
    by_text = matching_word(description, extra) if description else None
    if by_text is not None:
        categories.append(by_text[0])
        how = how or "description"
        reasons.append(
            Evidence(
                "description",
                {"word": by_text[1], "category": by_text[0], "description": description},
                f"the filing describes it as {description!r}, which names {by_text[0]}",
                "moderate",
            )
        )
    hint = "sex" in categories
    found = content_evidence(
        values, dictionary=dictionary, corroborating=corroborating, sex_hint=hint
    )
    if found is not None:
        cats, ev = found
        if ev.strength != "weak":
            categories.extend(cats)
            how = how or ("dictionary" if ev.code == "dictionary" else "content")
        reasons.append(ev)
    categories = list(dict.fromkeys(categories))
    if not categories or how is None:
        return None
    return categories, reasons, how


def find_prohibited(
    X: pd.DataFrame,
    prohibited: Sequence[str] | None = None,
    *,
    sensitive: Sequence[str] | None = None,
    extra_names: Mapping[str, Sequence[str]] | None = None,
    descriptions: Mapping[str, str] | None = None,
    dictionary: Mapping[str, Mapping[str, str]] | None = None,
    reference: pd.DataFrame | None = None,
    sample_size: int = 5000,
    seed: int = 0,
) -> list[ProhibitedFinding]:
    """Find sensitive features by name, description and content; say which are prohibited.

    Parameters
    ----------
    X : pandas.DataFrame
        The model's input features.
    prohibited : sequence of str, optional
        Prohibited categories or column names (default: sex, ethnicity, religion, region).
    sensitive : sequence of str, optional
        Columns declared sensitive (reported even when no rule finds them).
    extra_names : mapping, optional
        More words per category (a policy's ``sensitive_names``), e.g. ``{"region": ["ward"]}``.
    descriptions : mapping of str to str, optional
        The filing's description of each feature; words in it are evidence too.
    dictionary : mapping, optional
        A data dictionary: ``{column: {code: label}}``; coded values are read through it.
    reference : pandas.DataFrame, optional
        Declared sensitive attributes of the same rows (their names say which is sex); a
        strong association with one corroborates single-letter F/M codes.
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
    if reference is not None and len(reference) != len(X):
        raise ValidationError(
            f"reference has {len(reference):,} rows but X has {len(X):,}; pass the declared "
            "sensitive attributes of the same rows."
        )
    banned = {p.lower() for p in (DEFAULT_PROHIBITED if prohibited is None else prohibited)}
    extra = {str(k): tuple(v) for k, v in (extra_names or {}).items()}
    rows = X.sample(n=min(sample_size, len(X)), random_state=seed).index if len(X) else X.index
    sample = X.loc[rows]
    sexes = _sex_columns(reference, extra)
    corroborating = None if not sexes or reference is None else reference.loc[rows, sexes]
    declared = set(sensitive or ())
    out = []
    for column in X.columns:
        name = str(column)
        if corroborating is not None and name in corroborating.columns:
            others = corroborating.drop(columns=[name])
        else:
            others = corroborating
        found = _examine(
            name,
            sample[column],
            extra=extra,
            description=(descriptions or {}).get(name),
            dictionary=(dictionary or {}).get(name),
            corroborating=others,
        )
        if found is None and name in declared:
            ev = Evidence("declared", {}, "declared sensitive in the filing")
            found = (["declared"], [ev], "declared")
        if found is None:
            continue
        categories, reasons, how = found
        counted = [r for r in reasons if r.strength != "weak"]
        out.append(
            ProhibitedFinding(
                feature=name,
                category=categories[0],
                evidence="; ".join(r.text for r in reasons),
                prohibited=name.lower() in banned or any(c.lower() in banned for c in categories),
                how=how,
                categories=tuple(categories),
                strength=strongest(counted),
                reasons=tuple(reasons),
            )
        )
    return out
