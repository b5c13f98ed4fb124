"""Reason codes of rule results: each code's parameters and its English sentence.

Every :class:`~fairgate.audit.policy.verdict.RuleResult` carries a stable ``code`` and its
``params`` (plain JSON values); its English ``why`` is :func:`reason_text` of them, so the
sentence and the machine-readable reason never disagree. Clauses added to a sentence (a warning
margin, groups left out, ...) are ``params["notes"]``: a list of ``{"code", "params"}``. The
report renders the same codes from its message catalogs (``report_templates/locales``), one
entry per code in :data:`REASONS`. Lists in params are joined with ", " in English.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

__all__ = ["DENOMINATORS", "HEADLINE_ORDER", "REASONS", "reason_text"]

REASONS: dict[str, str] = {
    # metric rules (ratio / difference)
    "metric.ratio": (
        "smallest {rate} ratio between groups is {value:.3f} ({low_group} {low:.3f} vs "
        "{high_group} {high:.3f}); minimum {threshold:g}"
    ),
    "metric.difference": (
        "largest {rate} difference between groups is {value:.3f} ({high_group} {high:.3f} vs "
        "{low_group} {low:.3f}); maximum {threshold:g}"
    ),
    "metric.unmeasurable": (
        "not measurable on {attributes}: fewer than two groups have at least {min_group_size} "
        "{denominator} and a defined {rates}"
    ),
    "metric.not_audited": (
        "not measured: {attributes} was not audited (the audit's attribute sets are {audited})"
    ),
    # absolute rules (minimum / maximum in every group)
    "absolute.fail": (
        "{metric} must be {bound} {threshold:g} in every group of {attributes}; {count} group(s) "
        "are not: {groups}"
    ),
    "absolute.near": (
        "{metric} is {bound} {threshold:g} in every group of {attributes}, but within the "
        "warning margin of {margin:g}: {groups}"
    ),
    "absolute.pass": (
        "{metric} is {bound} {threshold:g} in every group of {attributes} (closest: {groups})"
    ),
    "absolute.unmeasurable": (
        "not measurable on {attributes}: no group has at least {min_group_size} people and a "
        "defined {metric}"
    ),
    "absolute.other_kind": "not measured: {metric} is not a metric of a {kind} audit",
    "absolute.not_audited": "not measured: none of {attributes} was audited",
    "note.undefined": "{metric} undefined for {groups}",
    "note.left_out_small": "left out: {groups} (under {min_group_size} people)",
    # group sizes
    "group_size.small": (
        "{count} group(s) have fewer than {min_group_size} people and are left out of ratios "
        "and differences: {groups}"
    ),
    "group_size.ok": "every group of {attributes} has at least {min_group_size} people",
    # prohibited inputs
    "prohibited.used": "the model takes {count} prohibited variable(s) as input: {inputs}",
    "prohibited.name_only": (
        "checked by column name only: the prohibited-variable detector did not run, so inputs "
        "of the categories {categories} may have been missed"
    ),
    "prohibited.none": "no prohibited variable among the model's inputs (prohibited: {prohibited})",
    "prohibited.none_listed": "no prohibited variable among the model's inputs",
    # proxies
    "proxy.not_run": "not measured: the proxy scan did not run",
    "proxy.prohibited": (
        "{count} input(s) predict a prohibited attribute with a score of {threshold:g} or more: "
        "{proxies}"
    ),
    "proxy.sensitive": (
        "{count} input(s) predict a sensitive attribute that the policy does not prohibit with a "
        "score of {threshold:g} or more: {proxies}"
    ),
    "proxy.none": "no input predicts a sensitive attribute with {threshold:g} or more",
    # the flip test
    "flip.worst_pair": (
        "{rate:.1%} of the decisions of {from_group} change when {attribute} is set to "
        "{to_group} ({flips} of {n}; {confidence:.0%} Wilson interval {ci_low:.1%} to "
        "{ci_high:.1%}), the worst of {pairs} group pair(s); maximum {threshold:.1%}"
    ),
    "flip.not_measured": "not measured: no decision of {attribute} could be flipped",
    "flip.no_large_pair": (
        "not measured: no group of {attribute} has {min_n} or more rows to re-score"
    ),
    "flip.detectors_not_run": "not measured: the detectors did not run for {inputs}",
    "flip.no_result": "not measured: no flip test result for {inputs}",
    "flip.no_sensitive_input": (
        "no sensitive attribute is a model input, so no decision can flip on it directly "
        "(proxies are judged by the proxy rule)"
    ),
    # representation
    "representation.not_run": (
        "not measured: the representation test did not run (it needs the detectors and "
        "reference_shares for an audited attribute)"
    ),
    "representation.differs": "group shares of {attribute} differ from the reference: {groups}",
    "representation.matches": "group shares of {attribute} match the reference population",
    # explainability
    "explain.missing": "no explanation of the model's decisions could be computed",
    "explain.nothing_to_weigh": (
        "explained with {method} on {n} rows; no sensitive or prohibited input and no detected "
        "proxy to weigh"
    ),
    "explain.share": (
        "explained with {method} on {n} rows; {top} carries {share:.1%} of the total mean "
        "|SHAP| (limit {limit:.1%})"
    ),
    # clauses (params["notes"])
    "note.warn_margin": "within the warning margin of {margin:g}",
    "note.unmeasured": "{rates} could not be measured",
    "note.left_out": ("left out of {rate}: {groups} (fewer than {min_group_size} {denominator})"),
    "note.too_few_remain": "only {count} group(s) remain, so disparities cannot be measured",
    "note.small_denominator": (
        "left out of {rate} only: {groups} (fewer than {min_group_size} {denominator})"
    ),
    "note.p_value": "chi-square p = {p_value:.3g}",
    "note.skipped": "reason: {reason}",
    "note.not_required": "the policy does not require one",
    "note.over_limit": "over the limit: {items}",
    "note.pooled": "pooled over every pair: {rate:.1%}",
    "note.small_pairs": "pairs with fewer than {min_n} rows are shown but not judged: {pairs}",
    # rankings judged at the top k (see ranking_checks)
    "note.top_k_filed": "judged on the top {k} of {rows} ranked rows, as the filing states",
    "note.top_k_threshold": (
        "judged on the top {k} of {rows} ranked rows, those the threshold selects (the filing "
        "names no top_k)"
    ),
}
"""Reason code -> English sentence (``str.format`` fields are the code's parameters)."""

DENOMINATORS: dict[str, str] = {
    "people": "people",
    "actual_positives": "actual positives",
    "actual_negatives": "actual negatives",
    "predicted_positives": "predicted positives",
    "predicted_negatives": "predicted negatives",
}
"""Denominator code (a parameter of several reasons) -> its English words."""

HEADLINE_ORDER: tuple[str, ...] = (
    "prohibited",
    "proxy",
    "explainability",
    "flip",
    "ratio",
    "difference",
    "minimum",
    "maximum",
    "representation",
    "group_size",
)
"""Rule kinds in the order a headline names them (the gravest first)."""


class _English(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return super().format_field(value, format_spec)

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        value = kwargs[key]
        if key == "denominator":
            return DENOMINATORS.get(str(value), str(value))
        return value


_FORMATTER = _English()


def reason_text(code: str, params: Mapping[str, Any]) -> str:
    """The English sentence of a reason code, with its notes appended after "; ".

    Parameters
    ----------
    code : str
        A key of :data:`REASONS`.
    params : mapping
        The code's parameters; ``notes`` is a list of ``{"code", "params"}`` clauses.

    Returns
    -------
    str
    """
    text = _FORMATTER.format(REASONS[code], **params)
    for note in params.get("notes", ()) or ():
        text += "; " + _FORMATTER.format(REASONS[note["code"]], **note["params"])
    return text
