"""Held-out workload of more-itertools 3f43b98 (never shown to the agent): ichunked() over a generator of
words, taking the chunks first and reading them afterwards, out of order (which makes ichunked cache each
chunk), and chunks read only in part (the shown workload: ranges, each chunk read in full, in order)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import more_itertools as mi  # noqa: E402

rng = random.Random(7)
WORDS = ["".join(rng.choices("abcdefghij", k=rng.randint(1, 8))) for _ in range(3000)]

late = []
for size in (5, 11, 17, 64):
    chunks = list(mi.ichunked(iter(WORDS), size))
    late.append([list(c) for c in reversed(chunks)])
heads = [[next(iter(c)) for c in mi.ichunked(iter(WORDS[k:]), 9)] for k in range(0, 300, 10)]
assert sum(map(len, late[0])) == len(WORDS)
