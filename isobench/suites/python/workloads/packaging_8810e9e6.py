"""packaging: filter a list of versions through multi-clause SpecifierSets."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

from packaging.specifiers import SpecifierSet  # noqa: E402
from packaging.version import Version  # noqa: E402

VERSIONS = [Version(f"{ma}.{mi}.{pa}") for ma in range(1, 5) for mi in range(0, 15) for pa in range(0, 12)]
SPECS = [
    ">=3.8,!=3.9.*,!=3.10.0,!=3.10.1,~=3.10.2,<3.14,!=3.11.0,!=3.12.0",
    "==2.3.4,!=2.3.*,>=1.0",
    ">=1.5,<4,!=2.0.*,!=2.1.*,!=3.3.3",
    "~=2.2,!=2.4.*,!=2.5.1,<2.9",
]

# Eight passes, each over the versions in another order; every filtered list is kept.
out = [[str(v) for v in SpecifierSet(s).filter(VERSIONS[k:] + VERSIONS[:k])] for k in range(8) for s in SPECS]
assert any(out)
