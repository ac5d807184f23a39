"""Held-out workload of packaging ee13ba2c (never shown to the agent): packaging.version.parse() of random
calendar-style and long release strings (1 to 6 components, numbers up to 2026), one in twenty with an
rc suffix, so not simple (the shown workload: Version() of a grid of small a.b.c and a.b strings). Run from
the repository root: python heldout_packaging_ee13ba2c.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

from packaging.version import parse  # noqa: E402

rng = random.Random(61)
HEADS = [str(n) for n in range(2000, 2027)] + [str(n) for n in range(0, 300)]
NUMS = [str(n) for n in range(100)]
STRS = [".".join([rng.choice(HEADS), *rng.choices(NUMS, k=rng.randint(0, 5))]) for _ in range(4_000)]
STRS[::20] = [s + "rc1" for s in STRS[::20]]  # one in twenty is not simple

versions = [parse(s) for s in STRS * 10]
assert len(versions) == 40_000 and versions[0].release
