"""The filing's fields: a model's technical documentation, as a vendor writes it (YAML or JSON).

It is the union of what a model card, the EU AI Act's registration data (Annex VIII) and
technical documentation (Annex IV), and China's algorithm filing (算法备案) ask for. A filing is
validated in one pass: every problem is reported at once, each naming its field.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fairgate.registry.store.policies import POLICY_NAME_PATTERN

__all__ = [
    "FILING_SCHEMA_VERSION",
    "MAX_FIELD_CHARS",
    "MAX_FILING_BYTES",
    "MAX_TOP_K",
    "DataDescription",
    "Evaluation",
    "Feature",
    "Filing",
    "MlflowRef",
    "Organisation",
    "Person",
    "Target",
]

FILING_SCHEMA_VERSION = "1"
MAX_FILING_BYTES = 1024 * 1024
MAX_TOP_K = 10**9
"""The largest audited top a filing may name."""
MAX_FIELD_CHARS = 20_000
"""The longest text a filing field may hold."""
_TEXT = MAX_FIELD_CHARS
_SHORT = 500


def _text(description: str, *, max_length: int = _TEXT, min_length: int = 1) -> Any:
    return Field(description=description, min_length=min_length, max_length=max_length)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Person(_Part):
    """The person responsible for the model (算法安全责任人)."""

    name: str = _text("Full name.", max_length=_SHORT)
    role: str = Field("", max_length=_SHORT, description="Role or title.")
    email: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=_SHORT, description="E-mail address."
    )
    phone: str | None = Field(None, max_length=64, description="Telephone (optional).")


class Organisation(_Part):
    """The vendor: the department or company that supplies the model (算法备案主体)."""

    name: str = _text("Name of the department or company.", max_length=_SHORT)
    contact: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=_SHORT, description="Contact e-mail."
    )
    country: str | None = Field(None, max_length=64, description="Country (optional).")


class Feature(_Part):
    """One input feature of the model and its meaning."""

    name: str = _text("Column name as the model receives it.", max_length=_SHORT)
    description: str = _text("What it means, in plain words.")
    type: Literal["numeric", "categorical", "text", "datetime", "identifier", "boolean"] = Field(
        description="Kind of values."
    )
    sensitive: bool = Field(False, description="Whether the feature is itself sensitive.")


class Target(_Part):
    """What the model decides."""

    name: str = _text(
        "Column of the decision / true outcome in evaluation data.", max_length=_SHORT
    )
    positive_label: str | int | float | bool = Field(1, description="The favourable decision.")
    favourable_outcome: str = _text("What the favourable decision means for a citizen.")
    classes: list[str | int] | None = Field(
        None,
        min_length=2,
        max_length=1000,
        description="A classifier's classes, in order; more than two make a multiclass audit.",
    )
    threshold: float | None = Field(
        None,
        ge=-1e12,
        le=1e12,
        description="A ranking or scoring model's decision threshold (decide score >= it).",
    )
    top_k: int | None = Field(
        None,
        ge=1,
        le=MAX_TOP_K,
        description="A ranking model's audited top: the k highest-scored rows whose groups are "
        "compared with the pool (a whole number of at least 1; only for algorithm_type "
        "ranking). Absent: the rows the threshold selects.",
    )

    @field_validator("top_k", mode="before")
    @classmethod
    def _whole_top(cls, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"received {value!r} ({type(value).__name__}); top_k is a whole number of "
                "ranked rows, e.g. top_k: 100"
            )
        if value < 1 or value > MAX_TOP_K:
            raise ValueError(
                f"received {value}; top_k is at least 1 and at most {MAX_TOP_K:,} (the size of "
                "the audited top of the ranking)"
            )
        return value


class DataDescription(_Part):
    """The training data: description and provenance (训练数据来源)."""

    description: str = _text("What the data holds.")
    provenance: str = _text("Where it comes from and how it was collected.")
    period: str | None = Field(None, max_length=_SHORT, description="Period covered.")
    rows: int | None = Field(None, ge=0, description="Number of rows.")
    personal_data: bool = Field(description="Whether it holds personal data.")
    legal_basis: str | None = Field(
        None, max_length=_TEXT, description="Legal basis (if personal)."
    )


class Evaluation(_Part):
    """How the model was evaluated, and the results."""

    data_description: str = _text("The evaluation data.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Named results.")
    results_summary: str = Field("", max_length=_TEXT, description="Results in plain words.")


class MlflowRef(_Part):
    """Where the model lives in MLflow (filled when filed from an MLflow registry entry)."""

    tracking_uri: str | None = Field(None, max_length=2000)
    model_uri: str | None = Field(None, max_length=2000)
    run_id: str | None = Field(None, max_length=200)
    model_name: str | None = Field(None, max_length=_SHORT)
    model_version: str | None = Field(None, max_length=64)


class Filing(_Part):
    """A model version's filing (technical documentation).

    Load one with :func:`parse_filing`; ``fairgate filing-schema`` prints its JSON Schema.
    """

    schema_version: Literal["1"] = Field("1", description="Version of this schema.")
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        description="Model name: letters, digits, '.', '_' or '-', starting with a letter or "
        "digit, at most 128 characters (算法名称).",
    )
    version: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$",
        description="Version, e.g. 1 or 2.1.0 (at most 64 characters).",
    )
    purpose: str = _text("What the model is for (算法用途).", max_length=2000)
    intended_use: str = _text("Intended use and users (应用场景).")
    out_of_scope_uses: list[str] = Field(default_factory=list, description="Uses it is not for.")
    department: str = _text("The deploying department.", max_length=_SHORT)
    responsible: Person = Field(description="The responsible person (算法安全责任人).")
    vendor: Organisation = Field(description="Who supplies the model.")
    algorithm_type: Literal[
        "classification",
        "regression",
        "ranking",
        "recommendation",
        "generation",
        "decision_rules",
        "other",
    ] = Field(description="Kind of algorithm (算法类型).")
    model_family: str = _text("Model family, e.g. gradient boosting.", max_length=_SHORT)
    mechanism: str = _text("Basic principle of the algorithm (算法基本原理).")
    application_domain: str = _text(
        "Domain: policing, lending, social services, traffic, health, ... (应用领域).",
        max_length=_SHORT,
    )
    features: list[Feature] = Field(min_length=1, description="Input features and their meaning.")
    target: Target = Field(description="What the model decides.")
    sensitive_variables: list[str] = Field(
        default_factory=list, description="Sensitive attributes to audit (敏感变量)."
    )
    prohibited_variables: list[str] = Field(
        default_factory=list, description="Variables the model declares it does not use."
    )
    training_data: DataDescription = Field(description="Training data and provenance.")
    evaluation: Evaluation = Field(description="Evaluation data and results.")
    limitations: list[str] = Field(min_length=1, description="Known limitations.")
    human_oversight: str = _text("How people oversee and can override the decisions.")
    risk_level: Literal["minimal", "limited", "high"] = Field(
        description="Risk level under the EU AI Act."
    )
    filed_on: _dt.date = Field(default_factory=_dt.date.today, description="Date of filing.")
    policy: str | None = Field(
        None,
        max_length=_SHORT,
        pattern=POLICY_NAME_PATTERN,
        description="The published policy for audits and the breaker: NAME or NAME@VERSION "
        "(never a file; the committee publishes policies and may re-assign them).",
    )
    mlflow: MlflowRef | None = Field(None, description="MLflow registry entry, if any.")
    references: list[str] = Field(default_factory=list, description="Links to further documents.")

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        return str(value) if isinstance(value, int | float) else value

    @field_validator("risk_level", mode="before")
    @classmethod
    def _no_unacceptable(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "unacceptable":
            raise ValueError(
                "systems of unacceptable risk are prohibited (EU AI Act, Article 5) and may not "
                "be filed"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Filing:
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"features: duplicate names {dupes}; each feature once")
        both = sorted(set(names) & set(self.prohibited_variables))
        if both:
            raise ValueError(
                f"prohibited_variables: {both} are also listed as features; a prohibited "
                "variable may not be an input"
            )
        if self.target.top_k is not None and self.algorithm_type != "ranking":
            raise ValueError(
                f"target.top_k: a top k is audited for ranking models only, and this filing's "
                f"algorithm_type is {self.algorithm_type!r}; remove top_k, or file the model "
                "as algorithm_type: ranking with its threshold"
            )
        return self

    def canonical_json(self) -> str:
        """Sorted keys, no whitespace, UTF-8, ISO dates: the bytes that are hashed."""
        body = self.model_dump(mode="json")
        if body["target"].get("top_k") is None:  # unset: hashed as before top_k existed
            body["target"].pop("top_k", None)
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def sha256(self) -> str:
        """SHA-256 of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def declared_sensitive(self) -> list[str]:
        """The sensitive variables, or the features marked sensitive when none are listed."""
        return list(self.sensitive_variables) or [f.name for f in self.features if f.sensitive]

    def audit_spec(self) -> dict[str, Any]:
        """What the audit runner needs (see :class:`fairgate.audit.AuditSpec`)."""
        return {
            "target": self.target.name,
            "sensitive": self.declared_sensitive(),
            "features": [f.name for f in self.features],
            "feature_descriptions": {f.name: f.description for f in self.features},
            "pos_label": self.target.positive_label,
            "algorithm_type": self.algorithm_type,
            "classes": self.target.classes,
            "threshold": self.target.threshold,
            "top_k": self.target.top_k,
            "name": self.name,
            "version": self.version,
            "purpose": self.purpose,
            "owner": self.vendor.name,
            "department": self.department,
            "risk_level": self.risk_level,
            "policy": self.policy,
        }

    def summary(self) -> dict[str, Any]:
        """The public listing: name, version, purpose, department, vendor, risk, type."""
        return {
            "name": self.name,
            "version": self.version,
            "purpose": self.purpose,
            "department": self.department,
            "vendor": self.vendor.name,
            "risk_level": self.risk_level,
            "algorithm_type": self.algorithm_type,
        }
