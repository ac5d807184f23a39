"""Held-out workload of packaging e3af78f1 (never shown to the agent): Specifier.filter() and the `in`
operator for ==X.* / !=X.* specifiers with 1 to 4 release components, over random versions that include
pre-, post- and dev-releases and local labels (the shown workload: Specifier.contains() of
five fixed specifiers over a grid of plain X.Y.Z releases). Run from the repository root:
python heldout_packaging_e3af78f1.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

from packaging.specifiers import Specifier  # noqa: E402
from packaging.version import Version  # noqa: E402

rng = random.Random(53)
suffixes = ["", "", "", "rc1", "a2", "b1", ".post1", ".dev3", "+local.7"]
VERSIONS = [
    Version(".".join(str(rng.randint(0, 6)) for _ in range(rng.randint(1, 4))) + rng.choice(suffixes))
    for _ in range(900)
]
SPECS = [
    Specifier(op + ".".join(str(rng.randint(0, 6)) for _ in range(rng.randint(1, 4))) + ".*", prereleases=True)
    for op in ("==", "!=", "==", "!=", "==", "!=")
]

out = []
for k in range(2):
    for spec in SPECS:
        versions = VERSIONS[k:] + VERSIONS[:k]
        out.append([str(v) for v in spec.filter(versions)])
        out.append([v in spec for v in versions])
assert any(out)
