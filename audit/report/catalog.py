"""The report's message catalogs (YAML, English and 简体中文) and locale-aware formatting.

Every sentence a committee member or citizen reads comes from
``fairgate.report_templates/locales/<lang>.yaml``: one flat mapping of keys to
``str.format`` templates, the same keys in every language. Numbers, percentages and dates are
formatted for the locale with babel. :func:`catalog_problems` lists every missing, extra,
mismatched or untranslated message; the tests fail on any.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from fairgate.errors import FairgateError, ValidationError

__all__ = [
    "LANGUAGES",
    "SAME_IN_EVERY_LANGUAGE",
    "Text",
    "catalog_problems",
    "load_catalog",
    "message_in",
    "refusal",
]

LANGUAGES: dict[str, str] = {"en": "en", "zh": "zh_Hans_CN"}
"""Report languages and their babel locales."""

SAME_IN_EVERY_LANGUAGE: frozenset[str] = frozenset(
    {"html_lang", "list_sep", "disparity_value", "label_share"}
)
"""Keys whose text is not words, so it may be the same in English and Chinese."""

_PLACEHOLDER = re.compile(r"{(\w+)}")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@cache
def load_catalog(lang: str) -> dict[str, str]:
    """The message catalog of ``lang`` as a flat dict.

    Parameters
    ----------
    lang : {"en", "zh"}
        The report language.

    Returns
    -------
    dict of str to str

    Raises
    ------
    ValidationError
        For a language fairgate has no catalog for.
    """
    import yaml

    if lang not in LANGUAGES:
        raise ValidationError(f"lang={lang!r}: use one of {sorted(LANGUAGES)}.")
    text = resources.files("fairgate.report_templates").joinpath(f"locales/{lang}.yaml")
    body = yaml.safe_load(text.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in body.items()}


def catalog_problems(catalogs: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
    """Every problem of the catalogs, as sentences (empty when they are complete).

    A key present in one language and not the other, placeholders that differ between the
    languages, an empty message, a Chinese message with no Chinese character or with an
    English word outside its placeholders (``{name}`` and product names excepted), and a
    Chinese message identical to the English one, unless the key is in
    :data:`SAME_IN_EVERY_LANGUAGE`.

    Parameters
    ----------
    catalogs : mapping, optional
        ``{"en": {...}, "zh": {...}}`` to check instead of the packaged catalogs.

    Returns
    -------
    list of str
    """
    if catalogs is None:
        catalogs = {lang: load_catalog(lang) for lang in LANGUAGES}
    en, zh = catalogs["en"], catalogs["zh"]
    problems = [f"{k}: missing in zh.yaml" for k in sorted(set(en) - set(zh))]
    problems += [f"{k}: missing in en.yaml" for k in sorted(set(zh) - set(en))]
    for key in sorted(set(en) & set(zh)):
        if not en[key].strip() or not zh[key].strip():
            problems.append(f"{key}: empty message")
            continue
        if set(_PLACEHOLDER.findall(en[key])) != set(_PLACEHOLDER.findall(zh[key])):
            problems.append(f"{key}: placeholders differ between en and zh")
        if key in SAME_IN_EVERY_LANGUAGE:
            continue
        bare = _PLACEHOLDER.sub("", zh[key]).replace("fairgate", "").replace("SHAP", "")
        if zh[key] == en[key]:
            problems.append(f"{key}: zh message is the English text")
        elif not _CJK.search(bare) and _LATIN_WORD.search(bare):
            problems.append(f"{key}: zh message has no Chinese text: {zh[key]!r}")
        elif _LATIN_WORD.search(bare):
            words = _LATIN_WORD.findall(bare)
            if set(words) - _ALLOWED_LATIN:
                problems.append(f"{key}: English words left in zh: {words}")
    return problems


_ALLOWED_LATIN = frozenset({"NMI", "ROC", "AUC", "ECE", "SHA", "JSON", "ipynb", "audit"})
"""Latin words a Chinese message may hold: abbreviations and file names."""


class Text:
    """Catalog lookup and locale-aware formatting, as the templates call it.

    Parameters
    ----------
    lang : {"en", "zh"}
        The report language.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = LANGUAGES[lang]
        self.catalog = load_catalog(lang)

    def __call__(self, key: str, **kw: Any) -> str:
        """The message ``key`` with its placeholders filled in."""
        return self.catalog[key].format(**kw)

    def has(self, key: str) -> bool:
        """Whether the catalog has ``key``."""
        return key in self.catalog

    def num(self, value: Any, digits: int = 3) -> str:
        """A number for the locale (integers without decimals); "not available" for None."""
        from babel.numbers import format_decimal

        if value is None:
            return self.catalog["not_available"]
        if isinstance(value, int) and not isinstance(value, bool):
            return format_decimal(value, locale=self.locale)
        return format_decimal(value, format="#,##0." + "0" * digits, locale=self.locale)

    def signed(self, value: Any, digits: int = 3) -> str:
        """A difference with its sign (+0.012, −0.040)."""
        if value is None:
            return self.catalog["not_available"]
        text = self.num(abs(value), digits)
        return ("+" if value > 0 else "−" if value < 0 else "±") + text

    def pct(self, value: Any, fmt: str = "#,##0.0%") -> str:
        """A share as a percentage for the locale."""
        from babel.numbers import format_percent

        if value is None:
            return self.catalog["not_available"]
        return format_percent(value, format=fmt, locale=self.locale)

    def date(self, iso: str) -> str:
        """An ISO 8601 time as a medium-length date and time for the locale (UTC)."""
        from babel.dates import format_datetime

        when = _dt.datetime.fromisoformat(iso)
        return format_datetime(when, format="medium", locale=self.locale, tzinfo=_dt.UTC)

    def join(self, items: Any) -> str:
        """Items joined with the locale's list separator."""
        return self.catalog["list_sep"].join(str(i) for i in items)

    def metric(self, name: str) -> str:
        """The name of a rate metric as a heading ("Selection rate")."""
        return self.catalog[f"metric_{name}"]

    def rate(self, name: str) -> str:
        """The name of a rate or criterion inside a sentence ("selection rate").

        A per-class multiclass metric, ``true_positive_rate[Adelie]``, reads "true positive
        rate for class Adelie".
        """
        match = re.fullmatch(r"(?P<base>\w+)\[(?P<cls>.+)\]", name)
        if match:
            return self.catalog["rate_of_class"].format(
                rate=self.catalog[f"rate_{match['base']}"], cls=match["cls"]
            )
        return self.catalog[f"rate_{name}"]

    def outcome(self, outcome: str) -> str:
        """Pass / Warning / Fail."""
        return self.catalog[f"outcome_{outcome}"]

    def category(self, name: str) -> str:
        """A sensitive category (``sex``, ``ethnicity``, ``region``, ...)."""
        return self.catalog[f"category_{name}"]

    def yes_no(self, flag: Any) -> str:
        """Yes or no."""
        return self.catalog["answer_yes" if flag else "answer_no"]

    def in_language(self, text: str | None) -> bool:
        """Whether ``text`` (written by someone, e.g. a policy author) is in this language."""
        if not text:
            return False
        return bool(_CJK.search(text)) == (self.lang == "zh")


def refusal(
    cls: type[FairgateError], key: str, *, details: dict[str, object] | None = None, **params: Any
) -> FairgateError:
    """An error whose message is the catalog message ``key`` (English; other languages on demand).

    Parameters
    ----------
    cls : type of FairgateError
        The error class (its HTTP status).
    key : str
        The catalog key.
    details : dict, optional
        Machine-readable details.
    **params
        The message's placeholders.

    Returns
    -------
    FairgateError
        With ``message_key`` and ``params`` set, for :func:`message_in`.
    """
    text = load_catalog("en")[key].format(**params)
    return cls(text, details=details, message_key=key, params=params)


def message_in(exc: FairgateError, lang: str) -> str:
    """The error's message in ``lang`` (its own text when it has no catalog key).

    Parameters
    ----------
    exc : FairgateError
        The error.
    lang : {"en", "zh"}
        The reader's language.

    Returns
    -------
    str
    """
    if exc.message_key is None:
        return exc.message
    return load_catalog(lang)[exc.message_key].format(**exc.params)
