"""Fitting a table to the terminal: every table isobench prints goes through `show`.

A table is declared as columns (essential or not, numbers or free text) and rows of plain strings. `fit`
picks what the console's width allows: the essential columns always, in full; the others in their order
while they fit beside the essential ones shown whole; `--wide` shows them all, however wide. A cell is
wrapped only between its words, and a bracketed group such as a CI `[1.20, 1.45]` is one word, so a
number is never cut; only a free-text column (an error, a detail, a path) may fold a word longer than
the column. When even the essential columns do not fit that way, a bracketed group may break after its
comma (`[10.12,` / `15.67]`), still never inside a number. What is left out is named (or, when the names
do not fit, counted) in one line under the table, with where to find it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

GAP = 2
"""Columns are separated by two spaces (a padding of one on the right, a blank rule; no outer edge)."""

TEXT_MIN = 16
"""The narrowest a free-text column is made before a column is left out instead."""

_WORD = re.compile(r"(?:\[[^\]]*\]|\([^)]*\)|\S)+")
"""A word never broken: a run of non-spaces in which a `[...]` or `(...)` group counts as one."""


@dataclass(frozen=True)
class Col:
    """One column: `essential` ones are always shown; `text` ones hold free text that may wrap anywhere
    between words (and fold a word longer than the column), the others hold numbers and short labels."""

    header: str
    essential: bool = False
    text: bool = False
    justify: Literal["left", "right"] = "left"


@dataclass
class Spec:
    """A table before it meets a terminal: its columns, its rows of cells (plain text, or rich Text for a
    style), and where a column left out can be read (besides `--wide`)."""

    title: str | None
    columns: list[Col]
    rows: list[list[str | Text]] = field(default_factory=list)
    where: str = "--json"

    def add_row(self, *cells: str | Text) -> None:
        self.rows.append(list(cells))


def words(s: str, text: bool = False) -> list[str]:
    """The unbreakable words of one line of a cell (of free text: its runs of non-spaces)."""
    return s.split() if text else _WORD.findall(s)


def _lines(cell: str | Text) -> list[str]:
    return (cell.plain if isinstance(cell, Text) else cell).split("\n")


def _natural(col: Col, cells: list[str | Text]) -> int:
    """The width at which no cell of the column wraps (a header may wrap between its words)."""
    head = max((len(w) for w in words(col.header)), default=0)
    return max([head, *(len(line) for c in cells for line in _lines(c))])


def _minimum(col: Col, cells: list[str | Text], fine: bool) -> int:
    """The narrowest the column can be without cutting a word (for free text: TEXT_MIN, or less if all fits);
    `fine`: a bracketed group may break after its commas (`[10.12,` / `15.67]`), a number still whole."""
    head = max((len(w) for w in words(col.header, fine)), default=0)
    longest = max((len(w) for c in cells for line in _lines(c) for w in words(line, col.text or fine)), default=0)
    if col.text:
        return max(head, min(_natural(col, cells), TEXT_MIN))
    return max(head, longest)


def _wrap_line(line: str, width: int, fold: bool, fine: bool) -> list[str]:
    """Greedy wrapping between words; a word wider than `width` is folded only when `fold` (free text)."""
    out: list[str] = []
    cur = ""
    for w in words(line, fold or fine):
        while fold and len(w) > width:
            if cur:
                out.append(cur)
                cur = ""
            out.append(w[:width])
            w = w[width:]
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    return [*out, cur] if cur or not out else out


def wrap(cell: str | Text, width: int, fold: bool = False, fine: bool = False) -> str | Text:
    """The cell with line breaks where it must wrap to `width`; a styled cell keeps its style."""
    lines = _lines(cell)
    if all(len(line) <= width for line in lines):
        return cell
    text = "\n".join(w for line in lines for w in _wrap_line(line, width, fold, fine))
    return Text(text, style=cell.style) if isinstance(cell, Text) else text


@dataclass
class Fitted:
    """The table to print, the width it needs, and the note naming the columns left out (None if none)."""

    table: Table
    width: int
    note: str | None
    hidden: list[str]
    fine: bool = False
    """The essential columns fit only with their bracketed groups broken after a comma."""


def _choose(spec: Spec, width: int, nat: list[int], mn: list[int], wide: bool) -> list[int]:
    """The columns shown: all with `wide`; else the essential ones, then each other one (in order) that fits
    beside them, every column counted on one line (free text at its narrowest)."""
    if wide:
        return list(range(len(spec.columns)))
    need = [mn[i] if c.text else nat[i] for i, c in enumerate(spec.columns)]
    chosen = [i for i, c in enumerate(spec.columns) if c.essential]
    used = sum(need[i] for i in chosen) + GAP * max(0, len(chosen) - 1)
    for i, c in enumerate(spec.columns):
        if not c.essential and used + GAP + need[i] <= width:
            chosen.append(i)
            used += GAP + need[i]
    return sorted(chosen)


def _widths(
    spec: Spec, chosen: list[int], width: int, nat: list[int], mn: list[int], whole: list[int], wide: bool
) -> dict[int, int]:
    """Each shown column at its narrowest, then widened while room is left: first so that its bracketed
    groups are whole (`whole`), then to its natural width (a row on one line): the essential columns of
    numbers first, the others next, free text after; whole headers last."""
    if wide:
        return {i: max(nat[i], len(spec.columns[i].header)) for i in chosen}
    w = {i: mn[i] for i in chosen}
    left = width - sum(w.values()) - GAP * max(0, len(chosen) - 1)
    cols = spec.columns
    steps: list[tuple[list[int], Callable[[Col], bool], bool]] = [
        (whole, lambda c: not c.text, True),
        (nat, lambda c: c.essential and not c.text, False),
        (nat, lambda c: not c.text, False),
    ]
    for target, which, all_or_none in steps:
        for i in chosen:
            add = target[i] - w[i]
            if which(cols[i]) and add > 0 and (add <= left or not all_or_none):
                w[i] += min(add, left)
                left -= min(add, left)
    text = [i for i in chosen if cols[i].text]
    while left > 0 and any(w[i] < nat[i] for i in text):  # free text shares what is left, a column at a time
        for i in (i for i in text if w[i] < nat[i] and left > 0):
            w[i] += 1
            left -= 1
    for i in chosen:
        add = min(len(cols[i].header) - w[i], left)
        if add > 0:
            w[i] += add
            left -= add
    return w


def fit(spec: Spec, width: int, *, wide: bool = False) -> Fitted:
    """The table for a console `width` columns wide (every column with `wide`), and the note."""
    cols = spec.columns
    cells = [[row[i] for row in spec.rows] for i in range(len(cols))]
    nat = [_natural(c, cells[i]) for i, c in enumerate(cols)]
    mn = [_minimum(c, cells[i], False) for i, c in enumerate(cols)]
    essential = [i for i, c in enumerate(cols) if c.essential]
    fine = not wide and sum(mn[i] for i in essential) + GAP * max(0, len(essential) - 1) > width
    if fine:
        mn = [_minimum(c, cells[i], True) for i, c in enumerate(cols)]
    whole = [_minimum(c, cells[i], False) for i, c in enumerate(cols)]
    chosen = _choose(spec, width, nat, mn, wide)
    w = _widths(spec, chosen, width, nat, mn, whole, wide)
    body = [[wrap(row[i], w[i], fold=cols[i].text, fine=fine) for i in chosen] for row in spec.rows]
    tall = any(len(_lines(c)) > 1 for row in body for c in row)
    table = Table(
        title=spec.title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        show_lines=tall,
        title_justify="left",
    )
    for i in chosen:
        header = wrap(cols[i].header, w[i], fine=fine)
        table.add_column(header, justify=cols[i].justify, width=w[i], no_wrap=True, overflow="fold")
    for row in body:
        table.add_row(*row)
    hidden = [c.header or f"column {i + 1}" for i, c in enumerate(cols) if i not in chosen]
    total = sum(w.values()) + GAP * max(0, len(chosen) - 1)
    return Fitted(table, total, _note(hidden, spec.where, width), hidden, fine)


def _note(hidden: list[str], where: str, width: int) -> str | None:
    """`2 more columns (opt@1 GSO, failures): --wide, or --json`, shortened to one line of `width`."""
    if not hidden:
        return None
    n = f"{len(hidden)} more column{'s' if len(hidden) != 1 else ''}"
    full = f"{n} ({', '.join(hidden)}): --wide, or {where}"
    return full if len(full) <= width else f"{n}: --wide, or {where}"


def show(out: Console, spec: Spec, *, wide: bool = False) -> Fitted:
    """Print the table fitted to `out`'s width (all of it with `wide`, however wide), then the note."""
    fitted = fit(spec, out.width, wide=wide)
    if wide and fitted.width > out.width:  # wider than the terminal: rich would cut it to the console's width
        width = out.width
        out.width = fitted.width
        out.print(fitted.table)
        out.width = width
    else:
        out.print(fitted.table)
    if fitted.note:
        out.print(fitted.note, markup=False, highlight=False, soft_wrap=True)
    return fitted
