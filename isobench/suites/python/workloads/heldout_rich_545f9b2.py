"""Held-out workload of rich 545f9b2 (never shown to the agent): chains of ConsoleOptions.update_width()
and update() as nested containers (a table cell in a panel in a column) derive their options, for 8,000
outer widths (the shown workload: one update() per combination of keywords)."""

import io
import os
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.console import Console  # noqa: E402

console = Console(file=io.StringIO(), width=200, height=60, legacy_windows=False)
ROOT = console.options
WIDTHS = [(i * 37) % 240 - 20 for i in range(8_000)]

chains = []
for n, width in enumerate(WIDTHS):
    column = ROOT.update_width(width)
    panel = column.update(width=column.max_width - 4, height=n % 30 if n % 3 else None)
    cell = panel.update_width(panel.max_width // 2).update(no_wrap=n % 2 == 0, overflow="ellipsis")
    chains.append((column.max_width, panel.max_width, panel.height, cell.min_width, cell.no_wrap))
assert chains[0][0] == 0
