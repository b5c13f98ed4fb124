"""The verdict in words: each rule result as a sentence from the catalog, and the headline.

A rule result (``AuditResult.verdict["rules"]``) carries its kind, a stable reason ``code`` and
the code's ``params`` (with clauses under ``notes``); each code has a message in the catalogs
(``why_<code>``), so a rule is told as one plain sentence in the report's language (who got
what, against which limit), titled with the policy's own description in the report's language
(every rule description holds both) and with the catalog's description of the rule otherwise.
No rule id reaches the page.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from typing import Any

from fairgate.audit.report.catalog import Text

__all__ = ["RuleLine", "headline", "rule_kinds", "rule_lines"]

_BUILTIN_KINDS = {"group_size": "group_size", "prohibited_variable": "prohibited", "proxy": "proxy"}
"""Ids of the checks the policy engine adds when the policy has no rule of their kind."""


@dataclass(frozen=True)
class RuleLine:
    """One rule result, told in words.

    Attributes
    ----------
    kind : str
        ``ratio``, ``difference``, ``group_size``, ``prohibited``, ``proxy``, ``flip``,
        ``representation`` or ``explainability``.
    outcome : str
    title : str
        What the rule asks (the policy's description, or the catalog's).
    attributes : str
        The attribute set judged, joined with " × " (empty for checks on the whole model).
    sentence : str
        What was measured, in plain words with the numbers.
    matters : str
        Why the rule matters under the policy.
    reason : str
        A short phrase for the headline ("it takes prohibited variables as input").
    key : tuple
        ``(rule id, attributes)``: matches the same rule in another audit.
    value : float or None
    shown : str
        The value as the rule's kind reads it (a count, a share, a ratio).
    """

    kind: str
    outcome: str
    title: str
    attributes: str
    sentence: str
    matters: str
    reason: str
    key: tuple[str, str]
    value: float | None
    shown: str


def rule_kinds(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Rule id -> the policy's rule (with its ``kind``), built-in checks included."""
    out: dict[str, dict[str, Any]] = {k: {"kind": v} for k, v in _BUILTIN_KINDS.items()}
    for rule in policy.get("rules") or []:
        out[str(rule["id"])] = dict(rule)
    explain = policy.get("explainability")
    if explain:
        out[str(explain.get("id", "explainability"))] = {**explain, "kind": "explainability"}
    return out


_MEASURED = {
    "metric.ratio": None,
    "metric.difference": None,
    "group_size.small": "reason_group_size",
    "prohibited.used": "reason_prohibited",
    "proxy.prohibited": "reason_proxy",
    "proxy.sensitive": "reason_proxy",
    "flip.worst_pair": "reason_flip",
    "representation.differs": "reason_representation",
    "explain.share": "reason_explainability",
    "absolute.fail": "reason_absolute",
    "absolute.near": "reason_absolute",
}
"""Reason codes of a rule that was measured, and the headline phrase when it is broken."""

_LABELS = (
    (re.compile(r"^(?P<feature>.+) \(prohibited: (?P<category>[^)]+)\)$"), "label_prohibited"),
    (re.compile(r"^(?P<feature>.+) \(sensitive\)$"), "label_sensitive"),
    (re.compile(r"^(?P<feature>.+) \(proxy of (?P<attribute>.+)\)$"), "proxy_of"),
    (re.compile(r"^(?P<feature>.+) \((?P<category>[a-z_ ]+)\)$"), "feature_category"),
)
_SHARE = re.compile(r"^(?P<label>.+) (?P<share>[0-9.]+)%$")
_VERSUS = re.compile(r"^(?P<group>.+) \((?P<share>[0-9.]+)% vs (?P<reference>[0-9.]+)%\)$")
"""A representation rule's group: its share in the data against the reference share."""


@cache
def _specs() -> dict[str, dict[str, str]]:
    """Reason code -> {parameter: format spec}, read from the policy's English sentences."""
    from fairgate.audit.policy.reasons import REASONS

    parse = string.Formatter().parse
    return {
        code: {f: spec or "" for _, f, spec, _ in parse(text) if f}
        for code, text in REASONS.items()
    }


def _category(t: Text, name: str) -> str:
    if name == "named in the policy":
        return t("named_in_policy")
    return t.category(name) if t.has(f"category_{name}") else name


def _label(t: Text, text: str) -> str:
    """An English label of the policy engine ("sex (prohibited: sex)") in the report's words."""
    if text == "the sensitive inputs":
        return t("the_sensitive_inputs")
    for pattern, key in _LABELS:
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            if "category" in parts:
                parts["category"] = _category(t, parts["category"])
            return t(key, **parts)
    return text


