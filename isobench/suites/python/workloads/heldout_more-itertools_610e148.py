"""Held-out workload of more-itertools 610e148 (never shown to the agent): factor() of smooth numbers (products
of many small primes) and of semiprimes built from seeded random primes, and totient() of the same numbers
(the shown workload: factor() of random integers below 10**6)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import more_itertools as mi  # noqa: E402

rng = random.Random(4242)
PRIMES = list(mi.sieve(5000))
SMOOTH = []
for _ in range(250):
    n = 1
    for p in rng.choices(PRIMES[:40], k=rng.randint(4, 14)):
        n *= p
    SMOOTH.append(n)
SEMI = [rng.choice(PRIMES[300:]) * rng.choice(PRIMES[300:]) for _ in range(250)]

factors = [list(mi.factor(n)) for n in SMOOTH + SEMI]
totients = [mi.totient(n) for n in SMOOTH[:100] + SEMI[:100]]
assert all(len(f) == 2 for f in factors[250:])
