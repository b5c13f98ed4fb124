"""Names that mark a column as sensitive, by category, in English and Chinese.

Matching is token-aware: a column name is split into words (``applicant_gender`` ->
``applicant``, ``gender``; ``sexCode`` -> ``sex``, ``code``), and a category matches when one of
its words is a token of the name (or, for Chinese, a substring), so ``sex_code`` matches but
``sussex`` and ``message`` do not.
"""

from __future__ import annotations

import re

__all__ = ["CATEGORIES", "DEFAULT_PROHIBITED", "category_of_name", "tokens"]

CATEGORIES: dict[str, tuple[str, ...]] = {
    "sex": ("sex", "gender", "male", "female", "性别", "男女"),
    "ethnicity": (
        "race",
        "ethnicity",
        "ethnic",
        "colour",
        "color",
        "skin",
        "nationality_ethnic",
        "民族",
        "种族",
        "族群",
    ),
    "religion": ("religion", "religious", "faith", "宗教", "信仰"),
    "age": ("age", "dob", "birthdate", "birth", "birthday", "年龄", "出生日期", "出生"),
    "region": (
        "region",
        "postcode",
        "zipcode",
        "zip",
        "postal",
        "hukou",
        "province",
        "地域",
        "户籍",
        "籍贯",
        "地区",
        "省份",
    ),
    "nationality": ("nationality", "citizenship", "citizen", "immigration", "国籍"),
    "disability": ("disability", "disabled", "handicap", "残疾"),
    "health": ("health", "diagnosis", "pregnancy", "pregnant", "健康", "病史"),
    "sexual_orientation": ("orientation", "lgbt", "性取向"),
    "political_opinion": ("political", "party", "politics", "政治面貌", "党派"),
    "marital_status": ("marital", "married", "spouse", "婚姻"),
    "identity_number": ("ssn", "idcard", "id_card", "身份证", "身份证号"),
}
"""Sensitive categories and the words that name them."""

DEFAULT_PROHIBITED: tuple[str, ...] = ("sex", "ethnicity", "religion", "region")
"""Categories prohibited unless a policy says otherwise."""

_SPLIT = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def tokens(name: str) -> list[str]:
    """Lower-case words of a column name (snake, kebab, camel and spaces split)."""
    return [t for t in _SPLIT.split(_CAMEL.sub("_", str(name)).lower()) if t]


def category_of_name(name: str, extra: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The sensitive category a column name points to, or ``None``."""
    words = set(tokens(name))
    joined = "_".join(tokens(name))
    table = {**CATEGORIES, **(extra or {})}
    for category, names in table.items():
        for word in names:
            if any("\u4e00" <= ch <= "\u9fff" for ch in word):
                if word in str(name):
                    return category
            elif word in words or ("_" in word and word in joined):
                return category
    return None