def _value(t: Text, name: str, value: Any, spec: str) -> str:
    """One parameter of a reason, formatted for the report's language."""
    if isinstance(value, list):
        return t.join(_value(t, name, v, spec) for v in value)
    if name in ("rate", "rates", "metric") and isinstance(value, str):
        return t.rate(value)
    if name == "bound":
        return t("bound_" + str(value).replace(" ", "_"))
    if name == "kind":
        return t(f"model_kind_{value}") if t.has(f"model_kind_{value}") else str(value)
    if name == "denominator":
        return t(f"denominator_{value}")
    if name in ("categories", "prohibited", "category"):
        return _category(t, str(value))
    if name == "method":
        return str(value).split(" ", 1)[0]
    if name in ("top", "inputs"):
        return _label(t, str(value))
    if name == "groups" and _VERSUS.match(str(value)):
        match = _VERSUS.match(str(value))
        return t(
            "label_share_vs_reference",
            group=match["group"],
            share=t.pct(float(match["share"]) / 100),
            reference=t.pct(float(match["reference"]) / 100),
        )
    if name == "items":
        match = _SHARE.match(str(value))
        if match:
            share = t.pct(float(match["share"]) / 100)
            return t("label_share", label=_label(t, match["label"]), share=share)
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return str(value)
    if spec.endswith("%"):
        return t.pct(value, "#,##0%" if spec == ".0%" else "#,##0.0%")
    if spec == ".3f":
        return t.num(value, 3)
    if spec == "g":
        return t.num(value, 2)
    if spec:
        return format(value, spec)
    return t.num(value) if isinstance(value, int) else t.num(value, 3)


def _render(t: Text, code: str, params: dict[str, Any]) -> str:
    specs = _specs()[code]
    shown = {k: _value(t, k, params[k], specs[k]) for k in specs}
    return t("why_" + code.replace(".", "_"), **shown)


def _sentence(t: Text, r: dict[str, Any]) -> str:
    """A rule result's reason and its clauses, as one sentence in the report's language."""
    params = r["params"]
    parts = [_render(t, r["code"], params)]
    parts += [_render(t, n["code"], n["params"]) for n in params.get("notes") or []]
    return t("sentence", text=t("clause_sep").join(parts))


def _reason(t: Text, r: dict[str, Any], title: str) -> str:
    """The headline phrase of a broken rule."""
    code = r["code"]
    if code not in _MEASURED:
        return t("reason_unmeasured", rule=title)
    key = _MEASURED[code]
    if key is None:
        return t("reason_metric", metric=t.rate(r["params"]["rate"]))
    return t(key)


def _title(t: Text, rule: dict[str, Any]) -> str:
    own = rule.get("description")
    if isinstance(own, dict):
        own = own.get(t.lang)
    elif not t.in_language(own):  # an audit recorded before descriptions had two languages
        own = None
    if own:
        return str(own)
    kind = rule["kind"]
    if kind == "ratio":
        return t("rule_kind_ratio", metric=t.rate(rule["metric"]), threshold=t.num(rule["min"], 2))
    if kind == "difference":
        return t(
            "rule_kind_difference", metric=t.rate(rule["metric"]), threshold=t.num(rule["max"], 2)
        )
    if kind in ("minimum", "maximum"):
        return t(f"rule_kind_{kind}", metric=t.rate(str(rule["metric"])))
    return t(f"rule_kind_{kind}")


def _shown(t: Text, kind: str, value: float | None) -> str:
    if value is None:
        return t("not_available")
    if kind in ("group_size", "prohibited"):
        return t.num(round(value))
    if kind in ("flip", "explainability"):
        return t.pct(value)
    return t.num(value)


def rule_lines(result: Any, t: Text) -> list[RuleLine]:
    """Every rule result of ``result`` told in words, in the verdict's order."""
    kinds = rule_kinds(result.policy)
    lines = []
    for r in result.verdict.get("rules", []):
        rule = {**kinds.get(str(r["rule_id"]), {}), "kind": r["kind"]}
        title = _title(t, rule)
        title = title[:1].upper() + title[1:]  # a policy's description may start in lower case
        lines.append(
            RuleLine(
                kind=rule["kind"],
                outcome=str(r["outcome"]),
                title=title,
                attributes=" × ".join(r["attributes"]),
                sentence=_sentence(t, r),
                matters=t(f"matters_{rule['kind']}"),
                reason=_reason(t, r, title),
                key=(str(r["rule_id"]), " x ".join(r["attributes"])),
                value=r["value"],
                shown=_shown(t, rule["kind"], r["value"]),
            )
        )
    return lines


def headline(outcome: str, lines: list[RuleLine], policy: str, t: Text) -> str:
    """The first sentence of the report: the verdict and its real reasons, gravest first."""
    from fairgate.audit.policy.reasons import HEADLINE_ORDER

    if outcome == "pass":
        return t("headline_pass", policy=policy)
    order = {k: i for i, k in enumerate(HEADLINE_ORDER)}
    worst = sorted(
        (line for line in lines if line.outcome == outcome),
        key=lambda line: order.get(line.kind, len(order)),
    )
    reasons = list(dict.fromkeys(line.reason for line in worst))
    return t(f"headline_{outcome}", policy=policy, reasons=t.join(reasons))
