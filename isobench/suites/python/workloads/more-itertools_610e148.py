"""more-itertools: factor() of 3,000 seeded random integers below 10**6 (the trial division by a table of
small primes the commit added before Pollard's rho), every factorization kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import more_itertools as mi  # noqa: E402

rng = random.Random(939)
NUMBERS = [rng.randrange(2, 10**6) for _ in range(3000)]

out = [list(mi.factor(n)) for n in NUMBERS]
assert all(len(f) >= 1 for f in out)
