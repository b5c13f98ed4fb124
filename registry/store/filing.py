"""Reading a filing: decode YAML or JSON, refuse oversized input, validate, name every problem.

The fields themselves are declared in :mod:`.filing_schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fairgate.errors import FilingError
from fairgate.registry.store.filing_schema import (
    FILING_SCHEMA_VERSION,
    MAX_FIELD_CHARS,
    MAX_FILING_BYTES,
    Filing,
)

__all__ = ["example_filing_path", "filing_json_schema", "parse_filing"]


def _too_large(where: str, size: int) -> FilingError:
    return FilingError(
        f"{where}: the filing is {size:,} bytes; a filing may be at most "
        f"{MAX_FILING_BYTES:,} bytes (put long documents in 'references')."
    )


def _plain_problem(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    received = err.get("input")
    shown = repr(received)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field; remove it or check its spelling"
    if kind == "literal_error":
        return f"received {shown}; expected one of: {ctx.get('expected', '')}"
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        return f"too long; at most {limit} characters (or items)"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"received {shown}; expected text matching {ctx.get('pattern')}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        expected = kind.split("_")[0]
        return f"received {shown} ({type(received).__name__}); expected {expected}"
    message = str(err.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def _problems(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(filing)"
        out.append({"field": loc, "problem": _plain_problem(err)})
    return out


def _decode(raw: bytes, where: str) -> Any:
    import yaml

    if len(raw) > MAX_FILING_BYTES:
        raise _too_large(where, len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FilingError(
            f"{where}: not valid UTF-8 at byte {exc.start}; save the file as UTF-8."
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FilingError(f"{where}: not valid YAML/JSON{at}: {problem}.") from exc


def parse_filing(source: str | bytes | Path | Mapping[str, Any] | Filing) -> Filing:
    """Read and validate a filing.

    Parameters
    ----------
    source : str, bytes, Path, mapping or Filing
        A path to a ``.yaml``/``.yml``/``.json`` file, the document itself (YAML or JSON text or
        bytes), or a decoded mapping.

    Returns
    -------
    Filing

    Raises
    ------
    FilingError
        Listing every problem as ``field.path: what is wrong``; ``details["problems"]`` holds
        them as ``{"field", "problem"}`` dicts.
    """
    if isinstance(source, Filing):
        return source
    where = "filing"
    if isinstance(source, Path) or (
        isinstance(source, str)
        and "\n" not in source
        and source.lower().endswith((".yaml", ".yml", ".json"))
    ):
        path = Path(source)
        where = path.name
        try:
            size = path.stat().st_size
            if size > MAX_FILING_BYTES:
                raise _too_large(where, size)
            data = _decode(path.read_bytes(), where)
        except OSError as exc:
            raise FilingError(f"{source}: cannot be read ({exc.strerror}).") from exc
    elif isinstance(source, bytes | bytearray):
        data = _decode(bytes(source), where)
    elif isinstance(source, str):
        data = _decode(source.encode("utf-8", "surrogatepass"), where)
    else:
        data = source
    if not isinstance(data, Mapping):
        raise FilingError(
            f"{where}: expected a mapping of fields (name: ..., version: ...), "
            f"received {type(data).__name__}."
        )
    _check_sizes(data, where)
    try:
        return Filing.model_validate(dict(data))
    except ValidationError as exc:
        problems = _problems(exc)
        lines = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise FilingError(
            f"{where}: {len(problems)} problem(s): {lines}.",
            details={"problems": problems},
        ) from None


def _check_sizes(data: Any, where: str, path: str = "") -> None:
    """Refuse a huge field before pydantic copies it, naming the field."""
    if isinstance(data, str | bytes) and len(data) > MAX_FIELD_CHARS:
        raise FilingError(
            f"{where}: {path or '(filing)'}: {len(data):,} characters; a field may hold at most "
            f"{MAX_FIELD_CHARS:,} (put long documents in 'references').",
            details={"problems": [{"field": path, "problem": "too long"}]},
        )
    if isinstance(data, Mapping):
        for key, value in data.items():
            _check_sizes(value, where, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_sizes(value, where, f"{path}.{i}")


def filing_json_schema() -> dict[str, Any]:
    """The filing's JSON Schema (draft 2020-12)."""
    schema = Filing.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://fairgate.invalid/schemas/filing-{FILING_SCHEMA_VERSION}.json"
    schema["title"] = "fairgate filing"
    return schema


def example_filing_path() -> Path:
    """The packaged example filing (the Toronto arrests model of ``fairgate demo``)."""
    return Path(str(resources.files("fairgate.registry") / "examples" / "arrests-filing.yaml"))
