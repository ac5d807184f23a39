"""Held-out workload of packaging 8810e9e6 (never shown to the agent): SpecifierSet.filter() with a key
function over (name, Version) records, for python_requires-style sets that pile up !=X.* exclusions next
to one narrow range, on random versions with some pre-releases (the shown workload: four fixed sets over a
plain X.Y.Z grid). Run from the repository root: python heldout_packaging_8810e9e6.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

from packaging.specifiers import SpecifierSet  # noqa: E402
from packaging.version import Version  # noqa: E402

rng = random.Random(59)
RECORDS = [
    (
        f"pkg{i}",
        Version(f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}" + rng.choice(["", "", "", "rc1"])),
    )
    for i in range(1_500)
]
SPECS = [
    ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,<3.6",
    "<1.5,!=1.0.*,!=1.1.*,~=1.2,!=1.2.3",
    "!=5.*,!=6.*,!=7.*,>8.3,!=8.4.*,!=8.5.0",
    ">=4.10,<4.12,!=4.10.*,!=4.11.1",
    "==6.6.6,!=6.6.*,~=6.0",
]

out = [
    list(SpecifierSet(s).filter(RECORDS[k:] + RECORDS[:k], key=lambda r: r[1], prereleases=True))
    for k in range(4)
    for s in SPECS
]
assert any(out)
