"""Names that mark a column as sensitive, by category, in English and Chinese.

Matching is token-aware: a column name is split into words (``applicant_gender`` ->
``applicant``, ``gender``; ``sexCode`` -> ``sex``, ``code``), and a category matches when one of
its words is a token of the name, or one of its phrases (``country_of_birth``) is a run of
tokens; Chinese words match as substrings. ``sex_code`` matches but ``sussex`` and ``message``
do not. When several categories match, the longest matching word or phrase wins, so
``country_of_birth`` is region (origin), not age, and ``出生地`` is region, not ``出生`` (age).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = [
    "CATEGORIES",
    "DEFAULT_PROHIBITED",
    "NOT_SENSITIVE",
    "category_of_name",
    "matching_word",
    "tokens",
]

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
        "country",
        "native_country",
        "country_of_birth",
        "country_of_origin",
        "place_of_birth",
        "birthplace",
        "birth_place",
        "birth_country",
        "nationality",
        "origin",
        "district",
        "city",
        "province",
        "state_of_residence",
        "county",
        "municipality",
        "town",
        "village",
        "borough",
        "neighbourhood",
        "neighborhood",
        "address",
        "postcode",
        "zipcode",
        "zip",
        "postal",
        "postal_code",
        "foreign",
        "foreign_worker",
        "hukou",
        "地域",
        "户籍",
        "户口",
        "籍贯",
        "地区",
        "省份",
        "省市",
        "城市",
        "区县",
        "住址",
        "地址",
        "邮编",
        "邮政编码",
        "出生地",
        "国籍",
        "原籍",
    ),
    "nationality": ("citizenship", "citizen", "immigration", "immigrant", "residency"),
    "disability": ("disability", "disabled", "handicap", "残疾"),
    "health": ("health", "diagnosis", "pregnancy", "pregnant", "健康", "病史"),
    "sexual_orientation": ("orientation", "lgbt", "性取向"),
    "political_opinion": ("political", "party", "politics", "政治面貌", "党派"),
    "marital_status": ("marital", "married", "spouse", "婚姻"),
    "identity_number": ("ssn", "idcard", "id_card", "身份证", "身份证号"),
}
"""Sensitive categories and the words that name them. Region covers place and origin
(country, nationality, birthplace, district, city, address, postal code, foreign worker,
户籍, 籍贯, ...): the city's rules forbid region (地域) variables."""

NOT_SENSITIVE: tuple[str, ...] = (
    "email_address",
    "e_mail_address",
    "ip_address",
    "mac_address",
    "web_address",
    "url_address",
)
"""Phrases that contain a category's word but name something else (``ip_address``)."""

DEFAULT_PROHIBITED: tuple[str, ...] = ("sex", "ethnicity", "religion", "region")
"""Categories prohibited unless a policy says otherwise."""

_SPLIT = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def tokens(name: str) -> list[str]:
    """Lower-case words of a column name (snake, kebab, camel and spaces split)."""
    return [t for t in _SPLIT.split(_CAMEL.sub("_", str(name)).lower()) if t]


def _is_chinese(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


def _runs(words: list[str], phrase: str) -> bool:
    parts = phrase.split("_")
    k = len(parts)
    return any(words[i : i + k] == parts for i in range(len(words) - k + 1))


def _without_exceptions(words: list[str]) -> list[str]:
    drop: set[int] = set()
    for phrase in NOT_SENSITIVE:
        parts = phrase.split("_")
        k = len(parts)
        for i in range(len(words) - k + 1):
            if words[i : i + k] == parts:
                drop.update(range(i, i + k))
    return [w for i, w in enumerate(words) if i not in drop]


def matching_word(
    name: str, extra: Mapping[str, Sequence[str]] | None = None
) -> tuple[str, str] | None:
    """The category a name (or a sentence) points to and the word or phrase that matched.

    Parameters
    ----------
    name : str
        A column name, or free text such as a feature's description.
    extra : mapping of str to sequence of str, optional
        More words per category (a policy's ``sensitive_names``), e.g. ``{"region": ["ward"]}``.

    Returns
    -------
    (category, word) or None
        The longest matching word or phrase wins; ``None`` when nothing matches.
    """
    text = str(name)
    words = _without_exceptions(tokens(text))
    table: dict[str, list[str]] = {c: list(ws) for c, ws in CATEGORIES.items()}
    for category, more in (extra or {}).items():
        table.setdefault(str(category), []).extend(str(w).strip().lower() for w in more)
    best: tuple[int, str, str] | None = None
    for category, names in table.items():
        for word in names:
            if not word:
                continue
            if _is_chinese(word):
                hit = word in text
            else:
                hit = _runs(words, "_".join(tokens(word)) or word)
            if hit and (best is None or len(word) > best[0]):
                best = (len(word), category, word)
    return None if best is None else (best[1], best[2])


def category_of_name(name: str, extra: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """The sensitive category a column name points to, or ``None``."""
    found = matching_word(name, extra)
    return None if found is None else found[0]
