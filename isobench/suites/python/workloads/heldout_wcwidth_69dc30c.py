"""Held-out workload of wcwidth 69dc30c (never shown to the agent): wcswidth() of table cells in Japanese,
Korean and Greek with control characters mixed in, and wcwidth() of every code point of several Unicode
blocks (the shown workload: wcwidth() per character of random mixed strings)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from wcwidth import wcswidth, wcwidth  # noqa: E402

rng = random.Random(3)
BLOCKS = [(0x3040, 0x30FF), (0xAC00, 0xAD00), (0x370, 0x3FF), (0x1F300, 0x1F400), (0xFE00, 0xFE10)]
CELLS = [
    "".join(chr(rng.randint(*rng.choice(BLOCKS))) for _ in range(rng.randint(1, 30))) for _ in range(1500)
]
CELLS[::17] = [c + "\x07" for c in CELLS[::17]]  # a control character: wcswidth() is -1

widths = [wcswidth(c) for c in CELLS]
points = [wcwidth(chr(cp)) for lo, hi in BLOCKS for cp in range(lo, hi)]
assert -1 in widths
