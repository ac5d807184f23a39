"""rich: set_cell_size() crops or pads 8,000 distinct lines of English words and punctuation to seeded
column widths (the fixed-width cells of a table or a status line), every result kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.cells import set_cell_size  # noqa: E402

rng = random.Random(3535)
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "request", "status", "query", "ready"]
WORDS += ["sync", "worker", "{id}", "[ok]", "path/to/file.py", "~user", "x|y", "0.75", "retry?", "you", "why"]
LINES = [f"{i:05d} " + " ".join(rng.choices(WORDS, k=rng.randint(3, 40))) for i in range(8_000)]
WIDTHS = [rng.randint(8, 160) for _ in LINES]

fitted = [set_cell_size(line, width) for line, width in zip(LINES, WIDTHS, strict=True)]
assert len(fitted[1]) == WIDTHS[1]
