"""packaging: wildcard (==X.* / !=X.*) specifier matching over many versions."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

from packaging.specifiers import Specifier  # noqa: E402
from packaging.version import Version  # noqa: E402

VERSIONS = [Version(f"{ma}.{mi}.{pa}") for ma in range(1, 5) for mi in range(0, 15) for pa in range(0, 10)]
SPECS = [Specifier(s) for s in ("==3.10.*", "!=3.9.*", "==2.*", "!=1.4.*", "==4.1.0.*")]

n = 0
for _ in range(4):
    for spec in SPECS:
        for v in VERSIONS:
            if spec.contains(v):
                n += 1
assert n > 0
