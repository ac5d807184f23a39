"""Held-out workload of attrs a8808a2b (never shown to the agent): list.index() / `in` / list.count() searches
(which call __eq__ on every element) over frozen @attr.s(frozen=True) keys with 10 fields, random values,
where most candidates differ in an early field (the shown workload: zip-wise == / != between three lists
of 6-field @attrs.define points). Run from the repository root: python heldout_attrs_a8808a2b.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

import attr  # noqa: E402


@attr.s(frozen=True, hash=False)
class Key:
    region = attr.ib()
    zone = attr.ib()
    host = attr.ib()
    port = attr.ib()
    proto = attr.ib()
    user = attr.ib()
    weight = attr.ib()
    tier = attr.ib()
    shard = attr.ib()
    replica = attr.ib()


rng = random.Random(79)
KEYS = [
    Key(
        rng.choice(["eu", "us", "ap"]),
        rng.randint(0, 3),
        f"h{rng.randint(0, 50)}",
        rng.choice([80, 443]),
        "tcp",
        "svc",
        rng.random(),
        rng.randint(0, 2),
        rng.randint(0, 7),
        rng.randint(0, 2),
    )
    for _ in range(800)
]
PROBES = [Key(*attr.astuple(k)) for k in rng.sample(KEYS, 40)]
PROBES += [Key("xx", 0, "h0", 80, "tcp", "svc", 0.5, 0, 0, 0)] * 10

out = []  # per probe: found, where, and how many times (the harness compares them)
for k in range(3):
    for p in PROBES[k:] + PROBES[:k]:
        out.append((p in KEYS, KEYS.index(p) if p in KEYS else -1, KEYS.count(p)))
assert sum(found for found, _, _ in out) >= 3 * 40
