"""rich: cell_len() of 40,000 distinct text lines of seeded random lengths (Latin, accented, box drawing;
one in ten holds a wide CJK character) and of 400 long paragraphs, every width kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.cells import cell_len  # noqa: E402

rng = random.Random(3546)
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_=+()[]{}éüñßøΩλж─│┌┐└┘"
POOL = "".join(rng.choices(ALPHABET, k=100_000))
STARTS = [(rng.randrange(90_000), rng.randint(5, 120)) for _ in range(40_000)]
LINES = [f"{i}:" + POOL[s : s + n] for i, (s, n) in enumerate(STARTS)]
LINES[::10] = [line + "中文" for line in LINES[::10]]
LONG = [POOL[s : s + 5 * n + 512] for s, n in STARTS[:400]]

widths = [cell_len(line) for line in LINES]
long_widths = [cell_len(text) for text in LONG]
assert widths[1] == len(LINES[1])
