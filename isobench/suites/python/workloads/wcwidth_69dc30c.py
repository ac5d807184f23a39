"""wcwidth: wcwidth() of every character of 300 seeded random strings mixing ASCII, Latin accents, CJK,
combining marks and zero-width characters (the per-character lookups the commit reordered), every width
kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from wcwidth import wcwidth  # noqa: E402

rng = random.Random(69)
POOLS = [
    [chr(c) for c in range(0x20, 0x7F)],
    [chr(c) for c in range(0xC0, 0x180)],
    [chr(c) for c in range(0x4E00, 0x4F00)],
    [chr(c) for c in range(0x300, 0x370)],
    ["\u200b", "\u200d", "\u2060", "\x00"],
]
TEXTS = ["".join(rng.choice(rng.choice(POOLS)) for _ in range(rng.randint(20, 120))) for _ in range(300)]

out = [[wcwidth(ch) for ch in text] for text in TEXTS]
assert len(out) == 300
