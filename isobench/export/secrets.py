"""Nothing secret is exported: rows are checked before anything is written, and every written file
afterwards, for the values of the API-key and token variables in the environment (never shown)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from isobench.errors import UserError

if TYPE_CHECKING:
    from isobench.export.schema import ExportRow

MIN_SECRET_LEN = 9
"""Shorter values are not scanned for: "true", "1" or a short id would match everywhere."""


class SecretLeakError(UserError):
    """The value of an API-key / token variable was found in what export writes. Never shows the value."""


def secret_values(environ: dict[str, str] | None = None) -> dict[str, str]:
    """name -> value of every variable that holds a credential: *_API_KEY, *_TOKEN, HF_TOKEN."""
    env = os.environ if environ is None else environ
    named = (k for k in env if k.endswith("_API_KEY") or k.endswith("_TOKEN") or k == "HF_TOKEN")
    return {k: env[k] for k in named if len(env[k]) >= MIN_SECRET_LEN}


def check_rows_for_secrets(rows: list[ExportRow], secrets: dict[str, str]) -> None:
    """Refuse, before anything is written, rows holding a credential (e.g. an agent pasted a key in code)."""
    if not secrets:
        return
    for row in rows:
        for col, value in row.model_dump().items():
            for name, secret in secrets.items():
                if any(secret in text for text in _strings(value)):
                    who = f"{row.instance_id}" + (
                        f" {row.llm_metadata.provider}#{row.attempt}"
                        if row.record_type == "llm" and row.llm_metadata
                        else " (human)"
                    )
                    raise SecretLeakError(
                        f"export refused: the value of ${name} appears in column {col!r} of {who}; nothing was written"
                    )


def _strings(value: object) -> Iterable[str]:
    """Every string inside a row value (raw, before any format escapes it)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def scan_files_for_secrets(paths: Iterable[Path], secrets: dict[str, str]) -> list[tuple[Path, str]]:
    """(file, variable) for every written file containing a credential's value (raw bytes)."""
    needles = {name: v.encode() for name, v in secrets.items()}
    hits = []
    for p in paths:
        if not p.is_file():
            continue
        data = p.read_bytes()
        hits += [(p, name) for name, needle in needles.items() if needle in data]
    return hits
