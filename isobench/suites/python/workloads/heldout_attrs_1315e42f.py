"""Held-out workload of attrs 1315e42f (never shown to the agent): attr.astuple() with
retain_collection_types=True of frozen @attrs.frozen measurements with 11 atomic fields (bytes, complex,
None, random ints/floats/strings) and a dict of atomic values, no nested attrs instance (the shown
workload: attrs.astuple() of @attrs.define users with 8 fields, one nested instance and one list). Run
from the repository root: python heldout_attrs_1315e42f.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

import attr  # noqa: E402
import attrs  # noqa: E402


@attrs.frozen
class Measurement:
    sensor: int
    name: str
    raw: bytes
    value: float
    phase: complex
    valid: bool
    note: object
    seq: int
    unit: str
    low: float
    high: float
    tags: dict


rng = random.Random(73)
ROWS = [
    Measurement(
        rng.randint(0, 500),
        f"s{rng.randint(0, 10**6)}",
        bytes(rng.randrange(256) for _ in range(3)),
        rng.random(),
        complex(0.0, rng.random()),
        rng.random() < 0.9,
        None,
        rng.randint(0, 10**6),
        rng.choice(["V", "A", "W"]),
        -rng.random(),
        rng.random(),
        {"site": "north", "rack": rng.randint(1, 40)},
    )
    for _ in range(2_000)
]

out = [attr.astuple(r, retain_collection_types=True) for k in range(9) for r in ROWS[k:] + ROWS[:k]]
assert len(out) == 9 * len(ROWS) and all(len(t) == 12 for t in out)
