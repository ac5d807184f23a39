"""Greedy word wrapping."""

from __future__ import annotations


def wrap(text: str, width: int = 70) -> list[str]:
    """Break `text` into lines of at most `width` characters, splitting only at whitespace.

    Runs of whitespace (newlines included) become single spaces. A word longer than `width` is
    never split: it gets a line of its own.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    lines: list[str] = []
    line: list[str] = []
    length = 0  # len(" ".join(line)), kept up to date instead of re-summed for every word
    for word in text.split():
        if line and length + 1 + len(word) > width:
            lines.append(" ".join(line))
            line = [word]
            length = len(word)
        else:
            length += (len(word) + 1) if line else len(word)
            line.append(word)
    if line:
        lines.append(" ".join(line))
    return lines


def fill(text: str, width: int = 70) -> str:
    """`wrap(text, width)` joined with newlines."""
    return "\n".join(wrap(text, width))
