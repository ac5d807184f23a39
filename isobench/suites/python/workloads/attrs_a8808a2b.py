"""attrs: == / != between many instances of a multi-field attrs class."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

import attrs  # noqa: E402


@attrs.define
class Point:
    x: int
    y: int
    z: int
    label: str
    weight: float
    kind: str


A = [Point(i, i + 1, i + 2, f"p{i}", i * 0.25, "k") for i in range(3000)]
B = [Point(i, i + 1, i + 2, f"p{i}", i * 0.25, "k") for i in range(3000)]
C = [Point(i + 1, i + 1, i + 2, f"p{i}", i * 0.25, "k") for i in range(3000)]

# 40 passes, each pairing the lists at another offset: (a == b, a != c) for every pair is kept.
out = [(a == b, a != c) for k in range(40) for a, b, c in zip(A, B[k:] + B[:k], C, strict=False)]
assert len(out) == 40 * 3000 and sum(x + y for x, y in out[:3000]) == 2 * 3000
