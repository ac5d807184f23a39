"""more-itertools: ichunked() over ranges of 600 to 2,000 items in chunks of 3 to 40, each chunk read in full
(the chunk generator and its cache the commit replaced), every chunk kept."""

import os
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import more_itertools as mi  # noqa: E402

out = []
for k in range(60):
    size = 3 + k % 38
    out.append([list(chunk) for chunk in mi.ichunked(range(k, 600 + 23 * k), size)])
assert all(len(c) <= 3 + k % 38 for k, chunks in enumerate(out) for c in chunks)
