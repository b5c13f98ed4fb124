"""The written policy's schema and its loader: what a policy file may say, with clear errors.

A policy names the sensitive and prohibited variables, the rules an audit is judged by (metric
disparities, group sizes, prohibited variables, proxies, the flip test, representation), the
explainability rule, and the circuit breaker's live rules. ``audit/policies/default.yaml``
documents every field. :func:`load_policy` reads a built-in name, a YAML/JSON file or a mapping
and reports every problem at once as ``field.path: what was received; what is expected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as _PydanticError

from fairgate.audit.core.metrics import _ALIASES, METRICS, resolve_metric
from fairgate.errors import PolicyError

__all__ = [
    "DERIVED_METRICS",
    "RULE_KINDS",
    "RULE_METRICS",
    "BreakerRule",
    "DriftRule",
    "ExplainRule",
    "MetricRule",
    "Policy",
    "WindowSpec",
    "builtin_policies",
    "canonical_metric",
    "default_policy",
    "load_policy",
    "policy_json_schema",
]

DERIVED_METRICS: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equal_opportunity": ("true_positive_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "predictive_parity": ("precision",),
}
"""Named fairness criteria and the rates they compare (fairlearn's definitions)."""

RULE_METRICS: tuple[str, ...] = (*METRICS, *DERIVED_METRICS)
"""Metric names a rule may use (aliases such as ``tpr`` or ``recall`` are accepted too)."""

RULE_KINDS: tuple[str, ...] = (
    "ratio",
    "difference",
    "group_size",
    "prohibited",
    "proxy",
    "flip",
    "representation",
)
"""What a rule checks; see :class:`MetricRule`."""

_OUTCOME_FREE = {"selection_rate", "demographic_parity"}
_ID_PATTERN = r"^[A-Za-z0-9_.-]+$"


def canonical_metric(name: str) -> str:
    """The canonical name of a rule's metric.

    Accepts the rate metrics of :data:`fairgate.audit.core.metrics.METRICS`, their aliases (``tpr``,
    ``recall``, ...), the criteria of :data:`DERIVED_METRICS` and fairlearn's aggregate names
    (``demographic_parity_difference``, ``equalized_odds_ratio``, ...), which map to the
    criterion.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the allowed ones.
    """
    text = str(name).strip()
    base = text.removesuffix("_difference").removesuffix("_ratio")
    if text in DERIVED_METRICS or base in DERIVED_METRICS:
        return text if text in DERIVED_METRICS else base
    try:
        canonical = resolve_metric(text)
    except Exception:
        canonical = None
    if canonical not in RULE_METRICS:
        aliases = ", ".join(sorted(a for a in _ALIASES if _ALIASES[a] in METRICS))
        raise ValueError(
            f"unknown metric; use one of {', '.join(RULE_METRICS)} (or an alias: {aliases})"
        )
    return str(canonical)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _norm_attributes(value: Any) -> Any:
    """``["sex", ["sex", "race"], "sex x race"]`` -> names and lists of names."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError("expected a list of attribute names (or lists of names for intersections)")
    out: list[str | list[str]] = []
    for item in value:
        if isinstance(item, str) and " x " in item:
            item = [p.strip() for p in item.split(" x ")]
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        elif (
            isinstance(item, list | tuple)
            and item
            and all(isinstance(p, str) and p.strip() for p in item)
        ):
            out.append([p.strip() for p in item])
        else:
            raise ValueError(f"{item!r} is not an attribute name, a list of names, or 'a x b'")
    return out


# the threshold each kind requires, and the ones it accepts
_REQUIRED = {"ratio": "min", "difference": "max", "flip": "max"}
_ACCEPTED = {"ratio": {"min"}, "difference": {"max"}, "flip": {"max"}, "proxy": {"max"}}
_WARN_BY_DEFAULT = {"group_size", "representation"}


class MetricRule(_Strict):
    """One rule of the audit verdict, checked on each audited attribute set where it applies.

    Kinds
    -----
    ``ratio``
        ``metric`` and ``min``: the smallest group's rate over the largest's must be at least
        ``min`` (0.8 is the four-fifths rule).
    ``difference``
        ``metric`` and ``max``: the largest gap between groups' rates must be at most ``max``.
    ``group_size``
        Groups under the policy's ``min_group_size`` are listed (they are shown but left out of
        ratios and differences). Warns by default.
    ``prohibited``
        The model takes no prohibited variable as input.
    ``proxy``
        No input predicts a prohibited attribute with a score above ``max`` (default: the
        policy's ``proxy_threshold``); proxies of other sensitive attributes are warnings.
    ``flip``
        ``max``: the share of decisions that change when only a sensitive input changes.
    ``representation``
        The audit data's group shares match the reference population. Warns by default.
    """

    id: str = Field(min_length=1, max_length=100, pattern=_ID_PATTERN)
    kind: Literal[
        "ratio", "difference", "group_size", "prohibited", "proxy", "flip", "representation"
    ]
    metric: str | None = Field(None, validate_default=True)
    min: float | None = Field(None, ge=0.0, le=1.0, validate_default=True)
    max: float | None = Field(None, ge=0.0, le=1.0, validate_default=True)
    warn_margin: float = Field(0.0, ge=0.0, le=0.5)
    attributes: list[str | list[str]] | None = None
    severity: Literal["fail", "warn"] = "fail"
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _default_severity(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("kind") in _WARN_BY_DEFAULT:
            data = {"severity": "warn", **data}
        return data

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes(cls, value: Any) -> Any:
        return _norm_attributes(value)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind in ("ratio", "difference"):
            if value is None:
                raise ValueError(f"a {kind} rule needs a metric, e.g. selection_rate")
            return canonical_metric(value)
        if value is not None and kind is not None:
            raise ValueError(f"a {kind} rule takes no metric; remove it")
        return value

    @field_validator("min", "max")
    @classmethod
    def _threshold(cls, value: float | None, info: ValidationInfo) -> float | None:
        kind = info.data.get("kind")
        if kind is None:
            return value
        name = info.field_name
        if value is None and _REQUIRED.get(kind) == name:
            example = {"ratio": "0.8", "difference": "0.1", "flip": "0.05"}[kind]
            raise ValueError(f"a {kind} rule needs {name!r}, e.g. {name}: {example}")
        accepted = _ACCEPTED.get(kind, set())
        if value is not None and name not in accepted:
            use = f"use {' or '.join(map(repr, sorted(accepted)))}" if accepted else "remove it"
            raise ValueError(f"a {kind} rule does not use {name!r}; {use}")
        return value

    @property
    def threshold(self) -> float | None:
        """``min`` for a ratio rule, ``max`` for difference, flip and proxy rules."""
        return self.min if self.kind == "ratio" else self.max


class ExplainRule(_Strict):
    """Decisions must be explainable, and not by prohibited variables or their proxies.

    The rule fails (``severity``) when the explanation did not run and ``required`` is true, or
    when a sensitive or prohibited input, or a detected proxy, carries more than
    ``max_sensitive_share`` of the model's total mean absolute SHAP value.
    """

    id: str = Field("explainability", min_length=1, max_length=100, pattern=_ID_PATTERN)
    required: bool = True
    max_sensitive_share: float = Field(0.1, ge=0.0, le=1.0)
    severity: Literal["fail", "warn"] = "fail"
    description: str = ""


class WindowSpec(_Strict):
    """A window of live observations: the last ``size`` (sliding) or blocks of ``size``."""

    kind: Literal["sliding", "tumbling"] = "sliding"
    size: int = Field(5000, ge=1, le=10_000_000)


class BreakerRule(_Strict):
    """A live rule of the circuit breaker: trips when the disparity passes ``threshold``.

    A difference rule trips above ``threshold``, a ratio rule below it, and only when a test of
    the groups is significant at ``alpha`` with at least ``min_samples`` in two groups.
    """

    id: str = Field(min_length=1, max_length=100, pattern=_ID_PATTERN)
    metric: str
    kind: Literal["ratio", "difference"] = "difference"
    threshold: float = Field(ge=0.0, le=1.0)
    attributes: list[str] = Field(
        default_factory=list,
        description="Attributes whose intersection forms the groups; empty: each of the "
        "filing's sensitive variables in turn (see Policy.bind).",
    )
    window: WindowSpec = WindowSpec()
    min_samples: int = Field(100, ge=1)
    alpha: float = Field(0.001, gt=0.0, le=0.5)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return canonical_metric(value)

    @property
    def needs_outcome(self) -> bool:
        """Whether the metric needs the true outcome (all but the selection rate do)."""
        return self.metric not in _OUTCOME_FREE


class DriftRule(_Strict):
    """Trips when a sensitive group's share drifts (population stability index)."""

    id: str = Field(min_length=1, max_length=100, pattern=_ID_PATTERN)
    attribute: str | None = Field(
        None,
        min_length=1,
        description="The sensitive attribute watched; none: each of the filing's sensitive "
        "variables in turn (see Policy.bind).",
    )
    psi_threshold: float = Field(gt=0.0, le=10.0)
    window: WindowSpec = WindowSpec()
    min_samples: int = Field(100, ge=1)


def _unique_ids(items: list[Any]) -> list[Any]:
    ids = [r.id for r in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"rule ids must be unique; repeated: {', '.join(dupes)}")
    return items


class Policy(_Strict):
    """A written policy: what must hold for a model to pass, and what trips the breaker."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    version: str = "1"
    sensitive: list[str] = Field(default_factory=list)
    prohibited: list[str] = Field(default_factory=list)
    min_group_size: int = Field(30, ge=1)
    alpha: float = Field(0.05, gt=0.0, le=0.5)
    proxy_threshold: float = Field(0.3, gt=0.0, le=1.0)
    intersections: bool = True
    reference_shares: dict[str, dict[str, float]] = Field(default_factory=dict)
    rules: list[MetricRule] = Field(default_factory=list)
    explainability: ExplainRule | None = ExplainRule()
    breaker: list[BreakerRule] = Field(default_factory=list)
    drift: list[DriftRule] = Field(default_factory=list)

    @field_validator("sensitive", "prohibited")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):
            raise ValueError("names must not be empty")
        return [v.strip() for v in value]

    @field_validator("rules", "breaker", "drift")
    @classmethod
    def _ids(cls, value: list[Any]) -> list[Any]:
        return _unique_ids(value)

    @model_validator(mode="after")
    def _representation_needs_shares(self) -> Policy:
        if not self.reference_shares:
            for i, rule in enumerate(self.rules):
                if rule.kind == "representation":
                    raise ValueError(
                        f"rules.{i} ({rule.id}) is a representation rule but reference_shares is "
                        "empty; give the population shares, e.g. reference_shares: "
                        "{sex: {F: 0.51, M: 0.49}}, or remove the rule"
                    )
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :func:`load_policy` reads back to an equal policy.

        ``model_dump(mode="json")``, except that a rule's unset optional fields (``metric``,
        ``min``, ``max``, ``attributes``), whose default is ``None``, are left out.
        """
        body = self.model_dump(mode="json")
        body["rules"] = [{k: v for k, v in r.items() if v is not None} for r in body["rules"]]
        return body

    def bind(self, sensitive: list[str]) -> Policy:
        """Bind the policy to a model whose filing names ``sensitive`` attributes.

        A breaker rule without attributes, and a drift rule without an attribute, become one
        rule per sensitive attribute (the id suffixed with ``.<attribute>``); rules that name
        their attributes are kept as they are.
        """
        rules: list[BreakerRule] = []
        for rule in self.breaker:
            if rule.attributes:
                rules.append(rule)
                continue
            for attr in sensitive:
                rules.append(
                    rule.model_copy(update={"id": f"{rule.id}.{attr}", "attributes": [attr]})
                )
        drift: list[DriftRule] = []
        for d in self.drift:
            if d.attribute:
                drift.append(d)
                continue
            for attr in sensitive:
                drift.append(d.model_copy(update={"id": f"{d.id}.{attr}", "attribute": attr}))
        return self.model_copy(update={"breaker": rules, "drift": drift})


# ----------------------------------------------------------------------------------- loading
def builtin_policies() -> list[str]:
    """Names of the policies that ship with fairgate (``default``, ``city-example``, ...)."""
    folder = resources.files("fairgate.audit.policy") / "builtin"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def _builtin_path(name: str) -> Path:
    return Path(str(resources.files("fairgate.audit.policy") / "builtin" / f"{name}.yaml"))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_at(parts: list[str]) -> type[BaseModel] | None:
    """The schema model found at a location such as ``rules.0`` (None if not a model)."""
    import typing

    def inner(tp: Any) -> type[BaseModel] | None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        for arg in typing.get_args(tp):
            found = inner(arg)
            if found is not None:
                return found
        return None

    model: type[BaseModel] | None = Policy
    for part in parts:
        if model is None:
            return None
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        model = None if field is None else inner(field.annotation)
    return model


def _problems(exc: _PydanticError) -> list[str]:
    """The validation errors as ``field.path: what was received; what is expected``."""
    out = []
    for err in exc.errors(include_url=False):
        parts = [str(p) for p in err.get("loc", ())]
        # drop union branch tags such as "list[str]" or "str"
        parts = [p for p in parts if not (p.endswith("]") or p in ("str", "list", "float", "int"))]
        loc = ".".join(parts) or "policy"
        kind = err.get("type", "")
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        received = err.get("input")
        if kind == "missing":
            problem = "missing; this field is required"
        elif kind == "extra_forbidden":
            model = _model_at(parts[:-1])
            allowed = f" (allowed: {', '.join(model.model_fields)})" if model else ""
            problem = (
                f"unknown field (value {_shown(received)}); remove it or fix its name{allowed}"
            )
        elif not parts:  # a check across fields: the message names them
            out.append(message)
            continue
        elif received is None and kind == "value_error":
            problem = f"missing; {message}"
        else:
            problem = f"received {_shown(received)}; {message}"
        out.append(f"{loc}: {problem}")
    return out


def _read(source: str | Path) -> tuple[Any, str]:
    import yaml

    text = str(source)
    is_builtin = isinstance(source, str) and text in builtin_policies()
    path = _builtin_path(text) if is_builtin else Path(text).expanduser()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(
            f"policy={text!r}: no such file and not a built-in policy; pass a YAML/JSON file or "
            f"one of {', '.join(builtin_policies())}."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(
            f"policy={text!r}: cannot be read ({type(exc).__name__}: {exc}); check the file."
        ) from None
    try:
        return yaml.safe_load(raw), path.name
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(
            f"policy={path.name!r}: not valid YAML/JSON{at}: {problem}; fix the file's syntax."
        ) from None


def load_policy(source: str | Path | Mapping[str, Any] | Policy) -> Policy:
    """Load and validate a policy.

    Parameters
    ----------
    source : str, Path, mapping or Policy
        A built-in name (see :func:`builtin_policies`), a YAML or JSON file, or a decoded
        mapping. A :class:`Policy` is returned as it is.

    Returns
    -------
    Policy

    Raises
    ------
    PolicyError
        For an unreadable file, invalid YAML, a top level that is not a mapping, or invalid
        fields; the message lists every problem as ``field.path: what was received; what is
        expected`` (also in ``details["problems"]``).
    """
    if isinstance(source, Policy):
        return source
    where = "policy"
    if isinstance(source, str | Path):
        data, where = _read(source)
    else:
        data = source
    if not isinstance(data, Mapping):
        raise PolicyError(
            f"{where}: expected a mapping of fields (name, rules, ...), received "
            f"{type(data).__name__}; write the policy as 'key: value' lines."
        )
    try:
        return Policy.model_validate(dict(data))
    except _PydanticError as exc:
        problems = _problems(exc)
        raise PolicyError(
            f"{where}: {len(problems)} problem(s): " + "; ".join(problems) + ".",
            details={"problems": problems},
        ) from None


def default_policy() -> Policy:
    """The documented default policy (``audit/policies/default.yaml``)."""
    return load_policy("default")


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file."""
    return Policy.model_json_schema()
