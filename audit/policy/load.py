"""Load a policy (built-in name, YAML/JSON file or mapping) and report every problem at once.

Problems read ``field.path: what was received; what is expected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as _PydanticError

from fairgate.audit.policy.schema import Policy
from fairgate.errors import PolicyError

__all__ = ["builtin_policies", "default_policy", "load_policy", "policy_json_schema"]


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


def load_policy(
    source: str | Path | Mapping[str, Any] | Policy, *, recorded: bool = False
) -> Policy:
    """Load and validate a policy.

    Parameters
    ----------
    source : str, Path, mapping or Policy
        A built-in name (see :func:`builtin_policies`), a YAML or JSON file, or a decoded
        mapping. A :class:`Policy` is returned as it is.
    recorded : bool, default False
        The body was published earlier and is read back from the policy store: a rule
        description written in one language only (as policies were before descriptions became
        bilingual) is read as it was published, the same text in both languages, so an upgrade
        never makes a published policy unloadable. New policies always need both languages.

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
        return Policy.model_validate(dict(data), context={"recorded": recorded})
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
