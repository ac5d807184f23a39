"""Held-out workload of attrs 7369ad9f (never shown to the agent): attr.asdict() with
retain_collection_types=True of old-style @attr.s records with 12 fields (bytes, complex, None, random
ints/floats/strings), a dict of atomic values and a tuple of ints, no nested attrs instance (the shown
workload: attrs.asdict() of @attrs.define users with 8 fields, one nested instance and one list). Run from
the repository root: python heldout_attrs_7369ad9f.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

import attr  # noqa: E402


@attr.s
class Record:
    key = attr.ib()
    label = attr.ib()
    blob = attr.ib()
    ratio = attr.ib()
    z = attr.ib()
    flag = attr.ib()
    missing = attr.ib()
    count = attr.ib()
    unit = attr.ib()
    step = attr.ib()
    meta = attr.ib()
    dims = attr.ib()


rng = random.Random(71)
RECORDS = [
    Record(
        rng.randint(0, 10**9),
        f"r{rng.random():.6f}",
        bytes(rng.randrange(256) for _ in range(4)),
        rng.random(),
        complex(rng.random(), 1.0),
        rng.random() < 0.5,
        None,
        rng.randint(0, 99),
        rng.choice(["m", "s", "kg"]),
        rng.uniform(0, 5),
        {"a": rng.randint(0, 9), "b": "x", "c": None},
        (rng.randint(1, 9), rng.randint(1, 9)),
    )
    for _ in range(2_000)
]

out = [attr.asdict(r, retain_collection_types=True) for k in range(5) for r in RECORDS[k:] + RECORDS[:k]]
assert len(out) == 5 * len(RECORDS) and all(len(d) == 12 for d in out)
