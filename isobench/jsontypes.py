"""JSON that isobench does not define: a provider's API messages, OpenHands' event files, a peer benchmark's
rows, a dataset row as it is written. Typed as what JSON can hold, so the code that reads it says what it
expects (`isinstance`, `.get` with a default) instead of trusting an `Any`."""

from __future__ import annotations

type JSONScalar = str | int | float | bool | None
type JSON = JSONScalar | list[JSON] | dict[str, JSON]
"""Any JSON value."""
type JSONObject = dict[str, JSON]
"""A JSON object (what `json.loads` gives for `{...}`)."""


def obj(x: object) -> JSONObject:
    """`x` when it is a JSON object, else an empty one: for optional nested objects of a foreign format."""
    return x if isinstance(x, dict) else {}


def items(x: object) -> list[JSON]:
    """`x` when it is a JSON array, else an empty one."""
    return x if isinstance(x, list) else []


def text(x: object, default: str = "") -> str:
    """`x` when it is a string, else `default`."""
    return x if isinstance(x, str) else default


def number(x: object) -> float | None:
    """`x` as a float when it is a JSON number (not a bool), else None."""
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None
