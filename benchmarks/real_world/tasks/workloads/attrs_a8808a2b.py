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

eq = 0
for _ in range(40):
    for a, b, c in zip(A, B, C, strict=False):
        if a == b:
            eq += 1
        if a != c:
            eq += 1
assert eq == 2 * 40 * 3000
