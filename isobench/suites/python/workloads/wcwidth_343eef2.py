"""wcwidth: wcswidth() of 20,000 printable ASCII table cells of seeded random lengths, with a few
non-ASCII cells among them (the ASCII fast path the commit added), every width kept."""

import os
import random
import string
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from wcwidth import wcswidth  # noqa: E402

rng = random.Random(171)
ALPHABET = string.ascii_letters + string.digits + string.punctuation + " "
CELLS = ["".join(rng.choices(ALPHABET, k=rng.randint(1, 60))) for _ in range(20_000)]
CELLS[::50] = [c + "\u00e9\u4e2d" for c in CELLS[::50]]

out = [wcswidth(c) for c in CELLS]
assert out[1] == len(CELLS[1])
