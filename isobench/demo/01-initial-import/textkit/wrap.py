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
    for word in text.split():
        # Would the line still fit with `word` appended (one space before it)?
        if line and sum(len(w) for w in line) + len(line) + len(word) > width:
            lines.append(" ".join(line))
            line = [word]
        else:
            line.append(word)
    if line:
        lines.append(" ".join(line))
    return lines


def fill(text: str, width: int = 70) -> str:
    """`wrap(text, width)` joined with newlines."""
    return "\n".join(wrap(text, width))
