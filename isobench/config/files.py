"""Reading the YAML files: one-line errors naming the file and key, and `${VAR}` expansion (in memory only)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from isobench.errors import UserError, one_line

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Strict(BaseModel):
    """Base model: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Loose(BaseModel):
    """For sections kept only so the original design's and ISO-Bench's files load: unknown keys are accepted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def expand_vars[T](value: T, builtins: dict[str, str] | None = None) -> T:
    """Expand `${VAR}` / `${VAR:-default}` in every string of a YAML tree, from `builtins` (e.g. a task
    file's `TASK_DIR`), else the environment: the same tree (lists and mappings rebuilt), its strings expanded.

    A `${VAR}` with no default whose variable is unset stays as written: it may name a secret that
    is only needed later (e.g. an API key for a provider that is not run), and is checked where used.
    """
    return cast(T, _expand(value, builtins))  # the YAML tree's boundary: each node keeps its kind


def _expand(value: object, builtins: dict[str, str] | None) -> object:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if builtins and name in builtins:
                return builtins[name]
            if name in os.environ:
                return os.environ[name]
            return default if default is not None else m.group(0)

        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [_expand(v, builtins) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, builtins) for k, v in value.items()}
    return value


def load_yaml(path: Path) -> dict[str, Any]:
    """The YAML file's top-level mapping (empty for an empty file); UserError naming the file otherwise."""
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"{path}: not valid YAML{where}: {one_line(problem)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def validation_error(path: Path, exc: ValidationError) -> UserError:
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-")) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "missing":
        msg = "required key is missing"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return UserError(f"{path}: {loc}: {one_line(msg)}{more}")
